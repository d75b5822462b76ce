"""New-/Set-/Remove-/Rename-VMSwitch, Set-VMSwitchTeam, Add-/Remove-VMSwitchTeamMember.

Follows the decompiled Hyper-V module (hyperv-model §2.1/§2.2, DEC NewVMSwitch,
SetVMSwitch, VMSwitch.ConfigureConnections/ChangeSwitchType): parameter
validation is terminating; what fails on one switch is written as a
non-terminating error and the other switches go on. Creation-only settings
(EnableIov, MinimumBandwidthMode, EnableEmbeddedTeaming, EnablePacketDirect, Id)
are simply not parameters of Set-VMSwitch, so the binder refuses them.
"""

from __future__ import annotations

from typing import Any

from engine.sim.hyperv import errors as E
from engine.sim.hyperv.cmdlets_adapter import add_host_vnic, remove_host_vnics
from engine.sim.hyperv.errors import Msg, binding_error
from engine.sim.hyperv.model import HostModel, MacPoolExhausted, Nic, VSwitch
from engine.sim.hyperv.rules import (
    HostWithModel,
    as_list,
    check_nics_free,
    check_range,
    check_team,
    find_nics,
    parse_guid,
    round_down_8,
    run_per_operand,
    target_switches,
    to_psobj,
)
from engine.sim.objects import CmdletError, ErrorRecord, InvocationContext
from engine.sim.registry import CmdletSpec, ParamSpec, Registry


def _bind_external(model: HostModel, sw: VSwitch, nics: list[Nic], allow_management_os: bool) -> None:
    """Bind the external port, with the default host vNIC carrying the first NIC's MAC. The NIC's
    IP configuration then shows on that vNIC, or is lost to the host without one (hyperv-model §3);
    that is derived on read from the binding (cmdlets_read_net.ip_rows), not moved here."""
    sw.uplinks = [n.name for n in nics]
    if allow_management_os:
        add_host_vnic(model, sw, sw.name, nics[0].mac)


def _pool_error(cmdlet: str, sw_name: str) -> CmdletError:
    return CmdletError(
        E.invalid_operation(cmdlet, Msg.HOST_MAC_POOL_EXHAUSTED.format(switch=sw_name))
    )


# --- New-VMSwitch -----------------------------------------------------------------


def new_vmswitch(model: HostModel, ctx: InvocationContext, params: dict[str, Any], _input: list[Any]) -> list[Any]:
    c = "New-VMSwitch"
    name = str(params["Name"])
    nic_names = [str(n) for n in as_list(params.get("NetAdapterName"))]
    descs = [str(d) for d in as_list(params.get("NetAdapterInterfaceDescription"))]
    switch_type = params.get("SwitchType")
    external = bool(nic_names or descs)
    teaming = params.get("EnableEmbeddedTeaming")
    if switch_type is not None and (external or teaming):
        raise CmdletError(binding_error(c, "AmbiguousParameterSet", E.AMBIGUOUS_PARAMETER_SET))
    if switch_type is None and not external:
        raise CmdletError(
            binding_error(c, "MissingMandatoryParameter",
                          "Cannot process command because of one or more missing mandatory parameters: NetAdapterName.")
        )
    count = len(nic_names) + len(descs)
    if teaming is None:
        teaming = count > 1  # DEC NewVMSwitch: more than one NIC implies SET
    elif not teaming and count > 1:
        raise CmdletError(E.invalid_argument(c, Msg.NON_TEAMING_MULTIPLE))
    sid = parse_guid(c, params["Id"]) if params.get("Id") is not None else model.new_guid("VMSwitch", name)
    try:
        nics = find_nics(c, model, nic_names, descs) if external else []
        if model.switch(sid) is not None:
            raise CmdletError(E.invalid_operation(c, f"A virtual switch with id '{sid}' already exists.", sid))
        check_nics_free(c, model, nics)
        if teaming:
            check_team(c, nics)
    except CmdletError as err:
        ctx.write_error(err.record)
        return []
    iov = bool(params.get("EnableIov", False))
    sw = VSwitch(
        id=sid,
        name=name,
        notes=str(params.get("Notes") or ""),
        iov_enabled=iov,
        embedded_teaming=bool(teaming),
        packet_direct=bool(params.get("EnablePacketDirect", False)),
        bandwidth_mode=model.resolve_bandwidth_mode(str(params.get("MinimumBandwidthMode") or "Default"), iov),
        lb_algorithm=model.default_lb_algorithm if teaming else None,
        teaming_mode="SwitchIndependent" if teaming else None,
        created=model.next_seq(),
    )
    model.switches.append(sw)
    try:
        if external:
            allow = params.get("AllowManagementOS")
            _bind_external(model, sw, nics, True if allow is None else bool(allow))
        elif switch_type == "Internal":
            add_host_vnic(model, sw, name, None)
    except MacPoolExhausted:
        model.switches.remove(sw)  # DEC NewVMSwitch rolls back a half-made switch
        ctx.write_error(_pool_error(c, name).record)
        return []
    return [to_psobj("switch", model, sw)]


