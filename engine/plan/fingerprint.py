"""The observed configuration a plan depends on, hashed — never runtime values.

``fingerprint_parts`` gives one hash per observed object (by address) so a stale saved
plan can say *what* changed; ``fingerprint`` hashes all parts together.
Runtime values (VF usage, iov_usage, vf_data_path_active, status, link speed) are left
out, so a plan goes stale only when configuration changed. VM state is kept: whether a
change is blocked or applied depends on it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from engine.model.resources import join_address
from engine.observe.model import ObservedHost, Vlan
from engine.plan.model import HostPlan

__all__ = ["RUNTIME_FIELDS", "describe_staleness", "fingerprint", "fingerprint_parts"]

RUNTIME_FIELDS = frozenset({
    "link_speed_bps", "status", "sriov_vfs_in_use",  # NIC
    "iov_virtual_function_count", "iov_virtual_functions_in_use", "iov_support", "iov_support_reasons",  # switch
    "iov_usage", "vf_data_path_active",  # adapter
})


_FIELDS: dict[type, tuple[str, ...]] = {}


def _config(obj: Any) -> list[Any]:
    """The configuration values of an observed object, in field order (runtime fields left out)."""
    cls = type(obj)
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(obj) if f.name not in RUNTIME_FIELDS)
    out: list[Any] = []
    for name in names:
        value = getattr(obj, name)
        if isinstance(value, Vlan):  # the only nested observed object
            value = _config(value)
        out.append(value)
    return out


# json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True), without
# building an encoder per call (one per observed object: 10,000 on a big host).
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _digest(value: Any) -> str:
    return hashlib.sha256(_ENCODER.encode(value).encode()).hexdigest()


def _add(parts: dict[str, str], address: str, value: Any) -> None:
    key = address
    n = 2
    while key in parts:  # duplicate names (Hyper-V allows them): keep both, distinctly
        key = f"{address}#{n}"
        n += 1
    parts[key] = _digest(value)


def fingerprint_parts(observed: ObservedHost) -> dict[str, str]:
    """``{address: sha256 hex}`` for every observed object, sorted by address."""
    h = observed.host
    parts: dict[str, str] = {}

    def addr(*p: str) -> str:
        return join_address((h, *p))

    facts = observed.facts
    _add(parts, addr("Host"), [facts.computer_name, facts.os_build])
    for nic in sorted(observed.net_adapters, key=lambda n: (n.name.casefold(), n.interface_guid)):
        _add(parts, addr("NetAdapter", nic.name), _config(nic))
    for sw in sorted(observed.switches, key=lambda s: (s.name.casefold(), s.id)):
        _add(parts, addr("VMSwitch", sw.name), _config(sw))
    for vm in sorted(observed.vms, key=lambda v: (v.name.casefold(), v.id)):
        _add(parts, addr("VM", vm.name), _config(vm))
    for a in sorted(observed.adapters, key=lambda a: (a.is_management_os, a.vm_name.casefold(), a.name.casefold(), a.id)):
        where = addr("HostVNic", a.name) if a.is_management_os else addr("VMNetworkAdapter", a.vm_name, a.name)
        _add(parts, where, _config(a))
    for p in sorted(observed.provider_addresses, key=lambda p: p.address):
        _add(parts, addr("ProviderAddress", p.address), _config(p))
    for r in sorted(observed.lookup_records, key=lambda r: (r.customer_address, r.virtual_subnet_id)):
        _add(parts, addr("LookupRecord", f"{r.customer_address} vsid {r.virtual_subnet_id}"), _config(r))
    for c in sorted(observed.customer_routes, key=lambda c: (c.routing_domain_id, c.virtual_subnet_id, c.destination_prefix)):
        _add(parts, addr("CustomerRoute", f"{c.routing_domain_id} vsid {c.virtual_subnet_id} {c.destination_prefix}"),
             _config(c))
    return dict(sorted(parts.items()))


def fingerprint(parts: dict[str, str]) -> str:
    return "sha256:" + _digest(sorted(parts.items()))


def describe_staleness(saved: HostPlan, observed_now: ObservedHost) -> list[str]:
    """What changed since ``saved`` was planned; empty when the plan is still current."""
    now = fingerprint_parts(observed_now)
    if saved.observed_fingerprint and fingerprint(now) == saved.observed_fingerprint:
        return []
    before = saved.fingerprint_parts
    if not before:
        return [f"{saved.name}: observed configuration changed since the plan was made"]
    out: list[str] = []
    for address in sorted(set(before) | set(now)):
        if address not in now:
            out.append(f"{address}: removed from the host")
        elif address not in before:
            out.append(f"{address}: appeared on the host")
        elif before[address] != now[address]:
            out.append(f"{address}: configuration changed")
    return out or [f"{saved.name}: observed configuration changed since the plan was made"]
