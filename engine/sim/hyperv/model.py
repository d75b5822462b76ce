"""The simulated host's stateful Hyper-V model: plain dataclasses, JSON round-trippable.

Only *stored* facts live here. Everything Hyper-V derives (SwitchType,
AllowManagementOS, IovSupport, VF counters, a NIC's bound switch …) is computed
by the helpers below or by ``sriov.py``, so it can never drift from the facts it
comes from (hyperv-model §1.1: SwitchType/AllowManagementOS are derived in VMMS).

Conventions:
- ids are GUID strings, lowercase, without braces; adapter ids are Hyper-V's
  device-id form (``Microsoft:<VMID>\\<GUID>`` for VM adapters, ``Microsoft:<GUID>``
  for host vNICs — hyperv-model §1.4).
- MACs are 12 uppercase hex digits, no separators (``000000000000`` = unassigned).
- Enum-valued fields hold the enum *name* (``"Weight"``, ``"Access"`` …).
- Lists keep creation order; that order is the order Get-* cmdlets return.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
import uuid
from dataclasses import dataclass, field
from typing import Any, TypeVar

from engine.sim.hyperv.wildcard import matches_name

T = TypeVar("T")

# Namespace for deterministic ids: uuid5(namespace, "<host>/<kind>/<name>[/<n>]").
ID_NAMESPACE = uuid.UUID("6f1c2a9e-3b7d-5e41-9a0c-48d2f1e7b3a5")

BUILD_2016 = 14393
BUILD_2019 = 17763


@dataclass
class Sriov:
    """A NIC's SR-IOV capability and settings (MSFT_NetAdapterSriovSettingData)."""

    supported: bool = True
    max_vfs: int = 64  # HardwareCapabilities.MaxNumVFs
    enabled: bool = False
    num_vfs: int = 0
    # SriovSupport enum name when not supported by the platform (MissingAcs, NoIoMmuSupport …)
    support_reason: str = "Supported"


@dataclass
class Nic:
    """A physical network adapter."""

    name: str
    interface_description: str
    driver_description: str
    mac: str
    if_index: int
    interface_guid: str
    driver_version: str = "1.0.0.0"
    link_speed_bps: int = 10_000_000_000
    status: str = "Up"  # Up | Disconnected | Disabled
    pci_location: str = ""
    sriov: Sriov | None = None  # None: the NIC has no SR-IOV capability at all
    ip_addresses: list[str] = field(default_factory=list)  # "a.b.c.d/nn"
    management: bool = False
    restarts: int = 0  # how often an SR-IOV change restarted the adapter (no -NoRestart)


@dataclass
class VSwitch:
    id: str
    name: str
    notes: str = ""
    iov_enabled: bool = False
    embedded_teaming: bool = False
    packet_direct: bool = False
    bandwidth_mode: str = "Absolute"  # resolved at creation: Weight | Absolute | None
    default_flow_min_bw_weight: int = 0
    default_flow_min_bw_absolute: int = 0
    uplinks: list[str] = field(default_factory=list)  # NIC names of the external port(s); [] = no external port
    lb_algorithm: str | None = None  # SET only: HyperVPort | Dynamic
    teaming_mode: str | None = None  # SET only: SwitchIndependent
    created: int = 0  # creation order


@dataclass
class VM:
    id: str
    name: str
    generation: int = 2
    state: str = "Off"  # Running | Off


@dataclass
class Vlan:
    """VMNetworkAdapterVlanSetting; mode Untagged means no VLAN feature on the port."""

    mode: str = "Untagged"  # Untagged | Access | Trunk | Private
    access_vlan_id: int = 0
    native_vlan_id: int = 0
    allowed_vlan_ids: list[int] = field(default_factory=list)  # sorted, unique
    private_vlan_mode: str | None = None  # Isolated | Community | Promiscuous
    primary_vlan_id: int = 0
    secondary_vlan_id: int = 0
    secondary_vlan_ids: list[int] = field(default_factory=list)


@dataclass
class Bandwidth:
    """VMNetworkAdapterBandwidthSetting (absent until first set)."""

    maximum: int = 0
    minimum_absolute: int = 0
    minimum_weight: int = 0


@dataclass
class PortAdapter:
    """A VM network adapter (vm_id set) or a host vNIC (vm_id None)."""

    id: str
    name: str
    vm_id: str | None = None
    switch_id: str | None = None  # None = never connected / disconnected
    connected: bool = False
    mac: str = "000000000000"
    dynamic_mac: bool = True
    mac_spoofing: bool = False
    dhcp_guard: bool = False
    router_guard: bool = False
    iov_weight: int = 0
    iov_qp_requested: int = 1
    iov_interrupt_moderation: str = "Default"
    vmq_weight: int = 100
    virtual_subnet_id: int = 0
    vlan: Vlan = field(default_factory=Vlan)
    bandwidth: Bandwidth | None = None
    is_legacy: bool = False
    ip_addresses: list[str] = field(default_factory=list)
    device_naming: bool = False
    management: bool = False  # fixture: this host vNIC carries the client's connection
    created: int = 0

    @property
    def is_management_os(self) -> bool:
        return self.vm_id is None


