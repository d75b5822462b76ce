"""The Hyper-V read cmdlets: Get-VMHost, Get-VMSwitch, Get-VMSwitchTeam, Get-VM,
Get-VMNetworkAdapter, Get-VMNetworkAdapterVlan.

Names are case-insensitive wildcards and not unique. A non-wildcard name that matches
nothing writes Hyper-V's non-terminating error (InvalidParameter / InvalidArgument,
as observed on Server 2022 — hyperv-model §2.1 "Not-found behaviour"); a wildcard
that matches nothing writes nothing. Output order is the model's creation order.
"""

from __future__ import annotations

from typing import Any

from engine.sim.hyperv import errors as E
from engine.sim.hyperv import sriov
from engine.sim.hyperv.errors import Msg
from engine.sim.hyperv.model import VM, HostModel, PortAdapter, VSwitch
from engine.sim.hyperv.objects import switch_obj, switch_team_obj, vm_obj, vmhost_obj
from engine.sim.hyperv.objects_adapter import adapter_obj, vlan_obj
from engine.sim.hyperv.rules import (
    HostWithModel,
    adapters_from_input,
    as_list,
    not_found_names,
    switches_by_name,
    switches_from_input,
    type_names,
    vms_by_name,
    vms_from_input,
)
from engine.sim.hyperv.wildcard import matches_name
from engine.sim.objects import CmdletError, ErrorRecord, InvocationContext
from engine.sim.registry import CmdletSpec, ParamSpec, Registry

_SWITCH_TYPES = ("Private", "Internal", "External")
_AMBIGUOUS_SET = (
    "Parameter set cannot be resolved using the specified named parameters. One or more parameters "
    "issued cannot be used together or an insufficient number of parameters were provided."
)


def _ambiguous(cmdlet: str) -> CmdletError:
    return CmdletError(
        ErrorRecord(
            message=_AMBIGUOUS_SET,
            fully_qualified_error_id=f"AmbiguousParameterSet,Microsoft.HyperV.PowerShell.Commands.{E.cmdlet_class(cmdlet)}",
            category="InvalidArgument",
            exception_type="System.Management.Automation.ParameterBindingException",
            activity=cmdlet,
        )
    )


# ---- Get-VMHost ----------------------------------------------------------------------


def get_vmhost(model: HostModel, ctx: InvocationContext, params: dict[str, Any], _input: list[Any]) -> list[Any]:
    return [vmhost_obj(model)]


# ---- Get-VMSwitch / Get-VMSwitchTeam ---------------------------------------------------


def _switch_types(cmdlet: str, raw: Any) -> list[str]:
    kinds: list[str] = []
    for item in as_list(raw):
        text = str(item)
        match = next((t for t in _SWITCH_TYPES if t.casefold() == text.casefold()), None)
        if match is None and text.isdigit() and int(text) < len(_SWITCH_TYPES):
            match = _SWITCH_TYPES[int(text)]
        if match is None:
            raise CmdletError(
                E.invalid_argument(cmdlet, f"Cannot convert value \"{text}\" to type VMSwitchType.", text)
            )
        kinds.append(match)
    return kinds


def get_vmswitch(model: HostModel, ctx: InvocationContext, params: dict[str, Any], _input: list[Any]) -> list[Any]:
    c = "Get-VMSwitch"
    kinds = _switch_types(c, params.get("SwitchType"))
    if params.get("Id") is not None:
        found: list[VSwitch] = []
        for guid in as_list(params["Id"]):
            sw = model.switch(str(guid))
            if sw is None:  # VMSwitch_NoSwitchFound (DEC GetVMSwitch)
                ctx.write_error(E.invalid_argument(c, Msg.SWITCH_NOT_FOUND_BY_ID.format(id=guid), str(guid)))
            elif sw not in found:
                found.append(sw)
    elif params.get("Name") is not None:
        found = switches_by_name(ctx, c, model, [str(n) for n in as_list(params["Name"])])
    else:
        found = list(model.switches)
    # -SwitchType filters after the name lookup (DEC GetVMSwitch; hyperv-model §2.1).
    if kinds:
        found = [s for s in found if model.switch_type(s) in kinds]
    state = sriov.evaluate(model)
    return [switch_obj(model, s, state) for s in found]


