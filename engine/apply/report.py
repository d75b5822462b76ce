"""The result document of ``apply --report`` (and ``drift --report``): CONTRACT §5.

It is the plan document plus, per host:

- ``status``: ``unreachable`` (could not be read) › ``failed`` (a change failed, was
  skipped or did not verify; or the host's plan had errors) › ``drift`` (changes remain:
  awaiting approval, blocked) › ``fixed`` (this run changed it and it verified) ›
  ``in-sync`` (nothing to do);
- ``fixed``: addresses changed by this run (applied and verified);
- ``awaiting_approval``: disruptive changes not made for lack of consent;
- ``errors``: the plan's errors and every failure of this run (``{message, address}``);
- ``results``: each change's outcome (``applied|failed|skipped|blocked|unverified|not-run``).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from engine.apply.executor import APPLIED, ChangeResult
from engine.plan.model import HostPlan, Plan

__all__ = [
    "DRIFT",
    "FAILED_STATUS",
    "FIXED",
    "IN_SYNC",
    "UNREACHABLE",
    "HostOutcome",
    "build_report",
    "host_status",
    "write_report",
]

IN_SYNC, DRIFT, FIXED, FAILED_STATUS, UNREACHABLE = "in-sync", "drift", "fixed", "failed", "unreachable"
NOT_RUN = "not-run"


@dataclass
class HostOutcome:
    """What one run did to one host (filled by apply / drift)."""

    host: str
    unreachable: bool = False
    results: list[ChangeResult] = field(default_factory=list)
    awaiting_approval: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. a cut round trip, settled by re-reading
    verified: bool = False  # the host was re-read after this run's changes and matched

    @property
    def fixed(self) -> list[str]:
        return [r.address for r in self.results if r.status == APPLIED]

    @property
    def failed(self) -> bool:
        return bool(self.errors) or any(r.status not in (APPLIED, "blocked", NOT_RUN) for r in self.results)


def host_status(plan: HostPlan, outcome: HostOutcome | None) -> str:
    """The host's status after the run (see module docstring for the precedence)."""
    if outcome is not None and outcome.unreachable:
        return UNREACHABLE
    if plan.errors or (outcome is not None and outcome.failed):
        return FAILED_STATUS
    fixed = set(outcome.fixed) if outcome is not None else set()
    if any(c.address not in fixed for c in plan.pending):
        return DRIFT
    return FIXED if fixed else IN_SYNC


def host_report(plan: HostPlan, outcome: HostOutcome | None) -> dict[str, Any]:
    doc = plan.to_json()
    errors = [e.to_json() for e in plan.errors]
    if outcome is not None:
        errors += [{"message": text} for text in outcome.errors]
        errors += [{"message": r.message, "address": r.address} for r in outcome.results
                   if r.status not in (APPLIED, NOT_RUN) and r.message]
    doc["status"] = host_status(plan, outcome)
    doc["fixed"] = outcome.fixed if outcome is not None else []
    doc["awaiting_approval"] = list(outcome.awaiting_approval) if outcome is not None else []
    doc["errors"] = errors
    if outcome is not None and outcome.warnings:
        doc["warnings"] = list(outcome.warnings)
    doc["results"] = [r.to_json() for r in outcome.results] if outcome is not None else []
    return doc


def build_report(plan: Plan, outcomes: Iterable[HostOutcome]) -> dict[str, Any]:
    """The plan document with each host's result fields (hosts without an outcome: as planned)."""
    by_host = {o.host: o for o in outcomes}
    doc = plan.to_json()
    doc["hosts"] = [host_report(h, by_host.get(h.name)) for h in plan.hosts]
    counts: dict[str, int] = {}
    for host in doc["hosts"]:
        counts[host["status"]] = counts.get(host["status"], 0) + 1
    doc["status_summary"] = dict(sorted(counts.items()))
    return doc


def dump_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write_report(path: str | os.PathLike[str], doc: dict[str, Any]) -> None:
    """Write atomically: a scheduler reading the file never sees half a report."""
    write_json_atomic(path, doc)


def write_json_atomic(path: str | os.PathLike[str], doc: dict[str, Any]) -> None:
    target = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(target))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".hvnet-", suffix=".json", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(dump_json(doc))
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
