"""Consent: what ``apply`` may change without asking, and the interactive yes/no.

Refusals are decided from the plan value alone, before anything runs (CONTRACT §7):

- a change on the management path (risk ``management-path``: the NIC, switch, host
  vNIC or VLAN that carries hvnet's own connection) needs ``--allow-management-path``
  — a mistake there cuts the connection that would be needed to repair it;
- any disruptive change needs ``--allow-disruptive``;
- an interactive run asks; only the answer ``yes`` proceeds. Without a TTY on stdin
  and without ``--auto-approve`` nothing can be asked, so the run is refused.

A saved plan (``apply --plan``) is its own approval: no question, but the two flags
still apply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from engine.errors import ApplyRefused
from engine.plan.model import Change, Plan

__all__ = ["Consent", "ask_yes_no", "awaiting_approval", "check_consent", "refusal_lines"]


@dataclass(frozen=True)
class Consent:
    allow_disruptive: bool = False
    allow_management_path: bool = False


def _label(host: str, change: Change) -> str:
    target = f" [{change.target}]" if change.target else ""
    return f"{change.address}{target} ({change.action}, risk {change.risk})"


def refusal_lines(plan: Plan, consent: Consent) -> list[str]:
    """One line per change that the given flags do not allow (empty: allowed)."""
    lines: list[str] = []
    for host in plan.hosts:
        for change in host.pending:
            if change.action == "blocked":
                continue
            if change.risk == "management-path" and not consent.allow_management_path:
                lines.append(f"{_label(host.name, change)}: touches the management path (it carries hvnet's own "
                             "connection to the host); needs --allow-management-path")
            elif change.disruptive and not consent.allow_disruptive:
                lines.append(f"{_label(host.name, change)}: disruptive; needs --allow-disruptive")
    return lines


def awaiting_approval(plan: Plan, consent: Consent) -> dict[str, list[str]]:
    """Per host, the addresses of changes the flags do not allow (for reports)."""
    out: dict[str, list[str]] = {}
    for host in plan.hosts:
        waiting = [
            c.address
            for c in host.pending
            if c.action != "blocked"
            and (
                (c.risk == "management-path" and not consent.allow_management_path)
                or (c.disruptive and not consent.allow_disruptive)
            )
        ]
        out[host.name] = waiting
    return out


def check_consent(plan: Plan, consent: Consent) -> None:
    """Raise ``ApplyRefused`` naming each change the flags do not allow; nothing has run yet."""
    lines = refusal_lines(plan, consent)
    if lines:
        count = len(lines)
        raise ApplyRefused(
            f"refusing to apply: {count} change{'s' if count != 1 else ''} need{'s' if count == 1 else ''} "
            "explicit consent; nothing was changed:\n  " + "\n  ".join(lines)
        )


def ask_yes_no(
    question: str,
    *,
    stdin: IO[str],
    stderr: IO[str],
    isatty: Callable[[], bool] | None = None,
) -> bool:
    """Ask on stderr, read one line from stdin; True only for ``yes``.

    Raises ``ApplyRefused`` when stdin is not a terminal (nobody can answer).
    """
    interactive = isatty() if isatty is not None else bool(getattr(stdin, "isatty", lambda: False)())
    if not interactive:
        raise ApplyRefused(
            "refusing to apply: stdin is not a terminal, so nobody can approve the plan; "
            "run with --auto-approve (or save it with `plan --out` and `apply --plan`). Nothing was changed."
        )
    stderr.write(f"{question}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ")
    stderr.flush()
    answer = stdin.readline()
    return answer.strip() == "yes"
