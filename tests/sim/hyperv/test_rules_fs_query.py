"""Select-String and Test-Path on the lock folder, and Remove-Item bound from the pipe:
the pieces of hvnet's conditional lock release, with PowerShell's semantics and errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.jea import HVNET_ROLE, LOCK_PATH_PATTERN, ParamRule, VisibleCmdlet, restrict_registry
from engine.sim.dispatcher import InvocationResult, run_invocation
from engine.sim.host import SimulatedHost
from engine.sim.hyperv import cmdlets_fs_query as Q
from engine.sim.hyperv.model import HostModel, VFile
from engine.sim.objects import CommandCall, PSObj

from .rules_world import Ctx, world

LOCK = "C:\\ProgramData\\hvnet\\lock"
OURS, THEIRS = "a1" * 16, "b2" * 16
FIXTURE = """\
apiVersion: hvnet/v1
kind: SimulatedHost
metadata: {name: fs1}
spec:
  computerName: FS1
  osBuild: 20348
  netAdapters: []
  vms: []
  switches: []
"""


def with_file(content: str, path: str = LOCK) -> HostModel:
    model = world()
    model.files.append(VFile(path=path, content=content, created_utc="2026-01-02T03:04:05+00:00",
                             modified_utc="2026-01-02T03:04:05+00:00"))
    return model


def select(model: HostModel, **params: object) -> tuple[list[PSObj], Ctx]:
    ctx = Ctx()
    return Q.select_string(model, ctx, {"LiteralPath": [LOCK], **params}), ctx


def test_a_match_is_one_match_info_with_the_real_property_set() -> None:
    model = with_file(f'{{"holder": "me", "run_id": "{OURS}"}}')
    (info,), ctx = select(model, Pattern=[OURS.upper()], SimpleMatch=True, List=True)
    assert ctx.errors == [] and info.type_names == ["Microsoft.PowerShell.Commands.MatchInfo"]
    assert list(info.properties) == ["IgnoreCase", "LineNumber", "Line", "Filename", "Path", "Pattern", "Context",
                                     "Matches"]
    assert (info.get("Path"), info.get("Filename"), info.get("LineNumber")) == (LOCK, "lock", 1)
    assert (info.get("Pattern"), info.get("IgnoreCase"), info.get("Context")) == (OURS.upper(), True, None)
    assert info.get("Matches").items == []  # -SimpleMatch: Matches is empty
    assert info.to_string == f'{LOCK}:1:{{"holder": "me", "run_id": "{OURS}"}}'


def test_no_match_writes_nothing_and_no_error() -> None:
    out, ctx = select(with_file(f'{{"run_id": "{THEIRS}"}}'), Pattern=[OURS], SimpleMatch=True, List=True)
    assert out == [] and ctx.errors == []


def test_list_stops_at_the_first_matching_line_of_the_file() -> None:
    model = with_file("a run\r\nno\rrun b\n\nrun c\n")
    every, _ = select(model, Pattern=["run"], SimpleMatch=True)
    assert [(m.get("LineNumber"), m.get("Line")) for m in every] == [(1, "a run"), (3, "run b"), (5, "run c")]
    (first,), _ = select(model, Pattern=["run"], SimpleMatch=True, List=True)
    assert first.get("LineNumber") == 1


def test_case_insensitive_unless_case_sensitive_and_the_first_matching_pattern_is_reported() -> None:
    model = with_file("Hello World")
    assert select(model, Pattern=["WORLD"], SimpleMatch=True)[0]
    assert select(model, Pattern=["WORLD"], SimpleMatch=True, CaseSensitive=True)[0] == []
    (hit,), _ = select(model, Pattern=["nope", "hello", "World"], SimpleMatch=True)
    assert (hit.get("Pattern"), hit.get("IgnoreCase")) == ("hello", True)


def test_without_simple_match_the_pattern_is_a_regular_expression() -> None:
    model = with_file("id=42.5")
    (hit,), _ = select(model, Pattern=[r"\d+\.\d"])
    assert [m.to_string for m in hit.get("Matches").items] == ["42.5"]
    assert select(model, Pattern=["42x5"], SimpleMatch=True)[0] == []  # '.' is literal text with -SimpleMatch
    assert select(model, Pattern=["42.5"], SimpleMatch=True)[0]


def test_a_missing_file_is_a_non_terminating_processing_file_error() -> None:
    out, ctx = select(world(), Pattern=[OURS], SimpleMatch=True, List=True)
    (error,) = ctx.errors
    assert out == []
    assert error.fully_qualified_error_id == "ProcessingFile,Microsoft.PowerShell.Commands.SelectStringCommand"
    assert (error.category, error.exception_type) == ("InvalidArgument", "System.ArgumentException")
    assert error.message == f"The file {LOCK} cannot be read: Could not find file '{LOCK}'."


@pytest.mark.parametrize("path", ["C:\\Windows\\win.ini", "C:\\ProgramData\\hvnet\\..\\x", "C:\\ProgramData\\hvnet"])
def test_outside_the_lock_folder_or_a_folder_is_access_denied(path: str) -> None:
    ctx = Ctx()
    assert Q.select_string(world(), ctx, {"LiteralPath": [path], "Pattern": ["x"]}) == []
    (error,) = ctx.errors
    assert error.fully_qualified_error_id.startswith("ProcessingFile,") and "Access to the path" in error.message


def test_test_path_answers_true_or_false_never_an_error() -> None:
    model = with_file("x")
    assert Q.path_exists(model, {"LiteralPath": [LOCK, LOCK + "2", "C:\\Windows\\win.ini"]}) == [True, False, False]
    assert Q.path_exists(model, {"LiteralPath": [LOCK], "PathType": "Container"}) == [False]
    assert Q.path_exists(model, {"Path": ["C:\\ProgramData\\hvnet\\lo*"], "PathType": "Leaf"}) == [True]
    assert Q.path_exists(model, {"LiteralPath": ["C:\\ProgramData\\hvnet\\lo*"]}) == [False]  # literal


# --- Remove-Item bound from the pipe, through the dispatcher ----------------------------------------------


@pytest.fixture
def host(tmp_path: Path) -> SimulatedHost:
    fixture = tmp_path / "fs1.yaml"
    fixture.write_text(FIXTURE, encoding="utf-8")
    return SimulatedHost.from_fixture(fixture)


def call(name: str, **params: object) -> CommandCall:
    return CommandCall(name, tuple((k, None if v is True else v) for k, v in params.items()))


def take(host: SimulatedHost, run_id: str) -> None:
    result = run_invocation(host, [[call("New-Item", LiteralPath=LOCK, ItemType="File", Value=f'{{"run_id": "{run_id}"}}')]])
    assert result.errors == [] and result.terminating is None


def release(host: SimulatedHost, run_id: str) -> InvocationResult:
    match = call("Select-String", LiteralPath=LOCK, Pattern=run_id, SimpleMatch=True, List=True)
    return run_invocation(host, [[match, call("Remove-Item")], [call("Test-Path", LiteralPath=LOCK)]])


def test_select_string_piped_to_remove_item_removes_only_a_file_that_still_holds_the_run_id(
    host: SimulatedHost,
) -> None:
    take(host, THEIRS)
    kept = release(host, OURS)
    assert (kept.errors, kept.output, host.model.file(LOCK) is not None) == ([], [True], True)
    assert "Remove-Item" not in [e["cmdlet"] for e in host.counters["cmdlets"]]  # no input: never ran
    removed = release(host, THEIRS)
    assert (removed.errors, removed.output, host.model.file(LOCK)) == ([], [False], None)
    assert host.counters["cmdlets"][-2] == {"cmdlet": "Remove-Item", "parameters": {"Path": [LOCK]}}
    assert [e["cmdlet"] for e in host.mutating_cmdlets()] == ["New-Item", "Remove-Item"]


def test_remove_item_binds_a_piped_string_by_value_and_an_item_by_its_ps_path(host: SimulatedHost) -> None:
    take(host, OURS)
    result = run_invocation(host, [[call("Remove-Item")]], pipeline_input=[LOCK])
    assert result.errors == [] and host.model.file(LOCK) is None
    take(host, OURS)
    result = run_invocation(host, [[call("Get-Item", LiteralPath=LOCK), call("Remove-Item")]])
    assert result.errors == [] and host.model.file(LOCK) is None
    assert host.counters["cmdlets"][-1]["parameters"] == {
        "LiteralPath": ["Microsoft.PowerShell.Core\\FileSystem::" + LOCK]}


def test_a_piped_object_without_a_path_property_is_not_bound_and_the_pipeline_goes_on(host: SimulatedHost) -> None:
    take(host, OURS)
    other = PSObj(["Some.Thing"], {"Name": "x"}, "x")
    result = run_invocation(host, [[call("Remove-Item")], [call("Test-Path", LiteralPath=LOCK)]],
                            pipeline_input=[other])
    (error,) = result.errors
    assert error.fully_qualified_error_id == "InputObjectNotBound,Microsoft.PowerShell.Commands.RemoveItemCommand"
    assert result.terminating is None and result.output == [True]


def test_under_the_jea_role_the_piped_path_is_validated_and_must_be_visible(host: SimulatedHost) -> None:
    unrestricted = host.registry
    host.registry = restrict_registry(unrestricted, HVNET_ROLE)
    take(host, OURS)
    assert release(host, OURS).errors == [] and host.model.file(LOCK) is None
    take(host, OURS)
    bad = run_invocation(host, [[call("Select-String", LiteralPath=LOCK, Pattern="not-a-run-id", SimpleMatch=True)]])
    assert bad.terminating is not None
    assert bad.terminating.fully_qualified_error_id.startswith("ParameterArgumentValidationError,")
    # A role that shows Remove-Item -LiteralPath only (hvnet's old role): the MatchInfo binds nothing.
    literal_only = [c if c.name != "Remove-Item" else
                    VisibleCmdlet("Remove-Item", (ParamRule("LiteralPath", validate_pattern=LOCK_PATH_PATTERN),))
                    for c in HVNET_ROLE]
    host.registry = restrict_registry(unrestricted, literal_only)
    result = release(host, OURS)
    assert result.errors[0].fully_qualified_error_id.startswith("InputObjectNotBound,")
    assert host.model.file(LOCK) is not None
