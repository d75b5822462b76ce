"""Faults end to end, through the simulator's fault injection (CONTRACT §4 ``faults``).

The matrix: a failing cmdlet at every kind of step the planner emits (``failCmdlets``),
the connection dropped during collection and during apply (``dropAfterRequests``),
answers slower than the read timeout (latency switched on mid-run), a second host whose
password is wrong, and a server answering garbage (test_malformed_server.py).

For each fault: the run ends with a clear error (or recovers by itself), every mutating
cmdlet the host ran is accounted for by a change the report shows as attempted,
nothing exists twice, and a plain re-run converges.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from engine.apply.lock import LOCK_PATH

from .figures import FIGURES
from .harness import (
    Result,
    SlowAnswers,
    copy_example_lab,
    duplicates,
    fail_next,
    hvnet,
    log_length,
    mutating_calls,
    prime,
    set_faults,
    state,
    state_file,
    unreported_calls,
)
from .stages import EDITS

CONSENT = ("--auto-approve", "--allow-disruptive")

FAILING_CMDLETS: list[tuple[str, str]] = [
    ("fresh", "Set-NetAdapterSriov"),
    ("fresh", "New-VMSwitch"),
    ("fresh", "Set-VMSwitchTeam"),
    ("fresh", "Set-VMSwitch"),
    ("fresh", "Add-VMNetworkAdapter"),
    ("fresh", "Set-VMNetworkAdapter"),
    ("fresh", "Set-VMNetworkAdapterVlan"),
    ("fresh", "Connect-VMNetworkAdapter"),
    ("fresh", "New-NetVirtualizationProviderAddress"),
    ("fresh", "New-NetVirtualizationLookupRecord"),
    ("fresh", "New-NetVirtualizationCustomerRoute"),
    ("fresh", "New-Item"),  # taking the host lock
    ("shrink", "Disable-NetAdapterSriov"),
    ("shrink", "Remove-VMSwitchTeamMember"),
    ("shrink", "Disconnect-VMNetworkAdapter"),
    ("shrink", "Remove-VMNetworkAdapter"),
    ("shrink", "Remove-NetVirtualizationCustomerRoute"),
    ("shrink", "Remove-NetVirtualizationLookupRecord"),
    ("shrink", "Remove-NetVirtualizationProviderAddress"),
    ("regrow", "Enable-NetAdapterSriov"),
    ("regrow", "Add-VMSwitchTeamMember"),
    ("replace", "Remove-VMSwitch"),
    ("replace", "New-VMSwitch"),  # the old switch is gone, its adapters detached
]


def _copy(source: Path, dest: Path) -> Path:
    shutil.copytree(source, dest)
    return dest


def _converge(lab: Path) -> None:
    result = hvnet("apply", str(lab), *CONSENT)
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def stages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each stage's starting point: its manifests, and the host state of the stage before it, converged."""
    root = tmp_path_factory.mktemp("stages")
    fresh = copy_example_lab(root / "fresh-root")
    prime(fresh)
    converged = _copy(fresh, root / "converged")
    _converge(converged)
    shrink = _copy(converged, root / "shrink")
    EDITS["shrink"](shrink)
    shrunk = _copy(shrink, root / "shrunk")
    _converge(shrunk)
    regrow = _copy(shrunk, root / "regrow")
    EDITS["regrow"](regrow)
    replace = _copy(converged, root / "replace")
    EDITS["replace"](replace)
    return {"fresh": fresh, "shrink": shrink, "regrow": regrow, "replace": replace}


def check_reported_and_converges(lab: Path, report: Path, start: int) -> Result:
    """Every mutating call accounted for, nothing twice, and a plain re-run converges."""
    doc = json.loads(report.read_text(encoding="utf-8"))
    calls = mutating_calls(lab, start=start)
    assert unreported_calls(calls, doc) == []
    assert duplicates(lab) == []
    rerun = hvnet("apply", str(lab), *CONSENT)
    rerun.assert_no_crash()
    assert rerun.exit_code == 0, rerun.output
    assert duplicates(lab) == []
    return rerun


