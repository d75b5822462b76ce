"""HNVv1 / NVGRE policy: New-/Remove-NetVirtualization{ProviderAddress,LookupRecord,CustomerRoute}.

NetWNV is a CDXML module over root/StandardCimv2 (hyperv-model §1.6): refusals
come from the WNV provider as CIM errors, a Remove whose filters match nothing is
the CDXML "No MSFT_… objects found" error (non-terminating), and Remove acts on
every instance its filters (or the piped instances) select. Record keys, whose
duplicates the provider refuses: a provider address by its address; a lookup
record by (CustomerAddress, VirtualSubnetID); a customer route by (RoutingDomainID,
VirtualSubnetID, DestinationPrefix) (choice in docs/simulator-rules.md).
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Callable
from typing import Any

from engine.sim.hyperv import errors as E
from engine.sim.hyperv.errors import Msg
from engine.sim.hyperv.model import CustomerRoute, HostModel, LookupRecord, ProviderAddress
from engine.sim.hyperv.objects_cim import host_vnic_if_index
from engine.sim.hyperv.rules import HostWithModel, as_list, to_psobj
from engine.sim.objects import CmdletError, InvocationContext, PSObj
from engine.sim.registry import CmdletSpec, ParamSpec, Registry

MODULE = "NetWNV"
WNV_VSID_MIN, WNV_VSID_MAX = 4096, 16_777_214  # hyperv-model §1.6
_MAC = re.compile(r"^([0-9A-F]{2}[:-]?){5}[0-9A-F]{2}$", re.IGNORECASE)
_CLASS = {
    "pa": "MSFT_NetVirtualizationProviderAddressSettingData",
    "lookup": "MSFT_NetVirtualizationLookupRecordSettingData",
    "route": "MSFT_NetVirtualizationCustomerRouteSettingData",
}


def _address(c: str, value: Any) -> str:
    try:
        return str(ipaddress.ip_address(str(value).strip()))
    except ValueError:
        raise CmdletError(E.cim_invalid_parameter(c, Msg.WNV_BAD_ADDRESS.format(value=value), str(value))) from None


def _prefix(c: str, value: Any) -> str:
    try:
        return str(ipaddress.ip_network(str(value).strip(), strict=True))
    except ValueError:
        raise CmdletError(E.cim_invalid_parameter(c, Msg.WNV_BAD_PREFIX.format(value=value), str(value))) from None


def _vsid(c: str, value: Any) -> int:
    vsid = int(value)
    if not WNV_VSID_MIN <= vsid <= WNV_VSID_MAX:
        raise CmdletError(E.cim_invalid_parameter(c, Msg.WNV_VSID_RANGE.format(value=vsid), str(vsid)))
    return vsid


def _mac(c: str, value: Any) -> str:
    text = str(value).strip()
    if not _MAC.match(text):
        raise CmdletError(E.cim_invalid_parameter(c, Msg.MAC_FORMAT.format(param="MACAddress"), text))
    return re.sub(r"[:-]", "", text).upper()


def _routing_domain(c: str, value: Any) -> str:
    text = str(value).strip()
    try:
        uuid.UUID(text)
    except ValueError:
        raise CmdletError(E.cim_invalid_parameter(c, Msg.INVALID_ID_FORMAT.format(value=text), text)) from None
    return text


def _same_guid(a: str, b: str) -> bool:
    try:
        return uuid.UUID(a) == uuid.UUID(b)
    except ValueError:
        return a.casefold() == b.casefold()


# --- New-* ----------------------------------------------------------------------------


def new_provider_address(model: HostModel, ctx: InvocationContext, params: dict[str, Any], _input: list[Any]) -> list[Any]:
    c = "New-NetVirtualizationProviderAddress"
    address = _address(c, params["ProviderAddress"])
    index = int(params["InterfaceIndex"])
    prefix = int(params["PrefixLength"])
    if not 0 <= prefix <= (32 if ipaddress.ip_address(address).version == 4 else 128):
        raise CmdletError(E.cim_invalid_parameter(c, Msg.WNV_BAD_PREFIX.format(value=f"{address}/{prefix}")))
    nic = model.nic_by_if_index(index)
    vnic = next((a for a in model.host_vnics() if host_vnic_if_index(a) == index), None)
    if nic is None and vnic is None:
        raise CmdletError(E.cim_invalid_parameter(c, Msg.WNV_PA_NOT_LOCAL.format(index=index), str(index)))
    if any(pa.address == address for pa in model.provider_addresses):
        raise CmdletError(E.cim_already_exists(c, Msg.WNV_EXISTS, address))
    pa = ProviderAddress(
        address=address,
        interface_index=index,
        prefix_length=prefix,
        vlan_id=int(params.get("VlanID") or 0),
        mac=nic.mac if nic is not None else (vnic.mac if vnic is not None else ""),
    )
    model.provider_addresses.append(pa)
    return [to_psobj("pa", model, pa)]


def new_lookup_record(model: HostModel, ctx: InvocationContext, params: dict[str, Any], _input: list[Any]) -> list[Any]:
    c = "New-NetVirtualizationLookupRecord"
    ca = _address(c, params["CustomerAddress"])
    vsid = _vsid(c, params["VirtualSubnetID"])
    record = LookupRecord(
        customer_address=ca,
        provider_address=_address(c, params["ProviderAddress"]),
        virtual_subnet_id=vsid,
        mac=_mac(c, params["MACAddress"]),
        rule=str(params["Rule"]),
        vm_name=str(params.get("VMName") or ""),
        customer_id=str(params.get("CustomerID") or ""),
        context=str(params.get("Context") or ""),
        type=str(params.get("Type") or "Static"),
        use_vm_mac=bool(params.get("UseVmMACAddress", False)),
    )
    if any(r.customer_address == ca and r.virtual_subnet_id == vsid for r in model.lookup_records):
        raise CmdletError(E.cim_already_exists(c, Msg.WNV_EXISTS, ca))
    model.lookup_records.append(record)
    return [to_psobj("lookup", model, record)]


def new_customer_route(model: HostModel, ctx: InvocationContext, params: dict[str, Any], _input: list[Any]) -> list[Any]:
    c = "New-NetVirtualizationCustomerRoute"
    route = CustomerRoute(
        routing_domain_id=_routing_domain(c, params["RoutingDomainID"]),
        virtual_subnet_id=_vsid(c, params["VirtualSubnetID"]),
        destination_prefix=_prefix(c, params["DestinationPrefix"]),
        next_hop=_address(c, params["NextHop"]),
        metric=int(params.get("Metric") or 0),
        customer_id=str(params.get("CustomerID") or ""),
    )
    for r in model.customer_routes:
        if (_same_guid(r.routing_domain_id, route.routing_domain_id) and r.virtual_subnet_id == route.virtual_subnet_id
                and r.destination_prefix == route.destination_prefix):
            raise CmdletError(E.cim_already_exists(c, Msg.WNV_EXISTS, route.destination_prefix))
    model.customer_routes.append(route)
    return [to_psobj("route", model, route)]


# --- Remove-* -------------------------------------------------------------------------

Matcher = Callable[[Any, str, str], bool]  # (record, property, wanted value) → matches


def _remove(
    c: str, kind: str, model: HostModel, records: list[Any], ctx: InvocationContext, params: dict[str, Any],
    pipeline_input: list[Any], filters: dict[str, Matcher],
) -> list[Any]:
    """Select by each piped instance's key properties, or by the filter parameters (a record
    matches when, for every filter given, it matches one of its values); then remove."""
    objects = pipeline_input or as_list(params.get("InputObject"))
    queries: list[dict[str, list[str]]]
    if objects:
        queries = [{p: [str(o.get(p))] for p in filters if o.get(p) is not None} for o in objects if isinstance(o, PSObj)]
    else:
        queries = [{p: [str(v) for v in as_list(params.get(p))] for p in filters if params.get(p) is not None}]
    selected: list[Any] = []
    for query in queries:
        hits = [r for r in records if all(any(filters[p](r, p, v) for v in values) for p, values in query.items())]
        if not hits:
            prop, values = next(iter(query.items()), ("", [""]))
            ctx.write_error(E.cim_not_found(c, _CLASS[kind], prop, values[0]))
        selected.extend(h for h in hits if h not in selected)
    out = [to_psobj(kind, model, r) for r in selected] if params.get("PassThru") else []
    for r in selected:
        records.remove(r)
    return out


def _eq_address(attr: str) -> Matcher:
    def match(record: Any, _prop: str, value: str) -> bool:
        try:
            return ipaddress.ip_address(getattr(record, attr)) == ipaddress.ip_address(value)
        except ValueError:
            return str(getattr(record, attr)).casefold() == value.casefold()

    return match


def _eq_int(attr: str) -> Matcher:
    return lambda record, _prop, value: int(getattr(record, attr)) == int(value)


def _eq_text(attr: str) -> Matcher:
    return lambda record, _prop, value: str(getattr(record, attr)).casefold() == value.casefold()


def remove_provider_address(model: HostModel, ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]) -> list[Any]:
    return _remove("Remove-NetVirtualizationProviderAddress", "pa", model, model.provider_addresses, ctx, params, pipeline_input, {
        "ProviderAddress": _eq_address("address"),
        "InterfaceIndex": _eq_int("interface_index"),
        "VlanID": _eq_int("vlan_id"),
    })


def remove_lookup_record(model: HostModel, ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]) -> list[Any]:
    return _remove("Remove-NetVirtualizationLookupRecord", "lookup", model, model.lookup_records, ctx, params, pipeline_input, {
        "CustomerAddress": _eq_address("customer_address"),
        "VirtualSubnetID": _eq_int("virtual_subnet_id"),
        "ProviderAddress": _eq_address("provider_address"),
        "MACAddress": lambda r, _p, v: r.mac.casefold() == re.sub(r"[:-]", "", v).casefold(),
        "VMName": _eq_text("vm_name"),
    })


def remove_customer_route(model: HostModel, ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]) -> list[Any]:
    return _remove("Remove-NetVirtualizationCustomerRoute", "route", model, model.customer_routes, ctx, params, pipeline_input, {
        "RoutingDomainID": lambda r, _p, v: _same_guid(r.routing_domain_id, v),
        "VirtualSubnetID": _eq_int("virtual_subnet_id"),
        "DestinationPrefix": _eq_text("destination_prefix"),
        "NextHop": _eq_address("next_hop"),
    })


# --- registration ---------------------------------------------------------------------


def register(registry: Registry, host: HostWithModel) -> None:
    def bind(fn: Any) -> Any:
        return lambda ctx, params, pipeline_input: fn(host.model, ctx, params, pipeline_input)

    def spec(name: str, fn: Any, params: tuple[ParamSpec, ...]) -> CmdletSpec:
        return CmdletSpec(name, bind(fn), params, mutating=True, module=MODULE)

    piped = (ParamSpec("InputObject", "object[]", from_pipeline=True), ParamSpec("PassThru", "switch"))
    for s in (
        spec("New-NetVirtualizationProviderAddress", new_provider_address, (
            ParamSpec("ProviderAddress", "string", mandatory=True),
            ParamSpec("InterfaceIndex", "uint32", mandatory=True),
            ParamSpec("PrefixLength", "int", mandatory=True),
            ParamSpec("VlanID", "int"),
        )),
        spec("New-NetVirtualizationLookupRecord", new_lookup_record, (
            ParamSpec("CustomerAddress", "string", mandatory=True),
            ParamSpec("VirtualSubnetID", "uint32", mandatory=True),
            ParamSpec("MACAddress", "string", mandatory=True),
            ParamSpec("ProviderAddress", "string", mandatory=True),
            ParamSpec("Rule", "enum:TranslationMethodNat|TranslationMethodEncap|TranslationMethodNone", mandatory=True),
            ParamSpec("VMName", "string"),
            ParamSpec("CustomerID", "string"),
            ParamSpec("Context", "string"),
            ParamSpec("Type", "enum:Static|Dynamic|GatewayWildcard|L2Only"),
            ParamSpec("UseVmMACAddress", "bool"),
        )),
        spec("New-NetVirtualizationCustomerRoute", new_customer_route, (
            ParamSpec("RoutingDomainID", "string", mandatory=True),
            ParamSpec("VirtualSubnetID", "uint32", mandatory=True),
            ParamSpec("DestinationPrefix", "string", mandatory=True),
            ParamSpec("NextHop", "string", mandatory=True),
            ParamSpec("Metric", "uint32"),
            ParamSpec("CustomerID", "string"),
        )),
        spec("Remove-NetVirtualizationProviderAddress", remove_provider_address, (
            ParamSpec("ProviderAddress", "string[]"), ParamSpec("InterfaceIndex", "object[]"),
            ParamSpec("VlanID", "object[]"), *piped,
        )),
        spec("Remove-NetVirtualizationLookupRecord", remove_lookup_record, (
            ParamSpec("CustomerAddress", "string[]"), ParamSpec("VirtualSubnetID", "object[]"),
            ParamSpec("ProviderAddress", "string[]"), ParamSpec("MACAddress", "string[]"),
            ParamSpec("VMName", "string[]"), *piped,
        )),
        spec("Remove-NetVirtualizationCustomerRoute", remove_customer_route, (
            ParamSpec("RoutingDomainID", "string[]"), ParamSpec("VirtualSubnetID", "object[]"),
            ParamSpec("DestinationPrefix", "string[]"), ParamSpec("NextHop", "string[]"), *piped,
        )),
    ):
        registry.register(s)
