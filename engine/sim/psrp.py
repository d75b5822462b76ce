"""PSRP runspace pools and pipelines, served with psrpcore's server classes.

One ``ShellSession`` per WinRM shell (= runspace pool). Every psrpcore pitfall from
the PSRP server notes is handled here and nowhere else:

1. the pool id is set from the ShellId before the Create data is fed;
2. a ``ServerPipeline`` is created before its Command data is fed;
3. pipelines go Running without the PipelineState=Running message Windows never sends;
4. a terminating error fails the pipeline with its ErrorRecord (private state change);
5. after every event all of ``data_to_send()`` is drained into per-target queues;
6. on Delete, pipelines are closed before the pool;
7. psrpcore errors (e.g. a 2**40 sent as I32) surface as ``PSRPFailure`` for a fault.

psrpcore objects are not thread-safe: every access holds the session's lock.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from psrpcore import (
    CreatePipelineEvent,
    EndOfPipelineInputEvent,
    GetAvailableRunspacesEvent,
    PipelineInputEvent,
    PSRPCoreError,
    ResetRunspaceStateEvent,
    ServerPipeline,
    SetMaxRunspacesEvent,
    SetMinRunspacesEvent,
)
from psrpcore._payload import PSRPPayload, StreamType
from psrpcore.types import (
    ErrorCategory,
    ErrorCategoryInfo,
    NETException,
    PSInvocationState,
    PSRPMessageType,
    RunspacePoolState,
)
from psrpcore.types import ErrorRecord as CoreErrorRecord

from engine.sim.dispatcher import Command, InvocationResult, run_invocation
from engine.sim.objects import ErrorRecord
from engine.sim.psrp_pool import ReusedCreatePipeline, SimPool, statements_of
from engine.sim.registry import SimHostAPI
from engine.sim.serialize import RawClixml, to_clixml

log = logging.getLogger(__name__)

FRAGMENT_SIZE = 32_768  # bytes of PSRP data per fragment sent to the client
_FINAL_STATES = (PSInvocationState.Completed, PSInvocationState.Failed, PSInvocationState.Stopped)


class PSRPFailure(Exception):
    """psrpcore rejected the client's data; the request is answered with a fault."""


@dataclass
class _PipelineRun:
    pipeline: ServerPipeline
    input_objects: list[Any] = field(default_factory=list)
    statements: Sequence[Sequence[Command]] | None = None  # known when the CreatePipeline was cached
    finished: bool = False  # final PipelineState queued


@dataclass
class ReceiveResult:
    payloads: list[bytes]
    command_done: bool = False


def core_error_record(record: ErrorRecord, target_object: Any = None) -> CoreErrorRecord:
    """An engine ``ErrorRecord`` as the ErrorRecord a Windows host sends."""
    exception = NETException(Message=record.message, HResult=-2146233087)
    exception.PSObject.type_names = [record.exception_type, "System.Exception", "System.Object"]
    try:
        category = ErrorCategory[record.category]
    except KeyError:
        category = ErrorCategory.NotSpecified
    reason = record.exception_type.rsplit(".", 1)[-1]
    info = ErrorCategoryInfo(
        Category=category,
        Activity=record.activity or None,
        Reason=reason,
        TargetName=record.target_name or None,
        TargetType="String" if record.target_name else None,
    )
    value = CoreErrorRecord(
        Exception=exception,
        CategoryInfo=info,
        TargetObject=target_object if target_object is not None else (record.target_name or None),
        FullyQualifiedErrorId=record.fully_qualified_error_id,
    )
    value.PSObject.to_string = record.message
    return value


def _psrp_pipeline_id(fragment: bytes) -> uuid.UUID | None:
    """The pipeline id in the header of the PSRP message starting in ``fragment`` (MS-PSRP 2.2.4/2.2.1)."""
    if len(fragment) < 21 + 40 or not fragment[16] & 0x1:  # no complete start-fragment header
        return None
    pid = uuid.UUID(bytes_le=bytes(fragment[21 + 24 : 21 + 40]))
    return None if pid.int == 0 else pid


