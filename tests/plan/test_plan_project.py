"""plan_project: every host planned independently; a failed collection is that host's error only."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from engine.errors import ConnectError
from engine.inventory import ConnectionSettings, Inventory, InventoryHost
from engine.model.resources import Resource, VMSwitch
from engine.plan import plan_project
from engine.render import render_plan
from plan.factories import observed


@dataclass
class _Project:
    inventory: Inventory
    resources: dict[str, list[Resource]] = field(default_factory=dict)


def _project() -> _Project:
    conn = ConnectionSettings(server="hv.example", auth="ntlm", username="svc", password_env="HVNET_PW")
    hosts = (InventoryHost("hv01", connection=conn), InventoryHost("hv02", connection=conn))
    res = {h.name: [VMSwitch(host=h.name, name="sw", type="Internal")] for h in hosts}
    return _Project(Inventory("lab", hosts), res)


def test_a_failed_host_does_not_stop_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HVNET_PW", "s3cret-value")
    plan = plan_project(_project(), {"hv01": ConnectError("hv01", "connection refused"),
                                     "hv02": observed(host="hv02")})
    first, second = plan.hosts
    assert first.errors[0].message == "could not read the host's state: hv01: connection refused"
    assert not first.changes and first.observed_fingerprint == ""
    assert [c.action for c in second.changes] == ["create"]
    assert second.connection["passwordEnv"] == "HVNET_PW"
    for fmt in ("text", "json", "markdown"):
        assert "s3cret-value" not in render_plan(plan, fmt)
    assert json.loads(render_plan(plan, "json"))["summary"]["create"] == 1


def test_hosts_without_observed_state_are_left_out() -> None:
    plan = plan_project(_project(), {"hv02": observed(host="hv02")})
    assert [h.name for h in plan.hosts] == ["hv02"]
