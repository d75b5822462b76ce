"""Get-VMNetworkAdapter and Get-VMNetworkAdapterVlan through the binder and dispatcher."""

from __future__ import annotations

import uuid

import pytest

from engine.sim.objects import PSObj

from .read_world import cmd, make_host, names, run

VM_ADAPTER = "Microsoft.HyperV.PowerShell.VMNetworkAdapter"
HOST_VNIC = "Microsoft.HyperV.PowerShell.VMInternalNetworkAdapter"


def by_name(objs: list[PSObj]) -> dict[str, PSObj]:
    return {o.get("Name"): o for o in objs}


def test_all_returns_host_vnics_then_vm_adapters_with_their_types() -> None:
    out = run(make_host(), cmd("Get-VMNetworkAdapter", All=True)).output
    assert [(o.get("Name"), o.type_names[0]) for o in out] == [
        ("sw-legacy", HOST_VNIC), ("sw-internal", HOST_VNIC), ("Storage", HOST_VNIC),
        ("Frontend", VM_ADAPTER), ("Backend", VM_ADAPTER), ("Network Adapter", VM_ADAPTER),
    ]
    assert all(o.type_names[1] == "Microsoft.HyperV.PowerShell.VMNetworkAdapterBase" for o in out)


def test_vm_adapter_properties_reflect_the_model() -> None:
    out = by_name(run(make_host(), cmd("Get-VMNetworkAdapter", VMName=["web01", "db01"])).output)
    front, back, off = out["Frontend"], out["Backend"], out["Network Adapter"]
    assert front.get("VMName") == "web01" and isinstance(front.get("VMId"), uuid.UUID)
    assert front.get("SwitchName") == "sw-compute" and front.get("Connected") is True
    assert front.get("MacAddress") == "00155D010A01" and front.get("IovWeight") == 100
    assert front.get("Id").startswith("Microsoft:") and "\\" in front.get("Id")
    assert front.get("MacAddressSpoofing").name == "Off" and front.get("MacAddressSpoofing").value == 1
    assert front.get("Status").items[0].name == "Ok"
    assert off.get("MacAddress") == "000000000000" and off.get("SwitchName") is None
    assert off.get("Connected") is False and off.get("Status").items == []
    assert back.get("BandwidthSetting").get("MaximumBandwidth") == 1_000_000_000
    assert front.get("BandwidthSetting") is None  # null until first set
    assert front.get("CurrentIsolationMode").name == "Vlan"


def test_sriov_runtime_properties_follow_the_chain() -> None:
    host = make_host()
    front = by_name(run(host, cmd("Get-VMNetworkAdapter", VMName=["web01"])).output)["Frontend"]
    assert front.get("IovUsage") == 1 and front.get("VFDataPathActive") is True
    vf = front.get("VirtualFunction")
    assert vf.get("Name") == "SLOT 3 Port 1" and vf.get("VmFriendlyName") == "web01"
    host.model.vms[0].state = "Off"
    front = by_name(run(host, cmd("Get-VMNetworkAdapter", VMName=["web01"])).output)["Frontend"]
    assert front.get("IovUsage") == 0 and front.get("VFDataPathActive") is False
    assert front.get("VirtualFunction") is None


def test_management_os_and_switch_name_filter() -> None:
    host = make_host()
    assert names(run(host, cmd("Get-VMNetworkAdapter", ManagementOS=True))) == ["sw-legacy", "sw-internal", "Storage"]
    vnics = run(host, cmd("Get-VMNetworkAdapter", ManagementOS=True, SwitchName="sw-comp*")).output
    assert [(o.get("Name"), o.get("IsManagementOs"), o.get("VMName")) for o in vnics] == [("Storage", True, None)]
    assert list(vnics[0].properties)[:6] == ["IsManagementOs", "MacAddress", "DeviceId", "AdapterId", "Name", "SwitchName"]


def test_name_filter_and_not_found_errors() -> None:
    host = make_host()
    assert names(run(host, cmd("Get-VMNetworkAdapter", VMName=["web*"], Name=["back*"]))) == ["Backend"]
    missing_vm = run(host, cmd("Get-VMNetworkAdapter", VMName=["ghost"]))
    assert missing_vm.output == [] and "virtual machine with name \"ghost\"" in missing_vm.errors[0].message
    missing_nic = run(host, cmd("Get-VMNetworkAdapter", VMName=["web01"], Name=["nope"]))
    assert missing_nic.errors[0].message == "No network adapter was found with the given criteria."
    assert missing_nic.errors[0].category == "ObjectNotFound"


def test_no_selector_is_a_terminating_parameter_set_error() -> None:
    result = run(make_host(), cmd("Get-VMNetworkAdapter"))
    assert result.terminating is not None
    assert result.terminating.fully_qualified_error_id.startswith("AmbiguousParameterSet,")


def test_piped_vm_selects_its_adapters() -> None:
    host = make_host()
    vm = host.model.vms[0]
    assert names(run(host, cmd("Get-VM", Id=vm.id), cmd("Get-VMNetworkAdapter"))) == ["Frontend", "Backend"]


def test_vlan_objects_for_trunk_access_and_untagged() -> None:
    out = run(make_host(), cmd("Get-VMNetworkAdapterVlan", VMName=["web01", "db01"])).output
    trunk, access, untagged = out
    assert trunk.type_names == ["Microsoft.HyperV.PowerShell.VMNetworkAdapterVlanSetting"]
    assert trunk.get("OperationMode").name == "Trunk" and trunk.get("NativeVlanId") == 10
    assert trunk.get("AllowedVlanIdList").items == [10, 20, 21, 22, 30]
    assert trunk.get("AllowedVlanIdListString") == "10,20-22,30"
    assert access.get("OperationMode").name == "Access" and access.get("AccessVlanId") == 10
    assert untagged.get("OperationMode").name == "Untagged"
    # No VMName/Id of its own: only the ParentAdapter (hyperv-model §5).
    assert "VMName" not in trunk.properties
    assert trunk.get("ParentAdapter").get("Name") == "Frontend"


def test_vlan_of_a_piped_adapter_and_of_management_os() -> None:
    host = make_host()
    storage = next(a for a in host.model.adapters if a.name == "Storage")
    (vlan,) = run(host, cmd("Get-VMNetworkAdapter", ManagementOS=True),
                  cmd("Where-Object", Property="Id", EQ=True, Value=storage.id),
                  cmd("Get-VMNetworkAdapterVlan")).output  # fmt: skip
    assert vlan.get("AccessVlanId") == 20
    mgmt = run(host, cmd("Get-VMNetworkAdapterVlan", ManagementOS=True, VMNetworkAdapterName=["Storage"])).output
    assert [v.get("AccessVlanId") for v in mgmt] == [20]


@pytest.mark.parametrize("vm_state", ["Running", "Off"])
def test_vm_adapter_has_the_stub_property_set(vm_state: str) -> None:
    host = make_host()
    host.model.vms[0].state = vm_state
    (obj,) = [o for o in run(host, cmd("Get-VMNetworkAdapter", VMName=["web01"])).output if o.get("Name") == "Frontend"]
    props = list(obj.properties)
    assert props[:3] == ["ClusterMonitored", "MacAddress", "MediaType"]
    assert props[-7:] == ["VMId", "VMName", "VMSnapshotId", "VMSnapshotName", "CimSession", "ComputerName", "IsDeleted"]
    assert len(props) == len(set(props)) == 83
