"""What every per-kind diff needs to know about one host: observed state, the other
declared resources, the management path, and the outcome of the switches planned so far.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from engine.model.resources import HostVNic, NicSelector, Resource, VMNetworkAdapter, VMSwitch
from engine.observe.model import VM, Adapter, ObservedHost
from engine.plan.model import HostError
from engine.plan.normalize import ip_only

T = TypeVar("T")


@dataclass
class SwitchOutcome:
    """How a declared switch is planned; dependents consult it."""

    address: str
    action: str  # create | update | replace | delete | noop | blocked | failed
    iov_after: bool | None = None  # IovEnabled once this change is applied (None: unknown)
    reason: str = ""


@dataclass
class ManagementPath:
    """Objects carrying hvnet's own connection (CONTRACT §7 last row)."""

    nic_names: set[str] = field(default_factory=set)  # casefolded
    switch_ids: set[str] = field(default_factory=set)
    vnic_ids: set[str] = field(default_factory=set)
    vnic_names: set[str] = field(default_factory=set)  # declared management vNICs, casefolded


def find_management_path(observed: ObservedHost, resources: list[Resource]) -> ManagementPath:
    mp = ManagementPath()
    addr = ip_only(observed.connection_address) if observed.connection_address else ""
    for res in resources:
        if isinstance(res, HostVNic) and res.management:
            mp.vnic_names.add(res.name.casefold())
    for nic in observed.net_adapters:
        if addr and any(ip_only(ip) == addr for ip in nic.ip_addresses):
            mp.nic_names.add(nic.name.casefold())
    for a in observed.adapters:
        if not a.is_management_os:
            continue
        on_path = a.name.casefold() in mp.vnic_names or (addr and any(ip_only(ip) == addr for ip in a.ip_addresses))
        if on_path:
            mp.vnic_ids.add(a.id)
            if a.switch_id:
                mp.switch_ids.add(a.switch_id)
    for sw in observed.switches:
        if sw.id in mp.switch_ids or any(u.casefold() in mp.nic_names for u in sw.uplinks):
            mp.switch_ids.add(sw.id)
            mp.nic_names.update(u.casefold() for u in sw.uplinks)
    return mp


def _group(items: Iterable[T], key: Callable[[T], Hashable]) -> dict[Hashable, list[T]]:
    out: dict[Hashable, list[T]] = defaultdict(list)
    for item in items:
        out[key(item)].append(item)
    return dict(out)


class Index:
    """Case-insensitive lookups over observed and declared objects, built once per host.

    ObservedHost's own lookups scan every object; a host with thousands of adapters
    would make the diff quadratic.
    """

    def __init__(self, observed: ObservedHost, resources: list[Resource]) -> None:
        self.vms = _group(observed.vms, lambda v: v.name.casefold())
        vm_adapters: dict[tuple[str, str], list[Adapter]] = defaultdict(list)
        host_vnics: dict[str, list[Adapter]] = defaultdict(list)
        on_switch: dict[str | None, list[Adapter]] = defaultdict(list)
        for a in observed.adapters:  # one pass over what may be thousands
            on_switch[a.switch_id].append(a)
            if a.is_management_os:
                host_vnics[a.name.casefold()].append(a)
            else:
                vm_adapters[(a.vm_name.casefold(), a.name.casefold())].append(a)
        self.vm_adapters = dict(vm_adapters)
        self.host_vnics = dict(host_vnics)
        self.on_switch = dict(on_switch)
        self.declared_switches: dict[str, VMSwitch] = {}
        self.declared_vnics: dict[str, HostVNic] = {}
        self.declared_adapters: dict[str, VMNetworkAdapter] = {}
        vnics_by_switch: dict[str, list[HostVNic]] = defaultdict(list)
        for r in resources:  # one pass, most common kind first: thousands of adapters
            if isinstance(r, VMNetworkAdapter):
                self.declared_adapters[r.identity] = r
            elif isinstance(r, VMSwitch):
                self.declared_switches[r.name.casefold()] = r
            elif isinstance(r, HostVNic):
                self.declared_vnics[r.name.casefold()] = r
                if r.ensure == "present" and isinstance(r.switch, str):
                    vnics_by_switch[r.switch.casefold()].append(r)
        self.vnics_by_switch = dict(vnics_by_switch)


@dataclass
class HostContext:
    observed: ObservedHost
    resources: list[Resource]
    mgmt: ManagementPath
    switches: dict[str, SwitchOutcome] = field(default_factory=dict)  # casefolded name -> outcome
    errors: list[HostError] = field(default_factory=list)
    index: Index = field(init=False)

    def __post_init__(self) -> None:
        self.index = Index(self.observed, self.resources)

    def vms_named(self, name: str) -> list[VM]:
        return self.index.vms.get(name.casefold(), [])

    def vm_adapters_named(self, vm: str, name: str) -> list[Adapter]:
        return self.index.vm_adapters.get((vm.casefold(), name.casefold()), [])

    def host_vnics_named(self, name: str) -> list[Adapter]:
        return self.index.host_vnics.get(name.casefold(), [])

    def adapters_on_switch(self, switch_id: str) -> list[Adapter]:
        return self.index.on_switch.get(switch_id, [])

    @property
    def host(self) -> str:
        return self.observed.host

    def error(self, res: Resource, message: str, json_path: str = "spec") -> None:
        pos = res.position_of(json_path)
        self.errors.append(HostError(message, res.address, str(pos) if pos else ""))

    def declared_switch(self, name: str) -> VMSwitch | None:
        return self.index.declared_switches.get(name.casefold())

    def declared_vnics_on(self, switch: str) -> list[HostVNic]:
        return self.index.vnics_by_switch.get(switch.casefold(), [])

    def declared_vnic(self, name: str) -> HostVNic | None:
        return self.index.declared_vnics.get(name.casefold())

    def declared_adapter(self, vm: str, name: str) -> VMNetworkAdapter | None:
        return self.index.declared_adapters.get(f"{vm.casefold()}\\{name.casefold()}")


def uplink_selector(res: VMSwitch) -> NicSelector | None:
    return res.uplinks if isinstance(res.uplinks, NicSelector) else None
