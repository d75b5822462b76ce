"""Model → ``PSObj`` for the Hyper-V module's types, with their full property sets.

Property sets and enum numbers come from the HyperVDsc stubs (STUB, generated from
the real Hyper-V 2.0.0.0 module: dsccommunity/HyperVDsc tests/Unit/Stubs/Hyper-V.stubs.psm1);
the VMSwitch set and order are exactly real-captures/get-vmswitch-select-all.txt.
Runtime-only values (queues, vRSS) are plausible constants. Derived values
(SwitchType, AllowManagementOS, IovSupport, SR-IOV usage) are computed from the
model on every read. Nested settings are full PSObjs; the PSRP layer reduces them
to their ToString at remoting depth > 1.
"""

from __future__ import annotations

import datetime
import uuid
from functools import lru_cache
from typing import Any

from engine.sim.hyperv import sriov
from engine.sim.hyperv.model import VM, HostModel, PortAdapter, VSwitch
from engine.sim.objects import Int64, PSEnum, PSList, PSObj, UInt32, UInt64

NS = "Microsoft.HyperV.PowerShell"

ENUMS: dict[str, dict[str, int]] = {
    "VMSwitchType": {"Private": 0, "Internal": 1, "External": 2},
    "VMSwitchBandwidthMode": {"Default": 0, "Weight": 1, "Absolute": 2, "None": 3},
    "VMSwitchLoadBalancingAlgorithm": {"HyperVPort": 4, "Dynamic": 5},
    "VMSwitchTeamingMode": {"SwitchIndependent": 1},
    "VrssQueueSchedulingModeType": {"Dynamic": 0, "StaticVmq": 1, "StaticVrss": 2},
    "VrssVmbusChannelAffinityPolicyType": {"None": 1, "Weak": 2, "Strong": 3, "Strict": 4},
    "OnOffState": {"On": 0, "Off": 1},
    "IovInterruptModerationValue": {"Default": 0, "Adaptive": 1, "Off": 2, "Low": 100, "Medium": 200, "High": 300},
    "VMNetworkAdapterIsolationMode": {"None": 0, "NativeVirtualSubnet": 1, "ExternalVirtualSubnet": 2, "Vlan": 3},
    "VMNetworkAdapterPortMirroringMode": {"None": 0, "Destination": 1, "Source": 2},
    "VMNetworkAdapterVlanMode": {"Untagged": 0, "Access": 1, "Trunk": 2, "Private": 3},
    "VMNetworkAdapterPrivateVlanMode": {"Isolated": 1, "Community": 2, "Promiscuous": 3},
    "VMNetworkAdapterOperationalStatus": {"Unknown": 0, "Ok": 2, "Degraded": 3},
    "VMState": {"Other": 1, "Running": 2, "Off": 3, "Stopping": 4, "Saved": 6, "Paused": 9, "Starting": 10},
    "VMOperationalStatus": {"Ok": 2, "Degraded": 3},
    "VMHeartbeatStatus": {"Unknown": 0, "Disabled": 1, "NoContact": 2, "OkApplicationsUnknown": 5},
    "VMReplicationHealthState": {"NotApplicable": 0},
    "VMReplicationMode": {"None": 0},
    "VMReplicationState": {"Disabled": 0},
    "StartAction": {"Nothing": 2, "StartIfRunning": 3, "Start": 4},
    "StopAction": {"TurnOff": 2, "Save": 3, "ShutDown": 4},
    "CriticalErrorAction": {"None": 0, "Pause": 1},
    "CheckpointType": {"Disabled": 2, "Production": 3, "ProductionOnly": 4, "Standard": 5},
    "EnhancedSessionTransportType": {"VMBus": 0, "HvSocket": 1},
    "VirtualMachineType": {"RealizedVirtualMachine": 3, "PlannedVirtualMachine": 4},
    "VirtualMachineSubType": {"Unknown": 0, "Generation1": 1, "Generation2": 2},
}

SET_INTERFACE_DESCRIPTION = "Teamed-Interface"  # VMSwitch_SETInterfaceDescription (hyperv-model §1.1); text recalled, unverified
_EXTENSIONS = ("Microsoft Windows Filtering Platform", "Microsoft NDIS Capture")  # real capture


@lru_cache(maxsize=1024)
def enum(type_name: str, name: str) -> PSEnum:
    # PSEnum is frozen: one shared value per (type, name); reads build ~20 per adapter.
    return PSEnum(f"{NS}.{type_name}", name, ENUMS[type_name][name])


