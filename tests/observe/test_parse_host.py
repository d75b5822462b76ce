"""parse_observed on a small but complete host, built from pypsrp-shaped objects (no I/O)."""

from __future__ import annotations

import uuid

import pytest

from engine.observe.model import ObservedHost
from engine.observe.parse import parse_adapters, parse_observed, parse_switches

from .observe_builders import enum, obj

HV = "Microsoft.HyperV.PowerShell"
CIM = "Microsoft.Management.Infrastructure.CimInstance"
SW_SET = uuid.UUID("aaaaaaaa-0000-0000-0000-000000000001")
SW_INT = uuid.UUID("aaaaaaaa-0000-0000-0000-000000000002")
NIC1 = uuid.UUID("bbbbbbbb-0000-0000-0000-000000000001")
NIC2 = uuid.UUID("bbbbbbbb-0000-0000-0000-000000000002")
VM1 = uuid.UUID("cccccccc-0000-0000-0000-000000000001")


def _nic(name: str, index: int, guid: uuid.UUID, desc: str) -> object:
    return obj(
        CIM,
        Name=name,
        InterfaceDescription=desc,
        DriverDescription="Mellanox ConnectX-5 Adapter",
        DriverVersion="3.10.51000.0",
        MacAddress=f"98-03-9B-00-00-0{index}",
        Speed=25_000_000_000,
        Status="Up",
        InterfaceGuid=f"{{{guid}}}",
        InterfaceIndex=index,
        PciLocation=f"PCI bus 59, device 0, function {index - 1}",
    )


def _adapter(**overrides: object) -> object:
    props: dict[str, object] = {
        "Id": f"Microsoft:{VM1}\\11111111-0000-0000-0000-000000000001",
        "Name": "Frontend",
        "IsManagementOs": False,
        "VMName": "web01",
        "VMId": VM1,
        "SwitchName": "sw-compute",
        "SwitchId": SW_SET,
        "Connected": True,
        "MacAddress": "00155D010A01",
        "DynamicMacAddressEnabled": False,
        "MacAddressSpoofing": enum(f"{HV}.OnOffState", "Off", 1),
        "DhcpGuard": enum(f"{HV}.OnOffState", "On", 0),
        "RouterGuard": enum(f"{HV}.OnOffState", "Off", 1),
        "IovWeight": 100,
        "IovQueuePairsRequested": 4,
        "VirtualSubnetId": 5001,
        "IsLegacy": False,
        "IovUsage": 1,
        "VFDataPathActive": True,
        "Status": [enum(f"{HV}.VMNetworkAdapterOperationalStatus", "Ok", 2)],
    }
    props.update(overrides)
    return obj(f"{HV}.VMNetworkAdapter", **props)


HOST_VNIC_ID = "Microsoft:dddddddd-0000-0000-0000-000000000001"


