"""Set-VMNetworkAdapterVlan (hyperv-model §2.6; DEC SetVMNetworkAdapterVlan).

The mode parameter sets are exclusive and complete or nothing: a partial set is
"Missing parameter", two sets are "Conflicting parameters" (both terminating,
from ValidateParameters). Every call clears the old settings first, so a partial
update is impossible; -Untagged removes the VLAN feature. The ID lists are parsed
per adapter (ProcessOneOperand), so a bad list is a non-terminating error.
"""

from __future__ import annotations

from typing import Any

from engine.sim.hyperv import errors as E
from engine.sim.hyperv.errors import Msg
from engine.sim.hyperv.model import HostModel, PortAdapter, Vlan
from engine.sim.hyperv.rules import HostWithModel, run_per_operand, target_adapters, to_psobj
from engine.sim.hyperv.vlanlist import VlanListFormatError, parse_vlan_list
from engine.sim.objects import CmdletError, InvocationContext
from engine.sim.registry import CmdletSpec, ParamSpec, Registry

C = "Set-VMNetworkAdapterVlan"
VLAN_MIN, VLAN_MAX = 1, 4094  # 802.1Q; enforcement choice recorded in docs/simulator-rules.md

# mode → the parameters that make its set complete (switch first)
_SETS: dict[str, tuple[str, ...]] = {
    "Untagged": ("Untagged",),
    "Access": ("Access", "VlanId"),
    "Trunk": ("Trunk", "NativeVlanId", "AllowedVlanIdList"),
}
_PRIVATE_SETS: dict[str, tuple[str, ...]] = {
    "Isolated": ("Isolated", "PrimaryVlanId", "SecondaryVlanId"),
    "Community": ("Community", "PrimaryVlanId", "SecondaryVlanId"),
    "Promiscuous": ("Promiscuous", "PrimaryVlanId", "SecondaryVlanIdList"),
}
_UNKNOWN, _MISSING, _CONFLICT = "Unknown", "Missing", "Conflict"


def _present(params: dict[str, Any], name: str) -> bool:
    value = params.get(name)
    return value is not None and value is not False


def _match(params: dict[str, Any], names: tuple[str, ...], mode: str) -> str:
    given = [_present(params, n) for n in names]
    if all(given):
        return mode
    return _UNKNOWN if not any(given) else _MISSING


def _private_set(params: dict[str, Any]) -> str:
    results = [r for r in (_match(params, names, m) for m, names in _PRIVATE_SETS.items()) if r != _UNKNOWN]
    if not results:
        return _UNKNOWN
    complete = [r for r in results if r != _MISSING]
    if len(complete) == 1:
        return complete[0]
    return _CONFLICT if len(results) > 1 else _MISSING


def vlan_parameter_set(params: dict[str, Any]) -> str:
    """ComputeVlanParameterSet: the one complete mode, or a terminating InvalidArgument."""
    results = [_match(params, names, mode) for mode, names in _SETS.items()] + [_private_set(params)]
    results = [r for r in results if r != _UNKNOWN]
    if len(results) > 1:
        raise CmdletError(E.invalid_argument(C, Msg.VLAN_CONFLICT))
    if not results or results[0] == _MISSING:
        raise CmdletError(E.invalid_argument(C, Msg.VLAN_MISSING))
    if results[0] == _CONFLICT:
        raise CmdletError(E.invalid_argument(C, Msg.VLAN_CONFLICT))
    return results[0]


def _id_list(text: Any) -> list[int]:
    try:
        return parse_vlan_list(str(text))
    except VlanListFormatError:
        raise CmdletError(E.invalid_argument(C, Msg.VLAN_LIST_FORMAT, str(text))) from None


def _check_ids(ids: list[int], lo: int = VLAN_MIN) -> None:
    for value in ids:
        if not lo <= value <= VLAN_MAX:
            raise CmdletError(E.invalid_argument(C, Msg.VLAN_ID_RANGE.format(value=value), str(value)))


def build_vlan(mode: str, params: dict[str, Any]) -> Vlan:
    """The new VLAN setting for one adapter (old settings are cleared first)."""
    if mode == "Access":
        vlan_id = int(params["VlanId"])
        _check_ids([vlan_id])  # -Access -VlanId 0 fails (windows-powershell-docs#2543)
        return Vlan(mode="Access", access_vlan_id=vlan_id)
    if mode == "Trunk":
        native = int(params["NativeVlanId"])
        _check_ids([native], lo=0)  # native 0 with a trunk is used in practice (hyperv-model §2.6)
        allowed = _id_list(params["AllowedVlanIdList"])
        _check_ids(allowed)
        return Vlan(mode="Trunk", native_vlan_id=native, allowed_vlan_ids=allowed)
    primary = int(params["PrimaryVlanId"])
    _check_ids([primary])
    if mode == "Promiscuous":
        secondaries = _id_list(params["SecondaryVlanIdList"])
        _check_ids(secondaries)
        return Vlan(mode="Private", private_vlan_mode=mode, primary_vlan_id=primary, secondary_vlan_ids=secondaries)
    secondary = int(params["SecondaryVlanId"])
    _check_ids([secondary])
    return Vlan(mode="Private", private_vlan_mode=mode, primary_vlan_id=primary, secondary_vlan_id=secondary)


def set_vmnetworkadaptervlan(
    model: HostModel, ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]
) -> list[Any]:
    mode = vlan_parameter_set(params)

    def one(adapter: PortAdapter) -> Any:
        if mode == "Untagged":
            adapter.vlan = Vlan()  # removes the feature; no -Passthru output (DEC)
            return None
        adapter.vlan = build_vlan(mode, params)
        return to_psobj("vlan", model, adapter) if params.get("Passthru") else None

    targets = target_adapters(ctx, C, model, params, pipeline_input, name_param="VMNetworkAdapterName")
    return run_per_operand(ctx, targets, one)


def register(registry: Registry, host: HostWithModel) -> None:
    def handler(ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]) -> list[Any]:
        return set_vmnetworkadaptervlan(host.model, ctx, params, pipeline_input)

    registry.register(CmdletSpec(C, handler, (
        ParamSpec("VMName", "string[]", position=0),
        ParamSpec("VM", "object[]", from_pipeline=True),
        ParamSpec("ManagementOS", "switch"),
        ParamSpec("VMNetworkAdapterName", "string"),
        ParamSpec("VMNetworkAdapter", "object[]", from_pipeline=True),
        ParamSpec("Untagged", "switch", aliases=("u",)),
        ParamSpec("Access", "switch", aliases=("a",)),
        ParamSpec("VlanId", "int", aliases=("AccessVlanId",)),
        ParamSpec("Trunk", "switch", aliases=("t",)),
        ParamSpec("NativeVlanId", "int"),
        ParamSpec("AllowedVlanIdList", "string"),
        ParamSpec("Isolated", "switch", aliases=("i",)),
        ParamSpec("Community", "switch", aliases=("c",)),
        ParamSpec("Promiscuous", "switch", aliases=("p",)),
        ParamSpec("PrimaryVlanId", "int"),
        ParamSpec("SecondaryVlanId", "int"),
        ParamSpec("SecondaryVlanIdList", "string"),
        ParamSpec("Passthru", "switch", aliases=("PassThru",)),
    ), mutating=True))
