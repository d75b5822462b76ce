"""Effective state: is the SR-IOV fast path a manifest declares really in use, and if not, why.

A VM adapter with a declared ``iovWeight > 0`` uses the fast path only when the host
shows ``IovUsage > 0`` and ``VFDataPathActive``. Otherwise traffic silently stays on
the synthetic VMBus path (hyperv-model §2.3: "this is not an error" for Hyper-V) — for
hvnet it is a *finding*, with every reason the observed state explains, in the order of
the SR-IOV chain (§2.3): switch IOV → host/NIC support → NIC SR-IOV enabled and VFs →
IovWeight → VM running → a free VF → the guest's VF driver.

Pure: ``host_health(resources, observed)``; no I/O. Runtime counters (VF usage) are
read here and nowhere near the plan's fingerprint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.model.resources import UNSET, Resource, VMNetworkAdapter, VMSwitch
from engine.observe.model import Adapter, NetAdapter, ObservedHost, Switch

__all__ = [
    "REASON_CODES",
    "AdapterHealth",
    "Finding",
    "HostHealth",
    "adapter_health",
    "adapter_reasons",
    "host_health",
    "nic_usage",
    "switch_usage",
    "unavailable_health",
]

SRIOV_SUPPORTED = "Supported"


@dataclass(frozen=True)
class Finding:
    address: str
    code: str  # stable, for dashboards and tests (see REASON_CODES)
    message: str

    def to_json(self) -> dict[str, str]:
        return {"address": self.address, "code": self.code, "message": self.message}


# Why a declared fast path is not in use, in SR-IOV chain order.
REASON_CODES = (
    "adapter-missing", "not-connected", "switch-missing", "switch-not-iov", "host-iov-unsupported",
    "switch-iov-unsupported", "nic-sriov-unsupported", "nic-down", "nic-sriov-disabled", "nic-no-vfs",
    "iov-weight-zero", "vm-not-running", "no-free-vf", "guest-driver", "not-assigned",
)


@dataclass(frozen=True)
class AdapterHealth:
    address: str
    vm: str
    adapter: str
    declared_iov_weight: int
    iov_weight: int | None = None  # observed (None: the adapter is missing)
    iov_usage: int = 0
    vf_data_path_active: bool = False
    reasons: tuple[Finding, ...] = ()

    @property
    def effective(self) -> bool:
        return not self.reasons

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address, "vm": self.vm, "adapter": self.adapter,
            "declared_iov_weight": self.declared_iov_weight, "iov_weight": self.iov_weight,
            "iov_usage": self.iov_usage, "vf_data_path_active": self.vf_data_path_active,
            "effective": self.effective, "reasons": [r.to_json() for r in self.reasons],
        }


@dataclass(frozen=True)
class HostHealth:
    host: str
    available: bool = True  # False: the host could not be read
    adapters: tuple[AdapterHealth, ...] = ()
    nics: tuple[dict[str, Any], ...] = ()
    switches: tuple[dict[str, Any], ...] = ()
    switch_findings: tuple[Finding, ...] = ()
    error: str = ""

    @property
    def findings(self) -> list[Finding]:
        return [r for a in self.adapters for r in a.reasons[:1]] + list(self.switch_findings)

    @property
    def effective(self) -> bool:
        return self.available and not self.findings

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"available": self.available, "effective": self.effective}
        if self.error:
            out["error"] = self.error
        out["findings"] = [f.to_json() for f in self.findings]
        out["adapters"] = [a.to_json() for a in self.adapters]
        out["nics"] = list(self.nics)
        out["switches"] = list(self.switches)
        return out


def unavailable_health(host: str, error: str) -> HostHealth:
    return HostHealth(host, available=False, error=error)


def host_health(resources: list[Resource], observed: ObservedHost) -> HostHealth:
    adapters = tuple(
        adapter_health(r, observed)
        for r in resources
        if isinstance(r, VMNetworkAdapter) and r.ensure == "present" and _declared_weight(r) > 0
    )
    return HostHealth(
        observed.host,
        adapters=adapters,
        nics=tuple(nic_usage(n) for n in observed.net_adapters if n.sriov_support),
        switches=tuple(switch_usage(s) for s in observed.switches),
        switch_findings=tuple(_switch_findings(resources, observed)),
    )


def _declared_weight(resource: VMNetworkAdapter) -> int:
    weight = resource.iov_weight
    return int(weight) if weight is not UNSET and weight is not None else 0


def nic_usage(nic: NetAdapter) -> dict[str, Any]:
    return {
        "name": nic.name, "status": nic.status, "sriov_support": nic.sriov_support,
        "sriov_enabled": nic.sriov_enabled, "num_vfs": nic.sriov_num_vfs, "max_vfs": nic.sriov_max_vfs,
        "vfs_in_use": nic.sriov_vfs_in_use, "vfs_free": max(0, nic.sriov_num_vfs - nic.sriov_vfs_in_use),
    }


def switch_usage(switch: Switch) -> dict[str, Any]:
    return {
        "name": switch.name, "iov_enabled": switch.iov_enabled, "iov_support": switch.iov_support,
        "iov_support_reasons": list(switch.iov_support_reasons),
        "vfs": switch.iov_virtual_function_count, "vfs_in_use": switch.iov_virtual_functions_in_use,
    }


def _switch_findings(resources: list[Resource], observed: ObservedHost) -> list[Finding]:
    out: list[Finding] = []
    for r in resources:
        if not isinstance(r, VMSwitch) or r.ensure != "present" or r.enable_iov is not True:
            continue
        for switch in observed.switches_named(r.name):
            if switch.iov_enabled and not switch.iov_support:
                why = "; ".join(switch.iov_support_reasons) or "no reason given by the host"
                out.append(Finding(r.address, "switch-iov-unsupported",
                                   f"switch '{switch.name}' has IOV enabled but IovSupport is false: {why}"))
    return out


def adapter_health(resource: VMNetworkAdapter, observed: ObservedHost) -> AdapterHealth:
    declared = _declared_weight(resource)
    found = observed.vm_adapters_named(resource.vm, resource.adapter_name)
    base = AdapterHealth(resource.address, resource.vm, resource.adapter_name, declared)
    if len(found) != 1:
        what = "is missing" if not found else f"is ambiguous ({len(found)} adapters share the name)"
        return _with(base, None, [("adapter-missing", f"VM '{resource.vm}' adapter '{resource.adapter_name}' {what}")])
    adapter = found[0]
    if adapter.iov_usage > 0 and adapter.vf_data_path_active:
        return _with(base, adapter, [])
    return _with(base, adapter, adapter_reasons(adapter, observed))


def _with(base: AdapterHealth, adapter: Adapter | None, reasons: list[tuple[str, str]]) -> AdapterHealth:
    findings = tuple(Finding(base.address, code, message) for code, message in reasons)
    if adapter is None:
        return AdapterHealth(base.address, base.vm, base.adapter, base.declared_iov_weight, reasons=findings)
    return AdapterHealth(base.address, base.vm, base.adapter, base.declared_iov_weight, adapter.iov_weight,
                         adapter.iov_usage, adapter.vf_data_path_active, findings)


def adapter_reasons(adapter: Adapter, observed: ObservedHost) -> list[tuple[str, str]]:
    """Every reason the observed state gives for an adapter without an active VF, chain order."""
    if adapter.iov_usage > 0:  # a VF is assigned: only the guest side can be wrong
        return [("guest-driver", "a VF is assigned but its data path is inactive (VFDataPathActive false): "
                 "the guest has no working VF driver, so traffic uses the synthetic path")]
    if not adapter.connected or adapter.switch_id is None:
        return [("not-connected", "the adapter is not connected to a switch")]
    switch = next((s for s in observed.switches if s.id == adapter.switch_id), None)
    if switch is None:
        return [("switch-missing", f"the adapter's switch '{adapter.switch_name}' no longer exists")]
    reasons = _switch_reasons(switch, observed)
    if adapter.iov_weight <= 0:
        reasons.append(("iov-weight-zero", "IovWeight is 0 on the host (drift: the declared weight is not set)"))
    vm = next((v for v in observed.vms if v.id == adapter.vm_id), None) or next(iter(observed.vms_named(adapter.vm_name)), None)
    if vm is not None and vm.state != "Running":
        reasons.append(("vm-not-running", f"VM '{vm.name}' is {vm.state}: VFs are assigned to running VMs only"))
    if not reasons:
        reasons += _vf_reasons(switch, observed)
    if not reasons:
        reasons.append(("not-assigned", "every host-side condition holds but no VF is assigned: check the "
                        "guest's VF driver and the host's event log (Hyper-V-VmSwitch)"))
    return reasons


def _switch_reasons(switch: Switch, observed: ObservedHost) -> list[tuple[str, str]]:
    if not switch.iov_enabled:
        return [("switch-not-iov", f"switch '{switch.name}' was not created with SR-IOV (enableIov is "
                 "creation-only: the switch must be recreated)")]
    reasons: list[tuple[str, str]] = []
    if not observed.facts.iov_support:
        why = "; ".join(observed.facts.iov_support_reasons) or "BIOS/IOMMU support missing"
        reasons.append(("host-iov-unsupported", f"the host does not support SR-IOV: {why}"))
    elif not switch.iov_support:
        why = "; ".join(switch.iov_support_reasons) or "no reason given by the host"
        reasons.append(("switch-iov-unsupported", f"switch '{switch.name}' reports IovSupport false: {why}"))
    for name in switch.uplinks:
        nic = observed.nic_named(name)
        if nic is None:
            continue
        if nic.sriov_support != SRIOV_SUPPORTED:
            what = nic.sriov_support or "no SR-IOV capability"
            reasons.append(("nic-sriov-unsupported", f"NIC '{nic.name}' does not support SR-IOV ({what})"))
        elif nic.status != "Up":
            reasons.append(("nic-down", f"NIC '{nic.name}' is {nic.status}"))
        elif not nic.sriov_enabled:
            reasons.append(("nic-sriov-disabled", f"SR-IOV is disabled on NIC '{nic.name}'"))
        elif nic.sriov_num_vfs <= 0:
            reasons.append(("nic-no-vfs", f"NIC '{nic.name}' has NumVFs 0"))
    if reasons and any(code.startswith("nic-") for code, _ in reasons) and len(switch.uplinks) > 1:
        # One usable team member is enough: only report NIC reasons when none is usable.
        usable = [n for n in switch.uplinks if _nic_usable(observed.nic_named(n))]
        if usable:
            reasons = [r for r in reasons if not r[0].startswith("nic-")]
    return reasons


def _nic_usable(nic: NetAdapter | None) -> bool:
    return (nic is not None and nic.sriov_support == SRIOV_SUPPORTED and nic.status == "Up"
            and nic.sriov_enabled and nic.sriov_num_vfs > 0)


def _vf_reasons(switch: Switch, observed: ObservedHost) -> list[tuple[str, str]]:
    nics = [n for n in (observed.nic_named(u) for u in switch.uplinks) if _nic_usable(n)]
    if nics and all(n.sriov_vfs_in_use >= n.sriov_num_vfs for n in nics):
        usage = ", ".join(f"'{n.name}' uses {n.sriov_vfs_in_use} of {n.sriov_num_vfs}" for n in nics)
        return [("no-free-vf", f"no free VF on switch '{switch.name}' ({usage} NumVFs)")]
    return []