def get_vmswitchteam(model: HostModel, ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]) -> list[Any]:
    c = "Get-VMSwitchTeam"
    piped = pipeline_input or as_list(params.get("VMSwitch"))
    if piped:
        switches = switches_from_input(ctx, c, model, piped)
        for sw in switches:
            if not sw.embedded_teaming:
                ctx.write_error(E.invalid_argument(c, Msg.NOT_TEAMING.format(name=sw.name), sw.name))
        return [switch_team_obj(model, s) for s in switches if s.embedded_teaming]
    teams = [s for s in model.switches if s.embedded_teaming]
    names = [str(n) for n in as_list(params.get("Name"))]
    if names:
        teams = [s for s in teams if any(matches_name(n, s.name) for n in names)]
        not_found_names(
            ctx, names, [s.name for s in teams],
            lambda n: E.invalid_argument(c, Msg.SWITCH_NOT_FOUND.format(name=n), n),
        )  # fmt: skip
    return [switch_team_obj(model, s) for s in teams]


# ---- Get-VM -------------------------------------------------------------------------------


def get_vm(model: HostModel, ctx: InvocationContext, params: dict[str, Any], _input: list[Any]) -> list[Any]:
    c = "Get-VM"
    if params.get("Id") is not None:
        vms: list[VM] = []
        for guid in as_list(params["Id"]):
            vm = model.vm(str(guid))
            if vm is None:
                ctx.write_error(E.invalid_argument(c, Msg.VM_NOT_FOUND_BY_ID.format(id=guid), str(guid)))
            elif vm not in vms:
                vms.append(vm)
    elif params.get("Name") is not None:
        vms = vms_by_name(ctx, c, model, [str(n) for n in as_list(params["Name"])])
    else:
        vms = list(model.vms)
    return [vm_obj(model, v) for v in vms]


# ---- Get-VMNetworkAdapter / Get-VMNetworkAdapterVlan ------------------------------------


def _vm_order(model: HostModel) -> dict[str | None, int]:
    return {vm.id: i for i, vm in enumerate(model.vms)}


def _ordered(model: HostModel, adapters: list[PortAdapter]) -> list[PortAdapter]:
    """Host vNICs first, then VM adapters by VM, each in creation order."""
    order = _vm_order(model)
    return sorted(adapters, key=lambda a: (a.vm_id is not None, order.get(a.vm_id, -1), a.created))


def _select_adapters(
    c: str, model: HostModel, ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any],
    name_param: str,
) -> list[PortAdapter] | None:  # fmt: skip
    """Resolve the adapter parameter sets; None means "not this way" (caller decides)."""
    piped = pipeline_input or as_list(params.get("VM")) or as_list(params.get("VMNetworkAdapter"))
    vm_objects = [o for o in piped if "Microsoft.HyperV.PowerShell.VirtualMachine" in type_names(o)]
    adapter_objects = [o for o in piped if o not in vm_objects]
    if adapter_objects:
        return adapters_from_input(ctx, c, model, adapter_objects)
    if params.get("All"):
        candidates = list(model.adapters)
    elif params.get("ManagementOS"):
        candidates = model.host_vnics()
        if params.get("SwitchName") is not None:
            pattern = str(params["SwitchName"])
            candidates = [a for a in candidates if _on_switch_named(model, a, pattern)]
    elif vm_objects or params.get("VMName") is not None:
        vms = (
            vms_from_input(ctx, c, model, vm_objects)
            if vm_objects
            else vms_by_name(ctx, c, model, [str(n) for n in as_list(params["VMName"])])
        )
        ids = {v.id for v in vms}
        candidates = [a for a in model.adapters if a.vm_id in ids]
    else:
        return None
    names = [str(n) for n in as_list(params.get(name_param))]
    if names:
        candidates = [a for a in candidates if any(matches_name(n, a.name) for n in names)]
        not_found_names(ctx, names, [a.name for a in candidates], lambda n: E.object_not_found(c, Msg.ADAPTER_NOT_FOUND, n))
    return _ordered(model, candidates)


