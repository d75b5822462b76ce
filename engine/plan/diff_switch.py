"""VMSwitch: create / update in place / replace (creation-only settings) / delete."""

from __future__ import annotations

from typing import Any

from engine.apply.steps import ChangeContext
from engine.model.resources import UNSET, VMSwitch
from engine.observe.model import NetAdapter, Switch
from engine.plan.context import HostContext, SwitchOutcome, uplink_selector
from engine.plan.diff_common import make_change
from engine.plan.model import AttributeDiff, Change
from engine.plan.normalize import same_enum
from engine.plan.preflight import check_uplinks
from engine.plan.resolve import describe_selector, select_nics, unique_switch
from engine.plan.switch_replace import affected_dependents, replacement_ports, replacement_vnics

CREATION_ONLY_REASON = "{key} cannot change after creation"
SWITCH_KEYS_IN_ORDER = (
    "type", "uplinks", "embeddedTeaming", "loadBalancingAlgorithm", "enableIov", "allowManagementOS",
    "minimumBandwidthMode", "defaultFlowMinimumBandwidthWeight", "enablePacketDirect", "notes",
)


def _resolve_uplinks(hc: HostContext, res: VMSwitch, observed: Switch | None) -> list[NetAdapter] | None:
    """Resolved uplink NICs; None when the selector is unmanaged or an error was recorded."""
    sel = uplink_selector(res)
    if sel is None:
        return None
    nics = select_nics(sel, hc.observed)
    if not nics:
        hc.error(res, f"uplinks {describe_selector(sel)} match no NIC on host {hc.host}", "spec.uplinks")
        return None
    problems = check_uplinks(hc, nics, observed)
    for msg in problems:
        hc.error(res, msg, "spec.uplinks")
    return None if problems else nics


def _effective_desired(res: VMSwitch, nics: list[NetAdapter] | None) -> dict[str, Any]:
    """Managed keys with implied values filled in (embeddedTeaming with 2+ uplinks)."""
    want = dict(res.managed())
    if nics is not None:
        want["uplinks"] = [n.name for n in nics]
        if "embeddedTeaming" not in want and len(nics) >= 2:
            want["embeddedTeaming"] = True
    else:
        want.pop("uplinks", None)
    return want


def _management(hc: HostContext, observed: Switch | None, nics: list[NetAdapter] | None) -> str:
    if observed is not None and observed.id in hc.mgmt.switch_ids:
        return f"switch {observed.name}"
    for nic in nics or []:
        if nic.name.casefold() in hc.mgmt.nic_names:
            return f"NIC {nic.name}"
    return ""


def diff_switch(hc: HostContext, res: VMSwitch) -> Change | None:
    observed, ambiguous = unique_switch(hc.observed, res.name)
    if ambiguous:
        hc.error(res, ambiguous, "metadata.name")
        hc.switches[res.name.casefold()] = SwitchOutcome(res.address, "failed", reason=ambiguous)
        return None
    if res.ensure == "absent":
        return _diff_absent(hc, res, observed)
    nics = _resolve_uplinks(hc, res, observed)
    if uplink_selector(res) is not None and nics is None:
        hc.switches[res.name.casefold()] = SwitchOutcome(res.address, "failed")
        return None
    want = _effective_desired(res, nics)
    mgmt = _management(hc, observed, nics)
    if observed is None:
        return _diff_create(hc, res, want, mgmt)
    return _diff_existing(hc, res, observed, want, mgmt)


def _diff_absent(hc: HostContext, res: VMSwitch, observed: Switch | None) -> Change:
    if observed is None:
        hc.switches[res.name.casefold()] = SwitchOutcome(res.address, "noop")
        return make_change(res, "noop", "already absent")
    hc.switches[res.name.casefold()] = SwitchOutcome(res.address, "delete")
    ports = replacement_ports(hc, res, observed, reconnect=False)
    dependents, warnings = affected_dependents(hc, observed, "removed with the switch")
    ctx = ChangeContext(res, "delete", hc.observed, switch=observed, reattach=ports)
    return make_change(res, "delete", "ensure: absent", ctx=ctx, risks=["switch-recreate"], dependents=dependents,
                       warnings=warnings, management=_management(hc, observed, None))


