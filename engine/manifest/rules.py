"""Semantic checks a JSON Schema cannot express, one document at a time.

Every check tolerates malformed values (the schema reports those), so that one run
reports every problem: a rule only looks at values of the type it expects.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from typing import Any

from engine.errors import Diagnostic
from engine.manifest.yaml_loader import Document, JsonPath, json_path
from engine.model.resources import normalize_mac

MAX_SET_UPLINKS = 8  # hyperv-model.md (SET): 1-8 identical NICs
_MAC = re.compile(r"^[0-9A-Fa-f]{2}([-:]?[0-9A-Fa-f]{2}){5}$")
_VLAN_LIST = re.compile(r"^\s*\d+(\s*-\s*\d+)?(\s*,\s*\d+(\s*-\s*\d+)?)*\s*$")


def _spec(doc: Document) -> dict[str, Any]:
    spec = doc.data.get("spec") if isinstance(doc.data, dict) else None
    return spec if isinstance(spec, dict) else {}


def _check_mac(doc: Document, path: JsonPath, value: Any, *, allow_dynamic: bool) -> Iterator[Diagnostic]:
    if not isinstance(value, str) or not _MAC.match(value):
        return  # the schema reports the format (or 'dynamic')
    mac = normalize_mac(value)
    if int(mac[:2], 16) & 1:
        yield doc.diagnostic(
            path,
            f"'{_jp(path)}' must be a unicast MAC address (got {value!r})",
            "the first octet is odd, which makes it a multicast/broadcast address; "
            + ("use 'dynamic' or " if allow_dynamic else "use ")
            + "an address like 00-15-5D-xx-xx-xx",
        )
    elif mac == "000000000000":
        yield doc.diagnostic(
            path, f"'{_jp(path)}' must not be all zeros", "use 'dynamic' for a dynamic address"
        )


def _jp(path: JsonPath) -> str:
    return json_path(path)


def parse_vlan_list(text: str) -> list[tuple[int, int, bool]]:
    """``'10,20-30'`` -> ``[(10, 10, False), (20, 30, True)]`` (low, high, written as a range)."""
    ranges = []
    for part in text.split(","):
        low, dash, high = part.strip().partition("-")
        ranges.append((int(low), int(high) if dash else int(low), bool(dash)))
    return ranges


def _check_vlan(doc: Document, path: JsonPath, vlan: Any) -> Iterator[Diagnostic]:
    if not isinstance(vlan, dict):
        return
    mode = vlan.get("mode")
    if not isinstance(mode, str):  # the schema reports it; a list would be unhashable here
        return
    wanted = {"untagged": set(), "access": {"vlanId"}, "trunk": {"nativeVlanId", "allowedVlanIds"}}.get(mode)
    if wanted is None:
        return
    for key in sorted(wanted - set(vlan)):
        yield doc.diagnostic(path, f"'{_jp((*path, key))}' is required with mode {mode}", at_key=True)
    for key in sorted({"vlanId", "nativeVlanId", "allowedVlanIds"} - wanted & set(vlan)):
        yield doc.diagnostic(
            (*path, key),
            f"'{_jp((*path, key))}' does not apply to mode {mode}",
            "access uses vlanId; trunk uses nativeVlanId and allowedVlanIds; untagged uses neither",
            at_key=True,
        )
    allowed = vlan.get("allowedVlanIds")
    if mode == "trunk" and isinstance(allowed, str) and _VLAN_LIST.match(allowed):
        for low, high, is_range in parse_vlan_list(allowed):
            if not (1 <= low <= 4094 and 1 <= high <= 4094):
                yield doc.diagnostic(
                    (*path, "allowedVlanIds"),
                    f"'{_jp((*path, 'allowedVlanIds'))}' holds a VLAN id outside 1..4094 (got {allowed!r})",
                )
                break
            if is_range and high <= low:
                yield doc.diagnostic(
                    (*path, "allowedVlanIds"),
                    f"'{_jp((*path, 'allowedVlanIds'))}' has a range whose end is not above its start "
                    f"({low}-{high})",
                    "write a range as a-b with b > a, or a single id",
                )
                break


def _check_nic_selector(doc: Document, path: JsonPath, selector: Any) -> Iterator[Diagnostic]:
    if not isinstance(selector, dict):
        return
    macs = selector.get("macAddresses")
    if isinstance(macs, list):
        for i, mac in enumerate(macs):
            yield from _check_mac(doc, (*path, "macAddresses", i), mac, allow_dynamic=False)
    if not {k for k, v in selector.items() if v is not None and v != []}:
        yield doc.diagnostic(
            path,
            f"'{_jp(path)}' selects every NIC",
            "give at least one of names, interfaceDescription, macAddresses, pciLocation",
        )


def _check_ip(doc: Document, path: JsonPath, value: Any, *, network: bool = False) -> Iterator[Diagnostic]:
    if not isinstance(value, str):
        return
    try:
        if network:
            ipaddress.IPv4Network(value, strict=True)
        else:
            ipaddress.IPv4Address(value)
    except ValueError as exc:
        if re.match(r"^[\d./]+$", value):  # otherwise the schema's format message covers it
            yield doc.diagnostic(
                path, f"'{_jp(path)}' is not a valid IPv4 {'prefix' if network else 'address'}", str(exc)
            )


def _check_switch(doc: Document) -> Iterator[Diagnostic]:
    spec = _spec(doc)
    kind = spec.get("type")
    uplinks = spec.get("uplinks")
    names = uplinks.get("names") if isinstance(uplinks, dict) else None
    name_count = len(names) if isinstance(names, list) else 0
    teaming = spec.get("embeddedTeaming")
    absent = spec.get("ensure") == "absent"
    if kind in ("Internal", "Private"):
        if "uplinks" in spec:
            yield doc.diagnostic(
                ("spec", "uplinks"),
                f"a {kind} switch has no uplinks",
                "remove 'uplinks' or use type External",
                at_key=True,
            )
        for key in ("embeddedTeaming", "enableIov"):
            if spec.get(key) is True:
                yield doc.diagnostic(
                    ("spec", key), f"'{key}' needs an External switch (type is {kind})", at_key=True
                )
    if kind == "External" and "uplinks" not in spec and not absent:
        yield doc.diagnostic(
            ("spec", "type"), "an External switch needs 'uplinks'", "add uplinks: {names: [...]}"
        )
    if name_count >= 2 and teaming is False:
        yield doc.diagnostic(
            ("spec", "embeddedTeaming"),
            f"{name_count} uplinks need embedded teaming (SET), but embeddedTeaming is false",
            "set embeddedTeaming: true or name a single uplink",
        )
    if "loadBalancingAlgorithm" in spec and teaming is not True and name_count < 2:
        yield doc.diagnostic(
            ("spec", "loadBalancingAlgorithm"),
            "'loadBalancingAlgorithm' applies only to an embedded-teaming (SET) switch",
            "set embeddedTeaming: true (or name 2 or more uplinks)",
            at_key=True,
        )
    if name_count > MAX_SET_UPLINKS:
        yield doc.diagnostic(
            ("spec", "uplinks", "names"),
            f"a SET switch takes at most {MAX_SET_UPLINKS} uplinks (got {name_count})",
        )
    if isinstance(uplinks, dict):
        yield from _check_nic_selector(doc, ("spec", "uplinks"), uplinks)


def _check_adapter_like(doc: Document) -> Iterator[Diagnostic]:
    spec = _spec(doc)
    yield from _check_vlan(doc, ("spec", "vlan"), spec.get("vlan"))
    yield from _check_mac(doc, ("spec", "macAddress"), spec.get("macAddress"), allow_dynamic=True)


def _check_host_vnic(doc: Document) -> Iterator[Diagnostic]:
    spec = _spec(doc)
    yield from _check_adapter_like(doc)
    if spec.get("ensure", "present") == "present" and "switch" not in spec and "spec" in doc.data:
        yield doc.diagnostic(
            ("spec",), "'spec.switch' is required", "a host vNIC is created on a switch", at_key=True
        )


def _check_sriov(doc: Document) -> Iterator[Diagnostic]:
    yield from _check_nic_selector(doc, ("spec", "nicSelector"), _spec(doc).get("nicSelector"))


def _check_hnv(doc: Document) -> Iterator[Diagnostic]:
    spec = _spec(doc)
    for key, ip_keys, net_keys in (
        ("providerAddresses", ("address",), ()),
        ("lookupRecords", ("customerAddress", "providerAddress"), ()),
        ("customerRoutes", ("nextHop",), ("destinationPrefix",)),
    ):
        items = spec.get(key)
        if not isinstance(items, list):
            continue
        seen: dict[Any, int] = {}
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            path = ("spec", key, i)
            for ip_key in ip_keys:
                yield from _check_ip(doc, (*path, ip_key), item.get(ip_key))
            for net_key in net_keys:
                yield from _check_ip(doc, (*path, net_key), item.get(net_key), network=True)
            if key == "providerAddresses":
                yield from _check_nic_selector(doc, (*path, "nic"), item.get("nic"))
            if key == "lookupRecords":
                yield from _check_mac(doc, (*path, "macAddress"), item.get("macAddress"), allow_dynamic=False)
            identity = _hnv_identity(key, item)
            if identity in seen:
                yield doc.diagnostic(
                    path,
                    f"'spec.{key}[{i}]' repeats 'spec.{key}[{seen[identity]}]'",
                    f"first written at {doc.value_position(('spec', key, seen[identity]))}",
                )
            else:
                seen[identity] = i


def _hnv_identity(key: str, item: dict[str, Any]) -> Any:
    def text(k: str) -> str:
        return str(item.get(k, "")).casefold()

    if key == "providerAddresses":
        return text("address")
    if key == "lookupRecords":
        return (text("customerAddress"), text("virtualSubnetId"))
    return (text("routingDomainId").strip("{}"), text("virtualSubnetId"), text("destinationPrefix"))


_CHECKS: dict[str, Callable[[Document], Iterator[Diagnostic]]] = {
    "VMSwitch": _check_switch,
    "HostVNic": _check_host_vnic,
    "VMNetworkAdapter": _check_adapter_like,
    "SriovPolicy": _check_sriov,
    "NetworkVirtualization": _check_hnv,
}


def check_document(doc: Document) -> list[Diagnostic]:
    """The kind's semantic rules (not the cross-document ones)."""
    check = _CHECKS.get(doc.kind)
    return list(check(doc)) if check else []


def check_fixture(doc: Document) -> list[Diagnostic]:
    """A SimulatedHost: names unique per collection, MACs unicast."""
    spec = _spec(doc)
    out: list[Diagnostic] = []
    for key in ("netAdapters", "vms", "switches", "hostVNics"):
        items = spec.get(key)
        if not isinstance(items, list):
            continue
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            name = item.get("name")
            if isinstance(name, str):
                if name.casefold() in seen:
                    out.append(
                        doc.diagnostic(
                            ("spec", key, i, "name"),
                            f"{name!r} appears twice in 'spec.{key}'",
                            f"first at {doc.value_position(('spec', key, seen[name.casefold()], 'name'))}",
                        )
                    )
                else:
                    seen[name.casefold()] = i
            if key == "netAdapters":
                out.extend(
                    _check_mac(
                        doc, ("spec", key, i, "macAddress"), item.get("macAddress"), allow_dynamic=False
                    )
                )
    return out
