"""Recurring PSRP messages are parsed (incoming) or serialized (outgoing) once
(``engine.sim.psrp_cache``): the answers stay byte for byte psrpcore's."""

from __future__ import annotations

import base64
import re
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from psrpcore import ServerRunspacePool
from psrpcore.types import (
    ApplicationPrivateData,
    PipelineState,
    PSInvocationState,
    PSRPMessageType,
    RunspacePoolState,
    RunspacePoolStateMsg,
)
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.serializer import TaggedValue

import engine.sim.psrp_pool
from engine.sim import SimServer
from engine.sim.objects import ErrorRecord
from engine.sim.psrp import core_error_record
from engine.sim.psrp_cache import PARSED, SERIALIZED, Parsed, ParsedMessages
from engine.sim.psrp_pool import SimPool
from engine.sim.service import Peer, WSManService

from .fakehost import FakeHost
from .test_conformance import RECORDINGS
from .test_e2e_pypsrp import client

DATA = Path(__file__).parent / "data"
PEER = Peer("127.0.0.1", "vagrant", "https://127.0.0.1:55986/wsman")
_MESSAGE_ID = re.compile(rb"uuid:[0-9A-F-]{36}</a:MessageID>")
_STREAM = re.compile(rb"(?<=>)([A-Za-z0-9+/=]{16,})(?=</rsp:Stream>)")
_SESSION_KEY = re.compile(rb'(?<=<S N="EncryptedSessionKey">)[^<]*')


@pytest.fixture(autouse=True)
def empty_caches() -> Iterator[None]:
    PARSED.clear()
    yield
    PARSED.clear()


def _normalized(body: bytes) -> bytes:
    """MessageIDs and the (random) session key blanked; stream data decoded to compare it."""

    def decoded(match: re.Match[bytes]) -> bytes:
        return _SESSION_KEY.sub(b"", base64.b64decode(match.group(1)))

    return _STREAM.sub(decoded, _MESSAGE_ID.sub(b"</a:MessageID>", body))


def answers(name: str) -> list[bytes]:
    """The simulator's answers to a recorded Windows session, normalized."""
    service = WSManService(FakeHost())
    out = []
    for message in yaml.safe_load((DATA / name).read_text())["messages"]:
        request = re.sub(r"OperationTimeout>PT\d+(\.\d+)?S<", "OperationTimeout>PT0.2S<", message["request"])
        _status, body = service.handle(request.encode(), PEER)
        out.append(_normalized(body))
    service.close_all()
    return out


def test_cached_answers_are_psrpcores_byte_for_byte(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ParsedMessages, "key", staticmethod(lambda *_args: None))
    monkeypatch.setattr(engine.sim.psrp_pool, "constant_key", lambda _message: None)
    expected = {name: answers(name) for name in RECORDINGS}  # psrpcore alone
    monkeypatch.undo()
    for name in RECORDINGS:
        assert answers(name) == expected[name], name  # parsed and cached
        assert answers(name) == expected[name], name  # answered from the cache
    assert PARSED.hits > 0


def _sent(pool: ServerRunspacePool, message: Any, pipeline_id: uuid.UUID | None = None) -> bytes:
    pool.prepare_message(message, None, pipeline_id)
    payload = pool.data_to_send()
    assert payload is not None
    return payload.data


@pytest.mark.parametrize(
    "message",
    [
        *(RunspacePoolStateMsg(RunspaceState=s.value) for s in RunspacePoolState),
        *(PipelineState(PipelineState=int(s)) for s in PSInvocationState),
        PipelineState(
            PipelineState=int(PSInvocationState.Failed),
            ExceptionAsErrorRecord=core_error_record(ErrorRecord("boom", "Boom,X", "NotSpecified")),
        ),
        "capability",
        "private data",
    ],
    ids=str,
)
def test_outgoing_messages_are_psrpcores_bytes(message: Any) -> None:
    pool_id, pipeline_id = uuid.uuid4(), uuid.uuid4()
    for attempt in range(2):  # serialized, then from the cache
        ours, reference = SimPool(), ServerRunspacePool()
        for pool in (ours, reference):
            pool.runspace_pool_id = pool_id
        if message == "capability":
            ours_msg, ref_msg = ours.our_capability, reference.our_capability
        elif message == "private data":
            ours_msg = ApplicationPrivateData(ApplicationPrivateData=ours.application_private_data)
            ref_msg = ApplicationPrivateData(ApplicationPrivateData=reference.application_private_data)
        else:
            ours_msg = ref_msg = message
        assert _sent(ours, ours_msg, pipeline_id) == _sent(reference, ref_msg, pipeline_id), attempt


