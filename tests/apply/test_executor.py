"""The executor: order, batching, Ref resolution, failure isolation (fake session, no I/O)."""

from __future__ import annotations

from engine.apply.executor import APPLIED, BLOCKED, FAILED, SKIPPED, execute_host
from engine.transport.command import Cmdlet, Pipeline, Ref, Step

from .fakes import FakeSession, change, host_plan, step


def _by_address(result):
    return {c.address.rsplit("/", 1)[-1]: c for c in result.changes}


def test_independent_steps_share_a_round_trip_and_dependent_steps_wait():
    plan = host_plan(
        change("a", step("1", "Set-A"), step("2", "Set-B", deps=("1",))),
        change("b", step("3", "Set-C")),
    )
    session = FakeSession()
    result = execute_host(session, plan)
    assert [[p.commands[0].name for p in call] for call in session.calls] == [["Set-A", "Set-C"], ["Set-B"]]
    assert result.round_trips == 2
    assert all(c.status == APPLIED for c in result.changes)


def test_a_change_waits_for_the_changes_it_requires():
    plan = host_plan(
        change("nic", step("1", "Enable-NetAdapterSriov"), step("2", "Set-NetAdapterSriov", deps=("1",))),
        change("sw", step("3", "New-VMSwitch"), requires=("hv1/VMSwitch/nic",)),
    )
    session = FakeSession()
    execute_host(session, plan)
    assert session.cmdlets() == ["Enable-NetAdapterSriov", "Set-NetAdapterSriov", "New-VMSwitch"]
    assert len(session.calls) == 3


def test_refs_are_resolved_from_the_referenced_steps_single_output():
    created = Step("2", Pipeline((Cmdlet.of("Get-VMSwitch", Id=Ref("1", "Id")), Cmdlet.of("Set-VMSwitchTeam"))),
                   depends_on=("1",))
    plan = host_plan(change("sw", step("1", "New-VMSwitch", Name="sw"), created))

    def answer(p: Pipeline):
        return [{"Id": "guid-1", "Name": "sw"}] if p.commands[0].name == "New-VMSwitch" else []

    session = FakeSession(answer=answer)
    execute_host(session, plan)
    assert session.calls[1][0].commands[0].params == {"Id": "guid-1"}


def test_a_ref_to_a_step_without_exactly_one_output_fails_the_change_without_sending_it():
    created = Step("2", Pipeline((Cmdlet.of("Get-VMSwitch", Id=Ref("1", "Id")), Cmdlet.of("Set-VMSwitch"))),
                   depends_on=("1",))
    plan = host_plan(change("sw", step("1", "New-VMSwitch"), created))
    session = FakeSession(answer=lambda _p: [])
    result = execute_host(session, plan)
    assert result.changes[0].status == FAILED
    assert "returned 0 objects" in result.changes[0].message
    assert len(session.calls) == 1


def test_a_failed_step_skips_its_dependents_and_independent_changes_still_run():
    plan = host_plan(
        change("sw", step("1", "New-VMSwitch")),
        change("vnic", step("2", "Add-VMNetworkAdapter"), requires=("hv1/VMSwitch/sw",), kind="HostVNic"),
        change("hnv", step("3", "New-NetVirtualizationCustomerRoute"), requires=("hv1/HostVNic/vnic",)),
        change("other", step("4", "Set-VMNetworkAdapter")),
    )
    session = FakeSession(fail={"New-VMSwitch": "The switch could not be created"})
    result = execute_host(session, plan)
    got = _by_address(result)
    assert got["sw"].status == FAILED
    assert "New-VMSwitch failed on hv1 [Injected]: The switch could not be created" in got["sw"].message
    assert got["sw"].message.startswith("hv1/VMSwitch/sw: ")
    assert got["vnic"].status == SKIPPED and "requires hv1/VMSwitch/sw, which failed" in got["vnic"].message
    assert got["hnv"].status == SKIPPED and "was skipped" in got["hnv"].message
    assert got["other"].status == APPLIED
    assert "Add-VMNetworkAdapter" not in session.cmdlets()


def test_the_rest_of_a_failed_change_is_not_run():
    plan = host_plan(change("a", step("1", "Set-A"), step("2", "Set-B", deps=("1",))))
    session = FakeSession(fail={"Set-A": "no"})
    result = execute_host(session, plan)
    assert result.changes[0].status == FAILED
    assert session.cmdlets() == []


def test_after_a_terminating_failure_repeatable_batch_mates_are_sent_again():
    plan = host_plan(
        change("a", step("1", "New-VMSwitch")),
        change("b", step("2", "Set-VMNetworkAdapterVlan")),
    )
    session = FakeSession(fail={"New-VMSwitch": "boom"}, terminating=True)
    result = execute_host(session, plan)
    got = _by_address(result)
    assert got["a"].status == FAILED
    assert got["b"].status == APPLIED
    assert session.cmdlets() == ["Set-VMNetworkAdapterVlan"]


