"""``hvnet sim serve``: exit codes, the printed URL, clean shutdown on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from engine.cli.cmd_sim import sim

REPO = Path(__file__).resolve().parents[3]
FIXTURE = REPO / "manifests" / "examples" / "lab" / "sim" / "lab1.yaml"


def test_missing_password_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HVNET_SIM_PASSWORD", raising=False)
    result = CliRunner().invoke(sim, ["serve", str(tmp_path / "any.yaml")])
    assert result.exit_code == 1
    assert "HVNET_SIM_PASSWORD" in result.output


def test_bad_fixture_exits_1_with_diagnostics(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HVNET_SIM_PASSWORD", "pw")
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: hvnet/v1\nkind: Inventory\nmetadata: {name: x}\nspec: {hosts: []}\n")
    result = CliRunner().invoke(sim, ["serve", str(bad)])
    assert result.exit_code == 1
    assert "bad.yaml" in result.output


@pytest.mark.skipif(not FIXTURE.exists(), reason="example fixture not present")
@pytest.mark.parametrize("tls", [False, True])
def test_serve_prints_url_serves_pypsrp_and_stops_cleanly_on_sigterm(tmp_path: Path, tls: bool) -> None:
    state = tmp_path / "state.json"
    env = {**os.environ, "HVNET_SIM_PASSWORD": "pw-123"}
    code = "from engine.cli.cmd_sim import sim; sim(prog_name='hvnet sim')"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            "serve",
            str(FIXTURE),
            "--state",
            str(state),
            *(["--tls"] if tls else []),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = proc.stdout.readline().strip()  # type: ignore[union-attr]
        assert url.startswith("https://127.0.0.1:" if tls else "http://127.0.0.1:") and url.endswith("/wsman")
        cert = proc.stdout.readline().strip() if tls else False  # type: ignore[union-attr]
        assert cert is False or Path(cert).read_text().startswith("-----BEGIN CERTIFICATE-----")
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        wsman = WSMan(
            "127.0.0.1",
            port=port,
            ssl=tls,
            cert_validation=cert,
            auth="basic",
            encryption="never",
            username="hvnet",
            password="pw-123",
        )
        with RunspacePool(wsman) as pool:
            ps = PowerShell(pool)
            ps.add_cmdlet("Get-VMSwitch")
            ps.invoke()
            assert not ps.had_errors
        assert state.exists() and '"Create": 1' in state.read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
