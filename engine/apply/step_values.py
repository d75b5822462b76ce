"""The pure parts of running a step: resolving its ``Ref`` values, telling whether it may
be sent twice, and naming the step a host's error is about (no I/O)."""

from __future__ import annotations

from typing import Any

from engine.errors import RemoteCommandError
from engine.plan.model import Change
from engine.transport.command import Cmdlet, Pipeline, Ref, Step
from engine.transport.retry import UNKNOWN_CMDLET
from engine.transport.session import is_read_only

__all__ = [
    "REPEATABLE_VERBS",
    "RefUnavailable",
    "failing_index",
    "failure_message",
    "names_a_cmdlet",
    "property_of",
    "repeatable",
    "resolve_refs",
    "same_commands",
]

# Verbs whose second run sets the same value again: safe to resend when unsure they ran.
REPEATABLE_VERBS = frozenset({"set", "enable", "disable", "connect", "disconnect"})


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
    """``addr: Set-VMSwitch failed on hv1 [id]: message``; the step, when the error names no cmdlet."""
    error_id = f" [{exc.error_id}]" if exc.error_id else ""
    if names_a_cmdlet(exc):
        what = exc.cmdlet
    else:
        what = f"step {step.id} ({' | '.join(c.name for c in step.pipeline.commands)})"
    return f"{change.address}: {what} failed on {exc.host}{error_id}: {exc.message}"


def names_a_cmdlet(exc: RemoteCommandError) -> bool:
    """Does the host's error say which command failed (see ``retry.failing_cmdlet``)?"""
    return bool(exc.cmdlet) and exc.cmdlet != UNKNOWN_CMDLET
