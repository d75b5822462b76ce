"""Add-/Remove-/Rename-/Set-VMNetworkAdapter and Connect-/Disconnect-VMNetworkAdapter.

Rules (hyperv-model §2.4/§2.5/§4; DEC AddVMNetworkAdapter, SetVMNetworkAdapter,
ConnectVMNetworkAdapter): hot add/remove only on running generation 2 VMs;
legacy adapters only on generation 1 and only while off; per-VM adapter limits
by OS build; static MACs normalized and only changed while the VM is off;
host vNICs refuse VM-only parameters; -SwitchName must match exactly one switch
for a VM adapter but adds a host vNIC to EVERY match with -ManagementOS;
minimum bandwidth follows the switch's reservation mode; bandwidth values are
rounded down to a multiple of 8.
"""

from __future__ import annotations

from typing import Any

from engine.sim.hyperv import errors as E
from engine.sim.hyperv.errors import Msg, binding_error
from engine.sim.hyperv.model import VM, Bandwidth, HostModel, MacPoolExhausted, PortAdapter, VSwitch
from engine.sim.hyperv.rules import (
    VSID_MAX,
    VSID_MIN,
    HostWithModel,
    check_range,
    is_multicast,
    normalize_mac,
    round_down_8,
    run_per_operand,
    single_switch,
    switches_by_name,
    target_adapters,
    target_vms,
    to_psobj,
)
from engine.sim.objects import CmdletError, InvocationContext
from engine.sim.registry import CmdletSpec, ParamSpec, Registry

MAX_LEGACY_ADAPTERS = 4  # WSD SCALE
UNASSIGNED_MAC = "000000000000"
# Parameters Set-VMNetworkAdapter refuses on a host vNIC (DEC SetVMNetworkAdapter.ConfigureConnectionSettings)
_VM_ONLY = ("StaticMacAddress", "DynamicMacAddress", "MandatoryFeatureId", "ResourcePoolName", "NotMonitoredInCluster")


def _vm_error(c: str, template: str, vm: VM, **extra: Any) -> CmdletError:
    return CmdletError(E.invalid_state(c, template.format(vm=vm.name, vm_id=vm.id.upper(), **extra), vm.name))


def _mac_params(c: str, params: dict[str, Any]) -> str | None:
    """Validate -StaticMacAddress/-DynamicMacAddress up front (terminating, as NormalizeParameters)."""
    static = params.get("StaticMacAddress")
    mac = normalize_mac(c, str(static)) if static not in (None, "") else None
    if mac is not None and params.get("DynamicMacAddress"):
        raise CmdletError(E.invalid_argument(c, Msg.STATIC_AND_DYNAMIC))
    return mac


# --- host vNICs (shared with cmdlets_switch) -----------------------------------------


def add_host_vnic(model: HostModel, sw: VSwitch, name: str, mac: str | None) -> PortAdapter:
    """A host (internal) port on ``sw``; ``mac`` None draws from the dynamic pool."""
    vnic = PortAdapter(
        id=f"Microsoft:{model.new_guid('HostVNic', name).upper()}",
        name=name,
        vm_id=None,
        switch_id=sw.id,
        connected=True,
        mac=mac if mac is not None else model.allocate_mac(),
        dynamic_mac=mac is None,
        created=model.next_seq(),
    )
    model.adapters.append(vnic)
    return vnic


def remove_host_vnics(model: HostModel, vnics: list[PortAdapter]) -> None:
    """Remove host ports. A NIC's addresses are stored on the NIC; where they show (the NIC, or the
    vNIC carrying its MAC) is derived on read (cmdlets_read_net.ip_rows), so nothing moves here."""
    for vnic in vnics:
        model.adapters.remove(vnic)


# --- Add-VMNetworkAdapter -----------------------------------------------------------


