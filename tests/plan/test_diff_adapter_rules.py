"""One row per VM adapter / host vNIC attribute rule."""

from __future__ import annotations

from typing import Any

import pytest

from engine.model.resources import HostVNic, VlanSpec, VMNetworkAdapter, VMSwitch
from engine.observe.model import Vlan
from engine.transport.command import Int64
from plan.factories import HOST, adapter, change_of, cmdlets, nic, observed, params_of, plan, pos, switch, vm

AD = f"{HOST}/VMNetworkAdapter/web01-fe"
SW = switch("sw", uplinks=("P1",), iov_enabled=True)
OTHER = switch("sw-other", uplinks=("P2",))


def _ad(**spec: Any) -> VMNetworkAdapter:
    return VMNetworkAdapter(host=HOST, name="web01-fe", vm="web01", adapter_name="Frontend", source=pos(3), **spec)


def _obs(vm_fields: dict[str, Any] | None = None, **adapter_fields: Any) -> Any:
    return observed(net_adapters=[nic("P1"), nic("P2")], switches=[SW, OTHER], vms=[vm("web01", **(vm_fields or {}))],
                    adapters=[adapter("Frontend", "web01", SW, **adapter_fields)])


# (id, desired spec, observed adapter fields, action, attribute names, risk, a cmdlet and its parameters)
ROWS: list[tuple[str, dict[str, Any], dict[str, Any], str, list[str], str, tuple[str, dict[str, Any]] | None]] = [
    ("move to another switch", {"switch": "sw-other"}, {}, "update", ["switch"], "vnic-blip",
     ("Connect-VMNetworkAdapter", {"SwitchName": "sw-other"})),
    ("switch: null disconnects", {"switch": None}, {}, "update", ["switch"], "vnic-blip",
     ("Disconnect-VMNetworkAdapter", {})),
    ("switch names compare case-insensitively", {"switch": "SW"}, {}, "noop", [], "none", None),
    ("untagged -> access", {"vlan": VlanSpec("access", vlan_id=10)}, {}, "update", ["vlan"], "vnic-blip",
     ("Set-VMNetworkAdapterVlan", {"Access": True, "VlanId": 10})),
    ("access -> trunk", {"vlan": VlanSpec("trunk", native_vlan_id=10, allowed_vlan_ids="10,20-22")},
     {"vlan": Vlan("Access", access_vlan_id=10)}, "update", ["vlan"], "vnic-blip",
     ("Set-VMNetworkAdapterVlan", {"Trunk": True, "NativeVlanId": 10, "AllowedVlanIdList": "10,20-22"})),
    ("trunk -> untagged", {"vlan": VlanSpec("untagged")},
     {"vlan": Vlan("Trunk", native_vlan_id=1, allowed_vlan_ids=(1, 2))}, "update", ["vlan"], "vnic-blip",
     ("Set-VMNetworkAdapterVlan", {"Untagged": True})),
    ("access id change", {"vlan": VlanSpec("access", vlan_id=20)}, {"vlan": Vlan("Access", access_vlan_id=10)},
     "update", ["vlan"], "vnic-blip", ("Set-VMNetworkAdapterVlan", {"Access": True, "VlanId": 20})),
    ("VLAN lists compare as sets", {"vlan": VlanSpec("trunk", native_vlan_id=10, allowed_vlan_ids="20-22,10, 21")},
     {"vlan": Vlan("Trunk", native_vlan_id=10, allowed_vlan_ids=(10, 20, 21, 22))}, "noop", [], "none", None),
    ("iovWeight falls back to synthetic", {"iov_weight": 100}, {}, "update", ["iovWeight"], "vf-fallback",
     ("Set-VMNetworkAdapter", {"IovWeight": 100})),
    ("queue pairs", {"iov_queue_pairs_requested": 4}, {}, "update", ["iovQueuePairsRequested"], "vnic-blip",
     ("Set-VMNetworkAdapter", {"IovQueuePairsRequested": 4})),
    ("guards are On/Off", {"dhcp_guard": True, "router_guard": True, "mac_address_spoofing": True}, {}, "update",
     ["macAddressSpoofing", "dhcpGuard", "routerGuard"], "vnic-blip",
     ("Set-VMNetworkAdapter", {"MacAddressSpoofing": "On", "DhcpGuard": "On", "RouterGuard": "On"})),
    ("bandwidth travels as Int64", {"maximum_bandwidth": 10_000_000_000}, {}, "update", ["maximumBandwidth"],
     "vnic-blip", ("Set-VMNetworkAdapter", {"MaximumBandwidth": Int64(10_000_000_000)})),
    ("minimum bandwidth weight", {"minimum_bandwidth_weight": 20}, {}, "update", ["minimumBandwidthWeight"],
     "vnic-blip", ("Set-VMNetworkAdapter", {"MinimumBandwidthWeight": 20})),
    ("virtual subnet", {"virtual_subnet_id": 5001}, {}, "update", ["virtualSubnetId"], "vnic-blip",
     ("Set-VMNetworkAdapter", {"VirtualSubnetId": 5001})),
    ("MAC formats normalize", {"mac_address": "00155D010A01"}, {"dynamic_mac_address": False}, "noop", [], "none",
     None),
    ("dynamic MAC matches a dynamic observed MAC", {"mac_address": "dynamic"}, {}, "noop", [], "none", None),
    ("static MAC on an Off VM", {"mac_address": "00155D0000FF"}, {}, "update", ["macAddress"], "vnic-blip",
     ("Set-VMNetworkAdapter", {"StaticMacAddress": "00155D0000FF"})),
]


