"""The plan as a pull-request comment: summary table, one <details> per host, a Mermaid
diagram of the part of the topology that changes."""

from __future__ import annotations

from engine.plan.model import Change, HostPlan, Plan
from engine.render.common import (
    SYMBOLS,
    WORDS,
    host_counts,
    risk_label,
    show_step,
    show_value,
    shown,
    summary_line,
)

_ICONS = {"create": "➕", "update": "🔧", "replace": "♻️", "delete": "🗑️", "blocked": "⛔"}


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return "`" + text.replace("`", "ˋ") + "`"


def _mermaid_label(text: str) -> str:
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def _mermaid(host: HostPlan, changes: list[Change]) -> list[str]:
    ids = {c.address: f"c{i}" for i, c in enumerate(changes, 1)}
    lines = ["```mermaid", "flowchart LR"]
    for c in changes:
        parts = [f"{c.kind} {c.name}" + (f" ({c.target})" if c.target else ""), WORDS[c.action]]
        if c.disruptive:
            parts.append(c.risk)
        lines.append(f'  {ids[c.address]}["{"<br/>".join(_mermaid_label(p) for p in parts)}"]')
    n = 0
    for c in changes:
        for req in c.requires:
            if req in ids:
                lines.append(f"  {ids[req]} --> {ids[c.address]}")
        for d in c.dependents:
            n += 1
            who = f"{d.vm}/{d.name}" if d.vm else d.name
            lines.append(f'  d{n}(["{_mermaid_label(f"{d.kind} {who}")}"])')
            lines.append(f"  {ids[c.address]} -.-> d{n}")
    lines.append("```")
    return lines


def _change_block(c: Change) -> list[str]:
    diff_lines = [f"{SYMBOLS[c.action]} {c.address}  # {c.reason}"]
    for a in c.attributes:
        force = "  # forces replacement" if a.forces_replacement else ""
        diff_lines.append(f"    {a.name}: {show_value(a.before)} -> {show_value(a.after)}{force}")
    for d in c.dependents:
        who = f"{d.vm}/{d.name}" if d.vm else d.name
        diff_lines.append(f"    dependent {d.kind} {who}" + (f": {d.note}" if d.note else ""))
    for w in c.warnings:
        diff_lines.append(f"    warning: {w}")
    for s in c.steps:
        diff_lines.append(f"    {s.id}. {show_step(s)}")
    return ["```", *diff_lines, "```"]


def _host_section(host: HostPlan) -> list[str]:
    counts = host_counts(host)
    changes = shown(host)
    parts = [f"{counts[a]} {WORDS[a]}" for a in counts if counts[a]]
    title = ", ".join(parts) if parts else "no changes"
    if host.errors:
        title += f", {len(host.errors)} error{'s' if len(host.errors) != 1 else ''}"
    lines = [f"<details><summary><b>{host.name}</b>: {title}</summary>", ""]
    if changes:
        lines += ["| | Address | Action | Risk | Reason |", "|---|---|---|---|---|"]
        for c in changes:
            risk = risk_label(c)
            risk = f"⚠️ {risk}" if c.disruptive else risk
            lines.append(f"| {_ICONS[c.action]} | {_code(c.address)} | {WORDS[c.action]} | {risk} | {_cell(c.reason)} |")
        lines.append("")
        for c in changes:
            lines += _change_block(c)
        lines.append("")
        lines += _mermaid(host, changes)
        lines.append("")
    if host.errors:
        lines.append("**Errors (not planned):**")
        lines.append("")
        for e in host.errors:
            where = f"{_code(e.position)} " if e.position else ""
            what = f"{_code(e.address)}: " if e.address else ""
            lines.append(f"- {where}{what}{_cell(e.message)}")
        lines.append("")
    if host.unmanaged:
        lines.append("Unmanaged (reported, never changed): " + ", ".join(_code(u) for u in host.unmanaged))
        lines.append("")
    lines.append("</details>")
    return lines


def render_markdown(plan: Plan) -> str:
    lines = ["## hvnet plan", "", f"**{summary_line(plan)}**", ""]
    lines += ["| Host | Create | Update | Replace | Destroy | Blocked | Disruptive | Errors |",
              "|---|---|---|---|---|---|---|---|"]
    for host in plan.hosts:
        c = host_counts(host)
        disruptive = sum(1 for ch in host.changes if ch.disruptive)
        lines.append(f"| {_cell(host.name)} | {c['create']} | {c['update']} | {c['replace']} | {c['delete']} | "
                     f"{c['blocked']} | {disruptive} | {len(host.errors)} |")
    lines.append("")
    for host in plan.hosts:
        lines += _host_section(host)
        lines.append("")
    return "\n".join(lines)
