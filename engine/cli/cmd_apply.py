"""``hvnet apply`` — plan, show, ask, converge, verify (or apply exactly a saved plan).

Two forms (CONTRACT §2):

- ``hvnet apply PATH... [--host H]... [--auto-approve]``: plan from the manifests (each
  host's lock is taken in the same round trip as its read), print the plan on stdout,
  refuse what the flags do not allow, ask on stderr unless ``--auto-approve``;
- ``hvnet apply --plan FILE``: re-read each host, refuse a stale plan, run exactly the
  saved steps (the saved plan is the approval: no question).

Both then run the steps, re-read every touched host, verify, release the locks and
(``--report``) write the result document. Exit 0 when everything converged, 1 otherwise.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from engine import manifest
from engine.apply.consent import Consent, ask_yes_no, awaiting_approval, check_consent
from engine.apply.executor import APPLIED, BLOCKED
from engine.apply.lock import DEFAULT_LOCK_TTL_S, new_run_id
from engine.apply.report import HostOutcome, build_report, write_report
from engine.cli.cmd_plan import print_plan, report_host_errors
from engine.cli.common import EXIT_ERROR, EXIT_OK, CommonOptions, common_options, err, plural
from engine.errors import ApplyRefused, Diagnostic, ManifestError, Position, StalePlanError
from engine.orchestrate import (
    LockSettings,
    Orchestration,
    apply_runs,
    collect_saved_plan,
    locking_collector,
    plan_targets,
    release_locks,
)
from engine.plan.model import Plan

__all__ = ["apply_command"]


@click.command("apply")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False, path_type=str),
              help="Apply exactly this saved plan (from `hvnet plan --out`); no PATH, no prompt.")
@click.option("--host", "hosts", multiple=True, metavar="HOST", help="Apply only to this host (repeatable).")
@click.option("--auto-approve", is_flag=True, help="Do not ask; apply the plan as shown.")
@click.option("--allow-disruptive", is_flag=True, help="Allow changes that interrupt traffic (CONTRACT §7).")
@click.option("--allow-management-path", is_flag=True,
              help="Allow changes on the NIC/switch/vNIC/VLAN that carries hvnet's own connection.")
@click.option("--report", "report_file", type=click.Path(dir_okay=False, path_type=str),
              help="Write the result (plan + per-host status) as JSON.")
@click.option("--lock-ttl", type=click.IntRange(min=1), default=DEFAULT_LOCK_TTL_S // 60, show_default=True,
              metavar="MINUTES", help="A host lock older than this is stale and is broken.")
@common_options
def apply_command(
    paths: tuple[str, ...],
    plan_file: str | None,
    hosts: tuple[str, ...],
    auto_approve: bool,
    allow_disruptive: bool,
    allow_management_path: bool,
    report_file: str | None,
    lock_ttl: int,
    common: CommonOptions,
) -> int:
    """Converge the targeted hosts to the manifests (or to a saved plan), then verify.

    Exit 0 when every host converged; 1 on any error, a refusal, a stale plan, or a
    change that failed or did not verify.
    """
    consent = Consent(allow_disruptive, allow_management_path)
    lock = LockSettings(ttl_s=lock_ttl * 60.0, run_id=new_run_id())
    if plan_file:
        if paths or hosts or auto_approve:
            raise click.UsageError("--plan takes no PATH, --host or --auto-approve: the saved plan says it all")
        return _apply_saved(plan_file, consent, lock, report_file, common)
    if not paths:
        raise click.UsageError("give the manifest PATHs to apply, or --plan FILE")
    project = manifest.load_project(list(paths))
    with plan_targets(project, list(hosts), parallelism=common.parallelism,
                      collect=locking_collector(lock)) as orch:
        try:
            print_plan(orch.plan, "text")
            report_host_errors(orch.plan)
            if not _has_work(orch.plan):
                return _nothing_to_do(orch.plan, consent, report_file)
            if not _approved(orch.plan, consent, auto_approve, report_file):
                return EXIT_ERROR
            return _converge(orch, consent, report_file, common)
        finally:
            release_locks(orch)


def _nothing_to_do(plan: Plan, consent: Consent, report_file: str | None) -> int:
    """No step to run: in sync (exit 0), or only blocked changes / plan errors left (exit 1)."""
    _report_unapplied(plan, consent, report_file)
    blocked = [c for h in plan.hosts for c in h.pending if c.action == BLOCKED]
    if blocked:
        err(f"Nothing can be applied: {plural(len(blocked), 'blocked change')} "
            "(each needs its VM off; hvnet never stops a VM):")
        for change in blocked:
            err(f"  {change.address}: {change.reason}")
        return EXIT_ERROR
    if plan.has_errors:
        err("No changes to apply, but the plan has errors (above).")
        return EXIT_ERROR
    err("No changes. The hosts match the manifests.")
    return EXIT_OK


def _approved(plan: Plan, consent: Consent, auto_approve: bool, report_file: str | None) -> bool:
    """Consent checks and the question; False (after saying why) when the run must stop."""
    try:
        check_consent(plan, consent)
        if not auto_approve and not ask_yes_no(
            "Do you want to apply these changes?", stdin=sys.stdin, stderr=sys.stderr, isatty=stdin_is_terminal
        ):
            raise ApplyRefused("apply cancelled: the answer was not 'yes'. Nothing was changed.")
    except ApplyRefused as refused:
        _report_unapplied(plan, consent, report_file)
        _say_error(refused)
        return False
    return True


def _say_error(exc: Exception) -> None:
    """The whole message (the CLI's generic handler would keep only its first line)."""
    err(f"hvnet: error: {exc}")


def stdin_is_terminal() -> bool:
    isatty = getattr(sys.stdin, "isatty", None)
    return bool(isatty and isatty())


def _has_work(plan: Plan) -> bool:
    return any(c.action != BLOCKED for h in plan.hosts for c in h.pending)


def _report_unapplied(plan: Plan, consent: Consent, report_file: str | None) -> None:
    if not report_file:
        return
    waiting = awaiting_approval(plan, consent)
    outcomes = [HostOutcome(h.name, awaiting_approval=waiting.get(h.name, [])) for h in plan.hosts]
    write_report(report_file, build_report(plan, outcomes))


def _apply_saved(
    plan_file: str, consent: Consent, lock: LockSettings, report_file: str | None, common: CommonOptions
) -> int:
    saved = _read_plan(plan_file)
    orch, stale = collect_saved_plan(saved, parallelism=common.parallelism, collect=locking_collector(lock))
    with orch:
        try:
            if stale:
                lines = [f"  {host}: {what}" for host, changes in stale.items() for what in changes]
                _say_error(StalePlanError(
                    f"the saved plan {plan_file} is stale: the host configuration changed since it was made; "
                    "nothing was applied. Make a new plan. What changed:\n" + "\n".join(lines)
                ))
                return EXIT_ERROR
            try:
                check_consent(saved, consent)
            except ApplyRefused as refused:
                _report_unapplied(saved, consent, report_file)
                _say_error(refused)
                return EXIT_ERROR
            return _converge(orch, consent, report_file, common)
        finally:
            release_locks(orch)


def _read_plan(path: str) -> Plan:
    try:
        with open(path, encoding="utf-8") as fh:
            data: Any = json.load(fh)
    except OSError as exc:
        raise ManifestError([Diagnostic(f"cannot read the plan file: {exc.strerror}", Position(path, 1, 1))]) from exc
    except json.JSONDecodeError as exc:
        raise ManifestError([Diagnostic(f"not a JSON plan: {exc.msg}", Position(path, exc.lineno, exc.colno))]) from exc
    if not isinstance(data, dict) or "hosts" not in data:
        raise ManifestError([Diagnostic("not an hvnet plan (no 'hosts')", Position(path, 1, 1))])
    if str(data.get("format_version")) != "1":
        raise ManifestError([Diagnostic(
            f"unsupported plan format_version {data.get('format_version')!r} (this hvnet reads '1')",
            Position(path, 1, 1))])
    try:
        return Plan.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ManifestError([Diagnostic(f"malformed plan: {exc}", Position(path, 1, 1))]) from exc


def _converge(orch: Orchestration, consent: Consent, report_file: str | None, common: CommonOptions) -> int:
    outcomes = apply_runs(orch, parallelism=common.parallelism)
    failed = False
    for outcome in outcomes:
        failed = _print_outcome(outcome) or failed
    if report_file:
        write_report(report_file, build_report(orch.plan, outcomes))
    applied = sum(1 for o in outcomes for r in o.results if r.status == APPLIED)
    problems = sum(1 for o in outcomes for r in o.results if r.status not in (APPLIED,))
    failed = failed or orch.plan.has_errors
    summary = f"Apply {'finished with errors' if failed else 'complete'}: {plural(applied, 'change')} applied"
    if problems:
        summary += f", {problems} not applied"
    err(summary + ".")
    return EXIT_ERROR if failed else EXIT_OK


def _print_outcome(outcome: HostOutcome) -> bool:
    """Each change's result on stderr; True when the host did not converge."""
    if outcome.unreachable:
        err(f"{outcome.host}: unreachable: nothing applied")
        return True
    bad = False
    for result in outcome.results:
        line = f"  {result.status:<10} {result.address}"
        if result.message and result.status != APPLIED:
            line += f": {result.message}"
        err(line)
        bad = bad or result.status != APPLIED
    for line in outcome.errors:
        err(f"  {'error':<10} {line}")
    return bad or bool(outcome.errors)
