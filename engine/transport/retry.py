"""Which transport failures are worth another attempt, and how long to wait.

Only transient *transport* failures are retried (connection refused or reset, a
timeout while connecting). Cmdlet errors, authentication failures and malformed
answers are terminal: repeating them changes nothing, and repeating a mutation
that may already have run is unsafe.
"""

from __future__ import annotations

import random
import ssl
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from pypsrp.exceptions import (
    AuthenticationError,
    FragmentError,
    InvalidPSRPOperation,
    SerializationError,
    WinRMError,
    WinRMTransportError,
    WSManFaultError,
)

from engine.errors import (
    AuthError,
    ConnectError,
    EngineError,
    HostTimeout,
    ProtocolError,
    RemoteCommandError,
    TransportError,
)
from engine.transport.command import Pipeline

T = TypeVar("T")

# WS-Management fault codes that mean "you may not" rather than "I broke".
_ACCESS_DENIED_CODES = {5, 0x80070005}


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: attempt n waits up to base * 2**(n-1), capped."""

    attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based)."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return ceiling * (0.5 + 0.5 * rand())


def classify(host: str, exc: BaseException) -> EngineError:
    """Map a pypsrp / requests failure onto the engine's typed errors."""
    if isinstance(exc, EngineError):
        return exc
    if isinstance(exc, AuthenticationError):
        return AuthError(host, f"authentication failed: {exc}")
    if isinstance(exc, requests.exceptions.SSLError | ssl.SSLError):
        err: TransportError = ConnectError(host, f"TLS handshake failed: {_first_line(exc)}")
        err.retryable = False  # a certificate problem does not heal by waiting
        return err
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return HostTimeout(host, f"timed out connecting: {_first_line(exc)}")
    if isinstance(exc, requests.exceptions.ReadTimeout):
        err = HostTimeout(host, f"timed out waiting for an answer: {_first_line(exc)}")
        err.retryable = False  # the request may have been executed
        return err
    if isinstance(exc, requests.exceptions.ConnectionError | ConnectionError):
        return ConnectError(host, f"connection failed: {_first_line(exc)}")
    if isinstance(exc, WSManFaultError):
        if exc.code in _ACCESS_DENIED_CODES:
            return AuthError(host, f"access denied by the WinRM endpoint: {exc.reason}")
        return ProtocolError(host, f"WS-Management fault {exc.code}: {exc.reason}")
    if isinstance(exc, WinRMTransportError):
        if exc.code in (425, 429, 503):
            return ConnectError(host, f"endpoint busy (HTTP {exc.code})")
        return ProtocolError(host, f"unexpected HTTP {exc.code} from the WinRM endpoint")
    if isinstance(exc, SerializationError | FragmentError | InvalidPSRPOperation | ET.ParseError):
        return ProtocolError(host, f"malformed PSRP answer: {_first_line(exc)}")
    if isinstance(exc, WinRMError):
        return ProtocolError(host, f"WinRM error: {_first_line(exc)}")
    return ProtocolError(host, f"unexpected {type(exc).__name__}: {_first_line(exc)}")


def is_transient(err: EngineError) -> bool:
    return isinstance(err, TransportError) and err.retryable


def with_retry(
    host: str,
    action: Callable[[], T],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    rand: Callable[[], float] = random.random,
    on_retry: Callable[[int, EngineError, float], None] | None = None,
) -> T:
    """Run ``action``; on a transient failure wait and try again, up to ``policy.attempts``."""
    attempt = 1
    while True:
        try:
            return action()
        except (WinRMError, requests.exceptions.RequestException, OSError, ET.ParseError, EngineError) as exc:
            err = classify(host, exc)
            if not is_transient(err) or attempt >= policy.attempts:
                if err is exc:
                    raise
                raise err from exc
            wait = policy.delay(attempt, rand)
            if on_retry is not None:
                on_retry(attempt, err, wait)
            sleep(wait)
            attempt += 1


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


# System.Management.Automation.ErrorCategory, by number (pypsrp gives the number).
ERROR_CATEGORIES = [
    "NotSpecified",
    "OpenError",
    "CloseError",
    "DeviceError",
    "DeadlockDetected",
    "InvalidArgument",
    "InvalidData",
    "InvalidOperation",
    "InvalidResult",
    "InvalidType",
    "MetadataError",
    "NotImplemented",
    "NotInstalled",
    "ObjectNotFound",
    "OperationStopped",
    "OperationTimeout",
    "SyntaxError",
    "ParserError",
    "PermissionDenied",
    "ResourceBusy",
    "ResourceExists",
    "ResourceUnavailable",
    "ReadError",
    "WriteError",
    "FromStdErr",
    "SecurityError",
    "ProtocolError",
    "ConnectionError",
    "AuthenticationError",
    "LimitsExceeded",
    "QuotaExceeded",
    "NotEnabled",
]


