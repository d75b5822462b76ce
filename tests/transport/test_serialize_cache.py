"""The serialized collection command is reused across pools; mutating commands never are."""

from __future__ import annotations

import uuid
from xml.etree import ElementTree as ET

from pypsrp.complex_objects import ApartmentState, Command, HostInfo, RemoteStreamOptions
from pypsrp.complex_objects import Pipeline as PsrpPipeline
from pypsrp.messages import CreatePipeline, Destination, Message
from pypsrp.serializer import Serializer

from engine.transport import serialize_cache
from engine.transport.command import Cmdlet, Pipeline


class CountingSerializer:
    def __init__(self) -> None:
        self.calls = 0

    def serialize(self, value, metadata=None, parent=None, clear=True):  # noqa: ANN001, ANN201
        self.calls += 1
        return ET.Element("Obj", {"N": str(self.calls)})

    def deserialize(self, element):  # noqa: ANN001, ANN201
        return ("deserialized", element)


def _pipeline() -> CreatePipeline:
    return CreatePipeline.__new__(CreatePipeline)


READ = [Pipeline((Cmdlet.of("Get-VMSwitch"), Cmdlet.of("Select-Object", Property=["Name", "Id"])))]


def test_identical_read_only_statements_are_serialized_once_for_every_pool() -> None:
    inner = CountingSerializer()
    first_pool, second_pool = serialize_cache.CachingSerializer(inner), serialize_cache.CachingSerializer(inner)
    key = serialize_cache.statements_key([Pipeline((Cmdlet.of("Get-VMSwitch", Name=str(uuid.uuid4())),))])
    with serialize_cache.reusing(key):
        first = first_pool.serialize(_pipeline())
        second = second_pool.serialize(_pipeline())  # another host's pool: same statements, same bytes
    assert first == second == b'<Obj N="1" />' and inner.calls == 1


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


def test_a_cached_message_is_byte_for_byte_what_pypsrp_sends() -> None:
    def create_pipeline() -> CreatePipeline:
        # As pypsrp's PowerShell.begin_invoke builds it.
        command = Command(cmd="Get-VMSwitch", is_script=False, use_local_scope=None)
        pipeline = PsrpPipeline(is_nested=False, cmds=[command], history=None, redirect_err_to_out=False)
        return CreatePipeline(True, ApartmentState(value=ApartmentState.UNKNOWN),
                              RemoteStreamOptions(value=RemoteStreamOptions.ADD_INVOCATION_INFO), False,
                              HostInfo(host=None), pipeline, False)

    rpid, pid = str(uuid.uuid4()), str(uuid.uuid4())
    plain = Message(Destination.SERVER, rpid, pid, create_pipeline(), Serializer()).pack()
    cached_serializer = serialize_cache.CachingSerializer(Serializer())
    key = serialize_cache.statements_key([Pipeline((Cmdlet.of("Get-VMSwitch", Id=str(uuid.uuid4())),))])
    with serialize_cache.reusing(key):
        fresh = Message(Destination.SERVER, rpid, pid, create_pipeline(), cached_serializer).pack()
        reused = Message(Destination.SERVER, rpid, pid, create_pipeline(), cached_serializer).pack()
    assert plain == fresh == reused


def test_hosts_asking_at_once_serialize_the_collection_once() -> None:
    import threading

    class SlowSerializer(CountingSerializer):
        def serialize(self, value, metadata=None, parent=None, clear=True):  # noqa: ANN001, ANN201
            started.set()
            release.wait(5)
            return super().serialize(value, metadata, parent, clear)

    started, release = threading.Event(), threading.Event()
    inner = SlowSerializer()
    key = serialize_cache.statements_key([Pipeline((Cmdlet.of("Get-VM", Name=str(uuid.uuid4())),))])
    bodies: list[bytes] = []

    def one_host() -> None:
        with serialize_cache.reusing(key):
            bodies.append(serialize_cache.CachingSerializer(inner).serialize(_pipeline()))

    threads = [threading.Thread(target=one_host) for _ in range(8)]
    for thread in threads:
        thread.start()
    started.wait(5)
    release.set()
    for thread in threads:
        thread.join(5)
    assert len(bodies) == 8 and len(set(bodies)) == 1 and inner.calls == 1


def _opening_messages(min_runspaces: int = 1, max_runspaces: int = 1) -> list[object]:
    # As pypsrp's RunspacePool.open builds them (hvnet never passes a host or application arguments).
    from pypsrp.complex_objects import PSThreadOptions
    from pypsrp.messages import InitRunspacePool, SessionCapability
    from pypsrp.powershell import PROTOCOL_VERSION, PS_VERSION, SERIALIZATION_VERSION

    return [
        SessionCapability(PROTOCOL_VERSION, PS_VERSION, SERIALIZATION_VERSION),
        InitRunspacePool(min_runspaces, max_runspaces, PSThreadOptions(value=PSThreadOptions.DEFAULT),
                         ApartmentState(value=ApartmentState.UNKNOWN), HostInfo(host=None), None),
    ]


def test_the_pool_opening_messages_are_byte_for_byte_what_pypsrp_sends_and_built_once() -> None:
    rpid = str(uuid.uuid4())
    plain = [Message(Destination.SERVER, rpid, None, m, Serializer()).pack() for m in _opening_messages()]
    for _pool in range(3):  # three pools (another rpid each), one serializer each
        other_rpid = str(uuid.uuid4())
        cached_serializer = serialize_cache.CachingSerializer(Serializer())
        packed = [Message(Destination.SERVER, other_rpid, None, m, cached_serializer).pack()
                  for m in _opening_messages()]
        assert [p[40:] for p in packed] == [p[40:] for p in plain]  # after destination, type, rpid, pid
        assert [p[:8] for p in packed] == [p[:8] for p in plain]
    inner = CountingSerializer()
    cache = serialize_cache.CachingSerializer(inner)
    for message in _opening_messages(1, 3) + _opening_messages(1, 3):
        cache.serialize(message)
    assert inner.calls <= 1  # SessionCapability may already be cached above; InitRunspacePool(1, 3) once


def test_pool_messages_in_another_shape_are_not_cached() -> None:
    from pypsrp.messages import InitRunspacePool, SessionCapability

    host = object()
    messages = [
        InitRunspacePool(1, 1, None, None, HostInfo(host=host), None),  # a pool with a PSHost
        InitRunspacePool(1, 1, None, None, HostInfo(host=None), {"Var": "value"}),  # application arguments
        SessionCapability(object(), "2.0", "1.1.0.1"),
    ]
    assert [serialize_cache.pool_message_key(m) for m in messages] == [None, None, None]
    inner = CountingSerializer()
    cache = serialize_cache.CachingSerializer(inner)
    for message in messages + messages:
        cache.serialize(message)
    assert inner.calls == 6
    different = [serialize_cache.pool_message_key(m) for m in _opening_messages(1, 1) + _opening_messages(1, 2)]
    assert len(set(different)) == 3  # one SessionCapability, two runspace-count shapes
