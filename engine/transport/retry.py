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


def remote_command_error(
    host: str, statements: list[Pipeline], errors: list[Any], failed: bool
) -> RemoteCommandError:
    """Build the typed error from pypsrp's error stream (or a bare Failed state)."""
    first_cmdlet = statements[0].commands[0].name if statements and statements[0].commands else ""
    if not errors:
        reason = "the pipeline failed without an error record" if failed else "the pipeline reported errors"
        return RemoteCommandError(host, first_cmdlet, "", "NotSpecified", reason)
    record = errors[0]
    fq_error = str(getattr(record, "fq_error", "") or "")
    category = getattr(record, "category", None)
    category_name = (
        ERROR_CATEGORIES[category]
        if isinstance(category, int) and 0 <= category < len(ERROR_CATEGORIES)
        else "NotSpecified"
    )
    cmdlet = str(getattr(record, "activity", "") or getattr(record, "invocation_name", "") or first_cmdlet)
    extra = {"errors": str(len(errors))} if len(errors) > 1 else {}
    return RemoteCommandError(
        host=host,
        cmdlet=cmdlet,
        error_id=fq_error.split(",")[0],
        category=category_name,
        message=_record_message(record),
        target=str(getattr(record, "target_name", "") or ""),
        extra=extra,
    )


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