@pytest.mark.parametrize(("stage", "cmdlet"), FAILING_CMDLETS, ids=[f"{s}-{c}" for s, c in FAILING_CMDLETS])
def test_a_failing_cmdlet_is_reported_and_a_rerun_converges(
    stages: dict[str, Path], tmp_path: Path, stage: str, cmdlet: str
) -> None:
    lab = _copy(stages[stage], tmp_path / "lab")
    start = log_length(lab)
    fail_next(lab, cmdlet, message=f"injected: {cmdlet} refused")
    FIGURES["injected"] += 1
    report = tmp_path / "report.json"
    result = hvnet("apply", str(lab), *CONSENT, "--report", str(report))
    result.assert_no_crash()
    ran = [e["cmdlet"] for e in state(lab)["counters"]["cmdlets"][start:]]
    assert cmdlet in ran, f"the {stage} plan no longer runs {cmdlet}: move it to a stage that does"
    assert result.exit_code == 1, result.output
    assert f"injected: {cmdlet} refused" in result.stderr  # the host's own message reaches the user
    check_reported_and_converges(lab, report, start)
    FIGURES["survived"] += 1


def test_a_failing_lock_release_is_retried_and_leaves_no_lock(stages: dict[str, Path], tmp_path: Path) -> None:
    lab = _copy(stages["fresh"], tmp_path / "lab")
    fail_next(lab, "Remove-Item")
    FIGURES["injected"] += 1
    result = hvnet("apply", str(lab), *CONSENT)
    assert result.exit_code == 0, result.output
    assert [f["path"] for f in state(lab)["model"]["files"]] == []
    FIGURES["survived"] += 1
    FIGURES["recovered_in_run"] += 1


# --- the connection --------------------------------------------------------------------------

# Requests of one apply of the fresh lab: 1 Create, then Command + Receive per round trip
# (lock + collect, one per wave of steps, verify + unlock), then Delete: 15 in all.
DROPS = {"opening": 0, "collection": 2, "first-steps": 5, "mid-apply": 8, "verification": 12}


@pytest.mark.parametrize("after", list(DROPS.values()), ids=list(DROPS))
def test_a_dropped_connection_is_reported_and_a_rerun_converges(
    stages: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, after: int
) -> None:
    from engine.sim.host import SimulatedHost

    dropped: list[int] = []
    should_drop = SimulatedHost.should_drop

    def recording(self: SimulatedHost, request_number: int) -> bool:
        answer = should_drop(self, request_number)
        if answer:
            dropped.append(request_number)
        return answer

    monkeypatch.setattr(SimulatedHost, "should_drop", recording)
    lab = _copy(stages["fresh"], tmp_path / "lab")
    start = log_length(lab)
    set_faults(lab, drop_after_requests=after)
    FIGURES["injected"] += 1
    report = tmp_path / "report.json"
    result = hvnet("apply", str(lab), *CONSENT, "--report", str(report))
    result.assert_no_crash()
    assert dropped == [after + 1]  # the fault really fired
    assert "connection" in result.stderr, result.stderr  # shown even when the run recovers
    if result.exit_code == 0:
        FIGURES["recovered_in_run"] += 1  # a read retried, or a cut round trip settled by a re-read
    check_reported_and_converges(lab, report, start)
    FIGURES["survived"] += 1


