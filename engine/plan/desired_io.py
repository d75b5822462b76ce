"""Desired resources ⇄ JSON, so a saved plan can verify after apply with nothing but itself.

Only what the manifests wrote is stored: unset fields are omitted (and come back as
UNSET), so "omitted means unmanaged" survives the round trip.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from engine.errors import Position
from engine.model.resources import (
    UNSET,
    CustomerRouteSpec,
    HostVNic,
    LookupRecordSpec,
    NetworkVirtualization,
    NicSelector,
    ProviderAddressSpec,
    Resource,
    SriovNic,
    SriovPolicy,
    VlanSpec,
    VMNetworkAdapter,
    VMSwitch,
)

__all__ = ["resources_from_json", "resources_to_json"]

TYPES: dict[str, type[Resource]] = {
    cls.__name__: cls for cls in (SriovPolicy, SriovNic, VMSwitch, HostVNic, VMNetworkAdapter, NetworkVirtualization)
}
_SKIP = {"host", "positions", "source"}


@functools.cache
def _keys(cls: type[Resource]) -> tuple[tuple[str, str], ...]:
    """(attribute, JSON key) of every stored field of ``cls``, computed once per class."""
    return tuple(
        (f.name, f.metadata.get("key") or _camel(f.name)) for f in dataclasses.fields(cls) if f.name not in _SKIP
    )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


def _selector_from(d: dict[str, Any]) -> NicSelector:
    return NicSelector(
        names=tuple(d["names"]) if "names" in d else None,
        interface_description=d.get("interfaceDescription"),
        mac_addresses=tuple(d["macAddresses"]) if "macAddresses" in d else None,
        pci_location=d.get("pciLocation"),
        sriov_supported=d.get("sriovSupported"),
        min_link_speed_gbps=d.get("minLinkSpeedGbps"),
    )


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, NicSelector | VlanSpec):
        return value.to_json()
    if isinstance(value, ProviderAddressSpec):
        return {"nic": value.nic.to_json(), "address": value.address, "prefixLength": value.prefix_length,
                "vlanId": value.vlan_id}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {_camel(f.name): getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    return value


def _decode(field_name: str, value: Any) -> Any:
    if value is None:
        return None
    if field_name in ("uplinks", "nic_selector"):
        return _selector_from(value)
    if field_name == "vlan":
        return VlanSpec(value["mode"], value.get("vlanId"), value.get("nativeVlanId"), value.get("allowedVlanIds"))
    if field_name == "provider_addresses":
        return tuple(ProviderAddressSpec(_selector_from(v["nic"]), v["address"], v["prefixLength"], v.get("vlanId", 0))
                     for v in value)
    if field_name == "lookup_records":
        return tuple(LookupRecordSpec(v["customerAddress"], v["providerAddress"], v["virtualSubnetId"],
                                      v["macAddress"], v["vmName"], v.get("rule", "TranslationMethodEncap"))
                     for v in value)
    if field_name == "customer_routes":
        return tuple(CustomerRouteSpec(v["routingDomainId"], v["virtualSubnetId"], v["destinationPrefix"],
                                       v["nextHop"], v.get("metric")) for v in value)
    return value


def resource_to_json(res: Resource) -> dict[str, Any]:
    out: dict[str, Any] = {"class": type(res).__name__, "kind": res.kind, "address": res.address}
    if res.source is not None:
        out["source"] = str(res.source)
    for attr, key in _keys(type(res)):
        value = getattr(res, attr)
        if value is not UNSET:
            out[key] = _encode(value)
    return out


def resources_to_json(resources: list[Resource]) -> dict[str, Any]:
    return {"resources": [resource_to_json(r) for r in resources]}


def _position(text: str | None) -> Position | None:
    if not text:
        return None
    file, _, rest = text.rpartition(":")
    file, _, line = file.rpartition(":")
    try:
        return Position(file, int(line), int(rest))
    except ValueError:
        return None


def resources_from_json(host: str, data: dict[str, Any]) -> list[Resource]:
    out: list[Resource] = []
    for item in data.get("resources", []):
        cls = TYPES[item["class"]]
        kwargs: dict[str, Any] = {"host": host, "source": _position(item.get("source"))}
        for attr, key in _keys(cls):
            if key in item:
                kwargs[attr] = _decode(attr, item[key])
        out.append(cls(**kwargs))
    return out