@pytest.mark.parametrize(("desired", "observed_fields", "action", "attrs", "risk", "cmd"), [r[1:] for r in ROWS],
                         ids=[r[0] for r in ROWS])
def test_vm_adapter_attribute_rule(desired: dict[str, Any], observed_fields: dict[str, Any], action: str,
                                   attrs: list[str], risk: str, cmd: tuple[str, dict[str, Any]] | None) -> None:
    hp = plan([_ad(**desired)], _obs({"state": "Off"}, **observed_fields))
    assert not hp.errors
    c = change_of(hp, AD)
    assert (c.action, [a.name for a in c.attributes], c.risk, c.disruptive) == (action, attrs, risk, False)
    if cmd is not None:
        assert params_of(c, cmd[0]) == cmd[1]
        assert cmdlets(c)[0][:2] == ["Get-VMNetworkAdapter", "Where-Object"]
        assert params_of(c, "Get-VMNetworkAdapter") == {"VMName": "web01"}


def test_static_mac_change_on_running_vm_is_blocked_and_reported() -> None:
    hp = plan([_ad(mac_address="00-15-5D-00-00-FF")], _obs())
    c = change_of(hp, AD)
    assert c.action == "blocked" and "needs VM web01 to be off" in c.reason and not c.steps
    assert [e.address for e in hp.errors] == [AD]
    assert "needs VM web01 to be off" in hp.errors[0].message and hp.errors[0].position == "manifests/lab.yaml:3:1"


@pytest.mark.parametrize(("generation", "state", "action"), [(2, "Running", "create"), (2, "Off", "create"),
                                                             (1, "Off", "create"), (1, "Running", "blocked")])
def test_adding_an_adapter_depends_on_generation_and_state(generation: int, state: str, action: str) -> None:
    obs = observed(switches=[SW], vms=[vm("web01", generation=generation, state=state)])
    c = change_of(plan([_ad(switch="sw", vlan=VlanSpec("access", vlan_id=10), iov_weight=50)], obs), AD)
    assert c.action == action
    if action == "create":
        assert (c.risk, c.disruptive) == ("none", False)
        assert cmdlets(c) == [["Get-VM", "Add-VMNetworkAdapter", "Set-VMNetworkAdapter", "Set-VMNetworkAdapterVlan"]]
        assert params_of(c, "Get-VM") == {"Id": "vm-web01"}
        assert params_of(c, "Add-VMNetworkAdapter") == {"Name": "Frontend", "SwitchName": "sw", "Passthru": True}


def test_removing_an_adapter_and_absent_when_missing() -> None:
    c = change_of(plan([_ad(ensure="absent")], _obs()), AD)
    assert (c.action, c.reason) == ("delete", "ensure: absent")
    assert cmdlets(c) == [["Get-VMNetworkAdapter", "Where-Object", "Remove-VMNetworkAdapter"]]
    gone = observed(vms=[vm("web01")])
    assert change_of(plan([_ad(ensure="absent")], gone), AD).action == "noop"


def test_wildcard_names_are_escaped_and_objects_addressed_by_id() -> None:
    odd = switch("sw [prod]*", uplinks=("P2",))
    obs = observed(net_adapters=[nic("P1"), nic("P2")], switches=[SW, odd], vms=[vm("web[1]")],
                   adapters=[adapter("Frontend", "web[1]", SW, id="ad-1")])
    res = VMNetworkAdapter(host=HOST, name="fe", vm="web[1]", adapter_name="Frontend", switch="sw [prod]*")
    c = change_of(plan([res], obs), f"{HOST}/VMNetworkAdapter/fe")
    assert params_of(c, "Get-VMNetworkAdapter") == {"VMName": "web`[1`]"}
    assert params_of(c, "Where-Object") == {"Property": "Id", "EQ": True, "Value": "ad-1"}
    assert params_of(c, "Connect-VMNetworkAdapter") == {"SwitchName": "sw `[prod`]`*"}


