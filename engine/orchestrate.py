"""Plan many hosts at once: open a session per host, collect, plan (the imperative shell).

Each targeted host gets ONE session (one runspace pool) for the whole run: the
collection, the apply steps and the verification all go through it. Hosts are
handled in a bounded thread pool; a host that cannot be reached or planned never
stops the others — its ``HostPlan`` carries the error instead.

``plan_targets`` returns an ``Orchestration``: the ``Plan`` value plus, per host, the
open session and the observed state, so ``apply`` can go on without reconnecting.
Close it (or use it as a context manager) to close every session.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import TracebackType
from typing import IO, Any, Protocol, TypeVar

from engine.errors import EngineError, ManifestError, PlanError
from engine.inventory import Inventory, InventoryHost
from engine.logging import get_logger
from engine.model.resources import Resource
from engine.observe.model import ObservedHost
from engine.plan.model import HostError, HostPlan, Plan
from engine.transport.session import HostSession

__all__ = [
    "DEFAULT_PARALLELISM",
    "HostRun",
    "Orchestration",
    "ProjectLike",
    "RunCollector",
    "for_each_host",
    "plan_targets",
    "select_hosts",
]

DEFAULT_PARALLELISM = 16
PROGRESS_MIN_HOSTS = 4  # fewer hosts finish before a progress bar would help

T = TypeVar("T")
R = TypeVar("R")

log = get_logger()

SessionFactory = Callable[[InventoryHost], HostSession]
Collector = Callable[[HostSession, str], ObservedHost]
Planner = Callable[[InventoryHost, list[Resource], ObservedHost], HostPlan]
# Reads a host through its run's open session (apply's also takes the host's lock).
RunCollector = Callable[["HostRun"], ObservedHost]


class ProjectLike(Protocol):
    inventory: Inventory
    resources: dict[str, list[Resource]]


@dataclass
class HostRun:
    """One host in a run: its session, what was observed and what was planned."""

    inv_host: InventoryHost
    session: HostSession | None = None
    observed: ObservedHost | None = None
    plan: HostPlan | None = None
    error: BaseException | None = None  # could not connect, collect or plan
    resources: list[Resource] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)  # e.g. the host's lock

    @property
    def name(self) -> str:
        return self.inv_host.name

    @property
    def reachable(self) -> bool:
        return self.error is None and self.observed is not None


@dataclass
class Orchestration:
    plan: Plan
    runs: dict[str, HostRun]  # by host name, inventory order

    def close(self) -> None:
        """Close every session (errors while closing are logged, never raised)."""
        for run in self.runs.values():
            close_session(run)

    def __enter__(self) -> Orchestration:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def close_session(run: HostRun) -> None:
    session, run.session = run.session, None
    if session is None:
        return
    try:
        session.close()
    except EngineError as exc:
        log.warning("host.close_failed", host=run.name, error=str(exc))


def select_hosts(inventory: Inventory, names: Sequence[str] | None) -> list[InventoryHost]:
    """The hosts named by ``--host`` (all when none), in inventory order; unknown names are an error."""
    if not names:
        return list(inventory.hosts)
    unknown = [n for n in names if inventory.host(n) is None]
    if unknown:
        known = ", ".join(h.name for h in inventory.hosts) or "(none)"
        raise PlanError(f"unknown host {', '.join(repr(n) for n in unknown)} (the inventory has: {known})")
    wanted = {n.casefold() for n in names}
    return [h for h in inventory.hosts if h.name.casefold() in wanted]


def for_each_host(
    items: Sequence[T],
    work: Callable[[T], R],
    parallelism: int = DEFAULT_PARALLELISM,
    *,
    on_done: Callable[[T], None] | None = None,
) -> list[R]:
    """``work`` on every item, at most ``parallelism`` at once; results in input order.

    ``work`` must not raise for a per-host failure (it records it); anything it does
    raise is a bug and is re-raised here.
    """
    if not items:
        return []
    if parallelism <= 1 or len(items) == 1:
        results = []
        for item in items:
            results.append(work(item))
            if on_done is not None:
                on_done(item)
        return results
    with ThreadPoolExecutor(max_workers=min(parallelism, len(items)), thread_name_prefix="hvnet-host") as pool:
        futures = [pool.submit(work, item) for item in items]
        results = []
        for item, future in zip(items, futures, strict=True):
            results.append(future.result())
            if on_done is not None:
                on_done(item)
        return results


def _default_session_factory(inv_host: InventoryHost) -> HostSession:
    from engine.transport.factory import open_session

    return open_session(inv_host)


def _default_collector(session: HostSession, host: str) -> ObservedHost:
    from engine.observe.collect import collect_observed

    return collect_observed(session, host)


def _default_planner(inv_host: InventoryHost, resources: list[Resource], observed: ObservedHost) -> HostPlan:
    from engine.plan import plan_host

    return plan_host(inv_host, resources, observed)


def unreachable_plan(inv_host: InventoryHost, error: BaseException) -> HostPlan:
    """The plan of a host that could not be read or planned: no changes, the reason as error."""
    return HostPlan(
        name=inv_host.name,
        connection=inv_host.connection.to_json(),
        errors=(HostError(f"could not plan the host: {describe_error(error)}"),),
    )


def describe_error(error: BaseException) -> str:
    if isinstance(error, ManifestError):
        return "; ".join(d.summary for d in error.diagnostics) or str(error)
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


@dataclass(frozen=True)
class Hooks:
    """The I/O the orchestration performs; tests replace these with fakes."""

    open_session: SessionFactory = _default_session_factory
    collect: Collector = _default_collector
    plan: Planner = _default_planner


def plan_targets(
    project: ProjectLike,
    host_names: Sequence[str] | None = None,
    *,
    parallelism: int = DEFAULT_PARALLELISM,
    hooks: Hooks | None = None,
    collect: RunCollector | None = None,
    progress_stream: IO[str] | None = None,
) -> Orchestration:
    """Connect to, collect and plan every targeted host (see module docstring).

    ``collect`` replaces the plain collection (apply passes one that also takes the lock).
    """
    hooks = hooks or Hooks()
    targets = select_hosts(project.inventory, host_names)
    runs = {h.name: HostRun(h, resources=list(project.resources.get(h.name, []))) for h in targets}

    def work(run: HostRun) -> HostRun:
        plan_one(run, hooks, collect)
        return run

    with _progress(len(targets), progress_stream) as advance:
        for_each_host(list(runs.values()), work, parallelism, on_done=lambda _run: advance())
    plans = [run.plan for run in runs.values() if run.plan is not None]
    return Orchestration(Plan(hosts=tuple(plans)), runs)


def plan_one(run: HostRun, hooks: Hooks, collect: RunCollector | None = None) -> None:
    """Open, collect and plan one host; a failure lands in ``run.error``."""
    try:
        run.session = hooks.open_session(run.inv_host)
        run.observed = collect(run) if collect is not None else hooks.collect(run.session, run.name)
        log.info("host.collected", host=run.name)
        run.plan = hooks.plan(run.inv_host, run.resources, run.observed)
    except (EngineError, OSError) as exc:  # one host's failure never stops the others
        run.error = exc
        run.plan = unreachable_plan(run.inv_host, exc)
        log.warning("host.failed", host=run.name, error=describe_error(exc))


class _Progress:
    def __init__(self, total: int, stream: IO[str] | None) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Callable[[], None]:
        isatty = getattr(self.stream, "isatty", None)
        if self.total >= PROGRESS_MIN_HOSTS and isatty is not None and isatty():
            from rich.console import Console
            from rich.progress import Progress

            self._bar = Progress(console=Console(file=self.stream), transient=True)
            self._bar.start()
            self._task = self._bar.add_task("planning hosts", total=self.total)
        return self.advance

    def advance(self) -> None:
        if self._bar is not None:
            self._bar.advance(self._task)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()


def _progress(total: int, stream: IO[str] | None) -> _Progress:
    return _Progress(total, stream)


# --- apply ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LockSettings:
    ttl_s: float
    run_id: str


def locking_collector(settings: LockSettings) -> RunCollector:
    """A collector that takes each host's lock in the same round trip as the read."""
    from engine.apply.lock import HostLock, collect_locked

    def collect(run: HostRun) -> ObservedHost:
        assert run.session is not None
        lock = HostLock(run.session, run.name, run_id=settings.run_id, ttl_s=settings.ttl_s)
        run.extras["lock"] = lock
        return collect_locked(run.session, run.name, lock)

    return collect


