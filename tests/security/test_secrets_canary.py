"""Secrets: a canary password, read from the environment (``passwordEnv``) and really used
to log on, goes through EVERY command with ``-v -v --log-format json`` — and appears
nowhere: not on stdout, not on stderr, not in any file written (plans, reports, JUnit,
metrics, snapshots, imported manifests, state files, the role file), not even as the
base64 of a Basic auth header. Failure paths (a wrong password, an unreachable host)
are included, because exception text is where secrets usually leak.
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from robustness.harness import Result, hvnet

from .sim_endpoint import EXAMPLE_LAB, USER, plain_http_basic, psrp_lab, served

CANARY = "Canary-7f3e-pw-do-not-leak"
ENV = "HVNET_CANARY_PASSWORD"
LOUD = ("-v", "-v", "--log-format", "json")


def leaks(text: str) -> list[str]:
    basic = base64.b64encode(f"{USER}:{CANARY}".encode()).decode()
    return [marker for marker in (CANARY, basic, CANARY[::-1]) if marker in text]


def files_leaking(root: Path) -> list[str]:
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        text = path.read_bytes().decode("utf-8", "replace")
        if leaks(text):
            found.append(str(path))
    return found


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Result]]:
    root = tmp_path_factory.mktemp("canary")
    out = root / "out"
    out.mkdir()
    env = {ENV: CANARY}
    results: dict[str, Result] = {}
    saved = os.environ.get(ENV)
    os.environ[ENV] = CANARY
    try:
        fixture = EXAMPLE_LAB / "sim" / "lab1.yaml"
        with served(fixture, root / "sim-state.json", CANARY) as endpoint:
            lab = psrp_lab(root, plain_http_basic(endpoint.port, ENV))
            commands = {
                "validate": ["validate", str(lab)],
                "graph": ["graph", str(lab), "--format", "json"],
                "plan-text": ["plan", str(lab)],
                "plan-json": ["plan", str(lab), "--format", "json", "--out", str(out / "plan.json")],
                "plan-markdown": ["plan", str(lab), "--format", "markdown"],
                "snapshot": ["snapshot", str(lab), "--host", "lab1", "--out", str(out / "snapshot.json")],
                "import": ["import", str(lab), "--host", "lab1", "--out", str(out / "imported")],
                "status": ["status", str(lab), "--format", "json"],
                "drift": ["drift", str(lab), "--report", str(out / "drift.json"), "--junit", str(out / "junit.xml"),
                          "--metrics", str(out / "hvnet.prom")],
                "apply-saved-plan": ["apply", "--plan", str(out / "plan.json"), "--allow-disruptive",
                                     "--report", str(out / "apply-plan.json")],
                "apply": ["apply", str(lab), "--auto-approve", "--allow-disruptive", "--report", str(out / "apply.json")],
                "drift-after": ["drift", str(lab), "--report", str(out / "drift2.json")],
                "jea-role": ["jea-role", "--out", str(out / "hvnet.psrc")],
            }
            for name, args in commands.items():
                loud = LOUD if name != "jea-role" else ()
                results[name] = hvnet(*args, *loud, env=env)
            # Failure paths: a wrong password for the same account, and nobody listening.
            results["wrong-password"] = hvnet("plan", str(lab), *LOUD, env={ENV: CANARY + "-wrong"})
        results["unreachable"] = hvnet("plan", str(lab), *LOUD, env=env)
    finally:
        if saved is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = saved
    return root, results


def test_every_command_ran(runs: tuple[Path, dict[str, Result]]) -> None:
    _root, results = runs
    for name, result in results.items():
        result.assert_no_crash()
        if name not in ("wrong-password", "unreachable", "drift", "status", "plan-text", "plan-json",
                        "plan-markdown", "apply-saved-plan"):
            assert result.exit_code == 0, (name, result.output)
    assert results["wrong-password"].exit_code == 1
    assert results["unreachable"].exit_code == 1
    assert results["apply"].exit_code == 0


def test_the_canary_is_on_no_stream_of_any_command(runs: tuple[Path, dict[str, Result]]) -> None:
    _root, results = runs
    for name, result in results.items():
        assert leaks(result.stdout) == [], name
        assert leaks(result.stderr) == [], name


def test_the_canary_is_in_no_file_written(runs: tuple[Path, dict[str, Result]]) -> None:
    root, _results = runs
    written = [p for p in root.rglob("*") if p.is_file()]
    assert len(written) >= 10  # plans, reports, junit, metrics, snapshot, imports, states, role file
    assert files_leaking(root) == []


def test_debug_logs_really_were_on(runs: tuple[Path, dict[str, Result]]) -> None:
    """The check above means something only if -v -v --log-format json produced JSON debug lines."""
    _root, results = runs
    assert '"level": "debug"' in results["plan-json"].stderr


def test_sim_serve_keeps_its_password_out_of_output_and_state(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine", "sim", "serve", str(EXAMPLE_LAB / "sim" / "lab1.yaml"), "--state",
         str(state), "--tls"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "HVNET_SIM_PASSWORD": CANARY},
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline()
        assert url.startswith("https://127.0.0.1:")
    finally:
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert leaks(url + stdout + stderr) == []
    assert files_leaking(tmp_path) == []
