"""The apply/drift report: per-host status precedence, fixed, awaiting approval, errors."""

from __future__ import annotations

import json

import jsonschema

from engine.apply.executor import APPLIED, FAILED, ChangeResult
from engine.apply.report import HostOutcome, build_report, host_status, write_report
from engine.plan.model import HostError, Plan

from .fakes import change, host_plan, step

A = change("a", step("1", "Set-VMSwitch"))
B = change("b", step("2", "Enable-NetAdapterSriov"), risk="nic-restart", disruptive=True)


def _schema() -> dict:
    with open("schemas/plan.schema.json", encoding="utf-8") as fh:
        return json.load(fh)


def test_status_precedence():
    plan = host_plan(A, B)
    assert host_status(host_plan(), None) == "in-sync"
    assert host_status(plan, None) == "drift"
    assert host_status(plan, HostOutcome("hv1", unreachable=True)) == "unreachable"
    done = [ChangeResult(A.address, "update", APPLIED), ChangeResult(B.address, "update", APPLIED)]
    assert host_status(plan, HostOutcome("hv1", results=done)) == "fixed"
    assert host_status(plan, HostOutcome("hv1", results=done[:1], awaiting_approval=[B.address])) == "drift"
    broken = [ChangeResult(A.address, "update", FAILED, "hv1/VMSwitch/a: Set-VMSwitch failed")]
    assert host_status(plan, HostOutcome("hv1", results=broken)) == "failed"
    errored = host_plan(A)
    errored = type(errored)(**{**errored.__dict__, "errors": (HostError("selector matched no NIC", A.address),)})
    assert host_status(errored, None) == "failed"


def test_report_is_the_plan_document_plus_results_and_matches_the_schema(tmp_path):
    plan = Plan((host_plan(A, B),))
    outcome = HostOutcome("hv1", results=[ChangeResult(A.address, "update", APPLIED)],
                          awaiting_approval=[B.address])
    doc = build_report(plan, [outcome])
    host = doc["hosts"][0]
    assert host["status"] == "drift"
    assert host["fixed"] == [A.address]
    assert host["awaiting_approval"] == [B.address]
    assert host["errors"] == []
    assert doc["summary"] == {"create": 0, "update": 2, "replace": 0, "delete": 0, "blocked": 0}
    jsonschema.validate(doc, _schema())
    path = tmp_path / "out" / "report.json"
    write_report(path, doc)
    assert json.loads(path.read_text()) == doc


def test_failures_become_errors_with_their_address():
    plan = Plan((host_plan(A),))
    outcome = HostOutcome("hv1", results=[ChangeResult(A.address, "update", FAILED, "Set-VMSwitch failed: no")])
    host = build_report(plan, [outcome])["hosts"][0]
    assert host["status"] == "failed"
    assert host["errors"] == [{"message": "Set-VMSwitch failed: no", "address": A.address}]
    jsonschema.validate(build_report(plan, [outcome]), _schema())
