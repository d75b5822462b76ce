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


def test_changes_come_in_apply_order_with_deletes_reversed_last() -> None:
    from engine.model.resources import HostVNic, NicSelector, SriovPolicy, VMNetworkAdapter
    from plan.factories import HOST, adapter, nic, plan, switch, vm

    old = switch("sw-old", switch_type="Private")
    obs = observed(net_adapters=[nic("P1")], switches=[old], vms=[vm("web01")],
                   adapters=[adapter("Old", "web01", old), adapter("vOld", "", old)])
    resources: list[Resource] = [
        VMNetworkAdapter(host=HOST, name="web", vm="web01", adapter_name="New", switch="sw"),
        HostVNic(host=HOST, name="vOld", ensure="absent"),
        VMSwitch(host=HOST, name="sw-old", ensure="absent"),
        HostVNic(host=HOST, name="Mgmt", switch="sw"),
        VMSwitch(host=HOST, name="sw", uplinks=NicSelector(names=("P1",))),
        SriovPolicy(host=HOST, name="pf", nic_selector=NicSelector(names=("P1",)), enabled=True),
        VMNetworkAdapter(host=HOST, name="old", vm="web01", adapter_name="Old", ensure="absent"),
    ]
    hp = plan(resources, obs)
    assert [c.address for c in hp.changes] == [
        "lab1/SriovPolicy/pf/P1", "lab1/VMSwitch/sw", "lab1/HostVNic/Mgmt", "lab1/VMNetworkAdapter/web",
        "lab1/VMNetworkAdapter/old", "lab1/HostVNic/vOld", "lab1/VMSwitch/sw-old"]
    by = {c.address: c for c in hp.changes}
    assert by["lab1/VMSwitch/sw"].requires == ("lab1/SriovPolicy/pf/P1",)
    assert by["lab1/VMNetworkAdapter/web"].requires == ("lab1/VMSwitch/sw",)
    steps = [int(s.id) for c in hp.changes for s in c.steps]
    assert steps == list(range(1, len(steps) + 1))
