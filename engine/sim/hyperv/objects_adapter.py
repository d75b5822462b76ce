"""Model → ``PSObj`` for VM network adapters, host vNICs and their nested settings.

Property sets and order: VMNetworkAdapter / VMInternalNetworkAdapter /
VMNetworkAdapterVlanSetting / VMNetworkAdapterIsolationSetting from the HyperVDsc
stubs (dsccommunity/HyperVDsc tests/Unit/Stubs/Hyper-V.stubs.psm1); the
BandwidthSetting members from hyperv-model §1.4 (the stub leaves that type empty).
"""

from __future__ import annotations

import uuid
from typing import Any

from engine.sim.hyperv import sriov
from engine.sim.hyperv.model import HostModel, PortAdapter
from engine.sim.hyperv.objects import NS, cim_session, enum, guid, on_off
from engine.sim.hyperv.vlanlist import format_vlan_list
from engine.sim.objects import Int64, PSEnum, PSList, PSObj, UInt16, UInt32

SRIOV_VF_TYPE = "Microsoft.Management.Infrastructure.CimInstance#ROOT/StandardCimv2/MSFT_NetAdapterSriovVfSettingData"
CIM_INSTANCE = "Microsoft.Management.Infrastructure.CimInstance"
_NO_SNAPSHOT = uuid.UUID(int=0)


def adapter_guid(adapter: PortAdapter) -> str:
    """The trailing GUID of an adapter id (its AdapterId)."""
    return adapter.id.rsplit("\\", 1)[-1].removeprefix("Microsoft:")


def _common(model: HostModel) -> dict[str, Any]:
    return {"IsTemplate": False, "CimSession": cim_session(), "ComputerName": model.computer_name, "IsDeleted": False}


def vlan_obj(model: HostModel, adapter: PortAdapter, parent: PSObj | None = None) -> PSObj:
    v = adapter.vlan
    pvlan = v.private_vlan_mode if v.mode == "Private" else None
    trunk = v.mode == "Trunk"
    props: dict[str, Any] = {
        "OperationMode": enum("VMNetworkAdapterVlanMode", v.mode),
        "AccessVlanId": v.access_vlan_id,
        "NativeVlanId": v.native_vlan_id,
        "AllowedVlanIdList": PSList("System.Int32", list(v.allowed_vlan_ids)) if trunk else None,
        "AllowedVlanIdListString": format_vlan_list(v.allowed_vlan_ids) if trunk else "",
        # An unset PrivateVlanMode is the undefined enum value 0, shown as "0".
        "PrivateVlanMode": enum("VMNetworkAdapterPrivateVlanMode", pvlan)
        if pvlan
        else PSEnum(f"{NS}.VMNetworkAdapterPrivateVlanMode", "0", 0),
        "PrimaryVlanId": v.primary_vlan_id,
        # SecondaryVlanId only for Isolated/Community, the list only for Promiscuous (hyperv-model §1.5).
        "SecondaryVlanId": v.secondary_vlan_id if pvlan in ("Isolated", "Community") else 0,
        "SecondaryVlanIdList": PSList("System.Int32", list(v.secondary_vlan_ids)) if pvlan == "Promiscuous" else None,
        "SecondaryVlanIdListString": format_vlan_list(v.secondary_vlan_ids) if pvlan == "Promiscuous" else "",
        "ParentAdapter": parent if parent is not None else adapter_obj(model, adapter, with_settings=False),
        **_common(model),
    }
    return PSObj([f"{NS}.VMNetworkAdapterVlanSetting"], props, f"{NS}.VMNetworkAdapterVlanSetting")


def bandwidth_obj(model: HostModel, adapter: PortAdapter, parent: PSObj) -> PSObj | None:
    bw = adapter.bandwidth
    if bw is None:
        return None  # null until first set (hyperv-model §1.4)
    props: dict[str, Any] = {
        "MaximumBandwidth": Int64(bw.maximum),
        "MinimumBandwidthAbsolute": Int64(bw.minimum_absolute),
        "MinimumBandwidthWeight": UInt32(bw.minimum_weight),
        "ParentAdapter": parent,
        **_common(model),
    }
    return PSObj([f"{NS}.VMNetworkAdapterBandwidthSetting"], props, f"{NS}.VMNetworkAdapterBandwidthSetting")


def isolation_obj(model: HostModel, parent: PSObj) -> PSObj:
    props: dict[str, Any] = {
        "IsolationMode": enum("VMNetworkAdapterIsolationMode", "None"),
        "AllowUntaggedTraffic": False,
        "DefaultIsolationID": 0,
        "MultiTenantStack": on_off(False),
        "ParentAdapter": parent,
        **_common(model),
    }
    return PSObj([f"{NS}.VMNetworkAdapterIsolationSetting"], props, f"{NS}.VMNetworkAdapterIsolationSetting")