def _on_switch_named(model: HostModel, adapter: PortAdapter, pattern: str) -> bool:
    sw = model.switch(adapter.switch_id)
    return sw is not None and matches_name(pattern, sw.name)


def get_vmnetworkadapter(model: HostModel, ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]) -> list[Any]:
    c = "Get-VMNetworkAdapter"
    adapters = _select_adapters(c, model, ctx, params, pipeline_input, "Name")
    if adapters is None:
        raise _ambiguous(c)
    state = sriov.evaluate(model)
    return [adapter_obj(model, a, state) for a in adapters]


def get_vmnetworkadaptervlan(model: HostModel, ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]) -> list[Any]:
    c = "Get-VMNetworkAdapterVlan"
    adapters = _select_adapters(c, model, ctx, params, pipeline_input, "VMNetworkAdapterName")
    if adapters is None:  # no selector: every VM adapter on the host (PSDOC Get-VMNetworkAdapterVlan)
        adapters = _ordered(model, [a for a in model.adapters if not a.is_management_os])
    state = sriov.evaluate(model)
    return [vlan_obj(model, a, adapter_obj(model, a, state, with_settings=False)) for a in adapters]


# ---- registration -------------------------------------------------------------------------


def register(registry: Registry, host: HostWithModel) -> None:
    def bind(fn: Any) -> Any:
        return lambda ctx, params, pipeline_input: fn(host.model, ctx, params, pipeline_input)

    vm_pipe = ParamSpec("VM", "object[]", from_pipeline=True)
    specs = [
        CmdletSpec("Get-VMHost", bind(get_vmhost), (ParamSpec("ComputerName", "string[]"),)),
        CmdletSpec("Get-VMSwitch", bind(get_vmswitch), (
            ParamSpec("Name", "string[]", aliases=("SwitchName",), position=0),
            ParamSpec("Id", "guid[]"),
            ParamSpec("SwitchType", "string[]"),
            ParamSpec("ResourcePoolName", "string[]"),
        )),  # fmt: skip
        CmdletSpec("Get-VMSwitchTeam", bind(get_vmswitchteam), (
            ParamSpec("Name", "string[]", aliases=("SwitchName",), position=0),
            ParamSpec("VMSwitch", "object[]", from_pipeline=True),
        )),  # fmt: skip
        CmdletSpec("Get-VM", bind(get_vm), (
            ParamSpec("Name", "string[]", aliases=("VMName",), position=0),
            ParamSpec("Id", "guid[]"),
        )),  # fmt: skip
        CmdletSpec("Get-VMNetworkAdapter", bind(get_vmnetworkadapter), (
            ParamSpec("VMName", "string[]", position=0),
            ParamSpec("Name", "string[]", aliases=("VMNetworkAdapterName",)),
            ParamSpec("ManagementOS", "switch"),
            ParamSpec("All", "switch"),
            ParamSpec("SwitchName", "string"),
            ParamSpec("IsLegacy", "bool"),
            vm_pipe,
        )),  # fmt: skip
        CmdletSpec("Get-VMNetworkAdapterVlan", bind(get_vmnetworkadaptervlan), (
            ParamSpec("VMName", "string[]", position=0),
            ParamSpec("VMNetworkAdapterName", "string[]"),
            ParamSpec("ManagementOS", "switch"),
            ParamSpec("VMNetworkAdapter", "object[]", from_pipeline=True),
            ParamSpec("VM", "object[]"),
        )),  # fmt: skip
    ]
    for spec in specs:
        registry.register(spec)

