"""The observed state of one host: what the collector read, normalized.

Produced by ``engine.observe`` parsers (from pypsrp objects) or loaded from a
snapshot file; consumed by preflight, ``diff`` and verification. Plain frozen
dataclasses; every field is JSON-friendly so ``ObservedHost.to_json()`` *is* the
snapshot format (``schemas/snapshot.schema.json``).

Normalization happens in the parsers, not here: MACs are 12 uppercase hex digits
(``""`` when unassigned), enums are their names, VLAN lists are sorted lists of ints.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class HostFacts:
    computer_name: str
    os_build: int
    iov_support: bool
    iov_support_reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class NetAdapter:
    """A physical NIC (Get-NetAdapter -Physical) joined with its SR-IOV settings."""

    name: str
    interface_description: str
    driver_description: str
    driver_version: str
    mac_address: str
    link_speed_bps: int
    status: str  # Up | Disconnected | Disabled
    interface_guid: str
    interface_index: int
    pci_location: str = ""
    # From Get-NetAdapterSriov; sriov_support is "" when the NIC has no SR-IOV object.
    sriov_support: str = ""  # Supported | MissingAcs | ... (SriovSupport enum name)
    sriov_enabled: bool = False
    sriov_num_vfs: int = 0
    sriov_max_vfs: int = 0
    sriov_vfs_in_use: int = 0  # runtime (Get-NetAdapterSriovVf count)
    ip_addresses: tuple[str, ...] = ()  # "a.b.c.d/nn"


@dataclass(frozen=True)
class Switch:
    id: str  # GUID, lowercase
    name: str
    switch_type: str  # Private | Internal | External
    allow_management_os: bool
    embedded_teaming: bool
    iov_enabled: bool
    iov_support: bool
    iov_support_reasons: tuple[str, ...]
    bandwidth_reservation_mode: str  # Default | Weight | Absolute | None
    default_flow_minimum_bandwidth_weight: int
    packet_direct_enabled: bool
    notes: str
    uplinks: tuple[str, ...]  # NIC names (team members for SET, the one NIC otherwise)
    load_balancing_algorithm: str = ""  # SET only: HyperVPort | Dynamic
    iov_virtual_function_count: int = 0  # runtime
    iov_virtual_functions_in_use: int = 0  # runtime


@dataclass(frozen=True)
class Vlan:
    mode: str  # Untagged | Access | Trunk | Private
    access_vlan_id: int = 0
    native_vlan_id: int = 0
    allowed_vlan_ids: tuple[int, ...] = ()  # expanded, sorted


@dataclass(frozen=True)
class VM:
    id: str
    name: str
    generation: int
    state: str  # Running | Off | ...


@dataclass(frozen=True)
class Adapter:
    """A VM network adapter, or a host vNIC when ``is_management_os``."""

    id: str
    name: str
    is_management_os: bool
    vm_name: str  # "" for host vNICs
    vm_id: str
    switch_name: str | None  # None: disconnected, or connected to a switch that no longer exists
    switch_id: str | None
    connected: bool
    mac_address: str
    dynamic_mac_address: bool
    mac_address_spoofing: bool
    dhcp_guard: bool
    router_guard: bool
    iov_weight: int
    iov_queue_pairs_requested: int
    virtual_subnet_id: int
    vlan: Vlan
    maximum_bandwidth: int = 0
    minimum_bandwidth_weight: int = 0
    minimum_bandwidth_absolute: int = 0
    is_legacy: bool = False
    # runtime (never part of the fingerprint)
    iov_usage: int = 0
    vf_data_path_active: bool = False
    status: str = ""
    ip_addresses: tuple[str, ...] = ()  # host vNICs: Get-NetIPAddress on "vEthernet (<name>)"


@dataclass(frozen=True)
class ProviderAddress:
    address: str
    prefix_length: int
    interface_index: int
    vlan_id: int
    mac_address: str = ""


@dataclass(frozen=True)
class LookupRecord:
    customer_address: str
    provider_address: str
    virtual_subnet_id: int
    mac_address: str
    vm_name: str
    rule: str  # TranslationMethodEncap | TranslationMethodNat | TranslationMethodNone
    type: str = "Static"


@dataclass(frozen=True)
class CustomerRoute:
    routing_domain_id: str  # "{guid}" as the host shows it
    virtual_subnet_id: int
    destination_prefix: str
    next_hop: str
    metric: int = 0


@dataclass(frozen=True)
class ObservedHost:
    host: str  # inventory name
    facts: HostFacts
    net_adapters: tuple[NetAdapter, ...] = ()
    switches: tuple[Switch, ...] = ()
    vms: tuple[VM, ...] = ()
    adapters: tuple[Adapter, ...] = ()
    provider_addresses: tuple[ProviderAddress, ...] = ()
    lookup_records: tuple[LookupRecord, ...] = ()
    customer_routes: tuple[CustomerRoute, ...] = ()
    # The address hvnet's own connection arrives on, when known (management path).
    connection_address: str = ""
    format_version: str = field(default="1")

    # --- lookups (names compare case-insensitively, as Hyper-V does) ---
    def switches_named(self, name: str) -> list[Switch]:
        key = name.casefold()
        return [s for s in self.switches if s.name.casefold() == key]

    def vms_named(self, name: str) -> list[VM]:
        key = name.casefold()
        return [v for v in self.vms if v.name.casefold() == key]

    def host_vnics_named(self, name: str) -> list[Adapter]:
        key = name.casefold()
        return [a for a in self.adapters if a.is_management_os and a.name.casefold() == key]

    def vm_adapters_named(self, vm: str, name: str) -> list[Adapter]:
        vkey, nkey = vm.casefold(), name.casefold()
        return [
            a
            for a in self.adapters
            if not a.is_management_os and a.vm_name.casefold() == vkey and a.name.casefold() == nkey
        ]

    def adapters_on_switch(self, switch_id: str) -> list[Adapter]:
        return [a for a in self.adapters if a.switch_id == switch_id]

    def nic_named(self, name: str) -> NetAdapter | None:
        key = name.casefold()
        return next((n for n in self.net_adapters if n.name.casefold() == key), None)

    # --- (de)serialization: the snapshot format ---
    def to_json(self) -> dict[str, Any]:
        return _to_json(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ObservedHost:
        return _from_json(cls, data)


def _to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_to_json(v) for v in value]
    return value


_NESTED: dict[str, type] = {
    "facts": HostFacts,
    "net_adapters": NetAdapter,
    "switches": Switch,
    "vms": VM,
    "adapters": Adapter,
    "vlan": Vlan,
    "provider_addresses": ProviderAddress,
    "lookup_records": LookupRecord,
    "customer_routes": CustomerRoute,
}


def _from_json(cls: type[T], data: dict[str, Any]) -> T:
    kwargs: dict[str, Any] = {}
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    for key, raw in data.items():
        if key not in names:
            continue
        nested = _NESTED.get(key)
        if nested is not None and isinstance(raw, list):
            kwargs[key] = tuple(_from_json(nested, item) for item in raw)
        elif nested is not None and isinstance(raw, dict):
            kwargs[key] = _from_json(nested, raw)
        elif isinstance(raw, list):
            kwargs[key] = tuple(raw)
        else:
            kwargs[key] = raw
    return cls(**kwargs)