def virtual_function_obj(model: HostModel, adapter: PortAdapter, grant: sriov.VfGrant) -> PSObj:
    """MSFT_NetAdapterSriovVfSettingData of a granted VF (W32 property names)."""
    nic = model.nic(grant.nic_name)
    vm = model.vm(adapter.vm_id)
    props: dict[str, Any] = {
        "Name": grant.nic_name,
        "InterfaceDescription": nic.interface_description if nic else "",
        "FunctionID": UInt16(grant.function_id),
        "SwitchID": UInt32(model.switches.index(model.switch(grant.switch_id)) if model.switch(grant.switch_id) else 0),
        "VmFriendlyName": vm.name if vm else "",
        "VmID": vm.id.upper() if vm else "",
        "VmNicID": adapter_guid(adapter),
        "CurrentMacAddress": _dashed(adapter.mac),
        "PermanentMacAddress": _dashed(adapter.mac),
        "VPortID": PSList("System.UInt32", [UInt32(grant.function_id + 1)]),
    }
    return PSObj([SRIOV_VF_TYPE, CIM_INSTANCE], props, f"MSFT_NetAdapterSriovVfSettingData (Name = \"{grant.nic_name}\")")


def _dashed(mac: str) -> str:
    return "-".join(mac[i : i + 2] for i in range(0, 12, 2))


def _isolation_mode(adapter: PortAdapter) -> str:
    # DEC VMNetworkAdapterBase: NativeVirtualSubnet when a VSID is set, else Vlan.
    return "NativeVirtualSubnet" if adapter.virtual_subnet_id else "Vlan"


