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
fails as "outcome unknown" (never sent twice), and verification settles it. An
error that names no command (see ``retry.failing_cmdlet``) blames no step: with
several statements in flight, each is "outcome unknown".

A round trip cut in transit (a ``TransportError``) is settled the same way: the host
is re-read once; changes it confirms are applied and their dependents run. If it
cannot be re-read, the host is stopped: what is left is skipped, naming the failure.
Either way the failure is logged and kept in ``HostApplyResult.interruptions``.
``blocked`` changes are never run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.apply.step_values import (
    RefUnavailable,
    failing_index,
    failure_message,
    names_a_cmdlet,
    repeatable,
    resolve_refs,
    same_commands,
)
from engine.errors import RemoteCommandError, TransportError
from engine.logging import get_logger
from engine.plan.model import Change, HostPlan
from engine.transport.command import Pipeline, Step
from engine.transport.session import HostSession

__all__ = ["APPLIED", "BLOCKED", "FAILED", "SKIPPED", "ChangeResult", "HostApplyResult", "execute_host"]

APPLIED, FAILED, SKIPPED, BLOCKED = "applied", "failed", "skipped", "blocked"
_PENDING = "pending"

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
    # Round trips cut in transit, one line each: what failed and what a re-read found.
    interruptions: list[str] = field(default_factory=list)

    @property
    def touched(self) -> bool:
        """Anything was sent to the host (it must be re-read to verify)."""
        return self.statements > 0

    def by_status(self, status: str) -> list[ChangeResult]:
        return [c for c in self.changes if c.status == status]

    @property
    def ok(self) -> bool:
        return all(c.status == APPLIED for c in self.changes)


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
        self._cuts = 0  # round trips cut in transit so far
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
            self._connection_lost([(e, s) for e, s, _ in sendable], exc)
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
        if not names_a_cmdlet(exc) and (tail or len(sent) > 1):
            # The error does not say which statement failed: blaming one would be a guess.
            for entry, step, _ in sent:
                self._fail(entry, f"{entry.change.address}: outcome unknown: step {step.id} shared a round trip "
                                  f"that failed on {self.host} ({exc.message}), and the error names no command",
                           uncertain=True)
            return
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
                self._confirmed(entry, remaining)
            elif fresh is not None and same_commands(fresh[address].steps, remaining):
                log.info("step.resend", host=self.host, address=address, step=step.id)
            else:
                self._fail(entry, f"{address}: outcome unknown: step {step.id} shared a round trip with a "
                                  f"failing step ({exc.cmdlet}: {exc.message})", uncertain=True)

    def _confirmed(self, entry: _Entry, remaining: tuple[Step, ...], note: str = "") -> None:
        """The host already shows ``entry``'s desired state: its remaining steps count as run."""
        entry.result.steps_run += len(remaining)
        self._finish(entry)
        entry.result.message = note
        for done in remaining:
            self.outputs[done.id] = None  # ran (or was not needed); any output is lost

    # --- a round trip cut in transit ---
    def _connection_lost(self, sent: list[tuple[_Entry, Step]], exc: TransportError) -> None:
        """The host may have run all, some or none of ``sent``: re-read it once to find out.

        Confirmed changes count as applied, so their dependents go on. A change the host
        still needs whose remaining steps are all repeatable is sent again; anything else
        fails as "outcome unknown" (verification settles it). When the host cannot be
        re-read (or a second round trip is cut), the host is stopped: every change still
        to run is skipped, naming the connection failure.
        """
        self._cuts += 1
        firsts: dict[str, tuple[_Entry, Step]] = {}
        for entry, step in sent:
            firsts.setdefault(entry.change.address, (entry, step))
        cmdlets = ", ".join(dict.fromkeys(step.pipeline.commands[-1].name for _, step in sent))
        what = f"{self.host}: the connection failed during apply while running {cmdlets} ({exc.message})"
        fresh, reread_error = self._reread() if self._cuts == 1 else (None, "a second round trip was cut")
        if fresh is None:
            for entry, step in firsts.values():
                self._fail(entry, f"{entry.change.address}: lost the connection while running "
                                  f"{step.pipeline.commands[-1].name} on {self.host}: {exc.message}", uncertain=True)
            stopped = self._stop(f"not run: the connection to {self.host} failed during apply ({exc.message})")
            self._interrupted(f"{what}; could not re-read the host ({reread_error}): {len(firsts)} changes of "
                              f"that round trip have an unknown outcome, {stopped} changes still to run were skipped")
            return
        confirmed = resent = 0
        for entry, step in firsts.values():
            address = entry.change.address
            remaining = entry.change.steps[entry.change.steps.index(step):]
            if address not in fresh:
                confirmed += 1
                self._confirmed(entry, remaining, f"applied; confirmed by re-reading {self.host} after the "
                                                  f"connection failed ({exc.message})")
            elif all(repeatable(s) for s in remaining):  # sending them again cannot hurt
                resent += 1
                log.info("step.resend", host=self.host, address=address, step=step.id)
            else:  # a create/remove may still be in flight on the host: never sent twice
                self._fail(entry, f"{address}: outcome unknown: the connection failed while running "
                                  f"{step.pipeline.commands[-1].name} ({exc.message}) and re-reading {self.host} "
                                  "shows the change still needed", uncertain=True)
        unknown = len(firsts) - confirmed - resent
        self._interrupted(f"{what}; re-read the host: {confirmed} of {len(firsts)} changes of that round trip "
                          f"were confirmed" + (f", {resent} sent again (repeatable)" if resent else "")
                          + (f", {unknown} with an unknown outcome" if unknown else ""))

    def _reread(self) -> tuple[dict[str, Change] | None, str]:
        """The host's fresh needs (None when it cannot be re-read) and why not."""
        if self.recheck is None:
            return None, "no re-read available"
        try:
            fresh = self.recheck()
        except (RemoteCommandError, TransportError) as err:
            return None, str(err)
        self.result.round_trips += 1
        return fresh, ""

    def _stop(self, reason: str) -> int:
        """Skip every change still to run with ``reason``; how many."""
        pending = [e for e in self.entries.values() if e.result.status == _PENDING]
        for entry in pending:
            entry.result.status, entry.result.message = SKIPPED, reason
            log.info("change.skipped", host=self.host, address=entry.change.address, reason=reason)
        self._changed = self._changed or bool(pending)
        return len(pending)

    def _interrupted(self, detail: str) -> None:
        self.result.interruptions.append(detail)
        log.warning("apply.interrupted", host=self.host, detail=detail)


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