def on_off(flag: bool) -> PSEnum:
    return enum("OnOffState", "On" if flag else "Off")


def cim_session() -> PSObj:
    return PSObj(["Microsoft.Management.Infrastructure.CimSession"], {"ComputerName": None}, "CimSession: .")


@lru_cache(maxsize=8192)
def guid(text: str) -> uuid.UUID:
    """``uuid.UUID(text)``, parsed once: UUIDs are immutable, and big reads parse the same
    switch and VM ids for every adapter."""
    return uuid.UUID(text)


def _guid(text: str | None) -> uuid.UUID | None:
    return guid(text) if text else None


def _strings(items: list[str]) -> PSList:
    return PSList("System.String", list(items))


def _qp_assigned(adapter: PortAdapter | None) -> int:
    """IovQueuePairsAssigned of a VF-backed adapter: its request, capped at 8 per VF (plausible)."""
    return min(adapter.iov_qp_requested, 8) if adapter is not None else 0


# ---- VMSwitch / VMSwitchTeam -------------------------------------------------------


def switch_obj(model: HostModel, sw: VSwitch, state: sriov.SriovState) -> PSObj:
    nics = model.uplink_nics(sw)
    external = bool(sw.uplinks)
    iov_support, reasons = model.switch_iov_support(sw)
    link = nics[0].link_speed_bps if nics else 0
    if sw.bandwidth_mode == "Absolute" and link:
        percentage = int(sw.default_flow_min_bw_absolute * 100 // link)
    elif sw.bandwidth_mode == "Weight":
        percentage = sw.default_flow_min_bw_weight
    else:
        percentage = 0
    ports = [a for a in model.adapters_on_switch(sw.id) if a.connected]
    has_vf_hw = any(n.sriov is not None and n.sriov.supported for n in nics)
    granted = [g for g in state.grants.values() if g.switch_id == sw.id]
    if not external:
        description = None
    elif sw.embedded_teaming:
        description = SET_INTERFACE_DESCRIPTION
    else:
        description = nics[0].interface_description if nics else None
    props: dict[str, Any] = {
        "Name": sw.name,
        "Id": guid(sw.id),
        "Notes": sw.notes,
        "Extensions": PSList(
            f"{NS}.VMSwitchExtension",
            [PSObj([f"{NS}.VMSwitchExtension"], {"Name": e, "SwitchName": sw.name}, e) for e in _EXTENSIONS],
        ),
        "BandwidthReservationMode": enum("VMSwitchBandwidthMode", sw.bandwidth_mode),
        "PacketDirectEnabled": sw.packet_direct,
        "EmbeddedTeamingEnabled": sw.embedded_teaming,
        "AllowNetLbfoTeams": False,
        "IovEnabled": sw.iov_enabled,
        "SwitchType": enum("VMSwitchType", model.switch_type(sw)),
        "AllowManagementOS": model.allow_management_os(sw),
        "NetAdapterInterfaceDescription": description,
        "NetAdapterInterfaceDescriptions": _strings([n.interface_description for n in nics]) if external else None,
        "NetAdapterInterfaceGuid": PSList("System.Guid", [guid(n.interface_guid) for n in nics]) if external else None,
        "IovSupport": iov_support,
        "IovSupportReasons": _strings(reasons) if reasons else None,
        "AvailableIPSecSA": UInt32(2048 if external else 0),
        "NumberIPSecSAAllocated": UInt32(0),
        "AvailableVMQueues": UInt32(31 * len(nics)),
        "NumberVmqAllocated": UInt32(min(len(ports), 31 * len(nics))),
        "IovQueuePairCount": UInt32(127 * len(nics) if has_vf_hw else 0),
        "IovQueuePairsInUse": UInt32(sum(_qp_assigned(model.adapter(g.adapter_id)) for g in granted)),
        "IovVirtualFunctionCount": UInt32(sriov.switch_vf_count(model, sw)),
        "IovVirtualFunctionsInUse": UInt32(len(granted)),
        "PacketDirectInUse": sw.packet_direct,
        "DefaultQueueVrssEnabledRequested": True,
        "DefaultQueueVrssEnabled": external,
        "DefaultQueueVmmqEnabledRequested": True,
        "DefaultQueueVmmqEnabled": external,
        "DefaultQueueVrssMaxQueuePairsRequested": UInt32(16),
        "DefaultQueueVrssMaxQueuePairs": UInt32(4 if external else 0),
        "DefaultQueueVrssMinQueuePairsRequested": UInt32(1),
        "DefaultQueueVrssMinQueuePairs": UInt32(1 if external else 0),
        "DefaultQueueVrssQueueSchedulingModeRequested": enum("VrssQueueSchedulingModeType", "StaticVrss"),
        "DefaultQueueVrssQueueSchedulingMode": enum("VrssQueueSchedulingModeType", "StaticVrss"),
        "DefaultQueueVrssExcludePrimaryProcessorRequested": False,
        "DefaultQueueVrssExcludePrimaryProcessor": False,
        "SoftwareRscEnabled": True,
        "RscOffloadEnabled": False,
        "BandwidthPercentage": UInt32(percentage),
        "DefaultFlowMinimumBandwidthAbsolute": UInt64(sw.default_flow_min_bw_absolute),
        "DefaultFlowMinimumBandwidthWeight": UInt64(sw.default_flow_min_bw_weight),
        "CimSession": cim_session(),
        "ComputerName": model.computer_name,
        "IsDeleted": False,
        "DefaultQueueVmmqQueuePairs": UInt32(4 if external else 0),
        "DefaultQueueVmmqQueuePairsRequested": UInt32(16),
    }
    return PSObj([f"{NS}.VMSwitch"], props, sw.name)


def switch_team_obj(model: HostModel, sw: VSwitch) -> PSObj:
    nics = model.uplink_nics(sw)
    props: dict[str, Any] = {
        "Name": sw.name,
        "Id": guid(sw.id),
        "NetAdapterInterfaceDescription": _strings([n.interface_description for n in nics]),
        "NetAdapterInterfaceGuid": PSList("System.Guid", [guid(n.interface_guid) for n in nics]),
        "TeamingMode": enum("VMSwitchTeamingMode", sw.teaming_mode or "SwitchIndependent"),
        "LoadBalancingAlgorithm": enum("VMSwitchLoadBalancingAlgorithm", sw.lb_algorithm or model.default_lb_algorithm),
    }
    return PSObj([f"{NS}.VMSwitchTeam"], props, sw.name)


# ---- VM and VMHost -------------------------------------------------------------------


_CREATED = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)  # fixed: snapshots stay reproducible


