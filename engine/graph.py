"""The dependency graph of desired resources, and the order to converge them in.

Nodes are ``Resource.address`` strings (attribute ``resource`` holds the resource);
an edge ``a -> b`` means "b needs a first" (attribute ``reason`` says why).
Edges only ever join resources of the same host:

- SR-IOV before the switches that use the NIC. Offline (an ``SriovPolicy`` whose NICs
  are not resolved yet) every policy comes before every switch that may be External;
  once expanded (``SriovNic`` with ``.nic``) and given ``nic_of_switch``, only the
  switches whose uplinks include that NIC depend on it. SR-IOV must be on before an
  IOV switch binds the NIC (hyperv-model.md: the VF chain is fixed at switch creation).
- A switch before the host vNICs and VM adapters that name it (case-insensitive).
- VM adapters carrying a ``virtualSubnetId`` before the ``NetworkVirtualization``
  whose lookup records or customer routes use that subnet.

Order is deterministic: ties are broken by (kind rank, address).
"""

from __future__ import annotations

import heapq
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx

from engine.errors import Diagnostic, ManifestError
from engine.model.resources import (
    UNSET,
    HostVNic,
    NetworkVirtualization,
    Resource,
    SriovNic,
    SriovPolicy,
    VMNetworkAdapter,
    VMSwitch,
)

__all__ = ["KIND_RANK", "apply_order", "build_graph", "build_graph_and_order", "check_acyclic", "render_graph", "sort_key"]

# Converge order of independent resources (ARCHITECTURE "Applying").
KIND_RANK: dict[str, int] = {
    "SriovPolicy": 0,
    "VMSwitch": 1,
    "HostVNic": 2,
    "VMNetworkAdapter": 3,
    "NetworkVirtualization": 4,
}
GRAPH_FORMATS = ("dot", "mermaid", "json")
_NOT_EXTERNAL = frozenset({"internal", "private"})


def sort_key(graph: nx.DiGraph, address: str) -> tuple[int, str]:
    resource: Resource = graph.nodes[address]["resource"]
    return (KIND_RANK.get(resource.kind, len(KIND_RANK)), address)


def build_graph(
    resources: Iterable[Resource],
    nic_of_switch: Mapping[str, Iterable[str]] | None = None,
) -> nx.DiGraph:
    """Build the graph of ``resources`` (one host or several; edges stay within a host).

    ``nic_of_switch`` maps a switch's address to the names of its uplink NICs, when the
    planner knows them; it narrows the edges from expanded ``SriovNic`` resources.
    Raises ``ManifestError`` on a duplicate address or a dependency cycle.
    """
    return build_graph_and_order(resources, nic_of_switch)[0]


def build_graph_and_order(
    resources: Iterable[Resource],
    nic_of_switch: Mapping[str, Iterable[str]] | None = None,
) -> tuple[nx.DiGraph, list[str]]:
    """``build_graph`` and ``apply_order`` of it at once: one topological pass, not two."""
    graph = nx.DiGraph()
    duplicates: list[Diagnostic] = []
    # Resource.address is computed on every access: compute it once per resource here.
    address_of: dict[int, str] = {}
    nodes: dict[str, Resource] = {}
    for resource in resources:
        address = resource.address
        if address in nodes:
            duplicates.append(_duplicate(nodes[address], resource))
            continue
        nodes[address] = resource
        address_of[id(resource)] = address
    if duplicates:
        raise ManifestError(duplicates)
    graph.add_nodes_from((address, {"resource": resource}) for address, resource in nodes.items())

    by_host: dict[str, list[Resource]] = defaultdict(list)
    for resource in nodes.values():
        by_host[resource.host.casefold()].append(resource)
    uplinks = None
    if nic_of_switch is not None:
        uplinks = {addr: {n.casefold() for n in nics} for addr, nics in nic_of_switch.items()}
    for host in sorted(by_host):
        graph.add_edges_from(
            (address_of[id(before)], address_of[id(after)], {"reason": reason})
            for before, after, reason in _host_edges(by_host[host], uplinks)
        )
    return graph, _converge_order(graph, nodes)


