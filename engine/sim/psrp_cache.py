"""Reuse of PSRP messages that recur byte for byte, in both directions.

Incoming: every pool open sends the same SessionCapability and InitRunspacePool (with a
HostInfo of ~100 elements), and a fleet read sends the same CreatePipeline to every host
(~80 KB of CLIXML for hvnet's collection). psrpcore's deserializer costs ~1 ms per
KB of it. Deserializing is a pure function of the message bytes and the peer's
capability (SecureStrings aside: they depend on the session key, so such messages are
never cached), so the parsed object of a message seen before is reused. Nothing in
the simulator mutates these objects: the pool and the dispatcher only read them.

Outgoing: the pool and pipeline state messages without an error, our SessionCapability
and ApplicationPrivateData are a handful of distinct values; their CLIXML is computed
once per value instead of by psrpcore's serializer each time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from psrpcore.types import (
    ApplicationPrivateData,
    PipelineState,
    PSPrimitiveDictionary,
    PSRPMessageType,
    PSVersion,
    RunspacePoolStateMsg,
    SessionCapability,
)

# Message types worth caching: sent alike by every client (open) or every read (pipeline).
CACHED_TYPES = frozenset(
    {PSRPMessageType.SessionCapability, PSRPMessageType.InitRunspacePool, PSRPMessageType.CreatePipeline}
)
# Bounds, in message bytes: the key holds them, the value their object tree (~7x as many:
# hvnet's 80 KB collection pipeline costs ~0.6 MB). 2 MiB of messages stay under ~20 MB.
MAX_CACHED_BYTES = 2 * 1024 * 1024
MAX_MESSAGE_BYTES = 512 * 1024
_SECURE_STRING = b"<SS"


@dataclass
class Parsed:
    """A deserialized message and what psrpcore derives from it (a CreatePipeline's pipeline,
    an InitRunspacePool's HostInfo), built on first use."""

    ps_object: Any
    derived: Any = None


class ParsedMessages:
    """A thread-safe LRU of deserialized messages keyed by (type, capability, bytes)."""

    def __init__(self, max_bytes: int = MAX_CACHED_BYTES) -> None:
        self._entries: OrderedDict[tuple[Any, ...], Parsed] = OrderedDict()
        self._lock = threading.Lock()
        self._max_bytes = max_bytes
        self._bytes = 0  # message bytes of the entries held
        self._underway: dict[tuple[Any, ...], threading.Event] = {}  # keys being parsed
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(
        message_type: PSRPMessageType, data: bytes, their_capability: tuple[str, ...] | None
    ) -> tuple[Any, ...] | None:
        """The cache key (``their_capability`` as ``capability_key`` gives it), or None when
        this message must be deserialized afresh."""
        if message_type not in CACHED_TYPES or len(data) > MAX_MESSAGE_BYTES or _SECURE_STRING in data:
            return None
        return (message_type, their_capability, bytes(data))

    def get(self, key: tuple[Any, ...]) -> Parsed | None:
        with self._lock:
            entry = self._hit(key)
            if entry is None:
                self.misses += 1
            return entry

    def _hit(self, key: tuple[Any, ...]) -> Parsed | None:
        """The entry, counted and made most recently used (the caller holds the lock)."""
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            self.hits += 1
        return entry

    def get_or_parse(self, key: tuple[Any, ...], parse: Callable[[], Any]) -> Parsed:
        """The entry for ``key``, parsed by ``parse`` if missing — by one thread at a time: a
        fleet's hosts open pools and send the same pipeline at the same moment, and parses
        running side by side would each cost the full CPU (the GIL runs one at a time)."""
        while True:
            with self._lock:
                entry = self._hit(key)
                if entry is not None:
                    return entry
                underway = self._underway.get(key)
                if underway is None:
                    self.misses += 1
                    underway = self._underway[key] = threading.Event()
                    break
            underway.wait()  # then look again: parsed, or that parse failed and this one tries
        try:
            entry = Parsed(parse())
            self.put(key, entry)
            return entry
        finally:
            with self._lock:
                self._underway.pop(key, None)
            underway.set()

    def put(self, key: tuple[Any, ...], value: Parsed) -> None:
        with self._lock:
            if key not in self._entries:
                self._bytes += len(key[-1])
            self._entries[key] = value
            self._entries.move_to_end(key)
            while self._bytes > self._max_bytes:
                evicted, _ = self._entries.popitem(last=False)
                self._bytes -= len(evicted[-1])

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
            self.hits = self.misses = 0


PARSED = ParsedMessages()


def capability_key(capability: Any) -> tuple[str, ...] | None:
    """What of the peer's SessionCapability the deserializer may depend on."""
    if capability is None:
        return None
    return tuple(
        str(getattr(capability, name, None))
        for name in ("PSVersion", "protocolversion", "SerializationVersion")
    )


class _Uncacheable(Exception):
    pass


def _freeze(value: Any) -> Any:
    """A hashable image of a simple value that keeps its Python type (it picks the CLIXML tag)."""
    if value is None or isinstance(value, bool | int | float | str | PSVersion):
        return (type(value), str(value))
    if type(value) in (dict, PSPrimitiveDictionary):  # what ApplicationPrivateData holds
        return (type(value), tuple((_freeze(k), _freeze(v)) for k, v in value.items()))
    raise _Uncacheable


# Message class → (properties that make up its CLIXML, properties that must be empty).
_CONSTANT_MESSAGES: dict[type, tuple[tuple[str, ...], tuple[str, ...]]] = {
    RunspacePoolStateMsg: (("RunspaceState",), ("ExceptionAsErrorRecord",)),
    PipelineState: (("PipelineState",), ("ExceptionAsErrorRecord",)),
    SessionCapability: (("PSVersion", "protocolversion", "SerializationVersion"), ("TimeZone",)),
    ApplicationPrivateData: (("ApplicationPrivateData",), ()),
}


def constant_key(message: Any) -> tuple[Any, ...] | None:
    """A key for an outgoing message whose CLIXML depends only on simple values, else None."""
    fields = _CONSTANT_MESSAGES.get(type(message))
    if fields is None:
        return None
    values, empty = fields
    if any(getattr(message, name, None) for name in empty):
        return None
    try:
        return (type(message), tuple(_freeze(getattr(message, name, None)) for name in values))
    except _Uncacheable:
        return None


class ClixmlCache:
    """CLIXML bytes of outgoing constant messages (few distinct values: never evicted)."""

    def __init__(self) -> None:
        self._entries: dict[tuple[Any, ...], bytes] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> bytes | None:
        with self._lock:
            return self._entries.get(key)

    def put(self, key: tuple[Any, ...], data: bytes) -> None:
        with self._lock:
            if len(self._entries) < 256:  # a bound in case a caller varies the values
                self._entries[key] = data


SERIALIZED = ClixmlCache()
