"""Golden plans: manifests + an observed snapshot → plan.txt / plan.json / plan.md.

Regenerate with ``HVNET_REGEN_GOLDEN=1 pytest tests/plan/test_golden_plans.py`` and
review the diff like an API change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest

from engine.manifest import load_project
from engine.observe.model import ObservedHost
from engine.plan import plan_project
from engine.plan.model import Plan
from engine.render import render_plan

ROOT = Path(__file__).resolve().parents[1] / "golden" / "plan"
SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "plan.schema.json").read_text())
CASES = sorted(p.name for p in ROOT.iterdir() if (p / "manifests").is_dir())
OUTPUTS = {"plan.txt": "text", "plan.json": "json", "plan.md": "markdown"}


def build(case: str) -> Plan:
    case_dir = ROOT / case
    project = load_project([str(case_dir / "manifests")])
    observed = ObservedHost.from_json(json.loads((case_dir / "observed.json").read_text()))
    return plan_project(project, {h.name: observed for h in project.inventory.hosts})


def scrub(text: str, case: str) -> str:
    """Absolute paths differ per checkout: make them relative to the case folder."""
    return text.replace(str(ROOT / case) + os.sep, "").replace(str(ROOT / case), ".")


@pytest.mark.parametrize("case", CASES)
def test_golden_plan(case: str) -> None:
    plan = build(case)
    jsonschema.validate(plan.to_json(), SCHEMA, cls=jsonschema.Draft202012Validator)
    for filename, fmt in OUTPUTS.items():
        got = scrub(render_plan(plan, fmt, color=False), case)
        path = ROOT / case / filename
        if os.environ.get("HVNET_REGEN_GOLDEN"):
            path.write_text(got, encoding="utf-8")
            continue
        assert path.exists(), f"missing {path}; run with HVNET_REGEN_GOLDEN=1"
        assert got == path.read_text(encoding="utf-8"), f"{case}/{filename} differs from the golden file"


def test_golden_cases_cover_the_required_situations() -> None:
    assert {"fresh-host", "in-sync", "replace-with-dependents", "vlan-transitions", "blocked-running-vm",
            "management-path"} <= set(CASES)


def test_saved_plan_reads_back_identically() -> None:
    plan = build("replace-with-dependents")
    assert Plan.from_json(json.loads(render_plan(plan, "json"))).to_json() == plan.to_json()