# --- Set-VMSwitch -----------------------------------------------------------------


def set_vmswitch(model: HostModel, ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]) -> list[Any]:
    c = "Set-VMSwitch"
    nic_name = params.get("NetAdapterName")
    desc = params.get("NetAdapterInterfaceDescription")
    switch_type = params.get("SwitchType")
    if switch_type is None and (nic_name or desc):
        switch_type = "External"  # DEC SetVMSwitch.NormalizeParameters
    allow = params.get("AllowManagementOS")
    if allow is None and switch_type == "External":
        allow = True
    if switch_type == "External" and not nic_name and not desc:
        raise CmdletError(E.invalid_argument(c, Msg.SET_NO_NIC))
    if allow and switch_type not in (None, "External"):
        raise CmdletError(E.invalid_argument(c, Msg.ALLOW_MGMT_EXTERNAL_ONLY))
    absolute = params.get("DefaultFlowMinimumBandwidthAbsolute")
    weight = params.get("DefaultFlowMinimumBandwidthWeight")
    if absolute is not None and weight is not None:
        raise CmdletError(
            E.invalid_argument(c, Msg.MUTUALLY_EXCLUSIVE.format(
                a="DefaultFlowMinimumBandwidthAbsolute", b="DefaultFlowMinimumBandwidthWeight"))
        )
    check_range(c, weight, 0, 100, Msg.BW_RANGE)

    def one(sw: VSwitch) -> Any:
        if params.get("Notes") is not None:
            sw.notes = str(params["Notes"])
        current = model.switch_type(sw)
        new_type = switch_type or current
        new_allow = model.allow_management_os(sw) if allow is None else bool(allow)
        if sw.embedded_teaming and (nic_name or desc or new_type != current):
            raise CmdletError(E.invalid_argument(c, Msg.TEAMING_CANNOT_CHANGE, sw.name))
        _configure_connections(c, model, sw, new_type, new_allow, nic_name, desc)
        _default_flow(c, sw, absolute, weight)
        return to_psobj("switch", model, sw) if params.get("Passthru") else None

    return run_per_operand(ctx, target_switches(ctx, c, model, params, pipeline_input), one)


def _default_flow(c: str, sw: VSwitch, absolute: int | None, weight: int | None) -> None:
    """Default-flow reservation follows the switch's mode (a weight on an Absolute switch, or any
    reservation on a None switch, is refused by VMMS — choice in docs/simulator-rules.md)."""
    if absolute is None and weight is None:
        return
    kind, wanted = ("absolute", "Absolute") if absolute is not None else ("weight", "Weight")
    if sw.bandwidth_mode == "None":
        raise CmdletError(E.invalid_argument(c, Msg.BW_MODE_NONE.format(switch=sw.name), sw.name))
    if sw.bandwidth_mode != wanted:
        raise CmdletError(
            E.invalid_argument(c, Msg.BW_MODE_MISMATCH.format(kind=kind, switch=sw.name, mode=sw.bandwidth_mode), sw.name)
        )
    if absolute is not None:
        sw.default_flow_min_bw_absolute = round_down_8(int(absolute))
    else:
        sw.default_flow_min_bw_weight = int(weight or 0)