def test_a_batch_mate_that_must_not_run_twice_is_reported_uncertain_not_repeated():
    plan = host_plan(
        change("a", step("1", "Set-VMSwitch")),
        change("b", step("2", "Add-VMNetworkAdapter")),
    )
    session = FakeSession(fail={"Set-VMSwitch": "boom"})
    result = execute_host(session, plan)
    got = _by_address(result)
    assert got["b"].status == FAILED and got["b"].uncertain
    assert "outcome unknown" in got["b"].message
    assert session.cmdlets().count("Add-VMNetworkAdapter") == 1


def test_blocked_and_noop_changes_never_run():
    plan = host_plan(
        change("a", step("1", "Set-A"), action="blocked", reason="needs VM web01 to be off"),
        change("b", step("2", "Set-B"), action="noop"),
        change("c", step("3", "Set-C"), requires=("hv1/VMSwitch/a",)),
    )
    session = FakeSession()
    result = execute_host(session, plan)
    got = _by_address(result)
    assert got["a"].status == BLOCKED and got["a"].message == "needs VM web01 to be off"
    assert "b" not in got
    assert got["c"].status == SKIPPED and "is blocked" in got["c"].message
    assert session.calls == []
    assert not result.touched


def test_statements_keep_plan_order_within_a_round_trip():
    plan = host_plan(*(change(f"c{i}", step(str(i), f"Set-X{i}")) for i in range(5)))
    session = FakeSession()
    execute_host(session, plan)
    assert [p.commands[0].name for p in session.calls[0]] == [f"Set-X{i}" for i in range(5)]


def test_after_a_failure_the_host_is_rechecked_for_steps_that_must_not_run_twice():
    plan = host_plan(
        change("a", step("1", "Set-VMSwitch")),
        change("ran", step("2", "New-NetVirtualizationProviderAddress")),
        change("not-run", step("3", "New-NetVirtualizationLookupRecord")),
    )
    session = FakeSession(fail={"Set-VMSwitch": "boom"}, terminating=True)
    fresh = {"hv1/VMSwitch/a": plan.changes[0], "hv1/VMSwitch/not-run": plan.changes[2]}
    result = execute_host(session, plan, recheck=lambda: fresh)
    got = _by_address(result)
    assert got["a"].status == FAILED
    assert got["ran"].status == APPLIED  # the host shows it in sync: not sent again
    assert got["not-run"].status == APPLIED  # the fresh plan still wants exactly it: sent again
    assert session.cmdlets() == ["New-NetVirtualizationLookupRecord"]


def test_the_callers_reads_ride_along_with_the_last_wave():
    plan = host_plan(change("a", step("1", "Set-A"), step("2", "Set-B", deps=("1",))))
    reads = [Pipeline((Cmdlet.of("Get-VMSwitch"),))]
    session = FakeSession(answer=lambda p: ["switch"] if p.commands[0].name == "Get-VMSwitch" else [])
    result = execute_host(session, plan, tail=reads)
    assert [[p.commands[0].name for p in call] for call in session.calls] == [["Set-A"], ["Set-B", "Get-VMSwitch"]]
    assert result.tail_outputs == [["switch"]]
    assert result.round_trips == 2


def test_reads_are_not_sent_when_nothing_runs():
    plan = host_plan(change("a", step("1", "Set-A"), action="blocked"))
    session = FakeSession()
    result = execute_host(session, plan, tail=[Pipeline((Cmdlet.of("Get-VMSwitch"),))])
    assert session.calls == [] and result.tail_outputs is None


def test_a_lost_connection_fails_the_changes_in_flight_and_skips_their_dependents():
    from engine.errors import ConnectError

    class Dropping(FakeSession):
        def run(self, statements):
            if len(self.calls) == 0:
                self.calls.append(list(statements))
                raise ConnectError(self.host, "connection reset by peer")
            return super().run(statements)

    plan = host_plan(
        change("a", step("1", "New-VMSwitch")),
        change("b", step("2", "Add-VMNetworkAdapter"), requires=("hv1/VMSwitch/a",)),
        change("c", step("3", "Set-VMSwitch"), requires=("hv1/VMSwitch/x",)),
        change("x", step("4", "Set-VMNetworkAdapter"), requires=("hv1/VMSwitch/a",)),
    )
    session = Dropping()
    result = execute_host(session, plan)
    got = _by_address(result)
    assert got["a"].status == FAILED and got["a"].uncertain
    assert "lost the connection while running New-VMSwitch on hv1: connection reset by peer" in got["a"].message
    assert got["b"].status == SKIPPED and got["x"].status == SKIPPED and got["c"].status == SKIPPED
