"""Model → ``PSObj`` for the CIM-based modules: NetAdapter, NetTCPIP, NetWNV.

CDXML cmdlets return CimInstances whose type names are
``Microsoft.Management.Infrastructure.CimInstance#ROOT/StandardCimv2/<Class>`` then
``Microsoft.Management.Infrastructure.CimInstance``. CIM enum properties are the raw
numbers of the class (W32/WMI in hyperv-model §0); the display names PowerShell's
format views show (``Status: Up``, ``LinkSpeed: 25 Gbps``) exist as separate string
properties where the real class has them.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from engine.sim.hyperv import sriov
from engine.sim.hyperv.model import CustomerRoute, HostModel, LookupRecord, Nic, PortAdapter, ProviderAddress
from engine.sim.objects import Byte, PSList, PSObj, UInt16, UInt32, UInt64

CIM = "Microsoft.Management.Infrastructure.CimInstance"
_IF_OPER = {"Up": 1, "Disconnected": 7, "Disabled": 2}  # IF_OPER_STATUS: up 1, down 2, notPresent 6, lowerLayerDown 7
SRIOV_SUPPORT = {
    "Unknown": 0, "Supported": 1, "MissingAcs": 2, "MissingPfDriver": 3,
    "NoBusResources": 4, "NoIoMmuSupport": 5, "NoVfBarSpace": 6, "NoOscSupport": 7,
}  # fmt: skip
LOOKUP_RULE = {"TranslationMethodNat": 1, "TranslationMethodEncap": 2, "TranslationMethodNone": 3}
LOOKUP_TYPE = {"Static": 1, "Dynamic": 2, "GatewayWildcard": 3, "L2Only": 4}
HOST_VNIC_DESCRIPTION = "Hyper-V Virtual Ethernet Adapter"


def cim(class_name: str, props: dict[str, Any], to_string: str = "") -> PSObj:
    props = {**props, "PSComputerName": None}
    return PSObj([f"{CIM}#ROOT/StandardCimv2/{class_name}", CIM], props, to_string or f"{class_name} (Name = \"\")")


def dashed_mac(mac: str) -> str:
    return "-".join(mac[i : i + 2] for i in range(0, len(mac), 2))


def link_speed_text(bps: int) -> str:
    if bps >= 1_000_000_000:
        return f"{bps / 1_000_000_000:g} Gbps"
    return f"{bps / 1_000_000:g} Mbps"


def host_vnic_if_index(adapter: PortAdapter) -> int:
    """A stable interface index for a host vNIC (physical NICs keep theirs)."""
    return 1000 + adapter.created


def host_vnic_alias(adapter: PortAdapter) -> str:
    return f"vEthernet ({adapter.name})"


def _adapter_props(
    name: str, description: str, driver_description: str, driver_version: str, mac: str,
    speed: int, status: str, if_index: int, guid: str, virtual: bool, pnp: str,
) -> dict[str, Any]:  # fmt: skip
    up = status == "Up"
    return {
        "MacAddress": dashed_mac(mac),
        "Status": status,
        "LinkSpeed": link_speed_text(speed) if up else "0 bps",
        "MediaType": "802.3",
        "PhysicalMediaType": "Unspecified" if virtual else "802.3",
        "AdminStatus": "Down" if status == "Disabled" else "Up",
        "MediaConnectionState": "Connected" if up else "Disconnected",
        "DriverInformation": f"Driver Date 2023-01-01 Version {driver_version} NDIS 6.85",
        "ifOperStatus": _IF_OPER.get(status, 2),
        "ifAlias": name,
        "InterfaceAlias": name,
        "ifIndex": if_index,
        "ifDesc": description,
        "ifName": f"ethernet_{32768 + if_index}",
        "DriverVersion": driver_version,
        "LinkLayerAddress": dashed_mac(mac),
        "Name": name,
        "DeviceID": "{" + guid.upper() + "}",
        "Speed": UInt64(speed if up else 0),
        "PermanentAddress": mac,
        "NetworkAddresses": PSList("System.String", [mac]),
        "ActiveMaximumTransmissionUnit": UInt64(1500),
        "ComponentID": "vms_mp" if virtual else "pci\\ven_15b3&dev_1017",
        "ConnectorPresent": not virtual,
        "DriverDescription": driver_description,
        "DriverVersionString": driver_version,
        "HardwareInterface": not virtual,
        "Hidden": False,
        "InterfaceDescription": description,
        "InterfaceGuid": "{" + guid.upper() + "}",
        "InterfaceIndex": UInt32(if_index),
        "InterfaceName": f"ethernet_{32768 + if_index}",
        "MtuSize": UInt32(1500),
        "PnPDeviceID": pnp,
        "ReceiveLinkSpeed": UInt64(speed if up else 0),
        "TransmitLinkSpeed": UInt64(speed if up else 0),
        "Virtual": virtual,
        "VlanID": UInt16(0),
    }


def net_adapter_obj(nic: Nic) -> PSObj:
    pnp = f"PCI\\VEN_15B3&DEV_1017\\{nic.if_index:04X}" if not nic.pci_location else f"PCI\\{nic.pci_location}"
    props = _adapter_props(
        nic.name, nic.interface_description, nic.driver_description, nic.driver_version, nic.mac,
        nic.link_speed_bps, nic.status, nic.if_index, nic.interface_guid, False, pnp,
    )  # fmt: skip
    return cim("MSFT_NetAdapter", props, f"MSFT_NetAdapter (CreationClassName = \"MSFT_NetAdapter\", DeviceID = \"{{{nic.interface_guid.upper()}}}\")")


def host_vnic_net_adapter_obj(model: HostModel, adapter: PortAdapter) -> PSObj:
    """The ``vEthernet (<name>)`` NetAdapter Windows shows for a host vNIC."""
    guid = adapter.id.removeprefix("Microsoft:").lower()
    index = sorted(a.created for a in model.host_vnics()).index(adapter.created)
    description = HOST_VNIC_DESCRIPTION + (f" #{index + 1}" if index else "")
    sw = model.switch(adapter.switch_id)
    nics = model.uplink_nics(sw) if sw else []
    speed = nics[0].link_speed_bps if nics else 10_000_000_000
    props = _adapter_props(
        host_vnic_alias(adapter), description, HOST_VNIC_DESCRIPTION, "10.0.20348.1", adapter.mac,
        speed, "Up", host_vnic_if_index(adapter), guid, True, f"ROOT\\VMS_MP\\{index:04d}",
    )  # fmt: skip
    return cim("MSFT_NetAdapter", props)


def net_adapter_hardware_info_obj(nic: Nic) -> PSObj:
    props = {
        "Name": nic.name,
        "InterfaceDescription": nic.interface_description,
        "LocationInformationString": nic.pci_location,
        "PciDeviceLabelString": nic.name,
        "Slot": UInt32(0),
        "Bus": UInt32(0),
        "Device": UInt32(0),
        "Function": UInt32(0),
    }
    return cim("MSFT_NetAdapterHardwareInfoSettingData", props)


def sriov_capabilities_obj(nic: Nic, current: bool) -> PSObj:
    s = nic.sriov
    assert s is not None
    vfs = s.num_vfs if current else s.max_vfs
    props = {
        "SriovSupport": Byte(SRIOV_SUPPORT.get(s.support_reason, 0)),
        "MaxNumVFs": UInt32(vfs),
        "MaxNumVPorts": UInt32(s.max_vfs + 1),
        "MaxNumQueuePairs": UInt32(127),
        "MaxNumQueuePairsPerVPort": UInt32(8),
        "VfRssSupported": True,
    }
    return PSObj(["Microsoft.Management.Infrastructure.CimInstance#MSFT_NetAdapterSriovCapabilities", CIM], props, "MSFT_NetAdapterSriovCapabilities")


def net_adapter_sriov_obj(model: HostModel, nic: Nic, state: sriov.SriovState) -> PSObj:
    """MSFT_NetAdapterSriovSettingData (W32 property names; SriovSupport as its uint8)."""
    s = nic.sriov
    assert s is not None
    in_use = state.vfs_in_use(nic.name)
    active = sriov.nic_vf_capacity(nic) > 0
    props = {
        "Caption": f"MSFT_NetAdapterSriovSettingData '{nic.interface_description}'",
        "Description": nic.interface_description,
        "ElementName": nic.interface_description,
        "InstanceID": "{" + nic.interface_guid.upper() + "}",
        "InterfaceDescription": nic.interface_description,
        "Name": nic.name,
        "Source": UInt32(3),
        "SystemName": model.computer_name,
        "Enabled": s.enabled,
        "SriovSupport": Byte(SRIOV_SUPPORT.get(s.support_reason, 0)),
        "SwitchName": "DEFAULTSWITCH",
        "SwitchType": UInt16(1 if model.switch_of_nic(nic.name) else 0),
        "NumVFs": UInt32(s.num_vfs),
        "NumAllocatedVFs": UInt32(in_use),
        "NumVPorts": UInt32(s.num_vfs + 1 if active else 0),
        "NumActiveVPorts": UInt32(in_use + (1 if active else 0)),
        "NumQueuePairsForDefaultVPort": UInt32(8 if active else 0),
        "NumQueuePairsForNonDefaultVPorts": UInt32(1 if active else 0),
        "HardwareCapabilities": sriov_capabilities_obj(nic, current=False),
        "CurrentCapabilities": sriov_capabilities_obj(nic, current=True),
    }
    return cim("MSFT_NetAdapterSriovSettingData", props, f"MSFT_NetAdapterSriovSettingData (Name = \"{nic.name}\")")


def net_adapter_sriov_vf_obj(model: HostModel, grant: sriov.VfGrant) -> PSObj:
    from engine.sim.hyperv.objects_adapter import virtual_function_obj

    adapter = model.adapter(grant.adapter_id)
    assert adapter is not None
    return virtual_function_obj(model, adapter, grant)


def ip_address_obj(address: str, if_index: int, alias: str, manual: bool = True) -> PSObj:
    iface = ipaddress.ip_interface(address)
    v4 = iface.version == 4
    props = {
        "IPAddress": str(iface.ip),
        "InterfaceIndex": UInt32(if_index),
        "InterfaceAlias": alias,
        "AddressFamily": UInt16(2 if v4 else 23),
        "Type": Byte(1),  # Unicast
        "PrefixLength": Byte(iface.network.prefixlen),
        "PrefixOrigin": Byte(1 if manual else 3),  # Manual / Dhcp
        "SuffixOrigin": Byte(1 if manual else 3),
        "AddressState": Byte(4),  # Preferred
        "ValidLifetime": "Infinite ([TimeSpan]::MaxValue)",
        "PreferredLifetime": "Infinite ([TimeSpan]::MaxValue)",
        "SkipAsSource": False,
        "PolicyStore": "ActiveStore",
    }
    return cim("MSFT_NetIPAddress", props, str(iface.ip))


def provider_address_obj(pa: ProviderAddress) -> PSObj:
    props = {
        "ProviderAddress": pa.address,
        "InterfaceIndex": UInt32(pa.interface_index),
        "PrefixLength": Byte(pa.prefix_length),
        "VlanID": UInt16(pa.vlan_id),
        "AddressState": UInt32(4),  # Preferred
        "MACAddress": pa.mac,
        "ManagedByCluster": False,
    }
    return cim("MSFT_NetVirtualizationProviderAddressSettingData", props)


def lookup_record_obj(lr: LookupRecord) -> PSObj:
    props = {
        "CustomerAddress": lr.customer_address,
        "VirtualSubnetID": UInt32(lr.virtual_subnet_id),
        "MACAddress": lr.mac,
        "ProviderAddress": lr.provider_address,
        "CustomerID": lr.customer_id or "{00000000-0000-0000-0000-000000000000}",
        "Context": lr.context,
        "Rule": UInt32(LOOKUP_RULE.get(lr.rule, 2)),
        "VMName": lr.vm_name,
        "UseVmMACAddress": lr.use_vm_mac,
        "Type": UInt32(LOOKUP_TYPE.get(lr.type, 1)),
    }
    return cim("MSFT_NetVirtualizationLookupRecordSettingData", props)


def customer_route_obj(cr: CustomerRoute) -> PSObj:
    props = {
        "RoutingDomainID": cr.routing_domain_id,
        "VirtualSubnetID": UInt32(cr.virtual_subnet_id),
        "DestinationPrefix": cr.destination_prefix,
        "NextHop": cr.next_hop,
        "Metric": UInt32(cr.metric),
        "CustomerID": cr.customer_id or "{00000000-0000-0000-0000-000000000000}",
    }
    return cim("MSFT_NetVirtualizationCustomerRouteSettingData", props)


def os_caption(build: int) -> str:
    year = next((y for b, y in ((26100, "2025"), (20348, "2022"), (17763, "2019")) if build >= b), "2016")
    return f"Microsoft Windows Server {year} Datacenter"


def os_obj(model: HostModel) -> PSObj:
    """Win32_OperatingSystem (root/cimv2): the properties that identify the build."""
    props = {
        "Caption": os_caption(model.os_build),
        "Version": f"10.0.{model.os_build}",
        "BuildNumber": str(model.os_build),
        "CSName": model.computer_name,
        "OSArchitecture": "64-bit",
        "ProductType": UInt32(3),  # server
    }
    return PSObj([f"{CIM}#root/cimv2/Win32_OperatingSystem", CIM], {**props, "PSComputerName": None}, "Win32_OperatingSystem")
