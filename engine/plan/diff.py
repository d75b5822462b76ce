"""``diff``: desired resources of one host × its observed state → ordered changes.

Pure. Switches are planned first (their outcome decides what may depend on them);
the changes come out in apply order (engine.graph), each with ``requires`` naming
the changes that must succeed before it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import networkx as nx

from engine.errors import ManifestError
from engine.gc_pause import gc_paused
from engine.graph import KIND_RANK, build_graph_and_order
from engine.model.resources import (
    HostVNic,
    NetworkVirtualization,
    Resource,
    SriovNic,
    VMNetworkAdapter,
    VMSwitch,
    join_address,
)
from engine.observe.model import ObservedHost
from engine.plan.context import HostContext, SwitchOutcome, find_management_path, uplink_selector
from engine.plan.diff_adapter import diff_host_vnic, diff_vm_adapter
from engine.plan.diff_hnv import cr_key, declared_hnv_keys, diff_hnv, lr_key, pa_key
from engine.plan.diff_sriov import diff_sriov
from engine.plan.diff_switch import diff_switch
from engine.plan.model import Change, HostError
from engine.plan.resolve import expand_policies, select_nics

__all__ = ["DiffResult", "diff", "unmanaged_objects"]

PENDING = ("create", "update", "replace", "delete")


@dataclass(frozen=True)
class DiffResult:
    changes: tuple[Change, ...]
    errors: tuple[HostError, ...]
    unmanaged: tuple[str, ...]
    resources: tuple[Resource, ...]  # expanded (one SriovNic per matched NIC)


# Resource type -> its diff: one dict lookup per resource (the exact type, the usual case)
# instead of a chain of isinstance checks; a subclass finds its base through the MRO.
_DIFF_OF: dict[type, Callable[[HostContext, Any], Change | None]] = {
    VMSwitch: diff_switch,
    SriovNic: diff_sriov,
    HostVNic: diff_host_vnic,
    VMNetworkAdapter: diff_vm_adapter,
    NetworkVirtualization: diff_hnv,
}


def _diff_one(hc: HostContext, res: Resource) -> Change | None:
    for cls in type(res).__mro__:
        fn = _DIFF_OF.get(cls)
        if fn is not None:
            return fn(hc, res)
    return None


def _fallback_order(resources: list[Resource]) -> list[str]:
    present = sorted((r for r in resources if r.ensure != "absent"), key=lambda r: (KIND_RANK.get(r.kind, 9), r.address))
    absent = sorted((r for r in resources if r.ensure == "absent"), key=lambda r: (KIND_RANK.get(r.kind, 9), r.address))
    return [r.address for r in present] + [r.address for r in reversed(absent)]


def diff(resources: list[Resource], observed: ObservedHost) -> DiffResult:
    with gc_paused():
        return _diff(resources, observed)


def _diff(resources: list[Resource], observed: ObservedHost) -> DiffResult:
    expansion = expand_policies(resources, observed)
    expanded = list(expansion.resources)
    hc = HostContext(observed, expanded, find_management_path(observed, expanded))
    for res, message in expansion.errors:
        hc.error(res, message, "spec.nicSelector")
    nic_of_switch = {
        r.address: [n.name for n in select_nics(sel, observed)]
        for r in expanded
        if isinstance(r, VMSwitch) and (sel := uplink_selector(r)) is not None
    }
    graph: nx.DiGraph | None
    try:
        graph, order = build_graph_and_order(expanded, nic_of_switch)
    except ManifestError as exc:  # a cycle or duplicate: still plan, in a stable fallback order
        graph = None
        order = _fallback_order(expanded)
        hc.errors.extend(HostError(d.summary, "", str(d.position or "")) for d in exc.diagnostics)
    by_address: dict[str, Resource] = {}
    changes: dict[str, Change] = {}
    for res in [r for r in expanded if isinstance(r, VMSwitch)] + [r for r in expanded if not isinstance(r, VMSwitch)]:
        change = _diff_one(hc, res)
        if change is not None:  # change.address is res.address, already computed (a property: not free)
            changes[change.address] = change
            by_address[change.address] = res
    # Switches being replaced or deleted, by casefolded name: adapters still on them wait.
    replaced = {k: o for k, o in hc.switches.items() if o.action in ("replace", "delete")}
    ordered = [
        _with_requires(changes[a], by_address[a], changes, graph, hc, replaced) for a in order if a in changes
    ]
    return DiffResult(tuple(ordered), tuple(hc.errors), unmanaged_objects(observed, expanded), tuple(expanded))


def _with_requires(
    change: Change,
    res: Resource,
    changes: dict[str, Change],
    graph: nx.DiGraph | None,
    hc: HostContext,
    replaced: dict[str, SwitchOutcome],
) -> Change:
    if change.action not in PENDING:
        return change
    address = change.address
    related: set[str] = set()
    if graph is not None and address in graph:
        if res.ensure == "absent":  # deletes reversed: what still uses this object goes first
            related.update(graph.successors(address))
        elif change.action in ("create", "replace"):  # needs everything it builds on settled
            related.update(graph.predecessors(address))
        else:  # an in-place update needs only objects that are (re)created first
            related.update(p for p in graph.predecessors(address)
                           if p in changes and changes[p].action in ("create", "replace"))
    if replaced and isinstance(res, VMNetworkAdapter | HostVNic):
        # An adapter still on a switch that is being replaced waits for the replacement.
        found = (hc.vm_adapters_named(res.vm, res.adapter_name) if isinstance(res, VMNetworkAdapter)
                 else hc.host_vnics_named(res.name))
        for a in found:
            outcome = replaced.get((a.switch_name or "").casefold())
            if outcome is not None:
                related.add(outcome.address)
    if not related:
        return change
    requires = sorted(a for a in related if a in changes and changes[a].action in PENDING and a != address)
    return change.but(requires=tuple(requires)) if requires else change


def _addr(*parts: str) -> str:
    return join_address(parts)


def unmanaged_objects(observed: ObservedHost, resources: list[Resource]) -> tuple[str, ...]:
    """Objects on the host that no manifest names: reported, never touched."""
    host = observed.host
    switches = {r.name.casefold() for r in resources if isinstance(r, VMSwitch)}
    vnics = {r.name.casefold() for r in resources if isinstance(r, HostVNic)}
    adapters = {r.identity for r in resources if isinstance(r, VMNetworkAdapter)}
    out: list[str] = []
    out += [_addr(host, "VMSwitch", s.name) for s in observed.switches if s.name.casefold() not in switches]
    for a in observed.adapters:
        if a.is_management_os:
            name = a.name.casefold()
            # A switch's default host vNIC (named after it) is governed by the switch resource.
            default_of_declared = name == (a.switch_name or "").casefold() and name in switches
            if name not in vnics and not default_of_declared:
                out.append(_addr(host, "HostVNic", a.name))
        elif f"{a.vm_name.casefold()}\\{a.name.casefold()}" not in adapters:
            out.append(_addr(host, "VMNetworkAdapter", a.vm_name, a.name))
    hnv = [r for r in resources if isinstance(r, NetworkVirtualization)]
    if not any(r.ensure == "absent" for r in hnv):
        pas, lrs, crs = declared_hnv_keys(hnv)
        out += [_addr(host, "ProviderAddress", p.address) for p in observed.provider_addresses
                if pa_key(p.address) not in pas]
        out += [_addr(host, "LookupRecord", f"{r.customer_address} vsid {r.virtual_subnet_id}")
                for r in observed.lookup_records if lr_key(r.customer_address, r.virtual_subnet_id) not in lrs]
        out += [_addr(host, "CustomerRoute", f"{r.routing_domain_id} vsid {r.virtual_subnet_id} {r.destination_prefix}")
                for r in observed.customer_routes
                if cr_key(r.routing_domain_id, r.virtual_subnet_id, r.destination_prefix) not in crs]
    return tuple(sorted(dict.fromkeys(out), key=str.casefold))
