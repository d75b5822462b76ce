"""Helpers shared by the renderers: symbols, value and command display."""

from __future__ import annotations

import json
from typing import Any

from engine.plan.model import Change, HostPlan, Plan
from engine.transport.command import Int64, Ref, Step

SYMBOLS: dict[str, str] = {"create": "+", "update": "~", "replace": "-/+", "delete": "-", "blocked": "!"}
WORDS: dict[str, str] = {
    "create": "create",
    "update": "update in-place",
    "replace": "replace",
    "delete": "destroy",
    "blocked": "blocked",
}
VERBS: dict[str, str] = {
    "create": "will be created",
    "update": "will be updated in-place",
    "replace": "will be replaced",
    "delete": "will be destroyed",
    "blocked": "is blocked",
}
SHOWN_ACTIONS = ("create", "update", "replace", "delete", "blocked")


def shown(host: HostPlan) -> list[Change]:
    return [c for c in host.changes if c.action in SHOWN_ACTIONS]


# json.dumps(value, ensure_ascii=False, separators=(", ", ": ")) without an encoder per call.
_SHOW = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))


def show_value(value: Any) -> str:
    if value is None:
        return "null"
    if type(value) is int:  # what json writes for an int; encode() would build an encoder for it
        return int.__repr__(value)
    return _SHOW.encode(value)


def _ps_value(value: Any) -> str:
    if type(value) is str:  # most parameters; str() of a subclass may differ, so exactly str
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bool):
        return "$true" if value else "$false"
    if isinstance(value, Int64):
        return str(value.value)
    if isinstance(value, Ref):
        return f"<step {value.step}>.{value.property}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return ",".join(_ps_value(v) for v in value)
    return "'" + str(value).replace("'", "''") + "'"


# Parameters that are [switch] in the cmdlets hvnet emits; every other boolean is a
# [bool] parameter (e.g. New-VMSwitch -EnableIov, Set-NetAdapterSriov -Enabled) and
# must be shown with its value to be valid PowerShell.
_SWITCHES = frozenset(
    name.casefold()
    for name in (
        "Force", "Passthru", "ManagementOS", "All", "Physical", "Access", "Trunk", "Untagged",
        "Isolated", "Community", "Promiscuous", "NoRestart", "Raw", "EQ", "NE", "Like",
        "DynamicMacAddress", "IsLegacy",
    )
)


def show_step(step: Step) -> str:
    """A display of the pipeline, PowerShell-like. Only for reading: never executed."""
    parts: list[str] = []
    for cmd in step.pipeline.commands:
        words = [cmd.name]
        for key, value in cmd.parameters:
            if value is True:
                words.append(f"-{key}" if key.casefold() in _SWITCHES else f"-{key} $true")
            elif value is False:
                words.append(f"-{key}:$false" if key.casefold() in _SWITCHES else f"-{key} $false")
            else:
                words.append(f"-{key} {_ps_value(value)}")
        parts.append(" ".join(words))
    return " | ".join(parts)


def summary_line(plan: Plan) -> str:
    counts = plan.summary()
    if not plan.has_changes:
        line = "No changes. The hosts match the manifests."
    else:
        line = (
            f"Plan: {counts['create']} to create, {counts['update']} to update, {counts['replace']} to replace, "
            f"{counts['delete']} to destroy, {counts['blocked']} blocked."
        )
    errors = sum(len(h.errors) for h in plan.hosts)
    if errors:
        line += f" {errors} error{'s' if errors != 1 else ''}: see above."
    return line


def host_counts(host: HostPlan) -> dict[str, int]:
    counts = {a: 0 for a in SHOWN_ACTIONS}
    for c in host.changes:
        if c.action in counts:
            counts[c.action] += 1
    return counts


def risk_label(change: Change) -> str:
    if change.action in ("noop", "blocked"):
        return ""
    return f"{change.risk}, disruptive" if change.disruptive else change.risk