def _configure_connections(
    c: str, model: HostModel, sw: VSwitch, new_type: str, allow: bool, nic_name: Any, desc: Any
) -> None:
    """VMSwitch.ConfigureConnections / ChangeSwitchType (DEC VMSwitch)."""
    current = model.switch_type(sw)
    names = [str(nic_name)] if nic_name else []
    descs = [str(desc)] if desc else []
    try:
        if current != new_type:
            _change_type(c, model, sw, current, new_type, allow, names, descs)
        elif current == "External":
            uplinks = model.uplink_nics(sw)
            if not uplinks:
                raise CmdletError(E.object_not_found(c, Msg.EXTERNAL_PORT_NOT_FOUND.format(name=sw.name), sw.name))
            mac = uplinks[0].mac
            if names or descs:
                nics = find_nics(c, model, names, descs)
                check_nics_free(c, model, nics, own=sw)
                sw.uplinks = [n.name for n in nics]
                mac = nics[0].mac
            if model.allow_management_os(sw) != allow:
                if allow:
                    add_host_vnic(model, sw, sw.name, mac)
                else:  # $false removes EVERY host vNIC on the switch (hyperv-model §2.1)
                    remove_host_vnics(model, model.host_vnics_on_switch(sw.id))
    except MacPoolExhausted:
        raise _pool_error(c, sw.name) from None


def _change_type(
    c: str, model: HostModel, sw: VSwitch, current: str, new_type: str, allow: bool,
    names: list[str], descs: list[str],
) -> None:
    if current == "External" and sw.iov_enabled:
        raise CmdletError(E.invalid_argument(c, Msg.IOV_CANNOT_CHANGE_TYPE, sw.name))
    if new_type == "Private":
        sw.uplinks = []
        remove_host_vnics(model, model.host_vnics_on_switch(sw.id))
        return
    if current in ("Private", "Internal"):
        add_internal = new_type == "Internal" or allow
        if new_type == "External":
            nics = find_nics(c, model, names, descs)
            check_nics_free(c, model, nics, own=sw)
            _bind_external(model, sw, nics, add_internal)
        elif add_internal:
            add_host_vnic(model, sw, sw.name, None)
        return
    # External → Internal: drop the external port and the host vNIC(s) carrying the NIC's MAC;
    # if no host vNIC would be left, add one named after the switch.
    uplinks = model.uplink_nics(sw)
    nic_mac = uplinks[0].mac if uplinks else ""
    vnics = model.host_vnics_on_switch(sw.id)
    default_vnics = [v for v in vnics if v.mac.casefold() == nic_mac.casefold()]
    remove_host_vnics(model, default_vnics)
    sw.uplinks = []
    if len(vnics) <= len(default_vnics):
        add_host_vnic(model, sw, sw.name, None)


# --- Remove-VMSwitch / Rename-VMSwitch ----------------------------------------------


def remove_vmswitch(model: HostModel, ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]) -> list[Any]:
    c = "Remove-VMSwitch"
    targets = target_switches(ctx, c, model, params, pipeline_input)
    if targets and not params.get("Force"):
        # ShouldContinue over a non-interactive remote session (DEC RemoveVMSwitch prompts unless -Force)
        raise CmdletError(
            ErrorRecord(
                message=(
                    "A command that prompts the user failed because the host program or the command type "
                    "does not support user interaction. The host was attempting to request confirmation "
                    f"with the following message: Are you sure you want to remove virtual switch \"{targets[0].name}\"?"
                ),
                fully_qualified_error_id=f"HostException,Microsoft.HyperV.PowerShell.Commands.{E.cmdlet_class(c)}",
                category="NotImplemented",
                exception_type="System.Management.Automation.Host.HostException",
                activity=c,
            )
        )

    def one(sw: VSwitch) -> None:
        # host vNICs go with the switch; VM adapters keep a dangling connection (SwitchName null,
        # Connected stays true — hyperv-model §2.1)
        remove_host_vnics(model, model.host_vnics_on_switch(sw.id))
        model.switches.remove(sw)

    return run_per_operand(ctx, targets, one)


