"""Run exactly the steps a plan lists, on one host, in as few round trips as order allows.

Scheduling, per host, in waves: a wave is every step that may run now — its change's
``requires`` have succeeded, the steps it ``depends_on`` have run, the steps before
it in its change have run or are in this wave. A wave is sent as the statements of
ONE ``session.run`` call, in plan order. ``Ref`` parameter values are resolved from
the outputs of earlier waves (the referenced step's single output object).

Failures: a failing step fails its change; every change that ``requires`` it (or
depends on one of its steps) is skipped with the reason; independent changes go on.
When a wave of several statements fails, the host reports only the first error, so
the step is identified by its cmdlet: statements before it ran, the ones after it
may or may not have run (a non-terminating error lets them run, a terminating one
does not). Those after it are sent again if repeating them is harmless
(Set/Enable/Disable/Connect/Disconnect). For the others the host is re-read and
re-planned once (``recheck``): a resource now in sync ran; one whose fresh plan
still lists exactly the unsent steps did not run and is sent again; anything else
fails as "outcome unknown" (never sent twice), and verification settles it.
``blocked`` changes are never run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.errors import RemoteCommandError, TransportError
from engine.logging import get_logger
from engine.plan.model import Change, HostPlan
from engine.transport.command import Cmdlet, Pipeline, Ref, Step
from engine.transport.session import HostSession, is_read_only

__all__ = ["APPLIED", "BLOCKED", "FAILED", "SKIPPED", "ChangeResult", "HostApplyResult", "execute_host"]

APPLIED, FAILED, SKIPPED, BLOCKED = "applied", "failed", "skipped", "blocked"
_PENDING = "pending"
# Verbs whose second run sets the same value again: safe to resend when unsure they ran.
REPEATABLE_VERBS = frozenset({"set", "enable", "disable", "connect", "disconnect"})

log = get_logger()


@dataclass
class ChangeResult:
    address: str
    action: str
    status: str = _PENDING  # applied | failed | skipped | blocked
    message: str = ""
    steps_run: int = 0
    disruptive: bool = False
    risk: str = "none"
    uncertain: bool = False  # failed without knowing whether the host ran it (verification settles it)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"address": self.address, "action": self.action, "status": self.status}
        if self.message:
            out["message"] = self.message
        return out


@dataclass
class HostApplyResult:
    host: str
    changes: list[ChangeResult] = field(default_factory=list)
    round_trips: int = 0
    statements: int = 0
    tail_outputs: list[list[Any]] | None = None  # the caller's reads, sent with the last wave

    @property
    def touched(self) -> bool:
        """Anything was sent to the host (it must be re-read to verify)."""
        return self.statements > 0

    def by_status(self, status: str) -> list[ChangeResult]:
        return [c for c in self.changes if c.status == status]

    @property
    def ok(self) -> bool:
        return all(c.status == APPLIED for c in self.changes)


class RefUnavailable(ValueError):
    pass


def repeatable(step: Step) -> bool:
    """True when running ``step`` a second time cannot create or remove anything."""
    return all(
        is_read_only(c) or c.name.partition("-")[0].casefold() in REPEATABLE_VERBS for c in step.pipeline.commands
    )


def resolve_refs(step: Step, outputs: dict[str, list[Any] | None]) -> Pipeline:
    """The step's pipeline with every ``Ref`` replaced by the referenced output's property."""

    def value(v: Any) -> Any:
        if isinstance(v, Ref):
            return _ref_value(v, outputs)
        if isinstance(v, list):
            return [value(x) for x in v]
        return v

    commands = tuple(Cmdlet(c.name, tuple((k, value(v)) for k, v in c.parameters)) for c in step.pipeline.commands)
    return Pipeline(commands)


def _ref_value(ref: Ref, outputs: dict[str, list[Any] | None]) -> Any:
    if ref.step not in outputs:
        raise RefUnavailable(f"step {ref.step} has not run")
    produced = outputs[ref.step]
    if produced is None:
        raise RefUnavailable(f"the output of step {ref.step} was lost (its round trip failed)")
    if len(produced) != 1:
        raise RefUnavailable(f"step {ref.step} returned {len(produced)} objects, expected exactly one")
    found = property_of(produced[0], ref.property)
    if found is None:
        raise RefUnavailable(f"the output of step {ref.step} has no property {ref.property}")
    return found


def property_of(obj: Any, name: str) -> Any:
    """A property of a deserialized PowerShell object (pypsrp GenericComplexObject) or a dict."""
    if isinstance(obj, dict):
        return _casefold_get(obj, name)
    for attr in ("adapted_properties", "extended_properties"):
        props = getattr(obj, attr, None)
        if isinstance(props, dict):
            found = _casefold_get(props, name)
            if found is not None:
                return found
    return getattr(obj, name, None)


def _casefold_get(mapping: dict[str, Any], name: str) -> Any:
    if name in mapping:
        return mapping[name]
    key = name.casefold()
    return next((v for k, v in mapping.items() if isinstance(k, str) and k.casefold() == key), None)


@dataclass
class _Entry:
    change: Change
    result: ChangeResult
    next_step: int = 0


# Re-reads and re-plans the host: the changes it needs now, by address (noop ones left out).
Recheck = Callable[[], dict[str, Change]]


class _HostRun:
    def __init__(self, session: HostSession, plan: HostPlan, recheck: Recheck | None = None) -> None:
        self.session = session
        self.recheck = recheck
        self.host = plan.name
        self.entries: dict[str, _Entry] = {}
        self.step_owner: dict[str, str] = {}
        self.outputs: dict[str, list[Any] | None] = {}
        self.result = HostApplyResult(plan.name)
        self._changed = False
        for change in plan.changes:
            if change.action == "noop":
                continue
            res = ChangeResult(change.address, change.action, disruptive=change.disruptive, risk=change.risk)
            self.entries[change.address] = _Entry(change, res)
            self.result.changes.append(res)
            if change.action == "blocked":
                res.status, res.message = BLOCKED, change.reason or "blocked"
            for step in change.steps:
                self.step_owner[step.id] = change.address

    # --- scheduling ---
    def _status(self, address: str) -> str:
        entry = self.entries.get(address)
        return APPLIED if entry is None else entry.result.status  # not in the plan: nothing to wait for

    def next_wave(self) -> list[tuple[_Entry, Step]]:
        """Every step that may run now, in plan order; records skips and empty changes on the way."""
        wave: list[tuple[_Entry, Step]] = []
        in_wave: set[str] = set()
        for entry in self.entries.values():
            if entry.result.status != _PENDING:
                continue
            verdict = self._prerequisites(entry.change.requires)
            if verdict is not None:
                if verdict[0] != "wait":
                    self._skip(entry, *verdict)
                continue
            steps = entry.change.steps
            if entry.next_step >= len(steps):
                self._finish(entry)
                continue
            for step in steps[entry.next_step:]:
                if step.id in self.outputs:  # already ran (a wave re-sent only the steps after a failure)
                    continue
                owners = [self.step_owner.get(d, "") for d in step.depends_on if d not in self.outputs]
                verdict = self._prerequisites([o for o in owners if o != entry.change.address])
                if verdict is not None and verdict[0] != "wait" and not any(e is entry for e, _ in wave):
                    self._skip(entry, *verdict)
                if verdict is not None or any(d in in_wave or d not in self.outputs for d in step.depends_on):
                    break
                wave.append((entry, step))
                in_wave.add(step.id)
        return wave

    def _prerequisites(self, addresses: list[str] | tuple[str, ...]) -> tuple[str, str] | None:
        """None when every change in ``addresses`` succeeded; ("wait", "") while one is pending;
        (status, address) for one that never will."""
        waiting = False
        for address in addresses:
            status = self._status(address)
            if status in (FAILED, SKIPPED, BLOCKED):
                return status, address
            waiting = waiting or status != APPLIED
        return ("wait", "") if waiting else None

    def _skip(self, entry: _Entry, status: str, address: str) -> None:
        entry.result.status = SKIPPED
        entry.result.message = f"it requires {address}, which {_verb(status)}"
        self._changed = True
        log.info("change.skipped", host=self.host, address=entry.change.address, requires=address)

    def _finish(self, entry: _Entry) -> None:
        entry.result.status = APPLIED
        self._changed = True
        log.info("change.applied", host=self.host, address=entry.change.address)

    def _fail(self, entry: _Entry, message: str, *, uncertain: bool = False) -> None:
        if entry.result.status == _PENDING:
            entry.result.status = FAILED
            entry.result.message = message
            entry.result.uncertain = uncertain
            log.info("change.failed", host=self.host, address=entry.change.address, error=message)

    # --- running ---
    def run(self, tail: list[Pipeline]) -> HostApplyResult:
        while True:
            self._changed = False
            wave = self.next_wave()
            if wave:
                self.run_wave(wave, tail if tail and self._is_last(wave) else [])
            elif not self._changed:
                break
        for entry in self.entries.values():  # only a cycle in the plan leaves changes pending
            if entry.result.status == _PENDING:
                self._fail(entry, f"{entry.change.address}: not run: its prerequisites never completed")
        return self.result

    def _is_last(self, wave: list[tuple[_Entry, Step]]) -> bool:
        """Does ``wave`` hold every step still to run (so reads may ride along with it)?"""
        in_wave = {step.id for _, step in wave}
        return all(
            step.id in in_wave or step.id in self.outputs
            for entry in self.entries.values()
            if entry.result.status == _PENDING
            for step in entry.change.steps
        )

    def run_wave(self, wave: list[tuple[_Entry, Step]], tail: list[Pipeline] | None = None) -> None:
        """Send ``wave`` (and after it the caller's read-only ``tail``) in one round trip."""
        tail = tail or []
        sendable: list[tuple[_Entry, Step, Pipeline]] = []
        for entry, step in wave:
            if entry.result.status != _PENDING:
                continue
            try:
                sendable.append((entry, step, resolve_refs(step, self.outputs)))
            except RefUnavailable as exc:
                self._fail(entry, f"{entry.change.address}: step {step.id} cannot run: {exc}")
        sendable = [(e, s, p) for e, s, p in sendable if e.result.status == _PENDING]
        if not sendable:
            return
        self.result.round_trips += 1
        self.result.statements += len(sendable)
        log.debug("wave.sending", host=self.host, steps=[s.id for _, s, _ in sendable])
        try:
            outputs = self.session.run([p for _, _, p in sendable] + tail)
        except RemoteCommandError as exc:
            self._wave_failed(sendable, exc, tail)
            return
        except TransportError as exc:
            for entry, step, _ in sendable:
                self._fail(entry, f"{entry.change.address}: lost the connection while running "
                                  f"{step.pipeline.commands[-1].name} on {self.host}: {exc.message}",
                           uncertain=True)
            return
        for (entry, step, _), produced in zip(sendable, outputs[:len(sendable)], strict=True):
            self._step_done(entry, step, produced)
        if tail:
            self.result.tail_outputs = outputs[len(sendable):]

    def _step_done(self, entry: _Entry, step: Step, produced: list[Any] | None) -> None:
        self.outputs[step.id] = produced
        entry.result.steps_run += 1
        entry.next_step = entry.change.steps.index(step) + 1
        if entry.next_step >= len(entry.change.steps) and entry.result.status == _PENDING:
            self._finish(entry)

    def _wave_failed(
        self, sent: list[tuple[_Entry, Step, Pipeline]], exc: RemoteCommandError, tail: list[Pipeline]
    ) -> None:
        index = failing_index([s for _, s, _ in sent], exc.cmdlet)
        if index is None and tail:  # the steps ran; the reads riding along failed (the caller reads again)
            for entry, step, _ in sent:
                self._step_done(entry, step, None)
            return
        entry, step, _ = sent[index or 0]
        self._fail(entry, failure_message(entry.change, step, exc))
        for before_entry, before_step, _ in sent[:index or 0]:
            if before_entry is not entry:
                self._step_done(before_entry, before_step, None)  # ran; its output is lost
        unsure: list[tuple[_Entry, Step]] = []
        for after_entry, after_step, _ in sent[(index or 0) + 1:]:
            if after_entry is entry or after_entry.result.status != _PENDING:
                continue
            if not repeatable(after_step) and not any(e is after_entry for e, _ in unsure):
                unsure.append((after_entry, after_step))
            # a repeatable step stays pending at this step: the next wave sends it again
        if unsure:
            self._settle(unsure, exc)

    def _settle(self, unsure: list[tuple[_Entry, Step]], exc: RemoteCommandError) -> None:
        """Find out from the host whether steps sent after a failing one ran (see module docstring)."""
        fresh: dict[str, Change] | None = None
        if self.recheck is not None:
            try:
                fresh = self.recheck()
                self.result.round_trips += 1
            except (RemoteCommandError, TransportError) as err:
                log.warning("host.recheck_failed", host=self.host, error=str(err))
        for entry, step in unsure:
            address = entry.change.address
            remaining = entry.change.steps[entry.change.steps.index(step):]
            if fresh is not None and address not in fresh:
                entry.result.steps_run += len(remaining)
                self._finish(entry)  # the host already shows the desired state
                for done in remaining:
                    self.outputs[done.id] = None
            elif fresh is not None and same_commands(fresh[address].steps, remaining):
                log.info("step.resend", host=self.host, address=address, step=step.id)
            else:
                self._fail(entry, f"{address}: outcome unknown: step {step.id} shared a round trip with a "
                                  f"failing step ({exc.cmdlet}: {exc.message})", uncertain=True)


def same_commands(fresh: tuple[Step, ...], planned: tuple[Step, ...]) -> bool:
    """Do two step lists run the same commands (step ids aside)? Refs never compare equal to values."""

    def shape(steps: tuple[Step, ...]) -> list[tuple[Cmdlet, ...]]:
        return [step.pipeline.commands for step in steps]

    return shape(fresh) == shape(planned)


def failing_index(steps: list[Step], cmdlet: str) -> int | None:
    """The first step whose pipeline runs ``cmdlet`` (the only hint a host's error gives)."""
    key = cmdlet.casefold()
    for index, step in enumerate(steps):
        if any(c.name.casefold() == key for c in step.pipeline.commands):
            return index
    return None


def failure_message(change: Change, step: Step, exc: RemoteCommandError) -> str:
    error_id = f" [{exc.error_id}]" if exc.error_id else ""
    return f"{change.address}: {exc.cmdlet or step.pipeline.commands[-1].name} failed on {exc.host}{error_id}: {exc.message}"


def _verb(status: str) -> str:
    return {FAILED: "failed", SKIPPED: "was skipped", BLOCKED: "is blocked"}.get(status, status)


def execute_host(
    session: HostSession,
    plan: HostPlan,
    recheck: Recheck | None = None,
    tail: list[Pipeline] | None = None,
) -> HostApplyResult:
    """Run the plan's steps for one host (see module docstring); never raises for a step's failure.

    ``tail``: read-only statements to send with the last wave (apply's verification read),
    saving a round trip; their outputs land in ``result.tail_outputs`` (None if not sent).
    """
    return _HostRun(session, plan, recheck).run(list(tail or []))