def add_vmnetworkadapter(model: HostModel, ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]) -> list[Any]:
    c = "Add-VMNetworkAdapter"
    static_mac = _mac_params(c, params)
    passthru = bool(params.get("Passthru"))
    if params.get("ManagementOS"):
        if params.get("IsLegacy") is not None or params.get("VMName") or pipeline_input:
            raise CmdletError(binding_error(c, "AmbiguousParameterSet", E.AMBIGUOUS_PARAMETER_SET))
        if params.get("SwitchName") is None:
            raise CmdletError(binding_error(
                c, "MissingMandatoryParameter",
                "Cannot process command because of one or more missing mandatory parameters: SwitchName."))
        # DEC AddVMNetworkAdapter: -SwitchName is a wildcard; a vNIC is added to EVERY match
        switches = switches_by_name(ctx, c, model, [str(params["SwitchName"])])

        def host_one(sw: Any) -> Any:
            try:
                vnic = add_host_vnic(model, sw, str(params.get("Name") or sw.name), static_mac)
            except MacPoolExhausted:
                raise CmdletError(E.invalid_operation(c, Msg.HOST_MAC_POOL_EXHAUSTED.format(switch=sw.name))) from None
            return to_psobj("adapter", model, vnic) if passthru else None

        return run_per_operand(ctx, switches, host_one)

    legacy = bool(params.get("IsLegacy", False))
    name = str(params.get("Name") or ("Legacy Network Adapter" if legacy else "Network Adapter"))

    def vm_one(vm: VM) -> Any:
        existing = model.vm_adapters(vm.id)
        if legacy:
            if vm.generation == 2:
                raise CmdletError(E.invalid_argument(c, Msg.LEGACY_GEN2, vm.name))
            if vm.state != "Off":
                raise _vm_error(c, Msg.LEGACY_WHILE_RUNNING, vm)
            if sum(a.is_legacy for a in existing) >= MAX_LEGACY_ADAPTERS:
                raise _vm_error(c, Msg.TOO_MANY_ADAPTERS, vm, device="Emulated Ethernet Port", limit=MAX_LEGACY_ADAPTERS)
        else:
            if vm.state != "Off" and vm.generation == 1:  # hot add: Gen2 only (WSD NEW)
                raise _vm_error(c, Msg.HOT_ADD_GEN1, vm)
            limit = model.max_synthetic_adapters
            if sum(not a.is_legacy for a in existing) >= limit:
                raise _vm_error(c, Msg.TOO_MANY_ADAPTERS, vm, device="Synthetic Ethernet Port", limit=limit)
        sw = single_switch(c, model, str(params["SwitchName"])) if params.get("SwitchName") is not None else None
        if static_mac is not None and is_multicast(static_mac):
            raise _vm_error(c, Msg.MAC_MULTICAST, vm, mac=static_mac)
        try:
            mac = static_mac or (model.allocate_mac() if vm.state == "Running" else UNASSIGNED_MAC)
        except MacPoolExhausted:
            raise _vm_error(c, Msg.MAC_POOL_EXHAUSTED, vm) from None
        adapter = PortAdapter(
            id=f"Microsoft:{vm.id.upper()}\\{model.new_guid('VMNetworkAdapter', vm.name + '/' + name).upper()}",
            name=name,
            vm_id=vm.id,
            switch_id=sw.id if sw else None,
            connected=sw is not None,
            mac=mac,
            dynamic_mac=static_mac is None,
            is_legacy=legacy,
            created=model.next_seq(),
        )
        model.adapters.append(adapter)
        return to_psobj("adapter", model, adapter) if passthru else None

    return run_per_operand(ctx, target_vms(ctx, c, model, params, pipeline_input), vm_one)


# --- Remove / Rename ----------------------------------------------------------------


def remove_vmnetworkadapter(model: HostModel, ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]) -> list[Any]:
    c = "Remove-VMNetworkAdapter"

    def one(adapter: PortAdapter) -> Any:
        vm = model.vm(adapter.vm_id)
        if vm is not None and vm.state != "Off":
            if adapter.is_legacy:
                raise _vm_error(c, Msg.LEGACY_REMOVE_WHILE_RUNNING, vm)
            if vm.generation == 1:
                raise _vm_error(c, Msg.HOT_REMOVE_GEN1, vm)
        model.adapters.remove(adapter)
        return to_psobj("adapter", model, adapter) if params.get("Passthru") else None

    return run_per_operand(ctx, target_adapters(ctx, c, model, params, pipeline_input), one)


def rename_vmnetworkadapter(model: HostModel, ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]) -> list[Any]:
    c = "Rename-VMNetworkAdapter"

    def one(adapter: PortAdapter) -> Any:
        adapter.name = str(params["NewName"])
        return to_psobj("adapter", model, adapter) if params.get("Passthru") else None

    return run_per_operand(ctx, target_adapters(ctx, c, model, params, pipeline_input), one)


# --- Connect / Disconnect -----------------------------------------------------------


def connect_vmnetworkadapter(model: HostModel, ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]) -> list[Any]:
    c = "Connect-VMNetworkAdapter"
    if params.get("SwitchName") is None:
        raise CmdletError(binding_error(
            c, "MissingMandatoryParameter",
            "Cannot process command because of one or more missing mandatory parameters: SwitchName."))

    def one(adapter: PortAdapter) -> Any:
        sw = single_switch(c, model, str(params["SwitchName"]))  # SingleOrDefault per adapter
        adapter.switch_id, adapter.connected = sw.id, True  # works on running VMs too
        return to_psobj("adapter", model, adapter) if params.get("Passthru") else None

    # -VMName without -Name connects ALL of the VM's adapters (DEC ConnectVMNetworkAdapter)
    return run_per_operand(ctx, target_adapters(ctx, c, model, params, pipeline_input, vm_only=True), one)


