"""The read side end to end: the real pypsrp client against the simulator's WinRM endpoint,
with the pipeline shapes hvnet's collector uses (one invocation, several statements,
Select-Object -Property / -ExpandProperty)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from engine.sim import SimServer, start_simulator
from engine.sim.host import SimulatedHost
from engine.transport.command import wildcard_escape

from .read_world import spec

PASSWORD = "Read-S3cret"


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> SimulatedHost:
    data = spec()
    data["switches"].append({"name": "odd [name]*", "type": "Private"})
    metadata = data.pop("metadata")
    folder = tmp_path_factory.mktemp("e2e-read")
    fixture = folder / "lab1.yaml"
    fixture.write_text(yaml.safe_dump({"apiVersion": "hvnet/v1", "kind": "SimulatedHost", "metadata": metadata, "spec": data}))
    return SimulatedHost.from_fixture(fixture, folder / "state.json")


@pytest.fixture(scope="module")
def server(host: SimulatedHost) -> Iterator[SimServer]:
    with start_simulator(host, password=PASSWORD) as srv:
        yield srv


@pytest.fixture(scope="module")
def pool(server: SimServer) -> Iterator[RunspacePool]:
    wsman = WSMan(server.bind, port=server.port, ssl=False, auth="basic", username="hvnet",
                  password=PASSWORD, encryption="never")  # fmt: skip
    with RunspacePool(wsman) as runspace:
        yield runspace


def props(obj: Any) -> dict[str, Any]:
    return {**obj.adapted_properties, **obj.extended_properties}


def text(value: Any) -> str:
    """An enum arrives as an object whose ToString is its name."""
    return value if isinstance(value, str) else str(value)


def test_one_collection_invocation_with_several_statements(pool: RunspacePool) -> None:
    ps = PowerShell(pool)
    ps.add_cmdlet("Get-VMHost").add_cmdlet("Select-Object").add_parameter("Property", ["ComputerName", "IovSupport"])
    ps.add_statement()
    ps.add_cmdlet("Get-VMSwitch").add_cmdlet("Select-Object").add_parameter(
        "Property", ["Name", "Id", "SwitchType", "AllowManagementOS", "EmbeddedTeamingEnabled", "IovEnabled",
                     "BandwidthReservationMode", "NetAdapterInterfaceDescriptions"])  # fmt: skip
    ps.add_statement()
    ps.add_cmdlet("Get-VMNetworkAdapter").add_parameter("All").add_cmdlet("Select-Object").add_parameter(
        "ExpandProperty", "VlanSetting").add_parameter("Property", ["VMName", "Name", "Id"])  # fmt: skip
    out = ps.invoke()
    assert not ps.had_errors
    vmhost, *rest = out
    assert props(vmhost) == {"ComputerName": "LAB1", "IovSupport": True}
    switches = {props(o)["Name"]: props(o) for o in rest[:5]}
    compute = switches["sw-compute"]
    assert text(compute["SwitchType"]) == "External" and compute["EmbeddedTeamingEnabled"] is True
    assert text(compute["BandwidthReservationMode"]) == "None"
    assert compute["NetAdapterInterfaceDescriptions"] == ["Mellanox ConnectX-5 Adapter", "Mellanox ConnectX-5 Adapter #2"]
    assert text(switches["sw-private"]["SwitchType"]) == "Private"
    vlans = {props(o)["Name"]: props(o) for o in rest[5:]}
    assert set(vlans) == {"sw-legacy", "sw-internal", "Storage", "Frontend", "Backend", "Network Adapter"}
    assert vlans["Frontend"]["AllowedVlanIdListString"] == "10,20-22,30"
    assert vlans["Frontend"]["VMName"] == "web01"
    assert text(vlans["Storage"]["OperationMode"]) == "Access" and vlans["Storage"]["AccessVlanId"] == 20


def test_nested_settings_arrive_as_strings_at_remoting_depth_one(pool: RunspacePool) -> None:
    ps = PowerShell(pool)
    ps.add_cmdlet("Get-VMNetworkAdapter").add_parameter("VMName", "web01")
    out = ps.invoke()
    front = next(props(o) for o in out if props(o)["Name"] == "Frontend")
    assert front["VlanSetting"] == "Microsoft.HyperV.PowerShell.VMNetworkAdapterVlanSetting"
    assert isinstance(front["VirtualFunction"], str)
    assert front["IovUsage"] == 1 and front["VFDataPathActive"] is True
    assert front["MacAddress"] == "00155D010A01"


def test_an_escaped_name_finds_exactly_the_odd_switch(pool: RunspacePool) -> None:
    ps = PowerShell(pool)
    ps.add_cmdlet("Get-VMSwitch").add_parameter("Name", wildcard_escape("odd [name]*"))
    out = ps.invoke()
    assert [props(o)["Name"] for o in out] == ["odd [name]*"]


def test_not_found_is_a_non_terminating_error_record(pool: RunspacePool) -> None:
    ps = PowerShell(pool)
    ps.add_cmdlet("Get-VMSwitch").add_parameter("Name", "nope")
    ps.add_statement()
    ps.add_cmdlet("Get-VM").add_parameter("Name", "web01").add_cmdlet("Select-Object").add_parameter("Property", "Name")
    out = ps.invoke()
    (err,) = ps.streams.error
    assert str(err.fq_error) == "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVMSwitch"
    assert 'virtual switch with name "nope"' in str(err.exception.adapted_properties.get("Message") or err.message)
    assert [props(o)["Name"] for o in out] == ["web01"]  # the next statement still ran


def test_management_address_is_the_one_the_client_connected_to(pool: RunspacePool) -> None:
    ps = PowerShell(pool)
    ps.add_cmdlet("Get-NetIPAddress").add_parameter("AddressFamily", "IPv4")
    rows = {(props(o)["IPAddress"], props(o)["InterfaceAlias"]) for o in ps.invoke()}
    assert ("127.0.0.1", "vEthernet (sw-legacy)") in rows


def test_state_file_counts_requests_and_cmdlets(pool: RunspacePool, host: SimulatedHost) -> None:
    ps = PowerShell(pool)
    ps.add_cmdlet("Get-NetAdapterSriov")
    assert [props(o)["Name"] for o in ps.invoke()] == ["SLOT 3 Port 1", "SLOT 3 Port 2"]
    assert host.state_path is not None
    state = json.loads(Path(host.state_path).read_text())
    assert state["counters"]["requests"].get("Receive", 0) >= 1
    assert state["counters"]["cmdlets"][-1]["cmdlet"] == "Get-NetAdapterSriov"
    assert host.mutating_cmdlets() == []
