"""The CIM-module read cmdlets: Get-NetAdapter, Get-NetAdapterHardwareInfo,
Get-NetAdapterSriov, Get-NetAdapterSriovVf, Get-NetIPAddress and the NetWNV getters.

CDXML cmdlets filter on their key parameters (wildcards for strings); a
non-wildcard value that matches nothing writes ``CmdletizationQuery_NotFound_<Param>``
(ObjectNotFound), as the cmdletization layer does.

Management path (CONTRACT §4): the address the client connected to is reported on
the interface that carries hvnet's connection — a host vNIC marked ``management``,
else the NIC marked ``management`` while it is unbound, else (once a switch is bound
to that NIC) the switch's host vNIC that took over the NIC's MAC. A NIC bound to a
switch with no such vNIC has lost its addresses, as on a real host.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

from engine.sim.hyperv import errors as E
from engine.sim.hyperv import sriov
from engine.sim.hyperv.model import HostModel, Nic, PortAdapter
from engine.sim.hyperv.objects_cim import (
    customer_route_obj,
    host_vnic_alias,
    host_vnic_if_index,
    host_vnic_net_adapter_obj,
    ip_address_obj,
    lookup_record_obj,
    net_adapter_hardware_info_obj,
    net_adapter_obj,
    net_adapter_sriov_obj,
    net_adapter_sriov_vf_obj,
    os_caption,
    os_obj,
    provider_address_obj,
)
from engine.sim.hyperv.rules import HostWithModel, as_list
from engine.sim.hyperv.wildcard import contains_wildcard, matches_name, unescape
from engine.sim.objects import CmdletError, ErrorRecord, InvocationContext, PSObj
from engine.sim.registry import CmdletSpec, ParamSpec, Registry


def filter_by(
    ctx: InvocationContext, cmdlet: str, cim_class: str, param: str,
    items: list[Any], patterns: list[str], key: Callable[[Any], str],
) -> list[Any]:  # fmt: skip
    """Keep items whose ``key`` matches any pattern; report non-wildcard patterns that matched nothing."""
    if not patterns:
        return items
    kept = [i for i in items if any(matches_name(p, key(i)) for p in patterns)]
    for p in patterns:
        if not contains_wildcard(p) and not any(matches_name(p, key(i)) for i in kept):
            ctx.write_error(E.cim_not_found(cmdlet, cim_class, param, unescape(p)))
    return kept


def filter_exact(
    ctx: InvocationContext, cmdlet: str, cim_class: str, param: str,
    items: list[Any], values: Iterable[Any], key: Callable[[Any], Any],
) -> list[Any]:  # fmt: skip
    wanted = [str(v).casefold() for v in values]
    if not wanted:
        return items
    kept = [i for i in items if str(key(i)).casefold() in wanted]
    for v in wanted:
        if not any(str(key(i)).casefold() == v for i in kept):
            ctx.write_error(E.cim_not_found(cmdlet, cim_class, param, v))
    return kept


def _strs(params: dict[str, Any], name: str) -> list[str]:
    return [str(v) for v in as_list(params.get(name))]


# ---- NetAdapter -----------------------------------------------------------------------


def get_netadapter(model: HostModel, ctx: InvocationContext, params: dict[str, Any], _input: list[Any]) -> list[Any]:
    c = "Get-NetAdapter"
    rows: list[tuple[str, str, int, Any]] = [(n.name, n.interface_description, n.if_index, n) for n in model.nics]
    if not params.get("Physical"):
        for a in sorted(model.host_vnics(), key=lambda v: v.created):
            rows.append((host_vnic_alias(a), "", host_vnic_if_index(a), a))
    rows = filter_by(ctx, c, "MSFT_NetAdapter", "Name", rows, _strs(params, "Name"), lambda r: r[0])
    rows = filter_by(ctx, c, "MSFT_NetAdapter", "InterfaceDescription", rows, _strs(params, "InterfaceDescription"), lambda r: r[1] or "Hyper-V Virtual Ethernet Adapter")
    rows = filter_exact(ctx, c, "MSFT_NetAdapter", "InterfaceIndex", rows, as_list(params.get("InterfaceIndex")), lambda r: r[2])
    return [net_adapter_obj(r[3]) if isinstance(r[3], Nic) else host_vnic_net_adapter_obj(model, r[3]) for r in rows]


def get_netadapter_hardware_info(model: HostModel, ctx: InvocationContext, params: dict[str, Any], _input: list[Any]) -> list[Any]:
    nics = filter_by(ctx, "Get-NetAdapterHardwareInfo", "MSFT_NetAdapterHardwareInfoSettingData", "Name", list(model.nics), _strs(params, "Name"), lambda n: n.name)
    return [net_adapter_hardware_info_obj(n) for n in nics]


def _sriov_nics(c: str, model: HostModel, ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]) -> list[Nic]:
    cls = "MSFT_NetAdapterSriovSettingData"
    # Only adapters with SR-IOV hardware appear (PSDOC Get-NetAdapterSriov).
    nics = [n for n in model.nics if n.sriov is not None]
    piped = [str(o.get("Name")) for o in pipeline_input if hasattr(o, "get") and o.get("Name") is not None]
    names = _strs(params, "Name") + piped
    nics = filter_by(ctx, c, cls, "Name", nics, names, lambda n: n.name)
    return filter_by(ctx, c, cls, "InterfaceDescription", nics, _strs(params, "InterfaceDescription"), lambda n: n.interface_description)


def get_netadapter_sriov(model: HostModel, ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]) -> list[Any]:
    nics = _sriov_nics("Get-NetAdapterSriov", model, ctx, params, pipeline_input)
    state = sriov.evaluate(model)
    return [net_adapter_sriov_obj(model, n, state) for n in nics]


def get_netadapter_sriov_vf(model: HostModel, ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]) -> list[Any]:
    nics = _sriov_nics("Get-NetAdapterSriovVf", model, ctx, params, pipeline_input)
    names = {n.name for n in nics}
    state = sriov.evaluate(model)
    grants = sorted((g for g in state.grants.values() if g.nic_name in names), key=lambda g: (g.nic_name, g.function_id))
    functions = {int(v) for v in as_list(params.get("FunctionID"))}
    if functions:
        grants = [g for g in grants if g.function_id in functions]
    return [net_adapter_sriov_vf_obj(model, g) for g in grants]


# ---- IP addresses ---------------------------------------------------------------------


def _vnic_with_nic_mac(model: HostModel, nic: Nic) -> PortAdapter | None:
    sw = model.switch_of_nic(nic.name)
    if sw is None:
        return None
    macs = {n.mac for n in model.uplink_nics(sw)}
    return next((a for a in model.host_vnics_on_switch(sw.id) if a.mac in macs), None)


def ip_rows(model: HostModel, client_address: str) -> list[tuple[str, int, str]]:
    """(address/prefix, interface index, interface alias) of every address the host reports."""
    rows: list[tuple[str, int, str]] = []
    where: dict[str, tuple[int, str]] = {}  # NIC name → where its addresses live now
    for nic in model.nics:
        if model.switch_of_nic(nic.name) is None:
            where[nic.name] = (nic.if_index, nic.name)
        elif (vnic := _vnic_with_nic_mac(model, nic)) is not None:
            where[nic.name] = (host_vnic_if_index(vnic), host_vnic_alias(vnic))
    management_vnic = next((a for a in model.host_vnics() if a.management and model.switch(a.switch_id)), None)
    management_nic = next((n for n in model.nics if n.management), None)
    client_at: tuple[int, str] | None = None
    if management_vnic is not None:
        client_at = (host_vnic_if_index(management_vnic), host_vnic_alias(management_vnic))
    elif management_nic is not None:
        client_at = where.get(management_nic.name)
    for nic in model.nics:
        if nic.name in where:
            rows.extend((addr, *where[nic.name]) for addr in nic.ip_addresses)
    for vnic in sorted(model.host_vnics(), key=lambda a: a.created):
        rows.extend((addr, host_vnic_if_index(vnic), host_vnic_alias(vnic)) for addr in vnic.ip_addresses)
    if client_at is not None and client_address:
        present = [r for r in rows if r[0].split("/")[0] == client_address]
        if not present:
            rows.append((f"{client_address}/{_default_prefix(client_address)}", *client_at))
    return rows


def _default_prefix(address: str) -> int:
    ip = ipaddress.ip_address(address)
    if ip.is_loopback:
        return 8 if ip.version == 4 else 128
    return 24 if ip.version == 4 else 64


def get_netipaddress(model: HostModel, ctx: InvocationContext, params: dict[str, Any], _input: list[Any]) -> list[Any]:
    c, cls = "Get-NetIPAddress", "MSFT_NetIPAddress"
    rows = ip_rows(model, ctx.client_address)
    family = str(params.get("AddressFamily") or "").casefold()
    if family in ("ipv4", "2"):
        rows = [r for r in rows if ipaddress.ip_interface(r[0]).version == 4]
    elif family in ("ipv6", "23"):
        rows = [r for r in rows if ipaddress.ip_interface(r[0]).version == 6]
    rows = filter_by(ctx, c, cls, "InterfaceAlias", rows, _strs(params, "InterfaceAlias"), lambda r: r[2])
    rows = filter_exact(ctx, c, cls, "InterfaceIndex", rows, as_list(params.get("InterfaceIndex")), lambda r: r[1])
    rows = filter_by(ctx, c, cls, "IPAddress", rows, _strs(params, "IPAddress"), lambda r: r[0].split("/")[0])
    return [ip_address_obj(addr, index, alias) for addr, index, alias in rows]


# ---- NetWNV -------------------------------------------------------------------------------


def get_provider_addresses(model: HostModel, ctx: InvocationContext, params: dict[str, Any], _input: list[Any]) -> list[Any]:
    c, cls = "Get-NetVirtualizationProviderAddress", "MSFT_NetVirtualizationProviderAddressSettingData"
    items = list(model.provider_addresses)
    items = filter_by(ctx, c, cls, "ProviderAddress", items, _strs(params, "ProviderAddress"), lambda p: p.address)
    items = filter_exact(ctx, c, cls, "InterfaceIndex", items, as_list(params.get("InterfaceIndex")), lambda p: p.interface_index)
    items = filter_exact(ctx, c, cls, "VlanID", items, as_list(params.get("VlanID")), lambda p: p.vlan_id)
    return [provider_address_obj(p) for p in items]


def get_lookup_records(model: HostModel, ctx: InvocationContext, params: dict[str, Any], _input: list[Any]) -> list[Any]:
    c, cls = "Get-NetVirtualizationLookupRecord", "MSFT_NetVirtualizationLookupRecordSettingData"
    items = list(model.lookup_records)
    items = filter_by(ctx, c, cls, "CustomerAddress", items, _strs(params, "CustomerAddress"), lambda r: r.customer_address)
    items = filter_exact(ctx, c, cls, "VirtualSubnetID", items, as_list(params.get("VirtualSubnetID")), lambda r: r.virtual_subnet_id)
    items = filter_by(ctx, c, cls, "ProviderAddress", items, _strs(params, "ProviderAddress"), lambda r: r.provider_address)
    macs = [m.replace("-", "").replace(":", "") for m in _strs(params, "MACAddress")]
    items = filter_by(ctx, c, cls, "MACAddress", items, macs, lambda r: r.mac)
    items = filter_by(ctx, c, cls, "VMName", items, _strs(params, "VMName"), lambda r: r.vm_name)
    return [lookup_record_obj(r) for r in items]


def get_customer_routes(model: HostModel, ctx: InvocationContext, params: dict[str, Any], _input: list[Any]) -> list[Any]:
    c, cls = "Get-NetVirtualizationCustomerRoute", "MSFT_NetVirtualizationCustomerRouteSettingData"
    items = list(model.customer_routes)
    domains = [d.strip("{}") for d in _strs(params, "RoutingDomainID")]
    items = filter_exact(ctx, c, cls, "RoutingDomainID", items, domains, lambda r: r.routing_domain_id.strip("{}"))
    items = filter_exact(ctx, c, cls, "VirtualSubnetID", items, as_list(params.get("VirtualSubnetID")), lambda r: r.virtual_subnet_id)
    items = filter_by(ctx, c, cls, "DestinationPrefix", items, _strs(params, "DestinationPrefix"), lambda r: r.destination_prefix)
    items = filter_by(ctx, c, cls, "NextHop", items, _strs(params, "NextHop"), lambda r: r.next_hop)
    return [customer_route_obj(r) for r in items]


# ---- operating system -------------------------------------------------------------------

_INVALID_CLASS = "HRESULT 0x80041010,Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand"


def get_ciminstance(model: HostModel, ctx: InvocationContext, params: dict[str, Any], _input: list[Any]) -> list[Any]:
    """Only ``Win32_OperatingSystem`` (the OS build); any other class is "Invalid class"."""
    class_name = str(params.get("ClassName") or "")
    if class_name.casefold() != "win32_operatingsystem":
        raise CmdletError(ErrorRecord(
            message="Invalid class ", fully_qualified_error_id=_INVALID_CLASS, category="MetadataError",
            target_name=class_name, exception_type="Microsoft.Management.Infrastructure.CimException",
            activity="Get-CimInstance",
        ))  # fmt: skip
    return [os_obj(model)]


def get_computerinfo(model: HostModel, ctx: InvocationContext, params: dict[str, Any], _input: list[Any]) -> list[Any]:
    props = {
        "CsName": model.computer_name,
        "OsName": os_caption(model.os_build),
        "OsVersion": f"10.0.{model.os_build}",
        "OsBuildNumber": str(model.os_build),
        "HyperVisorPresent": True,
    }
    wanted = _strs(params, "Property")
    if wanted:
        props = {k: v for k, v in props.items() if any(matches_name(w, k) for w in wanted)}
    return [PSObj(["Microsoft.PowerShell.Commands.ComputerInfo"], props, "Microsoft.PowerShell.Commands.ComputerInfo")]


# ---- registration -------------------------------------------------------------------------


def register(registry: Registry, host: HostWithModel) -> None:
    def bind(fn: Any) -> Any:
        return lambda ctx, params, pipeline_input: fn(host.model, ctx, params, pipeline_input)

    name = ParamSpec("Name", "string[]", aliases=("ifAlias", "InterfaceAlias"), position=0)
    desc = ParamSpec("InterfaceDescription", "string[]", aliases=("ifDesc",))
    pipe = ParamSpec("InputObject", "object[]", from_pipeline=True)
    specs = [
        CmdletSpec("Get-NetAdapter", bind(get_netadapter), (
            name, desc, ParamSpec("InterfaceIndex", "string[]", aliases=("ifIndex",)),
            ParamSpec("Physical", "switch"), ParamSpec("IncludeHidden", "switch"),
        ), module="NetAdapter"),  # fmt: skip
        CmdletSpec("Get-NetAdapterHardwareInfo", bind(get_netadapter_hardware_info), (name, desc), module="NetAdapter"),
        CmdletSpec("Get-NetAdapterSriov", bind(get_netadapter_sriov), (name, desc, pipe), module="NetAdapter"),
        CmdletSpec("Get-NetAdapterSriovVf", bind(get_netadapter_sriov_vf), (
            name, desc, pipe, ParamSpec("FunctionID", "string[]"), ParamSpec("SwitchID", "string[]"),
        ), module="NetAdapter"),  # fmt: skip
        CmdletSpec("Get-NetIPAddress", bind(get_netipaddress), (
            ParamSpec("IPAddress", "string[]", position=0),
            ParamSpec("InterfaceIndex", "string[]", aliases=("ifIndex",)),
            ParamSpec("InterfaceAlias", "string[]", aliases=("ifAlias",)),
            ParamSpec("AddressFamily", "string"),
        ), module="NetTCPIP"),  # fmt: skip
        CmdletSpec("Get-CimInstance", bind(get_ciminstance), (
            ParamSpec("ClassName", "string", position=0, mandatory=True),
            ParamSpec("Namespace", "string"),
        ), module="CimCmdlets"),  # fmt: skip
        CmdletSpec("Get-ComputerInfo", bind(get_computerinfo), (
            ParamSpec("Property", "string[]", position=0),
        ), module="Microsoft.PowerShell.Management"),  # fmt: skip
        CmdletSpec("Get-NetVirtualizationProviderAddress", bind(get_provider_addresses), (
            ParamSpec("ProviderAddress", "string[]"),
            ParamSpec("InterfaceIndex", "string[]"),
            ParamSpec("VlanID", "string[]"),
            ParamSpec("PrefixLength", "string[]"),
        ), module="NetWNV"),  # fmt: skip
        CmdletSpec("Get-NetVirtualizationLookupRecord", bind(get_lookup_records), (
            ParamSpec("CustomerAddress", "string[]"),
            ParamSpec("VirtualSubnetID", "string[]"),
            ParamSpec("ProviderAddress", "string[]"),
            ParamSpec("MACAddress", "string[]"),
            ParamSpec("VMName", "string[]"),
            ParamSpec("CustomerID", "string[]"),
            ParamSpec("Rule", "string[]"),
        ), module="NetWNV"),  # fmt: skip
        CmdletSpec("Get-NetVirtualizationCustomerRoute", bind(get_customer_routes), (
            ParamSpec("RoutingDomainID", "string[]"),
            ParamSpec("VirtualSubnetID", "string[]"),
            ParamSpec("DestinationPrefix", "string[]"),
            ParamSpec("NextHop", "string[]"),
        ), module="NetWNV"),  # fmt: skip
    ]
    for spec in specs:
        registry.register(spec)
