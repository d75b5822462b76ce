"""What every per-kind diff needs to know about one host: observed state, the other
declared resources, the management path, and the outcome of the switches planned so far.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.model.resources import HostVNic, NicSelector, Resource, VMNetworkAdapter, VMSwitch
from engine.observe.model import ObservedHost
from engine.plan.model import HostError
from engine.plan.normalize import ip_only


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

    def describe(self) -> str:
        return "hvnet's own connection"


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


@dataclass
class HostContext:
    observed: ObservedHost
    resources: list[Resource]
    mgmt: ManagementPath
    switches: dict[str, SwitchOutcome] = field(default_factory=dict)  # casefolded name -> outcome
    errors: list[HostError] = field(default_factory=list)

    @property
    def host(self) -> str:
        return self.observed.host

    def error(self, res: Resource, message: str, json_path: str = "spec") -> None:
        pos = res.position_of(json_path)
        self.errors.append(HostError(message, res.address, str(pos) if pos else ""))

    def declared_switch(self, name: str) -> VMSwitch | None:
        key = name.casefold()
        return next((r for r in self.resources if isinstance(r, VMSwitch) and r.name.casefold() == key), None)

    def declared_vnics_on(self, switch: str) -> list[HostVNic]:
        key = switch.casefold()
        return [
            r
            for r in self.resources
            if isinstance(r, HostVNic)
            and r.ensure == "present"
            and isinstance(r.switch, str)
            and r.switch.casefold() == key
        ]

    def declared_vnic(self, name: str) -> HostVNic | None:
        key = name.casefold()
        return next((r for r in self.resources if isinstance(r, HostVNic) and r.name.casefold() == key), None)

    def declared_adapter(self, vm: str, name: str) -> VMNetworkAdapter | None:
        key = f"{vm.casefold()}\\{name.casefold()}"
        return next((r for r in self.resources if isinstance(r, VMNetworkAdapter) and r.identity == key), None)


def uplink_selector(res: VMSwitch) -> NicSelector | None:
    return res.uplinks if isinstance(res.uplinks, NicSelector) else None
