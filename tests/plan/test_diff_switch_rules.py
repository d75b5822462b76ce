"""One row per VMSwitch attribute rule: desired spec × observed switch → action, attributes, risk."""

from __future__ import annotations

from typing import Any

import pytest

from engine.model.resources import HostVNic, NicSelector, VMSwitch
from plan.factories import HOST, adapter, change_of, cmdlets, nic, observed, params_of, plan, pos, switch, vm

SW = f"{HOST}/VMSwitch/sw"
NICS = [nic("P1"), nic("P2", interface_description="Mellanox ConnectX-5 Adapter #2"), nic("P3")]


def _sw(**spec: Any) -> VMSwitch:
    return VMSwitch(host=HOST, name="sw", source=pos(), **spec)


# (id, desired spec, observed switch fields, action, attribute names, forcing names, risk)
ROWS: list[tuple[str, dict[str, Any], dict[str, Any], str, list[str], list[str], str]] = [
    ("notes", {"notes": "new"}, {"notes": "old"}, "update", ["notes"], [], "none"),
    ("default flow weight", {"default_flow_minimum_bandwidth_weight": 10}, {}, "update",
     ["defaultFlowMinimumBandwidthWeight"], [], "none"),
    ("enableIov is creation-only", {"enable_iov": True}, {}, "replace", ["enableIov"], ["enableIov"],
     "switch-recreate"),
    ("embeddedTeaming is creation-only", {"embedded_teaming": True}, {"uplinks": ("P1",)}, "replace",
     ["embeddedTeaming"], ["embeddedTeaming"], "switch-recreate"),
    ("minimumBandwidthMode is creation-only", {"minimum_bandwidth_mode": "Weight"}, {}, "replace",
     ["minimumBandwidthMode"], ["minimumBandwidthMode"], "switch-recreate"),
    ("minimumBandwidthMode Default never replaces", {"minimum_bandwidth_mode": "Default"}, {}, "noop", [], [], "none"),
    ("enum names compare case-insensitively", {"minimum_bandwidth_mode": "absolute", "type": "external"}, {},
     "noop", [], [], "none"),
    ("enablePacketDirect is creation-only", {"enable_packet_direct": True}, {}, "replace", ["enablePacketDirect"],
     ["enablePacketDirect"], "switch-recreate"),
    ("type changes in place (Internal -> Private)", {"type": "Private"}, {"switch_type": "Internal"}, "update",
     ["type"], [], "vnic-blip"),
    ("type of a SET switch forces replacement", {"type": "Internal"},
     {"embedded_teaming": True, "uplinks": ("P1", "P2")}, "replace", ["type"], ["type"], "switch-recreate"),
    ("type of an IOV External switch forces replacement", {"type": "Internal"}, {"iov_enabled": True}, "replace",
     ["type"], ["type"], "switch-recreate"),
    ("SET uplinks change in place", {"uplinks": NicSelector(names=("P1", "P2"))},
     {"embedded_teaming": True, "uplinks": ("P1",)}, "update", ["uplinks"], [], "nic-rebind"),
    ("non-SET uplink rebinds in place", {"uplinks": NicSelector(names=("P3",))}, {"uplinks": ("P1",)}, "update",
     ["uplinks"], [], "nic-rebind"),
    ("two uplinks imply embeddedTeaming", {"uplinks": NicSelector(names=("P1", "P2"))}, {"uplinks": ("P1",)},
     "replace", ["uplinks", "embeddedTeaming"], ["embeddedTeaming"], "switch-recreate"),
    ("load balancing changes in place", {"load_balancing_algorithm": "Dynamic"},
     {"embedded_teaming": True, "uplinks": ("P1", "P2"), "load_balancing_algorithm": "HyperVPort"}, "update",
     ["loadBalancingAlgorithm"], [], "nic-rebind"),
    ("allowManagementOS true adds the default vNIC", {"allow_management_os": True}, {}, "update",
     ["allowManagementOS"], [], "vnic-blip"),
    ("omitted fields are unmanaged", {}, {"notes": "anything", "iov_enabled": True}, "noop", [], [], "none"),
]


