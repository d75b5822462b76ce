"""transport: snapshot plans offline and refuses to change anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import ApplyRefused, ManifestError, ProtocolError
from engine.inventory import ConnectionSettings, InventoryHost
from engine.observe.collect import collect_observed
from engine.observe.parse import parse_observed
from engine.observe.snapshot import write_snapshot
from engine.transport.command import Cmdlet, Pipeline
from engine.transport.factory import open_session
from engine.transport.snapshot import SnapshotSession

from .test_parse_host import raw_host


@pytest.fixture()
def snapshot_file(tmp_path: Path) -> Path:
    path = tmp_path / "lab1.json"
    write_snapshot(parse_observed("old-name", raw_host()), path)
    return path


def test_collect_answers_from_the_file_under_the_inventory_name(snapshot_file: Path) -> None:
    host = InventoryHost("hv01", connection=ConnectionSettings(transport="snapshot", file=str(snapshot_file)))
    with open_session(host) as session:
        observed = collect_observed(session, "hv01")
        assert session.requests_made == 0
    assert observed.host == "hv01"
    assert [s.name for s in observed.switches] == ["sw-compute", "sw-internal"]


def test_mutating_step_is_refused_with_the_cmdlet_named(snapshot_file: Path) -> None:
    session = SnapshotSession("hv01", str(snapshot_file))
    step = Pipeline((Cmdlet.of("Get-VMSwitch", Id="x"), Cmdlet.of("Set-VMSwitch", Notes="y")))
    with pytest.raises(ApplyRefused, match=r"read-only; cannot run Set-VMSwitch"):
        session.run([step])


def test_reads_other_than_collection_cannot_be_answered(snapshot_file: Path) -> None:
    with pytest.raises(ProtocolError, match="only answer state collection"):
        SnapshotSession("hv01", str(snapshot_file)).run([Pipeline((Cmdlet.of("Get-VM"),))])


def test_snapshot_transport_without_file_is_an_inventory_error() -> None:
    with pytest.raises(ManifestError, match="needs file"):
        open_session(InventoryHost("hv01", connection=ConnectionSettings(transport="snapshot")))


def test_unknown_transport_is_an_inventory_error() -> None:
    with pytest.raises(ManifestError, match="unknown transport 'ssh'"):
        open_session(InventoryHost("hv01", connection=ConnectionSettings(transport="ssh")))