@dataclass
class ProviderAddress:
    address: str
    interface_index: int
    prefix_length: int
    vlan_id: int = 0
    mac: str = ""


@dataclass
class LookupRecord:
    customer_address: str
    provider_address: str
    virtual_subnet_id: int
    mac: str
    rule: str = "TranslationMethodEncap"  # TranslationMethodNat | TranslationMethodEncap | TranslationMethodNone
    vm_name: str = ""
    customer_id: str = ""
    context: str = ""
    type: str = "Static"  # Static | Dynamic | GatewayWildcard | L2Only
    use_vm_mac: bool = False


@dataclass
class CustomerRoute:
    routing_domain_id: str  # "{guid}"
    virtual_subnet_id: int
    destination_prefix: str
    next_hop: str
    metric: int = 0
    customer_id: str = ""


@dataclass
class VFile:
    """A file in the in-model virtual filesystem (C:\\ProgramData\\hvnet\\ only)."""

    path: str  # canonical, as created
    content: str = ""
    created_utc: str = ""  # ISO 8601
    modified_utc: str = ""
    is_directory: bool = False


@dataclass
class HostModel:
    computer_name: str
    os_build: int = 20348
    iov_support: bool = True
    iov_support_reasons: list[str] = field(default_factory=list)
    nics: list[Nic] = field(default_factory=list)
    switches: list[VSwitch] = field(default_factory=list)
    vms: list[VM] = field(default_factory=list)
    adapters: list[PortAdapter] = field(default_factory=list)
    provider_addresses: list[ProviderAddress] = field(default_factory=list)
    lookup_records: list[LookupRecord] = field(default_factory=list)
    customer_routes: list[CustomerRoute] = field(default_factory=list)
    files: list[VFile] = field(default_factory=list)
    mac_prefix: str = "00155D0101"  # 00-15-5D + 2 host-derived octets; the last octet is the pool index
    next_mac: int = 0  # next index in the dynamic MAC pool (0..255)
    seq: int = 0  # monotonically increasing: creation order and id disambiguation

    # ---- build profile -------------------------------------------------------------
    @property
    def default_lb_algorithm(self) -> str:
        # hyperv-model §2.2: Dynamic on 2016, HyperVPort from 1709/2019.
        return "Dynamic" if self.os_build < BUILD_2019 else "HyperVPort"

    @property
    def max_synthetic_adapters(self) -> int:
        # hyperv-model §2.4 (WSD SCALE): 8 on 2016, 64 on 2019+.
        return 8 if self.os_build < BUILD_2019 else 64

    def resolve_bandwidth_mode(self, requested: str, iov: bool) -> str:
        """What ``-MinimumBandwidthMode Default`` becomes (hyperv-model §2.1/§2.3;
        choice recorded in docs/simulator.md): None on IOV switches, else Absolute."""
        if requested != "Default":
            return requested
        return "None" if iov else "Absolute"

    def initial_default_flow_absolute(self, bandwidth_mode: str, uplinks: list[str]) -> int:
        """DefaultFlowMinimumBandwidthAbsolute of a new switch: 10% of the uplink speed in
        Absolute mode (real capture: 1000000000 on a 10 Gbps X550, BandwidthPercentage 10)."""
        nics = [n for n in (self.nic(u) for u in uplinks) if n is not None]
        if bandwidth_mode != "Absolute" or not nics:
            return 0
        return nics[0].link_speed_bps // 10

    # ---- allocation ----------------------------------------------------------------
    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def new_guid(self, kind: str, name: str) -> str:
        """A deterministic GUID for a new object (reproducible snapshots)."""
        return str(uuid.uuid5(ID_NAMESPACE, f"{self.computer_name.lower()}/{kind}/{name}/{self.next_seq()}"))

    def allocate_mac(self) -> str:
        """The next address of the dynamic pool; raises ``MacPoolExhausted`` after 256."""
        if self.next_mac > 0xFF:
            raise MacPoolExhausted(self.computer_name)
        mac = f"{self.mac_prefix}{self.next_mac:02X}"
        self.next_mac += 1
        return mac

    # ---- lookups -------------------------------------------------------------------
    def nic(self, name: str) -> Nic | None:
        key = name.casefold()
        return next((n for n in self.nics if n.name.casefold() == key), None)

    def nics_named(self, pattern: str) -> list[Nic]:
        return [n for n in self.nics if matches_name(pattern, n.name)]

    def nic_by_description(self, pattern: str) -> list[Nic]:
        return [n for n in self.nics if matches_name(pattern, n.interface_description)]

    def nic_by_if_index(self, if_index: int) -> Nic | None:
        return next((n for n in self.nics if n.if_index == if_index), None)

    def switch(self, switch_id: str | None) -> VSwitch | None:
        if switch_id is None:
            return None
        key = switch_id.lower().strip("{}")
        return next((s for s in self.switches if s.id == key), None)

    def switches_named(self, pattern: str) -> list[VSwitch]:
        return [s for s in self.switches if matches_name(pattern, s.name)]

    def switches_named_exact(self, name: str) -> list[VSwitch]:
        """Switches whose name equals ``name`` case-insensitively (no wildcard meaning)."""
        key = name.casefold()
        return [s for s in self.switches if s.name.casefold() == key]

    def vm(self, vm_id: str | None) -> VM | None:
        if vm_id is None:
            return None
        key = vm_id.lower().strip("{}")
        return next((v for v in self.vms if v.id == key), None)

    def vms_named(self, pattern: str) -> list[VM]:
        return [v for v in self.vms if matches_name(pattern, v.name)]

    def adapter(self, adapter_id: str) -> PortAdapter | None:
        key = adapter_id.casefold()
        return next((a for a in self.adapters if a.id.casefold() == key), None)

    def vm_adapters(self, vm_id: str) -> list[PortAdapter]:
        return [a for a in self.adapters if a.vm_id == vm_id]

    def host_vnics(self) -> list[PortAdapter]:
        return [a for a in self.adapters if a.vm_id is None]

    def adapters_on_switch(self, switch_id: str) -> list[PortAdapter]:
        """Ports whose connection targets the switch (connected or not)."""
        return [a for a in self.adapters if a.switch_id == switch_id]

    def host_vnics_on_switch(self, switch_id: str) -> list[PortAdapter]:
        return [a for a in self.host_vnics() if a.switch_id == switch_id]

    def switch_of_nic(self, nic_name: str) -> VSwitch | None:
        """The switch whose external port is bound to the NIC (a NIC binds to one switch)."""
        key = nic_name.casefold()
        return next((s for s in self.switches if any(u.casefold() == key for u in s.uplinks)), None)

    def uplink_nics(self, sw: VSwitch) -> list[Nic]:
        return [n for n in (self.nic(u) for u in sw.uplinks) if n is not None]

    def file(self, path: str) -> VFile | None:
        key = path.casefold()
        return next((f for f in self.files if f.path.casefold() == key), None)

    # ---- derived switch properties (DEC VMSwitch) ------------------------------------
    def switch_type(self, sw: VSwitch) -> str:
        if sw.uplinks:
            return "External"
        if self.host_vnics_on_switch(sw.id):
            return "Internal"
        return "Private"

    def allow_management_os(self, sw: VSwitch) -> bool:
        return bool(self.host_vnics_on_switch(sw.id))

    def switch_iov_support(self, sw: VSwitch) -> tuple[bool, list[str]]:
        """IovSupport / IovSupportReasons of a switch, read from its external port."""
        reasons: list[str] = []
        if not self.iov_support:
            reasons.extend(self.iov_support_reasons or [HOST_IOV_REASON])
        nics = self.uplink_nics(sw)
        if not nics:
            return False, reasons or [NO_EXTERNAL_PORT_REASON]
        for nic in nics:
            if nic.sriov is None or not nic.sriov.supported:
                reasons.append(NIC_NO_SRIOV_REASON)
                break
        return not reasons, reasons

    # ---- JSON --------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        result = _to_json(self)
        assert isinstance(result, dict)
        return result

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HostModel:
        return _from_json(cls, data)


