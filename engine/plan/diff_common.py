"""Assembling a ``Change``: risk of its parts, management-path escalation, steps."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from engine.apply.steps import ChangeContext, steps_for
from engine.model.resources import Resource
from engine.observe.model import Adapter
from engine.plan.model import DISRUPTIVE_RISKS, AttributeDiff, Change, Dependent, worst_risk
from engine.plan.normalize import observed_mac, observed_vlan
from engine.transport.command import Step

MANAGEMENT_WARNING = (
    "this change touches the management path ({what} carries hvnet's own connection); "
    "apply needs --allow-management-path"
)


def make_change(
    res: Resource,
    action: str,
    reason: str,
    *,
    ctx: ChangeContext | None = None,
    attributes: list[AttributeDiff] | tuple[AttributeDiff, ...] = (),
    risks: list[str] | tuple[str, ...] = (),
    dependents: list[Dependent] | tuple[Dependent, ...] = (),
    warnings: list[str] | tuple[str, ...] = (),
    management: str = "",
) -> Change:
    """``management`` names the management-path object touched ("" = none)."""
    attrs = tuple(attributes)
    pending = action not in ("noop", "blocked")
    risk = worst_risk(risks) if pending else "none"
    warns = tuple(warnings)
    if management and pending:
        risk = "management-path"
        warns = (MANAGEMENT_WARNING.format(what=management), *warns)
    steps: tuple[Step, ...] = ()
    if ctx is not None:
        if ctx.action != action or ctx.attributes != attrs:  # replace() is slow: only when needed
            ctx = replace(ctx, action=action, attributes=attrs)
        steps = steps_for(ctx)
    # Positional (address, kind, name, action, reason, disruptive, risk, attributes,
    # dependents, steps, target, requires, warnings): keywords cost a third more, per change.
    return Change(res.address, res.kind, res.name, action, reason, risk in DISRUPTIVE_RISKS, risk, attrs,
                  tuple(dependents), steps, res.target, (), warns)


def failed_dependency(res: Resource, dep_address: str) -> str:
    return f"not planned: it depends on {dep_address}, which cannot be planned"


def observed_port_settings(adapter: Adapter) -> dict[str, Any]:
    """The port settings worth restoring after a re-attach (non-default values only)."""
    out: dict[str, Any] = {}
    vlan = observed_vlan(adapter.vlan)
    if vlan["mode"] in ("access", "trunk"):
        out["vlan"] = vlan
    if adapter.iov_weight:
        out["iovWeight"] = adapter.iov_weight
    if adapter.maximum_bandwidth:
        out["maximumBandwidth"] = adapter.maximum_bandwidth
    if adapter.minimum_bandwidth_weight:
        out["minimumBandwidthWeight"] = adapter.minimum_bandwidth_weight
    if adapter.is_management_os and not adapter.dynamic_mac_address:
        out["macAddress"] = observed_mac(adapter)
    return out
