"""Checks across documents: host targeting, duplicates, references between resources."""

from __future__ import annotations

import dataclasses
from typing import Any

from engine.errors import Diagnostic
from engine.inventory import Inventory, InventoryHost
from engine.manifest.yaml_loader import Document
from engine.model.resources import HostVNic, Resource, VMNetworkAdapter, VMSwitch


def target_hosts(doc: Document, inventory: Inventory) -> tuple[list[InventoryHost], list[Diagnostic]]:
    """The inventory hosts a document applies to; an error when it names none."""
    spec = doc.data.get("spec", {})
    names = spec.get("hosts")
    selector = spec.get("hostSelector")
    labels = selector.get("matchLabels") if isinstance(selector, dict) else None
    problems: list[Diagnostic] = []
    if isinstance(names, list):
        for i, name in enumerate(names):
            if inventory.host(name) is None:
                known = ", ".join(h.name for h in inventory.hosts)
                problems.append(
                    doc.diagnostic(
                        ("spec", "hosts", i),
                        f"host {name!r} is not in inventory {inventory.name!r}",
                        f"known hosts: {known}",
                    )
                )
    chosen = inventory.select(names if isinstance(names, list) else None, labels)
    if not chosen and not problems:
        key = "hostSelector" if labels is not None else "hosts"
        problems.append(
            doc.diagnostic(
                ("spec", key),
                "this document targets no inventory host",
                f"no host of inventory {inventory.name!r} matches "
                + (
                    "both 'hosts' and 'hostSelector'"
                    if names is not None and labels is not None
                    else f"'spec.{key}'"
                ),
                at_key=True,
            )
        )
    return chosen, problems


def _where(doc: Document) -> str:
    return str(doc.start)


def merge_per_host(found: list[tuple[str, Diagnostic]]) -> list[Diagnostic]:
    """One diagnostic per finding, naming every host it occurs on (in inventory order)."""
    hosts: dict[Diagnostic, list[str]] = {}
    for host, diagnostic in found:
        hosts.setdefault(diagnostic, []).append(host)
    out = []
    for diagnostic, names in hosts.items():
        label = "host" if len(names) == 1 else "hosts"
        where = f"on {label} " + ", ".join(repr(n) for n in names)
        detail = f"{diagnostic.detail}\n{where}" if diagnostic.detail else where
        out.append(dataclasses.replace(diagnostic, detail=detail))
    return out


def check_host(entries: list[tuple[Document, Resource]]) -> list[Diagnostic]:
    """Duplicates and references among one host's resources (document order).

    Messages do not name the host: the caller merges the same finding on several hosts.
    """
    problems: list[Diagnostic] = []
    first: dict[tuple[str, str], Document] = {}
    kept: list[tuple[Document, Resource]] = []
    for doc, resource in entries:
        key = (resource.KIND, resource.identity)
        if key in first:
            other = first[key]
            what = _describe(resource)
            problems.append(
                doc.diagnostic(
                    ("metadata", "name"),
                    f"{what} is declared twice",
                    f"also declared by {other.label} at {_where(other)} (names compare case-insensitively)",
                )
            )
            continue
        first[key] = doc
        kept.append((doc, resource))
    switches: dict[str, VMSwitch] = {r.name.casefold(): r for _, r in kept if isinstance(r, VMSwitch)}
    for doc, resource in kept:
        if not isinstance(resource, HostVNic | VMNetworkAdapter) or resource.ensure != "present":
            continue
        switch_name: Any = resource.switch
        if not isinstance(switch_name, str):
            continue
        switch = switches.get(switch_name.casefold())
        if switch is None:
            continue  # may exist on the host; checked at plan time
        if switch.ensure == "absent":
            problems.append(
                doc.diagnostic(
                    ("spec", "switch"),
                    f"switch {switch_name!r} is declared ensure: absent but this {resource.KIND} uses it",
                    f"the switch is declared at {switch.source}",
                )
            )
        iov: Any = resource.iov_weight
        if switch.enable_iov is False and isinstance(iov, int) and iov > 0:
            problems.append(
                doc.diagnostic(
                    ("spec", "iovWeight"),
                    f"iovWeight {iov} needs an SR-IOV switch, but switch {switch_name!r} is declared enableIov: false",
                    f"set iovWeight: 0, or use a switch created with enableIov: true (declared at {switch.source})",
                )
            )
    return problems


def _describe(resource: Resource) -> str:
    if isinstance(resource, VMNetworkAdapter):
        return f"adapter {resource.adapter_name!r} of VM {resource.vm!r}"
    return f"{resource.KIND} {resource.name!r}"