def _host_edges(
    resources: list[Resource], uplinks: dict[str, set[str]] | None
) -> Iterable[tuple[Resource, Resource, str]]:
    switches = [r for r in resources if isinstance(r, VMSwitch)]
    switch_by_name = {s.name.casefold(): s for s in switches}
    adapters = [r for r in resources if isinstance(r, VMNetworkAdapter)]

    for sriov in resources:
        if not isinstance(sriov, SriovPolicy | SriovNic):
            continue
        for switch in switches:
            if isinstance(sriov, SriovNic) and uplinks is not None:
                if sriov.nic.casefold() in uplinks.get(switch.address, set()):
                    yield sriov, switch, f"SR-IOV on uplink {sriov.nic}"
            elif _may_be_external(switch):
                yield sriov, switch, "SR-IOV before External switches"

    for user in resources:
        if isinstance(user, HostVNic | VMNetworkAdapter) and isinstance(user.switch, str):
            used = switch_by_name.get(user.switch.casefold())
            if used is not None:
                yield used, user, f"uses switch {used.name}"

    for nv in resources:
        if not isinstance(nv, NetworkVirtualization):
            continue
        subnets = _subnets_of(nv)
        for adapter in adapters:
            vsid = adapter.virtual_subnet_id
            if vsid is not UNSET and vsid is not None and vsid in subnets:
                yield adapter, nv, f"virtual subnet {vsid}"


def _may_be_external(switch: VMSwitch) -> bool:
    # An unmanaged type may still be External on the host: order conservatively.
    return not (isinstance(switch.type, str) and switch.type.casefold() in _NOT_EXTERNAL)


def _subnets_of(nv: NetworkVirtualization) -> set[int]:
    subnets: set[int] = set()
    for records in (nv.lookup_records, nv.customer_routes):
        if records is UNSET or records is None:
            continue
        subnets.update(int(r.virtual_subnet_id) for r in records)
    return subnets


def _where(resource: Resource) -> str:
    return f"{resource.kind}/{resource.name}" + (f" ({resource.target})" if resource.target else "")


def _duplicate(first: Resource, second: Resource) -> Diagnostic:
    return Diagnostic(
        summary=f"{_where(second)} is declared twice for host {second.host}",
        position=second.source,
        detail=f"first declared at {first.source or 'an unknown place'}; keep one of them",
        context=_where(second),
    )


def check_acyclic(graph: nx.DiGraph) -> None:
    """Raise ``ManifestError`` with one Diagnostic showing a cycle, if there is one."""
    if _topological(graph, _node_resources(graph)) is not None:
        return
    edges = nx.find_cycle(graph, source=sorted(graph.nodes, key=lambda a: sort_key(graph, a)))
    path = [u for u, _v in edges] + [edges[0][0]]
    members: list[Resource] = [graph.nodes[a]["resource"] for a, _v in edges]
    lines = [f"{_where(r)} at {r.source or 'an unknown place'}" for r in members]
    raise ManifestError(
        [
            Diagnostic(
                summary="dependency cycle: " + " -> ".join(path),
                position=members[0].source,
                detail="resources in the cycle:\n" + "\n".join(lines),
                context="graph",
            )
        ]
    )


def apply_order(graph: nx.DiGraph) -> list[str]:
    """Addresses to converge: creates/updates in dependency order, then deletes reversed."""
    return _converge_order(graph, _node_resources(graph))


def _node_resources(graph: nx.DiGraph) -> dict[str, Resource]:
    return dict(graph.nodes(data="resource"))


def _converge_order(graph: nx.DiGraph, resources: dict[str, Resource]) -> list[str]:
    order = _topological(graph, resources)
    if order is None:
        check_acyclic(graph)  # raises, showing the cycle
        raise AssertionError("unreachable: a graph without a topological order has a cycle")
    present = [a for a in order if resources[a].ensure != "absent"]
    absent = [a for a in reversed(order) if resources[a].ensure == "absent"]
    return present + absent


