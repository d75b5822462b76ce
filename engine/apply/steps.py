"""The exact structured cmdlets a change runs (PURE: values in, Step values out).

Addressing follows the hvnet conventions: existing objects are piped from an exact
lookup by Id (``Get-VMSwitch -Id``, ``Get-VMNetworkAdapter ... | Where-Object -Property
Id -EQ -Value <id>``); names given to wildcard parameters go through
``wildcard_escape``; bandwidth travels as Int64. Step ids here are local ("1", "2", …);
``engine.plan`` renumbers them to be unique per host.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.model.resources import Resource
from engine.observe.model import Adapter, ObservedHost, Switch
from engine.transport.command import Cmdlet, Int64, Pipeline, Ref, Step, wildcard_escape

if TYPE_CHECKING:  # engine.plan imports this module: avoid the cycle at runtime
    from engine.plan.model import AttributeDiff

ON_OFF_KEYS = {"macAddressSpoofing": "MacAddressSpoofing", "dhcpGuard": "DhcpGuard", "routerGuard": "RouterGuard"}
PLAIN_KEYS = {
    "iovWeight": "IovWeight",
    "iovQueuePairsRequested": "IovQueuePairsRequested",
    "minimumBandwidthWeight": "MinimumBandwidthWeight",
    "virtualSubnetId": "VirtualSubnetId",
}


@dataclass(frozen=True)
class PortSettings:
    """One adapter's port settings as manifest keys (what to (re)apply after attach/create)."""

    name: str
    vm: str = ""  # "" = host vNIC
    adapter_id: str = ""  # observed Id, when it exists
    switch: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)  # manifest keys: vlan, iovWeight, macAddress, ...


@dataclass(slots=True)
class ChangeContext:
    """Everything steps need for one change; built by the diff, read by ``steps_for``.

    Not frozen: one is built per change, and a frozen dataclass sets each of these 15
    fields through ``object.__setattr__`` (4 µs a change, 5 times a plain one).
    """

    resource: Resource
    action: str
    observed: ObservedHost
    attributes: tuple[AttributeDiff, ...] = ()
    switch: Switch | None = None  # VMSwitch: the observed switch
    adapter: Adapter | None = None  # VMNetworkAdapter / HostVNic: the observed adapter
    vm_id: str = ""  # VMNetworkAdapter create: the VM's Id
    new_switch: dict[str, Any] = field(default_factory=dict)  # effective settings of a switch to create
    settings: dict[str, Any] = field(default_factory=dict)  # VM adapter create: port settings to apply
    reattach: tuple[PortSettings, ...] = ()  # switch replace: VM adapters to detach and re-attach
    recreate_vnics: tuple[PortSettings, ...] = ()  # switch replace / vNIC recreate: host vNICs to (re)add
    remove_vnic_ids: tuple[str, ...] = ()  # allowManagementOS: default vNIC to remove by Id
    hnv_add: tuple[Cmdlet, ...] = ()
    hnv_remove: tuple[Pipeline, ...] = ()

    def after(self, name: str) -> Any:
        return next((a.after for a in self.attributes if a.name == name), None)

    def changed(self, name: str) -> bool:
        return any(a.name == name for a in self.attributes)


class _Builder:
    def __init__(self) -> None:
        self.steps: list[Step] = []

    def add(
        self, commands: list[Cmdlet], description: str, *, chained: bool = True, after: tuple[str, ...] | None = None
    ) -> str:
        """Append a step; by default it depends on the previous one, or exactly on ``after``.

        Fewer dependencies let the executor batch independent steps into one round trip.
        """
        sid = str(len(self.steps) + 1)
        deps = after if after is not None else (self.steps[-1].id,) if chained and self.steps else ()
        self.steps.append(Step(sid, Pipeline(tuple(commands)), description, True, deps))
        return sid


# --- object lookups (exact, by Id) -------------------------------------------------


def switch_by_id(switch_id: str | Ref) -> Cmdlet:
    return Cmdlet.of("Get-VMSwitch", Id=switch_id)


