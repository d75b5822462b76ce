"""``hvnet drift PATH...`` — for schedules: report drift (and fix what is allowed), exit 0/2/1.

Outputs besides the exit code, all written atomically (a reader never sees half a file):

- ``--report FILE``: the plan document plus per-host status, ``health`` and timings (CONTRACT §5);
- ``--junit FILE``: one testcase per host and per drifted resource, for CI dashboards;
- ``--metrics FILE``: Prometheus text exposition format for node_exporter's textfile collector.

The JUnit and metrics renderers are pure functions of the report document, so a merged
report (``hvnet report merge``) renders the same way.
"""

from __future__ import annotations

import os
import tempfile
import time
import xml.etree.ElementTree as ET
from typing import Any

import click

from engine import manifest
from engine.apply.lock import DEFAULT_LOCK_TTL_S
from engine.apply.report import write_report
from engine.cli.common import CommonOptions, common_options, err, plural
from engine.drift import FIX_MODES, DriftOptions, FixPolicy, run_drift
from engine.fleet import DEFAULT_GROUP_LABEL, DEFAULT_HOST_TIMEOUT_S, parse_max_unavailable, parse_shard
from engine.model.resources import KINDS

__all__ = ["drift_command", "render_junit", "render_metrics", "write_text_atomic"]


def write_text_atomic(path: str, text: str) -> None:
    """Write to a temp file in the same folder, then rename (what the textfile collector needs)."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".hvnet-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # node_exporter runs as another user
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# --- Prometheus ---------------------------------------------------------------------------

_METRICS = (
    ("hvnet_drift_changes", "Pending changes (drift) found by the last drift run, per host and resource kind."),
    ("hvnet_drift_fixed_total", "Changes the last drift run made and verified, per host."),
    ("hvnet_drift_errors", "Errors of the last drift run, per host."),
    ("hvnet_drift_duration_seconds", "Seconds the last drift run spent on the host."),
    ("hvnet_host_up", "1 when the last drift run could read the host, else 0."),
    ("hvnet_drift_last_run_timestamp_seconds", "Unix time the last drift run finished."),
)


def _label_value(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _sample(name: str, labels: dict[str, str], value: float) -> str:
    inner = ",".join(f'{k}="{_label_value(v)}"' for k, v in labels.items())
    number = repr(float(value)) if isinstance(value, float) and not value.is_integer() else str(int(value))
    return f"{name}{{{inner}}} {number}" if inner else f"{name} {number}"


def render_metrics(doc: dict[str, Any], finished_at: float) -> str:
    """The report as Prometheus text format 0.0.4 (every metric a gauge: one value per run)."""
    samples: dict[str, list[str]] = {name: [] for name, _ in _METRICS}
    for host in doc.get("hosts", []):
        name = str(host["name"])
        pending: dict[str, int] = dict.fromkeys(KINDS, 0)
        for change in host.get("changes", []):
            if change.get("action") != "noop":
                pending[change["kind"]] = pending.get(change["kind"], 0) + 1
        for kind in sorted(pending):
            samples["hvnet_drift_changes"].append(_sample("hvnet_drift_changes", {"host": name, "kind": kind},
                                                          pending[kind]))
        samples["hvnet_drift_fixed_total"].append(_sample("hvnet_drift_fixed_total", {"host": name},
                                                          len(host.get("fixed", []))))
        samples["hvnet_drift_errors"].append(_sample("hvnet_drift_errors", {"host": name},
                                                     len(host.get("errors", []))))
        samples["hvnet_drift_duration_seconds"].append(
            _sample("hvnet_drift_duration_seconds", {"host": name}, float(host.get("duration_seconds", 0.0))))
        samples["hvnet_host_up"].append(_sample("hvnet_host_up", {"host": name},
                                                0 if host.get("status") == "unreachable" else 1))
    samples["hvnet_drift_last_run_timestamp_seconds"].append(
        _sample("hvnet_drift_last_run_timestamp_seconds", {}, round(finished_at, 3)))
    lines: list[str] = []
    for name, help_text in _METRICS:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", *samples[name]]
    return "\n".join(lines) + "\n"


# --- JUnit --------------------------------------------------------------------------------


class _Suite:
    """One host's testsuite and its counts."""

    def __init__(self, parent: ET.Element, host: str) -> None:
        self.host = host
        self.element = ET.SubElement(parent, "testsuite", name=host)
        self.counts = {"tests": 0, "failures": 0, "errors": 0}

    def case(self, name: str, kind: str | None = None, message: str = "", text: str = "") -> ET.Element:
        element = ET.SubElement(self.element, "testcase", classname=f"hvnet.drift.{self.host}", name=name)
        self.counts["tests"] += 1
        if kind is not None:
            self.counts["failures" if kind == "failure" else "errors"] += 1
            ET.SubElement(element, kind, message=message).text = text or message
        return element


