"""End to end over the simulated host: the real pypsrp client, real HTTP(S), real auth."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypsrp.powershell
import pytest
import structlog

from engine.errors import AuthError, ConnectError, RemoteCommandError
from engine.inventory import ConnectionSettings, InventoryHost
from engine.observe.collect import collect_observed, collection_statements
from engine.sim import start_simulator
from engine.sim.host import SimulatedHost
from engine.transport.command import Cmdlet, Pipeline
from engine.transport.factory import open_session
from engine.transport.psrp import PsrpSession
from engine.transport.retry import RetryPolicy

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "manifests" / "examples" / "lab" / "sim" / "lab1.yaml"
CANARY = "Canary-Pw-7f3a9c"


@pytest.fixture(autouse=True)
def no_script(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any add_script call anywhere in the transport fails the test."""

    def refuse(*_a: Any, **_k: Any) -> None:
        raise AssertionError("add_script must never be called")

    monkeypatch.setattr(pypsrp.powershell.PowerShell, "add_script", refuse)
    monkeypatch.setenv("HVNET_TEST_PW", CANARY)


@pytest.fixture()
def sim_host() -> SimulatedHost:
    return SimulatedHost.from_fixture(FIXTURE)


def _settings(port: int, **kw: Any) -> ConnectionSettings:
    base: dict[str, Any] = {
        "server": "127.0.0.1",
        "port": port,
        "username": "hvnet",
        "password_env": "HVNET_TEST_PW",
    }
    base.update(kw)
    return ConnectionSettings(**base)


def _assert_lab1(observed: Any) -> None:
    assert observed.facts.computer_name == "LAB1"
    assert [n.name for n in observed.net_adapters] == ["NIC1", "SLOT 3 Port 1", "SLOT 3 Port 2"]
    p1 = observed.nic_named("SLOT 3 Port 1")
    assert (p1.sriov_support, p1.sriov_enabled, p1.sriov_max_vfs, p1.link_speed_bps) == (
        "Supported",
        False,
        64,
        25_000_000_000,
    )
    (sw,) = observed.switches
    assert (sw.name, sw.switch_type, sw.uplinks, sw.bandwidth_reservation_mode) == (
        "sw-mgmt",
        "External",
        ("NIC1",),
        "Weight",
    )
    assert sw.notes == "management; do not touch"
    assert [v.name for v in observed.vms] == ["legacy01", "web01", "web02"]
    assert observed.vms_named("web02")[0].state == "Off"
    (legacy,) = observed.vm_adapters_named("legacy01", "Network Adapter")
    assert (
        legacy.vlan.mode == "Access" and legacy.vlan.access_vlan_id == 5 and legacy.switch_name == "sw-mgmt"
    )
    (front,) = observed.vm_adapters_named("web01", "Frontend")
    assert front.switch_name is None and front.mac_address == "00155D010A01"
    (vnic,) = observed.host_vnics_named("sw-mgmt")
    assert "10.0.0.21/24" in vnic.ip_addresses


def test_basic_over_tls_with_pinned_certificate_collects_lab1(sim_host: SimulatedHost) -> None:
    with start_simulator(sim_host, tls=True, auth="basic", username="hvnet", password=CANARY) as server:
        settings = _settings(server.port, auth="basic", ssl=True, ca_bundle=server.cert_pem)
        with PsrpSession("lab1", settings) as session:
            observed = collect_observed(session, "lab1")
    _assert_lab1(observed)
    assert observed.connection_address == "127.0.0.1"


def test_ntlm_with_message_encryption_collects_lab1(sim_host: SimulatedHost) -> None:
    with start_simulator(sim_host, auth="ntlm", username="hvnet", password=CANARY) as server:
        settings = _settings(server.port, auth="ntlm", ssl=False, encryption="always")
        with PsrpSession("lab1", settings) as session:
            observed = collect_observed(session, "lab1")
    _assert_lab1(observed)