def rename_vmswitch(model: HostModel, ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]) -> list[Any]:
    c = "Rename-VMSwitch"
    new_name = str(params["NewName"])

    def one(sw: VSwitch) -> Any:
        sw.name = new_name  # host vNICs keep their old names (hyperv-model §2.1)
        return to_psobj("switch", model, sw) if params.get("Passthru") else None

    return run_per_operand(ctx, target_switches(ctx, c, model, params, pipeline_input), one)


# --- SET team cmdlets ---------------------------------------------------------------


def _require_team(c: str, sw: VSwitch) -> None:
    if not sw.embedded_teaming:
        raise CmdletError(E.invalid_argument(c, Msg.NOT_TEAMING.format(name=sw.name), sw.name))


def set_vmswitchteam(model: HostModel, ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]) -> list[Any]:
    c = "Set-VMSwitchTeam"
    mode = params.get("TeamingMode")
    if mode is not None and mode != "SwitchIndependent":  # WSD SET: Switch Independent only
        raise CmdletError(E.invalid_argument(c, Msg.TEAM_MODE, str(mode)))
    names = [str(n) for n in as_list(params.get("NetAdapterName"))]
    descs = [str(d) for d in as_list(params.get("NetAdapterInterfaceDescription"))]

    def one(sw: VSwitch) -> Any:
        _require_team(c, sw)
        if names or descs:
            nics = find_nics(c, model, names, descs)
            check_nics_free(c, model, nics, own=sw)
            check_team(c, nics)
            sw.uplinks = [n.name for n in nics]  # replaces the whole member list
        if params.get("LoadBalancingAlgorithm") is not None:
            sw.lb_algorithm = str(params["LoadBalancingAlgorithm"])
        if mode is not None:
            sw.teaming_mode = str(mode)
        return to_psobj("team", model, sw) if params.get("Passthru") else None

    return run_per_operand(ctx, target_switches(ctx, c, model, params, pipeline_input), one)


def add_team_member(model: HostModel, ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]) -> list[Any]:
    c = "Add-VMSwitchTeamMember"
    names = [str(n) for n in as_list(params.get("NetAdapterName"))]
    descs = [str(d) for d in as_list(params.get("NetAdapterInterfaceDescription"))]

    def one(sw: VSwitch) -> Any:
        _require_team(c, sw)
        nics = find_nics(c, model, names, descs)
        members = model.uplink_nics(sw)
        for nic in nics:
            if nic in members:
                raise CmdletError(E.invalid_argument(c, Msg.ADD_EXISTING_MEMBER.format(nic=nic.name, name=sw.name), nic.name))
        check_nics_free(c, model, nics, own=sw)
        check_team(c, members + nics)
        sw.uplinks = [*sw.uplinks, *(n.name for n in nics)]
        return to_psobj("team", model, sw) if params.get("Passthru") else None

    return run_per_operand(ctx, target_switches(ctx, c, model, params, pipeline_input, name_param="VMSwitchName"), one)


def remove_team_member(model: HostModel, ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]) -> list[Any]:
    c = "Remove-VMSwitchTeamMember"
    names = [str(n) for n in as_list(params.get("NetAdapterName"))]
    descs = [str(d) for d in as_list(params.get("NetAdapterInterfaceDescription"))]

    def one(sw: VSwitch) -> Any:
        _require_team(c, sw)
        nics = find_nics(c, model, names, descs)
        members = model.uplink_nics(sw)
        for nic in nics:
            if nic not in members:
                raise CmdletError(E.invalid_argument(c, Msg.REMOVE_NON_MEMBER.format(nic=nic.name, name=sw.name), nic.name))
        if all(m in nics for m in members):
            raise CmdletError(E.invalid_argument(c, Msg.REMOVE_ALL_MEMBERS.format(name=sw.name), sw.name))
        sw.uplinks = [u for u in sw.uplinks if all(u.casefold() != n.name.casefold() for n in nics)]
        return to_psobj("team", model, sw) if params.get("Passthru") else None

    return run_per_operand(ctx, target_switches(ctx, c, model, params, pipeline_input, name_param="VMSwitchName"), one)