HOST_IOV_REASON = (
    "To use SR-IOV on this system, the system BIOS must be updated to allow Windows to control "
    "PCI Express. Contact your system manufacturer for an update."
)  # JH8
NO_EXTERNAL_PORT_REASON = "SR-IOV is only supported on an external virtual switch."
NIC_NO_SRIOV_REASON = "The network adapter does not support SR-IOV."


class MacPoolExhausted(Exception):
    """The 256-address dynamic MAC pool is used up (hyperv-model §2.5)."""


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _to_json(value: Any) -> Any:
    """Like ``dataclasses.asdict`` without its deep copies (the state file is written per request)."""
    cls = type(value)
    names = _FIELD_NAMES.get(cls)
    if names is None and dataclasses.is_dataclass(value):
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        return {name: _to_json(getattr(value, name)) for name in names}
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    return value


def _from_json(cls: type[T], data: dict[str, Any]) -> T:
    """Rebuild a dataclass tree from ``dataclasses.asdict`` output, ignoring unknown keys."""
    kwargs: dict[str, Any] = {}
    for name, hint in _field_hints(cls):
        if name in data:
            kwargs[name] = _convert(hint, data[name])
    return cls(**kwargs)


@functools.cache
def _field_hints(cls: type) -> tuple[tuple[str, Any], ...]:
    hints = typing.get_type_hints(cls)
    return tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))


def _convert(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _convert(inner[0], value) if len(inner) == 1 else value
    if origin is list:
        (elem,) = typing.get_args(hint)
        return [_convert(elem, v) for v in value]
    if dataclasses.is_dataclass(hint) and isinstance(value, dict):
        return _from_json(hint, value)  # type: ignore[arg-type]
    return value
