"""Normalization shared by the diff and preflight: compare values as Hyper-V means them.

Observed values are already normalized by the parsers (engine.observe); desired values
come from manifests, which allow several spellings (MAC separators, enum case, VLAN
lists written as ranges). Both sides go through these functions before comparing.
"""

from __future__ import annotations

from typing import Any

from engine.model.resources import UNSET, VlanSpec
from engine.observe.model import Adapter, Vlan


def observed_mac(adapter: Adapter) -> str:
    """The adapter's MAC as a manifest would write it: ``dynamic`` or the static address."""
    return "dynamic" if adapter.dynamic_mac_address else adapter.mac_address


def same_enum(desired: Any, observed: Any) -> bool:
    """Enum names compare case-insensitively; numbers compare by value."""
    if isinstance(desired, str) and isinstance(observed, str):
        return desired.casefold() == observed.casefold()
    return bool(desired == observed)


def parse_vlan_list(text: str | list[int] | tuple[int, ...]) -> tuple[int, ...]:
    """``'10,20-22'`` → ``(10, 20, 21, 22)``, sorted and without duplicates."""
    if isinstance(text, list | tuple):
        return tuple(sorted({int(v) for v in text}))
    ids: set[int] = set()
    for item in str(text).split(","):
        item = item.strip()
        if not item:
            continue
        low, _, high = item.partition("-")
        if high:
            ids.update(range(int(low), int(high) + 1))
        else:
            ids.add(int(low))
    return tuple(sorted(ids))


def format_vlan_list(ids: tuple[int, ...]) -> str:
    """``(10, 20, 21, 22)`` → ``'10,20-22'`` (canonical, what Hyper-V's list string shows)."""
    parts: list[str] = []
    run_start: int | None = None
    prev: int | None = None
    for vid in ids:
        if run_start is None:
            run_start = prev = vid
            continue
        assert prev is not None
        if vid == prev + 1:
            prev = vid
            continue
        parts.append(str(run_start) if run_start == prev else f"{run_start}-{prev}")
        run_start = prev = vid
    if run_start is not None:
        parts.append(str(run_start) if run_start == prev else f"{run_start}-{prev}")
    return ",".join(parts)


def vlan_key(value: dict[str, Any]) -> tuple[Any, ...]:
    """Comparable form of a manifest-shaped VLAN dict."""
    mode = str(value.get("mode", "untagged")).casefold()
    if mode == "access":
        return (mode, value.get("vlanId"))
    if mode == "trunk":
        return (mode, value.get("nativeVlanId"), parse_vlan_list(value.get("allowedVlanIds", "")))
    return (mode,)


def desired_vlan(spec: VlanSpec) -> dict[str, Any]:
    """A desired VLAN as a manifest-shaped dict, with a canonical allowed list."""
    out: dict[str, Any] = {"mode": spec.mode.casefold()}
    if out["mode"] == "access":
        out["vlanId"] = spec.vlan_id
    elif out["mode"] == "trunk":
        out["nativeVlanId"] = spec.native_vlan_id if spec.native_vlan_id is not None else 0
        out["allowedVlanIds"] = format_vlan_list(parse_vlan_list(spec.allowed_vlan_ids or ""))
    return out


def observed_vlan(vlan: Vlan) -> dict[str, Any]:
    """An observed VLAN setting as a manifest-shaped dict."""
    mode = vlan.mode.casefold()
    if mode == "access":
        return {"mode": "access", "vlanId": vlan.access_vlan_id}
    if mode == "trunk":
        return {
            "mode": "trunk",
            "nativeVlanId": vlan.native_vlan_id,
            "allowedVlanIds": format_vlan_list(tuple(sorted(set(vlan.allowed_vlan_ids)))),
        }
    if mode == "untagged":
        return {"mode": "untagged"}
    return {"mode": mode}  # private VLAN modes: shown, never produced by hvnet


def is_set(value: Any) -> bool:
    return value is not UNSET


def ip_only(cidr: str) -> str:
    return cidr.partition("/")[0].casefold()
