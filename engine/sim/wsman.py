"""Sans-IO WS-Management: parse SOAP request envelopes, render responses and faults.

Requests are read by namespace URI (prefixes are the client's choice). Responses use
the prefixes and element order of Windows' WinRM service (see the recordings in
tests/sim/protocol/data/), since that is what clients were tested against.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from xml.etree import ElementTree

NS_SOAP = "http://www.w3.org/2003/05/soap-envelope"
NS_ADDRESSING = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
NS_WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
NS_SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
NS_TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
NS_PS = "http://schemas.microsoft.com/powershell"
NS_FAULT = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"

ACTION_CREATE = f"{NS_TRANSFER}/Create"
ACTION_DELETE = f"{NS_TRANSFER}/Delete"
ACTION_GET = f"{NS_TRANSFER}/Get"
ACTION_COMMAND = f"{NS_SHELL}/Command"
ACTION_SEND = f"{NS_SHELL}/Send"
ACTION_RECEIVE = f"{NS_SHELL}/Receive"
ACTION_SIGNAL = f"{NS_SHELL}/Signal"
ACTION_FAULT = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
SIGNAL_TERMINATE = f"{NS_SHELL}/signal/Terminate"
SIGNAL_CTRL_C = "powershell/signal/ctrl_c"
COMMAND_STATE_DONE = f"{NS_SHELL}/CommandState/Done"

DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MAX_ENVELOPE = 153_600


def short_action(action: str) -> str:
    """The action's last path segment ("Receive"), used for counters and logs."""
    return action.rsplit("/", 1)[-1] or "Unknown"


@dataclass(frozen=True)
class Fault(Exception):
    """A WS-Management fault: SOAP code, ``w:`` subcode, WSManFault code and message."""

    subcode: str
    code: int
    message: str
    sender: bool = True  # s:Sender (client's fault) or s:Receiver
    detail: str = ""  # optional w:FaultDetail URI
    http_status: int = 500
    provider: bool = False  # raised by the Shell provider: Windows nests a ProviderFault

    def __str__(self) -> str:
        return f"{self.subcode} ({self.code}): {self.message}"


def invalid_selectors() -> Fault:
    return Fault(
        "InvalidSelectors",
        2150858843,
        "The WS-Management service cannot process the request because the request contained invalid "
        "selectors for the resource. ",
        detail="http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors",
        provider=True,
    )


def timed_out() -> Fault:
    return Fault(
        "TimedOut",
        2150858793,
        "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  ",
        sender=False,
    )


def invalid_xml(reason: str) -> Fault:
    # ERROR_WSMAN_INVALID_XML (0x803380A5 as listed in winerror.h)
    return Fault(
        "SchemaValidationError",
        2150858917,
        f"The WS-Management service cannot process the request because the XML is invalid: {reason}",
    )


def action_not_supported(action: str) -> Fault:
    # ERROR_WSMAN_ACTION_NOT_SUPPORTED (0x80338010 in winerror.h)
    return Fault(
        "ActionNotSupported",
        2150858768,
        f"The WS-Management service cannot process the request because the action '{action}' is not supported.",
        detail="",
    )


def internal_error(reason: str) -> Fault:
    # ERROR_WSMAN_INTERNAL_ERROR is not a public code; WinRM reports provider failures as the
    # Win32 error of the plugin. 1359 = ERROR_INTERNAL_ERROR.
    return Fault(
        "InternalError", 1359, f"The WS-Management service cannot process the request: {reason}", sender=False
    )


@dataclass
class Request:
    action: str
    message_id: str
    resource_uri: str = ""
    selectors: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    operation_timeout: float = DEFAULT_TIMEOUT_S
    max_envelope_size: int = DEFAULT_MAX_ENVELOPE
    body: ElementTree.Element | None = None

    @property
    def name(self) -> str:
        return short_action(self.action)

    def shell_id(self) -> uuid.UUID:
        raw = next((v for k, v in self.selectors.items() if k.casefold() == "shellid"), None)
        if raw is None:
            raise invalid_selectors()
        try:
            return uuid.UUID(raw)
        except ValueError:
            raise invalid_selectors() from None


_DURATION_RE = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def parse_duration(text: str) -> float:
    """An xs:duration such as ``PT20S`` or ``PT0.500S`` in seconds."""
    match = _DURATION_RE.match(text.strip())
    if not match:
        raise invalid_xml(f"bad OperationTimeout {text!r}")
    days, hours, minutes, seconds = match.groups()
    return int(days or 0) * 86400 + int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


