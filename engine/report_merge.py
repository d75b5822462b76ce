"""Merge the drift reports of several shards into one (``hvnet report merge``).

Hosts are unioned (sorted by name, so the order of the inputs does not matter); a host
in two reports is an error naming both files. The plan ``summary``, ``status_summary``
and the exit code are recomputed from the merged hosts. Shard runs record ``K/N`` in
``drift.shard``; when the inputs are shards of one N and some K is missing, the merged
document lists ``missing_shards`` and the exit code is 1: hosts of a shard that never
reported are in an unknown state.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from engine.apply.report import DRIFT, FAILED_STATUS, UNREACHABLE
from engine.errors import Diagnostic, ManifestError, Position
from engine.fleet import parse_shard
from engine.plan.model import FORMAT_VERSION

__all__ = ["EXIT_DRIFT", "exit_code_of", "merge_exit_code", "merge_reports", "missing_shards", "read_report"]

_SUMMARY_ACTIONS = ("create", "update", "replace", "delete", "blocked")
EXIT_DRIFT = 2


def exit_code_of(statuses: Sequence[str]) -> int:
    """``hvnet drift``'s exit code from host statuses: 1 failed/unreachable › 2 drift › 0 in sync."""
    if any(s in (FAILED_STATUS, UNREACHABLE) for s in statuses):
        return 1
    return EXIT_DRIFT if any(s == DRIFT for s in statuses) else 0


def read_report(path: str) -> dict[str, Any]:
    """A report file, checked just enough to merge it; bad input is a ``ManifestError`` at file:line:col."""
    try:
        with open(path, encoding="utf-8") as fh:
            data: Any = json.load(fh)
    except OSError as exc:
        raise ManifestError([Diagnostic(f"cannot read the report: {exc.strerror}", Position(path, 1, 1))]) from exc
    except json.JSONDecodeError as exc:
        raise ManifestError([Diagnostic(f"not a JSON report: {exc.msg}", Position(path, exc.lineno, exc.colno))]) from exc
    problem = _shape_problem(data)
    if problem:
        raise ManifestError([Diagnostic(problem, Position(path, 1, 1))])
    return dict(data)


def _shape_problem(data: Any) -> str:
    if not isinstance(data, dict) or not isinstance(data.get("hosts"), list):
        return "not an hvnet report (no 'hosts' list)"
    if str(data.get("format_version")) != FORMAT_VERSION:
        return f"unsupported report format_version {data.get('format_version')!r} (this hvnet reads '1')"
    for index, host in enumerate(data["hosts"]):
        if not isinstance(host, dict) or not isinstance(host.get("name"), str) or "status" not in host:
            return f"hosts[{index}] is not a report host (needs 'name' and 'status': write it with drift --report)"
    return ""


def merge_reports(reports: Sequence[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """One report from ``(file name, document)`` pairs (see module docstring)."""
    seen: dict[str, str] = {}
    duplicates: list[Diagnostic] = []
    hosts: list[dict[str, Any]] = []
    for source, doc in reports:
        for host in doc["hosts"]:
            key = host["name"].casefold()
            if key in seen:
                duplicates.append(Diagnostic(
                    f"host {host['name']!r} is in two reports: {seen[key]} and {source} "
                    "(overlapping shards, or the same report given twice)", Position(source, 1, 1)))
                continue
            seen[key] = source
            hosts.append(host)
    if duplicates:
        raise ManifestError(duplicates)
    hosts.sort(key=lambda h: (h["name"].casefold(), h["name"]))
    merged: dict[str, Any] = {"format_version": FORMAT_VERSION, "hosts": hosts, "summary": _summary(hosts)}
    merged["status_summary"] = _status_summary(hosts)
    first = reports[0][1] if reports else {}
    if isinstance(first.get("drift"), dict):
        merged["drift"] = {**first["drift"], "shard": None}
    starts = sorted(str(d["started_at"]) for _, d in reports if d.get("started_at"))
    if starts:
        merged["started_at"] = starts[0]
    merged["duration_seconds"] = max((float(d.get("duration_seconds", 0.0)) for _, d in reports), default=0.0)
    merged["merged_from"] = [
        {"file": source, "shard": _shard_of(doc), "hosts": len(doc["hosts"])} for source, doc in reports
    ]
    missing = missing_shards([_shard_of(doc) for _, doc in reports])
    if missing:
        merged["missing_shards"] = missing
    merged["exit_code"] = merge_exit_code(merged)
    return merged


def _shard_of(doc: dict[str, Any]) -> str | None:
    drift = doc.get("drift")
    shard = drift.get("shard") if isinstance(drift, dict) else None
    return str(shard) if shard else None


def missing_shards(shards: Sequence[str | None]) -> list[str]:
    """``K/N`` shards absent from a set of shard runs of one N (none when the inputs are not shards)."""
    parsed = [parse_shard(s) for s in shards if s]
    counts = sorted({s.count for s in parsed})
    if not parsed or len(counts) != 1:
        return []
    count = counts[0]
    present = {s.index for s in parsed}
    return [f"{k}/{count}" for k in range(1, count + 1) if k not in present]


def _summary(hosts: list[dict[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(_SUMMARY_ACTIONS, 0)
    for host in hosts:
        for change in host.get("changes", []):
            if change.get("action") in counts:
                counts[change["action"]] += 1
    return counts


def _status_summary(hosts: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for host in hosts:
        counts[host["status"]] = counts.get(host["status"], 0) + 1
    return dict(sorted(counts.items()))


def merge_exit_code(merged: dict[str, Any]) -> int:
    """What ``hvnet drift`` would have exited with for all these hosts (a missing shard: 1)."""
    if merged.get("missing_shards"):
        return 1
    return exit_code_of([h["status"] for h in merged["hosts"]])