def raw_host() -> dict[str, list[object]]:
    vm_adapter_id = f"Microsoft:{VM1}\\11111111-0000-0000-0000-000000000001"
    return {
        "vmhost": [obj(f"{HV}.VMHost", ComputerName="LAB1", IovSupport=True, IovSupportReasons=None)],
        "nics": [
            _nic("SLOT 3 Port 2", 2, NIC2, "Mellanox ConnectX-5 Adapter #2"),
            _nic("SLOT 3 Port 1", 1, NIC1, "Mellanox ConnectX-5 Adapter"),
        ],
        "sriov": [
            obj(
                CIM,
                Name="SLOT 3 Port 1",
                SriovSupport=enum("SriovSupport", "Supported", 1),
                Enabled=True,
                NumVFs=32,
                MaxNumVFs=64,
            ),
            obj(CIM, Name="SLOT 3 Port 2", SriovSupport=1, Enabled=False, NumVFs=0, MaxNumVFs=64),
        ],
        "sriov_vfs": [obj(CIM, Name="SLOT 3 Port 1", FunctionID=0)],
        "ip_addresses": [
            obj(
                CIM, InterfaceIndex=1, InterfaceAlias="SLOT 3 Port 1", IPAddress="10.0.0.21", PrefixLength=24
            ),
            obj(
                CIM,
                InterfaceIndex=9,
                InterfaceAlias="vEthernet (Management)",
                IPAddress="192.168.1.5",
                PrefixLength=24,
            ),
        ],
        "switches": [
            obj(
                f"{HV}.VMSwitch",
                Id=SW_SET,
                Name="sw-compute",
                SwitchType=enum(f"{HV}.VMSwitchType", "External", 2),
                AllowManagementOS=True,
                EmbeddedTeamingEnabled=True,
                IovEnabled=True,
                IovSupport=True,
                IovSupportReasons=None,
                BandwidthReservationMode=enum(f"{HV}.VMSwitchBandwidthMode", "Weight", 1),
                DefaultFlowMinimumBandwidthWeight=10,
                PacketDirectEnabled=False,
                Notes="compute",
                NetAdapterInterfaceDescriptions=[
                    "Mellanox ConnectX-5 Adapter",
                    "Mellanox ConnectX-5 Adapter #2",
                ],
                NetAdapterInterfaceGuid=[NIC1, NIC2],
                IovVirtualFunctionCount=32,
                IovVirtualFunctionsInUse=1,
            ),
            obj(
                f"{HV}.VMSwitch",
                Id=SW_INT,
                Name="sw-internal",
                SwitchType=1,
                AllowManagementOS=True,
                EmbeddedTeamingEnabled=False,
                IovEnabled=False,
                IovSupport=False,
                IovSupportReasons=["The switch is not an external switch."],
                BandwidthReservationMode=3,
                DefaultFlowMinimumBandwidthWeight=0,
                PacketDirectEnabled=False,
                Notes="",
                NetAdapterInterfaceDescriptions=None,
                NetAdapterInterfaceGuid=None,
            ),
        ],
        "teams": [
            obj(
                f"{HV}.VMSwitchTeam",
                Id=SW_SET,
                Name="sw-compute",
                NetAdapterInterfaceGuid=[NIC2, NIC1],
                LoadBalancingAlgorithm=enum(f"{HV}.VMSwitchLoadBalancingAlgorithm", "HyperVPort", 4),
            )
        ],
        "vms": [
            obj(
                f"{HV}.VirtualMachine",
                Id=VM1,
                Name="web01",
                Generation=2,
                State=enum(f"{HV}.VMState", "Running", 2),
            )
        ],
        "adapters": [
            _adapter(),
            obj(
                f"{HV}.VMInternalNetworkAdapter",
                Id=HOST_VNIC_ID,
                Name="Management",
                IsManagementOs=True,
                VMName="",
                VMId=None,
                SwitchName="sw-compute",
                SwitchId=SW_SET,
                Connected=True,
                MacAddress="98039B000001",
                DynamicMacAddressEnabled=True,
                MacAddressSpoofing=1,
                DhcpGuard=1,
                RouterGuard=1,
                IovWeight=0,
                IovQueuePairsRequested=1,
                VirtualSubnetId=0,
                IsLegacy=False,
            ),
        ],
        "vlans": [
            obj(
                f"{HV}.VMNetworkAdapterVlanSetting",
                Id=vm_adapter_id,
                VMName="web01",
                Name="Frontend",
                IsManagementOs=False,
                OperationMode=enum(f"{HV}.VMNetworkAdapterVlanMode", "Trunk", 2),
                AccessVlanId=0,
                NativeVlanId=10,
                AllowedVlanIdList="VlanIdList",  # a List<int> at depth 2 arrives as a string
                AllowedVlanIdListString="10,20-22",
            ),
            obj(
                f"{HV}.VMNetworkAdapterVlanSetting",
                Id=HOST_VNIC_ID,
                VMName="",
                Name="Management",
                IsManagementOs=True,
                OperationMode=enum(f"{HV}.VMNetworkAdapterVlanMode", "Access", 1),
                AccessVlanId=10,
                NativeVlanId=0,
                AllowedVlanIdListString="",
            ),
        ],
        "bandwidth": [
            obj(
                f"{HV}.VMNetworkAdapterBandwidthSetting",
                Id=vm_adapter_id,
                MaximumBandwidth=10_000_000_000,
                MinimumBandwidthAbsolute=0,
                MinimumBandwidthWeight=20,
            )
        ],
        "provider_addresses": [
            obj(
                CIM,
                ProviderAddress="10.10.0.11",
                PrefixLength=24,
                InterfaceIndex=1,
                VlanID=100,
                MACAddress="98039B000001",
            )
        ],
        "lookup_records": [
            obj(
                CIM,
                CustomerAddress="192.168.1.10",
                ProviderAddress="10.10.0.11",
                VirtualSubnetID=5001,
                MACAddress="00-15-5D-01-0A-01",
                VMName="web01",
                Rule=enum("Rule", "TranslationMethodEncap", 2),
                Type=1,
            )
        ],
        "customer_routes": [
            obj(
                CIM,
                RoutingDomainID="{11111111-2222-3333-4444-00000000000A}",
                VirtualSubnetID=5001,
                DestinationPrefix="192.168.1.0/24",
                NextHop="0.0.0.0",
                Metric=0,
            )
        ],
    }


