"""A round trip cut in transit, and errors that name no command (fake session, no I/O)."""

from __future__ import annotations

from typing import Any

from structlog.testing import capture_logs

from engine.apply.executor import APPLIED, FAILED, SKIPPED, execute_host
from engine.errors import ConnectError, RemoteCommandError
from engine.plan.model import Change
from engine.transport.command import Pipeline
from engine.transport.retry import UNKNOWN_CMDLET

from .fakes import FakeSession, change, host_plan, step

SW = "hv1/VMSwitch/sw"


class CutOnce(FakeSession):
    """Drops the connection on round trip ``cut_at`` (1-based); ``ran`` says whether the host ran it first."""

    def __init__(self, cut_at: int = 1, ran: bool = True, cuts: int = 1, **kw: Any) -> None:
        super().__init__(**kw)
        self.cut_at, self.ran, self.cuts = cut_at, ran, cuts

    def run(self, statements: list[Pipeline]) -> list[list[Any]]:
        if len(self.calls) + 1 >= self.cut_at and self.cuts > 0:
            self.cuts -= 1
            if self.ran:
                super().run(statements)
            else:
                self.calls.append(list(statements))
            raise ConnectError(self.host, "connection reset by peer")
        return super().run(statements)


def _by_name(result: Any) -> dict[str, Any]:
    return {c.address.rsplit("/", 1)[-1]: c for c in result.changes}


def _plan() -> Any:
    return host_plan(
        change("sw", step("1", "New-VMSwitch", Name="sw")),
        change("vnic", step("2", "Add-VMNetworkAdapter"), requires=(SW,), kind="HostVNic"),
        change("team", step("3", "Set-VMSwitchTeam")),
    )


def test_changes_a_reread_confirms_count_as_applied_and_their_dependents_run() -> None:
    session = CutOnce(ran=True)
    plan = _plan()
    with capture_logs() as logs:
        result = execute_host(session, plan, recheck=lambda: {})  # the host now shows both changes of the cut trip
    got = _by_name(result)
    assert [got[n].status for n in ("sw", "vnic", "team")] == [APPLIED, APPLIED, APPLIED]
    assert session.cmdlets() == ["New-VMSwitch", "Set-VMSwitchTeam", "Add-VMNetworkAdapter"]  # nothing twice
    assert "confirmed by re-reading hv1 after the connection failed" in got["sw"].message
    assert result.interruptions == [
        "hv1: the connection failed during apply while running New-VMSwitch, Set-VMSwitchTeam "
        "(connection reset by peer); re-read the host: 2 of 2 changes of that round trip were confirmed"
    ]
    warnings = [e for e in logs if e["log_level"] == "warning"]
    assert [e["event"] for e in warnings] == ["apply.interrupted"]  # shown on stderr by default
    assert warnings[0]["detail"] == result.interruptions[0]


def test_a_repeatable_change_the_host_still_needs_is_sent_again() -> None:
    session = CutOnce(ran=False)
    plan = _plan()
    still_needed: dict[str, Change] = {SW: plan.changes[0], "hv1/VMSwitch/team": plan.changes[2]}
    result = execute_host(session, plan, recheck=lambda: still_needed)
    got = _by_name(result)
    assert got["team"].status == APPLIED
    assert session.cmdlets().count("Set-VMSwitchTeam") == 1
    # New-VMSwitch may still be in flight on a real host: never sent twice, its dependent waits for a re-run.
    assert got["sw"].status == FAILED and got["sw"].uncertain
    assert "outcome unknown" in got["sw"].message and "connection reset by peer" in got["sw"].message
    assert got["vnic"].status == SKIPPED and SW in got["vnic"].message
    assert "New-VMSwitch" not in session.cmdlets()
    assert result.interruptions[0].endswith(
        "0 of 2 changes of that round trip were confirmed, 1 sent again (repeatable), 1 with an unknown outcome"
    )


def test_when_the_host_cannot_be_reread_it_is_stopped_naming_the_connection_failure() -> None:
    session = CutOnce(ran=True)
    plan = host_plan(
        change("sw", step("1", "New-VMSwitch")),
        change("vnic", step("2", "Add-VMNetworkAdapter"), requires=(SW,), kind="HostVNic"),
        change("later", step("3", "Set-VMSwitch", deps=("1",))),
    )

    def unreachable() -> dict[str, Change]:
        raise ConnectError("hv1", "connection refused")

    result = execute_host(session, plan, recheck=unreachable)
    got = _by_name(result)
    assert got["sw"].status == FAILED and got["sw"].uncertain
    assert "lost the connection while running New-VMSwitch on hv1" in got["sw"].message
    for name in ("vnic", "later"):
        assert got[name].status == SKIPPED
        assert got[name].message == "not run: the connection to hv1 failed during apply (connection reset by peer)"
    assert len(session.calls) == 1  # nothing more was sent down a broken connection
    assert "could not re-read the host (hv1: connection refused)" in result.interruptions[0]
    assert "2 changes still to run were skipped" in result.interruptions[0]


def test_without_a_reread_the_host_is_stopped_too() -> None:
    session = CutOnce(ran=True)
    result = execute_host(session, _plan())
    got = _by_name(result)
    assert got["sw"].status == FAILED and got["team"].status == FAILED
    assert got["vnic"].status == SKIPPED and "connection to hv1 failed" in got["vnic"].message
    assert "no re-read available" in result.interruptions[0]


def test_a_second_cut_stops_the_host_instead_of_resending_for_ever() -> None:
    session = CutOnce(ran=False, cuts=5)
    plan = host_plan(change("team", step("1", "Set-VMSwitchTeam")), change("other", step("2", "Set-VMSwitch")))
    needed = {c.address: c for c in plan.changes}
    result = execute_host(session, plan, recheck=lambda: needed)
    assert len(session.calls) == 2  # the first try, one resend
    assert [c.status for c in result.changes] == [FAILED, FAILED]
    assert len(result.interruptions) == 2 and "a second round trip was cut" in result.interruptions[1]


class NamelessError(FakeSession):
    """The first round trip fails with an error record that names no command."""

    def run(self, statements: list[Pipeline]) -> list[list[Any]]:
        if not self.calls:
            self.calls.append(list(statements))
            raise RemoteCommandError(self.host, UNKNOWN_CMDLET, "", "NotSpecified", "the pipeline failed")
        return super().run(statements)


def test_an_error_naming_no_command_blames_no_step_of_a_shared_round_trip() -> None:
    plan = host_plan(change("a", step("1", "New-VMSwitch")), change("b", step("2", "Set-VMSwitch")))
    result = execute_host(NamelessError(), plan)
    for outcome in result.changes:
        assert outcome.status == FAILED and outcome.uncertain  # verification settles each
        assert "outcome unknown" in outcome.message and "the error names no command" in outcome.message
        assert "New-VMSwitch failed" not in outcome.message


def test_an_error_naming_no_command_in_a_single_statement_names_the_step() -> None:
    plan = host_plan(change("a", step("1", "New-VMSwitch")))
    result = execute_host(NamelessError(), plan)
    assert result.changes[0].status == FAILED and not result.changes[0].uncertain
    assert result.changes[0].message == "hv1/VMSwitch/a: step 1 (New-VMSwitch) failed on hv1: the pipeline failed"
