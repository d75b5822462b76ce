"""A simulated host built from an in-memory fixture, and a way to run cmdlets on it
through the real binder and dispatcher (no HTTP, no files) — for the read tests."""

from __future__ import annotations

import copy
from typing import Any

from engine.sim.dispatcher import InvocationResult, run_invocation
from engine.sim.host import SimulatedHost
from engine.sim.hyperv.fixture import fixture_to_model
from engine.sim.objects import CommandCall

SPEC: dict[str, Any] = {
    "metadata": {"name": "lab1"},
    "computerName": "LAB1",
    "osBuild": 20348,
    "iovSupport": True,
    "netAdapters": [
        {"name": "SLOT 3 Port 1", "interfaceDescription": "Mellanox ConnectX-5 Adapter",
         "macAddress": "98-03-9B-00-00-01", "linkSpeedGbps": 25,
         "sriov": {"supported": True, "totalVFs": 64, "enabled": True, "numVFs": 8}},
        {"name": "SLOT 3 Port 2", "interfaceDescription": "Mellanox ConnectX-5 Adapter #2",
         "macAddress": "98-03-9B-00-00-02", "linkSpeedGbps": 25,
         "sriov": {"supported": True, "totalVFs": 64, "enabled": True, "numVFs": 8}},
        {"name": "SLOT 4 Port 1", "interfaceDescription": "Intel(R) Ethernet Controller X550",
         "macAddress": "00-1B-21-00-00-01", "linkSpeedGbps": 10,
         "ipAddresses": ["10.0.0.21/24"], "management": True},
        {"name": "SLOT 5 Port 1", "interfaceDescription": "Broadcom NetXtreme",
         "macAddress": "00-10-18-00-00-01", "linkSpeedGbps": 1},
    ],
    "switches": [
        {"name": "sw-compute", "type": "External", "uplinks": {"names": ["SLOT 3 Port 1", "SLOT 3 Port 2"]},
         "enableIov": True, "allowManagementOS": False},
        {"name": "sw-legacy", "type": "External", "uplinks": {"names": ["SLOT 4 Port 1"]}, "notes": "mgmt"},
        {"name": "sw-internal", "type": "Internal"},
        {"name": "sw-private", "type": "Private"},
    ],
    "hostVNics": [
        {"name": "sw-internal", "switch": "sw-internal", "ipAddresses": ["192.168.250.1/24"]},
        {"name": "Storage", "switch": "sw-compute", "vlan": {"mode": "access", "vlanId": 20}},
    ],
    "vms": [
        {"name": "web01", "generation": 2, "state": "Running", "adapters": [
            {"name": "Frontend", "switch": "sw-compute", "macAddress": "00155D010A01", "iovWeight": 100,
             "vlan": {"mode": "trunk", "nativeVlanId": 10, "allowedVlanIds": "10,20-22,30"}},
            {"name": "Backend", "switch": "sw-legacy", "macAddress": "00155D010A02",
             "vlan": {"mode": "access", "vlanId": 10}, "maximumBandwidth": 1000000007},
        ]},
        {"name": "db01", "generation": 1, "state": "Off", "adapters": [{"name": "Network Adapter", "switch": None}]},
    ],
}  # fmt: skip


def spec(**overrides: Any) -> dict[str, Any]:
    data = copy.deepcopy(SPEC)
    data.update(copy.deepcopy(overrides))
    return data


def make_host(data: dict[str, Any] | None = None) -> SimulatedHost:
    loaded = fixture_to_model(data if data is not None else spec(), "<test>")
    return SimulatedHost(loaded.model, loaded.faults)


def cmd(name: str, **params: Any) -> CommandCall:
    """A command with named parameters; ``True`` stands for a switch parameter."""
    return CommandCall(name, tuple((k, None if v is True else v) for k, v in params.items()))


def run(host: SimulatedHost, *statement: CommandCall, client_address: str = "127.0.0.1") -> InvocationResult:
    return run_invocation(host, [list(statement)], client_address=client_address)


def names(result: InvocationResult, prop: str = "Name") -> list[Any]:
    return [o.get(prop) for o in result.output]