def disconnect_vmnetworkadapter(model: HostModel, ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]) -> list[Any]:
    c = "Disconnect-VMNetworkAdapter"

    def one(adapter: PortAdapter) -> Any:
        adapter.switch_id, adapter.connected = None, False
        return to_psobj("adapter", model, adapter) if params.get("Passthru") else None

    return run_per_operand(ctx, target_adapters(ctx, c, model, params, pipeline_input, vm_only=True), one)


# --- Set-VMNetworkAdapter -----------------------------------------------------------


def set_vmnetworkadapter(model: HostModel, ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]) -> list[Any]:
    c = "Set-VMNetworkAdapter"
    static_mac = _mac_params(c, params)
    if params.get("ManagementOS") and params.get("MandatoryFeatureId") is not None:
        raise CmdletError(E.invalid_argument(c, Msg.MGMT_OS_PARAM.format(param="MandatoryFeatureId")))
    check_range(c, params.get("IovWeight"), 0, 100, Msg.IOV_WEIGHT_RANGE)
    check_range(c, params.get("MinimumBandwidthWeight"), 0, 100, Msg.BW_RANGE)
    check_range(c, params.get("IovQueuePairsRequested"), 1, 2**32 - 1, Msg.IOV_QP_RANGE)
    check_range(c, params.get("VmqWeight"), 0, 100, Msg.VMQ_WEIGHT_RANGE)
    vsid = params.get("VirtualSubnetId")
    if vsid is not None and vsid != 0:
        check_range(c, vsid, VSID_MIN, VSID_MAX, Msg.VIRTUAL_SUBNET_RANGE)

    def one(adapter: PortAdapter) -> Any:
        if adapter.is_management_os:
            for name in _VM_ONLY:
                if name in params:
                    raise CmdletError(E.invalid_argument(c, Msg.MGMT_OS_PARAM.format(param=name), adapter.name))
        else:
            _set_mac(c, model, adapter, static_mac, bool(params.get("DynamicMacAddress")))
        _set_features(adapter, params)
        _set_bandwidth(c, model, adapter, params)
        return to_psobj("adapter", model, adapter) if params.get("Passthru") else None

    return run_per_operand(ctx, target_adapters(ctx, c, model, params, pipeline_input), one)


def _set_mac(c: str, model: HostModel, adapter: PortAdapter, static_mac: str | None, dynamic: bool) -> None:
    vm = model.vm(adapter.vm_id)
    changes = (static_mac is not None and (static_mac != adapter.mac or adapter.dynamic_mac)) or (
        dynamic and not adapter.dynamic_mac
    )
    if not changes or vm is None:
        return
    if vm.state != "Off":  # DSC VMHyperV: "We cannot change the MAC address whilst the VM is running"
        raise _vm_error(c, Msg.MAC_WHILE_RUNNING, vm)
    if static_mac is not None:
        if is_multicast(static_mac):
            raise _vm_error(c, Msg.MAC_MULTICAST, vm, mac=static_mac)
        adapter.mac, adapter.dynamic_mac = static_mac, False
    else:
        adapter.dynamic_mac = True  # the address is kept until the pool reassigns it at power-on


def _on(value: Any) -> bool:
    return str(value) == "On"


def _set_features(adapter: PortAdapter, params: dict[str, Any]) -> None:
    flags = {"MacAddressSpoofing": "mac_spoofing", "DhcpGuard": "dhcp_guard", "RouterGuard": "router_guard",
             "DeviceNaming": "device_naming"}
    for param, attr in flags.items():
        if params.get(param) is not None:
            setattr(adapter, attr, _on(params[param]))
    numbers = {"IovWeight": "iov_weight", "IovQueuePairsRequested": "iov_qp_requested", "VmqWeight": "vmq_weight",
               "VirtualSubnetId": "virtual_subnet_id"}
    for param, attr in numbers.items():
        if params.get(param) is not None:
            setattr(adapter, attr, int(params[param]))
    if params.get("IovInterruptModeration") is not None:
        adapter.iov_interrupt_moderation = str(params["IovInterruptModeration"])


