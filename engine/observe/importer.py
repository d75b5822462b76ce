"""``hvnet import``: describe what a host has now as hvnet manifests.

The output lets a team adopt hvnet on an existing host: import, review, commit,
then ``plan`` shows no changes. Only fields that mean something to manage are
written — values equal to what Hyper-V would choose anyway are left out, so they
stay unmanaged ("omitted means unmanaged") instead of pinning incidental defaults.
Pure: ``ObservedHost`` in, ``{file name: YAML text}`` out; the CLI writes files.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

from engine.observe.model import Adapter, NetAdapter, ObservedHost, Switch, Vlan

API_VERSION = "hvnet/v1"
# One file per kind, in convergence order (CONTRACT §3 kinds).
FILES = (
    ("SriovPolicy", "sriov-policies.yaml"),
    ("VMSwitch", "vm-switches.yaml"),
    ("HostVNic", "host-vnics.yaml"),
    ("VMNetworkAdapter", "vm-network-adapters.yaml"),
    ("NetworkVirtualization", "network-virtualization.yaml"),
)
# What New-VMSwitch -MinimumBandwidthMode Default resolves to (hyperv-model §2.1: Absolute
# on 2016+ for a non-IOV switch; the IOV case follows PSDOC New-VMSwitch: None).
DEFAULT_BANDWIDTH_MODE = {False: "Absolute", True: "None"}


def glob_escape(name: str) -> str:
    """A nicSelector name glob that matches ``name`` literally (fnmatch syntax)."""
    return "".join(f"[{ch}]" if ch in "*?[" else ch for ch in name)


def compress_vlan_ids(ids: Iterable[int]) -> str:
    """(10, 20, 21, 22) → "10,20-22", as Hyper-V's AllowedVlanIdListString."""
    ordered = sorted(set(ids))
    parts: list[str] = []
    start = prev = None
    for vid in [*ordered, None]:
        if vid is not None and prev is not None and vid == prev + 1:
            prev = vid
            continue
        if start is not None:
            parts.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = vid
    return ",".join(parts)


def vlan_spec(vlan: Vlan) -> dict[str, Any]:
    if vlan.mode == "Access":
        return {"mode": "access", "vlanId": vlan.access_vlan_id}
    if vlan.mode == "Trunk":
        spec: dict[str, Any] = {"mode": "trunk", "nativeVlanId": vlan.native_vlan_id}
        if vlan.allowed_vlan_ids:
            spec["allowedVlanIds"] = compress_vlan_ids(vlan.allowed_vlan_ids)
        return spec
    return {"mode": "untagged"}


def _doc(kind: str, name: str, host: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": {"name": name},
        "spec": {"hosts": [host], **spec},
    }


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate.casefold() in taken:
        candidate, n = f"{name}-{n}", n + 1
    taken.add(candidate.casefold())
    return candidate


def _mac_spec(adapter: Adapter) -> str:
    return "dynamic" if adapter.dynamic_mac_address or not adapter.mac_address else adapter.mac_address


def sriov_documents(observed: ObservedHost, host: str) -> list[dict[str, Any]]:
    docs = []
    taken: set[str] = set()
    for nic in observed.net_adapters:
        if nic.sriov_support != "Supported":
            continue
        spec: dict[str, Any] = {
            "nicSelector": {"names": [glob_escape(nic.name)]},
            "enabled": nic.sriov_enabled,
        }
        if nic.sriov_enabled or nic.sriov_num_vfs:
            spec["numVFs"] = nic.sriov_num_vfs
        docs.append(_doc("SriovPolicy", _unique(f"sriov-{nic.name}", taken), host, spec))
    return docs


