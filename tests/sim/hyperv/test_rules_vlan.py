"""Set-VMNetworkAdapterVlan parameter sets and ID lists (hyperv-model §2.6)."""

from __future__ import annotations

import pytest

from engine.sim.hyperv import cmdlets_adapter as A
from engine.sim.hyperv import cmdlets_vlan as V
from engine.sim.hyperv.errors import Msg
from engine.sim.hyperv.model import Vlan

from .rules_world import ok, refused, terminating, world

DB = "11111111-0000-0000-0000-000000000002"


def model_with_adapter():
    model = world()
    ok(A.add_vmnetworkadapter, model, {"VMName": ["db01"]})
    return model, model.vm_adapters(DB)[0]


def set_vlan(model, **params):
    return ok(V.set_vmnetworkadaptervlan, model, {"VMName": ["db01"], **params})


@pytest.mark.parametrize("params", [{"Access": True}, {"VlanId": 10}, {"Trunk": True, "NativeVlanId": 1},
                                    {"Promiscuous": True}, {}])
def test_an_incomplete_set_is_a_missing_parameter(params) -> None:
    model, adapter = model_with_adapter()
    err = terminating(V.set_vmnetworkadaptervlan, model, {"VMName": ["db01"], **params})
    assert (err.message, err.category) == (Msg.VLAN_MISSING, "InvalidArgument")
    assert adapter.vlan == Vlan()


@pytest.mark.parametrize("params", [{"Access": True, "VlanId": 10, "Untagged": True},
                                    {"Access": True, "VlanId": 10, "Trunk": True, "NativeVlanId": 1, "AllowedVlanIdList": "2"},
                                    {"Access": True, "VlanId": 10, "PrimaryVlanId": 3},
                                    # DEC quirk: a partial private set matches all three private sets → "Conflicting"
                                    {"Isolated": True, "PrimaryVlanId": 2}])
def test_two_sets_conflict(params) -> None:
    model, adapter = model_with_adapter()
    err = terminating(V.set_vmnetworkadaptervlan, model, {"VMName": ["db01"], **params})
    assert err.message == Msg.VLAN_CONFLICT and adapter.vlan == Vlan()


def test_access_and_each_call_clears_the_previous_settings() -> None:
    model, adapter = model_with_adapter()
    set_vlan(model, Trunk=True, NativeVlanId=0, AllowedVlanIdList="1-3, 10,2")
    assert (adapter.vlan.mode, adapter.vlan.native_vlan_id, adapter.vlan.allowed_vlan_ids) == ("Trunk", 0, [1, 2, 3, 10])
    set_vlan(model, Access=True, VlanId=10)
    assert adapter.vlan == Vlan(mode="Access", access_vlan_id=10)  # the trunk list is gone
    set_vlan(model, Untagged=True)
    assert adapter.vlan == Vlan()


@pytest.mark.parametrize("bad", ["20-10", "10-10", "a,b", "1,,2", "5-"])
def test_a_malformed_id_list_is_refused_per_adapter(bad) -> None:
    model, adapter = model_with_adapter()
    err = refused(V.set_vmnetworkadaptervlan, model,
                  {"VMName": ["db01"], "Trunk": True, "NativeVlanId": 1, "AllowedVlanIdList": bad})
    assert err.message == Msg.VLAN_LIST_FORMAT and adapter.vlan == Vlan()


def test_vlan_ids_are_802_1q_but_a_trunk_may_have_native_0() -> None:
    model, adapter = model_with_adapter()
    for params in ({"Access": True, "VlanId": 0}, {"Access": True, "VlanId": 4095},
                   {"Trunk": True, "NativeVlanId": 1, "AllowedVlanIdList": "4090-4095"}):
        err = refused(V.set_vmnetworkadaptervlan, model, {"VMName": ["db01"], **params})
        assert "1 to 4094" in err.message
    set_vlan(model, Access=True, VlanId=4094)
    assert adapter.vlan.access_vlan_id == 4094


def test_private_vlan_modes() -> None:
    model, adapter = model_with_adapter()
    set_vlan(model, Isolated=True, PrimaryVlanId=100, SecondaryVlanId=101)
    assert (adapter.vlan.mode, adapter.vlan.private_vlan_mode, adapter.vlan.secondary_vlan_id) == ("Private", "Isolated", 101)
    set_vlan(model, Promiscuous=True, PrimaryVlanId=100, SecondaryVlanIdList="101-103")
    assert (adapter.vlan.private_vlan_mode, adapter.vlan.secondary_vlan_ids) == ("Promiscuous", [101, 102, 103])


def test_passthru_returns_the_vlan_setting_object() -> None:
    model, _ = model_with_adapter()
    (out,) = set_vlan(model, Access=True, VlanId=10, Passthru=True)
    assert out.type_names[0] == "Microsoft.HyperV.PowerShell.VMNetworkAdapterVlanSetting"
    assert out.get("AccessVlanId") == 10