def vm_obj(model: HostModel, vm: VM) -> PSObj:
    """A VirtualMachine with the STUB property set (VMName/VMId aliases first, as Get-VM shows)."""
    running = vm.state == "Running"
    adapters = model.vm_adapters(vm.id)
    memory = Int64(2 * 1024**3)
    ok = PSList(f"{NS}.VMOperationalStatus", [enum("VMOperationalStatus", "Ok")])
    props: dict[str, Any] = {
        "VMName": vm.name,
        "VMId": guid(vm.id),
        "ConfigurationLocation": f"C:\\ProgramData\\Microsoft\\Windows\\Hyper-V\\{vm.name}",
        "SmartPagingFileInUse": False,
        "SmartPagingFilePath": "C:\\ProgramData\\Microsoft\\Windows\\Hyper-V",
        "SnapshotFileLocation": "C:\\ProgramData\\Microsoft\\Windows\\Hyper-V",
        "AutomaticStartAction": enum("StartAction", "StartIfRunning"),
        "AutomaticStartDelay": 0,
        "AutomaticStopAction": enum("StopAction", "Save"),
        "AutomaticCriticalErrorAction": enum("CriticalErrorAction", "Pause"),
        "AutomaticCriticalErrorActionTimeout": 30,
        "AutomaticCheckpointsEnabled": False,
        "CPUUsage": 0,
        "MemoryAssigned": Int64(memory if running else 0),
        "MemoryDemand": Int64(memory // 2 if running else 0),
        "MemoryStatus": "",
        "NumaAligned": None,
        "NumaNodesCount": 1,
        "NumaSocketCount": 1,
        "Heartbeat": enum("VMHeartbeatStatus", "OkApplicationsUnknown") if running else None,
        "IntegrationServicesState": "Up to date" if running else "",
        "IntegrationServicesVersion": None,
        "Uptime": "00:00:00",
        "OperationalStatus": ok,
        "PrimaryOperationalStatus": enum("VMOperationalStatus", "Ok"),
        "SecondaryOperationalStatus": None,
        "StatusDescriptions": PSList("System.String", ["Operating normally"]),
        "PrimaryStatusDescription": "Operating normally",
        "SecondaryStatusDescription": None,
        "Status": "Operating normally",
        "ReplicationHealth": enum("VMReplicationHealthState", "NotApplicable"),
        "ReplicationMode": enum("VMReplicationMode", "None"),
        "ReplicationState": enum("VMReplicationState", "Disabled"),
        "ResourceMeteringEnabled": False,
        "CheckpointType": enum("CheckpointType", "Production"),
        "EnhancedSessionTransportType": enum("EnhancedSessionTransportType", "VMBus"),
        "Groups": PSList(f"{NS}.VMGroup", []),
        "Version": "10.0" if model.os_build >= 20348 else "9.0" if model.os_build >= 17763 else "8.0",
        "VirtualMachineType": enum("VirtualMachineType", "RealizedVirtualMachine"),
        "VirtualMachineSubType": enum("VirtualMachineSubType", f"Generation{vm.generation}"),
        "Notes": "",
        "State": enum("VMState", vm.state if vm.state in ENUMS["VMState"] else "Other"),
        "ComPort1": None,
        "ComPort2": None,
        "DVDDrives": PSList(f"{NS}.DvdDrive", []),
        "FibreChannelHostBusAdapters": PSList(f"{NS}.VMFibreChannelHba", []),
        "FloppyDrive": None,
        "HardDrives": PSList(f"{NS}.HardDiskDrive", []),
        "RemoteFxAdapter": None,
        "VMIntegrationService": PSList(f"{NS}.VMIntegrationComponent", []),
        "DynamicMemoryEnabled": False,
        "MemoryMaximum": Int64(1024**4),
        "MemoryMinimum": Int64(512 * 1024**2),
        "MemoryStartup": memory,
        "ProcessorCount": Int64(2),
        "BatteryPassthroughEnabled": False,
        "Generation": vm.generation,
        "IsClustered": False,
        "ParentSnapshotId": None,
        "ParentSnapshotName": None,
        "Path": f"C:\\ProgramData\\Microsoft\\Windows\\Hyper-V\\{vm.name}",
        "SizeOfSystemFiles": Int64(0),
        "GuestControlledCacheTypes": False,
        "LowMemoryMappedIoSpace": UInt32(256 * 1024**2),
        "HighMemoryMappedIoSpace": UInt64(512 * 1024**2),
        "LockOnDisconnect": enum("OnOffState", "Off"),
        "CreationTime": _CREATED,
        "Id": guid(vm.id),
        "Name": vm.name,
        # A list of adapter objects: at remoting depth 1 each arrives as its ToString.
        "NetworkAdapters": PSList(
            f"{NS}.VMNetworkAdapter",
            [f"VMNetworkAdapter (Name = '{a.name}', VMName = '{vm.name}') [VMId = '{vm.id}']" for a in adapters],
        ),
        "CimSession": cim_session(),
        "ComputerName": model.computer_name,
        "IsDeleted": False,
    }
    return PSObj([f"{NS}.VirtualMachine", f"{NS}.VirtualMachineBase"], props, f"VirtualMachine (Name = '{vm.name}') [Id = '{vm.id}']")


def vmhost_obj(model: HostModel) -> PSObj:
    host_vnics = model.host_vnics()
    props: dict[str, Any] = {
        "LogicalProcessorCount": 32,
        "IovSupport": model.iov_support,
        "IovSupportReasons": None if model.iov_support else _strings(model.iov_support_reasons),
        "InternalNetworkAdapters": PSList(f"{NS}.VMInternalNetworkAdapter", [a.name for a in host_vnics]),
        "ExternalNetworkAdapters": PSList(f"{NS}.VMExternalNetworkAdapter", []),
        "EnableEnhancedSessionMode": False,
        "MacAddressMaximum": f"{model.mac_prefix}FF",
        "MacAddressMinimum": f"{model.mac_prefix}00",
        "NumaSpanningEnabled": True,
        "VirtualHardDiskPath": "C:\\ProgramData\\Microsoft\\Windows\\Virtual Hard Disks",
        "VirtualMachinePath": "C:\\ProgramData\\Microsoft\\Windows\\Hyper-V",
        "FullyQualifiedDomainName": model.computer_name,
        "MemoryCapacity": Int64(256 * 1024**3),
        "Name": model.computer_name,
        "CimSession": cim_session(),
        "ComputerName": model.computer_name,
        "IsDeleted": False,
    }
    return PSObj([f"{NS}.VMHost"], props, model.computer_name)