def adapter_by_id(vm: str, adapter_id: str) -> list[Cmdlet]:
    # Parameter tuples written out: one lookup per changed adapter, Cmdlet.of's dicts add up.
    first = Cmdlet("Get-VMNetworkAdapter", (("VMName", wildcard_escape(vm)),) if vm else (("ManagementOS", True),))
    return [first, Cmdlet("Where-Object", (("Property", "Id"), ("EQ", True), ("Value", adapter_id)))]


# --- parameter shaping ---------------------------------------------------------------


def vlan_params(vlan: dict[str, Any]) -> dict[str, Any]:
    mode = str(vlan.get("mode", "untagged")).casefold()
    if mode == "access":
        return {"Access": True, "VlanId": int(vlan["vlanId"])}
    if mode == "trunk":
        return {
            "Trunk": True,
            "NativeVlanId": int(vlan.get("nativeVlanId") or 0),
            "AllowedVlanIdList": str(vlan.get("allowedVlanIds", "")),
        }
    return {"Untagged": True}


def adapter_params(settings: dict[str, Any], *, host_vnic: bool = False) -> dict[str, Any]:
    """Set-VMNetworkAdapter parameters for the managed keys in ``settings`` (no vlan/switch)."""
    out: dict[str, Any] = {}
    for key, value in settings.items():
        if key in PLAIN_KEYS:
            out[PLAIN_KEYS[key]] = int(value)
        elif key in ON_OFF_KEYS:
            out[ON_OFF_KEYS[key]] = "On" if value else "Off"
        elif key == "maximumBandwidth":
            out["MaximumBandwidth"] = Int64(int(value))
        elif key == "macAddress" and not host_vnic:  # host vNIC MACs are set only when added
            if value == "dynamic":
                out["DynamicMacAddress"] = True
            else:
                out["StaticMacAddress"] = value
    return out


def _port_tail(settings: dict[str, Any], *, host_vnic: bool) -> list[Cmdlet]:
    """Commands appended after an adapter-producing command: adapter settings, then VLAN.

    Set-VMNetworkAdapter -Passthru emits the adapter; Set-VMNetworkAdapterVlan -Passthru
    emits a VMNetworkAdapterVlanSetting (PSDOC Outputs), which no later cmdlet accepts,
    so the VLAN command always comes last.
    """
    tail: list[Cmdlet] = []
    params = adapter_params(settings, host_vnic=host_vnic)
    if params and "vlan" in settings:
        params["Passthru"] = True
    if params:
        tail.append(Cmdlet.of("Set-VMNetworkAdapter", params))
    if "vlan" in settings:
        tail.append(vlan_cmdlet(settings["vlan"]))
    return tail


# Set-VMNetworkAdapterVlan -Access by VLAN id. A Cmdlet is an immutable value, and a host's
# adapters use a handful of VLANs: one shared value each, not one built per adapter.
_ACCESS_VLAN: dict[int, Cmdlet] = {}


def vlan_cmdlet(vlan: dict[str, Any]) -> Cmdlet:
    vlan_id = vlan.get("vlanId")
    if vlan.get("mode") != "access" or type(vlan_id) is not int or not 0 <= vlan_id <= 4095:
        return Cmdlet.of("Set-VMNetworkAdapterVlan", vlan_params(vlan))
    cmd = _ACCESS_VLAN.get(vlan_id)
    if cmd is None:
        cmd = _ACCESS_VLAN[vlan_id] = Cmdlet.of("Set-VMNetworkAdapterVlan", vlan_params(vlan))
    return cmd


def _add_host_vnic(b: _Builder, vnic: PortSettings, description: str) -> None:
    params: dict[str, Any] = {"ManagementOS": True, "Name": vnic.name}
    if vnic.switch:
        params["SwitchName"] = wildcard_escape(vnic.switch)
    mac = vnic.settings.get("macAddress")
    if mac and mac != "dynamic":
        params["StaticMacAddress"] = mac
    tail = _port_tail(vnic.settings, host_vnic=True)
    if tail:
        params["Passthru"] = True
    b.add([Cmdlet.of("Add-VMNetworkAdapter", params), *tail], description)


