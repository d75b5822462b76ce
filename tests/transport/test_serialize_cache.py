"""The serialized collection command is reused; mutating commands never are."""

from __future__ import annotations

from pypsrp.messages import CreatePipeline

from engine.transport import serialize_cache
from engine.transport.command import Cmdlet, Pipeline


class CountingSerializer:
    def __init__(self) -> None:
        self.calls = 0

    def serialize(self, value, metadata=None, parent=None, clear=True):  # noqa: ANN001, ANN201
        self.calls += 1
        return object()

    def deserialize(self, element):  # noqa: ANN001, ANN201
        return ("deserialized", element)


def _pipeline() -> CreatePipeline:
    return CreatePipeline.__new__(CreatePipeline)


READ = [Pipeline((Cmdlet.of("Get-VMSwitch"), Cmdlet.of("Select-Object", Property=["Name", "Id"])))]


def test_identical_read_only_statements_are_serialized_once() -> None:
    inner = CountingSerializer()
    cache = serialize_cache.CachingSerializer(inner)
    key = serialize_cache.statements_key(READ)
    with serialize_cache.reusing(key):
        first = cache.serialize(_pipeline())
        second = cache.serialize(_pipeline())
    assert first is second and inner.calls == 1


def test_without_a_key_or_for_other_messages_nothing_is_cached() -> None:
    inner = CountingSerializer()
    cache = serialize_cache.CachingSerializer(inner)
    cache.serialize(_pipeline())
    cache.serialize(_pipeline())  # no key: a mutating step
    with serialize_cache.reusing(serialize_cache.statements_key(READ)):
        cache.serialize("not a pipeline")
        cache.serialize("not a pipeline")
    assert inner.calls == 4
    assert cache.deserialize("x") == ("deserialized", "x")  # everything else passes through


def test_different_statements_get_different_entries() -> None:
    other = [Pipeline((Cmdlet.of("Get-VM"),))]
    assert serialize_cache.statements_key(READ) != serialize_cache.statements_key(other)

