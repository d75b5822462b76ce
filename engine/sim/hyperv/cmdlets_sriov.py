"""Enable-/Disable-/Set-NetAdapterSriov (NetAdapter CDXML module, MSFT_NetAdapterSriovSettingData).

Only SR-IOV-capable NICs have an instance of the class (PSDOC Get-NetAdapterSriov),
so a NIC without SR-IOV hardware is "not found" like a missing one. Each change
restarts the physical adapter unless -NoRestart (PSDOC); the model counts restarts
per NIC (``Nic.restarts``). A restart drops every VF on the NIC for a moment; VF
grants are derived from the model on every read (sriov.py), so after the call they
are re-evaluated from the new settings. NumVFs is bounded by the hardware's MaxNumVFs.
"""

from __future__ import annotations

from typing import Any

from engine.sim.hyperv import errors as E
from engine.sim.hyperv.errors import Msg
from engine.sim.hyperv.model import HostModel, Nic
from engine.sim.hyperv.rules import HostWithModel, as_list, matches_name, object_id, run_per_operand, to_psobj
from engine.sim.hyperv.wildcard import contains_wildcard, unescape
from engine.sim.objects import CmdletError, InvocationContext
from engine.sim.registry import CmdletSpec, ParamSpec, Registry

CIM_CLASS = "MSFT_NetAdapterSriovSettingData"


def sriov_nics(
    ctx: InvocationContext, cmdlet: str, model: HostModel, params: dict[str, Any], pipeline_input: list[Any]
) -> list[Nic]:
    """The CIM query: -InputObject (piped instances), else -Name / -InterfaceDescription wildcards."""
    capable = [n for n in model.nics if n.sriov is not None]
    objects = pipeline_input or as_list(params.get("InputObject"))
    if objects:
        found: list[Nic] = []
        for obj in objects:
            name = object_id(obj, "Name")
            nic = next((n for n in capable if name is not None and n.name.casefold() == name.casefold()), None)
            if nic is None:
                ctx.write_error(E.cim_not_found(cmdlet, CIM_CLASS, "Name", str(name)))
            elif nic not in found:
                found.append(nic)
        return found
    if params.get("InterfaceDescription") is not None:
        prop, patterns = "InterfaceDescription", [str(p) for p in as_list(params["InterfaceDescription"])]
    else:
        prop, patterns = "Name", [str(p) for p in as_list(params.get("Name"))] or ["*"]

    def value(nic: Nic) -> str:
        return nic.interface_description if prop == "InterfaceDescription" else nic.name

    found = [n for n in capable if any(matches_name(p, value(n)) for p in patterns)]
    for pattern in patterns:
        if not contains_wildcard(pattern) and not any(matches_name(pattern, value(n)) for n in found):
            ctx.write_error(E.cim_not_found(cmdlet, CIM_CLASS, prop, unescape(pattern)))
    return found


def _restart(nic: Nic, params: dict[str, Any]) -> None:
    if not params.get("NoRestart"):
        nic.restarts += 1


def _change(cmdlet: str, model: HostModel, ctx: InvocationContext, params: dict[str, Any],
            pipeline_input: list[Any], enabled: bool | None) -> list[Any]:
    num_vfs = params.get("NumVFs")

    def one(nic: Nic) -> Any:
        assert nic.sriov is not None  # sriov_nics only yields capable NICs
        if num_vfs is not None and int(num_vfs) > nic.sriov.max_vfs:
            # the provider refuses more VFs than HardwareCapabilities.MaxNumVFs (WMI)
            raise CmdletError(E.cim_invalid_parameter(
                cmdlet, Msg.SRIOV_NUMVFS.format(value=num_vfs, max=nic.sriov.max_vfs, nic=nic.name), nic.name))
        if enabled is not None:
            nic.sriov.enabled = enabled
        if num_vfs is not None:
            nic.sriov.num_vfs = int(num_vfs)
        _restart(nic, params)
        return to_psobj("sriov", model, nic) if params.get("PassThru") else None

    return run_per_operand(ctx, sriov_nics(ctx, cmdlet, model, params, pipeline_input), one)


def enable_sriov(model: HostModel, ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]) -> list[Any]:
    return _change("Enable-NetAdapterSriov", model, ctx, params, pipeline_input, True)


def disable_sriov(model: HostModel, ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]) -> list[Any]:
    # revokes every VF on the NIC: VMs fall back to the synthetic path (PSDOC Disable-NetAdapterSriov)
    return _change("Disable-NetAdapterSriov", model, ctx, params, pipeline_input, False)


def set_sriov(model: HostModel, ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]) -> list[Any]:
    enabled = params.get("Enabled")
    return _change("Set-NetAdapterSriov", model, ctx, params, pipeline_input, None if enabled is None else bool(enabled))


def register(registry: Registry, host: HostWithModel) -> None:
    def bind(fn: Any) -> Any:
        return lambda ctx, params, pipeline_input: fn(host.model, ctx, params, pipeline_input)

    common = (
        ParamSpec("Name", "string[]", aliases=("ifAlias", "InterfaceAlias"), position=0),
        ParamSpec("InterfaceDescription", "string[]", aliases=("ifDesc",)),
        ParamSpec("InputObject", "object[]", from_pipeline=True),
        ParamSpec("NoRestart", "switch"),
        ParamSpec("PassThru", "switch"),
        ParamSpec("IncludeHidden", "switch"),
    )
    registry.register(CmdletSpec("Enable-NetAdapterSriov", bind(enable_sriov), common, mutating=True, module="NetAdapter"))
    registry.register(CmdletSpec("Disable-NetAdapterSriov", bind(disable_sriov), common, mutating=True, module="NetAdapter"))
    registry.register(CmdletSpec("Set-NetAdapterSriov", bind(set_sriov), (
        *common,
        ParamSpec("NumVFs", "uint32", aliases=("Vf",)),
        ParamSpec("Enabled", "bool"),
    ), mutating=True, module="NetAdapter"))
