"""The machine plan: exactly ``Plan.to_json()`` (schemas/plan.schema.json)."""

from __future__ import annotations

import json

from engine.plan.model import Plan


def render_json(plan: Plan) -> str:
    return json.dumps(plan.to_json(), indent=2, sort_keys=False) + "\n"
