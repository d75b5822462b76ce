"""Pure parsers: pypsrp output objects → ``ObservedHost``.

Input objects are what pypsrp 0.9.1 deserializes: ``GenericComplexObject`` with
``.types``, ``.adapted_properties``, ``.extended_properties`` and ``.to_string``;
an enum is itself such an object whose ``str()`` is its name and whose
``property_sets[0]`` is its number; GUIDs are ``uuid.UUID``; ``$null`` is ``None``.
Nothing here does I/O, so every rule is testable with constructed objects.

Tolerances a real host needs: type names carry a ``Deserialized.`` (and, after
``Select-Object``, ``Selected.``) prefix, so types match by suffix; enums may
arrive as names, numbers or enum objects; a property may hold one object or a list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from engine.observe.model import (
    VM,
    Adapter,
    CustomerRoute,
    HostFacts,
    LookupRecord,
    NetAdapter,
    ObservedHost,
    ProviderAddress,
    Switch,
    Vlan,
)
from engine.transport.values import (
    as_bool,
    as_int,
    as_list,
    as_str,
    braced_guid,
    cidr,
    enum_name,
    get,
    guid,
    has_type,
    mac,
    props,
    vlan_ids,
)

# Enum number → name, for hosts (or serializers) that send the number.
SWITCH_TYPES = {0: "Private", 1: "Internal", 2: "External"}
BANDWIDTH_MODES = {0: "Default", 1: "Weight", 2: "Absolute", 3: "None"}
LB_ALGORITHMS = {0: "TransportPorts", 2: "IPAddresses", 3: "MacAddresses", 4: "HyperVPort", 5: "Dynamic"}
ON_OFF = {0: "On", 1: "Off"}
VLAN_MODES = {0: "Untagged", 1: "Access", 2: "Trunk", 3: "Private"}
SRIOV_SUPPORT = {
    0: "Unknown",
    1: "Supported",
    2: "MissingAcs",
    3: "MissingPfDriver",
    4: "NoBusResources",
    5: "NoIoMmuSupport",
    6: "NoVfBarSpace",
    7: "NoOscSupport",
}
VM_STATES = {
    1: "Other",
    2: "Running",
    3: "Off",
    4: "Stopping",
    6: "Saved",
    9: "Paused",
    10: "Starting",
    11: "Reset",
}
LOOKUP_RULES = {1: "TranslationMethodNat", 2: "TranslationMethodEncap", 3: "TranslationMethodNone"}
LOOKUP_TYPES = {1: "Static", 2: "Dynamic", 3: "GatewayWildcard", 4: "L2Only"}
NET_ADAPTER_STATUS = {1: "Up", 2: "Down", 7: "Disconnected"}


def on_off(value: Any) -> bool:
    """OnOffState (On=0, Off=1): numbers mean the enum, not a boolean."""
    if isinstance(value, int) and not isinstance(value, bool):
        return ON_OFF.get(value) == "On"
    return as_bool(value)


# --- per-kind parsers ------------------------------------------------------------


def parse_facts(objects: Iterable[Any], os_build: int = 0) -> HostFacts:
    items = [props(o) for o in objects]
    p = items[0] if items else {}
    return HostFacts(
        computer_name=as_str(get(p, "ComputerName", "Name")),
        os_build=os_build,
        iov_support=as_bool(get(p, "IovSupport")),
        iov_support_reasons=tuple(as_str(r) for r in as_list(get(p, "IovSupportReasons"))),
    )


def parse_os_build(objects: Iterable[Any]) -> int:
    for o in objects:
        build = get(props(o), "BuildNumber", "OSBuild", "OsBuildNumber")
        if build is not None:
            return as_int(build)
    return 0


def _ip_index(ip_objects: Iterable[Any]) -> tuple[dict[int, list[str]], dict[str, list[str]]]:
    """Addresses by interface index and by interface alias (case-folded)."""
    by_index: dict[int, list[str]] = {}
    by_alias: dict[str, list[str]] = {}
    for o in ip_objects:
        p = props(o)
        address = cidr(get(p, "IPAddress"), get(p, "PrefixLength"))
        if not address:
            continue
        index = get(p, "InterfaceIndex", "ifIndex")
        if index is not None:
            by_index.setdefault(as_int(index), []).append(address)
        alias = get(p, "InterfaceAlias")
        if alias is not None:
            by_alias.setdefault(as_str(alias).casefold(), []).append(address)
    return by_index, by_alias


def _link_speed_bps(p: Mapping[str, Any]) -> int:
    speed = get(p, "Speed", "ReceiveLinkSpeed")
    if speed is not None:
        return as_int(speed)
    text = as_str(get(p, "LinkSpeed")).strip()  # e.g. "25 Gbps"
    number, _, unit = text.partition(" ")
    scale = {"kbps": 10**3, "mbps": 10**6, "gbps": 10**9, "bps": 1}.get(unit.casefold(), 0)
    try:
        return int(float(number) * scale)
    except ValueError:
        return 0


def _by_name(objects: Iterable[Any]) -> dict[str, dict[str, Any]]:
    return {as_str(get(p, "Name")).casefold(): p for p in (props(o) for o in objects)}


def parse_net_adapters(
    nics: Iterable[Any],
    sriov: Iterable[Any],
    vfs: Iterable[Any],
    ips: Iterable[Any],
    hardware: Iterable[Any] = (),
    capabilities: Iterable[Any] = (),
) -> tuple[NetAdapter, ...]:
    sriov_by_name = _by_name(sriov)
    hardware_by_name = _by_name(hardware)
    caps_by_name = _by_name(capabilities)
    vf_count: dict[str, int] = {}
    for o in vfs:
        key = as_str(get(props(o), "Name")).casefold()
        vf_count[key] = vf_count.get(key, 0) + 1
    by_index, by_alias = _ip_index(ips)
    out: list[NetAdapter] = []
    for o in nics:
        p = props(o)
        name = as_str(get(p, "Name"))
        key = name.casefold()
        s = sriov_by_name.get(key)
        hw = hardware_by_name.get(key, {})
        caps = caps_by_name.get(key, {})
        index = as_int(get(p, "InterfaceIndex", "ifIndex"))
        addresses = by_index.get(index) or by_alias.get(key) or []
        out.append(
            NetAdapter(
                name=name,
                interface_description=as_str(get(p, "InterfaceDescription")),
                driver_description=as_str(get(p, "DriverDescription", "InterfaceDescription")),
                driver_version=as_str(get(p, "DriverVersion", "DriverVersionString")),
                mac_address=mac(get(p, "MacAddress", "PermanentAddress")),
                link_speed_bps=_link_speed_bps(p),
                status=enum_name(get(p, "Status"), NET_ADAPTER_STATUS),
                interface_guid=guid(get(p, "InterfaceGuid")),
                interface_index=index,
                pci_location=as_str(get(hw, "LocationInformationString") or get(p, "PciLocation")),
                sriov_support=enum_name(get(s, "SriovSupport"), SRIOV_SUPPORT) if s is not None else "",
                sriov_enabled=as_bool(get(s, "Enabled")) if s is not None else False,
                sriov_num_vfs=as_int(get(s, "NumVFs")) if s is not None else 0,
                sriov_max_vfs=as_int(get(caps, "MaxNumVFs") or get(s, "MaxNumVFs")) if s is not None else 0,
                sriov_vfs_in_use=vf_count.get(key, 0),
                ip_addresses=tuple(sorted(addresses)),
            )
        )
    return tuple(sorted(out, key=lambda n: (n.name.casefold(), n.interface_guid)))


def parse_switches(
    switches: Iterable[Any], teams: Iterable[Any], nics: tuple[NetAdapter, ...]
) -> tuple[Switch, ...]:
    nic_by_guid = {n.interface_guid: n.name for n in nics if n.interface_guid}
    nic_by_description = {n.interface_description.casefold(): n.name for n in nics}
    team_by_id = {guid(get(p, "Id")): p for p in (props(o) for o in teams)}
    out: list[Switch] = []
    for o in switches:
        p = props(o)
        switch_id = guid(get(p, "Id"))
        team = team_by_id.get(switch_id)
        source = team if team is not None else p
        uplinks = [nic_by_guid.get(guid(g), "") for g in as_list(get(source, "NetAdapterInterfaceGuid"))]
        if not any(uplinks):
            descriptions = as_list(
                get(source, "NetAdapterInterfaceDescriptions", "NetAdapterInterfaceDescription")
            )
            uplinks = [nic_by_description.get(as_str(d).casefold(), "") for d in descriptions]
        out.append(
            Switch(
                id=switch_id,
                name=as_str(get(p, "Name")),
                switch_type=enum_name(get(p, "SwitchType"), SWITCH_TYPES),
                allow_management_os=as_bool(get(p, "AllowManagementOS")),
                embedded_teaming=as_bool(get(p, "EmbeddedTeamingEnabled")),
                iov_enabled=as_bool(get(p, "IovEnabled")),
                iov_support=as_bool(get(p, "IovSupport")),
                iov_support_reasons=tuple(as_str(r) for r in as_list(get(p, "IovSupportReasons"))),
                bandwidth_reservation_mode=enum_name(get(p, "BandwidthReservationMode"), BANDWIDTH_MODES),
                default_flow_minimum_bandwidth_weight=as_int(get(p, "DefaultFlowMinimumBandwidthWeight")),
                packet_direct_enabled=as_bool(get(p, "PacketDirectEnabled")),
                notes=as_str(get(p, "Notes")),
                uplinks=tuple(u for u in uplinks if u),
                load_balancing_algorithm=(
                    enum_name(get(team, "LoadBalancingAlgorithm"), LB_ALGORITHMS) if team is not None else ""
                ),
                iov_virtual_function_count=as_int(get(p, "IovVirtualFunctionCount")),
                iov_virtual_functions_in_use=as_int(get(p, "IovVirtualFunctionsInUse")),
            )
        )
    return tuple(sorted(out, key=lambda s: (s.name.casefold(), s.id)))


def parse_vms(objects: Iterable[Any]) -> tuple[VM, ...]:
    out = []
    for o in objects:
        p = props(o)
        out.append(
            VM(
                id=guid(get(p, "Id", "VMId")),
                name=as_str(get(p, "Name", "VMName")),
                generation=as_int(get(p, "Generation"), 2),
                state=enum_name(get(p, "State"), VM_STATES),
            )
        )
    return tuple(sorted(out, key=lambda v: (v.name.casefold(), v.id)))


def parse_vlan(p: Mapping[str, Any] | None) -> Vlan:
    if p is None:
        return Vlan(mode="Untagged")
    mode = enum_name(get(p, "OperationMode"), VLAN_MODES) or "Untagged"
    allowed = get(p, "AllowedVlanIdListString")
    if allowed is None or as_str(allowed) == "":
        allowed = get(p, "AllowedVlanIdList")
    return Vlan(
        mode=mode,
        access_vlan_id=as_int(get(p, "AccessVlanId")) if mode == "Access" else 0,
        native_vlan_id=as_int(get(p, "NativeVlanId")) if mode == "Trunk" else 0,
        allowed_vlan_ids=vlan_ids(allowed) if mode == "Trunk" else (),
    )


def _is_host_vnic(obj: Any, p: Mapping[str, Any]) -> bool:
    flag = get(p, "IsManagementOs")
    if flag is not None:
        return as_bool(flag)
    return has_type(obj, "VMInternalNetworkAdapter")


def parse_adapters(
    adapters: Iterable[Any], vlans: Iterable[Any], bandwidths: Iterable[Any], ips: Iterable[Any]
) -> tuple[Adapter, ...]:
    vlan_by_id = {as_str(get(p, "Id")): p for p in (props(o) for o in vlans)}
    bw_by_id = {as_str(get(p, "Id")): p for p in (props(o) for o in bandwidths)}
    _, ip_by_alias = _ip_index(ips)
    out: list[Adapter] = []
    for o in adapters:
        if has_type(o, "VMExternalNetworkAdapter"):
            continue  # a switch's external port, not a vNIC
        p = props(o)
        adapter_id = as_str(get(p, "Id"))
        host_vnic = _is_host_vnic(o, p)
        name = as_str(get(p, "Name"))
        switch_id = guid(get(p, "SwitchId")) or None
        bw = bw_by_id.get(adapter_id, {})
        out.append(
            Adapter(
                id=adapter_id,
                name=name,
                is_management_os=host_vnic,
                vm_name="" if host_vnic else as_str(get(p, "VMName")),
                vm_id="" if host_vnic else guid(get(p, "VMId")),
                switch_name=get(p, "SwitchName") if switch_id else None,
                switch_id=switch_id,
                connected=as_bool(get(p, "Connected")),
                mac_address=mac(get(p, "MacAddress")),
                dynamic_mac_address=as_bool(get(p, "DynamicMacAddressEnabled", default=True)),
                mac_address_spoofing=on_off(get(p, "MacAddressSpoofing")),
                dhcp_guard=on_off(get(p, "DhcpGuard")),
                router_guard=on_off(get(p, "RouterGuard")),
                iov_weight=as_int(get(p, "IovWeight")),
                iov_queue_pairs_requested=as_int(get(p, "IovQueuePairsRequested"), 1),
                virtual_subnet_id=as_int(get(p, "VirtualSubnetId")),
                vlan=parse_vlan(vlan_by_id.get(adapter_id)),
                maximum_bandwidth=as_int(get(bw, "MaximumBandwidth")),
                minimum_bandwidth_weight=as_int(get(bw, "MinimumBandwidthWeight")),
                minimum_bandwidth_absolute=as_int(get(bw, "MinimumBandwidthAbsolute")),
                is_legacy=as_bool(get(p, "IsLegacy")),
                iov_usage=as_int(get(p, "IovUsage")),
                vf_data_path_active=as_bool(get(p, "VFDataPathActive")),
                status=",".join(enum_name(s) for s in as_list(get(p, "Status"))),
                ip_addresses=(
                    tuple(sorted(ip_by_alias.get(f"vethernet ({name.casefold()})", []))) if host_vnic else ()
                ),
            )
        )
    return tuple(
        sorted(out, key=lambda a: (a.is_management_os, a.vm_name.casefold(), a.name.casefold(), a.id))
    )


def parse_provider_addresses(objects: Iterable[Any]) -> tuple[ProviderAddress, ...]:
    out = [
        ProviderAddress(
            address=as_str(get(p, "ProviderAddress")),
            prefix_length=as_int(get(p, "PrefixLength")),
            interface_index=as_int(get(p, "InterfaceIndex")),
            vlan_id=as_int(get(p, "VlanID")),
            mac_address=mac(get(p, "MACAddress")),
        )
        for p in (props(o) for o in objects)
    ]
    return tuple(sorted(out, key=lambda a: (a.address, a.interface_index)))


def parse_lookup_records(objects: Iterable[Any]) -> tuple[LookupRecord, ...]:
    out = [
        LookupRecord(
            customer_address=as_str(get(p, "CustomerAddress")),
            provider_address=as_str(get(p, "ProviderAddress")),
            virtual_subnet_id=as_int(get(p, "VirtualSubnetID")),
            mac_address=mac(get(p, "MACAddress")),
            vm_name=as_str(get(p, "VMName")),
            rule=enum_name(get(p, "Rule"), LOOKUP_RULES),
            type=enum_name(get(p, "Type"), LOOKUP_TYPES) or "Static",
        )
        for p in (props(o) for o in objects)
    ]
    return tuple(sorted(out, key=lambda r: (r.virtual_subnet_id, r.customer_address, r.mac_address)))


def parse_customer_routes(objects: Iterable[Any]) -> tuple[CustomerRoute, ...]:
    out = [
        CustomerRoute(
            routing_domain_id=braced_guid(get(p, "RoutingDomainID")),
            virtual_subnet_id=as_int(get(p, "VirtualSubnetID")),
            destination_prefix=as_str(get(p, "DestinationPrefix")),
            next_hop=as_str(get(p, "NextHop")),
            metric=as_int(get(p, "Metric")),
        )
        for p in (props(o) for o in objects)
    ]
    return tuple(sorted(out, key=lambda r: (r.routing_domain_id, r.virtual_subnet_id, r.destination_prefix)))


def parse_observed(host: str, raw: Mapping[str, list[Any]], connection_address: str = "") -> ObservedHost:
    """Build the observed model from the collector's raw output, keyed by statement name."""

    def part(key: str) -> list[Any]:
        return list(raw.get(key) or [])

    nics = parse_net_adapters(
        part("nics"),
        part("sriov"),
        part("sriov_vfs"),
        part("ip_addresses"),
        part("nic_hardware"),
        part("sriov_capabilities"),
    )
    return ObservedHost(
        host=host,
        facts=parse_facts(part("vmhost"), parse_os_build(part("os"))),
        net_adapters=nics,
        switches=parse_switches(part("switches"), part("teams"), nics),
        vms=parse_vms(part("vms")),
        adapters=parse_adapters(part("adapters"), part("vlans"), part("bandwidth"), part("ip_addresses")),
        provider_addresses=parse_provider_addresses(part("provider_addresses")),
        lookup_records=parse_lookup_records(part("lookup_records")),
        customer_routes=parse_customer_routes(part("customer_routes")),
        connection_address=connection_address,
    )
