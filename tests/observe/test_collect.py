"""The collector: one run() call, lean projections, output keyed and parsed."""

from __future__ import annotations

from typing import Any

import pytest

from engine.errors import RemoteCommandError
from engine.observe.collect import COLLECTION, collect_observed, collection_statements
from engine.transport.command import Pipeline

from .test_parse_host import raw_host


class RecordingSession:
    """A HostSession answering the collection with canned objects, counting run() calls."""

    host = "lab1"
    connection_address = "10.0.0.21"

    def __init__(self) -> None:
        self.runs: list[list[Pipeline]] = []

    def run(self, statements: list[Pipeline]) -> list[list[Any]]:
        self.runs.append(statements)
        raw = raw_host()
        return [raw.get(key, []) for key, _ in COLLECTION]

    @property
    def requests_made(self) -> int | None:
        return None

    def close(self) -> None:
        pass


def test_whole_state_is_read_in_one_run_call() -> None:
    session = RecordingSession()
    observed = collect_observed(session, "lab1")
    assert len(session.runs) == 1
    assert len(session.runs[0]) == len(COLLECTION)
    assert observed.connection_address == "10.0.0.21"
    assert observed.switches_named("sw-compute")[0].uplinks == ("SLOT 3 Port 2", "SLOT 3 Port 1")


def test_every_statement_is_a_read_that_projects_only_needed_properties() -> None:
    for statement in collection_statements():
        first, *rest, select = statement.commands
        assert first.name.startswith("Get-")
        assert all(c.name == "Where-Object" for c in rest)
        assert select.name == "Select-Object"
        props = select.params["Property"]
        assert props and "*" not in props


def test_nested_settings_are_expanded_with_the_adapter_id_to_join_on() -> None:
    by_key = dict(COLLECTION)
    vlan = by_key["vlans"].commands
    assert vlan[0].params == {"All": True}
    assert vlan[1].params["ExpandProperty"] == "VlanSetting"
    assert {"Id", "VMName", "Name", "IsManagementOs"} <= set(vlan[1].params["Property"])
    bandwidth = by_key["bandwidth"].commands
    # adapters whose BandwidthSetting is still null are filtered out before expanding
    assert bandwidth[1].params == {"Property": "BandwidthSetting", "NE": True, "Value": None}
    assert bandwidth[2].params == {"ExpandProperty": "BandwidthSetting", "Property": ["Id"]}


def test_statement_keys_are_unique() -> None:
    keys = [k for k, _ in COLLECTION]
    assert len(keys) == len(set(keys))


class NoHnvSession(RecordingSession):
    """A host without the NetWNV module: any statement list naming its cmdlets fails to start."""

    def run(self, statements: list[Pipeline]) -> list[list[Any]]:
        self.runs.append(statements)
        names = {c.name for p in statements for c in p.commands}
        if "Get-NetVirtualizationProviderAddress" in names:
            raise RemoteCommandError(
                "lab1",
                "",
                "CommandNotFoundException",
                "ObjectNotFound",
                "The term 'Get-NetVirtualizationProviderAddress' is not recognized as the name of a cmdlet, "
                "function, script file, or operable program.",
            )
        raw = raw_host()
        keys = [k for k, p in COLLECTION if p in statements]
        return [raw.get(k, []) for k in keys]


def test_host_without_hnv_module_is_collected_without_hnv_records() -> None:
    session = NoHnvSession()
    observed = collect_observed(session, "lab1")
    assert len(session.runs) == 2
    assert observed.provider_addresses == () and observed.customer_routes == ()
    assert observed.switches_named("sw-compute")  # everything else is there


def test_other_missing_cmdlets_still_fail() -> None:
    class Broken(RecordingSession):
        def run(self, statements: list[Pipeline]) -> list[list[Any]]:
            raise RemoteCommandError(
                "lab1", "", "CommandNotFoundException", "ObjectNotFound", "The term 'Get-VMSwitch'"
            )

    with pytest.raises(RemoteCommandError):
        collect_observed(Broken(), "lab1")