def test_sim_transport_open_collect_close_costs_at_most_8_requests() -> None:
    host = InventoryHost("lab1", connection=ConnectionSettings(transport="sim", fixture=str(FIXTURE)))
    session = open_session(host)
    with session:
        observed = collect_observed(session, "lab1")
    _assert_lab1(observed)
    requests = session.sim_host.counters["requests"]  # type: ignore[attr-defined]
    assert sum(requests.values()) <= 8, requests
    assert session.requests_made == sum(requests.values())
    assert requests.get("Command") == 1  # the whole state in ONE invocation
    assert requests.get("Delete") == 1  # the pool was closed


def test_sim_state_persists_and_request_counts_are_per_session(tmp_path: Path) -> None:
    settings = ConnectionSettings(transport="sim", fixture=str(FIXTURE), state=str(tmp_path / "lab1.json"))
    counts = []
    for _ in range(2):
        session = open_session(InventoryHost("lab1", connection=settings))
        with session:
            collect_observed(session, "lab1")
            counts.append(session.requests_made)
    assert (tmp_path / "lab1.json").exists()
    assert counts[0] == counts[1] and 0 < counts[0] <= 8


def test_only_the_collection_cmdlets_reach_the_host(sim_host: SimulatedHost) -> None:
    with start_simulator(sim_host, auth="basic", username="hvnet", password=CANARY) as server:
        settings = _settings(server.port, auth="basic", ssl=False, allow_unencrypted_basic=True)
        with PsrpSession("lab1", settings) as session:
            collect_observed(session, "lab1")
    invoked = {c["cmdlet"] for c in sim_host.counters["cmdlets"]}
    expected = {c.name for p in collection_statements() for c in p.commands} | {"Measure-Object"}
    assert invoked == expected
    assert sim_host.mutating_cmdlets() == []


def test_cmdlet_error_is_a_typed_remote_command_error(sim_host: SimulatedHost) -> None:
    with start_simulator(sim_host, auth="basic", username="hvnet", password=CANARY) as server:
        settings = _settings(server.port, auth="basic", ssl=False, allow_unencrypted_basic=True)
        with PsrpSession("lab1", settings) as session:
            with pytest.raises(RemoteCommandError) as err:
                session.run([Pipeline((Cmdlet.of("Get-VMSwitch", Name="no-such-switch"),))])
            # the session stays usable after a cmdlet error
            assert session.run([Pipeline((Cmdlet.of("Get-VM", Name="web01"),))])[0]
    e = err.value
    # Hyper-V reports a missing switch as InvalidArgument / InvalidParameter (hyperv-model §2.1).
    assert (e.host, e.cmdlet, e.category, e.error_id) == (
        "lab1",
        "Get-VMSwitch",
        "InvalidArgument",
        "InvalidParameter",
    )
    assert "no-such-switch" in e.message


def test_unknown_cmdlet_fails_with_command_not_found(sim_host: SimulatedHost) -> None:
    with start_simulator(sim_host, auth="basic", username="hvnet", password=CANARY) as server:
        settings = _settings(server.port, auth="basic", ssl=False, allow_unencrypted_basic=True)
        with PsrpSession("lab1", settings) as session, pytest.raises(RemoteCommandError) as err:
            session.run([Pipeline((Cmdlet.of("Get-Nothing"),))])
    assert err.value.error_id == "CommandNotFoundException"


