"""The state file and the cmdlet counts are kept up to date incrementally (each log entry is
encoded and counted once): the same file and the same injected faults as computing them
from the whole log each time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.sim.host import SimulatedHost
from engine.sim.state_file import StateEncoder

from .read_world import cmd, run
from .test_fixture_host_state import write_fixture

_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.text(max_size=6),  # non-ASCII included: the encoder must then refuse (None)
)
_VALUE = st.recursive(
    _SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=6,
)
_ENTRY = st.fixed_dictionaries(
    {"cmdlet": st.text(max_size=12), "parameters": st.dictionaries(st.text(max_size=6), _VALUE, max_size=3)}
)
# What happens to the log between two saves: entries appended, the list replaced, or shortened.
_STEP = st.one_of(
    st.tuples(st.just("append"), st.lists(_ENTRY, max_size=4)),
    st.tuples(st.just("replace"), st.lists(_ENTRY, max_size=4)),
    st.tuples(st.just("shorten"), st.integers(min_value=0, max_value=3)),
    st.tuples(st.just("swap last"), _ENTRY),
)


def _reference(document: dict[str, Any]) -> bytes | None:
    data = orjson.dumps(document, option=orjson.OPT_INDENT_2)
    return data if data.isascii() else None


@settings(max_examples=300, deadline=None)
@given(st.lists(_STEP, max_size=8), _VALUE)
def test_incremental_encoding_is_the_whole_documents(steps: list[tuple[str, Any]], model: Any) -> None:
    encoder = StateEncoder()
    log: list[Any] = []
    counters = {"requests": {"Create": 1}, "cmdlets": log}
    document = {"format": 1, "model": model, "dropped": False, "counters": counters}
    assert encoder.encode(document) == _reference(document)
    for action, argument in steps:
        if action == "append":
            log.extend(argument)
        elif action == "replace":
            log = counters["cmdlets"] = list(argument)
        elif action == "swap last":
            log[-1:] = [argument]
        else:
            del log[len(log) - argument :]
        counters["requests"]["Receive"] = len(log)
        assert encoder.encode(document) == _reference(document)


def test_a_served_hosts_file_is_the_whole_documents_encoding(tmp_path: Path) -> None:
    state = tmp_path / "s.json"
    host = SimulatedHost.from_fixture(write_fixture(tmp_path), state)
    for _ in range(3):
        run(host, cmd("Get-VMSwitch"), cmd("Select-Object", Property=["Name", "Id"]))
        run(host, cmd("Get-VMNetworkAdapter", All=True))
        host.count_request("Receive")
        host.after_request()
        assert state.read_bytes() == _reference(json.loads(json.dumps(host.state())))
    host.before_cmdlet("Get-VMSwitch", {"Name": "Zürich"})  # non-ASCII: the standard library's path
    host.after_request()
    assert state.read_bytes().isascii()
    assert json.loads(state.read_text()) == json.loads(json.dumps(host.state()))


def test_the_nth_invocation_counts_survive_a_replaced_or_cleared_log(tmp_path: Path) -> None:
    faults = {"failCmdlets": [{"cmdlet": "Get-VMSwitch", "nth": 2, "message": "injected"}]}
    host = SimulatedHost.from_fixture(write_fixture(tmp_path, faults=faults))

    def failed() -> bool:
        result = run(host, cmd("Get-VMSwitch"))
        return bool(result.errors) or result.terminating is not None

    assert not failed()
    host.counters["cmdlets"] = []  # a test resets the log: counting starts again
    assert not failed()
    assert failed()  # the 2nd of the new log
    host.counters["cmdlets"] = [{"cmdlet": "Get-VMSwitch", "parameters": {}}]  # edited behind its back
    assert failed()
    assert not failed()
    other = {"cmdlet": "Set-VMSwitch", "parameters": {}}
    host.counters["cmdlets"][-2:] = [other, dict(other)]  # same length, 1 Get-VMSwitch left
    assert failed()
