"""``hvnet drift``: read every targeted host, report drift, optionally fix what is safe to fix.

A level-based reconcile for schedules (cron, Task Scheduler, CronJobs):

1. read and plan every host (bounded concurrency, a deadline per host; with ``--fix``
   each host's lock is taken in the same round trip as its read);
2. choose, per host, the changes this run may make (``select_changes``, pure):
   ``--fix safe`` only non-disruptive ones; ``--fix all`` disruptive ones too when
   ``--allow-disruptive``; the management path never without ``--allow-management-path``;
   a change that needs a withheld one is withheld too. Withheld changes are reported
   under ``awaiting_approval`` with their reason;
3. converge: hosts with only non-disruptive work all at once; hosts with disruptive
   work in rolling waves per label group (``--max-unavailable``), a group stopping at
   its first failure (its remaining hosts then get their non-disruptive changes only);
4. re-read what was touched, verify, and report (CONTRACT §5 plus ``health``).

Exit code (``exit_code_of``): 1 when a host failed or was unreachable, else 2 when drift
remains, else 0.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

from engine.apply.executor import BLOCKED, ChangeResult, HostApplyResult, execute_host
from engine.apply.lock import DEFAULT_LOCK_TTL_S, collect_and_release, new_run_id
from engine.apply.report import HostOutcome, build_report
from engine.apply.verify import Verification, reconcile, verify_observed
from engine.errors import EngineError, HostTimeout, LockHeld
from engine.fleet import (
    DEFAULT_GROUP_LABEL,
    DEFAULT_HOST_TIMEOUT_S,
    FIX_MODES,
    FixPolicy,
    FleetProgress,
    MaxUnavailable,
    Selection,
    Shard,
    TimedOut,
    group_hosts,
    plan_waves,
    run_with_deadlines,
    select_changes,
    select_shard,
)
from engine.health import HostHealth, host_health, unavailable_health
from engine.inventory import InventoryHost
from engine.logging import get_logger
from engine.orchestrate import (
    DEFAULT_PARALLELISM,
    Hooks,
    HostRun,
    LockSettings,
    ProjectLike,
    close_session,
    describe_error,
    locking_collector,
    plan_one,
    select_hosts,
    unreachable_plan,
)
from engine.plan.model import Plan
from engine.report_merge import exit_code_of

__all__ = [
    "FIX_MODES",
    "DriftOptions",
    "DriftResult",
    "FixPolicy",
    "Selection",
    "exit_code_of",
    "run_drift",
    "run_status",
    "select_changes",
]

log = get_logger()


# --- the run (I/O) ----------------------------------------------------------------------


@dataclass(frozen=True)
class DriftOptions:
    host_names: tuple[str, ...] = ()
    policy: FixPolicy = FixPolicy()
    parallelism: int = DEFAULT_PARALLELISM
    host_timeout_s: float | None = DEFAULT_HOST_TIMEOUT_S
    shard: Shard | None = None
    group_by: str = DEFAULT_GROUP_LABEL
    max_unavailable: MaxUnavailable = MaxUnavailable(1)
    lock_ttl_s: float = float(DEFAULT_LOCK_TTL_S)
    run_id: str = field(default_factory=new_run_id)


@dataclass
class DriftResult:
    report: dict[str, Any]
    exit_code: int
    outcomes: list[HostOutcome]


@dataclass
class _HostState:
    run: HostRun
    outcome: HostOutcome
    selection: Selection = Selection()
    health: HostHealth | None = None
    seconds: float = 0.0
    timed_out: bool = False

    @property
    def name(self) -> str:
        return self.run.name


def run_drift(
    project: ProjectLike,
    options: DriftOptions,
    *,
    hooks: Hooks | None = None,
    progress_stream: IO[str] | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> DriftResult:
    """Read, plan, (fix), verify and report every targeted host of this shard."""
    started_at, started = now(), time.monotonic()
    hooks = hooks or Hooks()
    targets = select_shard(select_hosts(project.inventory, list(options.host_names)), options.shard,
                           key=lambda h: h.name)
    states = _states(project, targets)
    fixing = options.policy.mode != "none"
    collector = locking_collector(LockSettings(options.lock_ttl_s, options.run_id)) if fixing else None
    try:
        _read_all(states, hooks, collector, options.parallelism, options.host_timeout_s, progress_stream,
                  keep_open=fixing)
        if fixing:
            _fix_all(states, options, hooks, progress_stream)
    finally:
        for state in states:
            if not state.timed_out:
                _release(state.run)
    for state in states:
        _log_host(state)
    return _result(states, options, started_at, time.monotonic() - started)


def _states(project: ProjectLike, targets: Sequence[InventoryHost]) -> list[_HostState]:
    return [_HostState(HostRun(h, resources=list(project.resources.get(h.name, []))), HostOutcome(h.name))
            for h in targets]


@dataclass(frozen=True)
class _Read:
    """What a reading worker hands back (it never writes into shared state: it may be abandoned)."""

    run: HostRun
    health: HostHealth
    seconds: float


def _read_all(states: list[_HostState], hooks: Hooks, collector: Any, parallelism: int,
              timeout_s: float | None, stream: IO[str] | None, *, keep_open: bool) -> None:
    """Read and plan every host; ``keep_open``: keep each session (and lock) for fixing."""
    with FleetProgress(len(states), "reading hosts", stream) as progress:
        results = run_with_deadlines(
            states, lambda s: _read(s.run, hooks, collector, keep_open), parallelism=parallelism,
            timeout_s=timeout_s,
            late=lambda _s, r: _release(r.run),
            on_done=lambda _s, r: progress.advance(isinstance(r, TimedOut) or not r.run.reachable))
    for state, result in zip(states, results, strict=True):
        if isinstance(result, TimedOut):
            _mark_timed_out(state, result)
            continue
        state.run, state.health = result.run, result.health
        state.seconds += result.seconds
        # A held lock is a failure of this run, not an unreachable host.
        state.outcome.unreachable = not result.run.reachable and not isinstance(result.run.error, LockHeld)


def _read(template: HostRun, hooks: Hooks, collector: Any, keep_open: bool) -> _Read:
    begin = time.monotonic()
    run = HostRun(template.inv_host, resources=template.resources)
    plan_one(run, hooks, collector)
    if run.reachable and run.observed is not None:
        health = host_health(run.resources, run.observed)
    else:
        health = unavailable_health(run.name, describe_error(run.error) if run.error else "not read")
    if not keep_open or not run.reachable or (run.plan is not None and not run.plan.pending):
        _release(run)  # done with the host: a fleet run never holds more sessions than it works on
    return _Read(run, health, time.monotonic() - begin)


def _mark_timed_out(state: _HostState, timed_out: TimedOut) -> None:
    state.timed_out = True
    error = HostTimeout(state.name, f"{timed_out.describe()} while reading the host")
    state.run.error = error
    state.run.plan = unreachable_plan(state.run.inv_host, error)
    state.outcome.unreachable = True
    state.health = unavailable_health(state.name, describe_error(error))
    state.seconds += timed_out.seconds
    log.warning("host.timed_out", host=state.name, seconds=timed_out.seconds)


def _release(run: HostRun) -> None:
    lock = run.extras.get("lock")
    if lock is not None and lock.held:
        lock.release()
    close_session(run)


def _fix_all(states: list[_HostState], options: DriftOptions, hooks: Hooks, stream: IO[str] | None) -> None:
    ready = [s for s in states if s.run.reachable and s.run.plan is not None and not s.run.plan.errors]
    for state in ready:
        assert state.run.plan is not None
        state.selection = select_changes(state.run.plan, options.policy)
        state.outcome.awaiting_approval = list(state.selection.waiting)
    for state in ready:
        if not state.selection.changes:
            _release(state.run)  # nothing to do here: free the host's lock and session now
    direct = [s for s in ready if s.selection.changes and not s.selection.disruptive]
    rolling = [s for s in ready if s.selection.disruptive]
    with FleetProgress(len(direct) + len(rolling), "fixing hosts", stream) as progress:
        _fix_batch(direct, options, hooks, progress)
        groups = group_hosts(((s.name, dict(s.run.inv_host.labels)) for s in rolling), options.group_by)
        by_name = {s.name: s for s in rolling}
        # Groups roll side by side; each group's waves run one after the other.
        run_with_deadlines(
            list(groups.items()),
            lambda group: _roll_group(group[0], [by_name[n] for n in group[1]], options, hooks, progress),
            parallelism=options.parallelism, timeout_s=None)


@dataclass(frozen=True)
class _Fixed:
    """What a fixing worker hands back."""

    results: list[ChangeResult]
    errors: list[str]
    verified: bool
    health: HostHealth | None
    seconds: float


def _fix_batch(states: list[_HostState], options: DriftOptions, hooks: Hooks, progress: FleetProgress) -> None:
    results = run_with_deadlines(
        states, lambda s: _fix_host(s.run, s.selection, hooks), parallelism=options.parallelism,
        timeout_s=options.host_timeout_s, late=lambda s, _r: _release(s.run),
        on_done=lambda _s, r: progress.advance(isinstance(r, TimedOut) or bool(r.errors)))
    for state, result in zip(states, results, strict=True):
        if isinstance(result, TimedOut):
            state.timed_out = True
            state.seconds += result.seconds
            state.outcome.errors.append(f"{state.name}: {result.describe()} while applying; the outcome is "
                                        "unknown until the next run reads the host")
            log.warning("host.timed_out", host=state.name, seconds=result.seconds, phase="fix")
            continue
        state.outcome.results = result.results
        state.outcome.errors += result.errors
        state.outcome.verified = result.verified
        state.health = result.health or state.health
        state.seconds += result.seconds


def _roll_group(key: str, states: list[_HostState], options: DriftOptions, hooks: Hooks,
                progress: FleetProgress) -> None:
    """Waves of at most --max-unavailable hosts; stop at the first failing wave."""
    label = f"{options.group_by}={key}" if key else f"hosts without label '{options.group_by}'"
    limit = options.max_unavailable.limit(len(states))
    waves = plan_waves([s.name for s in states], limit)
    by_name = {s.name: s for s in states}
    for number, wave in enumerate(waves):
        batch = [by_name[n] for n in wave]
        _fix_batch(batch, options, hooks, progress)
        failed = [s.name for s in batch if s.outcome.failed or s.timed_out]
        if not failed:
            continue
        rest = [by_name[n] for w in waves[number + 1:] for n in w]
        reason = (f"rolling apply of group {label} stopped after {', '.join(failed)} failed "
                  f"(--max-unavailable {options.max_unavailable}); fix that host, then run again")
        log.warning("group.stopped", group=label, failed=failed, remaining=[s.name for s in rest])
        for state in rest:
            assert state.run.plan is not None
            state.selection = select_changes(state.run.plan, options.policy, hold_disruptive=reason)
            state.outcome.awaiting_approval = list(state.selection.waiting)
        _fix_batch([s for s in rest if s.selection.changes], options, hooks, progress)
        for state in rest:
            if not state.selection.changes:
                progress.advance(False)
        return


def _fix_host(run: HostRun, selection: Selection, hooks: Hooks) -> _Fixed:
    """Run the selected changes, re-read, verify; release the host's lock."""
    begin = time.monotonic()
    assert run.session is not None and run.plan is not None
    chosen = {c.address for c in selection.changes}
    plan = dataclasses.replace(run.plan, changes=tuple(c for c in run.plan.changes if c.address in chosen))
    lock = run.extras.get("lock")
    results: list[ChangeResult] = []
    errors: list[str] = []
    verified, health = False, None
    try:
        applied = execute_host(run.session, plan)
        results = applied.changes
        if applied.touched:
            errors, verified, health = _verify(run, selection, applied, lock, hooks)
    except EngineError as exc:
        errors.append(f"{run.name}: fix stopped: {describe_error(exc)}")
    finally:
        _release(run)
    return _Fixed(results, errors, verified, health, time.monotonic() - begin)