def test_wrong_password_is_an_auth_error_and_not_retried(
    sim_host: SimulatedHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HVNET_TEST_PW", "wrong-" + CANARY)
    with start_simulator(sim_host, auth="basic", username="hvnet", password=CANARY) as server:
        settings = _settings(server.port, auth="basic", ssl=False, allow_unencrypted_basic=True)
        with PsrpSession("lab1", settings) as session, pytest.raises(AuthError) as err:
            session.run([Pipeline((Cmdlet.of("Get-VM"),))])
    assert CANARY not in str(err.value)
    assert sum(sim_host.counters["requests"].values()) <= 1


def test_connection_refused_is_retried_then_a_connect_error() -> None:
    settings = _settings(1, auth="basic", ssl=False, allow_unencrypted_basic=True, connection_timeout=2)
    waits: list[float] = []
    session = PsrpSession("lab1", settings, retry=RetryPolicy(attempts=3), sleep=waits.append)
    with session, pytest.raises(ConnectError, match="lab1"):
        session.run([Pipeline((Cmdlet.of("Get-VM"),))])
    assert len(waits) == 2


@pytest.fixture()
def captured_logs() -> Iterator[io.StringIO]:
    """Everything logged at DEBUG by stdlib logging (pypsrp, requests) and structlog, as JSON."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    structlog.configure(
        processors=[structlog.processors.JSONRenderer()],
        logger_factory=structlog.WriteLoggerFactory(file=buffer),
    )
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        structlog.reset_defaults()


def test_canary_password_never_in_logs_errors_or_state_files(
    tmp_path: Path, captured_logs: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "lab1.json"
    sim_host = SimulatedHost.from_fixture(FIXTURE, state)
    with start_simulator(sim_host, tls=True, auth="basic", username="hvnet", password=CANARY) as server:
        settings = _settings(server.port, auth="basic", ssl=True, cert_validation=False)
        with PsrpSession("lab1", settings) as session:
            observed = collect_observed(session, "lab1")
            with pytest.raises(RemoteCommandError) as err:
                session.run([Pipeline((Cmdlet.of("Get-VMSwitch", Name="nope"),))])
        monkeypatch.setenv("HVNET_TEST_PW", "bad")
        with PsrpSession("lab1", settings) as bad, pytest.raises(AuthError) as auth_err:
            bad.run([Pipeline((Cmdlet.of("Get-VM"),))])
    logs = captured_logs.getvalue()
    assert "transport.tls_validation_disabled" in logs  # the warning is there...
    assert "host.connect" in logs and "Sending message" in logs  # ...and DEBUG really was on
    assert CANARY not in logs
    assert (
        CANARY not in str(err.value) and CANARY not in repr(err.value) and CANARY not in str(auth_err.value)
    )
    assert CANARY not in json.dumps(observed.to_json())
    for file in tmp_path.rglob("*"):
        if file.is_file():
            assert CANARY not in file.read_text(encoding="utf-8", errors="replace")


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_canary_password_absent_from_cli_output_at_debug(
    tmp_path: Path, log_format: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from engine.cli.cmd_snapshot import snapshot_command

    sim_host = SimulatedHost.from_fixture(FIXTURE)
    with start_simulator(sim_host, auth="ntlm", username="hvnet", password=CANARY) as server:
        (tmp_path / "inventory.yaml").write_text(
            "apiVersion: hvnet/v1\nkind: Inventory\nmetadata: {name: t}\nspec:\n  hosts:\n"
            "    - name: lab1\n      connection: {transport: psrp, server: 127.0.0.1, port: "
            f"{server.port}, ssl: false, auth: ntlm, username: hvnet, passwordEnv: HVNET_TEST_PW}}\n",
            encoding="utf-8",
        )
        args = [str(tmp_path), "--host", "lab1", "-vv", "--log-format", log_format]
        ok = CliRunner().invoke(snapshot_command, args)  # NTLM + message encryption over HTTP
        monkeypatch.setenv("HVNET_TEST_PW", "not-" + CANARY)
        denied = CliRunner().invoke(snapshot_command, args)
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["facts"]["computer_name"] == "LAB1"
    assert "host.connect" in ok.output  # debug logging really was on
    assert denied.exit_code == 1 and "authentication failed" in denied.output
    assert "Traceback" not in denied.output
    assert CANARY not in ok.output and CANARY not in denied.output
