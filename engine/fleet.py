"""Fleet mechanics for scheduled runs: shards, rolling groups, per-host deadlines, progress.

- **Shards** (``--shard K/N``): a host belongs to shard ``sha256(casefolded name) mod N + 1``.
  The hash depends on nothing but the name, so every machine of a CI matrix or every pod
  of a Kubernetes Indexed Job computes the same partition, run after run.
- **Rolling groups** (``--group-by LABEL``, ``--max-unavailable N|N%``): hosts with
  disruptive changes to converge are grouped by a label; a group converges in waves of at
  most N hosts and stops at its first failure. Pure scheduling lives in ``plan_waves``.
- **What a run may change** (``select_changes``): ``--fix`` mode and consent flags,
  applied to one host's plan; a change whose prerequisite is withheld waits too.
- **Deadlines** (``run_with_deadlines``): bounded concurrency where a host that exceeds
  its time is given up on (reported, never waited for). Python cannot kill a thread, so
  the abandoned worker is a daemon thread: it finishes (or dies with the process) on its
  own, and its slot is handed to the next host at once.
"""

from __future__ import annotations

import hashlib
import queue
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Generic, TypeVar

from engine.errors import PlanError
from engine.plan.model import Change, HostPlan

__all__ = [
    "DEFAULT_GROUP_LABEL",
    "DEFAULT_HOST_TIMEOUT_S",
    "FIX_MODES",
    "UNGROUPED",
    "FixPolicy",
    "FleetProgress",
    "MaxUnavailable",
    "Selection",
    "Shard",
    "TimedOut",
    "group_hosts",
    "parse_max_unavailable",
    "parse_shard",
    "plan_waves",
    "run_with_deadlines",
    "select_changes",
    "select_shard",
    "shard_of",
]

DEFAULT_HOST_TIMEOUT_S = 300.0
DEFAULT_GROUP_LABEL = "cluster"
UNGROUPED = ""  # the group of hosts without the label (they roll together: the safe choice)
FIX_MODES = ("none", "safe", "all")
BLOCKED = "blocked"  # the plan action of a change that needs a VM off (never made)

T = TypeVar("T")
R = TypeVar("R")


# --- shards ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def parse_shard(text: str) -> Shard:
    """``"2/5"`` → ``Shard(2, 5)``; K is 1-based (``$((JOB_COMPLETION_INDEX+1))/N``)."""
    match = _SHARD.match(text)
    if not match:
        raise PlanError(f"'--shard' must be K/N with whole numbers, like 1/4 (got {text!r})")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= index <= count:
        raise PlanError(f"'--shard' must have 1 <= K <= N (got {text!r}; K is 1-based)")
    return Shard(index, count)