def test_iov_weight_on_a_non_iov_switch_is_an_error() -> None:
    hp = plan([_ad(switch="sw-other", iov_weight=100)], _obs())
    assert not [c for c in hp.changes if c.address == AD]
    assert "not IOV-enabled" in hp.errors[0].message


def test_iov_weight_is_fine_when_the_switch_is_replaced_by_an_iov_one() -> None:
    new_sw = VMSwitch(host=HOST, name="sw-other", enable_iov=True)
    hp = plan([new_sw, _ad(switch="sw-other", iov_weight=100)], _obs())
    assert not hp.errors
    assert change_of(hp, AD).requires == (f"{HOST}/VMSwitch/sw-other",)


def test_missing_vm_and_ambiguous_adapter_are_errors() -> None:
    assert "VM web01 is not on host lab1" in plan([_ad(iov_weight=1)], observed()).errors[0].message
    twice = observed(switches=[SW], vms=[vm("web01")],
                     adapters=[adapter("Frontend", "web01", SW, id="a"), adapter("frontend", "web01", SW, id="b")])
    assert plan([_ad(iov_weight=1)], twice).errors[0].message.startswith("ambiguous:")


# --- host vNICs -------------------------------------------------------------------------

VN = f"{HOST}/HostVNic/Mgmt"


def _vnic_obs(**fields: Any) -> Any:
    return observed(net_adapters=[nic("P1")], switches=[SW], adapters=[adapter("Mgmt", "", SW, id="vn-1", **fields)])


def test_host_vnic_vlan_change_in_place() -> None:
    c = change_of(plan([HostVNic(host=HOST, name="Mgmt", vlan=VlanSpec("access", vlan_id=10))], _vnic_obs()), VN)
    assert (c.action, c.risk, c.disruptive) == ("update", "vnic-blip", False)
    assert params_of(c, "Get-VMNetworkAdapter") == {"ManagementOS": True}


def test_host_vnic_mac_change_recreates_it() -> None:
    c = change_of(plan([HostVNic(host=HOST, name="Mgmt", mac_address="02AABBCCDDEE")], _vnic_obs()), VN)
    assert (c.action, c.risk, c.disruptive) == ("replace", "switch-recreate", True)
    assert c.attributes[0].forces_replacement
    assert cmdlets(c) == [["Get-VMNetworkAdapter", "Where-Object", "Remove-VMNetworkAdapter"], ["Add-VMNetworkAdapter"]]
    assert params_of(c, "Add-VMNetworkAdapter")["StaticMacAddress"] == "02AABBCCDDEE"
    assert any("IP configuration" in w for w in c.warnings)


def test_declared_management_vnic_is_on_the_management_path() -> None:
    res = HostVNic(host=HOST, name="Mgmt", vlan=VlanSpec("access", vlan_id=10), management=True)
    c = change_of(plan([res], _vnic_obs()), VN)
    assert (c.risk, c.disruptive) == ("management-path", True)
    assert "--allow-management-path" in c.warnings[0]


def test_connection_address_finds_the_management_path() -> None:
    obs = observed(net_adapters=[nic("P1")], switches=[SW], connection_address="10.0.0.21",
                   adapters=[adapter("Mgmt", "", SW, ip_addresses=("10.0.0.21/24",))])
    c = change_of(plan([HostVNic(host=HOST, name="Mgmt", minimum_bandwidth_weight=5)], obs), VN)
    assert c.risk == "management-path"
    sw_change = change_of(plan([VMSwitch(host=HOST, name="sw", notes="x")], obs), f"{HOST}/VMSwitch/sw")
    assert sw_change.risk == "management-path" and sw_change.disruptive


def test_new_host_vnic_is_added_on_its_switch() -> None:
    res = HostVNic(host=HOST, name="Storage", switch="sw", vlan=VlanSpec("access", vlan_id=30))
    c = change_of(plan([res], _vnic_obs()), f"{HOST}/HostVNic/Storage")
    assert c.action == "create"
    assert cmdlets(c) == [["Add-VMNetworkAdapter", "Set-VMNetworkAdapterVlan"]]
    assert params_of(c, "Add-VMNetworkAdapter") == {"ManagementOS": True, "Name": "Storage", "SwitchName": "sw",
                                                    "Passthru": True}