# What a RemoteCommandError names when the error record does not say which command failed:
# naming the invocation's first cmdlet instead would blame the wrong one.
UNKNOWN_CMDLET = "the invocation"


def remote_command_error(
    host: str, statements: list[Pipeline], errors: list[Any], failed: bool
) -> RemoteCommandError:
    """Build the typed error from pypsrp's error stream (or a bare Failed state)."""
    if not errors:
        reason = "the pipeline failed without an error record" if failed else "the pipeline reported errors"
        return RemoteCommandError(host, UNKNOWN_CMDLET, "", "NotSpecified", reason)
    record = errors[0]
    fq_error = str(getattr(record, "fq_error", "") or "")
    category = getattr(record, "category", None)
    category_name = (
        ERROR_CATEGORIES[category]
        if isinstance(category, int) and 0 <= category < len(ERROR_CATEGORIES)
        else "NotSpecified"
    )
    extra = {"errors": str(len(errors))} if len(errors) > 1 else {}
    return RemoteCommandError(
        host=host,
        cmdlet=failing_cmdlet(record, statements) or UNKNOWN_CMDLET,
        error_id=fq_error.split(",")[0],
        category=category_name,
        message=_record_message(record),
        target=str(getattr(record, "target_name", "") or ""),
        extra=extra,
    )


def failing_cmdlet(record: Any, statements: list[Pipeline]) -> str:
    """The command an ErrorRecord is about, from the record itself; "" when it does not say.

    In order: CategoryInfo.Activity (PowerShell fills it with MyCommand's name), the
    serialized MyCommand / InvocationInfo, the command a CommandNotFoundException could
    not find (its TargetObject), and the cmdlet type in FullyQualifiedErrorId
    (``…,Microsoft.HyperV.PowerShell.Commands.GetVMSwitch``) matched against what was sent.
    """
    for attr in ("activity", "command_name", "invocation_name"):
        name = _text(getattr(record, attr, None))
        if name:
            return name
    name = _invocation_info_command(getattr(record, "invocation_info", None))
    if name:
        return name
    fq_error = _text(getattr(record, "fq_error", None))
    if _is_command_not_found(record, fq_error):
        name = _text(getattr(record, "target_object", None)) or _text(getattr(record, "target_name", None))
        if name:
            return name
    return _cmdlet_from_error_id(fq_error, statements)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _invocation_info_command(info: Any) -> str:
    """MyCommand.Name or InvocationName of a deserialized InvocationInfo object."""
    props: dict[str, Any] = {}
    for attr in ("extended_properties", "adapted_properties"):
        found = getattr(info, attr, None)
        if isinstance(found, dict):
            props.update(found)
    command = props.get("MyCommand")
    for source in (getattr(command, "adapted_properties", None), getattr(command, "extended_properties", None)):
        if isinstance(source, dict) and _text(source.get("Name")):
            return _text(source.get("Name"))
    return _text(command) or _text(props.get("InvocationName"))


def _is_command_not_found(record: Any, fq_error: str) -> bool:
    marker = "CommandNotFoundException"
    return fq_error.split(",")[0] == marker or _text(getattr(record, "reason", None)) == marker


def _cmdlet_from_error_id(fq_error: str, statements: list[Pipeline]) -> str:
    """``Set-VMSwitch`` for ``…,Microsoft.HyperV.PowerShell.Commands.SetVMSwitch`` when one was sent."""
    _, _, type_name = fq_error.partition(",")
    short = type_name.rsplit(".", 1)[-1].casefold()
    if not short:
        return ""
    names = sorted({c.name for p in statements for c in p.commands if c.name.replace("-", "").casefold() == short})
    return names[0] if len(names) == 1 else ""


def _record_message(record: Any) -> str:
    exception = getattr(record, "exception", None)
    for props in (
        getattr(exception, "adapted_properties", None),
        getattr(exception, "extended_properties", None),
    ):
        if isinstance(props, dict) and props.get("Message"):
            return str(props["Message"])
    details = getattr(record, "details_message", None)
    if details:
        return str(details)
    text = str(record) if record is not None else ""
    return text or str(getattr(record, "message", "") or "unknown error")
