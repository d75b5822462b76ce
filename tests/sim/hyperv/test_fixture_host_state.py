"""SimulatedHost: state file, counters and fault injection (CONTRACT §4)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from engine.sim.host import SimulatedHost

from .read_world import cmd, run, spec


def write_fixture(tmp_path: Path, **overrides: object) -> Path:
    data = spec(**overrides)
    metadata = data.pop("metadata")
    path = tmp_path / "lab1.yaml"
    path.write_text(yaml.safe_dump({"apiVersion": "hvnet/v1", "kind": "SimulatedHost", "metadata": metadata, "spec": data}))
    return path


def test_state_file_is_written_on_load_and_reloaded_instead_of_the_fixture(tmp_path: Path) -> None:
    fixture = write_fixture(tmp_path)
    state = tmp_path / "state" / "lab1.json"
    host = SimulatedHost.from_fixture(fixture, state)
    assert state.exists()
    host.model.switches[0].notes = "changed"
    host.after_request()
    again = SimulatedHost.from_fixture(fixture, state)
    assert again.model.switches[0].notes == "changed"
    assert [p.name for p in state.parent.iterdir()] == ["lab1.json"]  # no temp file left behind


def test_counters_record_requests_and_every_cmdlet_with_json_safe_parameters(tmp_path: Path) -> None:
    host = SimulatedHost.from_fixture(write_fixture(tmp_path), tmp_path / "s.json")
    host.count_request("Receive")
    host.count_request("Receive")
    sw = host.model.switches[0]
    run(host, cmd("Get-VMSwitch", Id=sw.id), cmd("Set-VMSwitch", Notes="x"))
    host.after_request()
    data = json.loads((tmp_path / "s.json").read_text())
    assert data["counters"]["requests"] == {"Receive": 2}
    log = data["counters"]["cmdlets"]
    assert [c["cmdlet"] for c in log] == ["Get-VMSwitch", "Set-VMSwitch"]
    assert log[0]["parameters"] == {"Id": [sw.id]}
    assert log[1]["parameters"]["Notes"] == "x"
    assert [c["cmdlet"] for c in host.mutating_cmdlets()] == ["Set-VMSwitch"]


def test_fail_cmdlets_fails_only_the_nth_invocation_once(tmp_path: Path) -> None:
    fixture = write_fixture(tmp_path, faults={"failCmdlets": [{"cmdlet": "get-vmswitch", "nth": 2, "message": "injected"}]})
    host = SimulatedHost.from_fixture(fixture)
    first = run(host, cmd("Get-VMSwitch"))
    second = run(host, cmd("Get-VMSwitch"))
    third = run(host, cmd("Get-VMSwitch"))
    assert first.terminating is None and len(first.output) == 4
    failure = second.terminating or (second.errors[0] if second.errors else None)
    assert failure is not None and failure.message == "injected"
    assert third.terminating is None and len(third.output) == 4


def test_fault_counting_continues_across_a_reload_from_the_state_file(tmp_path: Path) -> None:
    fixture = write_fixture(tmp_path, faults={"failCmdlets": [{"cmdlet": "Get-VM", "nth": 2, "message": "later"}]})
    state = tmp_path / "s.json"
    host = SimulatedHost.from_fixture(fixture, state)
    run(host, cmd("Get-VM"))
    host.after_request()
    reloaded = SimulatedHost.from_fixture(fixture, state)
    result = run(reloaded, cmd("Get-VM"))
    failure = result.terminating or (result.errors[0] if result.errors else None)
    assert failure is not None and failure.message == "later"


def test_drop_after_requests_drops_request_n_plus_one_once(tmp_path: Path) -> None:
    host = SimulatedHost.from_fixture(write_fixture(tmp_path, faults={"dropAfterRequests": 3, "latencyMs": 25}))
    assert host.latency_ms == 25
    assert [host.should_drop(n) for n in (1, 2, 3, 4, 4, 5)] == [False, False, False, True, False, False]
