"""HNV v1 / NVGRE records with set semantics per record kind.

Keys: provider address = address; lookup record = (customerAddress, virtualSubnetId);
customer route = (routingDomainId, virtualSubnetId, destinationPrefix). Only declared
records are managed; a record with the same key but other values is removed and re-added.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from engine.apply.steps import ChangeContext
from engine.model.resources import (
    UNSET,
    CustomerRouteSpec,
    LookupRecordSpec,
    NetworkVirtualization,
    ProviderAddressSpec,
    Resource,
    normalize_mac,
)
from engine.observe.model import CustomerRoute, LookupRecord, ProviderAddress
from engine.plan.context import HostContext
from engine.plan.diff_common import make_change
from engine.plan.model import AttributeDiff, Change
from engine.plan.resolve import describe_selector, select_nics
from engine.transport.command import Cmdlet, Pipeline


def pa_key(address: str) -> str:
    return address.casefold()


def lr_key(customer_address: str, vsid: int) -> tuple[str, int]:
    return (customer_address.casefold(), int(vsid))


def cr_key(rdid: str, vsid: int, prefix: str) -> tuple[str, int, str]:
    return (rdid.strip("{}").casefold(), int(vsid), prefix.casefold())


def _pa_json(address: str, prefix: int, ifindex: int, vlan: int) -> dict[str, Any]:
    return {"address": address, "prefixLength": prefix, "interfaceIndex": ifindex, "vlanId": vlan}


def _lr_json(r: LookupRecord | LookupRecordSpec) -> dict[str, Any]:
    return {"customerAddress": r.customer_address, "providerAddress": r.provider_address,
            "virtualSubnetId": r.virtual_subnet_id, "macAddress": normalize_mac(r.mac_address),
            "vmName": r.vm_name, "rule": r.rule}


def _cr_json(r: CustomerRoute | CustomerRouteSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"routingDomainId": r.routing_domain_id, "virtualSubnetId": r.virtual_subnet_id,
                           "destinationPrefix": r.destination_prefix, "nextHop": r.next_hop}
    if r.metric is not None:
        out["metric"] = r.metric
    return out


def _same_lr(d: dict[str, Any], o: dict[str, Any]) -> bool:
    return all(str(d[k]).casefold() == str(o[k]).casefold() for k in d)


def _same_cr(d: dict[str, Any], o: dict[str, Any]) -> bool:
    return all(str(d[k]).strip("{}").casefold() == str(o.get(k)).strip("{}").casefold() for k in d)


def declared_hnv_keys(resources: Iterable[Resource]) -> tuple[set[str], set[tuple[str, int]], set[tuple[str, int, str]]]:
    """Keys of records declared by present NetworkVirtualization resources (the managed set)."""
    pas: set[str] = set()
    lrs: set[tuple[str, int]] = set()
    crs: set[tuple[str, int, str]] = set()
    for res in resources:
        if not isinstance(res, NetworkVirtualization) or res.ensure != "present":
            continue
        pas.update(pa_key(p.address) for p in res.provider_addresses or ())
        lrs.update(lr_key(r.customer_address, r.virtual_subnet_id) for r in res.lookup_records or ())
        crs.update(cr_key(r.routing_domain_id, r.virtual_subnet_id, r.destination_prefix)
                   for r in res.customer_routes or ())
    return pas, lrs, crs


def _remove_pa(p: ProviderAddress) -> Pipeline:
    return Pipeline((Cmdlet.of("Get-NetVirtualizationProviderAddress", ProviderAddress=p.address),
                     Cmdlet.of("Remove-NetVirtualizationProviderAddress")))


def _remove_lr(r: LookupRecord) -> Pipeline:
    return Pipeline((Cmdlet.of("Get-NetVirtualizationLookupRecord", CustomerAddress=r.customer_address,
                               VirtualSubnetID=r.virtual_subnet_id),
                     Cmdlet.of("Remove-NetVirtualizationLookupRecord")))


def _remove_cr(r: CustomerRoute) -> Pipeline:
    return Pipeline((Cmdlet.of("Get-NetVirtualizationCustomerRoute", RoutingDomainID=r.routing_domain_id,
                               VirtualSubnetID=r.virtual_subnet_id, DestinationPrefix=r.destination_prefix),
                     Cmdlet.of("Remove-NetVirtualizationCustomerRoute")))


class _Delta:
    def __init__(self) -> None:
        self.attrs: list[AttributeDiff] = []
        self.adds: list[Cmdlet] = []
        self.removes: dict[str, list[Pipeline]] = {"cr": [], "lr": [], "pa": []}


def _diff_pas(hc: HostContext, res: NetworkVirtualization, specs: tuple[ProviderAddressSpec, ...], d: _Delta) -> bool:
    observed = {pa_key(p.address): p for p in hc.observed.provider_addresses}
    before: list[dict[str, Any]] = []
    after: list[dict[str, Any]] = []
    changed = False
    for spec in specs:
        nics = select_nics(spec.nic, hc.observed)
        if len(nics) != 1:
            how = "no NIC" if not nics else f"{len(nics)} NICs (ambiguous)"
            hc.error(res, f"provider address {spec.address}: nic {describe_selector(spec.nic)} matches {how}",
                     "spec.providerAddresses")
            return False
        want = _pa_json(spec.address, spec.prefix_length, nics[0].interface_index, spec.vlan_id)
        after.append(want)
        have = observed.get(pa_key(spec.address))
        if have is not None:
            before.append(_pa_json(have.address, have.prefix_length, have.interface_index, have.vlan_id))
            if before[-1] == want:
                continue
            d.removes["pa"].append(_remove_pa(have))
        changed = True
        d.adds.append(Cmdlet.of("New-NetVirtualizationProviderAddress", InterfaceIndex=want["interfaceIndex"],
                                ProviderAddress=spec.address, PrefixLength=spec.prefix_length, VlanID=spec.vlan_id))
    if changed:
        d.attrs.append(AttributeDiff("providerAddresses", before, after))
    return True


def _diff_lrs(hc: HostContext, specs: tuple[LookupRecordSpec, ...], d: _Delta) -> None:
    observed = {lr_key(r.customer_address, r.virtual_subnet_id): r for r in hc.observed.lookup_records}
    before, after, changed = [], [], False
    for spec in specs:
        want = _lr_json(spec)
        after.append(want)
        have = observed.get(lr_key(spec.customer_address, spec.virtual_subnet_id))
        if have is not None:
            before.append(_lr_json(have))
            if _same_lr(want, before[-1]):
                continue
            d.removes["lr"].append(_remove_lr(have))
        changed = True
        d.adds.append(Cmdlet.of("New-NetVirtualizationLookupRecord", CustomerAddress=spec.customer_address,
                                ProviderAddress=spec.provider_address, VirtualSubnetID=spec.virtual_subnet_id,
                                MACAddress=want["macAddress"], Rule=spec.rule, VMName=spec.vm_name))
    if changed:
        d.attrs.append(AttributeDiff("lookupRecords", before, after))


def _diff_crs(hc: HostContext, specs: tuple[CustomerRouteSpec, ...], d: _Delta) -> None:
    observed = {cr_key(r.routing_domain_id, r.virtual_subnet_id, r.destination_prefix): r
                for r in hc.observed.customer_routes}
    before, after, changed = [], [], False
    for spec in specs:
        want = _cr_json(spec)
        after.append(want)
        have = observed.get(cr_key(spec.routing_domain_id, spec.virtual_subnet_id, spec.destination_prefix))
        if have is not None:
            before.append(_cr_json(have))
            if _same_cr(want, before[-1]):
                continue
            d.removes["cr"].append(_remove_cr(have))
        changed = True
        params: dict[str, Any] = {"RoutingDomainID": spec.routing_domain_id, "VirtualSubnetID": spec.virtual_subnet_id,
                                  "DestinationPrefix": spec.destination_prefix, "NextHop": spec.next_hop}
        if spec.metric is not None:
            params["Metric"] = spec.metric
        d.adds.append(Cmdlet.of("New-NetVirtualizationCustomerRoute", params))
    if changed:
        d.attrs.append(AttributeDiff("customerRoutes", before, after))


def _diff_absent(hc: HostContext, res: NetworkVirtualization, d: _Delta) -> None:
    """Remove the listed records; an omitted list removes every record of that kind
    that no present NetworkVirtualization declares."""
    keep_pa, keep_lr, keep_cr = declared_hnv_keys(hc.resources)
    o = hc.observed

    def listed(value: Any, keys: set[Any], key_of: Any) -> set[Any] | None:
        return None if value is UNSET else {key_of(x) for x in value or ()} - keys

    pas = listed(res.provider_addresses, keep_pa, lambda p: pa_key(p.address))
    lrs = listed(res.lookup_records, keep_lr, lambda r: lr_key(r.customer_address, r.virtual_subnet_id))
    crs = listed(res.customer_routes, keep_cr, lambda r: cr_key(r.routing_domain_id, r.virtual_subnet_id,
                                                                 r.destination_prefix))
    gone_cr = [r for r in o.customer_routes if (key := cr_key(r.routing_domain_id, r.virtual_subnet_id,
               r.destination_prefix)) not in keep_cr and (crs is None or key in crs)]
    gone_lr = [r for r in o.lookup_records if (key := lr_key(r.customer_address, r.virtual_subnet_id)) not in keep_lr
               and (lrs is None or key in lrs)]
    gone_pa = [p for p in o.provider_addresses if (key := pa_key(p.address)) not in keep_pa
               and (pas is None or key in pas)]
    d.removes["cr"] = [_remove_cr(r) for r in gone_cr]
    d.removes["lr"] = [_remove_lr(r) for r in gone_lr]
    d.removes["pa"] = [_remove_pa(p) for p in gone_pa]
    if gone_pa:
        d.attrs.append(AttributeDiff("providerAddresses", [_pa_json(p.address, p.prefix_length, p.interface_index,
                                                                     p.vlan_id) for p in gone_pa], []))
    if gone_lr:
        d.attrs.append(AttributeDiff("lookupRecords", [_lr_json(r) for r in gone_lr], []))
    if gone_cr:
        d.attrs.append(AttributeDiff("customerRoutes", [_cr_json(r) for r in gone_cr], []))


def diff_hnv(hc: HostContext, res: NetworkVirtualization) -> Change | None:
    d = _Delta()
    if res.ensure == "absent":
        _diff_absent(hc, res, d)
        reason = "ensure: absent"
    else:
        if not _diff_pas(hc, res, tuple(res.provider_addresses or ()), d):
            return None
        _diff_lrs(hc, tuple(res.lookup_records or ()), d)
        _diff_crs(hc, tuple(res.customer_routes or ()), d)
        reason = "records differ"
    if not d.attrs:
        return make_change(res, "noop", "in sync" if res.ensure == "present" else "already absent")
    removes = tuple(d.removes["cr"] + d.removes["lr"] + d.removes["pa"])
    ctx = ChangeContext(res, "update", hc.observed, hnv_add=tuple(d.adds), hnv_remove=removes)
    action = "delete" if res.ensure == "absent" else "update"
    return make_change(res, action, reason, ctx=ctx, attributes=d.attrs, risks=["vnic-blip"])