_ENVELOPE = _q(NS_SOAP, "Envelope")
_HEADER = _q(NS_SOAP, "Header")
_BODY = _q(NS_SOAP, "Body")
_ACTION = _q(NS_ADDRESSING, "Action")
_MESSAGE_ID = _q(NS_ADDRESSING, "MessageID")
_RESOURCE_URI = _q(NS_WSMAN, "ResourceURI")
_OPERATION_TIMEOUT = _q(NS_WSMAN, "OperationTimeout")
_MAX_ENVELOPE_SIZE = _q(NS_WSMAN, "MaxEnvelopeSize")
_HEADER_TEXTS = frozenset({_ACTION, _MESSAGE_ID, _RESOURCE_URI, _OPERATION_TIMEOUT, _MAX_ENVELOPE_SIZE})
# Header child → (item tag, the Request dict its items go to)
_NAMED_SETS = {
    _q(NS_WSMAN, "SelectorSet"): (_q(NS_WSMAN, "Selector"), "selectors"),
    _q(NS_WSMAN, "OptionSet"): (_q(NS_WSMAN, "Option"), "options"),
}


def parse_request(data: bytes) -> Request:
    """Parse a SOAP envelope; malformed input raises a ``Fault``.

    One pass over the header's children: the first of each element counts (as ``findtext``),
    selectors and options in document order across all their sets."""
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise invalid_xml(str(exc)) from None
    if root.tag != _ENVELOPE:
        raise invalid_xml("the root element is not a SOAP 1.2 Envelope")
    header = root.find(_HEADER)
    if header is None:
        raise invalid_xml("the envelope has no Header")
    texts: dict[str, str] = {}
    named: dict[str, dict[str, str]] = {"selectors": {}, "options": {}}
    for child in header:
        if child.tag in _HEADER_TEXTS:
            texts.setdefault(child.tag, child.text or "")
        elif child.tag in _NAMED_SETS:
            item_tag, target = _NAMED_SETS[child.tag]
            for item in child:
                if item.tag == item_tag:
                    named[target][item.get("Name", "")] = (item.text or "").strip()
    action = texts.get(_ACTION, "").strip()
    message_id = texts.get(_MESSAGE_ID, "").strip()
    if not action or not message_id:
        raise invalid_xml("the header lacks Action or MessageID")
    request = Request(action=action, message_id=message_id, selectors=named["selectors"], options=named["options"])
    request.resource_uri = texts.get(_RESOURCE_URI, "").strip()
    timeout = texts.get(_OPERATION_TIMEOUT)
    if timeout:
        request.operation_timeout = parse_duration(timeout)
    size = texts.get(_MAX_ENVELOPE_SIZE)
    if size:
        try:
            request.max_envelope_size = int(size.strip())
        except ValueError:
            raise invalid_xml(f"bad MaxEnvelopeSize {size!r}") from None
    request.body = root.find(_BODY)
    return request


# -- responses ---------------------------------------------------------------------------

_ENVELOPE_NS = (
    f'xmlns:s="{NS_SOAP}" xmlns:a="{NS_ADDRESSING}" xmlns:x="{NS_TRANSFER}" '
    f'xmlns:w="{NS_WSMAN}" xmlns:rsp="{NS_SHELL}" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"'
)


def xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def envelope(action: str, relates_to: str, body: str) -> bytes:
    """A response envelope: Action, a fresh MessageID, To anonymous, RelatesTo the request."""
    return (
        f'<s:Envelope xml:lang="en-US" {_ENVELOPE_NS}><s:Header>'
        f"<a:Action>{xml_text(action)}</a:Action>"
        f"<a:MessageID>uuid:{str(uuid.uuid4()).upper()}</a:MessageID>"
        f"<a:To>{ANONYMOUS}</a:To>"
        f"<a:RelatesTo>{xml_text(relates_to)}</a:RelatesTo>"
        f"</s:Header><s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


def render_fault(fault: Fault, relates_to: str = "", machine: str = "127.0.0.1") -> bytes:
    code = "s:Sender" if fault.sender else "s:Receiver"
    detail = f"<w:FaultDetail>{fault.detail}</w:FaultDetail>" if fault.detail else ""
    machine = xml_text(machine)
    message = xml_text(fault.message)
    if fault.provider:
        message = (
            '<f:ProviderFault provider="Shell provider" path="%systemroot%\\system32\\WsmSvc.dll">'
            f'<f:WSManFault xmlns:f="{NS_FAULT}" Code="{fault.code}" Machine="{machine}">'
            f"<f:Message>{message}</f:Message></f:WSManFault></f:ProviderFault>"
        )
    body = (
        f"<s:Fault><s:Code><s:Value>{code}</s:Value><s:Subcode><s:Value>w:{fault.subcode}</s:Value>"
        f'</s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">{xml_text(fault.message)}</s:Text></s:Reason>'
        f'<s:Detail>{detail}<f:WSManFault xmlns:f="{NS_FAULT}" Code="{fault.code}" Machine="{machine}">'
        f"<f:Message>{message}</f:Message></f:WSManFault></s:Detail></s:Fault>"
    )
    return envelope(ACTION_FAULT, relates_to or f"uuid:{uuid.UUID(int=0)}", body)


def shell_element(
    shell_id: uuid.UUID, resource_uri: str, owner: str, client_ip: str, state: str = "Connected"
) -> str:
    """``rsp:Shell`` as Create and Get answer it."""
    return (
        f'<rsp:Shell xmlns:rsp="{NS_SHELL}"><rsp:ShellId>{str(shell_id).upper()}</rsp:ShellId>'
        f"<rsp:ResourceUri>{xml_text(resource_uri)}</rsp:ResourceUri><rsp:Owner>{xml_text(owner)}</rsp:Owner>"
        f"<rsp:ClientIP>{xml_text(client_ip)}</rsp:ClientIP><rsp:ProcessId>4242</rsp:ProcessId>"
        "<rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut><rsp:InputStreams>stdin pr</rsp:InputStreams>"
        "<rsp:OutputStreams>stdout</rsp:OutputStreams><rsp:MaxIdleTimeOut>PT2147483.647S</rsp:MaxIdleTimeOut>"
        "<rsp:Locale>en-US</rsp:Locale><rsp:DataLocale>en-US</rsp:DataLocale>"
        "<rsp:CompressionMode>NoCompression</rsp:CompressionMode><rsp:ProfileLoaded>Yes</rsp:ProfileLoaded>"
        "<rsp:Encoding>UTF8</rsp:Encoding><rsp:BufferMode>Block</rsp:BufferMode>"
        f"<rsp:State>{state}</rsp:State><rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime>"
        "<rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity></rsp:Shell>"
    )


def create_response(request: Request, shell_id: uuid.UUID, address: str, owner: str, client_ip: str) -> bytes:
    body = (
        f"<x:ResourceCreated><a:Address>{xml_text(address)}</a:Address><a:ReferenceParameters>"
        f"<w:ResourceURI>{xml_text(request.resource_uri)}</w:ResourceURI><w:SelectorSet>"
        f'<w:Selector Name="ShellId">{str(shell_id).upper()}</w:Selector></w:SelectorSet>'
        "</a:ReferenceParameters></x:ResourceCreated>"
        + shell_element(shell_id, request.resource_uri, owner, client_ip)
    )
    return envelope(f"{NS_TRANSFER}/CreateResponse", request.message_id, body)


def command_response(request: Request, command_id: uuid.UUID) -> bytes:
    body = (
        f"<rsp:CommandResponse><rsp:CommandId>{str(command_id).upper()}</rsp:CommandId></rsp:CommandResponse>"
    )
    return envelope(f"{NS_SHELL}/CommandResponse", request.message_id, body)


def receive_response(request: Request, command_id: uuid.UUID | None, streams: list[str], done: bool) -> bytes:
    """``streams`` are base64 texts; ``done`` adds the CommandState Done element."""
    cid = f' CommandId="{str(command_id).upper()}"' if command_id is not None else ""
    parts = [f'<rsp:Stream Name="stdout"{cid}>{data}</rsp:Stream>' for data in streams]
    if done and command_id is not None:
        parts.append(
            f'<rsp:CommandState{cid} State="{COMMAND_STATE_DONE}"><rsp:ExitCode>0</rsp:ExitCode></rsp:CommandState>'
        )
    return envelope(
        f"{NS_SHELL}/ReceiveResponse",
        request.message_id,
        "<rsp:ReceiveResponse>" + "".join(parts) + "</rsp:ReceiveResponse>",
    )


def simple_response(request: Request, element: str | None) -> bytes:
    """Send/Signal (``rsp:SendResponse``/``rsp:SignalResponse``) and Delete (empty body)."""
    body = f"<rsp:{element}/>" if element else ""
    return envelope(f"{request.action}Response", request.message_id, body)


def get_response(request: Request, shell_id: uuid.UUID, owner: str, client_ip: str, state: str) -> bytes:
    body = shell_element(
        shell_id, "http://schemas.microsoft.com/powershell/Microsoft.PowerShell", owner, client_ip, state
    )
    return envelope(f"{NS_TRANSFER}/GetResponse", request.message_id, body)