def shard_of(name: str, count: int) -> int:
    """The 1-based shard of a host name: stable across runs, machines and Python versions."""
    digest = hashlib.sha256(name.casefold().encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def select_shard(names: Iterable[T], shard: Shard | None, key: Callable[[T], str] = str) -> list[T]:
    """The items of ``names`` in ``shard`` (all of them without one), order kept."""
    items = list(names)
    if shard is None or shard.count == 1:
        return items
    return [item for item in items if shard_of(key(item), shard.count) == shard.index]


# --- rolling groups --------------------------------------------------------------------


@dataclass(frozen=True)
class MaxUnavailable:
    """At most this many hosts of a group converge disruptive changes at once."""

    value: int
    percent: bool = False

    def limit(self, group_size: int) -> int:
        """Hosts at once for a group of ``group_size``: a percentage rounds down, but is at least 1."""
        if group_size <= 0:
            return 0
        if not self.percent:
            return max(1, min(self.value, group_size))
        return max(1, min(group_size, group_size * self.value // 100))

    def __str__(self) -> str:
        return f"{self.value}%" if self.percent else str(self.value)


def parse_max_unavailable(text: str) -> MaxUnavailable:
    """``"2"`` or ``"25%"`` (1..100%)."""
    raw = text.strip()
    percent = raw.endswith("%")
    digits = raw[:-1].strip() if percent else raw
    if not digits.isdigit() or int(digits) < 1 or (percent and int(digits) > 100):
        raise PlanError(
            f"'--max-unavailable' must be a whole number >= 1 or a percentage 1%..100% (got {text!r})"
        )
    return MaxUnavailable(int(digits), percent)


def group_hosts(hosts: Iterable[tuple[str, dict[str, str]]], label: str) -> dict[str, list[str]]:
    """Host names by the value of ``label`` (missing: ``UNGROUPED``); groups sorted, hosts in input order."""
    groups: dict[str, list[str]] = {}
    for name, labels in hosts:
        groups.setdefault(labels.get(label, UNGROUPED), []).append(name)
    return {key: groups[key] for key in sorted(groups)}


def plan_waves(hosts: Sequence[str], limit: int) -> list[list[str]]:
    """The group's hosts in waves of at most ``limit``, in order (the group stops after a failing wave)."""
    if limit < 1:
        raise ValueError("a wave needs at least one host")
    return [list(hosts[i:i + limit]) for i in range(0, len(hosts), limit)]


# --- which changes a scheduled run may make -------------------------------------------


@dataclass(frozen=True)
class FixPolicy:
    mode: str = "none"  # none | safe | all
    allow_disruptive: bool = False
    allow_management_path: bool = False


@dataclass(frozen=True)
class Selection:
    changes: tuple[Change, ...] = ()  # to make now, plan order
    waiting: dict[str, str] = field(default_factory=dict)  # address -> why it is awaiting approval

    @property
    def disruptive(self) -> bool:
        return any(c.disruptive for c in self.changes)


def _withhold_reason(change: Change, policy: FixPolicy, hold_disruptive: str | None) -> str | None:
    if change.risk == "management-path" and not policy.allow_management_path:
        return ("touches the management path (the connection hvnet uses); drift fixes it only with "
                "--allow-management-path")
    if not change.disruptive:
        return None
    if hold_disruptive:
        return hold_disruptive
    if policy.mode == "safe":
        return f"disruptive (risk {change.risk}); --fix safe makes only non-disruptive changes"
    if not policy.allow_disruptive:
        return f"disruptive (risk {change.risk}); needs --fix all --allow-disruptive"
    return None


def select_changes(plan: HostPlan, policy: FixPolicy, *, hold_disruptive: str | None = None) -> Selection:
    """The changes ``policy`` lets this run make on one host, and why each other one waits.

    ``hold_disruptive``: withhold every disruptive change with this reason (a stopped
    rolling group). A change whose prerequisite is withheld or blocked is withheld too,
    so the executor never runs a step whose object was not created.
    """
    if policy.mode == "none":
        return Selection()
    waiting: dict[str, str] = {}
    chosen: list[Change] = []
    blocked = {c.address for c in plan.pending if c.action == BLOCKED}
    for change in plan.pending:
        if change.action == BLOCKED:
            continue
        reason = _withhold_reason(change, policy, hold_disruptive)
        if reason is None:
            chosen.append(change)
        else:
            waiting[change.address] = reason
    step_owner = {step.id: c.address for c in plan.changes for step in c.steps}
    changed = True
    while changed:  # withhold the dependents of withheld changes, transitively
        changed = False
        for change in list(chosen):
            needs = list(change.requires) + [step_owner.get(d, "") for s in change.steps for d in s.depends_on]
            culprit = next((a for a in needs if a and a != change.address and (a in waiting or a in blocked)), None)
            if culprit is not None:
                state = "is blocked" if culprit in blocked else "is awaiting approval"
                waiting[change.address] = f"requires {culprit}, which {state}"
                chosen.remove(change)
                changed = True
    ordered = {c.address: i for i, c in enumerate(plan.changes)}
    return Selection(tuple(chosen), dict(sorted(waiting.items(), key=lambda kv: ordered.get(kv[0], 0))))


# --- bounded concurrency with per-host deadlines ---------------------------------------


@dataclass(frozen=True)
class TimedOut:
    """The result slot of a host that exceeded its time (its worker was abandoned)."""

    seconds: float

    def describe(self) -> str:
        return f"timed out after {self.seconds:g}s (--host-timeout)"


@dataclass
class _Slot(Generic[T]):
    index: int
    item: T
    started: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: bool = False  # the worker delivered its result (guarded by ``lock``)
    abandoned: bool = False  # the caller gave up on it (guarded by ``lock``)


def run_with_deadlines(
    items: Sequence[T],
    work: Callable[[T], R],
    *,
    parallelism: int,
    timeout_s: float | None,
    on_done: Callable[[T, R | TimedOut], None] | None = None,
    late: Callable[[T, R], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> list[R | TimedOut]:
    """``work(item)`` for every item, at most ``parallelism`` at once; results in input order.

    A worker still running ``timeout_s`` after it started is abandoned: its result is
    ``TimedOut`` and the next item starts at once. When an abandoned worker does return,
    ``late(item, result)`` runs in *its* thread (to clean up: close a session, release a
    lock) — the caller never touches what an abandoned worker may still be using.
    ``work`` must record per-host failures itself; anything it raises is a bug and is
    re-raised here.
    """
    results: list[Any] = [None] * len(items)
    pending = list(enumerate(items))
    pending.reverse()  # pop() from the end keeps input order
    running: dict[int, _Slot[T]] = {}
    finished: queue.Queue[tuple[int, Any, BaseException | None]] = queue.Queue()

    def start_next() -> None:
        index, item = pending.pop()
        slot = _Slot(index, item, clock())
        running[index] = slot

        def target() -> None:
            value: Any = None
            error: BaseException | None = None
            try:
                value = work(item)
            except BaseException as exc:  # handed to the caller's thread: never lost
                error = exc
            with slot.lock:
                slot.done = not slot.abandoned
            if slot.done:
                finished.put((index, value, error))
            elif late is not None and error is None:
                late(item, value)

        threading.Thread(target=target, name=f"hvnet-host-{index}", daemon=True).start()

    def settle(slot: _Slot[T], result: Any) -> None:
        del running[slot.index]
        results[slot.index] = result
        if on_done is not None:
            on_done(slot.item, result)

    while pending or running:
        while pending and len(running) < max(1, parallelism):
            start_next()
        wait = None
        if timeout_s is not None:
            wait = max(0.0, min(slot.started for slot in running.values()) + timeout_s - clock())
        try:
            index, value, error = finished.get(timeout=wait)
        except queue.Empty:
            now = clock()
            for slot in list(running.values()):
                if timeout_s is None or now - slot.started < timeout_s:
                    continue
                with slot.lock:
                    slot.abandoned = not slot.done
                if slot.abandoned:  # a worker that just finished is picked up from the queue instead
                    settle(slot, TimedOut(float(timeout_s)))
            continue
        if error is not None:
            raise error
        settle(running[index], value)
    return results


# --- progress ----------------------------------------------------------------------------


class FleetProgress:
    """hosts done/total and failures: a live bar on a terminal, nothing otherwise (logs say it)."""

    def __init__(self, total: int, description: str, stream: IO[str] | None = None) -> None:
        self.total = total
        self.description = description
        self.stream = stream if stream is not None else sys.stderr
        self.failures = 0
        self._lock = threading.Lock()
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> FleetProgress:
        isatty = getattr(self.stream, "isatty", None)
        if self.total > 1 and isatty is not None and isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("hosts, {task.fields[failures]} failed"), TimeElapsedColumn(),
                console=Console(file=self.stream), transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.description, total=self.total, failures=0)
        return self

    def advance(self, failed: bool) -> None:
        with self._lock:
            self.failures += int(failed)
            if self._bar is not None:
                self._bar.update(self._task, advance=1, failures=self.failures)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