def test_a_message_with_an_error_record_is_never_a_constant() -> None:
    failed = PipelineState(
        PipelineState=int(PSInvocationState.Failed),
        ExceptionAsErrorRecord=core_error_record(ErrorRecord("boom", "Boom,X", "NotSpecified")),
    )
    assert engine.sim.psrp_pool.constant_key(failed) is None
    assert engine.sim.psrp_pool.constant_key(PipelineState(PipelineState=int(PSInvocationState.Completed)))
    assert SERIALIZED is not None


def _read_things(server: SimServer) -> list[Any]:
    with RunspacePool(client(server)) as pool:
        ps = PowerShell(pool)
        ps.add_cmdlet("Echo-Params").add_argument("hello").add_argument(7)
        ps.add_parameter("Big", TaggedValue("I64", 2**40)).add_parameter("N", ["one", "two"])
        ps.add_parameter("Flag").add_parameter("Guid", uuid.UUID(int=5))
        ps.add_statement()
        ps.add_cmdlet("Get-Thing").add_parameter("Count", 3)
        ps.add_cmdlet("Select-Object").add_parameter("Property", ["Name", "Kind", "Tags"])
        ps.invoke()
        return [
            ({k: str(v) for k, v in {**o.adapted_properties, **o.extended_properties}.items()}, str(o))
            for o in ps.output
        ]


def test_pools_and_pipelines_alike_are_parsed_once(
    basic_server: SimServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[PSRPMessageType] = []
    original = engine.sim.psrp_pool.deserialize

    def counting(element: Any, **kwargs: Any) -> Any:
        parsed.append(element.tag)
        return original(element, **kwargs)

    monkeypatch.setattr(engine.sim.psrp_pool, "deserialize", counting)
    first = _read_things(basic_server)
    for _ in range(3):
        assert _read_things(basic_server) == first
    # SessionCapability, InitRunspacePool and the CreatePipeline: once each for four reads
    assert len(parsed) == 3


def test_messages_with_secure_strings_are_not_cached() -> None:
    data = b'<Obj RefId="0"><MS><SS N="Password">AAAA</SS></MS></Obj>'
    assert ParsedMessages.key(PSRPMessageType.CreatePipeline, data, None) is None
    assert ParsedMessages.key(PSRPMessageType.PipelineInput, b"<S>x</S>", None) is None
    assert ParsedMessages.key(PSRPMessageType.CreatePipeline, b"<S>x</S>", None) is not None


def test_the_cache_keeps_a_byte_budget_least_recently_used_first() -> None:
    cache = ParsedMessages(max_bytes=250)
    keys = [ParsedMessages.key(PSRPMessageType.CreatePipeline, bytes([65 + i]) * 100, None) for i in range(3)]
    assert all(key is not None for key in keys)
    cache.put(keys[0], Parsed("a"))  # type: ignore[arg-type]
    cache.put(keys[1], Parsed("b"))  # type: ignore[arg-type]
    assert cache.get(keys[0]) is not None  # now the most recently used
    cache.put(keys[2], Parsed("c"))  # type: ignore[arg-type]
    assert cache.get(keys[1]) is None  # evicted
    assert cache.get(keys[0]) is not None and cache.get(keys[2]) is not None


def test_hosts_sending_the_same_message_at_once_parse_it_once() -> None:
    cache = ParsedMessages()
    key = ParsedMessages.key(PSRPMessageType.CreatePipeline, b"<S>x</S>", None)
    assert key is not None
    calls: list[int] = []
    release = threading.Event()

    def slow_parse() -> str:
        calls.append(1)
        release.wait(5)
        return "parsed"

    results: list[Any] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_parse(key, slow_parse))) for _ in range(8)]
    for thread in threads:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(10)
    assert len(calls) == 1
    assert len(results) == 8 and all(r is results[0] and r.ps_object == "parsed" for r in results)


def test_a_failed_parse_is_tried_again_by_the_next_request() -> None:
    cache = ParsedMessages()
    key = ParsedMessages.key(PSRPMessageType.CreatePipeline, b"<S>x</S>", None)
    assert key is not None

    def broken() -> Any:
        raise ValueError("bad CLIXML")

    with pytest.raises(ValueError):
        cache.get_or_parse(key, broken)
    assert cache.get_or_parse(key, lambda: "fine").ps_object == "fine"
