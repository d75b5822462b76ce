"""VM network adapter and host vNIC rules on the model (hyperv-model §2.4/§2.5/§4)."""

from __future__ import annotations

from engine.sim.hyperv import cmdlets_adapter as A
from engine.sim.hyperv import cmdlets_switch as S
from engine.sim.hyperv.errors import Msg
from engine.sim.hyperv.rules import to_psobj

from .rules_world import ok, refused, run, terminating, world

WEB, DB, OLD_RUNNING, OLD_OFF = (f"11111111-0000-0000-0000-00000000000{i}" for i in range(1, 5))


def adapters(model, vm_id):
    return model.vm_adapters(vm_id)


def with_switch(mode: str = "Absolute"):
    model = world()
    ok(S.new_vmswitch, model, {"Name": "sw", "SwitchType": "Private", "MinimumBandwidthMode": mode})
    return model


# --- add / remove -------------------------------------------------------------------


def test_hot_add_works_on_running_gen2_only() -> None:
    model = with_switch()
    ok(A.add_vmnetworkadapter, model, {"VMName": ["web01"], "SwitchName": "sw"})
    (added,) = adapters(model, WEB)
    assert added.name == "Network Adapter" and added.connected and added.mac.startswith("00155D0A0B")
    err = refused(A.add_vmnetworkadapter, model, {"VMName": ["old01"]})
    assert err.message == Msg.HOT_ADD_GEN1.format(vm="old01", vm_id=OLD_RUNNING.upper())
    assert adapters(model, OLD_RUNNING) == []
    ok(A.add_vmnetworkadapter, model, {"VMName": ["old02"]})
    (cold,) = adapters(model, OLD_OFF)
    assert cold.mac == "000000000000" and not cold.connected  # dynamic MAC assigned at first start


def test_legacy_adapters_are_gen1_only_and_only_while_off() -> None:
    model = world()
    err = refused(A.add_vmnetworkadapter, model, {"VMName": ["db01"], "IsLegacy": True})
    assert err.message == Msg.LEGACY_GEN2
    err = refused(A.add_vmnetworkadapter, model, {"VMName": ["old01"], "IsLegacy": True})
    assert "turned off" in err.message
    ok(A.add_vmnetworkadapter, model, {"VMName": ["old02"], "IsLegacy": True})
    assert [(a.name, a.is_legacy) for a in adapters(model, OLD_OFF)] == [("Legacy Network Adapter", True)]


def test_synthetic_adapter_limit_depends_on_the_build() -> None:
    for build, limit in ((14393, 8), (17763, 64)):
        model = world(build)
        for _ in range(limit):
            ok(A.add_vmnetworkadapter, model, {"VMName": ["db01"]})
        err = refused(A.add_vmnetworkadapter, model, {"VMName": ["db01"]})
        assert f"({limit})" in err.message and len(adapters(model, DB)) == limit


def test_remove_while_running_is_gen2_only() -> None:
    model = world()
    ok(A.add_vmnetworkadapter, model, {"VMName": ["web01"], "Name": "hot"})
    model.vms[2].state = "Off"
    ok(A.add_vmnetworkadapter, model, {"VMName": ["old01"], "Name": "cold"})
    model.vms[2].state = "Running"
    err = refused(A.remove_vmnetworkadapter, model, {"VMName": ["old01"], "Name": "cold"})
    assert err.message == Msg.HOT_REMOVE_GEN1.format(vm="old01", vm_id=OLD_RUNNING.upper())
    assert len(adapters(model, OLD_RUNNING)) == 1
    ok(A.remove_vmnetworkadapter, model, {"VMName": ["web01"], "Name": "hot"})
    assert adapters(model, WEB) == []


def test_a_switch_name_matching_two_switches_is_ambiguous() -> None:
    model = world()
    for _ in range(2):
        ok(S.new_vmswitch, model, {"Name": "dup", "SwitchType": "Private"})
    ok(S.new_vmswitch, model, {"Name": "dup2", "SwitchType": "Private"})
    err = refused(A.add_vmnetworkadapter, model, {"VMName": ["db01"], "SwitchName": "dup"})
    assert (err.message, err.category) == (Msg.MORE_THAN_ONE, "InvalidOperation")
    ok(A.add_vmnetworkadapter, model, {"VMName": ["db01"], "SwitchName": "dup2"})
    err = refused(A.connect_vmnetworkadapter, model, {"VMName": ["db01"], "SwitchName": "dup"})
    assert err.message == Msg.MORE_THAN_ONE
    err = refused(A.connect_vmnetworkadapter, model, {"VMName": ["db01"], "SwitchName": "missing"})
    assert err.message == Msg.SWITCH_NOT_FOUND.format(name="missing")


