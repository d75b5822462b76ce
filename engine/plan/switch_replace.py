"""What a switch replacement (or deletion) does to the adapters on it.

No VM is left stranded: every VM adapter is detached before the switch goes and
re-attached (with its port settings) after it is recreated; host vNICs cannot survive
their switch, so they are recreated by name with their declared settings (or, when
hvnet does not manage them, the settings observed) — their IP configuration is lost.
"""

from __future__ import annotations

from typing import Any

from engine.apply.steps import PortSettings
from engine.model.resources import HostVNic, VMNetworkAdapter, VMSwitch, normalize_mac
from engine.observe.model import Adapter, Switch
from engine.plan.context import HostContext
from engine.plan.diff_common import observed_port_settings
from engine.plan.model import Dependent
from engine.plan.normalize import desired_vlan

PORT_KEYS = ("vlan", "iovWeight", "maximumBandwidth", "minimumBandwidthWeight")


def desired_port_settings(res: VMNetworkAdapter | HostVNic) -> dict[str, Any]:
    """Managed keys as step inputs (VLAN as a manifest dict, MAC normalized)."""
    out = res.managed()
    if "vlan" in out:
        out["vlan"] = desired_vlan(out["vlan"])
    if "macAddress" in out:
        out["macAddress"] = normalize_mac(out["macAddress"])
    return out


def _sorted(adapters: list[Adapter]) -> list[Adapter]:
    return sorted(adapters, key=lambda a: (a.vm_name.casefold(), a.name.casefold(), a.id))


def replacement_ports(hc: HostContext, res: VMSwitch, sw: Switch, *, reconnect: bool) -> tuple[PortSettings, ...]:
    """VM adapters on ``sw``: detach all; re-attach those that should stay on this switch."""
    ports: list[PortSettings] = []
    for a in _sorted([a for a in hc.adapters_on_switch(sw.id) if not a.is_management_os]):
        settings = observed_port_settings(a)
        target: str | None = res.name if reconnect else None
        declared = hc.declared_adapter(a.vm_name, a.name)
        if declared is not None:
            want = desired_port_settings(declared)
            settings.update({k: v for k, v in want.items() if k in PORT_KEYS})
            if declared.ensure == "absent" or ("switch" in want and (want["switch"] or "").casefold() != res.name.casefold()):
                target = None  # its own change moves or removes it
        settings = {k: v for k, v in settings.items() if k in PORT_KEYS}
        ports.append(PortSettings(a.name, a.vm_name, a.id, target, settings))
    return tuple(ports)


def replacement_vnics(hc: HostContext, res: VMSwitch, sw: Switch, settings: dict[str, Any]) -> tuple[PortSettings, ...]:
    """Host vNICs to recreate on the new switch, by name."""
    out: list[PortSettings] = []
    internal = str(settings.get("type", "")).casefold() == "internal"
    seen: set[str] = set()
    for a in _sorted([a for a in hc.adapters_on_switch(sw.id) if a.is_management_os]):
        key = a.name.casefold()
        if key in seen:
            continue
        seen.add(key)
        if internal and key == res.name.casefold():
            continue  # New-VMSwitch -SwitchType Internal adds this one itself
        declared = hc.declared_vnic(a.name)
        if declared is not None:
            if declared.ensure == "absent":
                continue
            if isinstance(declared.switch, str) and declared.switch.casefold() != res.name.casefold():
                continue  # its own change moves it
            port = observed_port_settings(a)
            port.update({k: v for k, v in desired_port_settings(declared).items() if k != "switch"})
        else:
            port = observed_port_settings(a)
        out.append(PortSettings(a.name, "", a.id, res.name, port))
    wants_default = bool(res.managed().get("allowManagementOS")) and not internal
    if wants_default and res.name.casefold() not in seen:
        out.append(PortSettings(res.name, "", "", res.name, {}))
    return tuple(out)


def affected_dependents(
    hc: HostContext, sw: Switch, vnic_note: str, *, host_vnics_only: bool = False
) -> tuple[list[Dependent], list[str]]:
    """Every adapter on ``sw`` (managed or not) and the warnings the plan must show."""
    dependents: list[Dependent] = []
    warnings: list[str] = []
    for a in _sorted(hc.adapters_on_switch(sw.id)):
        if a.is_management_os:
            managed = hc.declared_vnic(a.name) is not None
            dependents.append(Dependent("HostVNic", a.name, "", managed, vnic_note))
            if "IP configuration" in vnic_note:
                warnings.append(f"IP configuration of host vNIC {a.name} is lost")
            else:
                warnings.append(f"host vNIC {a.name} is {vnic_note}")
        elif not host_vnics_only:
            managed = hc.declared_adapter(a.vm_name, a.name) is not None
            dependents.append(Dependent("VMNetworkAdapter", a.name, a.vm_name, managed, "detached and re-attached"))
    return dependents, warnings
