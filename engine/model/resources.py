"""Desired resources: what the manifests ask for, per host, typed.

"Omitted means unmanaged" (CONTRACT §3) lives here: every managed field defaults to
``UNSET``, which is not a value. ``None`` *is* a value (``switch: null`` means
"disconnected"). ``Resource.managed()`` returns only the fields a manifest wrote,
keyed by their camelCase manifest key — the diff compares exactly those.

Field metadata (``dataclasses.field(metadata=...)``):
- ``key``: the manifest key (camelCase)
- ``creation_only``: a change forces replacement of the object
- ``ordered``: for lists, whether order matters (False: compare as sets)
- ``sensitive``: never rendered (no such field in v1; kept for the connection model)
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final
from urllib.parse import quote

from engine.errors import Position


class _Unset:
    _instance: ClassVar[_Unset | None] = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()


def spec_field(key: str, *, creation_only: bool = False, ordered: bool = True, sensitive: bool = False) -> Any:
    return field(
        default=UNSET,
        metadata={"key": key, "creation_only": creation_only, "ordered": ordered, "sensitive": sensitive},
    )


@dataclass(frozen=True)
class NicSelector:
    """Selects physical NICs; all given fields must match (AND). ``None`` = not constrained."""

    names: tuple[str, ...] | None = None  # case-insensitive globs
    interface_description: str | None = None  # case-insensitive glob
    mac_addresses: tuple[str, ...] | None = None  # normalized: 12 uppercase hex digits
    pci_location: str | None = None
    sriov_supported: bool | None = None
    min_link_speed_gbps: float | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.names is not None:
            out["names"] = list(self.names)
        if self.interface_description is not None:
            out["interfaceDescription"] = self.interface_description
        if self.mac_addresses is not None:
            out["macAddresses"] = list(self.mac_addresses)
        if self.pci_location is not None:
            out["pciLocation"] = self.pci_location
        if self.sriov_supported is not None:
            out["sriovSupported"] = self.sriov_supported
        if self.min_link_speed_gbps is not None:
            out["minLinkSpeedGbps"] = self.min_link_speed_gbps
        return out


@dataclass(frozen=True)
class VlanSpec:
    mode: str  # untagged | access | trunk (manifest spelling, lowercase)
    vlan_id: int | None = None  # access
    native_vlan_id: int | None = None  # trunk
    allowed_vlan_ids: str | None = None  # trunk, as written ("10,20-30")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mode": self.mode}
        if self.vlan_id is not None:
            out["vlanId"] = self.vlan_id
        if self.native_vlan_id is not None:
            out["nativeVlanId"] = self.native_vlan_id
        if self.allowed_vlan_ids is not None:
            out["allowedVlanIds"] = self.allowed_vlan_ids
        return out


_ADDRESS_SAFE: Final = "".join(chr(c) for c in range(32, 127) if chr(c) not in "/%")  # built once: hot path


@functools.cache
def _spec_fields(cls: type) -> tuple[Callable[[Any], tuple[Any, ...]], tuple[str, ...]]:
    """A getter of a resource class's managed fields (values in declaration order) and their
    manifest keys; computed once per class (``dataclasses.fields`` per call is slow)."""
    fields = [f for f in dataclasses.fields(cls) if "key" in f.metadata]
    names = [f.name for f in fields]
    getter: Callable[[Any], tuple[Any, ...]]
    if len(names) > 1:
        getter = operator.attrgetter(*names)  # one C call for all values
    else:  # attrgetter of one name returns the bare value, of none is an error
        getter = lambda obj: tuple(getattr(obj, n) for n in names)  # noqa: E731
    return getter, tuple(f.metadata["key"] for f in fields)


_MAC_SEPARATORS = re.compile(r"[-:.]")


def normalize_mac(text: str) -> str:
    """``00-15-5d-01-0a-01`` / ``00:15:5D:01:0A:01`` -> ``00155D010A01``; ``Dynamic`` -> ``dynamic``.

    The one spelling desired and observed MACs are compared in (manifests, plans, selectors).
    """
    if text.casefold() == "dynamic":
        return "dynamic"
    return _MAC_SEPARATORS.sub("", text).upper()


def address_part(text: str) -> str:
    """Percent-encode ``/`` and ``%`` (CONTRACT §5 addresses)."""
    if _plain_address(text):
        return text  # nothing to encode (the common case; quote() is slow)
    return quote(text, safe=_ADDRESS_SAFE)


def join_address(parts: Iterable[str]) -> str:
    """``host/kind/name…`` with each part encoded by ``address_part``."""
    parts = tuple(parts)
    if _plain_address("".join(parts)):  # one check for all parts: the common case
        return "/".join(parts)
    return "/".join(address_part(p) for p in parts)


def _plain_address(text: str) -> bool:
    return text.isascii() and text.isprintable() and "/" not in text and "%" not in text


@dataclass(frozen=True, kw_only=True)
class Resource:
    """Base of every desired resource on one host."""

    KIND: ClassVar[str] = ""

    host: str
    name: str  # metadata.name
    ensure: str = "present"  # present | absent
    source: Position | None = None  # where the document starts
    positions: dict[str, Position] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def kind(self) -> str:
        return self.KIND

    @property
    def target(self) -> str | None:
        return None

    @functools.cached_property
    def address(self) -> str:  # cached: the planner reads it for every lookup
        target = self.target
        return join_address((self.host, self.KIND, self.name) if target is None else
                            (self.host, self.KIND, self.name, target))

    @functools.cached_property
    def identity(self) -> str:  # cached: the planner indexes and matches every resource by it
        """The Hyper-V object this resource names, case-folded (duplicate detection)."""
        return self.name.casefold()

    def managed(self) -> dict[str, Any]:
        """The fields the manifest wrote, by manifest key, in declaration order."""
        getter, keys = _spec_fields(type(self))
        return {key: value for key, value in zip(keys, getter(self), strict=True) if value is not UNSET}

    @classmethod
    def field_meta(cls, key: str) -> dict[str, Any]:
        for f in dataclasses.fields(cls):
            if f.metadata.get("key") == key:
                return dict(f.metadata)
        raise KeyError(key)

    def position_of(self, json_path: str) -> Position | None:
        """Best position for a JSON path like ``spec.vlan.vlanId`` (falls back to parents)."""
        path = json_path
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path.rpartition(".")[0]
        return self.source


@dataclass(frozen=True, kw_only=True)
class SriovPolicy(Resource):
    """A policy as written; expanded to one ``SriovNic`` per matched NIC at plan time."""

    KIND: ClassVar[str] = "SriovPolicy"
    nic_selector: NicSelector = field(default_factory=NicSelector)
    enabled: Any = spec_field("enabled")
    num_vfs: Any = spec_field("numVFs")


@dataclass(frozen=True, kw_only=True)
class SriovNic(Resource):
    """SR-IOV settings of one physical NIC, from an ``SriovPolicy`` (``name`` = the policy)."""

    KIND: ClassVar[str] = "SriovPolicy"
    nic: str = ""  # the NIC's name on the host
    enabled: Any = spec_field("enabled")
    num_vfs: Any = spec_field("numVFs")

    @property
    def target(self) -> str | None:
        return self.nic

    @functools.cached_property
    def identity(self) -> str:
        return self.nic.casefold()


@dataclass(frozen=True, kw_only=True)
class VMSwitch(Resource):
    KIND: ClassVar[str] = "VMSwitch"
    type: Any = spec_field("type")  # External | Internal | Private
    uplinks: Any = spec_field("uplinks")  # NicSelector
    embedded_teaming: Any = spec_field("embeddedTeaming", creation_only=True)
    load_balancing_algorithm: Any = spec_field("loadBalancingAlgorithm")
    enable_iov: Any = spec_field("enableIov", creation_only=True)
    allow_management_os: Any = spec_field("allowManagementOS")
    minimum_bandwidth_mode: Any = spec_field("minimumBandwidthMode", creation_only=True)
    default_flow_minimum_bandwidth_weight: Any = spec_field("defaultFlowMinimumBandwidthWeight")
    enable_packet_direct: Any = spec_field("enablePacketDirect", creation_only=True)
    notes: Any = spec_field("notes")


@dataclass(frozen=True, kw_only=True)
class HostVNic(Resource):
    KIND: ClassVar[str] = "HostVNic"
    switch: Any = spec_field("switch")
    vlan: Any = spec_field("vlan")  # VlanSpec
    minimum_bandwidth_weight: Any = spec_field("minimumBandwidthWeight")
    iov_weight: Any = spec_field("iovWeight")
    mac_address: Any = spec_field("macAddress", creation_only=True)  # "dynamic" or 12 uppercase hex
    management: bool = False


@dataclass(frozen=True, kw_only=True)
class VMNetworkAdapter(Resource):
    KIND: ClassVar[str] = "VMNetworkAdapter"
    vm: str = ""
    adapter_name: str = ""  # defaults to metadata.name when the loader builds it
    switch: Any = spec_field("switch")  # str, or None = disconnected
    iov_weight: Any = spec_field("iovWeight")
    iov_queue_pairs_requested: Any = spec_field("iovQueuePairsRequested")
    vlan: Any = spec_field("vlan")
    mac_address: Any = spec_field("macAddress")
    mac_address_spoofing: Any = spec_field("macAddressSpoofing")
    dhcp_guard: Any = spec_field("dhcpGuard")
    router_guard: Any = spec_field("routerGuard")
    maximum_bandwidth: Any = spec_field("maximumBandwidth")
    minimum_bandwidth_weight: Any = spec_field("minimumBandwidthWeight")
    virtual_subnet_id: Any = spec_field("virtualSubnetId")

    @functools.cached_property
    def identity(self) -> str:
        return f"{self.vm.casefold()}\\{self.adapter_name.casefold()}"


@dataclass(frozen=True)
class ProviderAddressSpec:
    nic: NicSelector
    address: str
    prefix_length: int
    vlan_id: int = 0


@dataclass(frozen=True)
class LookupRecordSpec:
    customer_address: str
    provider_address: str
    virtual_subnet_id: int
    mac_address: str  # normalized
    vm_name: str
    rule: str = "TranslationMethodEncap"


@dataclass(frozen=True)
class CustomerRouteSpec:
    routing_domain_id: str  # "{guid}", normalized lowercase inside braces
    virtual_subnet_id: int
    destination_prefix: str
    next_hop: str
    metric: int | None = None


@dataclass(frozen=True, kw_only=True)
class NetworkVirtualization(Resource):
    KIND: ClassVar[str] = "NetworkVirtualization"
    provider_addresses: Any = spec_field("providerAddresses", ordered=False)
    lookup_records: Any = spec_field("lookupRecords", ordered=False)
    customer_routes: Any = spec_field("customerRoutes", ordered=False)


KINDS: dict[str, type[Resource]] = {
    "SriovPolicy": SriovPolicy,
    "VMSwitch": VMSwitch,
    "HostVNic": HostVNic,
    "VMNetworkAdapter": VMNetworkAdapter,
    "NetworkVirtualization": NetworkVirtualization,
}
