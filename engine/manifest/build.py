"""Valid documents -> typed desired resources (engine/model/resources.py), per host.

Omitted fields stay ``UNSET`` ("omitted means unmanaged"); values are normalized the
way the diff compares them (MACs, GUIDs). Assumes the document passed its schema.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.errors import Position
from engine.manifest.yaml_loader import Document, json_path
from engine.model.resources import (
    UNSET,
    CustomerRouteSpec,
    HostVNic,
    LookupRecordSpec,
    NetworkVirtualization,
    NicSelector,
    ProviderAddressSpec,
    Resource,
    SriovPolicy,
    VlanSpec,
    VMNetworkAdapter,
    VMSwitch,
    normalize_mac,
)


def nic_selector(data: dict[str, Any]) -> NicSelector:
    names = data.get("names")
    macs = data.get("macAddresses")
    speed = data.get("minLinkSpeedGbps")
    return NicSelector(
        names=tuple(names) if names is not None else None,
        interface_description=data.get("interfaceDescription"),
        mac_addresses=tuple(normalize_mac(m) for m in macs) if macs is not None else None,
        pci_location=data.get("pciLocation"),
        sriov_supported=data.get("sriovSupported"),
        min_link_speed_gbps=float(speed) if speed is not None else None,
    )


def vlan_spec(data: dict[str, Any]) -> VlanSpec:
    allowed = data.get("allowedVlanIds")
    return VlanSpec(
        mode=data["mode"],
        vlan_id=data.get("vlanId"),
        native_vlan_id=data.get("nativeVlanId"),
        allowed_vlan_ids="".join(allowed.split()) if isinstance(allowed, str) else None,
    )


def _get(spec: dict[str, Any], key: str, convert: Callable[[Any], Any] | None = None) -> Any:
    if key not in spec:
        return UNSET
    value = spec[key]
    return convert(value) if convert is not None and value is not None else value


def _positions(doc: Document) -> dict[str, Position]:
    out = {json_path(p): pos for p, pos in doc.value_positions.items() if p}
    out.update({json_path(p): pos for p, pos in doc.key_positions.items()})
    return out


def _guid(text: str) -> str:
    return "{" + text.strip("{}").lower() + "}"


def _switch(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": _get(spec, "type"),
        "uplinks": _get(spec, "uplinks", nic_selector),
        "embedded_teaming": _get(spec, "embeddedTeaming"),
        "load_balancing_algorithm": _get(spec, "loadBalancingAlgorithm"),
        "enable_iov": _get(spec, "enableIov"),
        "allow_management_os": _get(spec, "allowManagementOS"),
        "minimum_bandwidth_mode": _get(spec, "minimumBandwidthMode"),
        "default_flow_minimum_bandwidth_weight": _get(spec, "defaultFlowMinimumBandwidthWeight"),
        "enable_packet_direct": _get(spec, "enablePacketDirect"),
        "notes": _get(spec, "notes"),
    }


def _host_vnic(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "switch": _get(spec, "switch"),
        "vlan": _get(spec, "vlan", vlan_spec),
        "minimum_bandwidth_weight": _get(spec, "minimumBandwidthWeight"),
        "iov_weight": _get(spec, "iovWeight"),
        "mac_address": _get(spec, "macAddress", normalize_mac),
        "management": bool(spec.get("management", False)),
    }


def _vm_adapter(spec: dict[str, Any], name: str) -> dict[str, Any]:
    return {
        "vm": spec["vm"],
        "adapter_name": spec.get("adapterName", name),
        "switch": _get(spec, "switch"),
        "iov_weight": _get(spec, "iovWeight"),
        "iov_queue_pairs_requested": _get(spec, "iovQueuePairsRequested"),
        "vlan": _get(spec, "vlan", vlan_spec),
        "mac_address": _get(spec, "macAddress", normalize_mac),
        "mac_address_spoofing": _get(spec, "macAddressSpoofing"),
        "dhcp_guard": _get(spec, "dhcpGuard"),
        "router_guard": _get(spec, "routerGuard"),
        "maximum_bandwidth": _get(spec, "maximumBandwidth"),
        "minimum_bandwidth_weight": _get(spec, "minimumBandwidthWeight"),
        "virtual_subnet_id": _get(spec, "virtualSubnetId"),
    }


def _provider_addresses(items: list[dict[str, Any]]) -> tuple[ProviderAddressSpec, ...]:
    return tuple(
        ProviderAddressSpec(
            nic=nic_selector(i["nic"]),
            address=i["address"],
            prefix_length=i["prefixLength"],
            vlan_id=i.get("vlanId", 0),
        )
        for i in items
    )


def _lookup_records(items: list[dict[str, Any]]) -> tuple[LookupRecordSpec, ...]:
    return tuple(
        LookupRecordSpec(
            customer_address=i["customerAddress"],
            provider_address=i["providerAddress"],
            virtual_subnet_id=i["virtualSubnetId"],
            mac_address=normalize_mac(i["macAddress"]),
            vm_name=i["vmName"],
            rule=i.get("rule", "TranslationMethodEncap"),
        )
        for i in items
    )


def _customer_routes(items: list[dict[str, Any]]) -> tuple[CustomerRouteSpec, ...]:
    return tuple(
        CustomerRouteSpec(
            routing_domain_id=_guid(i["routingDomainId"]),
            virtual_subnet_id=i["virtualSubnetId"],
            destination_prefix=i["destinationPrefix"],
            next_hop=i["nextHop"],
            metric=i.get("metric"),
        )
        for i in items
    )


def _hnv(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "provider_addresses": _get(spec, "providerAddresses", _provider_addresses),
        "lookup_records": _get(spec, "lookupRecords", _lookup_records),
        "customer_routes": _get(spec, "customerRoutes", _customer_routes),
    }


def build_resource(doc: Document, host: str) -> Resource:
    """The document's resource on one host."""
    spec: dict[str, Any] = doc.data["spec"]
    common: dict[str, Any] = {
        "host": host,
        "name": doc.name,
        "ensure": spec.get("ensure", "present"),
        "source": doc.start,
        "positions": _positions(doc),
    }
    kind = doc.kind
    if kind == "SriovPolicy":
        return SriovPolicy(
            **common,
            nic_selector=nic_selector(spec["nicSelector"]),
            enabled=_get(spec, "enabled"),
            num_vfs=_get(spec, "numVFs"),
        )
    if kind == "VMSwitch":
        return VMSwitch(**common, **_switch(spec))
    if kind == "HostVNic":
        return HostVNic(**common, **_host_vnic(spec))
    if kind == "VMNetworkAdapter":
        return VMNetworkAdapter(**common, **_vm_adapter(spec, doc.name))
    if kind == "NetworkVirtualization":
        return NetworkVirtualization(**common, **_hnv(spec))
    raise ValueError(f"not a resource kind: {kind}")