def _diff_create(hc: HostContext, res: VMSwitch, want: dict[str, Any], mgmt: str) -> Change:
    if "type" not in want:
        want["type"] = "External" if want.get("uplinks") else "Internal"
    attrs = [AttributeDiff(k, None, want[k]) for k in SWITCH_KEYS_IN_ORDER if k in want]
    external = str(want["type"]).casefold() == "external"
    hc.switches[res.name.casefold()] = SwitchOutcome(res.address, "create", iov_after=bool(want.get("enableIov")))
    ctx = ChangeContext(res, "create", hc.observed, new_switch=want)
    return make_change(res, "create", "not on the host", ctx=ctx, attributes=attrs,
                       risks=["nic-rebind" if external else "none"], management=mgmt)


def _compare(hc: HostContext, res: VMSwitch, sw: Switch, want: dict[str, Any]) -> tuple[
    list[AttributeDiff], list[str], list[str], tuple[str, ...]
]:
    """(attributes, risks, replacement reasons, default vNIC ids to remove)."""
    attrs: list[AttributeDiff] = []
    risks: list[str] = []
    forces: list[str] = []
    remove_ids: tuple[str, ...] = ()
    will_be_set = bool(want.get("embeddedTeaming", sw.embedded_teaming))

    def add(key: str, before: Any, after: Any, risk: str, force_reason: str = "") -> None:
        attrs.append(AttributeDiff(key, before, after, bool(force_reason)))
        risks.append(risk)
        if force_reason:
            forces.append(force_reason)

    if "type" in want and not same_enum(want["type"], sw.switch_type):
        why = ""
        if sw.embedded_teaming:
            why = "type cannot change on a Switch Embedded Teaming switch"
        elif sw.iov_enabled and sw.switch_type == "External":
            why = "type cannot change on an SR-IOV External switch"
        external = "external" in (str(want["type"]).casefold(), sw.switch_type.casefold())
        add("type", sw.switch_type, want["type"], "nic-rebind" if external else "vnic-blip", why)
    if "uplinks" in want:
        before = sorted(sw.uplinks, key=str.casefold)
        if {n.casefold() for n in before} != {n.casefold() for n in want["uplinks"]}:
            add("uplinks", before, want["uplinks"], "nic-rebind")
    if "embeddedTeaming" in want and bool(want["embeddedTeaming"]) != sw.embedded_teaming:
        add("embeddedTeaming", sw.embedded_teaming, want["embeddedTeaming"], "switch-recreate",
            CREATION_ONLY_REASON.format(key="embeddedTeaming"))
    lb = want.get("loadBalancingAlgorithm")
    if lb is not None and will_be_set and not same_enum(lb, sw.load_balancing_algorithm):
        add("loadBalancingAlgorithm", sw.load_balancing_algorithm or None, lb, "nic-rebind")
    if "enableIov" in want and bool(want["enableIov"]) != sw.iov_enabled:
        add("enableIov", sw.iov_enabled, want["enableIov"], "switch-recreate",
            CREATION_ONLY_REASON.format(key="enableIov"))
    if "allowManagementOS" in want:
        remove_ids = _compare_management_os(hc, res, sw, bool(want["allowManagementOS"]), add)
    mode = want.get("minimumBandwidthMode")
    if mode is not None and str(mode).casefold() != "default" and not same_enum(mode, sw.bandwidth_reservation_mode):
        add("minimumBandwidthMode", sw.bandwidth_reservation_mode, mode, "switch-recreate",
            CREATION_ONLY_REASON.format(key="minimumBandwidthMode"))
    weight = want.get("defaultFlowMinimumBandwidthWeight")
    if weight is not None and int(weight) != sw.default_flow_minimum_bandwidth_weight:
        add("defaultFlowMinimumBandwidthWeight", sw.default_flow_minimum_bandwidth_weight, weight, "none")
    if "enablePacketDirect" in want and bool(want["enablePacketDirect"]) != sw.packet_direct_enabled:
        add("enablePacketDirect", sw.packet_direct_enabled, want["enablePacketDirect"], "switch-recreate",
            CREATION_ONLY_REASON.format(key="enablePacketDirect"))
    if "notes" in want and (want["notes"] or "") != (sw.notes or ""):
        add("notes", sw.notes, want["notes"], "none")
    return attrs, risks, forces, remove_ids


