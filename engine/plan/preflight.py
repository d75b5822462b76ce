"""Preflight: checks against observed hardware facts before anything runs.

Each check returns messages; the caller attaches them to the resource (HostError with
its file:line:col) and leaves the host's other resources planned.
"""

from __future__ import annotations

from engine.observe.model import NetAdapter, ObservedHost, Switch
from engine.plan.context import HostContext


def check_nic_up(nic: NetAdapter) -> list[str]:
    if nic.status.casefold() != "up":
        return [f"NIC {nic.name} is {nic.status}, not Up"]
    return []


def check_uplinks(hc: HostContext, nics: list[NetAdapter], planned: Switch | None) -> list[str]:
    """Uplinks exist and are Up, are not bound to another switch, and (SET) are alike."""
    problems: list[str] = []
    for nic in nics:
        problems += check_nic_up(nic)
        for other in hc.observed.switches:
            if planned is not None and other.id == planned.id:
                continue
            if any(u.casefold() == nic.name.casefold() for u in other.uplinks):
                problems.append(f"NIC {nic.name} is already bound to switch {other.name}")
    if len(nics) > 1:
        models = sorted({(n.driver_description, n.driver_version) for n in nics})
        if len(models) > 1:
            listed = "; ".join(f"{d} {v}".strip() for d, v in models)
            problems.append(f"Switch Embedded Teaming needs identical NICs (same driver and version), got: {listed}")
    return problems


def check_sriov_nic(observed: ObservedHost, nic: NetAdapter, enabling: bool, num_vfs: int | None) -> list[str]:
    problems = check_nic_up(nic)
    if enabling or num_vfs:
        if nic.sriov_support == "":
            problems.append(f"NIC {nic.name} has no SR-IOV capability")
        elif nic.sriov_support != "Supported":
            problems.append(f"NIC {nic.name} cannot use SR-IOV: {nic.sriov_support}")
    if num_vfs is not None and nic.sriov_max_vfs and num_vfs > nic.sriov_max_vfs:
        problems.append(f"numVFs {num_vfs} exceeds the maximum of NIC {nic.name} ({nic.sriov_max_vfs})")
    return problems
