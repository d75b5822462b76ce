"""Hyper-V's rules that several mutating cmdlets share, as pure functions over the model.

Each check raises ``CmdletError`` with the record Hyper-V would give; the caller
decides whether that is terminating (parameter validation) or written as a
non-terminating error for one operand (VirtualizationCmdlet catches per object).
Operand resolution (by wildcard name, by Id, from the pipeline) lives here too,
because every cmdlet family addresses objects the same way (hyperv-model §4).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from engine.sim.generic import get_property
from engine.sim.hyperv import errors as E
from engine.sim.hyperv.errors import Msg
from engine.sim.hyperv.model import VM, HostModel, Nic, PortAdapter, VSwitch
from engine.sim.hyperv.wildcard import contains_wildcard, unescape
from engine.sim.hyperv.wildcard import matches_name as _matches_name
from engine.sim.objects import CmdletError, ErrorRecord, InvocationContext, PSObj


class HostWithModel(Protocol):
    """What the cmdlet modules need from ``engine.sim.host.SimulatedHost``."""

    model: HostModel


def matches_name(pattern: str, name: str) -> bool:
    """WildcardPattern match; a pattern PowerShell cannot parse (e.g. the reversed range in
    ``[Id = 'D…-5…']``) throws WildcardPatternException there and so matches nothing."""
    try:
        return _matches_name(pattern, name)
    except re.error:
        return False


# --- values ------------------------------------------------------------------------

_MAC = re.compile(r"^([0-9A-F]{2}[:-]?){5}([0-9A-F]{2})$", re.IGNORECASE)  # DEC ParameterResolvers
_MODEL_SUFFIX = re.compile(r" #\d+$")
MAX_TEAM_MEMBERS = 8  # WSD SET: 1–8 NICs
VSID_MIN, VSID_MAX = 4096, 16_777_215  # PSDOC Set-VMNetworkAdapter -VirtualSubnetId


def normalize_mac(cmdlet: str, value: str, param: str = "StaticMacAddress") -> str:
    """``00-15-5d-01-02-03`` → ``00155D010203``; anything else is refused (hyperv-model §2.5)."""
    text = str(value).strip()
    if not _MAC.match(text):
        raise CmdletError(E.invalid_argument(cmdlet, Msg.MAC_FORMAT.format(param=param), text))
    return re.sub(r"[:-]", "", text).upper()


def is_multicast(mac: str) -> bool:
    """The I/G bit (lowest bit of the first octet) set: VMMS refuses it (vagrant#11681)."""
    return bool(int(mac[:2], 16) & 1)


def round_down_8(value: int) -> int:
    """Bandwidth in bits/s is stored as a multiple of 8 (PSDOC Set-VMSwitch/Set-VMNetworkAdapter)."""
    return value - value % 8


def nic_model(nic: Nic) -> str:
    """The make/model used for SET symmetry: driver description without Windows' ' #N' suffix."""
    return _MODEL_SUFFIX.sub("", nic.driver_description or nic.interface_description).casefold()


def parse_guid(cmdlet: str, value: Any, param: str = "Id") -> str:
    if isinstance(value, uuid.UUID):
        return str(value)
    try:
        return str(uuid.UUID(str(value).strip()))
    except ValueError:
        raise CmdletError(E.invalid_argument(cmdlet, Msg.INVALID_ID_FORMAT.format(value=value), str(value))) from None


def check_range(cmdlet: str, value: int | None, lo: int, hi: int, message: str) -> None:
    if value is not None and not lo <= int(value) <= hi:
        raise CmdletError(E.invalid_argument(cmdlet, message, str(value)))


# --- physical NICs and SET --------------------------------------------------------


def find_nics(cmdlet: str, model: HostModel, names: Iterable[str], descriptions: Iterable[str] = ()) -> list[Nic]:
    """Physical NICs named exactly (case-insensitive); a missing one fails (LabBuilder#265)."""
    found: list[Nic] = []
    for name in names:
        nic = model.nic(unescape(name))
        if nic is None:
            raise CmdletError(E.invalid_argument(cmdlet, Msg.NIC_NOT_FOUND.format(name=name), name))
        found.append(nic)
    for desc in descriptions:
        nic = next((n for n in model.nics if n.interface_description.casefold() == desc.casefold()), None)
        if nic is None:
            raise CmdletError(E.invalid_argument(cmdlet, Msg.NIC_NOT_FOUND.format(name=desc), desc))
        found.append(nic)
    unique: list[Nic] = []
    for nic in found:
        if nic not in unique:
            unique.append(nic)
    return unique


def check_nics_free(cmdlet: str, model: HostModel, nics: list[Nic], own: VSwitch | None = None) -> None:
    """A NIC binds to one switch only: ObjectInUse (multipass#2159)."""
    for nic in nics:
        bound = model.switch_of_nic(nic.name)
        if bound is not None and bound is not own:
            raise CmdletError(
                E.object_in_use(cmdlet, Msg.NIC_IN_USE.format(name=nic.name, switch=bound.name), nic.name)
            )


def check_team(cmdlet: str, nics: list[Nic]) -> None:
    """SET: 1–8 members of one make/model (WSD SET; hyperv-model §5 on the ' #2' suffix)."""
    if len(nics) > MAX_TEAM_MEMBERS:
        raise CmdletError(E.invalid_argument(cmdlet, Msg.TEAM_TOO_MANY.format(count=len(nics))))
    first = nics[0] if nics else None
    for nic in nics[1:]:
        if first is not None and nic_model(nic) != nic_model(first):
            raise CmdletError(
                E.invalid_argument(
                    cmdlet,
                    Msg.TEAM_NOT_IDENTICAL.format(
                        a=first.name, da=first.driver_description, b=nic.name, db=nic.driver_description
                    ),
                    nic.name,
                )
            )


# --- operand resolution -----------------------------------------------------------


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def pipeline_objects(params: dict[str, Any], param: str, pipeline_input: list[Any]) -> list[Any]:
    """Objects given by pipeline or by the object parameter itself."""
    return list(pipeline_input) if pipeline_input else as_list(params.get(param))


def object_id(obj: Any, *props: str) -> str | None:
    """The id a piped object carries: a property of a PSObj (or of a client-sent object), else the
    bare value itself."""
    if isinstance(obj, str | uuid.UUID | int):
        return str(obj)
    for prop in props:
        value = get_property(obj, prop, None)
        if value is not None:
            return str(value)
    return None


def not_found_names(
    ctx: InvocationContext, patterns: list[str], matched: list[str], make: Callable[[str], ErrorRecord]
) -> None:
    """WriteNonMatchingNameErrors: a non-wildcard name that matched nothing → one error each."""
    for pattern in patterns:
        if not contains_wildcard(pattern) and not any(matches_name(pattern, m) for m in matched):
            ctx.write_error(make(unescape(pattern)))


def switches_by_name(ctx: InvocationContext, cmdlet: str, model: HostModel, names: list[str]) -> list[VSwitch]:
    found = [s for s in model.switches if any(matches_name(n, s.name) for n in names)]
    not_found_names(
        ctx, names, [s.name for s in found],
        lambda n: E.invalid_argument(cmdlet, Msg.SWITCH_NOT_FOUND.format(name=n), n),
    )
    return found


def switches_from_input(
    ctx: InvocationContext, cmdlet: str, model: HostModel, objects: list[Any]
) -> list[VSwitch]:
    found: list[VSwitch] = []
    for obj in objects:
        sid = object_id(obj, "Id", "SwitchId")
        sw = model.switch(sid) if sid else None
        if sw is None:
            ctx.write_error(E.object_not_found(cmdlet, Msg.SWITCH_NOT_FOUND_BY_ID.format(id=sid), str(sid)))
        elif sw not in found:
            found.append(sw)
    return found


def target_switches(
    ctx: InvocationContext, cmdlet: str, model: HostModel, params: dict[str, Any], pipeline_input: list[Any],
    name_param: str = "Name", object_param: str = "VMSwitch",
) -> list[VSwitch]:
    objects = pipeline_objects(params, object_param, pipeline_input)
    if objects:
        return switches_from_input(ctx, cmdlet, model, objects)
    return switches_by_name(ctx, cmdlet, model, as_list(params.get(name_param)))


def single_switch(cmdlet: str, model: HostModel, pattern: str) -> VSwitch:
    """Connect/Add -SwitchName: SingleOrDefault over the wildcard matches (hyperv-model §4)."""
    matches = [s for s in model.switches if matches_name(pattern, s.name)]
    if not matches:
        name = unescape(pattern)
        raise CmdletError(E.invalid_argument(cmdlet, Msg.SWITCH_NOT_FOUND.format(name=name), name))
    if len(matches) > 1:
        raise CmdletError(E.invalid_operation(cmdlet, Msg.MORE_THAN_ONE))
    return matches[0]


def vms_by_name(ctx: InvocationContext, cmdlet: str, model: HostModel, names: list[str]) -> list[VM]:
    found = [v for v in model.vms if any(matches_name(n, v.name) for n in names)]
    not_found_names(
        ctx, names, [v.name for v in found],
        lambda n: E.invalid_argument(cmdlet, Msg.VM_NOT_FOUND.format(name=n), n),
    )
    return found


def vms_from_input(ctx: InvocationContext, cmdlet: str, model: HostModel, objects: list[Any]) -> list[VM]:
    found: list[VM] = []
    for obj in objects:
        vid = object_id(obj, "Id", "VMId")
        vm = model.vm(vid) if vid else None
        if vm is None:
            ctx.write_error(E.object_not_found(cmdlet, Msg.VM_NOT_FOUND_BY_ID.format(id=vid), str(vid)))
        elif vm not in found:
            found.append(vm)
    return found


def target_vms(
    ctx: InvocationContext, cmdlet: str, model: HostModel, params: dict[str, Any], pipeline_input: list[Any]
) -> list[VM]:
    objects = pipeline_objects(params, "VM", pipeline_input)
    if objects:
        return vms_from_input(ctx, cmdlet, model, objects)
    return vms_by_name(ctx, cmdlet, model, as_list(params.get("VMName")))


ADAPTER_TYPES = (
    "Microsoft.HyperV.PowerShell.VMNetworkAdapterBase",
    "Microsoft.HyperV.PowerShell.VMNetworkAdapter",
    "Microsoft.HyperV.PowerShell.VMInternalNetworkAdapter",
)


def type_names(obj: Any) -> list[str]:
    """An object's type names without the ``Deserialized.`` prefix remoting adds."""
    if not isinstance(obj, PSObj):
        return []
    return [t.removeprefix("Deserialized.") for t in obj.type_names]


def as_pipeline_string(obj: Any) -> str:
    """How PowerShell coerces a piped object to a ``string`` parameter: its ToString."""
    if isinstance(obj, PSObj):
        return obj.to_string
    return str(obj)


def adapters_from_input(ctx: InvocationContext, cmdlet: str, model: HostModel, objects: list[Any]) -> list[PortAdapter]:
    """Piped adapter objects back to the model."""
    found: list[PortAdapter] = []
    for obj in objects:
        aid = object_id(obj, "Id")
        adapter = model.adapter(aid) if aid else None
        if adapter is None:
            ctx.write_error(E.object_not_found(cmdlet, Msg.ADAPTER_NOT_FOUND, str(aid)))
        elif adapter not in found:
            found.append(adapter)
    return found


def _binds_as_adapter(obj: Any, vm_only: bool) -> bool:
    accepted = ADAPTER_TYPES[1:2] if vm_only else ADAPTER_TYPES
    names = type_names(obj)
    return any(t in accepted for t in names) and not (vm_only and ADAPTER_TYPES[2] in names)


def target_adapters(
    ctx: InvocationContext,
    cmdlet: str,
    model: HostModel,
    params: dict[str, Any],
    pipeline_input: list[Any],
    name_param: str = "Name",
    adapter_param: str = "VMNetworkAdapter",
    vm_only: bool = False,
) -> list[PortAdapter]:
    """ResolveNetworkAdapters: piped adapters, VMs (piped or -VMName) or -ManagementOS, then the
    optional name filter. Nothing matched → "No network adapter was found …" (ObjectNotFound).

    A piped object that is neither an adapter nor a VM binds, as PowerShell's binder coerces it,
    to the ValueFromPipeline ``-VMName`` string by its ToString — e.g. the VMNetworkAdapterVlanSetting
    that ``Set-VMNetworkAdapterVlan -Passthru`` emits fails as a VM name (DEC SetVMNetworkAdapter)."""
    piped = pipeline_input if pipeline_input else as_list(params.get(adapter_param))
    adapter_objects = [o for o in piped if _binds_as_adapter(o, vm_only)]
    vm_objects = [o for o in piped if _is_vm_object(o)]
    vm_names = [as_pipeline_string(o) for o in piped if o not in adapter_objects and o not in vm_objects]
    if piped and not vm_objects and not vm_names:
        return adapters_from_input(ctx, cmdlet, model, adapter_objects)
    found = adapters_from_input(ctx, cmdlet, model, adapter_objects) if adapter_objects else []
    if params.get("ManagementOS"):
        candidates = model.host_vnics()
    else:
        vm_objects = vm_objects or ([] if vm_names else as_list(params.get("VM")))
        vms = vms_from_input(ctx, cmdlet, model, vm_objects) if vm_objects else []
        if vm_names or not vm_objects:
            vms += vms_by_name(ctx, cmdlet, model, vm_names or as_list(params.get("VMName")))
        if not vms:
            return found
        vm_ids = [v.id for v in vms]
        candidates = [a for a in model.adapters if a.vm_id in vm_ids]
    names = [str(n) for n in as_list(params.get(name_param))]
    if names:
        candidates = [a for a in candidates if any(matches_name(n, a.name) for n in names)]
    switch_name = params.get("SwitchName") if params.get("ManagementOS") else None
    if switch_name is not None:
        candidates = [a for a in candidates if _switch_name_matches(model, a, str(switch_name))]
    if not candidates:
        ctx.write_error(E.object_not_found(cmdlet, Msg.ADAPTER_NOT_FOUND))
        return found
    return found + [a for a in sorted(candidates, key=lambda a: a.created) if a not in found]


def _switch_name_matches(model: HostModel, adapter: PortAdapter, pattern: str) -> bool:
    sw = model.switch(adapter.switch_id)
    return sw is not None and matches_name(pattern, sw.name)


def _is_vm_object(obj: Any) -> bool:
    return any(t == "Microsoft.HyperV.PowerShell.VirtualMachine" for t in type_names(obj))


def run_per_operand(ctx: InvocationContext, operands: Iterable[Any], action: Any) -> list[Any]:
    """VirtualizationCmdlet.ProcessRecord: a failure on one object is written, the rest go on."""
    out: list[Any] = []
    for operand in operands:
        try:
            result = action(operand)
        except CmdletError as err:
            ctx.write_error(err.record)
            continue
        if result is not None:
            out.extend(result if isinstance(result, list) else [result])
    return out


# --- output -----------------------------------------------------------------------


def to_psobj(kind: str, model: HostModel, obj: Any) -> Any:
    """The read side's PSObj for a model object, so -Passthru output is exactly what the
    Get-* cmdlet shows (imported late: the object modules import the model, not the rules)."""
    from engine.sim.hyperv import objects, objects_adapter, objects_cim, sriov

    if kind == "switch":
        return objects.switch_obj(model, obj, sriov.evaluate(model))
    if kind == "team":
        return objects.switch_team_obj(model, obj)
    if kind == "adapter":
        return objects_adapter.adapter_obj(model, obj)
    if kind == "vlan":
        state = sriov.evaluate(model)
        parent = objects_adapter.adapter_obj(model, obj, state, with_settings=False)
        return objects_adapter.vlan_obj(model, obj, parent)
    if kind == "sriov":
        return objects_cim.net_adapter_sriov_obj(model, obj, sriov.evaluate(model))
    if kind == "pa":
        return objects_cim.provider_address_obj(obj)
    if kind == "lookup":
        return objects_cim.lookup_record_obj(obj)
    if kind == "route":
        return objects_cim.customer_route_obj(obj)
    raise ValueError(f"no PSObj converter for {kind!r}")