def _set_bandwidth(c: str, model: HostModel, adapter: PortAdapter, params: dict[str, Any]) -> None:
    maximum = params.get("MaximumBandwidth")
    absolute = params.get("MinimumBandwidthAbsolute")
    weight = params.get("MinimumBandwidthWeight")
    if maximum is None and absolute is None and weight is None:
        return
    sw = model.switch(adapter.switch_id)
    if sw is not None and (absolute is not None or weight is not None):
        if sw.bandwidth_mode == "None":  # InvalidParameter_InvalidBandwidthReservationMode
            raise CmdletError(E.invalid_argument(c, Msg.BW_MODE_NONE.format(switch=sw.name), adapter.name))
        kind, wanted = ("absolute", "Absolute") if absolute is not None else ("weight", "Weight")
        if sw.bandwidth_mode != wanted:
            raise CmdletError(E.invalid_argument(
                c, Msg.BW_MODE_MISMATCH.format(kind=kind, switch=sw.name, mode=sw.bandwidth_mode), adapter.name))
    bw = adapter.bandwidth or Bandwidth()
    if maximum is not None:
        bw.maximum = round_down_8(int(maximum))
    if absolute is not None:
        bw.minimum_absolute = round_down_8(int(absolute))
    if weight is not None:
        bw.minimum_weight = int(weight)
    adapter.bandwidth = bw


# --- registration -------------------------------------------------------------------

_ON_OFF = "enum:On|Off"
_PASSTHRU = ParamSpec("Passthru", "switch", aliases=("PassThru",))
_ADAPTER_OBJ = ParamSpec("VMNetworkAdapter", "object[]", from_pipeline=True)
_VM_OBJ = ParamSpec("VM", "object[]", from_pipeline=True)


def _selectors(name_kind: str = "string") -> tuple[ParamSpec, ...]:
    return (
        ParamSpec("VMName", "string[]", position=0),
        _VM_OBJ,
        ParamSpec("ManagementOS", "switch"),
        ParamSpec("Name", name_kind, aliases=("VMNetworkAdapterName",)),
        _ADAPTER_OBJ,
    )


def register(registry: Registry, host: HostWithModel) -> None:
    def bind(fn: Any) -> Any:
        return lambda ctx, params, pipeline_input: fn(host.model, ctx, params, pipeline_input)

    mac_params = (ParamSpec("StaticMacAddress", "string"), ParamSpec("DynamicMacAddress", "switch"))
    specs = [
        CmdletSpec("Add-VMNetworkAdapter", bind(add_vmnetworkadapter), (
            ParamSpec("VMName", "string[]", position=0), _VM_OBJ,
            ParamSpec("ManagementOS", "switch"),
            ParamSpec("Name", "string", aliases=("VMNetworkAdapterName",)),
            ParamSpec("SwitchName", "string"),
            ParamSpec("IsLegacy", "bool"),
            *mac_params,
            ParamSpec("DeviceNaming", _ON_OFF),
            _PASSTHRU,
        ), mutating=True),
        CmdletSpec("Remove-VMNetworkAdapter", bind(remove_vmnetworkadapter), (
            *_selectors(), ParamSpec("SwitchName", "string"), _PASSTHRU,
        ), mutating=True),
        CmdletSpec("Rename-VMNetworkAdapter", bind(rename_vmnetworkadapter), (
            *_selectors(), ParamSpec("NewName", "string", mandatory=True), _PASSTHRU,
        ), mutating=True),
        CmdletSpec("Connect-VMNetworkAdapter", bind(connect_vmnetworkadapter), (
            ParamSpec("VMName", "string[]", position=0),
            ParamSpec("Name", "string[]", position=1),
            _ADAPTER_OBJ,
            ParamSpec("SwitchName", "string", position=2),
            _PASSTHRU,
        ), mutating=True),
        CmdletSpec("Disconnect-VMNetworkAdapter", bind(disconnect_vmnetworkadapter), (
            ParamSpec("VMName", "string[]", position=0),
            ParamSpec("Name", "string[]", position=1),
            _ADAPTER_OBJ,
            _PASSTHRU,
        ), mutating=True),
        CmdletSpec("Set-VMNetworkAdapter", bind(set_vmnetworkadapter), (
            *_selectors(),
            *mac_params,
            ParamSpec("MacAddressSpoofing", _ON_OFF),
            ParamSpec("DhcpGuard", _ON_OFF),
            ParamSpec("RouterGuard", _ON_OFF),
            ParamSpec("DeviceNaming", _ON_OFF),
            ParamSpec("IovWeight", "uint32"),
            ParamSpec("IovQueuePairsRequested", "uint32"),
            ParamSpec("IovInterruptModeration", "enum:Default|Adaptive|Off|Low|Medium|High"),
            ParamSpec("VmqWeight", "uint32"),
            ParamSpec("VirtualSubnetId", "uint32"),
            ParamSpec("MaximumBandwidth", "int64"),
            ParamSpec("MinimumBandwidthAbsolute", "int64"),
            ParamSpec("MinimumBandwidthWeight", "uint32"),
            ParamSpec("MandatoryFeatureId", "string[]"),
            ParamSpec("ResourcePoolName", "string"),
            ParamSpec("NotMonitoredInCluster", "bool"),
            _PASSTHRU,
        ), mutating=True),
    ]
    for spec in specs:
        registry.register(spec)
