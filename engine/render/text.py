"""The human plan: Terraform-like grammar, grouped by host, from the plan value."""

from __future__ import annotations

from engine.plan.model import Change, HostPlan, Plan
from engine.render.common import SYMBOLS, VERBS, WORDS, risk_label, show_step, show_value, shown, summary_line

_COLORS = {"+": "32", "~": "33", "-/+": "35", "-": "31", "!": "31;1"}
_BOLD, _DIM, _RED = "1", "2", "31"


class _Paint:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text


def _change_lines(c: Change, paint: _Paint) -> list[str]:
    sym = SYMBOLS[c.action]
    head = f"  {paint(sym.rjust(3), _COLORS[sym])} {paint(c.address, _BOLD)} {VERBS[c.action]}"
    risk = risk_label(c)
    if risk:
        head += f"  [risk: {paint(risk, _RED) if c.disruptive else risk}]"
    lines = [head]
    if c.action in ("replace", "delete", "blocked"):
        # Destructive reasons stand on their own line so they cannot be missed.
        lines.append("      " + paint(f"# {c.reason}", _RED))
    else:
        lines.append(f"      # {c.reason}")
    for a in c.attributes:
        mark = "+" if a.before is None and c.action == "create" else "~"
        text = f"{a.name}: {show_value(a.after)}" if mark == "+" else f"{a.name}: {show_value(a.before)} -> {show_value(a.after)}"
        if a.forces_replacement:
            text += paint("  # forces replacement", _RED)
        lines.append(f"      {mark} {text}")
    if c.dependents:
        lines.append("      dependents:")
        for d in c.dependents:
            who = f"{d.vm}/{d.name}" if d.vm else d.name
            state = "managed" if d.managed else "unmanaged"
            note = f": {d.note}" if d.note else ""
            lines.append(f"        - {d.kind} {who} ({state}){note}")
    for w in c.warnings:
        lines.append("      " + paint(f"warning: {w}", "33"))
    if c.requires:
        lines.append("      after: " + ", ".join(c.requires))
    if c.steps:
        lines.append("      steps:")
        lines.extend(paint(f"        {s.id}. {show_step(s)}", _DIM) for s in c.steps)
    return lines


def _host_lines(host: HostPlan, paint: _Paint) -> list[str]:
    lines = [paint(f"Host {host.name}", _BOLD)]
    if host.observed_fingerprint:
        lines.append(f"  observed: {host.observed_fingerprint}")
    changes = shown(host)
    for c in changes:
        lines.append("")
        lines.extend(_change_lines(c, paint))
    in_sync = sum(1 for c in host.changes if c.action == "noop")
    if not changes and not host.errors:
        lines.append(f"  no changes ({in_sync} resource{'s' if in_sync != 1 else ''} in sync)")
    elif in_sync:
        lines.append("")
        lines.append(f"  {in_sync} resource{'s' if in_sync != 1 else ''} in sync")
    if host.errors:
        lines.append("")
        lines.append(paint("  errors (not planned):", _RED))
        for e in host.errors:
            where = f"{e.position}: " if e.position else ""
            what = f"{e.address}: " if e.address else ""
            lines.append(paint(f"    ✗ {where}{what}{e.message}", _RED))
    if host.unmanaged:
        lines.append("")
        lines.append("  unmanaged (reported, never changed):")
        lines.extend(f"    {u}" for u in host.unmanaged)
    return lines


def render_text(plan: Plan, color: bool = False) -> str:
    paint = _Paint(color)
    lines: list[str] = []
    for host in plan.hosts:
        lines.extend(_host_lines(host, paint))
        lines.append("")
    used = sorted({c.action for h in plan.hosts for c in shown(h)}, key=list(SYMBOLS).index)
    if used:
        legend = ", ".join(f"{paint(SYMBOLS[a], _COLORS[SYMBOLS[a]])} {WORDS[a]}" for a in used)
        lines.append(f"Legend: {legend}")
    lines.append(paint(summary_line(plan), _BOLD))
    return "\n".join(lines) + "\n"
