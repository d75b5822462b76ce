"""Which failures are retried, and how long hvnet waits between attempts."""

from __future__ import annotations

import ssl
import xml.etree.ElementTree as ET

import pytest
import requests
from pypsrp.exceptions import AuthenticationError, SerializationError, WinRMTransportError, WSManFaultError

from engine.errors import AuthError, ConnectError, HostTimeout, ProtocolError, RemoteCommandError
from engine.transport.retry import RetryPolicy, classify, is_transient, with_retry


@pytest.mark.parametrize(
    ("exc", "kind", "transient"),
    [
        (requests.exceptions.ConnectionError("[Errno 111] Connection refused"), ConnectError, True),
        (ConnectionResetError(104, "Connection reset by peer"), ConnectError, True),
        (requests.exceptions.ConnectTimeout("connect timed out"), HostTimeout, True),
        (requests.exceptions.ReadTimeout("read timed out"), HostTimeout, False),  # may have executed
        (requests.exceptions.SSLError("CERTIFICATE_VERIFY_FAILED"), ConnectError, False),
        (ssl.SSLError("bad handshake"), ConnectError, False),
        (AuthenticationError("Failed to authenticate the user u with ntlm"), AuthError, False),
        (WSManFaultError(5, "hv01", "Access is denied.", "", ""), AuthError, False),
        (WSManFaultError(2150858843, "hv01", "invalid selectors", "", ""), ProtocolError, False),
        (WinRMTransportError("http", 503, "busy"), ConnectError, True),
        (WinRMTransportError("http", 500, "boom"), ProtocolError, False),
        (SerializationError("bad clixml"), ProtocolError, False),
        (ET.ParseError("not xml"), ProtocolError, False),
    ],
)
def test_classification(exc: BaseException, kind: type, transient: bool) -> None:
    err = classify("hv01", exc)
    assert isinstance(err, kind)
    assert is_transient(err) is transient
    assert str(err).startswith("hv01: ")


def test_cmdlet_errors_are_never_transient() -> None:
    err = RemoteCommandError("hv01", "Set-VMSwitch", "InvalidParameter", "InvalidArgument", "nope")
    assert not is_transient(classify("hv01", err))


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(attempts=6, base_delay=0.5, max_delay=3.0)
    assert [policy.delay(n, rand=lambda: 1.0) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert [policy.delay(n, rand=lambda: 0.0) for n in range(1, 4)] == [0.25, 0.5, 1.0]


def test_with_retry_returns_the_first_success() -> None:
    outcomes = iter([requests.exceptions.ConnectionError("refused"), "ok"])

    def action() -> str:
        value = next(outcomes)
        if isinstance(value, Exception):
            raise value
        return value

    retries: list[int] = []
    result = with_retry(
        "hv01", action, RetryPolicy(), sleep=lambda _s: None, on_retry=lambda n, _e, _w: retries.append(n)
    )
    assert result == "ok" and retries == [1]


def test_terminal_error_raises_at_once_with_the_cause_kept() -> None:
    def action() -> None:
        raise AuthenticationError("denied")

    with pytest.raises(AuthError) as err:
        with_retry("hv01", action, RetryPolicy(attempts=5), sleep=lambda _s: pytest.fail("must not wait"))
    assert isinstance(err.value.__cause__, AuthenticationError)
