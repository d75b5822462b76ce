"""WS-Management envelopes, parsed and rendered without HTTP."""

from __future__ import annotations

import uuid
from xml.etree import ElementTree

import pytest

from engine.sim import wsman

NS = {
    "s": wsman.NS_SOAP,
    "a": wsman.NS_ADDRESSING,
    "w": wsman.NS_WSMAN,
    "rsp": wsman.NS_SHELL,
    "f": wsman.NS_FAULT,
    "x": wsman.NS_TRANSFER,
}
SHELL_ID = "04777930-1347-422B-AA4D-33BDC2570979"


def request(action: str, body: str = "", timeout: str = "PT20S", prefix: str = "wsa") -> bytes:
    return (
        f'<s:Envelope xmlns:s="{wsman.NS_SOAP}" xmlns:{prefix}="{wsman.NS_ADDRESSING}" '
        f'xmlns:wsman="{wsman.NS_WSMAN}" xmlns:rsp="{wsman.NS_SHELL}"><s:Header>'
        f"<{prefix}:Action>{action}</{prefix}:Action><{prefix}:MessageID>uuid:AAA</{prefix}:MessageID>"
        f"<wsman:ResourceURI>http://schemas.microsoft.com/powershell/Microsoft.PowerShell</wsman:ResourceURI>"
        f"<wsman:MaxEnvelopeSize>512000</wsman:MaxEnvelopeSize><wsman:OperationTimeout>{timeout}</wsman:OperationTimeout>"
        f'<wsman:OptionSet><wsman:Option Name="protocolversion">2.3</wsman:Option></wsman:OptionSet>'
        f'<wsman:SelectorSet><wsman:Selector Name="ShellId">{SHELL_ID}</wsman:Selector></wsman:SelectorSet>'
        f"</s:Header><s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


def test_request_is_read_by_namespace_not_prefix() -> None:
    for prefix in ("wsa", "zz"):
        parsed = wsman.parse_request(request(wsman.ACTION_RECEIVE, "<rsp:Receive/>", "PT0.500S", prefix))
        assert parsed.name == "Receive" and parsed.message_id == "uuid:AAA"
        assert parsed.operation_timeout == 0.5 and parsed.max_envelope_size == 512000
        assert parsed.options == {"protocolversion": "2.3"}
        assert parsed.shell_id() == uuid.UUID(SHELL_ID)


@pytest.mark.parametrize(
    "data", [b"<not-xml", b"<a/>", request("").replace(b"<wsa:Action></wsa:Action>", b"")]
)
def test_malformed_requests_raise_faults(data: bytes) -> None:
    with pytest.raises(wsman.Fault) as caught:
        wsman.parse_request(data)
    assert caught.value.http_status == 500


def test_missing_shell_id_is_invalid_selectors() -> None:
    parsed = wsman.parse_request(request(wsman.ACTION_RECEIVE).replace(SHELL_ID.encode(), b"not-a-guid"))
    with pytest.raises(wsman.Fault) as caught:
        parsed.shell_id()
    assert caught.value.code == 2150858843 and caught.value.subcode == "InvalidSelectors"


def test_fault_has_the_shape_pypsrp_parses() -> None:
    root = ElementTree.fromstring(wsman.render_fault(wsman.timed_out(), "uuid:REQ"))
    assert root.findtext("s:Header/a:RelatesTo", namespaces=NS) == "uuid:REQ"
    assert root.findtext("s:Header/a:Action", namespaces=NS) == wsman.ACTION_FAULT
    fault = root.find("s:Body/s:Fault", NS)
    assert fault is not None
    assert fault.findtext("s:Code/s:Value", namespaces=NS) == "s:Receiver"
    assert fault.findtext("s:Code/s:Subcode/s:Value", namespaces=NS) == "w:TimedOut"
    assert fault.find("s:Detail/f:WSManFault", NS).get("Code") == "2150858793"  # type: ignore[union-attr]


def test_create_response_carries_the_shell_id_selector() -> None:
    parsed = wsman.parse_request(request(wsman.ACTION_CREATE))
    root = ElementTree.fromstring(
        wsman.create_response(parsed, uuid.UUID(SHELL_ID), "http://127.0.0.1:1/wsman", "hvnet", "127.0.0.1")
    )
    selector = root.find("s:Body/x:ResourceCreated/a:ReferenceParameters/w:SelectorSet/w:Selector", NS)
    assert selector is not None and selector.get("Name") == "ShellId" and selector.text == SHELL_ID
    assert root.findtext("s:Body/rsp:Shell/rsp:State", namespaces=NS) == "Connected"


def test_receive_response_streams_and_done_state() -> None:
    parsed = wsman.parse_request(request(wsman.ACTION_RECEIVE))
    cid = uuid.uuid4()
    root = ElementTree.fromstring(wsman.receive_response(parsed, cid, ["QUJD", "REVG"], done=True))
    streams = root.findall("s:Body/rsp:ReceiveResponse/rsp:Stream", NS)
    assert [s.text for s in streams] == ["QUJD", "REVG"]
    assert {s.get("CommandId") for s in streams} == {str(cid).upper()}
    state = root.find("s:Body/rsp:ReceiveResponse/rsp:CommandState", NS)
    assert state is not None and state.get("State") == wsman.COMMAND_STATE_DONE
    assert state.findtext("rsp:ExitCode", namespaces=NS) == "0"