# --- per kind ------------------------------------------------------------------------


def new_switch_params(name: str, settings: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {"Name": name}
    uplinks = settings.get("uplinks") or []
    if settings.get("type", "External").casefold() == "external" and uplinks:
        params["NetAdapterName"] = list(uplinks)
        if "embeddedTeaming" in settings:
            params["EnableEmbeddedTeaming"] = bool(settings["embeddedTeaming"])
        if "allowManagementOS" in settings:
            params["AllowManagementOS"] = bool(settings["allowManagementOS"])
    else:
        params["SwitchType"] = str(settings.get("type", "Internal")).capitalize()
    if "enableIov" in settings:
        params["EnableIov"] = bool(settings["enableIov"])
    mode = settings.get("minimumBandwidthMode")
    if mode and str(mode).casefold() != "default":
        params["MinimumBandwidthMode"] = str(mode)
    if settings.get("enablePacketDirect"):
        params["EnablePacketDirect"] = True
    if settings.get("notes"):
        params["Notes"] = settings["notes"]
    return params


def _create_switch(b: _Builder, name: str, settings: dict[str, Any]) -> None:
    created = b.add([Cmdlet.of("New-VMSwitch", new_switch_params(name, settings))], f"create switch {name}")
    if settings.get("loadBalancingAlgorithm") and settings.get("embeddedTeaming"):
        b.add(
            [
                switch_by_id(Ref(created, "Id")),
                Cmdlet.of("Set-VMSwitchTeam", LoadBalancingAlgorithm=settings["loadBalancingAlgorithm"]),
            ],
            f"set load balancing on {name}",
            after=(created,),
        )
    if "defaultFlowMinimumBandwidthWeight" in settings:
        b.add(
            [
                switch_by_id(Ref(created, "Id")),
                Cmdlet.of(
                    "Set-VMSwitch", DefaultFlowMinimumBandwidthWeight=int(settings["defaultFlowMinimumBandwidthWeight"])
                ),
            ],
            f"set default flow weight on {name}",
            after=(created,),
        )


def _switch_steps(ctx: ChangeContext, b: _Builder) -> None:
    name = ctx.resource.name
    sw = ctx.switch
    if ctx.action == "create":
        _create_switch(b, name, ctx.new_switch)
        return
    assert sw is not None
    if ctx.action in ("replace", "delete"):
        for port in ctx.reattach:
            b.add([*adapter_by_id(port.vm, port.adapter_id), Cmdlet.of("Disconnect-VMNetworkAdapter")],
                  f"detach {port.vm}/{port.name}")
        b.add([switch_by_id(sw.id), Cmdlet.of("Remove-VMSwitch", Force=True)], f"remove switch {sw.name}")
        if ctx.action == "delete":
            return
        _create_switch(b, name, ctx.new_switch)
        for port in ctx.reattach:
            if port.switch is None:
                continue
            tail = _port_tail(port.settings, host_vnic=False)
            connect = {"SwitchName": wildcard_escape(port.switch)} | ({"Passthru": True} if tail else {})
            b.add(
                [*adapter_by_id(port.vm, port.adapter_id), Cmdlet.of("Connect-VMNetworkAdapter", connect), *tail],
                f"re-attach {port.vm}/{port.name}",
            )
        for vnic in ctx.recreate_vnics:
            _add_host_vnic(b, vnic, f"recreate host vNIC {vnic.name}")
        return
    # update in place
    set_params: dict[str, Any] = {}
    if ctx.changed("notes"):
        set_params["Notes"] = ctx.after("notes")
    if ctx.changed("defaultFlowMinimumBandwidthWeight"):
        set_params["DefaultFlowMinimumBandwidthWeight"] = int(ctx.after("defaultFlowMinimumBandwidthWeight"))
    if ctx.changed("type"):
        new_type = str(ctx.after("type"))
        if new_type.casefold() == "external":
            set_params.update(_bind_uplink(list(ctx.new_switch.get("uplinks") or []), sw.allow_management_os))
        else:
            set_params["SwitchType"] = new_type.capitalize()
    elif ctx.changed("uplinks") and not sw.embedded_teaming:
        set_params.update(_bind_uplink(list(ctx.after("uplinks") or []), sw.allow_management_os))
    if set_params:
        b.add([switch_by_id(sw.id), Cmdlet.of("Set-VMSwitch", set_params)], f"update switch {sw.name}")
    if ctx.changed("uplinks") and sw.embedded_teaming:
        before = {n.casefold() for n in sw.uplinks}
        after = list(ctx.after("uplinks") or [])
        after_keys = {n.casefold() for n in after}
        for nic in after:  # add first: a team may never be left empty
            if nic.casefold() not in before:
                b.add([switch_by_id(sw.id), Cmdlet.of("Add-VMSwitchTeamMember", NetAdapterName=nic)],
                      f"add team member {nic}")
        for nic in sw.uplinks:
            if nic.casefold() not in after_keys:
                b.add([switch_by_id(sw.id), Cmdlet.of("Remove-VMSwitchTeamMember", NetAdapterName=nic)],
                      f"remove team member {nic}")
    if ctx.changed("loadBalancingAlgorithm"):
        b.add([switch_by_id(sw.id), Cmdlet.of("Set-VMSwitchTeam", LoadBalancingAlgorithm=ctx.after("loadBalancingAlgorithm"))],
              f"set load balancing on {sw.name}")
    if ctx.changed("allowManagementOS"):
        if ctx.after("allowManagementOS"):
            b.add([Cmdlet.of("Add-VMNetworkAdapter", ManagementOS=True, Name=sw.name, SwitchName=wildcard_escape(name))],
                  f"add the default host vNIC of {sw.name}")
        elif ctx.remove_vnic_ids:
            for vid in ctx.remove_vnic_ids:
                b.add([*adapter_by_id("", vid), Cmdlet.of("Remove-VMNetworkAdapter")],
                      f"remove the default host vNIC of {sw.name}")
        else:
            b.add([switch_by_id(sw.id), Cmdlet.of("Set-VMSwitch", AllowManagementOS=False)],
                  f"remove every host vNIC of {sw.name}")


def _bind_uplink(uplinks: list[str], allow_management_os: bool) -> dict[str, Any]:
    """Set-VMSwitch parameters that (re)bind a non-SET switch's one uplink.

    -NetAdapterName takes a single name, and without -AllowManagementOS Hyper-V assumes
    $true and adds a host vNIC (hyperv-model §2.1 "Giving a NIC implies External, and
    AllowManagementOS then defaults to true"): pass the current value so a rebind never
    changes the host vNICs; the allowManagementOS rule handles those on its own.
    """
    return {"NetAdapterName": uplinks[0] if len(uplinks) == 1 else uplinks, "AllowManagementOS": allow_management_os}


def _adapter_steps(ctx: ChangeContext, b: _Builder, *, host_vnic: bool) -> None:
    res: Any = ctx.resource
    vm = "" if host_vnic else res.vm
    label = res.name if host_vnic else f"{res.vm}/{res.adapter_name}"
    if ctx.action == "create" or (host_vnic and ctx.action == "replace"):
        if ctx.action == "replace" and ctx.adapter is not None:
            b.add([*adapter_by_id(vm, ctx.adapter.id), Cmdlet.of("Remove-VMNetworkAdapter")], f"remove {label}")
        if host_vnic:
            for vnic in ctx.recreate_vnics:
                _add_host_vnic(b, vnic, f"create host vNIC {vnic.name}")
            return
        managed = res.managed()
        params: dict[str, Any] = {"Name": res.adapter_name}
        if managed.get("switch"):
            params["SwitchName"] = wildcard_escape(managed["switch"])
        mac = managed.get("macAddress")
        if mac and mac != "dynamic":
            params["StaticMacAddress"] = mac
        settings = {k: v for k, v in ctx.settings.items() if k not in ("switch", "macAddress")}
        tail = _port_tail(settings, host_vnic=False)
        if tail:
            params["Passthru"] = True
        b.add([Cmdlet.of("Get-VM", Id=ctx.vm_id), Cmdlet.of("Add-VMNetworkAdapter", params), *tail], f"add {label}")
        return
    assert ctx.adapter is not None
    lookup = adapter_by_id(vm, ctx.adapter.id)
    if ctx.action == "delete":
        b.add([*lookup, Cmdlet.of("Remove-VMNetworkAdapter")], f"remove {label}")
        return
    # One pipeline per adapter: the exact lookup, then each changed part passed along.
    tail = _port_tail({a.name: a.after for a in ctx.attributes if a.name != "switch"}, host_vnic=host_vnic)
    what = [a.name for a in ctx.attributes]
    if "switch" in what:
        target = ctx.after("switch")
        passthru = {"Passthru": True} if tail else {}
        if target is None:
            tail.insert(0, Cmdlet.of("Disconnect-VMNetworkAdapter", passthru))
        else:
            tail.insert(0, Cmdlet.of("Connect-VMNetworkAdapter", {"SwitchName": wildcard_escape(target)} | passthru))
    if tail:
        b.add([*lookup, *tail], f"update {label}: {', '.join(what)}")


def _hnv_steps(ctx: ChangeContext, b: _Builder) -> None:
    # Records are independent of each other (a lookup record may name a remote host's PA);
    # only a re-added record must wait for the removals, which free its key.
    removed = tuple(
        b.add(list(pipe.commands), f"remove {pipe.commands[-1].name.removeprefix('Remove-NetVirtualization')}", after=())
        for pipe in ctx.hnv_remove
    )
    for cmd in ctx.hnv_add:
        b.add([cmd], f"add {cmd.name.removeprefix('New-NetVirtualization')}", after=removed)


def _sriov_steps(ctx: ChangeContext, b: _Builder) -> None:
    nic = getattr(ctx.resource, "nic", "")
    escaped = wildcard_escape(nic)
    if ctx.changed("enabled") and ctx.after("enabled") is False:
        b.add([Cmdlet.of("Disable-NetAdapterSriov", Name=escaped)], f"disable SR-IOV on {nic}")
        return
    if ctx.changed("enabled") and ctx.changed("numVFs"):
        # One Set-NetAdapterSriov with -Enabled and -NumVFs: one NIC restart, not two.
        b.add(
            [Cmdlet.of("Get-NetAdapterSriov", Name=escaped),
             Cmdlet.of("Set-NetAdapterSriov", Enabled=True, NumVFs=int(ctx.after("numVFs")))],
            f"enable SR-IOV with {ctx.after('numVFs')} VFs on {nic} (the NIC restarts)",
        )
        return
    if ctx.changed("enabled"):
        b.add([Cmdlet.of("Enable-NetAdapterSriov", Name=escaped)], f"enable SR-IOV on {nic}")
    if ctx.changed("numVFs"):
        b.add(
            [Cmdlet.of("Get-NetAdapterSriov", Name=escaped),
             Cmdlet.of("Set-NetAdapterSriov", NumVFs=int(ctx.after("numVFs")), NoRestart=False)],
            f"set {ctx.after('numVFs')} VFs on {nic} (the NIC restarts)",
        )


def steps_for(ctx: ChangeContext) -> tuple[Step, ...]:
    """The steps of one change, in order, each depending on the one before."""
    if ctx.action in ("noop", "blocked"):
        return ()
    b = _Builder()
    kind = ctx.resource.kind
    if kind == "VMSwitch":
        _switch_steps(ctx, b)
    elif kind == "VMNetworkAdapter":
        _adapter_steps(ctx, b, host_vnic=False)
    elif kind == "HostVNic":
        _adapter_steps(ctx, b, host_vnic=True)
    elif kind == "SriovPolicy":
        _sriov_steps(ctx, b)
    elif kind == "NetworkVirtualization":
        _hnv_steps(ctx, b)
    return tuple(b.steps)