def test_add_host_vnic_adds_one_to_every_matching_switch() -> None:
    model = world()
    for name in ("lab-a", "lab-b"):
        ok(S.new_vmswitch, model, {"Name": name, "SwitchType": "Private"})
    ok(A.add_vmnetworkadapter, model, {"ManagementOS": True, "SwitchName": "lab-*", "Name": "Mgmt"})
    assert [(v.name, model.switch(v.switch_id).name) for v in model.host_vnics()] == [("Mgmt", "lab-a"), ("Mgmt", "lab-b")]
    assert all(model.switch_type(s) == "Internal" for s in model.switches)  # a host vNIC makes Private read Internal


# --- MAC addresses --------------------------------------------------------------------


def test_static_mac_is_normalized_and_bad_formats_are_refused() -> None:
    model = world()
    ok(A.add_vmnetworkadapter, model, {"VMName": ["db01"], "StaticMacAddress": "00-15-5d-aa-bb-cc"})
    (adapter,) = adapters(model, DB)
    assert (adapter.mac, adapter.dynamic_mac) == ("00155DAABBCC", False)
    for bad in ("00155DAABB", "00:15:5D:AA:BB:ZZ", "00155D-AABBCC-"):
        err = terminating(A.set_vmnetworkadapter, model, {"VMName": ["db01"], "StaticMacAddress": bad})
        assert err.message == Msg.MAC_FORMAT.format(param="StaticMacAddress")
    err = terminating(A.set_vmnetworkadapter, model, {"VMName": ["db01"], "StaticMacAddress": "00155D000001", "DynamicMacAddress": True})
    assert err.message == Msg.STATIC_AND_DYNAMIC


def test_static_mac_changes_only_while_off_and_never_multicast() -> None:
    model = world()
    ok(A.add_vmnetworkadapter, model, {"VMName": ["web01"]})
    err = refused(A.set_vmnetworkadapter, model, {"VMName": ["web01"], "StaticMacAddress": "00155D000001"})
    assert "turned off" in err.message and adapters(model, WEB)[0].dynamic_mac
    model.vms[0].state = "Off"
    err = refused(A.set_vmnetworkadapter, model, {"VMName": ["web01"], "StaticMacAddress": "25:B6:84:17:8C:63"})
    assert "multicast" in err.message
    ok(A.set_vmnetworkadapter, model, {"VMName": ["web01"], "StaticMacAddress": "00155D000001"})
    assert adapters(model, WEB)[0].mac == "00155D000001"


def test_host_vnics_refuse_vm_only_parameters() -> None:
    model = world()
    ok(S.new_vmswitch, model, {"Name": "int", "SwitchType": "Internal"})
    err = refused(A.set_vmnetworkadapter, model, {"ManagementOS": True, "Name": "int", "StaticMacAddress": "00155D000001"})
    assert err.message == Msg.MGMT_OS_PARAM.format(param="StaticMacAddress")
    ok(A.set_vmnetworkadapter, model, {"ManagementOS": True, "Name": "int", "VmqWeight": 50})
    assert model.host_vnics()[0].vmq_weight == 50


# --- features and bandwidth -----------------------------------------------------------


def test_minimum_bandwidth_is_refused_on_a_none_mode_switch() -> None:
    model = with_switch("None")
    ok(A.add_vmnetworkadapter, model, {"VMName": ["db01"], "SwitchName": "sw"})
    err = refused(A.set_vmnetworkadapter, model, {"VMName": ["db01"], "MinimumBandwidthWeight": 10})
    assert err.message == Msg.BW_MODE_NONE.format(switch="sw") and adapters(model, DB)[0].bandwidth is None
    ok(A.set_vmnetworkadapter, model, {"VMName": ["db01"], "MaximumBandwidth": 1_000_000_005})
    assert adapters(model, DB)[0].bandwidth.maximum == 1_000_000_000  # rounded down to a multiple of 8


def test_minimum_bandwidth_kind_follows_the_switch_mode() -> None:
    model = with_switch("Weight")
    ok(A.add_vmnetworkadapter, model, {"VMName": ["db01"], "SwitchName": "sw"})
    err = refused(A.set_vmnetworkadapter, model, {"VMName": ["db01"], "MinimumBandwidthAbsolute": 100_000_000})
    assert "Weight" in err.message
    ok(A.set_vmnetworkadapter, model, {"VMName": ["db01"], "MinimumBandwidthWeight": 40})
    assert adapters(model, DB)[0].bandwidth.minimum_weight == 40


def test_ranges_of_weights_are_checked_before_anything_changes() -> None:
    model = world()
    ok(A.add_vmnetworkadapter, model, {"VMName": ["db01"]})
    for params, message in (({"IovWeight": 101}, Msg.IOV_WEIGHT_RANGE), ({"IovQueuePairsRequested": 0}, Msg.IOV_QP_RANGE),
                            ({"MinimumBandwidthWeight": 101}, Msg.BW_RANGE), ({"VirtualSubnetId": 4095}, Msg.VIRTUAL_SUBNET_RANGE)):
        assert terminating(A.set_vmnetworkadapter, model, {"VMName": ["db01"], **params}).message == message
    ok(A.set_vmnetworkadapter, model, {"VMName": ["db01"], "IovWeight": 100, "VirtualSubnetId": 5001, "DhcpGuard": "On"})
    adapter = adapters(model, DB)[0]
    assert (adapter.iov_weight, adapter.virtual_subnet_id, adapter.dhcp_guard) == (100, 5001, True)