def render_junit(doc: dict[str, Any]) -> str:
    """One testsuite per host: a testcase for the host, one per drifted resource and per health finding."""
    suites = ET.Element("testsuites", name="hvnet drift")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for host in doc.get("hosts", []):
        suite = _Suite(suites, str(host["name"]))
        status = host.get("status", "")
        errors = [e.get("message", "") for e in host.get("errors", [])]
        if status in ("failed", "unreachable"):
            first = suite.case("host", "error", f"{status}: {errors[0] if errors else status}", "\n".join(errors))
        elif status == "drift":
            first = suite.case("host", "failure", f"drift: {plural(_pending(host), 'change')} remain")
        else:
            first = suite.case("host")
        first.set("time", f"{float(host.get('duration_seconds', 0.0)):.3f}")
        fixed = set(host.get("fixed", []))
        reasons = host.get("awaiting_approval_reasons", {})
        for change in host.get("changes", []):
            if change.get("action") == "noop":
                continue
            address = change["address"]
            if address in fixed:
                suite.case(address)
                continue
            detail = "\n".join(f"{a['name']}: {a.get('before')!r} -> {a.get('after')!r}"
                               for a in change.get("attributes", []))
            why = reasons.get(address) or change.get("reason", "")
            suite.case(address, "failure", f"{change['action']} (risk {change.get('risk', 'none')}): {why}", detail)
        for finding in host.get("health", {}).get("findings", []):
            suite.case(f"health {finding['address']}", "failure", finding["message"])
        for key, value in suite.counts.items():
            suite.element.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        suites.set(key, str(value))
    suites.set("time", f"{float(doc.get('duration_seconds', 0.0)):.3f}")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _pending(host: dict[str, Any]) -> int:
    fixed = set(host.get("fixed", []))
    return sum(1 for c in host.get("changes", []) if c.get("action") != "noop" and c["address"] not in fixed)


# --- the command --------------------------------------------------------------------------


@click.command("drift")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--host", "hosts", multiple=True, metavar="HOST", help="Check only this host (repeatable).")
@click.option("--fix", "fix", type=click.Choice(FIX_MODES), default="none", show_default=True,
              help="none: report only; safe: make the non-disruptive changes; all: also disruptive ones "
                   "(with --allow-disruptive).")
@click.option("--allow-disruptive", is_flag=True, help="With --fix all: make disruptive changes (CONTRACT §7).")
@click.option("--allow-management-path", is_flag=True,
              help="Allow fixing the NIC/switch/vNIC/VLAN that carries hvnet's own connection.")
@click.option("--report", "report_file", type=click.Path(dir_okay=False, path_type=str),
              help="Write the JSON report (plan + per-host status, health, timings).")
@click.option("--junit", "junit_file", type=click.Path(dir_okay=False, path_type=str),
              help="Write a JUnit XML file: a testcase per host and per drifted resource.")
@click.option("--metrics", "metrics_file", type=click.Path(dir_okay=False, path_type=str),
              help="Write Prometheus metrics for node_exporter's textfile collector (*.prom).")
@click.option("--host-timeout", type=click.FloatRange(min=0.1), default=DEFAULT_HOST_TIMEOUT_S,
              show_default=True, metavar="SECONDS", help="Give up on a host after this long (per phase).")
@click.option("--shard", metavar="K/N", envvar="HVNET_SHARD", show_envvar=True,
              help="Handle only shard K of N (1-based; a stable hash of host names).")
@click.option("--group-by", default=DEFAULT_GROUP_LABEL, show_default=True, metavar="LABEL",
              help="Inventory label that groups hosts for rolling disruptive changes.")
@click.option("--max-unavailable", default="1", show_default=True, metavar="N|N%",
              help="Hosts per group converging disruptive changes at once; a group stops at its first failure.")
@click.option("--lock-ttl", type=click.IntRange(min=1), default=DEFAULT_LOCK_TTL_S // 60, show_default=True,
              metavar="MINUTES", help="A host lock older than this is stale and is broken.")
@common_options
def drift_command(
    paths: tuple[str, ...], hosts: tuple[str, ...], fix: str, allow_disruptive: bool,
    allow_management_path: bool, report_file: str | None, junit_file: str | None, metrics_file: str | None,
    host_timeout: float, shard: str | None, group_by: str, max_unavailable: str, lock_ttl: int,
    common: CommonOptions,
) -> int:
    """Plan every targeted host for schedules; optionally fix what is allowed.

    Exit 0 in sync (after fixing, if asked); 2 drift remains; 1 an error (a host
    failed, was unreachable or timed out).
    """
    options = DriftOptions(
        host_names=hosts,
        policy=FixPolicy(fix, allow_disruptive, allow_management_path),
        parallelism=common.parallelism,
        host_timeout_s=host_timeout,
        shard=parse_shard(shard) if shard else None,
        group_by=group_by,
        max_unavailable=parse_max_unavailable(max_unavailable),
        lock_ttl_s=lock_ttl * 60.0,
    )
    project = manifest.load_project(list(paths))
    result = run_drift(project, options)
    doc = result.report
    if report_file:
        write_report(report_file, doc)
    if junit_file:
        write_text_atomic(junit_file, render_junit(doc))
    if metrics_file:
        write_text_atomic(metrics_file, render_metrics(doc, time.time()))
    _summarize(doc)
    return result.exit_code


def _summarize(doc: dict[str, Any]) -> None:
    for host in doc["hosts"]:
        status, name = host["status"], host["name"]
        line = f"{name}: {status}"
        if host["fixed"]:
            line += f", {plural(len(host['fixed']), 'change')} fixed"
        if status == "drift":
            line += f", {plural(_pending(host), 'change')} pending"
        if host["awaiting_approval"]:
            line += f", {len(host['awaiting_approval'])} awaiting approval"
        err(line)
        for address, reason in host.get("awaiting_approval_reasons", {}).items():
            err(f"  awaiting approval: {address}: {reason}")
        for error in host["errors"]:
            err(f"  error: {error['message']}")
        for finding in host.get("health", {}).get("findings", []):
            err(f"  not effective: {finding['address']}: {finding['message']}")
    counts = ", ".join(f"{n} {s}" for s, n in doc.get("status_summary", {}).items())
    err(f"Drift check of {plural(len(doc['hosts']), 'host')} in {doc['duration_seconds']:.1f}s: {counts or 'no hosts'}.")