def _verify(run: HostRun, selection: Selection, applied: HostApplyResult, lock: Any,
            hooks: Hooks) -> tuple[list[str], bool, HostHealth | None]:
    assert run.session is not None and run.plan is not None
    health = None
    try:
        observed = collect_and_release(run.session, run.name, lock)
        verification = verify_observed(run.inv_host, run.resources, observed, hooks.plan)
        health = host_health(run.resources, observed)
    except EngineError as exc:
        verification = Verification(run.name, error=describe_error(exc))
    # Only what this run set out to do is verified: withheld and blocked changes stay pending.
    left_alone = set(selection.waiting) | {c.address for c in run.plan.pending if c.action == BLOCKED}
    verification = dataclasses.replace(
        verification, remaining=tuple(c for c in verification.remaining if c.address not in left_alone))
    return reconcile(applied, verification), verification.in_sync, health


def run_status(
    project: ProjectLike,
    host_names: Sequence[str] = (),
    *,
    parallelism: int = DEFAULT_PARALLELISM,
    host_timeout_s: float | None = DEFAULT_HOST_TIMEOUT_S,
    hooks: Hooks | None = None,
    progress_stream: IO[str] | None = None,
) -> list[HostHealth]:
    """Read every targeted host (no lock: read-only) and judge its effective state."""
    states = _states(project, select_hosts(project.inventory, list(host_names)))
    try:
        _read_all(states, hooks or Hooks(), None, parallelism, host_timeout_s, progress_stream, keep_open=False)
    finally:
        for state in states:
            if not state.timed_out:
                _release(state.run)
    return [s.health or unavailable_health(s.name, "not read") for s in states]


