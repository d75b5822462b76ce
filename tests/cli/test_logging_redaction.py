"""Logs: JSON or console on the given stream, colour rules, and secret redaction."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from engine.logging import (
    configure_logging,
    forget_secrets,
    get_logger,
    redact_text,
    register_secret,
    reset_logging,
)

CANARY = "canary-Zq9!x-secret-value"


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    yield
    forget_secrets()
    reset_logging()


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def json_lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_canary_secret_and_sensitive_keys_are_redacted_in_json_logs() -> None:
    out = io.StringIO()
    configure_logging("json", verbosity=1, stream=out)
    register_secret(CANARY)
    get_logger(host="hv01").info(
        "host.connected",
        password="hunter2-plain",
        url=f"https://svc:{CANARY}@hv01:5986/wsman",
        connection={"username": "svc", "apiToken": "tok-123", "nested": [CANARY]},
        attempts=2,
    )
    text = out.getvalue()
    assert CANARY not in text and "hunter2-plain" not in text and "tok-123" not in text
    (line,) = json_lines(out)
    assert line["event"] == "host.connected"
    assert line["host"] == "hv01"
    assert line["password"] == "***"
    assert line["url"] == "https://svc:***@hv01:5986/wsman"
    assert line["connection"] == {"username": "svc", "apiToken": "***", "nested": ["***"]}
    assert line["attempts"] == 2
    assert line["level"] == "info"
    assert "timestamp" in line


def test_a_secret_inside_an_exception_traceback_is_redacted() -> None:
    out = io.StringIO()
    configure_logging("json", stream=out)
    register_secret(CANARY)
    try:
        raise ConnectionError(f"auth failed for {CANARY}")
    except ConnectionError:
        get_logger().exception("host.failed")
    assert CANARY not in out.getvalue()
    assert "auth failed for ***" in json_lines(out)[0]["exception"]  # type: ignore[operator]


def test_library_logs_through_stdlib_logging_are_redacted_too() -> None:
    # pypsrp's own records are shown only from -vvv (they repeat what hvnet reports).
    out = io.StringIO()
    configure_logging("console", verbosity=3, stream=out)
    register_secret(CANARY)
    logging.getLogger("pypsrp.wsman").warning("sending credentials %s", CANARY)
    assert "sending credentials ***" in out.getvalue()
    assert CANARY not in out.getvalue()


def test_chatty_library_records_are_hidden_below_vvv_and_others_redacted() -> None:
    out = io.StringIO()
    configure_logging("console", verbosity=0, stream=out)
    register_secret(CANARY)
    logging.getLogger("pypsrp.wsman").warning("retrying with %s", CANARY)
    logging.getLogger("some.other.library").warning("token %s", CANARY)
    assert "retrying" not in out.getvalue()
    assert "token ***" in out.getvalue() and CANARY not in out.getvalue()


def test_short_secrets_are_hidden_only_where_a_whole_value_equals_them() -> None:
    register_secret("ab")
    assert redact_text("ab") == "***"
    assert redact_text("tabs and labels") == "tabs and labels"


def test_verbosity_controls_which_levels_appear() -> None:
    quiet = io.StringIO()
    configure_logging("console", verbosity=0, stream=quiet)
    get_logger().info("plan.built")
    get_logger().warning("host.skipped", host="hv02")
    assert "plan.built" not in quiet.getvalue()
    assert "host.skipped" in quiet.getvalue() and "host=hv02" in quiet.getvalue()
    loud = io.StringIO()
    configure_logging("console", verbosity=2, stream=loud)
    get_logger().debug("step.prepared")
    assert "step.prepared" in loud.getvalue()


def test_colour_only_on_a_tty_and_never_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    tty = FakeTTY()
    configure_logging("console", stream=tty)
    get_logger().warning("host.skipped")
    assert "\x1b[" in tty.getvalue()

    pipe = io.StringIO()
    configure_logging("console", stream=pipe)
    get_logger().warning("host.skipped")
    assert "\x1b[" not in pipe.getvalue()

    monkeypatch.setenv("NO_COLOR", "1")
    tty_no_color = FakeTTY()
    configure_logging("console", stream=tty_no_color)
    get_logger().warning("host.skipped")
    assert "\x1b[" not in tty_no_color.getvalue()
    assert "host.skipped" in tty_no_color.getvalue()


def test_unknown_log_format_is_refused() -> None:
    with pytest.raises(ValueError, match="log format must be one of console, json"):
        configure_logging("xml")
