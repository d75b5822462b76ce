"""Reuse the serialized form of a read-only command that is sent again and again.

pypsrp serializes every CreatePipeline message with its pure-Python CLIXML serializer
(deep-copying every command and parameter on the way); the collector's ~17-statement
read costs tens of milliseconds of client CPU that way — per host, which dominated a
fleet run. The XML of a CreatePipeline depends only on the statements (no ids, no
timestamps, nothing of the host or the pool), so identical read-only statement lists
share one serialized message body across every pool of the process: a fleet of 100
hosts serializes the collection once. Mutating steps are never cached.

The two messages that open every runspace pool (SessionCapability, InitRunspacePool)
are the same for every pool hvnet opens — versions, runspace counts, no host, no
application arguments, no ids — yet pypsrp serializes them afresh each time (~1.5 ms of
a 20 ms open + command + close). They are cached by their field values, and only in the
shape hvnet sends them (anything else, e.g. a pool with a PSHost, passes through).

The cache holds the bytes ``Message.pack`` would produce from the element
(``ElementTree.tostring``), so even that step is skipped; ``pack`` sends bytes as given.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from xml.etree import ElementTree as ET

from pypsrp.complex_objects import ApartmentState, HostInfo, PSThreadOptions
from pypsrp.messages import CreatePipeline, InitRunspacePool, SessionCapability

from engine.transport.command import Pipeline

_current_key: ContextVar[str | None] = ContextVar("hvnet_pipeline_key", default=None)
_MAX_ENTRIES = 16
_cache: OrderedDict[Hashable, bytes] = OrderedDict()
_cache_lock = threading.Lock()
# Held while a missing entry is built: a fleet's hosts all ask for the collection at once,
# and without it each of them would serialize the same ~80 KB pipeline (~0.1 s of CPU each).
_fill_lock = threading.Lock()


def statements_key(statements: Sequence[Pipeline]) -> str:
    return json.dumps([p.to_json() for p in statements], sort_keys=True, default=str)


def pool_message_key(value: Any) -> Hashable | None:
    """The cache key of a pool-opening message in the shape hvnet sends it, else None."""
    if type(value) is SessionCapability:
        fields = (value.protocol_version, value.ps_version, value.serialization_version, value.time_zone)
        if all(f is None or type(f) in (str, bytes) for f in fields):
            return ("SessionCapability", *fields)
        return None
    if type(value) is InitRunspacePool:
        host_info, threads, apartment = value.host_info, value.thread_options, value.apartment_state
        if (
            type(host_info) is HostInfo
            and host_info.host is None
            and value.application_arguments is None
            and type(threads) is PSThreadOptions
            and type(apartment) is ApartmentState
            and all(type(n) is int for n in (value.min_runspaces, value.max_runspaces, threads.value, apartment.value))
        ):
            return ("InitRunspacePool", value.min_runspaces, value.max_runspaces, threads.value, apartment.value)
    return None


def cached_entries() -> int:
    """How many serialized messages the process holds: pipelines and pool-opening messages
    (for tests and diagnostics)."""
    with _cache_lock:
        return len(_cache)


def _lookup(key: Hashable) -> bytes | None:
    with _cache_lock:
        body = _cache.get(key)
        if body is not None:
            _cache.move_to_end(key)
        return body


class CachingSerializer:
    """Wraps a pypsrp ``Serializer``: a read-only CreatePipeline and the pool-opening
    messages come from the cache; everything else passes straight through."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def serialize(self, value: Any, metadata: Any = None, parent: Any = None, clear: bool = True) -> Any:
        key: Hashable | None = None
        if metadata is None and parent is None:  # a whole message, not a nested property
            key = _current_key.get() if type(value) is CreatePipeline else pool_message_key(value)
        if key is None:
            return self._inner.serialize(value, metadata, parent, clear)
        body = _lookup(key)
        if body is not None:
            return body
        with _fill_lock:
            body = _lookup(key)  # another thread may have built it while this one waited
            if body is None:
                element = self._inner.serialize(value, metadata, parent, clear)
                body = ET.tostring(element, encoding="utf-8", method="xml")
                with _cache_lock:
                    _cache[key] = body
                    if len(_cache) > _MAX_ENTRIES:
                        _cache.popitem(last=False)
        return body

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def install(pool: Any) -> None:
    """Put the cache in front of the pool's outgoing serializer (idempotent)."""
    fragmenter = getattr(pool, "_fragmenter", None)
    if fragmenter is None or isinstance(fragmenter.serializer, CachingSerializer):
        return
    fragmenter.serializer = CachingSerializer(fragmenter.serializer)


@contextmanager
def reusing(key: str | None) -> Iterator[None]:
    """Within this block, a CreatePipeline is cached under ``key`` (None: not cached)."""
    token = _current_key.set(key)
    try:
        yield
    finally:
        _current_key.reset(token)
