"""A ``SimulatedHost`` fixture (CONTRACT §4) → the simulator's ``HostModel`` and faults.

The fixture is validated (schema, positions) by ``engine.manifest.load_fixture``;
this module turns the validated mapping into the model, applying what Hyper-V
does at creation time (defaults that depend on ``osBuild``, a new External or
Internal switch's default host vNIC, SET implied by two uplinks). References that
do not resolve (a switch or NIC that is not in the fixture) are reported as a
``ManifestError``.

Ids are uuid5 of host name + kind + object name, so the same fixture always gives
the same GUIDs and snapshots are reproducible.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import Diagnostic, ManifestError
from engine.manifest import load_fixture
from engine.sim.hyperv.model import (
    ID_NAMESPACE,
    VM,
    Bandwidth,
    CustomerRoute,
    HostModel,
    LookupRecord,
    MacPoolExhausted,
    Nic,
    PortAdapter,
    ProviderAddress,
    Sriov,
    Vlan,
    VSwitch,
)
from engine.sim.hyperv.vlanlist import VlanListFormatError, parse_vlan_list
from engine.sim.hyperv.wildcard import matches_name

_MAC = re.compile(r"^([0-9A-Fa-f]{2}[:-]?){5}[0-9A-Fa-f]{2}$")
_SUFFIX = re.compile(r" #\d+$")


@dataclass(frozen=True)
class FailCmdlet:
    cmdlet: str
    nth: int
    message: str


@dataclass
class Faults:
    latency_ms: int = 0
    fail_cmdlets: list[FailCmdlet] = field(default_factory=list)
    drop_after_requests: int | None = None


@dataclass
class LoadedFixture:
    model: HostModel
    faults: Faults
    jea_role: str | None = None  # spec.jeaRole, resolved against the fixture's folder


def load_fixture_file(path: str | Path) -> LoadedFixture:
    """Read, validate and convert a fixture file."""
    return fixture_to_model(load_fixture(Path(path)), str(path))


def normalize_mac(text: str) -> str:
    """``98-03-9b-00-00-01`` → ``98039B000001`` (hyperv-model §2.5)."""
    if not _MAC.match(text):
        raise ValueError(f"'{text}' is not a MAC address")
    return text.replace("-", "").replace(":", "").upper()


def _is_dynamic(value: Any) -> bool:
    return value is None or str(value).strip().casefold() in ("", "dynamic")


def stable_guid(host: str, kind: str, name: str, occurrence: int = 0) -> str:
    key = f"{host.lower()}/{kind}/{name}" + (f"#{occurrence}" if occurrence else "")
    return str(uuid.uuid5(ID_NAMESPACE, key))


class _Builder:
    def __init__(self, spec: dict[str, Any], source: str) -> None:
        self.spec = spec
        self.source = source
        meta = spec.get("metadata") or {}
        name = str(spec.get("computerName") or meta.get("name") or "SIMHOST")
        self.model = HostModel(
            computer_name=name,
            os_build=int(spec.get("osBuild", 20348)),
            iov_support=bool(spec.get("iovSupport", True)),
            iov_support_reasons=[str(r) for r in spec.get("iovSupportReasons") or []],
            # 00-15-5D + two host-derived octets: the per-host dynamic MAC pool.
            mac_prefix="00155D" + uuid.uuid5(ID_NAMESPACE, name.lower()).hex[:4].upper(),
        )
        self.problems: list[Diagnostic] = []
        self.seen: dict[str, int] = {}

    def fail(self, message: str) -> None:
        self.problems.append(Diagnostic(f"{self.source}: {message}"))

    def guid(self, kind: str, name: str) -> str:
        key = f"{kind}/{name.casefold()}"
        n = self.seen.get(key, 0)
        self.seen[key] = n + 1
        return stable_guid(self.model.computer_name, kind, name, n)

    def mac(self, value: Any, where: str) -> str | None:
        if _is_dynamic(value):
            return None
        try:
            return normalize_mac(str(value))
        except ValueError as exc:
            self.fail(f"{where}: {exc}")
            return None

    def pool_mac(self, where: str) -> str:
        try:
            return self.model.allocate_mac()
        except MacPoolExhausted:
            self.fail(f"{where}: the 256-address dynamic MAC pool is exhausted; give macAddress explicitly")
            return "000000000000"

    # ---- NICs --------------------------------------------------------------------
    def nics(self) -> None:
        for i, raw in enumerate(self.spec.get("netAdapters") or []):
            name = str(raw["name"])
            desc = str(raw.get("interfaceDescription") or name)
            sr = raw.get("sriov")
            sriov = None
            if sr is not None:
                supported = bool(sr.get("supported", True))
                sriov = Sriov(
                    supported=supported,
                    max_vfs=int(sr.get("totalVFs", 64)),
                    enabled=bool(sr.get("enabled", False)),
                    num_vfs=int(sr.get("numVFs", 0)),
                    support_reason=str(sr.get("supportReason") or ("Supported" if supported else "MissingPfDriver")),
                )
            self.model.nics.append(
                Nic(
                    name=name,
                    interface_description=desc,
                    driver_description=str(raw.get("driverDescription") or _SUFFIX.sub("", desc)),
                    driver_version=str(raw.get("driverVersion") or "1.0.0.0"),
                    mac=self.mac(raw.get("macAddress"), f"netAdapters[{i}].macAddress") or f"0200000000{i + 1:02X}",
                    if_index=int(raw.get("interfaceIndex") or 10 + i),
                    interface_guid=self.guid("NetAdapter", name),
                    link_speed_bps=int(float(raw.get("linkSpeedGbps", 10)) * 1_000_000_000),
                    status=str(raw.get("status") or "Up"),
                    pci_location=str(raw.get("pciLocation") or ""),
                    sriov=sriov,
                    ip_addresses=[str(a) for a in raw.get("ipAddresses") or []],
                    management=bool(raw.get("management", False)),
                )
            )

    def select_nics(self, selector: dict[str, Any] | None, where: str) -> list[str]:
        if not selector:
            return []
        found: list[str] = []
        for nic in self.model.nics:
            names = selector.get("names")
            if names is not None and not any(matches_name(str(p), nic.name) for p in names):
                continue
            desc = selector.get("interfaceDescription")
            if desc and not matches_name(str(desc), nic.interface_description):
                continue
            macs = [m for m in (self.mac(m, where) for m in selector.get("macAddresses") or []) if m]
            if macs and nic.mac not in macs:
                continue
            found.append(nic.name)
        if not found:
            self.fail(f"{where}: no netAdapter matches {selector!r}")
        return found

    # ---- switches and host vNICs --------------------------------------------------
    def switches(self) -> None:
        declared_vnics = self.spec.get("hostVNics") or []
        for i, raw in enumerate(self.spec.get("switches") or []):
            name = str(raw["name"])
            where = f"switches[{i}]"
            uplinks = self.select_nics(raw.get("uplinks"), f"{where}.uplinks")
            for nic in uplinks:
                if (other := self.model.switch_of_nic(nic)) is not None:
                    self.fail(f"{where}: netAdapter '{nic}' is already bound to switch '{other.name}'")
            kind = str(raw.get("type") or ("External" if uplinks else "Private"))
            if kind == "External" and not uplinks:
                self.fail(f"{where}: an External switch needs uplinks")
            if kind != "External":
                uplinks = []
            teaming = bool(raw.get("embeddedTeaming", len(uplinks) > 1))
            iov = bool(raw.get("enableIov", False))
            mode = self.model.resolve_bandwidth_mode(str(raw.get("minimumBandwidthMode") or "Default"), iov)
            sw = VSwitch(
                id=str(raw.get("id") or self.guid("VMSwitch", name)).lower().strip("{}"),
                name=name,
                notes=str(raw.get("notes") or ""),
                iov_enabled=iov,
                embedded_teaming=teaming,
                packet_direct=bool(raw.get("enablePacketDirect", False)),
                bandwidth_mode=mode,
                default_flow_min_bw_weight=int(raw.get("defaultFlowMinimumBandwidthWeight") or 0),
                default_flow_min_bw_absolute=int(
                    raw.get("defaultFlowMinimumBandwidthAbsolute")
                    or self.model.initial_default_flow_absolute(mode, uplinks)
                ),
                uplinks=uplinks,
                lb_algorithm=str(raw.get("loadBalancingAlgorithm") or self.model.default_lb_algorithm) if teaming else None,
                teaming_mode="SwitchIndependent" if teaming else None,
                created=self.model.next_seq(),
            )
            self.model.switches.append(sw)
            has_default = any(
                str(v.get("name") or "").casefold() == name.casefold()
                and str(v.get("switch") or "").casefold() == name.casefold()
                for v in declared_vnics
            )
            # New-VMSwitch adds a host vNIC named after an External/Internal switch
            # unless AllowManagementOS is $false (hyperv-model §2.1).
            if kind != "Private" and raw.get("allowManagementOS", True) and not has_default:
                self.add_host_vnic({"name": name, "switch": name}, f"{where}(default host vNIC)")

    def add_host_vnic(self, raw: dict[str, Any], where: str) -> None:
        name = str(raw.get("name") or raw.get("switch") or "")
        sw_name = raw.get("switch")
        matches = self.model.switches_named_exact(str(sw_name)) if sw_name else []
        if len(matches) != 1:
            self.fail(f"{where}: switch {sw_name!r} must name exactly one switch (found {len(matches)})")
            return
        sw = matches[0]
        mac = self.mac(raw.get("macAddress"), f"{where}.macAddress")
        if mac is None:
            nics = self.model.uplink_nics(sw)
            is_default = name.casefold() == sw.name.casefold()
            mac = nics[0].mac if nics and is_default else self.pool_mac(where)
        adapter = PortAdapter(
            id=f"Microsoft:{self.guid('HostVNic', name).upper()}",
            name=name,
            switch_id=sw.id,
            connected=True,
            mac=mac,
            dynamic_mac=_is_dynamic(raw.get("macAddress")),
            ip_addresses=[str(a) for a in raw.get("ipAddresses") or []],
            management=bool(raw.get("management", False)),
            created=self.model.next_seq(),
        )
        self.apply_port_settings(adapter, raw, where)
        self.model.adapters.append(adapter)

    def host_vnics(self) -> None:
        for i, raw in enumerate(self.spec.get("hostVNics") or []):
            self.add_host_vnic(raw, f"hostVNics[{i}]")

    # ---- VMs ---------------------------------------------------------------------
    def vms(self) -> None:
        for i, raw in enumerate(self.spec.get("vms") or []):
            name = str(raw["name"])
            vm = VM(
                id=str(raw.get("id") or self.guid("VM", name)).lower().strip("{}"),
                name=name,
                generation=int(raw.get("generation", 2)),
                state=str(raw.get("state") or "Off"),
            )
            self.model.vms.append(vm)
            for j, ad in enumerate(raw.get("adapters") or []):
                self.vm_adapter(vm, ad, f"vms[{i}].adapters[{j}]")

    def vm_adapter(self, vm: VM, raw: dict[str, Any], where: str) -> None:
        name = str(raw.get("name") or "Network Adapter")
        switch_id = None
        if raw.get("switch") is not None:
            matches = self.model.switches_named_exact(str(raw["switch"]))
            if len(matches) != 1:
                self.fail(f"{where}: switch {raw['switch']!r} must name exactly one switch (found {len(matches)})")
            else:
                switch_id = matches[0].id
        mac = self.mac(raw.get("macAddress"), f"{where}.macAddress")
        if mac is None:
            # A dynamic MAC is assigned when the VM first starts (hyperv-model §1.4).
            mac = self.pool_mac(where) if vm.state == "Running" else "000000000000"
        adapter = PortAdapter(
            id=f"Microsoft:{vm.id.upper()}\\{self.guid('VMNetworkAdapter', vm.name + '/' + name).upper()}",
            name=name,
            vm_id=vm.id,
            switch_id=switch_id,
            connected=switch_id is not None,
            mac=mac,
            dynamic_mac=not bool(raw.get("staticMac", False)),
            is_legacy=bool(raw.get("isLegacy", False)),
            ip_addresses=[str(a) for a in raw.get("ipAddresses") or []],
            created=self.model.next_seq(),
        )
        self.apply_port_settings(adapter, raw, where)
        self.model.adapters.append(adapter)

    def apply_port_settings(self, adapter: PortAdapter, raw: dict[str, Any], where: str) -> None:
        adapter.iov_weight = int(raw.get("iovWeight", 0) or 0)
        adapter.iov_qp_requested = int(raw.get("iovQueuePairsRequested", 1) or 1)
        adapter.mac_spoofing = bool(raw.get("macAddressSpoofing", False))
        adapter.dhcp_guard = bool(raw.get("dhcpGuard", False))
        adapter.router_guard = bool(raw.get("routerGuard", False))
        adapter.virtual_subnet_id = int(raw.get("virtualSubnetId", 0) or 0)
        if "vmqWeight" in raw:
            adapter.vmq_weight = int(raw["vmqWeight"])
        bw = {k: raw.get(k) for k in ("maximumBandwidth", "minimumBandwidthAbsolute", "minimumBandwidthWeight")}
        if any(v is not None for v in bw.values()):
            adapter.bandwidth = Bandwidth(
                maximum=int(bw["maximumBandwidth"] or 0) // 8 * 8,
                minimum_absolute=int(bw["minimumBandwidthAbsolute"] or 0) // 8 * 8,
                minimum_weight=int(bw["minimumBandwidthWeight"] or 0),
            )
        if raw.get("vlan"):
            adapter.vlan = self.vlan(raw["vlan"], f"{where}.vlan")

    def vlan(self, raw: dict[str, Any], where: str) -> Vlan:
        mode = str(raw.get("mode") or "untagged").lower()
        if mode == "access":
            return Vlan(mode="Access", access_vlan_id=int(raw.get("vlanId") or 0))
        if mode == "trunk":
            allowed = raw.get("allowedVlanIds") or ""
            try:
                ids = parse_vlan_list(allowed) if isinstance(allowed, str) else sorted({int(v) for v in allowed})
            except VlanListFormatError:
                self.fail(f"{where}.allowedVlanIds: '{allowed}' is not a VLAN id list")
                ids = []
            return Vlan(mode="Trunk", native_vlan_id=int(raw.get("nativeVlanId") or 0), allowed_vlan_ids=ids)
        if mode != "untagged":
            self.fail(f"{where}.mode: '{mode}' must be untagged, access or trunk")
        return Vlan()

    # ---- HNV ---------------------------------------------------------------------
    def hnv(self) -> None:
        for raw in self.spec.get("providerAddresses") or []:
            nic = self.model.nic(str(raw.get("nic") or "")) if raw.get("nic") else None
            self.model.provider_addresses.append(
                ProviderAddress(
                    address=str(raw["address"]),
                    interface_index=int(raw.get("interfaceIndex") or (nic.if_index if nic else 0)),
                    prefix_length=int(raw.get("prefixLength", 24)),
                    vlan_id=int(raw.get("vlanId", 0) or 0),
                    mac=nic.mac if nic else "",
                )
            )
        for raw in self.spec.get("lookupRecords") or []:
            self.model.lookup_records.append(
                LookupRecord(
                    customer_address=str(raw["customerAddress"]),
                    provider_address=str(raw["providerAddress"]),
                    virtual_subnet_id=int(raw["virtualSubnetId"]),
                    mac=self.mac(raw.get("macAddress"), "lookupRecords.macAddress") or "",
                    rule=str(raw.get("rule") or "TranslationMethodEncap"),
                    vm_name=str(raw.get("vmName") or ""),
                )
            )
        for raw in self.spec.get("customerRoutes") or []:
            self.model.customer_routes.append(
                CustomerRoute(
                    routing_domain_id=str(raw["routingDomainId"]),
                    virtual_subnet_id=int(raw["virtualSubnetId"]),
                    destination_prefix=str(raw["destinationPrefix"]),
                    next_hop=str(raw.get("nextHop") or "0.0.0.0"),
                    metric=int(raw.get("metric", 0) or 0),
                )
            )


def _faults(spec: dict[str, Any]) -> Faults:
    raw = spec.get("faults") or {}
    drop = raw.get("dropAfterRequests")
    return Faults(
        latency_ms=int(raw.get("latencyMs", 0) or 0),
        fail_cmdlets=[
            FailCmdlet(str(f["cmdlet"]), int(f.get("nth", 1)), str(f.get("message") or "injected"))
            for f in raw.get("failCmdlets") or []
        ],
        drop_after_requests=int(drop) if drop is not None else None,
    )


def fixture_to_model(spec: dict[str, Any], source: str = "<fixture>") -> LoadedFixture:
    """Convert a validated fixture mapping (``{"metadata": ..., **spec}``) to a model."""
    b = _Builder(spec, source)
    b.nics()
    b.switches()
    b.host_vnics()
    b.vms()
    b.hnv()
    if b.problems:
        raise ManifestError(b.problems)
    role = spec.get("jeaRole")
    if role and source != "<fixture>":
        role = str(Path(source).parent / role)
    return LoadedFixture(b.model, _faults(spec), role or None)
