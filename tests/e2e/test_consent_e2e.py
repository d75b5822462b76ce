"""Refusals change nothing: no TTY, disruptive without consent, the management path, answer not yes."""

from __future__ import annotations

import json

import pytest

import engine.cli.cmd_apply as cmd_apply

from .helpers import copy_lab, hvnet, mutating_since

MGMT_VNIC = """---
apiVersion: hvnet/v1
kind: HostVNic
metadata: {name: sw-mgmt}
spec:
  switch: sw-mgmt
  vlan: {mode: access, vlanId: 99}
  management: true
"""


@pytest.fixture
def lab(tmp_path):
    return copy_lab(tmp_path)


def test_without_a_terminal_and_without_auto_approve_apply_refuses(lab):
    result = hvnet("apply", str(lab), "--allow-disruptive")
    assert result.exit_code == 1
    assert "not a terminal" in result.stderr and "--auto-approve" in result.stderr
    assert "will be created" in result.stdout  # the plan was shown
    assert mutating_since(lab, 0) == []


def test_disruptive_changes_are_refused_by_name_and_risk_and_reported(lab, tmp_path):
    report = tmp_path / "r.json"
    result = hvnet("apply", str(lab), "--auto-approve", "--report", str(report))
    assert result.exit_code == 1
    assert "lab1/VMSwitch/sw-compute (create, risk nic-rebind): disruptive; needs --allow-disruptive" in result.stderr
    assert "risk nic-restart" in result.stderr
    assert mutating_since(lab, 0) == []
    host = json.loads(report.read_text())["hosts"][0]
    assert host["status"] == "drift"
    assert "lab1/VMSwitch/sw-compute" in host["awaiting_approval"]


def test_management_path_changes_need_allow_management_path(lab):
    (lab / "mgmt.yaml").write_text(MGMT_VNIC, encoding="utf-8")
    result = hvnet("apply", str(lab), "--auto-approve", "--allow-disruptive")
    assert result.exit_code == 1
    assert "management path" in result.stderr and "--allow-management-path" in result.stderr
    assert mutating_since(lab, 0) == []


def test_an_answer_other_than_yes_cancels(lab, monkeypatch):
    monkeypatch.setattr(cmd_apply, "stdin_is_terminal", lambda: True)
    result = hvnet("apply", str(lab), "--allow-disruptive", input="y\n")
    assert result.exit_code == 1
    assert "Only 'yes' will be accepted" in result.stderr
    assert "cancelled" in result.stderr
    assert mutating_since(lab, 0) == []