@pytest.mark.parametrize(("desired", "observed_fields", "action", "attrs", "forcing", "risk"),
                         [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_switch_attribute_rule(desired: dict[str, Any], observed_fields: dict[str, Any], action: str,
                               attrs: list[str], forcing: list[str], risk: str) -> None:
    fields = {"uplinks": ("P1",)} | observed_fields
    obs = observed(net_adapters=NICS, switches=[switch("sw", **fields)])
    hp = plan([_sw(**desired)], obs)
    assert not hp.errors
    c = change_of(hp, SW)
    assert c.action == action, c.reason
    assert [a.name for a in c.attributes] == attrs
    assert [a.name for a in c.attributes if a.forces_replacement] == forcing
    assert c.risk == risk
    if action == "replace":
        assert c.reason.startswith("forces replacement: ")
        assert c.disruptive


def test_set_member_change_uses_team_cmdlets_adding_before_removing() -> None:
    obs = observed(net_adapters=NICS, switches=[switch("sw", embedded_teaming=True, uplinks=("P1", "P3"))])
    c = change_of(plan([_sw(uplinks=NicSelector(names=("P1", "P2")))], obs), SW)
    assert cmdlets(c) == [["Get-VMSwitch", "Add-VMSwitchTeamMember"], ["Get-VMSwitch", "Remove-VMSwitchTeamMember"]]
    assert params_of(c, "Add-VMSwitchTeamMember") == {"NetAdapterName": "P2"}


def test_declared_host_vnic_keeps_allow_management_os_true() -> None:
    sw = switch("sw", uplinks=("P1",), allow_management_os=True)
    obs = observed(net_adapters=NICS, switches=[sw], adapters=[adapter("Mgmt", "", sw)])
    vnic = HostVNic(host=HOST, name="Mgmt", switch="sw")
    hp = plan([_sw(allow_management_os=False), vnic], obs)
    assert change_of(hp, SW).action == "noop"
    assert not any(c.name == "Set-VMSwitch" for ch in hp.changes for s in ch.steps for c in s.pipeline.commands)


def test_undeclared_default_vnic_is_removed_by_id_while_declared_vnics_stay() -> None:
    sw = switch("sw", uplinks=("P1",), allow_management_os=True)
    default = adapter("sw", "", sw, id="host-default")
    obs = observed(net_adapters=NICS, switches=[sw], adapters=[default, adapter("Mgmt", "", sw)])
    hp = plan([_sw(allow_management_os=False), HostVNic(host=HOST, name="Mgmt", switch="sw")], obs)
    c = change_of(hp, SW)
    assert c.action == "update"
    assert cmdlets(c) == [["Get-VMNetworkAdapter", "Where-Object", "Remove-VMNetworkAdapter"]]
    assert params_of(c, "Where-Object")["Value"] == "host-default"


def test_allow_management_os_false_lists_every_vnic_it_deletes() -> None:
    sw = switch("sw", uplinks=("P1",), allow_management_os=True)
    obs = observed(net_adapters=NICS, switches=[sw], adapters=[adapter("sw", "", sw), adapter("Backup", "", sw)])
    c = change_of(plan([_sw(allow_management_os=False)], obs), SW)
    assert params_of(c, "Set-VMSwitch") == {"AllowManagementOS": False}
    assert sorted(d.name for d in c.dependents) == ["Backup", "sw"]


def test_create_external_switch_binds_nics() -> None:
    obs = observed(net_adapters=NICS)
    c = change_of(plan([_sw(type="External", uplinks=NicSelector(names=("P1", "P2")), enable_iov=True,
                             load_balancing_algorithm="Dynamic")], obs), SW)
    assert (c.action, c.risk, c.disruptive, c.reason) == ("create", "nic-rebind", True, "not on the host")
    new = params_of(c, "New-VMSwitch")
    assert new["NetAdapterName"] == ["P1", "P2"] and new["EnableEmbeddedTeaming"] is True and new["EnableIov"] is True
    assert cmdlets(c)[1] == ["Get-VMSwitch", "Set-VMSwitchTeam"]


def test_create_internal_switch_is_not_disruptive() -> None:
    c = change_of(plan([_sw(type="Internal")], observed()), SW)
    assert (c.action, c.risk, c.disruptive) == ("create", "none", False)
    assert params_of(c, "New-VMSwitch") == {"Name": "sw", "SwitchType": "Internal"}


def test_delete_lists_dependents_and_detaches_vm_adapters_first() -> None:
    sw = switch("sw", uplinks=("P1",))
    obs = observed(net_adapters=NICS, switches=[sw], vms=[vm("web01")],
                   adapters=[adapter("Frontend", "web01", sw), adapter("sw", "", sw)])
    c = change_of(plan([_sw(ensure="absent")], obs), SW)
    assert (c.action, c.reason, c.risk) == ("delete", "ensure: absent", "switch-recreate")
    assert [(d.kind, d.name) for d in c.dependents] == [("HostVNic", "sw"), ("VMNetworkAdapter", "Frontend")]
    assert cmdlets(c) == [["Get-VMNetworkAdapter", "Where-Object", "Disconnect-VMNetworkAdapter"],
                          ["Get-VMSwitch", "Remove-VMSwitch"]]


def test_absent_and_not_on_host_is_noop() -> None:
    c = change_of(plan([_sw(ensure="absent")], observed()), SW)
    assert (c.action, c.reason) == ("noop", "already absent")
