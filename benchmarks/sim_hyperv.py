"""Benchmark: ``Get-VMNetworkAdapter -All`` of 1,000 adapters through the real pypsrp client.

Target: < 2 s for the whole invocation against the simulated host on loopback.
Rows: median wall and CPU seconds (process time; client and server share the process) of R
runs, and "server CPU": the CPU time of the simulator's connection threads (its share of the
end-to-end run: HTTP, WS-Management, PSRP, dispatch, CLIXML). The "server only" rows time the
simulator's dispatch, objects and CLIXML alone (no HTTP, no client) after one warm-up run.
Run: ``.venv/bin/python benchmarks/sim_hyperv.py [--adapters N] [--runs R]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Any

from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan
from sim_protocol import TimedHandler, timed_server  # type: ignore[import-not-found]  # benchmarks/

from engine.sim import start_simulator
from engine.sim.host import SimulatedHost
from engine.sim.hyperv.fixture import fixture_to_model

PASSWORD = "bench-pass"
PER_VM = 10
# What hvnet's collector asks for (ARCHITECTURE: one pipeline, Select-Object -Property …).
COLLECTED = [
    "VMName", "VMId", "Name", "Id", "IsManagementOs", "SwitchName", "SwitchId", "Connected", "MacAddress",
    "DynamicMacAddressEnabled", "MacAddressSpoofing", "DhcpGuard", "RouterGuard", "IovWeight",
    "IovQueuePairsRequested", "IovUsage", "VFDataPathActive", "VirtualSubnetId", "VMQWeight",
]  # fmt: skip
SHAPES: list[tuple[str, list[tuple[str, Any]]]] = [
    ("Get-VMNetworkAdapter -All | Select-Object -Property <19>", [("Property", COLLECTED)]),
    ("... | Select-Object -ExpandProperty VlanSetting", [("ExpandProperty", "VlanSetting"), ("Property", ["VMName", "Name", "Id"])]),
    ("Get-VMNetworkAdapter -All (full objects, 83 properties)", []),
]


def bench_fixture(adapters: int) -> dict[str, Any]:
    """A 2022 host with one IOV SET switch and ``adapters`` VM adapters, 10 per VM."""
    nics = [
        {"name": f"SLOT 3 Port {i}", "interfaceDescription": "Mellanox ConnectX-5 Adapter" + (f" #{i}" if i > 1 else ""),
         "macAddress": f"98-03-9B-00-00-0{i}", "linkSpeedGbps": 25,
         "sriov": {"supported": True, "totalVFs": 64, "enabled": True, "numVFs": 64}}
        for i in (1, 2)
    ]  # fmt: skip
    vms = []
    for v in range(adapters // PER_VM):
        vms.append({
            "name": f"vm{v:03d}", "generation": 2, "state": "Running",
            "adapters": [
                {"name": f"nic{a}", "switch": "sw-compute", "macAddress": f"00155D{v // 256:02X}{v % 256:02X}{a:02X}", "iovWeight": 100 if a == 0 else 0,
                 "vlan": {"mode": "access", "vlanId": 10 + a}}
                for a in range(PER_VM)
            ],
        })  # fmt: skip
    return {
        "metadata": {"name": "bench"},
        "computerName": "BENCH",
        "osBuild": 20348,
        "netAdapters": nics,
        "switches": [{"name": "sw-compute", "type": "External", "enableIov": True,
                      "uplinks": {"names": ["SLOT 3 Port 1", "SLOT 3 Port 2"]}}],
        "vms": vms,
    }  # fmt: skip


Row = tuple[str, float, float, float, int]  # label, wall, CPU, server CPU, objects


def run(adapters: int, runs: int) -> list[Row]:
    loaded = fixture_to_model(bench_fixture(adapters), "<bench>")
    host = SimulatedHost(loaded.model, loaded.faults)
    rows: list[Row] = []
    with timed_server(start_simulator(host, password=PASSWORD)) as server:
        wsman = WSMan(server.bind, port=server.port, ssl=False, auth="basic", username="hvnet",
                      password=PASSWORD, encryption="never")  # fmt: skip
        with RunspacePool(wsman) as pool:
            for label, select in SHAPES:
                times: list[float] = []
                cpu: list[float] = []
                server_cpu: list[float] = []
                count = 0
                for _ in range(runs):
                    ps = PowerShell(pool)
                    ps.add_cmdlet("Get-VMNetworkAdapter").add_parameter("All")
                    if select:
                        ps.add_cmdlet("Select-Object")
                        for name, value in select:
                            ps.add_parameter(name, value)
                    start, cpu_start = time.perf_counter(), time.process_time()
                    server_start = TimedHandler.server_cpu
                    out = ps.invoke()
                    times.append(time.perf_counter() - start)
                    cpu.append(time.process_time() - cpu_start)
                    server_cpu.append(TimedHandler.server_cpu - server_start)
                    count = len(out)
                    if ps.had_errors:
                        raise SystemExit(f"errors: {ps.streams.error}")
                rows.append(
                    (label, statistics.median(times), statistics.median(cpu), statistics.median(server_cpu), count)
                )
    return rows


def through_session(adapters: int, runs: int) -> list[Row]:
    """The same invocations through hvnet's own session (``engine.transport.psrp``: pypsrp with
    hvnet's deserializer fast paths), as ``hvnet plan`` reads a host."""
    from engine.inventory import ConnectionSettings
    from engine.transport.command import Cmdlet, Pipeline
    from engine.transport.psrp import PsrpSession

    os.environ["HVNET_BENCH_SIM_PASSWORD"] = PASSWORD
    loaded = fixture_to_model(bench_fixture(adapters), "<bench>")
    host = SimulatedHost(loaded.model, loaded.faults)
    rows: list[Row] = []
    with timed_server(start_simulator(host, password=PASSWORD)) as server:
        settings = ConnectionSettings(
            transport="psrp", server="127.0.0.1", port=server.port, ssl=False, auth="basic", encryption="never",
            username="hvnet", password_env="HVNET_BENCH_SIM_PASSWORD", allow_unencrypted_basic=True,
        )
        with PsrpSession("bench", settings) as session:
            for label, select in SHAPES:
                commands = [Cmdlet.of("Get-VMNetworkAdapter", All=True)]
                if select:
                    commands.append(Cmdlet.of("Select-Object", dict(select)))
                times: list[float] = []
                cpu: list[float] = []
                server_cpu: list[float] = []
                count = 0
                for _ in range(runs):
                    start, cpu_start = time.perf_counter(), time.process_time()
                    server_start = TimedHandler.server_cpu
                    count = len(session.run([Pipeline(tuple(commands))])[0])
                    times.append(time.perf_counter() - start)
                    cpu.append(time.process_time() - cpu_start)
                    server_cpu.append(TimedHandler.server_cpu - server_start)
                rows.append((f"hvnet session: {label}", statistics.median(times), statistics.median(cpu),
                             statistics.median(server_cpu), count))  # fmt: skip
    return rows


