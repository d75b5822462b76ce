"""Runs structured PowerShell invocations against a simulated host's cmdlet registry.

An invocation is a list of statements; each statement is a pipeline whose commands
pass their output on as the next command's input. Errors behave as in PowerShell:
``ctx.write_error`` is non-terminating (recorded, the pipeline goes on); a
``CmdletError``, an unknown command, a binding failure or script text end the whole
invocation with state Failed. Sans-IO: the PSRP layer turns ``InvocationResult``
into messages.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.sim.binding import bind, bind_piped, binds_piped_by_name, cmdlet_type_name
from engine.sim.objects import CmdletError, CommandCall, ErrorRecord
from engine.sim.registry import CmdletSpec, SimHostAPI

log = logging.getLogger(__name__)

# Cmdlets whose End block produces output even when nothing was piped in.
_RUNS_WITHOUT_INPUT = frozenset({"measure-object"})

NOT_RECOGNIZED = (
    "The term '{name}' is not recognized as the name of a cmdlet, function, script file, or operable program. "
    "Check the spelling of the name, or if a path was included, verify that the path is correct and try again."
)
NO_LANGUAGE = (
    "The syntax is not supported by this runspace. This can occur if the runspace is in no-language mode."
)


@dataclass(frozen=True)
class ScriptText:
    """A command the client sent as script text (``add_script``); always refused."""

    text: str


Command = CommandCall | ScriptText


@dataclass
class InvocationResult:
    """What an invocation produced, in emission order, and how it ended."""

    records: list[tuple[str, Any]] = field(default_factory=list)  # ("output", obj) | ("error", ErrorRecord)
    terminating: ErrorRecord | None = None

    @property
    def output(self) -> list[Any]:
        return [value for kind, value in self.records if kind == "output"]

    @property
    def errors(self) -> list[ErrorRecord]:
        return [value for kind, value in self.records if kind == "error"]


class _Context:
    def __init__(self, result: InvocationResult, client_address: str, activity: str) -> None:
        self._result = result
        self._client_address = client_address
        self._activity = activity

    def write_error(self, record: ErrorRecord) -> None:
        self._result.records.append(("error", _with_activity(record, self._activity)))

    @property
    def client_address(self) -> str:
        return self._client_address


def _with_activity(record: ErrorRecord, activity: str) -> ErrorRecord:
    if record.activity:
        return record
    return ErrorRecord(
        message=record.message,
        fully_qualified_error_id=record.fully_qualified_error_id,
        category=record.category,
        target_name=record.target_name,
        exception_type=record.exception_type,
        activity=activity,
    )


def command_not_found(name: str) -> ErrorRecord:
    return ErrorRecord(
        message=NOT_RECOGNIZED.format(name=name),
        fully_qualified_error_id="CommandNotFoundException",
        category="ObjectNotFound",
        target_name=name,
        exception_type="System.Management.Automation.CommandNotFoundException",
    )


def scripts_not_allowed() -> ErrorRecord:
    return ErrorRecord(
        message=NO_LANGUAGE,
        fully_qualified_error_id="ScriptsNotAllowed",
        category="ParserError",
        exception_type="System.Management.Automation.ParseException",
    )


def unexpected_failure(spec: CmdletSpec, exc: BaseException) -> ErrorRecord:
    return ErrorRecord(
        message=f"{spec.name} failed unexpectedly: {exc}",
        fully_qualified_error_id=f"UnexpectedError,{cmdlet_type_name(spec)}",
        category="NotSpecified",
        exception_type="System.Management.Automation.CmdletInvocationException",
        activity=spec.name,
    )


def run_invocation(
    host: SimHostAPI,
    statements: Sequence[Sequence[Command]],
    pipeline_input: Sequence[Any] = (),
    client_address: str = "127.0.0.1",
) -> InvocationResult:
    """Run ``statements`` in order under the host lock (Hyper-V's VMMS serializes too)."""
    result = InvocationResult()
    with host.lock:
        for index, statement in enumerate(statements):
            first_input = list(pipeline_input) if index == 0 else []
            try:
                _run_statement(host, statement, first_input, client_address, result)
            except CmdletError as exc:
                result.terminating = exc.record
                break
    return result


def _resolve(host: SimHostAPI, statement: Sequence[Command]) -> list[tuple[CmdletSpec, CommandCall]]:
    resolved: list[tuple[CmdletSpec, CommandCall]] = []
    for command in statement:
        if isinstance(command, ScriptText):
            raise CmdletError(scripts_not_allowed())
        spec = host.registry.get(command.name)
        if spec is None:
            raise CmdletError(command_not_found(command.name))
        resolved.append((spec, command))
    return resolved


def _run_statement(
    host: SimHostAPI,
    statement: Sequence[Command],
    first_input: list[Any],
    client_address: str,
    result: InvocationResult,
) -> None:
    resolved = _resolve(host, statement)
    # PowerShell binds every command's named arguments before the pipeline starts.
    bound = [
        bind(spec, call, has_pipeline_input=position > 0 or bool(first_input))
        for position, (spec, call) in enumerate(resolved)
    ]
    current = first_input
    for position, ((spec, _call), params) in enumerate(zip(resolved, bound, strict=True)):
        downstream = position > 0
        if downstream and not current and spec.name.casefold() not in _RUNS_WITHOUT_INPUT:
            current = []  # the Process block never runs without input
            continue
        current = _invoke(host, spec, params, current, client_address, result)
    result.records.extend(("output", value) for value in current)


def _invoke(
    host: SimHostAPI,
    spec: CmdletSpec,
    params: dict[str, Any],
    pipeline_input: list[Any],
    client_address: str,
    result: InvocationResult,
) -> list[Any]:
    if not pipeline_input or not binds_piped_by_name(spec):
        return _invoke_once(host, spec, params, pipeline_input, client_address, result)
    # ValueFromPipelineByPropertyName: PowerShell binds each piped object and runs ProcessRecord
    # once per object; so the cmdlet log (and a JEA role's ValidatePattern) sees the bound value.
    out: list[Any] = []
    for piped in pipeline_input:
        try:
            bound = bind_piped(spec, params, piped)
        except CmdletError as exc:  # this record only: the pipeline goes on
            result.records.append(("error", exc.record))
            continue
        out += _invoke_once(host, spec, bound, [], client_address, result)
    return out


def _invoke_once(
    host: SimHostAPI,
    spec: CmdletSpec,
    params: dict[str, Any],
    pipeline_input: list[Any],
    client_address: str,
    result: InvocationResult,
) -> list[Any]:
    injected = host.before_cmdlet(spec.name, params)
    ctx = _Context(result, client_address, spec.name)
    if injected is not None:
        # CONTRACT §4: an injected failure is a non-terminating error; the cmdlet does nothing.
        ctx.write_error(_with_activity(injected, spec.name))
        return []
    try:
        return list(spec.handler(ctx, params, pipeline_input))
    except CmdletError as exc:
        raise CmdletError(_with_activity(exc.record, spec.name)) from None
    except Exception as exc:  # noqa: BLE001 - a handler bug becomes the error record PowerShell would show
        log.exception("cmdlet.crashed", extra={"cmdlet": spec.name})
        raise CmdletError(unexpected_failure(spec, exc)) from exc