def _topological(graph: nx.DiGraph, resources: dict[str, Resource]) -> list[str] | None:
    """The lexicographically smallest topological order by ``sort_key`` (Kahn's algorithm
    with a heap), or None when the graph has a cycle.

    Equal to ``nx.lexicographical_topological_sort(graph, key=sort_key)``: with a total
    order on the keys that order is unique. Written out because networkx recomputes the
    key through graph lookups for every node, which dominated planning 10,000 resources.
    """
    rank_default = len(KIND_RANK)
    keys = {a: (KIND_RANK.get(r.kind, rank_default), a) for a, r in resources.items()}
    successors = graph.successors
    # A view of our own, not graph.in_degree: that one is cached on the graph and refers
    # back to it, a reference cycle only the cyclic collector frees (paused while planning).
    indegree = {a: d for a, d in nx.reportviews.InDegreeView(graph) if d}
    heap = [key for a, key in keys.items() if a not in indegree]
    heapq.heapify(heap)
    order: list[str] = []
    while heap:
        _rank, address = heapq.heappop(heap)
        order.append(address)
        for child in successors(address):  # not graph.succ[address]: that builds a view per node
            left = indegree[child] - 1
            if left:
                indegree[child] = left
            else:
                del indegree[child]
                heapq.heappush(heap, keys[child])
    return order if not indegree else None


def render_graph(graph: nx.DiGraph, fmt: str = "dot") -> str:
    """The graph as Graphviz DOT, a Mermaid flowchart or JSON; nodes in apply order."""
    if fmt not in GRAPH_FORMATS:
        raise ValueError(f"format must be one of {', '.join(GRAPH_FORMATS)} (got {fmt!r})")
    nodes = apply_order(graph)
    rank = {a: i for i, a in enumerate(nodes)}
    edges = sorted(graph.edges(data="reason"), key=lambda e: (rank[e[0]], rank[e[1]]))
    if fmt == "dot":
        return _render_dot(graph, nodes, edges)
    if fmt == "mermaid":
        return _render_mermaid(graph, nodes, edges, rank)
    return _render_json(graph, nodes, edges)


def _label(resource: Resource) -> str:
    text = f"{resource.host}\n{resource.kind}\n{resource.name}"
    if isinstance(resource, VMNetworkAdapter) and resource.vm:
        text += f"\nVM {resource.vm}, adapter {resource.adapter_name or resource.name}"
    if resource.target:
        text += f"\n{resource.target}"
    if resource.ensure == "absent":
        text += "\n(absent)"
    return text


def _dot_quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _render_dot(graph: nx.DiGraph, nodes: list[str], edges: list[tuple[str, str, str]]) -> str:
    lines = ["digraph hvnet {", "  rankdir=LR;", "  node [shape=box];"]
    for address in nodes:
        resource: Resource = graph.nodes[address]["resource"]
        style = ", style=dashed" if resource.ensure == "absent" else ""
        lines.append(f"  {_dot_quote(address)} [label={_dot_quote(_label(resource))}{style}];")
    for u, v, reason in edges:
        lines.append(f"  {_dot_quote(u)} -> {_dot_quote(v)} [label={_dot_quote(reason or '')}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    # Mermaid entity codes keep names with quotes, brackets or '#' inside a label.
    out = text.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    return out.replace("\n", "<br/>")


def _render_mermaid(
    graph: nx.DiGraph, nodes: list[str], edges: list[tuple[str, str, str]], rank: dict[str, int]
) -> str:
    lines = ["flowchart LR"]
    for address in nodes:
        resource: Resource = graph.nodes[address]["resource"]
        lines.append(f'  n{rank[address]}["{_mermaid_text(_label(resource))}"]')
    for u, v, reason in edges:
        lines.append(f'  n{rank[u]} -->|"{_mermaid_text(reason or "")}"| n{rank[v]}')
    absent = [f"n{rank[a]}" for a in nodes if graph.nodes[a]["resource"].ensure == "absent"]
    if absent:
        lines.append("  classDef absent stroke-dasharray: 5 5;")
        lines.append(f"  class {','.join(absent)} absent;")
    return "\n".join(lines) + "\n"


def _render_json(graph: nx.DiGraph, nodes: list[str], edges: list[tuple[str, str, str]]) -> str:
    out: dict[str, Any] = {"nodes": [], "edges": [], "order": nodes}
    for address in nodes:
        resource: Resource = graph.nodes[address]["resource"]
        node: dict[str, Any] = {
            "address": address,
            "host": resource.host,
            "kind": resource.kind,
            "name": resource.name,
            "ensure": resource.ensure,
        }
        if resource.target:
            node["target"] = resource.target
        if resource.source is not None:
            node["source"] = str(resource.source)
        out["nodes"].append(node)
    out["edges"] = [{"from": u, "to": v, "reason": reason or ""} for u, v, reason in edges]
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"