def release_locks(orch: Orchestration) -> None:
    """Release every lock still held (a refused or failed run); never raises."""
    for run in orch.runs.values():
        lock = run.extras.get("lock")
        if lock is not None and lock.held:
            lock.release()


def apply_runs(
    orch: Orchestration,
    *,
    parallelism: int = DEFAULT_PARALLELISM,
    hooks: Hooks | None = None,
) -> list[Any]:
    """Run every reachable host's plan, verify, release its lock: one ``HostOutcome`` per host."""
    hooks = hooks or Hooks()
    runs = list(orch.runs.values())
    return for_each_host(runs, lambda run: apply_one(run, hooks), parallelism)


def apply_one(run: HostRun, hooks: Hooks) -> Any:
    """Run one host's plan, re-read it (with the last wave when possible), verify, unlock."""
    from engine.apply.executor import execute_host
    from engine.apply.lock import collect_and_release, parse_tail, verify_tail
    from engine.apply.report import HostOutcome
    from engine.apply.verify import Verification, reconcile, verify_observed

    outcome = HostOutcome(run.name)
    plan = run.plan
    if not run.reachable or run.session is None or plan is None:
        outcome.unreachable = True
        return outcome
    session = run.session
    lock = run.extras.get("lock")
    snapshot = callable(getattr(session, "observed", None))
    try:
        result = execute_host(session, plan, recheck=lambda: _recheck(run, hooks),
                              tail=None if snapshot else verify_tail(lock))
        outcome.results = result.changes
        outcome.warnings = list(result.interruptions)
        run.extras["apply_result"] = result
        if not result.touched:
            return outcome
        try:
            if result.tail_outputs is not None:
                observed = parse_tail(session, run.name, result.tail_outputs, lock)
            else:
                observed = collect_and_release(session, run.name, lock)
            verification = verify_observed(run.inv_host, run.resources, observed, hooks.plan)
        except EngineError as exc:
            verification = Verification(run.name, error=describe_error(exc))
        outcome.errors += reconcile(result, verification)
        outcome.verified = verification.in_sync
        log.info("host.verified", host=run.name, in_sync=verification.in_sync)
        return outcome
    except EngineError as exc:
        outcome.errors.append(f"{run.name}: apply stopped: {describe_error(exc)}")
        return outcome
    finally:
        if lock is not None and lock.held:
            lock.release()
        if lock is not None:
            outcome.warnings += lock.warnings  # e.g. our lock had been broken: left to its new holder