def adapter_obj(
    model: HostModel,
    adapter: PortAdapter,
    state: sriov.SriovState | None = None,
    *,
    with_settings: bool = True,
) -> PSObj:
    """A VMNetworkAdapter, or a VMInternalNetworkAdapter for a host vNIC.

    ``with_settings=False`` leaves the nested settings out (used for ParentAdapter,
    which remoting reduces to a string anyway, and to avoid the cycle).
    """
    host = adapter.is_management_os
    type_name = f"{NS}.VMInternalNetworkAdapter" if host else f"{NS}.VMNetworkAdapter"
    vm = model.vm(adapter.vm_id)
    owner = vm.name if vm is not None else None
    to_string = f"VMNetworkAdapter (Name = '{adapter.name}', VMName = '{owner or ''}') [VMId = '{adapter.vm_id or ''}']"
    if host:
        to_string = f"VMInternalNetworkAdapter (Name = '{adapter.name}') [Id = '{adapter.id}']"
    obj = PSObj([type_name, f"{NS}.VMNetworkAdapterBase"], {}, to_string)
    if state is None:
        state = sriov.evaluate(model)
    grant = state.grants.get(adapter.id)
    sw = model.switch(adapter.switch_id)
    running = host or (vm is not None and vm.state == "Running")
    ok = running and adapter.connected and sw is not None
    status = [enum("VMNetworkAdapterOperationalStatus", "Ok")] if ok else []
    vlan = vlan_obj(model, adapter, obj) if with_settings else None
    bandwidth = bandwidth_obj(model, adapter, obj) if with_settings else None
    isolation = isolation_obj(model, obj) if with_settings else None
    percentage = 0
    if adapter.bandwidth is not None and sw is not None and sw.bandwidth_mode == "Weight":
        percentage = adapter.bandwidth.minimum_weight

    head: dict[str, Any]
    if host:
        head = {
            "IsManagementOs": True,
            "MacAddress": adapter.mac,
            "DeviceId": "{" + adapter_guid(adapter) + "}",
            "AdapterId": adapter_guid(adapter),
            "Name": adapter.name,
            "SwitchName": sw.name if sw else None,
        }
    else:
        head = {
            "ClusterMonitored": True,
            "MacAddress": adapter.mac,
            "MediaType": UInt32(0),
            "DynamicMacAddressEnabled": adapter.dynamic_mac,
            "InterruptModeration": True,
            "AllowPacketDirect": False,
            "NumaAwarePlacement": False,
            "IsLegacy": adapter.is_legacy,
            "IsSynthetic": not adapter.is_legacy,
            "IPAddresses": PSList("System.String", list(adapter.ip_addresses) if running else []),
            "DeviceNaming": on_off(adapter.device_naming),
            "IovWeight": UInt32(adapter.iov_weight),
            "IovQueuePairsRequested": UInt32(adapter.iov_qp_requested),
            "IovInterruptModeration": enum("IovInterruptModerationValue", adapter.iov_interrupt_moderation),
            "PacketDirectNumProcs": UInt32(0),
            "PacketDirectModerationCount": UInt32(64),
            "PacketDirectModerationInterval": UInt32(1000000),
            "IovQueuePairsAssigned": UInt32(min(adapter.iov_qp_requested, 8) if grant else 0),
            "IovUsage": 1 if grant else 0,
            # Set only when IovUsage > 0 (DEC VMNetworkAdapter).
            "VirtualFunction": virtual_function_obj(model, adapter, grant) if grant else None,
            "MandatoryFeatureId": PSList("System.String", []),
            "MandatoryFeatureName": PSList("System.String", []),
            "PoolName": "",
            "Connected": adapter.connected,
            "SwitchName": sw.name if sw else None,
            "AdapterId": adapter_guid(adapter),
            "TestReplicaPoolName": None,
            "TestReplicaSwitchName": None,
        }
    body: dict[str, Any] = {
        "StatusDescription": PSList("System.String", ["OK"] if ok else []),
        "Status": PSList(f"{NS}.VMNetworkAdapterOperationalStatus", status),
        "IsManagementOs": host,
        "IsExternalAdapter": False,
        "Id": adapter.id,
        "SwitchId": guid(sw.id) if sw else None,
        "AclList": PSList(f"{NS}.VMNetworkAdapterAclSetting", []),
        "ExtendedAclList": PSList(f"{NS}.VMNetworkAdapterExtendedAclSetting", []),
        "IsolationSetting": isolation,
        "RoutingDomainList": PSList(f"{NS}.VMNetworkAdapterRoutingDomainSetting", []),
        "VlanSetting": vlan,
        "BandwidthSetting": bandwidth,
        "CurrentIsolationMode": enum("VMNetworkAdapterIsolationMode", _isolation_mode(adapter)),
        "MacAddressSpoofing": on_off(adapter.mac_spoofing),
        "DhcpGuard": on_off(adapter.dhcp_guard),
        "RouterGuard": on_off(adapter.router_guard),
        "PortMirroringMode": enum("VMNetworkAdapterPortMirroringMode", "None"),
        "IeeePriorityTag": on_off(False),
        "VirtualSubnetId": UInt32(adapter.virtual_subnet_id),
        "DynamicIPAddressLimit": UInt32(0),
        "StormLimit": UInt32(0),
        "AllowTeaming": on_off(False),
        "FixSpeed10G": on_off(False),
        "VMQWeight": UInt32(adapter.vmq_weight),
        "IPsecOffloadMaxSA": Int64(512),
        "VrssEnabled": ok,
        "VrssEnabledRequested": True,
        "VmmqEnabled": False,
        "VmmqEnabledRequested": True,
        "VrssMaxQueuePairs": UInt32(16 if ok else 0),
        "VrssMaxQueuePairsRequested": UInt32(16),
        "VrssMinQueuePairs": UInt32(1 if ok else 0),
        "VrssMinQueuePairsRequested": UInt32(1),
        "VrssQueueSchedulingMode": enum("VrssQueueSchedulingModeType", "Dynamic"),
        "VrssQueueSchedulingModeRequested": enum("VrssQueueSchedulingModeType", "Dynamic"),
        "VrssExcludePrimaryProcessor": False,
        "VrssExcludePrimaryProcessorRequested": False,
        "VrssIndependentHostSpreading": False,
        "VrssIndependentHostSpreadingRequested": False,
        "VrssVmbusChannelAffinityPolicy": enum("VrssVmbusChannelAffinityPolicyType", "Strong"),
        "VrssVmbusChannelAffinityPolicyRequested": enum("VrssVmbusChannelAffinityPolicyType", "Strong"),
        "VmqUsage": 1 if ok and adapter.vmq_weight > 0 else 0,
        "IPsecOffloadSAUsage": UInt32(0),
        "VFDataPathActive": grant is not None,
        "VMQueue": None,
        "BandwidthPercentage": UInt32(percentage),
        "IsTemplate": False,
    }
    if not host:
        body["Name"] = adapter.name
    tail: dict[str, Any] = {
        "VMId": guid(vm.id) if vm else None,
        "VMName": owner,
        "VMSnapshotId": _NO_SNAPSHOT,
        "VMSnapshotName": "",
        "CimSession": cim_session(),
        "ComputerName": model.computer_name,
        "IsDeleted": False,
    }
    obj.properties.update(head)
    for key, value in body.items():
        if key not in obj.properties:  # IsManagementOs leads on the internal type
            obj.properties[key] = value
    obj.properties.update(tail)
    return obj
