"""VM network adapters and host vNICs: port settings, attach/detach, create/remove."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from engine.apply.steps import ChangeContext, PortSettings
from engine.model.resources import HostVNic, VMNetworkAdapter
from engine.observe.model import VM, Adapter
from engine.plan.context import HostContext
from engine.plan.diff_common import failed_dependency, make_change, observed_port_settings
from engine.plan.model import AttributeDiff, Change
from engine.plan.normalize import observed_mac, observed_vlan, vlan_key
from engine.plan.resolve import unique_switch
from engine.plan.switch_replace import PORT_KEYS, desired_port_settings

KEY_RISK = {"iovWeight": "vf-fallback"}  # every other adapter key: vnic-blip (CONTRACT §7)


def observed_switch(a: Adapter) -> str | None:
    """The switch an adapter is on. Host vNICs always sit on their switch (their
    Connected flag reads false on real hosts too), VM adapters only when connected."""
    if a.is_management_os:
        return a.switch_name
    return a.switch_name if a.connected else None


# Manifest key -> Adapter attribute, for the keys compared as plain values.
_PLAIN_ATTRS = {
    "iovWeight": "iov_weight",
    "iovQueuePairsRequested": "iov_queue_pairs_requested",
    "macAddressSpoofing": "mac_address_spoofing",
    "dhcpGuard": "dhcp_guard",
    "routerGuard": "router_guard",
    "maximumBandwidth": "maximum_bandwidth",
    "minimumBandwidthWeight": "minimum_bandwidth_weight",
    "virtualSubnetId": "virtual_subnet_id",
}


def observed_value(a: Adapter, key: str) -> Any:
    if key == "switch":
        return observed_switch(a)
    if key == "vlan":
        return observed_vlan(a.vlan)
    if key == "macAddress":
        return observed_mac(a)
    return getattr(a, _PLAIN_ATTRS[key])


def _equal(key: str, want: Any, have: Any) -> bool:
    if key == "switch":
        return (want or "").casefold() == (have or "").casefold()
    if key == "vlan":
        return vlan_key(want) == vlan_key(have)
    if isinstance(want, bool) or isinstance(have, bool):
        return bool(want) == bool(have)
    return bool(want == have)


def compare_ports(want: dict[str, Any], a: Adapter) -> list[AttributeDiff]:
    # observed_value and _equal written out for the two keys every adapter has: two
    # calls fewer per key, for every adapter of the host.
    diffs: list[AttributeDiff] = []
    for key, value in want.items():
        if key == "switch":
            have = a.switch_name if a.is_management_os or a.connected else None  # observed_switch
            if (value or "").casefold() != (have or "").casefold():
                diffs.append(AttributeDiff(key, have, value))
            continue
        if key == "vlan":
            have = observed_vlan(a.vlan)
            if vlan_key(value) != vlan_key(have):
                diffs.append(AttributeDiff(key, have, value))
            continue
        if key == "macAddress" and a.is_management_os:
            # Host vNICs report no DynamicMacAddressEnabled (hyperv-model §1.4): only the
            # address itself can be compared, and "dynamic" cannot be checked at all.
            if value != "dynamic" and value != a.mac_address:
                diffs.append(AttributeDiff(key, a.mac_address, value))
            continue
        have = observed_value(a, key)
        if not _equal(key, value, have):
            diffs.append(AttributeDiff(key, have, value))
    return diffs


def check_switch_ref(hc: HostContext, res: VMNetworkAdapter | HostVNic, name: str, iov_weight: int) -> bool:
    """The referenced switch exists (or is planned) and is IOV when iovWeight > 0."""
    declared = hc.declared_switch(name)
    iov_after: bool | None
    if declared is not None:
        outcome = hc.switches.get(name.casefold())
        if declared.ensure == "absent":
            hc.error(res, f"switch {name} is declared ensure: absent", "spec.switch")
            return False
        if outcome is None or outcome.action == "failed":
            hc.error(res, failed_dependency(res, declared.address), "spec.switch")
            return False
        iov_after = outcome.iov_after
    else:
        sw, ambiguous = unique_switch(hc.observed, name)
        if ambiguous:
            hc.error(res, ambiguous, "spec.switch")
            return False
        if sw is None:
            hc.error(res, f"switch {name} is neither on host {hc.host} nor declared", "spec.switch")
            return False
        iov_after = sw.iov_enabled
    if iov_weight > 0 and iov_after is False:
        hc.error(res, f"iovWeight {iov_weight} needs an SR-IOV switch, but switch {name} is not IOV-enabled",
                 "spec.iovWeight")
        return False
    return True


def _target_switch_ok(hc: HostContext, res: VMNetworkAdapter | HostVNic, want: dict[str, Any], a: Adapter | None) -> bool:
    target = want.get("switch", observed_switch(a) if a is not None else None)
    if not target:
        return True
    return check_switch_ref(hc, res, target, int(want.get("iovWeight") or 0))


def _stays(want: dict[str, Any], a: Adapter) -> bool:
    return "switch" not in want or (want["switch"] or "").casefold() == (a.switch_name or "").casefold()


def _hot_plug_ok(vm: VM) -> bool:
    """Adapters can be added/removed on an Off VM or a running Gen2 VM (hyperv-model §2.4)."""
    return vm.state == "Off" or (vm.state == "Running" and vm.generation == 2)


def _blocked(hc: HostContext, res: VMNetworkAdapter, vm: VM, attrs: list[AttributeDiff], why: str) -> Change:
    reason = f"needs VM {vm.name} to be off ({why}; it is {vm.state})"
    hc.error(res, f"blocked: needs VM {vm.name} to be off ({why})", "spec")
    return make_change(res, "blocked", reason, attributes=attrs)


def diff_vm_adapter(hc: HostContext, res: VMNetworkAdapter) -> Change | None:
    vms = hc.vms_named(res.vm)
    if len(vms) != 1:
        msg = (f"VM {res.vm} is not on host {hc.host}" if not vms
               else f"ambiguous: {len(vms)} VMs on host {hc.host} are named {res.vm!r}")
        hc.error(res, msg, "spec.vm")
        return None
    vm = vms[0]
    found = hc.vm_adapters_named(res.vm, res.adapter_name)
    if len(found) > 1:
        hc.error(res, f"ambiguous: VM {vm.name} has {len(found)} adapters named {res.adapter_name!r}", "spec.adapterName")
        return None
    a = found[0] if found else None
    want = desired_port_settings(res)
    if res.ensure == "absent":
        if a is None:
            return make_change(res, "noop", "already absent")
        if not _hot_plug_ok(vm):
            return _blocked(hc, res, vm, [], "removing an adapter")
        return make_change(res, "delete", "ensure: absent", ctx=ChangeContext(res, "delete", hc.observed, adapter=a))
    if not _target_switch_ok(hc, res, want, a):
        return None
    if a is None:
        attrs = [AttributeDiff(k, None, v) for k, v in want.items()]
        if not _hot_plug_ok(vm):
            return _blocked(hc, res, vm, attrs, "adding an adapter")
        ctx = ChangeContext(res, "create", hc.observed, tuple(attrs), vm_id=vm.id, settings=want)
        return make_change(res, "create", "not on the host", ctx=ctx, attributes=ctx.attributes)
    attrs = compare_ports(want, a)
    outcome = hc.switches.get((observed_switch(a) or "").casefold())
    if outcome is not None and outcome.action == "replace" and _stays(want, a):
        # The replacement re-attaches this adapter with its declared port settings.
        attrs = [d for d in attrs if d.name not in PORT_KEYS]
        if not attrs:
            return make_change(res, "noop", f"port settings applied by the replacement of {outcome.address}")
    if not attrs:
        return make_change(res, "noop", "in sync")
    names = [d.name for d in attrs]
    if "macAddress" in names and vm.state != "Off":
        return _blocked(hc, res, vm, attrs, "a MAC address change")
    risks = [KEY_RISK.get(name, "vnic-blip") for name in names]
    ctx = ChangeContext(res, "update", hc.observed, tuple(attrs), adapter=a)
    return make_change(res, "update", f"{', '.join(names)} can change in place", ctx=ctx,
                       attributes=ctx.attributes, risks=risks)


def diff_host_vnic(hc: HostContext, res: HostVNic) -> Change | None:
    found = hc.host_vnics_named(res.name)
    if len(found) > 1:
        hc.error(res, f"ambiguous: {len(found)} host vNICs on host {hc.host} are named {res.name!r}", "metadata.name")
        return None
    a = found[0] if found else None
    mgmt = ""
    if res.management or (a is not None and a.id in hc.mgmt.vnic_ids):
        mgmt = f"host vNIC {res.name}"
    want = desired_port_settings(res)
    if res.ensure == "absent":
        if a is None:
            return make_change(res, "noop", "already absent")
        ctx = ChangeContext(res, "delete", hc.observed, adapter=a)
        return make_change(res, "delete", "ensure: absent", ctx=ctx, risks=["vnic-blip"], management=mgmt)
    if a is None and not isinstance(want.get("switch"), str):
        hc.error(res, "a new host vNIC needs spec.switch", "spec.switch")
        return None
    if not _target_switch_ok(hc, res, want, a):
        return None
    if a is None:
        attrs = [AttributeDiff(k, None, v) for k, v in want.items()]
        port = PortSettings(res.name, "", "", want["switch"], {k: v for k, v in want.items() if k != "switch"})
        ctx = ChangeContext(res, "create", hc.observed, recreate_vnics=(port,))
        return make_change(res, "create", "not on the host", ctx=ctx, attributes=attrs, risks=["vnic-blip"],
                           management=mgmt)
    outcome = hc.switches.get((a.switch_name or "").casefold())
    if outcome is not None and outcome.action == "replace" and _stays(want, a):
        return make_change(res, "noop", f"recreated with its declared settings by the replacement of {outcome.address}")
    attrs = compare_ports(want, a)
    if not attrs:
        return make_change(res, "noop", "in sync")
    recreate = [d.name for d in attrs if d.name in ("macAddress", "switch")]
    if recreate:
        attrs = [replace(d, forces_replacement=d.name in recreate) for d in attrs]
        settings = observed_port_settings(a)
        settings.update({k: v for k, v in want.items() if k != "switch"})
        target = want.get("switch", a.switch_name)
        port = PortSettings(res.name, "", a.id, target, settings)
        ctx = ChangeContext(res, "replace", hc.observed, adapter=a, recreate_vnics=(port,))
        reason = "forces replacement: " + "; ".join(
            f"{k} of a host vNIC can only be set when it is created" for k in recreate)
        return make_change(res, "replace", reason, ctx=ctx, attributes=attrs, risks=["switch-recreate"],
                           warnings=[f"IP configuration of host vNIC {res.name} is lost"], management=mgmt)
    ctx = ChangeContext(res, "update", hc.observed, adapter=a)
    return make_change(res, "update", f"{', '.join(d.name for d in attrs)} can change in place", ctx=ctx,
                       attributes=attrs, risks=["vnic-blip"], management=mgmt)