def _compare_management_os(hc: HostContext, res: VMSwitch, sw: Switch, desired: bool, add: Any) -> tuple[str, ...]:
    """CONTRACT §3: compare ``allowManagementOS OR any declared host vNIC on it``."""
    if sw.switch_type != "External":
        return ()
    declared = hc.declared_vnics_on(res.name)
    effective = desired or bool(declared)
    if effective != sw.allow_management_os:
        if not desired and not sw.allow_management_os:
            # Only declared host vNICs want it true, and creating them makes it so: adding the
            # default vNIC here would contradict allowManagementOS: false (seen after a partial apply).
            return ()
        add("allowManagementOS", sw.allow_management_os, effective, "vnic-blip")
        return ()
    if not desired and declared:
        declared_names = {v.name.casefold() for v in declared}
        default = [
            a for a in hc.adapters_on_switch(sw.id)
            if a.is_management_os and a.name.casefold() == sw.name.casefold() and a.name.casefold() not in declared_names
        ]
        if default:
            add("allowManagementOS", True, False, "vnic-blip")
            return tuple(sorted(a.id for a in default))
    return ()


def _diff_existing(hc: HostContext, res: VMSwitch, sw: Switch, want: dict[str, Any], mgmt: str) -> Change:
    attrs, risks, forces, remove_ids = _compare(hc, res, sw, want)
    key = res.name.casefold()
    if forces:
        iov_after = bool(want.get("enableIov", sw.iov_enabled))
        hc.switches[key] = SwitchOutcome(res.address, "replace", iov_after=iov_after)
        settings = _replacement_settings(sw, want)
        ports = replacement_ports(hc, res, sw, reconnect=True)
        vnics = replacement_vnics(hc, res, sw, settings)
        dependents, warnings = affected_dependents(hc, sw, "IP configuration is lost")
        ctx = ChangeContext(res, "replace", hc.observed, switch=sw, new_switch=settings, reattach=ports,
                            recreate_vnics=vnics)
        reason = "forces replacement: " + "; ".join(forces)
        return make_change(res, "replace", reason, ctx=ctx, attributes=attrs, risks=[*risks, "switch-recreate"],
                           dependents=dependents, warnings=warnings, management=mgmt)
    hc.switches[key] = SwitchOutcome(res.address, "update" if attrs else "noop", iov_after=sw.iov_enabled)
    if not attrs:
        return make_change(res, "noop", "in sync")
    dependents = ()
    warnings: list[str] = []
    if any(a.name == "allowManagementOS" and a.after is False for a in attrs) and not remove_ids:
        dependents, warnings = affected_dependents(hc, sw, "removed by Set-VMSwitch -AllowManagementOS $false",
                                                   host_vnics_only=True)
    ctx = ChangeContext(res, "update", hc.observed, switch=sw, new_switch=want, remove_vnic_ids=remove_ids)
    changed = ", ".join(a.name for a in attrs)
    return make_change(res, "update", f"{changed} can change in place", ctx=ctx, attributes=attrs, risks=risks,
                       dependents=dependents, warnings=warnings, management=mgmt)


def _replacement_settings(sw: Switch, want: dict[str, Any]) -> dict[str, Any]:
    """The new switch: desired values where managed, the observed ones otherwise."""
    settings: dict[str, Any] = {
        "type": sw.switch_type,
        "uplinks": list(sw.uplinks),
        "embeddedTeaming": sw.embedded_teaming,
        "enableIov": sw.iov_enabled,
        "enablePacketDirect": sw.packet_direct_enabled,
        "notes": sw.notes,
    }
    if sw.bandwidth_reservation_mode and sw.bandwidth_reservation_mode != "Default":
        settings["minimumBandwidthMode"] = sw.bandwidth_reservation_mode
    if sw.embedded_teaming and sw.load_balancing_algorithm:
        settings["loadBalancingAlgorithm"] = sw.load_balancing_algorithm
    settings.update({k: v for k, v in want.items() if v is not UNSET})
    if str(settings["type"]).casefold() == "external":
        settings["allowManagementOS"] = False  # host vNICs are recreated one by one, by name
    return settings