@pytest.fixture()
def observed() -> ObservedHost:
    return parse_observed("lab1", raw_host(), connection_address="10.0.0.21")


def test_facts_and_connection_address(observed: ObservedHost) -> None:
    assert observed.host == "lab1"
    assert observed.facts.computer_name == "LAB1"
    assert observed.facts.iov_support is True
    assert observed.facts.iov_support_reasons == ()
    assert observed.connection_address == "10.0.0.21"


def test_nics_joined_with_sriov_vf_usage_and_ip(observed: ObservedHost) -> None:
    assert [n.name for n in observed.net_adapters] == ["SLOT 3 Port 1", "SLOT 3 Port 2"]  # sorted
    p1 = observed.nic_named("slot 3 port 1")
    assert p1.mac_address == "98039B000001"
    assert p1.interface_guid == str(NIC1)
    assert p1.link_speed_bps == 25_000_000_000
    assert (p1.sriov_support, p1.sriov_enabled, p1.sriov_num_vfs, p1.sriov_max_vfs) == (
        "Supported",
        True,
        32,
        64,
    )
    assert p1.sriov_vfs_in_use == 1
    assert p1.ip_addresses == ("10.0.0.21/24",)
    p2 = observed.nic_named("SLOT 3 Port 2")
    assert p2.sriov_support == "Supported" and p2.sriov_enabled is False and p2.sriov_vfs_in_use == 0


def test_set_switch_uplinks_come_from_the_team_in_member_order(observed: ObservedHost) -> None:
    sw = observed.switches_named("SW-COMPUTE")[0]
    assert sw.id == str(SW_SET)
    assert sw.switch_type == "External"
    assert sw.embedded_teaming and sw.iov_enabled
    assert sw.uplinks == ("SLOT 3 Port 2", "SLOT 3 Port 1")
    assert sw.load_balancing_algorithm == "HyperVPort"
    assert sw.bandwidth_reservation_mode == "Weight"
    assert sw.default_flow_minimum_bandwidth_weight == 10
    assert (sw.iov_virtual_function_count, sw.iov_virtual_functions_in_use) == (32, 1)


def test_internal_switch_enums_by_number_and_null_uplinks(observed: ObservedHost) -> None:
    sw = observed.switches_named("sw-internal")[0]
    assert sw.switch_type == "Internal"
    assert sw.bandwidth_reservation_mode == "None"
    assert sw.uplinks == ()
    assert sw.load_balancing_algorithm == ""
    assert sw.iov_support_reasons == ("The switch is not an external switch.",)


