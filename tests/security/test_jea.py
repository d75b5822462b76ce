"""Least privilege: ``hvnet jea-role`` writes a role capability allowing exactly what hvnet
runs, and the simulator, enforcing that role like a JEA endpoint, lets a full apply of
the example lab through while refusing anything outside it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan
from robustness.harness import hvnet

from engine.apply.lock import (
    LOCK_PATH,
    inspect_statements,
    new_run_id,
    release_statements,
    remove_statement,
    take_statement,
)
from engine.jea import (
    HVNET_ROLE,
    LOCK_PATH_PATTERN,
    allowed_parameters,
    parse_role_capability,
    render_role_capability,
)
from engine.observe.collect import collection_statements
from engine.transport.psrp import SEPARATOR_CMDLET

from .sim_endpoint import EXAMPLE_LAB, USER, plain_http_basic, psrp_lab, served

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "jea-Test-pw-1"


def pipeline_calls(pipelines: Any) -> list[tuple[str, frozenset[str]]]:
    return [(c.name, frozenset(k for k, _ in c.parameters)) for p in pipelines for c in p.commands]


def plan_calls(plan: dict[str, Any]) -> list[tuple[str, frozenset[str]]]:
    return [
        (c["cmdlet"], frozenset(c["parameters"]))
        for host in plan["hosts"]
        for change in host["changes"]
        for step in change.get("steps", [])
        for c in step["pipeline"]
    ]


def outside_role(calls: list[tuple[str, frozenset[str]]]) -> list[str]:
    allowed = allowed_parameters()
    problems = []
    for cmdlet, params in calls:
        key = cmdlet.casefold()
        if key not in allowed:
            problems.append(f"{cmdlet} is not in the role")
            continue
        visible = allowed[key]
        extra = sorted(p for p in params if visible is not None and p.casefold() not in visible)
        if extra:
            problems.append(f"{cmdlet} -{' -'.join(extra)} is not in the role")
    return problems


def test_the_role_covers_the_collector_the_lock_and_the_separator() -> None:
    from datetime import UTC, datetime

    lock = [take_statement("me", "run", datetime.now(UTC)), *inspect_statements(), *release_statements(new_run_id()),
            remove_statement(new_run_id()), remove_statement(None)]
    calls = pipeline_calls([*collection_statements(), *lock])
    assert outside_role([*calls, (SEPARATOR_CMDLET, frozenset())]) == []


def test_the_role_covers_every_step_of_the_golden_plans_and_the_lab_plan(tmp_path: Path) -> None:
    """A broad synthetic plan: every golden scenario (create, update, replace with dependents,
    VLAN transitions, management path, HNV) plus a live plan of the example lab."""
    calls: list[tuple[str, frozenset[str]]] = []
    for path in sorted((REPO / "tests" / "golden" / "plan").glob("*/plan.json")):
        calls += plan_calls(json.loads(path.read_text(encoding="utf-8")))
    from robustness.harness import copy_example_lab

    lab = copy_example_lab(tmp_path)
    result = hvnet("plan", str(lab), "--format", "json")
    assert result.exit_code == 0, result.stderr
    calls += plan_calls(json.loads(result.stdout))
    assert len({name for name, _ in calls}) >= 15  # the scenarios really are broad
    assert outside_role(calls) == []


def test_every_role_entry_is_used_by_hvnet_code() -> None:
    """Nothing extra: each visible cmdlet and parameter is named in engine/ (outside the simulator)."""
    sources = "\n".join(
        p.read_text(encoding="utf-8")
        for p in (REPO / "engine").rglob("*.py")
        if "sim" not in p.relative_to(REPO / "engine").parts and p.name != "jea.py"
    )
    piped_into = {"VMNetworkAdapter", "VMSwitch", "InputObject", "VM"}  # bound by pipeline input, never by name
    for cmdlet in HVNET_ROLE:
        assert f'"{cmdlet.name}"' in sources or cmdlet.name == SEPARATOR_CMDLET, cmdlet.name
        for rule in cmdlet.parameters or ():
            if rule.name in piped_into:
                continue
            assert f'"{rule.name}"' in sources or f"{rule.name}=" in sources, f"{cmdlet.name} -{rule.name}"


def test_the_rendered_file_reads_back_as_the_same_role_and_pins_the_lock_path() -> None:
    text = render_role_capability()
    assert parse_role_capability(text) == HVNET_ROLE
    assert text == render_role_capability()  # deterministic
    import re

    assert re.fullmatch(LOCK_PATH_PATTERN, LOCK_PATH)
    assert not re.fullmatch(LOCK_PATH_PATTERN, "C:\\Windows\\System32\\config\\SAM")
    assert f"ValidatePattern = '{LOCK_PATH_PATTERN}'" in text


def test_jea_role_command_writes_the_file(tmp_path: Path) -> None:
    out = tmp_path / "hvnet.psrc"
    result = hvnet("jea-role", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert parse_role_capability(out.read_text(encoding="utf-8-sig")) == HVNET_ROLE
    printed = hvnet("jea-role")
    assert printed.stdout == render_role_capability()


@pytest.fixture
def role_file(tmp_path: Path) -> Path:
    path = tmp_path / "hvnet.psrc"
    path.write_text(render_role_capability(), encoding="utf-8")
    return path


def test_a_full_apply_of_the_example_lab_succeeds_under_the_generated_role(
    tmp_path: Path, role_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HVNET_JEA_TEST_PW", PASSWORD)
    fixture = EXAMPLE_LAB / "sim" / "lab1.yaml"
    with served(fixture, tmp_path / "state.json", PASSWORD, jea_role=str(role_file)) as endpoint:
        lab = psrp_lab(tmp_path, plain_http_basic(endpoint.port, "HVNET_JEA_TEST_PW"))
        first = hvnet("apply", str(lab), "--auto-approve", "--allow-disruptive")
        assert first.exit_code == 0, first.output
        again = hvnet("plan", str(lab), "--detailed-exitcode")
        assert again.exit_code == 0, again.output
        seen = {e["cmdlet"] for e in endpoint.host.counters["cmdlets"]}
    assert {"New-VMSwitch", "Set-VMNetworkAdapterVlan", "New-Item", "Select-String", "Remove-Item", "Test-Path"} <= seen


def _invoke(port: int, *commands: tuple[str, dict[str, Any]]) -> PowerShell:
    wsman = WSMan("127.0.0.1", port=port, ssl=False, auth="basic", encryption="never", username=USER,
                  password=PASSWORD, path="wsman", operation_timeout=5, connection_timeout=5)
    with RunspacePool(wsman) as pool:
        ps = PowerShell(pool)
        for name, params in commands:
            ps.add_cmdlet(name)
            for key, value in params.items():
                ps.add_parameter(key, value)
        ps.invoke()
        return ps


@pytest.mark.parametrize(
    ("commands", "error_id"),
    [
        ([("Get-ComputerInfo", {})], "CommandNotFoundException"),  # the simulated host has it; the role hides it
        ([("Rename-VMSwitch", {"Name": "sw-mgmt", "NewName": "x"})], "CommandNotFoundException"),
        ([("Get-VMSwitch", {"Name": "*"})], "NamedParameterNotFound"),  # only -Id is visible
        ([("Remove-Item", {"LiteralPath": "C:\\Windows\\win.ini"})], "ParameterArgumentValidationError"),
        ([("New-Item", {"LiteralPath": LOCK_PATH, "ItemType": "Directory", "Value": "x"})],
         "ParameterArgumentValidationError"),
        ([("Remove-Item", {"Path": "C:\\ProgramData\\hvnet\\*"})], "ParameterArgumentValidationError"),
        ([("Select-String", {"LiteralPath": LOCK_PATH, "Pattern": ".*", "SimpleMatch": True})],
         "ParameterArgumentValidationError"),
        ([("Test-Path", {"Path": LOCK_PATH})], "NamedParameterNotFound"),
    ],
    ids=["invisible-cmdlet", "unused-mutation", "invisible-parameter", "lock-path-pattern", "item-type-pattern",
         "piped-path-pattern", "run-id-pattern", "test-path-literal-only"],
)
def test_a_call_outside_the_role_fails_like_a_jea_endpoint(
    tmp_path: Path, role_file: Path, commands: list[tuple[str, dict[str, Any]]], error_id: str
) -> None:
    fixture = EXAMPLE_LAB / "sim" / "lab1.yaml"
    with served(fixture, tmp_path / "state.json", PASSWORD, jea_role=str(role_file)) as endpoint:
        before = json.dumps(endpoint.host.model.to_json(), sort_keys=True)
        ps = _invoke(endpoint.port, *commands)
    assert ps.had_errors
    assert any(error_id in str(e.fq_error) for e in ps.streams.error), [str(e) for e in ps.streams.error]
    assert json.dumps(endpoint.host.model.to_json(), sort_keys=True) == before


def test_sim_serve_enforces_a_role_file(tmp_path: Path, role_file: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "engine", "sim", "serve", str(EXAMPLE_LAB / "sim" / "lab1.yaml"),
         "--user", USER, "--jea-role", str(role_file), "--state", str(tmp_path / "state.json")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "HVNET_SIM_PASSWORD": PASSWORD},
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
        hidden = _invoke(port, ("Get-ComputerInfo", {}))
        allowed = _invoke(port, ("Get-VMHost", {}))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert any("CommandNotFoundException" in str(e.fq_error) for e in hidden.streams.error)
    assert not allowed.had_errors and allowed.output


def test_a_role_missing_a_cmdlet_names_it_and_leaves_no_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An outdated role: the error names the hidden cmdlet (not "another run holds the lock"),
    and the run's own lock file does not stay behind to block the next run."""
    from engine.jea import HVNET_ROLE

    role = tmp_path / "old.psrc"
    role.write_text(render_role_capability([c for c in HVNET_ROLE if c.name != "Get-VMSwitchTeam"]), encoding="utf-8")
    monkeypatch.setenv("HVNET_JEA_TEST_PW", PASSWORD)
    with served(EXAMPLE_LAB / "sim" / "lab1.yaml", tmp_path / "state.json", PASSWORD, jea_role=str(role)) as endpoint:
        lab = psrp_lab(tmp_path, plain_http_basic(endpoint.port, "HVNET_JEA_TEST_PW"))
        result = hvnet("apply", str(lab), "--auto-approve", "--allow-disruptive")
        files = [f["path"] for f in endpoint.host.model.to_json()["files"]]
    assert result.exit_code == 1
    assert "'Get-VMSwitchTeam' is not recognized" in result.stderr
    assert "holds the host's lock" not in result.stderr
    assert files == []


def test_a_fixture_jea_role_is_enforced_for_transport_sim(tmp_path: Path) -> None:
    from robustness.harness import copy_example_lab, state

    lab = copy_example_lab(tmp_path)
    (lab / "sim" / "hvnet.psrc").write_text(render_role_capability(), encoding="utf-8")
    fixture = lab / "sim" / "lab1.yaml"
    fixture.write_text(fixture.read_text(encoding="utf-8").replace("spec:\n", "spec:\n  jeaRole: hvnet.psrc\n", 1),
                       encoding="utf-8")
    assert hvnet("validate", str(lab)).exit_code == 0
    result = hvnet("apply", str(lab), "--auto-approve", "--allow-disruptive")
    assert result.exit_code == 0, result.output
    assert state(lab)["jea_role"] == str(lab / "sim" / "hvnet.psrc")
