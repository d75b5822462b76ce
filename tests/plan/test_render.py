"""Renderers read the plan value: text grammar, colour on request, schema-valid JSON, Markdown."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from engine.model.resources import VMNetworkAdapter, VMSwitch
from engine.plan.model import HostError, HostPlan, Plan
from engine.render import render_plan
from plan.factories import HOST, adapter, nic, observed, plan, switch, vm

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "plan.schema.json").read_text())


def _plan() -> Plan:
    sw = switch("sw", uplinks=("P1",))
    obs = observed(net_adapters=[nic("P1")], switches=[sw], vms=[vm("web01")], adapters=[adapter("A", "web01", sw)])
    hp = plan([VMSwitch(host=HOST, name="sw", enable_iov=True, notes="n"),
               VMNetworkAdapter(host=HOST, name="web", vm="web01", adapter_name="A", mac_address="02AABBCCDDEE")], obs)
    return Plan((hp,))


def test_text_shows_replacement_reason_on_its_own_line_and_summary() -> None:
    text = render_plan(_plan(), "text", color=False)
    lines = text.splitlines()
    assert "  -/+ lab1/VMSwitch/sw will be replaced  [risk: switch-recreate, disruptive]" in lines
    assert "      # forces replacement: enableIov cannot change after creation" in lines
    assert "      ~ enableIov: false -> true  # forces replacement" in lines
    assert "    ! lab1/VMNetworkAdapter/web is blocked" in lines
    assert lines[-1] == "Plan: 0 to create, 0 to update, 1 to replace, 0 to destroy, 1 blocked. 1 error: see above."
    assert "Legend: -/+ replace, ! blocked" in lines
    assert "\x1b[" not in text


def test_colour_only_when_asked() -> None:
    assert "\x1b[" in render_plan(_plan(), "text", color=True)


def test_no_changes_message() -> None:
    empty = Plan((HostPlan("lab1", {}),))
    assert render_plan(empty, "text").splitlines()[-1] == "No changes. The hosts match the manifests."


def test_host_collection_error_is_shown() -> None:
    failed = Plan((HostPlan("lab2", {}, errors=(HostError("could not read the host's state: refused"),)),))
    assert "    ✗ could not read the host's state: refused" in render_plan(failed, "text").splitlines()


def test_json_is_the_plan_value_and_matches_the_schema() -> None:
    p = _plan()
    doc = json.loads(render_plan(p, "json"))
    assert doc == p.to_json()
    jsonschema.validate(doc, SCHEMA, cls=jsonschema.Draft202012Validator)


def test_schema_describes_report_fields_and_rejects_unknown_actions() -> None:
    doc = _plan().to_json()
    host = doc["hosts"][0]
    host.update({"status": "drift", "fixed": [], "awaiting_approval": ["lab1/VMSwitch/sw"]})
    jsonschema.validate(doc, SCHEMA, cls=jsonschema.Draft202012Validator)
    host["changes"][0]["action"] = "explode"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, SCHEMA, cls=jsonschema.Draft202012Validator)


def test_markdown_has_summary_table_details_and_mermaid() -> None:
    md = render_plan(_plan(), "markdown")
    assert "| lab1 | 0 | 0 | 1 | 0 | 1 | 1 | 1 |" in md
    assert "<details><summary><b>lab1</b>: 1 replace, 1 blocked, 1 error</summary>" in md
    assert "```mermaid\nflowchart LR\n" in md
    assert 'c1["VMSwitch sw<br/>replace<br/>switch-recreate"]' in md


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="format must be one of"):
        render_plan(_plan(), "yaml")