def test_vm_adapter_with_trunk_vlan_bandwidth_and_guards(observed: ObservedHost) -> None:
    (a,) = observed.vm_adapters_named("WEB01", "frontend")
    assert a.vm_id == str(VM1)
    assert a.switch_name == "sw-compute" and a.switch_id == str(SW_SET)
    assert (
        a.vlan.mode == "Trunk" and a.vlan.native_vlan_id == 10 and a.vlan.allowed_vlan_ids == (10, 20, 21, 22)
    )
    assert a.maximum_bandwidth == 10_000_000_000 and a.minimum_bandwidth_weight == 20
    assert (a.mac_address_spoofing, a.dhcp_guard, a.router_guard) == (False, True, False)
    assert (a.iov_weight, a.iov_queue_pairs_requested, a.virtual_subnet_id) == (100, 4, 5001)
    assert a.dynamic_mac_address is False and a.mac_address == "00155D010A01"
    assert a.iov_usage == 1 and a.vf_data_path_active is True and a.status == "Ok"


def test_host_vnic_has_access_vlan_ip_and_no_bandwidth_setting(observed: ObservedHost) -> None:
    (v,) = observed.host_vnics_named("management")
    assert v.is_management_os and v.vm_name == "" and v.vm_id == ""
    assert v.vlan.mode == "Access" and v.vlan.access_vlan_id == 10 and v.vlan.allowed_vlan_ids == ()
    assert v.maximum_bandwidth == 0 and v.minimum_bandwidth_weight == 0  # BandwidthSetting was null
    assert v.ip_addresses == ("192.168.1.5/24",)
    assert (v.mac_address_spoofing, v.dhcp_guard) == (False, False)  # OnOffState numbers: 1 = Off


def test_hnv_records(observed: ObservedHost) -> None:
    (pa,) = observed.provider_addresses
    assert (pa.address, pa.prefix_length, pa.interface_index, pa.vlan_id) == ("10.10.0.11", 24, 1, 100)
    (lr,) = observed.lookup_records
    assert lr.mac_address == "00155D010A01" and lr.rule == "TranslationMethodEncap" and lr.type == "Static"
    (cr,) = observed.customer_routes
    assert cr.routing_domain_id == "{11111111-2222-3333-4444-00000000000a}"


def test_adapter_without_vlan_object_is_untagged_and_disconnected_switch_is_none() -> None:
    (a,) = parse_adapters([_adapter(SwitchName=None, SwitchId=None, Connected=False)], [], [], [])
    assert a.vlan.mode == "Untagged"
    assert a.switch_name is None and a.switch_id is None and a.connected is False


def test_adapter_on_a_removed_switch_keeps_connected_but_has_no_switch() -> None:
    (a,) = parse_adapters([_adapter(SwitchName=None, SwitchId=None, Connected=True)], [], [], [])
    assert a.switch_name is None and a.connected is True


def test_host_vnic_detected_by_type_when_is_management_os_missing() -> None:
    o = obj(f"{HV}.VMInternalNetworkAdapter", Id="Microsoft:x", Name="Storage", SwitchName=None)
    (a,) = parse_adapters([o], [], [], [])
    assert a.is_management_os is True and a.vm_name == ""


def test_non_set_external_switch_uplink_from_interface_guid() -> None:
    nics = parse_observed("h", {"nics": [_nic("NIC A", 3, NIC1, "Intel X550")]}).net_adapters
    sw = obj(f"{HV}.VMSwitch", Id=SW_INT, Name="legacy", SwitchType=2, NetAdapterInterfaceGuid=NIC1)
    (parsed,) = parse_switches([sw], [], nics)
    assert parsed.uplinks == ("NIC A",)


def test_empty_host_parses_to_empty_model() -> None:
    observed = parse_observed("empty", {})
    assert observed.switches == () and observed.adapters == () and observed.facts.computer_name == ""


def test_output_is_deterministic_whatever_the_host_order() -> None:
    raw = raw_host()
    reversed_raw = {k: list(reversed(v)) for k, v in raw.items()}
    assert parse_observed("lab1", raw).to_json() == parse_observed("lab1", reversed_raw).to_json()


def test_external_switch_ports_are_not_vnics() -> None:
    port = obj(f"{HV}.VMExternalNetworkAdapter", Id="Microsoft:ext", Name="sw-compute", IsManagementOs=True)
    assert parse_adapters([port, _adapter()], [], [], []) == parse_adapters([_adapter()], [], [], [])