class ShellSession:
    """One runspace pool: feeds client data to psrpcore, runs pipelines, queues replies."""

    def __init__(
        self,
        shell_id: uuid.UUID,
        host: SimHostAPI,
        client_address: str,
        runner: Callable[..., InvocationResult] = run_invocation,
    ) -> None:
        self.shell_id = shell_id
        self.host = host
        self.client_address = client_address
        self._runner = runner
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._pool = SimPool()
        self._pool.runspace_pool_id = shell_id  # pitfall 1
        self._runs: dict[uuid.UUID, _PipelineRun] = {}
        self._queues: dict[uuid.UUID | None, deque[bytes]] = {None: deque()}
        self._command_of: dict[uuid.UUID, uuid.UUID] = {}  # PSRP pipeline id → CommandId
        self._closed = False

    # -- client → server -------------------------------------------------------------
    def open(self, creation_data: bytes) -> None:
        self.feed(creation_data, None)

    def create_command(self, command_id: uuid.UUID, first_fragment: bytes) -> None:
        # Windows keys the pipeline by the WS-Management CommandId; older clients wrote the PSRP
        # pipeline id with another byte order. psrpcore looks pipelines up by the PSRP id.
        pipeline_id = _psrp_pipeline_id(first_fragment) or command_id
        with self._lock:
            if command_id in self._runs:
                raise PSRPFailure(f"a command with id {command_id} already exists")
            self._runs[command_id] = _PipelineRun(ServerPipeline(self._pool, pipeline_id))  # pitfall 2
            self._queues[command_id] = deque()
            self._command_of[pipeline_id] = command_id
        self.feed(first_fragment, command_id)

    def has_command(self, command_id: uuid.UUID) -> bool:
        with self._lock:
            return command_id in self._runs

    def feed(self, data: bytes, command_id: uuid.UUID | None) -> None:
        with self._changed:
            try:
                self._pool.receive_data(PSRPPayload(data, StreamType.default, command_id))
                while (event := self._pool.next_event()) is not None:
                    self._on_event(event)
            except (PSRPCoreError, ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
                log.warning("psrp.rejected", extra={"shell": str(self.shell_id), "error": str(exc)})
                raise PSRPFailure(str(exc)) from exc
            finally:
                self._drain()

    def _on_event(self, event: Any) -> None:
        if isinstance(event, CreatePipelineEvent):
            run = self._run_of(event.pipeline_id)
            if isinstance(event, ReusedCreatePipeline):
                run.statements = event.statements
            # psrpcore has set run.pipeline.metadata (event.pipeline would rebuild it).
            if run.pipeline.metadata is not None and run.pipeline.metadata.no_input:
                self._execute(run)
        elif isinstance(event, PipelineInputEvent):
            self._run_of(event.pipeline_id).input_objects.append(event.data)
        elif isinstance(event, EndOfPipelineInputEvent):
            self._execute(self._run_of(event.pipeline_id))
        elif isinstance(event, SetMaxRunspacesEvent | SetMinRunspacesEvent | ResetRunspaceStateEvent):
            self._pool.runspace_availability_response(event.ci, True)
        elif isinstance(event, GetAvailableRunspacesEvent):
            self._pool.runspace_availability_response(event.ci, self._pool.max_runspaces)

    def _run_of(self, pipeline_id: uuid.UUID) -> _PipelineRun:
        return self._runs[self._command_of.get(pipeline_id, pipeline_id)]

    def _execute(self, run: _PipelineRun) -> None:
        pipeline = run.pipeline
        if pipeline.state != PSInvocationState.NotStarted or pipeline.metadata is None:
            return
        pipeline._change_state(PSInvocationState.Running, emit=False)  # pitfall 3
        result = self._runner(
            self.host,
            run.statements if run.statements is not None else statements_of(pipeline.metadata),
            run.input_objects,
            self.client_address,
        )
        for kind, value in result.records:
            if kind == "output":
                self._pool.prepare_message(
                    RawClixml(to_clixml(value)), PSRPMessageType.PipelineOutput, pipeline.pipeline_id
                )
            else:
                self._pool.prepare_message(
                    core_error_record(value), PSRPMessageType.ErrorRecord, pipeline.pipeline_id
                )
        if result.terminating is not None:
            pipeline._change_state(
                PSInvocationState.Failed, error=core_error_record(result.terminating)
            )  # pitfall 4
        else:
            pipeline.complete()
        run.finished = True

    def _drain(self) -> None:
        # pitfall 5: data_to_send() yields one target at a time; route every payload now.
        while (payload := self._pool.data_to_send(FRAGMENT_SIZE)) is not None:
            target = payload.pipeline_id
            queue = self._queues.get(self._command_of.get(target, target) if target else None)
            if queue is None:  # a message for a pipeline already closed: nobody will read it
                continue
            queue.append(payload.data)
        self._changed.notify_all()

    # -- server → client -------------------------------------------------------------
    def receive(self, command_id: uuid.UUID | None, timeout: float, max_bytes: int) -> ReceiveResult | None:
        """Wait up to ``timeout`` s for data for the pool (None) or a pipeline; None = timed out."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                if self._closed:
                    raise PSRPFailure("the shell was closed")
                queue = self._queues.get(command_id)
                if queue is None:
                    raise PSRPFailure(f"unknown command {command_id}")
                run = self._runs.get(command_id) if command_id is not None else None
                if queue or (run is not None and run.finished):
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._changed.wait(remaining)
            payloads: list[bytes] = []
            size = 0
            while queue and (not payloads or size + len(queue[0]) <= max_bytes):
                chunk = queue.popleft()
                payloads.append(chunk)
                size += len(chunk)
            done = run is not None and run.finished and not queue
            return ReceiveResult(payloads, done)

    # -- signals and teardown ----------------------------------------------------------
    def stop(self, command_id: uuid.UUID) -> None:
        """ctrl_c: stop the pipeline (a no-op when it has already finished)."""
        with self._changed:
            run = self._runs.get(command_id)
            if run is None or run.pipeline.state in _FINAL_STATES:
                return
            if run.pipeline.state == PSInvocationState.NotStarted:
                run.pipeline._change_state(PSInvocationState.Running, emit=False)
            run.pipeline.stop()
            run.finished = True
            self._drain()

    def terminate(self, command_id: uuid.UUID) -> None:
        """Terminate signal: the client is done with this pipeline."""
        with self._changed:
            run = self._runs.pop(command_id, None)
            self._queues.pop(command_id, None)
            if run is None:
                return
            self._command_of.pop(run.pipeline.pipeline_id, None)
            if run.pipeline.state not in (*_FINAL_STATES, PSInvocationState.NotStarted):
                run.pipeline.stop()
            run.pipeline.close()
            self._drain()

    def close(self) -> None:
        """Delete: close every pipeline, then the pool (pitfall 6)."""
        with self._changed:
            for command_id in list(self._runs):
                run = self._runs.pop(command_id)
                if run.pipeline.state not in (*_FINAL_STATES, PSInvocationState.NotStarted):
                    run.pipeline.stop()
                run.pipeline.close()
            self._queues = {None: deque()}
            self._command_of.clear()
            self._closed = True
            if self._pool.state in (RunspacePoolState.Opened, RunspacePoolState.Closing):
                self._pool.close()
            self._changed.notify_all()

    @property
    def state(self) -> str:
        with self._lock:
            return self._pool.state.name