def switch_document(sw: Switch, observed: ObservedHost, host: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": sw.switch_type}
    if sw.switch_type == "External":
        spec["uplinks"] = {"names": [glob_escape(n) for n in sw.uplinks]}
        spec["embeddedTeaming"] = sw.embedded_teaming
        if sw.embedded_teaming and sw.load_balancing_algorithm:
            spec["loadBalancingAlgorithm"] = sw.load_balancing_algorithm
        spec["enableIov"] = sw.iov_enabled
        # Only the default host vNIC (named after the switch) is what allowManagementOS governs.
        default_vnic = any(
            a.is_management_os and a.switch_id == sw.id and a.name.casefold() == sw.name.casefold()
            for a in observed.adapters
        )
        spec["allowManagementOS"] = default_vnic
    if sw.bandwidth_reservation_mode != DEFAULT_BANDWIDTH_MODE[sw.iov_enabled]:
        spec["minimumBandwidthMode"] = sw.bandwidth_reservation_mode
    if sw.bandwidth_reservation_mode == "Weight":
        spec["defaultFlowMinimumBandwidthWeight"] = sw.default_flow_minimum_bandwidth_weight
    if sw.packet_direct_enabled:
        spec["enablePacketDirect"] = True
    if sw.notes:
        spec["notes"] = sw.notes
    return _doc("VMSwitch", sw.name, host, spec)


def _port_settings(adapter: Adapter, switch: Switch | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"vlan": vlan_spec(adapter.vlan), "iovWeight": adapter.iov_weight}
    if switch is not None and switch.bandwidth_reservation_mode == "Weight":
        spec["minimumBandwidthWeight"] = adapter.minimum_bandwidth_weight
    spec["macAddress"] = _mac_spec(adapter)
    return spec


def host_vnic_documents(observed: ObservedHost, host: str) -> list[dict[str, Any]]:
    switches = {s.id: s for s in observed.switches}
    docs = []
    for a in observed.adapters:
        if not a.is_management_os or not a.switch_name or len(observed.host_vnics_named(a.name)) > 1:
            continue  # a vNIC on no switch cannot be declared; duplicates cannot be addressed by name
        spec: dict[str, Any] = {"switch": a.switch_name, **_port_settings(a, switches.get(a.switch_id or ""))}
        if observed.connection_address and any(
            ip.split("/")[0] == observed.connection_address for ip in a.ip_addresses
        ):
            spec["management"] = True
        docs.append(_doc("HostVNic", a.name, host, spec))
    return docs


def vm_adapter_documents(observed: ObservedHost, host: str) -> list[dict[str, Any]]:
    switches = {s.id: s for s in observed.switches}
    docs = []
    taken: set[str] = set()
    for a in observed.adapters:
        if a.is_management_os or a.is_legacy or len(observed.vm_adapters_named(a.vm_name, a.name)) > 1:
            continue  # legacy adapters are not managed; duplicate names cannot be addressed
        switch = switches.get(a.switch_id or "")
        spec: dict[str, Any] = {"vm": a.vm_name, "adapterName": a.name, "switch": a.switch_name}
        spec.update(_port_settings(a, switch))
        spec["iovQueuePairsRequested"] = a.iov_queue_pairs_requested
        spec["macAddressSpoofing"] = a.mac_address_spoofing
        spec["dhcpGuard"] = a.dhcp_guard
        spec["routerGuard"] = a.router_guard
        spec["maximumBandwidth"] = a.maximum_bandwidth
        if a.virtual_subnet_id:
            spec["virtualSubnetId"] = a.virtual_subnet_id
        docs.append(_doc("VMNetworkAdapter", _unique(f"{a.vm_name}-{a.name}", taken), host, spec))
    return docs


def _nic_by_index(nics: Iterable[NetAdapter]) -> dict[int, str]:
    return {n.interface_index: n.name for n in nics}


def hnv_documents(observed: ObservedHost, host: str) -> list[dict[str, Any]]:
    nic_names = _nic_by_index(observed.net_adapters)
    pas = [
        {
            "nic": {"names": [glob_escape(nic_names[pa.interface_index])]},
            "address": pa.address,
            "prefixLength": pa.prefix_length,
            "vlanId": pa.vlan_id,
        }
        for pa in observed.provider_addresses
        if pa.interface_index in nic_names
    ]
    records = [
        {
            "customerAddress": r.customer_address,
            "providerAddress": r.provider_address,
            "virtualSubnetId": r.virtual_subnet_id,
            "macAddress": r.mac_address,
            "vmName": r.vm_name,
            "rule": r.rule,
        }
        for r in observed.lookup_records
        if r.type == "Static"  # dynamic records are learned, not configured
    ]
    routes = []
    for r in observed.customer_routes:
        route: dict[str, Any] = {
            "routingDomainId": r.routing_domain_id,
            "virtualSubnetId": r.virtual_subnet_id,
            "destinationPrefix": r.destination_prefix,
            "nextHop": r.next_hop,
        }
        if r.metric:
            route["metric"] = r.metric
        routes.append(route)
    if not (pas or records or routes):
        return []
    spec = {"providerAddresses": pas, "lookupRecords": records, "customerRoutes": routes}
    return [_doc("NetworkVirtualization", f"hnv-{host}", host, spec)]


def import_documents(observed: ObservedHost, host: str) -> dict[str, list[dict[str, Any]]]:
    """Manifest documents per kind describing ``observed`` (for inventory host ``host``)."""
    unique_switch_names = [s for s in observed.switches if len(observed.switches_named(s.name)) == 1]
    return {
        "SriovPolicy": sriov_documents(observed, host),
        "VMSwitch": [switch_document(s, observed, host) for s in unique_switch_names],
        "HostVNic": host_vnic_documents(observed, host),
        "VMNetworkAdapter": vm_adapter_documents(observed, host),
        "NetworkVirtualization": hnv_documents(observed, host),
    }


def render_import(observed: ObservedHost, host: str) -> dict[str, str]:
    """``{file name: YAML}`` for every kind with at least one document, in a stable order."""
    by_kind = import_documents(observed, host)
    files: dict[str, str] = {}
    for kind, file_name in FILES:
        docs = by_kind[kind]
        if not docs:
            continue
        header = f"# Imported by `hvnet import` from host {host} ({observed.facts.computer_name}).\n"
        body = yaml.safe_dump_all(docs, sort_keys=False, explicit_start=True, allow_unicode=True, width=120)
        files[file_name] = header + body
    return files


def skipped_objects(observed: ObservedHost) -> list[str]:
    """What the import could not describe (to tell the user)."""
    notes = []
    for s in observed.switches:
        if len(observed.switches_named(s.name)) > 1:
            notes.append(f"switch {s.name!r} ({s.id}): its name is not unique on the host")
    for a in observed.adapters:
        if a.is_management_os and len(observed.host_vnics_named(a.name)) > 1:
            notes.append(f"host vNIC {a.name!r} ({a.id}): its name is not unique on the host")
        elif not a.is_management_os and len(observed.vm_adapters_named(a.vm_name, a.name)) > 1:
            notes.append(f"VM {a.vm_name!r} adapter {a.name!r} ({a.id}): its name is not unique in the VM")
        elif a.is_legacy:
            notes.append(f"VM {a.vm_name!r} legacy adapter {a.name!r}: legacy adapters are not managed")
    nic_indexes = _nic_by_index(observed.net_adapters)
    for pa in observed.provider_addresses:
        if pa.interface_index not in nic_indexes:
            notes.append(
                f"provider address {pa.address}: interface {pa.interface_index} is not a physical NIC"
            )
    return notes