@pytest.fixture
def short_read_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTP reads give up 0.5 s after the operation timeout (hvnet allows 10 s; that would make this slow).

    Used with ``operationTimeout: 1``: the server's long polls still end before the read does.
    """
    import engine.transport.psrp as psrp

    original = psrp.wsman_arguments

    def wsman_arguments(*args: Any, **kwargs: Any) -> dict[str, Any]:
        arguments = original(*args, **kwargs)
        return {**arguments, "read_timeout": arguments["operation_timeout"] + 0.5}

    monkeypatch.setattr(psrp, "wsman_arguments", wsman_arguments)


def with_one_second_operations(lab: Path) -> Path:
    inventory = lab / "inventory.yaml"
    text = inventory.read_text(encoding="utf-8")
    inventory.write_text(text.replace("fixture: sim/lab1.yaml", "fixture: sim/lab1.yaml\n        operationTimeout: 1"),
                         encoding="utf-8")
    return lab


def slow_down(monkeypatch: pytest.MonkeyPatch, slow: SlowAnswers) -> None:
    from engine.sim.host import SimulatedHost

    monkeypatch.setattr(SimulatedHost, "latency_ms", property(slow.latency))


@pytest.mark.parametrize(("after", "count"), [(1, 1), (7, 1)], ids=["during-collection", "during-apply"])
def test_one_answer_slower_than_the_timeout_is_survived(
    stages: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, short_read_timeout: None,
    after: int, count: int,
) -> None:
    lab = with_one_second_operations(_copy(stages["fresh"], tmp_path / "lab"))
    start = log_length(lab)
    slow = SlowAnswers(after=after, ms=2500, count=count)
    slow_down(monkeypatch, slow)
    FIGURES["injected"] += 1
    report = tmp_path / "report.json"
    result = hvnet("apply", str(lab), *CONSENT, "--report", str(report))
    result.assert_no_crash()
    assert slow.slowed == count
    slow.count = 0
    if result.exit_code == 0:
        FIGURES["recovered_in_run"] += 1
    else:
        assert "timed out" in result.stderr
    check_reported_and_converges(lab, report, start)
    FIGURES["survived"] += 1


def test_a_host_that_stops_answering_fails_with_a_clear_timeout(
    stages: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, short_read_timeout: None
) -> None:
    lab = with_one_second_operations(_copy(stages["fresh"], tmp_path / "lab"))
    start = log_length(lab)
    slow = SlowAnswers(after=7, ms=2500, count=None)  # from the first steps on, every answer is late
    slow_down(monkeypatch, slow)
    FIGURES["injected"] += 1
    report = tmp_path / "report.json"
    result = hvnet("apply", str(lab), *CONSENT, "--report", str(report))
    result.assert_no_crash()
    assert result.exit_code == 1
    assert "timed out waiting for an answer" in result.stderr
    slow.count = 0
    data = state(lab)
    if any(f["path"] == LOCK_PATH for f in data["model"]["files"]):
        # The unlock timed out too: the next run names the lock and how to clear it; the operator does.
        blocked = hvnet("apply", str(lab), *CONSENT)
        assert blocked.exit_code == 1 and LOCK_PATH in blocked.stderr and "remove the file" in blocked.stderr
        data["model"]["files"] = [f for f in data["model"]["files"] if f["path"] != LOCK_PATH]
        state_file(lab).write_text(json.dumps(data), encoding="utf-8")
    check_reported_and_converges(lab, report, start)
    FIGURES["survived"] += 1


def test_a_wrong_password_on_the_second_host_fails_only_that_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """lab1 (in-process simulator) converges; lab2 (reached over psrp) refuses the password:
    a clear authentication error for lab2 alone, nothing ran there, and with the right
    password a re-run converges both."""
    import yaml

    from engine.sim import start_simulator
    from engine.sim.host import SimulatedHost

    lab = copy_example_lab(tmp_path)
    lab2 = SimulatedHost.from_fixture(lab / "sim" / "lab1.yaml", tmp_path / "lab2-state.json")
    server = start_simulator(lab2, auth="basic", username="svc", password="right-Password-2")
    try:
        inventory = yaml.safe_load((lab / "inventory.yaml").read_text(encoding="utf-8"))
        inventory["spec"]["hosts"].append({"name": "lab2", "labels": {"site": "lab", "role": "compute"},
                                           "connection": {"transport": "psrp", "server": "127.0.0.1",
                                                          "port": server.port, "ssl": False, "auth": "basic",
                                                          "username": "svc", "passwordEnv": "HVNET_LAB2_PW",
                                                          "allowUnencryptedBasic": True}})
        (lab / "inventory.yaml").write_text(yaml.safe_dump(inventory, sort_keys=False), encoding="utf-8")
        monkeypatch.setenv("HVNET_LAB2_PW", "wrong-password")
        FIGURES["injected"] += 1
        report = tmp_path / "report.json"
        result = hvnet("apply", str(lab), *CONSENT, "--report", str(report))
        result.assert_no_crash()
        assert result.exit_code == 1
        assert "lab2" in result.stderr and "authenticat" in result.stderr.lower(), result.stderr
        assert "wrong-password" not in result.output
        hosts = {h["name"]: h for h in json.loads(report.read_text(encoding="utf-8"))["hosts"]}
        assert hosts["lab1"]["status"] == "fixed"
        assert hosts["lab2"]["status"] in ("failed", "unreachable")
        assert lab2.counters["cmdlets"] == []  # nothing ran on the host that refused us
        monkeypatch.setenv("HVNET_LAB2_PW", "right-Password-2")
        rerun = hvnet("apply", str(lab), *CONSENT)
        assert rerun.exit_code == 0, rerun.output
        assert duplicates(lab) == []
        FIGURES["survived"] += 1
    finally:
        server.stop()
