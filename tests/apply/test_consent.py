"""Consent: which changes need which flag, and the yes/no question."""

from __future__ import annotations

import io

import pytest

from engine.apply.consent import Consent, ask_yes_no, awaiting_approval, check_consent, refusal_lines
from engine.errors import ApplyRefused
from engine.plan.model import Plan

from .fakes import change, host_plan, step

SAFE = change("notes", step("1", "Set-VMSwitch"), risk="none")
SRIOV = change("pf", step("2", "Enable-NetAdapterSriov"), kind="SriovPolicy", risk="nic-restart", disruptive=True)
MGMT = change("Management", step("3", "Set-VMNetworkAdapterVlan"), kind="HostVNic", risk="management-path",
              disruptive=True)


def test_safe_changes_need_no_flag():
    check_consent(Plan((host_plan(SAFE),)), Consent())


def test_disruptive_changes_are_refused_naming_each_with_its_risk():
    plan = Plan((host_plan(SAFE, SRIOV),))
    with pytest.raises(ApplyRefused) as refused:
        check_consent(plan, Consent())
    text = str(refused.value)
    assert "hv1/SriovPolicy/pf (update, risk nic-restart): disruptive; needs --allow-disruptive" in text
    assert "nothing was changed" in text
    assert "notes" not in text
    check_consent(plan, Consent(allow_disruptive=True))


def test_management_path_changes_need_their_own_flag_and_say_why():
    plan = Plan((host_plan(MGMT),))
    with pytest.raises(ApplyRefused, match="carries hvnet's own connection.*--allow-management-path"):
        check_consent(plan, Consent(allow_disruptive=True))
    assert refusal_lines(plan, Consent(allow_management_path=True)) == [
        "hv1/HostVNic/Management (update, risk management-path): disruptive; needs --allow-disruptive"
    ]
    check_consent(plan, Consent(allow_disruptive=True, allow_management_path=True))


def test_awaiting_approval_lists_the_changes_not_allowed_per_host():
    plan = Plan((host_plan(SAFE, SRIOV, MGMT),))
    assert awaiting_approval(plan, Consent()) == {"hv1": ["hv1/SriovPolicy/pf", "hv1/HostVNic/Management"]}
    assert awaiting_approval(plan, Consent(True, True)) == {"hv1": []}


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "approved"), [("yes\n", True), ("y\n", False), ("YES\n", False), ("", False)])
def test_only_the_answer_yes_approves(answer: str, approved: bool):
    stderr = io.StringIO()
    assert ask_yes_no("Apply?", stdin=_Tty(answer), stderr=stderr) is approved
    assert "Only 'yes' will be accepted" in stderr.getvalue()


def test_without_a_terminal_nobody_is_asked_and_the_run_is_refused():
    with pytest.raises(ApplyRefused, match="not a terminal.*--auto-approve"):
        ask_yes_no("Apply?", stdin=io.StringIO("yes\n"), stderr=io.StringIO())