# --- addressing ----------------------------------------------------------------------


def test_a_name_hits_every_adapter_so_named_and_a_miss_is_reported() -> None:
    model = world()
    for _ in range(2):
        ok(A.add_vmnetworkadapter, model, {"VMName": ["db01"], "Name": "Frontend"})
    ok(A.set_vmnetworkadapter, model, {"VMName": ["db01"], "Name": "Frontend", "IovWeight": 50})
    assert [a.iov_weight for a in adapters(model, DB)] == [50, 50]
    err = refused(A.set_vmnetworkadapter, model, {"VMName": ["db01"], "Name": "Backend", "IovWeight": 1})
    assert err.message == Msg.ADAPTER_NOT_FOUND and err.category == "ObjectNotFound"


def test_a_piped_adapter_is_addressed_exactly() -> None:
    model = world()
    for _ in range(2):
        ok(A.add_vmnetworkadapter, model, {"VMName": ["db01"], "Name": "Frontend"})
    second = adapters(model, DB)[1]
    ok(A.set_vmnetworkadapter, model, {"IovWeight": 7}, [to_psobj("adapter", model, second)])
    assert [a.iov_weight for a in adapters(model, DB)] == [0, 7]


def test_a_piped_vlan_setting_binds_to_vmname_by_its_tostring_and_fails() -> None:
    """Set-VMNetworkAdapter's -VMName is a ValueFromPipeline string: PowerShell coerces the
    VMNetworkAdapterVlanSetting that Set-VMNetworkAdapterVlan -Passthru emits to its ToString."""
    model = world()
    ok(A.add_vmnetworkadapter, model, {"VMName": ["db01"]})
    adapter = adapters(model, DB)[0]
    out, errors = run(A.set_vmnetworkadapter, model, {"IovWeight": 100}, [to_psobj("vlan", model, adapter)])
    name = "Microsoft.HyperV.PowerShell.VMNetworkAdapterVlanSetting"
    assert out == [] and [e.message for e in errors] == [Msg.VM_NOT_FOUND.format(name=name)]
    assert adapter.iov_weight == 0


def test_connect_without_a_name_connects_every_adapter_even_on_a_running_vm() -> None:
    model = with_switch()
    for name in ("a", "b"):
        ok(A.add_vmnetworkadapter, model, {"VMName": ["web01"], "Name": name})
    ok(A.connect_vmnetworkadapter, model, {"VMName": ["web01"], "SwitchName": "sw"})
    assert all(a.connected and a.switch_id == model.switches[0].id for a in adapters(model, WEB))
    ok(A.disconnect_vmnetworkadapter, model, {"VMName": ["web01"], "Name": ["a"]})
    assert [(a.name, a.connected, a.switch_id is None) for a in adapters(model, WEB)] == [("a", False, True), ("b", True, False)]


def test_a_piped_host_vnic_is_not_a_vm_adapter_for_connect() -> None:
    """Connect's -VMNetworkAdapter is VMNetworkAdapter[]: a host vNIC only binds to -VMName by its
    ToString, whose '[' makes it a wildcard that matches no VM — so nothing happens, silently."""
    model = world()
    ok(S.new_vmswitch, model, {"Name": "int", "SwitchType": "Internal"})
    ok(S.new_vmswitch, model, {"Name": "other", "SwitchType": "Private"})
    vnic = model.host_vnics()[0]
    assert run(A.connect_vmnetworkadapter, model, {"SwitchName": "other"}, [to_psobj("adapter", model, vnic)]) == ([], [])
    assert model.switch(vnic.switch_id).name == "int"


def test_rename_changes_only_the_selected_adapter() -> None:
    model = world()
    ok(A.add_vmnetworkadapter, model, {"VMName": ["db01"], "Name": "x"})
    ok(A.add_vmnetworkadapter, model, {"VMName": ["db01"], "Name": "y"})
    ok(A.rename_vmnetworkadapter, model, {"VMName": ["db01"], "Name": "x", "NewName": "Frontend"})
    assert [a.name for a in adapters(model, DB)] == ["Frontend", "y"]


def test_an_exhausted_dynamic_mac_pool_refuses_a_hot_add_but_not_a_cold_one() -> None:
    model = world()
    model.next_mac = 256  # all 256 pool addresses handed out
    err = refused(A.add_vmnetworkadapter, model, {"VMName": ["web01"]})
    assert "Attempt to access invalid address" in err.message and adapters(model, WEB) == []
    ok(A.add_vmnetworkadapter, model, {"VMName": ["db01"]})  # an Off VM gets its MAC at first start
    assert adapters(model, DB)[0].mac == "000000000000"