# --- the report -------------------------------------------------------------------------


def _log_host(state: _HostState) -> None:
    plan = state.run.plan
    pending = len(plan.pending) if plan is not None else 0
    log.info("drift.host_done", host=state.name, changes=pending, fixed=len(state.outcome.fixed),
             awaiting_approval=len(state.outcome.awaiting_approval), errors=len(state.outcome.errors),
             unreachable=state.outcome.unreachable, seconds=round(state.seconds, 3))


def _result(states: list[_HostState], options: DriftOptions, started_at: datetime, seconds: float) -> DriftResult:
    plans = [s.run.plan for s in states if s.run.plan is not None]
    outcomes = [s.outcome for s in states]
    doc = build_report(Plan(hosts=tuple(plans)), outcomes)
    by_name = {s.name: s for s in states}
    for host in doc["hosts"]:
        state = by_name[host["name"]]
        host["awaiting_approval_reasons"] = dict(state.selection.waiting)
        host["health"] = (state.health or unavailable_health(state.name, "not read")).to_json()
        host["duration_seconds"] = round(state.seconds, 3)
    doc["drift"] = {
        "fix": options.policy.mode,
        "allow_disruptive": options.policy.allow_disruptive,
        "allow_management_path": options.policy.allow_management_path,
        "shard": str(options.shard) if options.shard else None,
        "group_by": options.group_by,
        "max_unavailable": str(options.max_unavailable),
        "run_id": options.run_id,
    }
    doc["started_at"] = started_at.isoformat().replace("+00:00", "Z")
    doc["duration_seconds"] = round(seconds, 3)
    doc["exit_code"] = code = exit_code_of([h["status"] for h in doc["hosts"]])
    return DriftResult(doc, code, outcomes)