def _recheck(run: HostRun, hooks: Hooks) -> dict[str, Any]:
    """The changes the host needs now (executor: settle steps of an interrupted round trip)."""
    assert run.session is not None
    fresh = hooks.plan(run.inv_host, run.resources, hooks.collect(run.session, run.name))
    return {c.address: c for c in fresh.changes if c.action != "noop"}


def collect_saved_plan(
    saved: Plan,
    *,
    parallelism: int = DEFAULT_PARALLELISM,
    hooks: Hooks | None = None,
    collect: RunCollector | None = None,
) -> tuple[Orchestration, dict[str, list[str]]]:
    """Open and read every host a saved plan planned; per host, what changed since (empty: current).

    Needs nothing but the plan: its connection settings and desired state are inside.
    """
    from engine.inventory import ConnectionSettings
    from engine.plan.desired_io import resources_from_json
    from engine.plan.fingerprint import describe_staleness

    hooks = hooks or Hooks()
    runs: dict[str, HostRun] = {}
    for host_plan in saved.hosts:
        inv_host = InventoryHost(host_plan.name, connection=ConnectionSettings.from_json(host_plan.connection))
        runs[host_plan.name] = HostRun(inv_host, plan=host_plan,
                                       resources=resources_from_json(host_plan.name, host_plan.desired))
    stale: dict[str, list[str]] = {}

    def work(run: HostRun) -> None:
        assert run.plan is not None
        if not run.plan.observed_fingerprint:  # the host could not be planned: nothing to apply
            run.error = PlanError(describe_error_list(run.plan))
            return
        try:
            run.session = hooks.open_session(run.inv_host)
            run.observed = collect(run) if collect is not None else hooks.collect(run.session, run.name)
        except (EngineError, OSError) as exc:
            run.error = exc
            log.warning("host.failed", host=run.name, error=describe_error(exc))
            return
        stale[run.name] = describe_staleness(run.plan, run.observed)

    for_each_host(list(runs.values()), work, parallelism)
    return Orchestration(saved, runs), {name: stale[name] for name in runs if stale.get(name)}


def describe_error_list(plan: HostPlan) -> str:
    return "; ".join(e.message for e in plan.errors) or "the host was not planned"
