"""Which changes a drift run may make: --fix modes, consent flags, withheld prerequisites."""

from __future__ import annotations

from engine.drift import FixPolicy, exit_code_of, select_changes

from .builders import change, host_plan, step

NOTES = change("hv01/VMSwitch/sw-mgmt", risk="none")
VLAN = change("hv01/VMNetworkAdapter/web01", risk="vnic-blip")
SRIOV = change("hv01/SriovPolicy/pf/SLOT 3 Port 1", risk="nic-restart", disruptive=True)
MGMT = change("hv01/HostVNic/mgmt", risk="management-path", disruptive=True)
NEW_SWITCH = change("hv01/VMSwitch/sw-compute", action="create", risk="nic-rebind", disruptive=True,
                    steps=(step("sw-new"),))
ON_NEW_SWITCH = change("hv01/VMNetworkAdapter/web02", risk="vnic-blip", requires=("hv01/VMSwitch/sw-compute",))
BY_STEP = change("hv01/HostVNic/storage", risk="vnic-blip", steps=(step("vnic", depends_on=("sw-new",)),))
BLOCKED = change("hv01/VMNetworkAdapter/gen1", action="blocked")
AFTER_BLOCKED = change("hv01/NetworkVirtualization/t", risk="vnic-blip", requires=("hv01/VMNetworkAdapter/gen1",))
PLAN = host_plan(NOTES, VLAN, SRIOV, MGMT, NEW_SWITCH, ON_NEW_SWITCH, BY_STEP, BLOCKED, AFTER_BLOCKED,
                 change("hv01/VMSwitch/same", action="noop"))


def addresses(selection):
    return [c.address for c in selection.changes]


def test_fix_none_changes_nothing_and_awaits_nothing():
    selection = select_changes(PLAN, FixPolicy("none", True, True))
    assert selection.changes == () and selection.waiting == {}


def test_fix_safe_makes_only_non_disruptive_changes_and_says_why_for_the_rest():
    selection = select_changes(PLAN, FixPolicy("safe", allow_disruptive=True))
    assert addresses(selection) == [NOTES.address, VLAN.address]
    assert "--fix safe makes only non-disruptive changes" in selection.waiting[SRIOV.address]
    assert "--allow-management-path" in selection.waiting[MGMT.address]
    assert selection.waiting[ON_NEW_SWITCH.address] == \
        "requires hv01/VMSwitch/sw-compute, which is awaiting approval"
    assert "awaiting approval" in selection.waiting[BY_STEP.address]  # a step depends on the new switch
    assert selection.waiting[AFTER_BLOCKED.address] == "requires hv01/VMNetworkAdapter/gen1, which is blocked"
    assert BLOCKED.address not in selection.waiting  # blocked is its own action, never "awaiting approval"
    assert not selection.disruptive


def test_fix_all_needs_allow_disruptive_for_disruptive_changes():
    selection = select_changes(PLAN, FixPolicy("all"))
    assert SRIOV.address not in addresses(selection)
    assert "needs --fix all --allow-disruptive" in selection.waiting[SRIOV.address]


def test_fix_all_with_consent_makes_disruptive_changes_but_never_the_management_path_unasked():
    selection = select_changes(PLAN, FixPolicy("all", allow_disruptive=True))
    assert addresses(selection) == [NOTES.address, VLAN.address, SRIOV.address, NEW_SWITCH.address,
                                    ON_NEW_SWITCH.address, BY_STEP.address]
    assert list(selection.waiting) == [MGMT.address, AFTER_BLOCKED.address]
    assert selection.disruptive
    everything = select_changes(PLAN, FixPolicy("all", allow_disruptive=True, allow_management_path=True))
    assert MGMT.address in addresses(everything)


def test_a_stopped_rolling_group_holds_disruptive_changes_with_its_reason():
    selection = select_changes(PLAN, FixPolicy("all", allow_disruptive=True), hold_disruptive="group c1 stopped")
    assert addresses(selection) == [NOTES.address, VLAN.address]
    assert selection.waiting[SRIOV.address] == "group c1 stopped"


def test_exit_code_precedence():
    assert exit_code_of([]) == 0
    assert exit_code_of(["in-sync", "fixed"]) == 0
    assert exit_code_of(["in-sync", "drift"]) == 2
    assert exit_code_of(["drift", "unreachable"]) == 1
    assert exit_code_of(["failed", "in-sync"]) == 1