def server_side(adapters: int, runs: int) -> list[Row]:
    """The simulator's own share: model → objects → CLIXML, without HTTP or the client."""
    from engine.sim.dispatcher import run_invocation
    from engine.sim.objects import CommandCall
    from engine.sim.serialize import to_clixml

    loaded = fixture_to_model(bench_fixture(adapters), "<bench>")
    host = SimulatedHost(loaded.model, loaded.faults)
    rows: list[Row] = []
    for label, select in SHAPES:
        statement = [CommandCall("Get-VMNetworkAdapter", (("All", None),))]
        if select:
            statement.append(CommandCall("Select-Object", tuple(select)))
        times: list[float] = []
        cpu: list[float] = []
        count = 0
        for attempt in range(runs + 1):  # the first is a warm-up (imports, caches)
            start, cpu_start = time.perf_counter(), time.process_time()
            out = run_invocation(host, [statement]).output
            for obj in out:
                to_clixml(obj)
            if attempt:
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - cpu_start)
            count = len(out)
        median_cpu = statistics.median(cpu)
        rows.append((f"server only: {label}", statistics.median(times), median_cpu, median_cpu, count))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--adapters", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from engine.logging import configure_logging

    configure_logging("console", -1, stream=sys.stderr)  # no debug lines from hvnet's session
    rows = (run(args.adapters, args.runs) + through_session(args.adapters, args.runs)
            + server_side(args.adapters, args.runs))  # fmt: skip
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; median of {args.runs} runs")
    print(f"{'invocation (pypsrp client over loopback, unless noted)':<70} {'objects':>8} {'wall s':>8} "
          f"{'CPU s':>8} {'server CPU s':>12} {'< 2 s':>6}")
    for label, seconds, cpu_seconds, server_seconds, count in rows:
        verdict = "ok" if seconds < 2.0 else "SLOW"
        print(f"{label:<70} {count:>8} {seconds:>8.3f} {cpu_seconds:>8.3f} {server_seconds:>12.3f} {verdict:>6}")


if __name__ == "__main__":
    main()
