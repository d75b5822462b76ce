"""How failures reach the user: exit codes and one clear line, never a bare traceback."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from engine import manifest
from engine.cli.main import hvnet, main
from engine.errors import AuthError, Diagnostic, ManifestError, Position, RemoteCommandError
from engine.logging import forget_secrets, register_secret, reset_logging


@pytest.fixture(autouse=True)
def _clean_logging() -> Iterator[None]:
    yield
    forget_secrets()
    reset_logging()


def graph_failing_with(monkeypatch: pytest.MonkeyPatch, exc: BaseException, *flags: str):  # type: ignore[no-untyped-def]
    def load_project(paths: object) -> None:
        raise exc

    monkeypatch.setattr(manifest, "load_project", load_project)
    return CliRunner().invoke(hvnet, ["graph", "somewhere", *flags])


def test_manifest_error_prints_every_diagnostic_and_a_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    diags = [
        Diagnostic("'numVFs' must be an integer (got 'x')", Position("a.yaml", 7, 11)),
        Diagnostic("unknown key 'uplink'", Position("b.yaml", 3, 3), detail="did you mean 'uplinks'?"),
    ]
    result = graph_failing_with(monkeypatch, ManifestError(diags))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "a.yaml:7:11: error: 'numVFs' must be an integer (got 'x')",
        "b.yaml:3:3: error: unknown key 'uplink'",
        "  did you mean 'uplinks'?",
        "2 errors in 2 files",
    ]


def test_engine_error_is_one_line_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    exc = RemoteCommandError(
        "hv01", "Set-VMSwitch", "InvalidParameter", "InvalidArgument", "bad\nsecond line"
    )
    result = graph_failing_with(monkeypatch, exc)
    assert result.exit_code == 1
    assert result.stderr == "hvnet: error: hv01: Set-VMSwitch failed: bad\n"


def test_unexpected_exception_is_an_internal_error_without_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    result = graph_failing_with(monkeypatch, ZeroDivisionError("division by zero"))
    assert result.exit_code == 1
    assert "hvnet: internal error: ZeroDivisionError: division by zero" in result.stderr
    assert "cli.crashed" in result.stderr  # the log line
    assert "Traceback" not in result.stderr


def test_traceback_of_an_internal_error_only_with_vv(monkeypatch: pytest.MonkeyPatch) -> None:
    result = graph_failing_with(monkeypatch, ZeroDivisionError("division by zero"), "-vv")
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr


def test_interrupt_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    result = graph_failing_with(monkeypatch, KeyboardInterrupt())
    assert result.exit_code == 130
    assert result.stderr == "hvnet: interrupted\n"


def test_a_registered_secret_never_reaches_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    canary = "canary-7f3e-Pa55"
    register_secret(canary)
    result = graph_failing_with(monkeypatch, AuthError("hv01", f"login as admin:{canary} refused"))
    assert result.exit_code == 1
    assert canary not in result.stderr
    assert "hvnet: error: hv01: login as admin:*** refused" in result.stderr
    crash = graph_failing_with(monkeypatch, RuntimeError(f"token {canary}"), "-vv")
    assert canary not in crash.stderr


def test_main_returns_exit_codes_instead_of_raising() -> None:
    assert main(["--version"]) == 0
    assert main(["no-such-command"]) == 1


def test_python_dash_m_engine_is_the_hvnet_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "engine", "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0
    assert done.stdout.startswith("hvnet ")
