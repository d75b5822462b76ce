"""The simulator's state file: fast encoding, same content as ``SimulatedHost.state()``."""

from __future__ import annotations

import json
from pathlib import Path

from engine.sim.host import SimulatedHost

LAB = Path(__file__).resolve().parents[2] / "manifests" / "examples" / "lab" / "sim" / "lab1.yaml"


def _on_disk(path: Path) -> object:
    return json.loads(path.read_text(encoding="ascii"))


def _expected(host: SimulatedHost) -> object:
    return json.loads(json.dumps(host.state()))


def test_state_file_holds_exactly_the_state_document(tmp_path: Path) -> None:
    state = tmp_path / "lab1.json"
    host = SimulatedHost.from_fixture(LAB, state)
    host.count_request("Create")
    host.after_request()
    assert _on_disk(state) == _expected(host)
    assert list(_on_disk(state)) == ["format", "model", "faults", "dropped", "jea_role", "counters"]  # type: ignore[arg-type]
    assert list(_on_disk(state)["model"]) == list(host.model.to_json())  # type: ignore[index]


def test_non_ascii_names_are_escaped_and_read_back(tmp_path: Path) -> None:
    state = tmp_path / "lab1.json"
    host = SimulatedHost.from_fixture(LAB, state)
    host.model.switches[0].notes = "Zürich 😀"
    host.after_request()
    assert state.read_bytes().isascii()
    assert _on_disk(state) == _expected(host)
    assert SimulatedHost.from_state(state).model.switches[0].notes == "Zürich 😀"


def test_an_unchanged_state_is_not_rewritten_but_a_changed_one_is(tmp_path: Path) -> None:
    state = tmp_path / "lab1.json"
    host = SimulatedHost.from_fixture(LAB, state)
    first = state.stat().st_mtime_ns, state.stat().st_ino
    host.save()  # nothing changed since from_fixture wrote it
    assert (state.stat().st_mtime_ns, state.stat().st_ino) == first
    host.count_request("Receive")
    host.after_request()
    assert state.stat().st_ino != first[1]  # replaced by a new file (atomic rename)
    assert _on_disk(state)["counters"]["requests"] == {"Receive": 1}  # type: ignore[index]
