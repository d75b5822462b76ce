"""The simulator's psrpcore runspace pool: what it changes in psrpcore's message handling.

* Output objects arrive as pre-serialized CLIXML (``RawClixml``, see ``engine.sim.serialize``)
  and are framed without psrpcore's serializer.
* Recurring messages are parsed or serialized once (``engine.sim.psrp_cache``); the events
  of a reused CreatePipeline or InitRunspacePool also build their pipeline or HostInfo once.

The overridden methods mirror psrpcore 0.3's private ones (pinned in pyproject.toml).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any
from xml.etree import ElementTree

from psrpcore import CreatePipelineEvent, InitRunspacePoolEvent, ServerRunspacePool
from psrpcore._events import PSRPEvent
from psrpcore._payload import PSRPMessage, StreamType, create_message
from psrpcore.types import PSRPMessageType, deserialize
from psrpcore.types import serialize as core_serialize

from engine.sim.dispatcher import Command, ScriptText
from engine.sim.objects import CommandCall
from engine.sim.psrp_cache import PARSED, SERIALIZED, Parsed, capability_key, constant_key
from engine.sim.serialize import RawClixml


class SimPool(ServerRunspacePool):
    """A server pool that sends pre-serialized CLIXML (see ``engine.sim.serialize``) and
    reuses the parsed or serialized form of recurring messages (``engine.sim.psrp_cache``)."""

    def __init__(self) -> None:
        super().__init__()
        self._capability: Any = None  # their_capability as last seen, and its cache key
        self._capability_key: tuple[str, ...] | None = None

    def prepare_message(  # type: ignore[override]
        self,
        message: Any,
        message_type: PSRPMessageType | None = None,
        pipeline_id: uuid.UUID | None = None,
        stream_type: StreamType = StreamType.default,
    ) -> None:
        if not isinstance(message, RawClixml):
            key = constant_key(message)
            if key is None:
                super().prepare_message(message, message_type, pipeline_id, stream_type)
                return
            data = SERIALIZED.get(key)
            if data is None:
                data = _core_clixml(message, self)
                SERIALIZED.put(key, data)
            message_type = message_type or PSRPMessageType.get_message_id(type(message))
            message = RawClixml(data)
        # Mirrors the tail of RunspacePool.prepare_message (psrpcore 0.3), minus re-serializing.
        kind = message_type or PSRPMessageType.PipelineOutput
        b_msg = create_message(self._is_client, kind, message.data, self.runspace_pool_id, pipeline_id)
        object_id = self._fragment_counter
        self._send_buffer.append(
            PSRPMessage(kind, bytearray(b_msg), self.runspace_pool_id, pipeline_id, object_id, stream_type)
        )

    def _process_message(self, message: PSRPMessage) -> PSRPEvent:
        if self.their_capability is not self._capability:  # reading psrpcore objects is slow
            self._capability = self.their_capability
            self._capability_key = capability_key(self._capability)
        key = PARSED.key(message.message_type, message.data, self._capability_key)
        if key is None:
            return super()._process_message(message)
        # Mirrors RunspacePool._process_message (psrpcore 0.3) with the deserialized object reused.
        entry = PARSED.get_or_parse(
            key,
            lambda: deserialize(
                ElementTree.fromstring(message.data),
                cipher=self._cipher,
                our_capability=self.our_capability,
                their_capability=self.their_capability,
            ),
        )
        event_class = _REUSING_EVENTS.get(message.message_type)
        if event_class is None:
            event = PSRPEvent.create(message.message_type, entry.ps_object, message.runspace_pool_id, message.pipeline_id)
        else:
            event = event_class(message.message_type, entry.ps_object, message.runspace_pool_id, message.pipeline_id)
            event.entry = entry
        getattr(self, f"_process_{message.message_type.name}")(event)
        return event


class ReusedCreatePipeline(CreatePipelineEvent):
    """psrpcore builds ``pipeline`` anew on each access; this one once per distinct message,
    and with it the statements the dispatcher runs (reading psrpcore objects is slow)."""

    entry: Parsed

    def _derived(self) -> tuple[Any, Sequence[Sequence[Command]]]:
        if self.entry.derived is None:
            pipeline = super().pipeline
            self.entry.derived = (pipeline, tuple(tuple(s) for s in statements_of(pipeline)))
        return self.entry.derived  # type: ignore[no-any-return]

    @property
    def pipeline(self) -> Any:
        return self._derived()[0]

    @property
    def statements(self) -> Sequence[Sequence[Command]]:
        return self._derived()[1]


class _InitRunspacePool(InitRunspacePoolEvent):
    """``host_info`` (~100 properties) built once per distinct message."""

    entry: Parsed

    @property
    def host_info(self) -> Any:
        if self.entry.derived is None:
            self.entry.derived = super().host_info
        return self.entry.derived


_REUSING_EVENTS: dict[PSRPMessageType, type[ReusedCreatePipeline] | type[_InitRunspacePool]] = {
    PSRPMessageType.CreatePipeline: ReusedCreatePipeline,
    PSRPMessageType.InitRunspacePool: _InitRunspacePool,
}


def _core_clixml(message: Any, pool: SimPool) -> bytes:
    """What psrpcore's prepare_message would put in the message body."""
    element = core_serialize(
        message, pool._cipher, our_capability=pool.our_capability, their_capability=pool.their_capability
    )
    return ElementTree.tostring(element, encoding="utf-8", method="xml")


def statements_of(metadata: Any) -> list[list[Command]]:
    """Split psrpcore's command list into statements (``end_of_statement`` marks the last of each)."""
    statements: list[list[Command]] = [[]]
    for cmd in metadata.commands:
        command: Command
        if cmd.is_script:
            command = ScriptText(str(cmd.command_text))
        else:
            command = CommandCall(str(cmd.command_text), tuple((n, v) for n, v in cmd.parameters))
        statements[-1].append(command)
        if cmd.end_of_statement:
            statements.append([])
    return [s for s in statements if s]
