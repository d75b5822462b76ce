"""Resolve manifest references against observed facts: NIC selectors, policies, names.

Pure functions of (desired resources, ObservedHost). Ambiguity is never guessed away:
two host objects answering to one declared name come back as an error message.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.inventory import glob_match
from engine.model.resources import NicSelector, Resource, SriovNic, SriovPolicy, normalize_mac
from engine.observe.model import NetAdapter, ObservedHost, Switch

GBPS = 1_000_000_000


def nic_matches(selector: NicSelector, nic: NetAdapter) -> bool:
    """Every given selector field must match (AND); names/descriptions are globs."""
    if selector.names is not None and not any(glob_match(p, nic.name) for p in selector.names):
        return False
    if selector.interface_description is not None and not glob_match(
        selector.interface_description, nic.interface_description
    ):
        return False
    if selector.mac_addresses is not None:
        wanted = {normalize_mac(m) for m in selector.mac_addresses}
        if normalize_mac(nic.mac_address) not in wanted:
            return False
    if selector.pci_location is not None and selector.pci_location.casefold() != nic.pci_location.casefold():
        return False
    if selector.sriov_supported is not None and (nic.sriov_support == "Supported") != selector.sriov_supported:
        return False
    return not (
        selector.min_link_speed_gbps is not None and nic.link_speed_bps < selector.min_link_speed_gbps * GBPS
    )


def select_nics(selector: NicSelector, observed: ObservedHost) -> list[NetAdapter]:
    """The host's NICs matching ``selector``, sorted by name (deterministic)."""
    return sorted((n for n in observed.net_adapters if nic_matches(selector, n)), key=lambda n: n.name.casefold())


def describe_selector(selector: NicSelector) -> str:
    parts = [f"{k}={v}" for k, v in selector.to_json().items()]
    return "{" + ", ".join(parts) + "}" if parts else "{}"


@dataclass(frozen=True)
class Expansion:
    resources: tuple[Resource, ...]
    errors: tuple[tuple[Resource, str], ...]  # (resource, message)


def expand_policies(resources: list[Resource], observed: ObservedHost) -> Expansion:
    """Replace each ``SriovPolicy`` by one ``SriovNic`` per NIC its selector matches."""
    out: list[Resource] = []
    errors: list[tuple[Resource, str]] = []
    for res in resources:
        if not isinstance(res, SriovPolicy):
            out.append(res)
            continue
        nics = select_nics(res.nic_selector, observed)
        if not nics:
            errors.append(
                (res, f"nicSelector {describe_selector(res.nic_selector)} matches no NIC on host {observed.host}")
            )
            continue
        for nic in nics:
            out.append(
                SriovNic(
                    host=res.host,
                    name=res.name,
                    ensure=res.ensure,
                    source=res.source,
                    positions=res.positions,
                    nic=nic.name,
                    enabled=res.enabled,
                    num_vfs=res.num_vfs,
                )
            )
    return Expansion(tuple(out), tuple(errors))


def unique_switch(observed: ObservedHost, name: str) -> tuple[Switch | None, str]:
    """The one switch named ``name`` (None if absent) or an "ambiguous" message."""
    found = observed.switches_named(name)
    if len(found) > 1:
        ids = ", ".join(sorted(s.id for s in found))
        return None, f"ambiguous: {len(found)} switches on host {observed.host} are named {name!r} (ids {ids})"
    return (found[0] if found else None), ""