# --- registration -------------------------------------------------------------------

_SWITCH_OBJ = ParamSpec("VMSwitch", "object[]", from_pipeline=True)
_PASSTHRU = ParamSpec("Passthru", "switch", aliases=("PassThru",))
_BW = "enum:Default|Weight|Absolute|None"


def register(registry: Registry, host: HostWithModel) -> None:
    def bind(fn: Any) -> Any:
        return lambda ctx, params, pipeline_input: fn(host.model, ctx, params, pipeline_input)

    names = ParamSpec("Name", "string[]", aliases=("SwitchName",), position=0)
    nic_list = ParamSpec("NetAdapterName", "string[]", aliases=("InterfaceAlias",))
    desc_list = ParamSpec("NetAdapterInterfaceDescription", "string[]", aliases=("InterfaceDescription",))
    specs = [
        CmdletSpec("New-VMSwitch", bind(new_vmswitch), (
            ParamSpec("Name", "string", aliases=("SwitchName",), position=0, mandatory=True),
            nic_list, desc_list,
            ParamSpec("SwitchType", "enum:Internal|Private"),  # ValidateSet (windowsserverdocs#7716)
            ParamSpec("AllowManagementOS", "bool"),
            ParamSpec("EnableIov", "bool"),
            ParamSpec("EnableEmbeddedTeaming", "bool"),
            ParamSpec("EnablePacketDirect", "bool"),
            ParamSpec("MinimumBandwidthMode", _BW),
            ParamSpec("Notes", "string"),
            ParamSpec("Id", "string"),
        ), mutating=True),
        CmdletSpec("Set-VMSwitch", bind(set_vmswitch), (
            names, _SWITCH_OBJ,
            ParamSpec("NetAdapterName", "string", aliases=("InterfaceAlias",)),
            ParamSpec("NetAdapterInterfaceDescription", "string"),
            ParamSpec("SwitchType", "enum:Internal|Private|External"),
            ParamSpec("AllowManagementOS", "bool"),
            ParamSpec("DefaultFlowMinimumBandwidthAbsolute", "int64"),
            ParamSpec("DefaultFlowMinimumBandwidthWeight", "int64"),
            ParamSpec("Notes", "string"),
            _PASSTHRU,
        ), mutating=True),
        CmdletSpec("Remove-VMSwitch", bind(remove_vmswitch), (
            names, _SWITCH_OBJ, ParamSpec("Force", "switch"),
        ), mutating=True),
        CmdletSpec("Rename-VMSwitch", bind(rename_vmswitch), (
            ParamSpec("Name", "string[]", aliases=("SwitchName",), position=0),
            ParamSpec("VMSwitch", "object[]", from_pipeline=True),
            ParamSpec("NewName", "string", position=1, mandatory=True),
            _PASSTHRU,
        ), mutating=True),
        CmdletSpec("Set-VMSwitchTeam", bind(set_vmswitchteam), (
            names, _SWITCH_OBJ, nic_list, desc_list,
            ParamSpec("TeamingMode", "enum:SwitchIndependent|Static|Lacp"),
            ParamSpec("LoadBalancingAlgorithm", "enum:HyperVPort|Dynamic"),
            _PASSTHRU,
        ), mutating=True),
    ]
    for noun_cmdlet, handler in (("Add-VMSwitchTeamMember", add_team_member), ("Remove-VMSwitchTeamMember", remove_team_member)):
        specs.append(CmdletSpec(noun_cmdlet, bind(handler), (
            ParamSpec("VMSwitchName", "string[]", position=0),
            _SWITCH_OBJ, nic_list, desc_list, _PASSTHRU,
        ), mutating=True))
    for spec in specs:
        registry.register(spec)
