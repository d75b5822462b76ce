"""Benchmark: reading a big host — hvnet's one-pipeline collector vs the per-VM pattern.

Part 1 (collection, here): a simulated Windows Server 2022 host with 300 VMs and 600
adapters, served over real WinRM/PSRP on loopback. Side by side on the same simulator:

- hvnet: ``collect_observed`` — the whole state in ONE invocation of several statements;
- per VM, one pool: one pipeline per VM through the same runspace pool (how Ansible
  modules and the Terraform provider read adapters: per object, by name);
- per VM, fresh connection: a new connection + pool per VM (the Terraform provider opens
  a WinRM shell per resource read).

Part 2 (plan): the whole ``hvnet plan`` process (a subprocess: interpreter start, imports,
manifests, the in-process simulator of ``transport: sim`` with its state file, collection,
diff, render), against the same fixture, with a manifest declaring the switch and every
VM adapter (a tenth of them with another VLAN, so the plan has changes).

One table; CPU is process time (client and server share the process in the collection
rows) or, for ``hvnet plan``, the child's user+system time.
Run: ``.venv/bin/python benchmarks/plan.py [--vms 300] [--adapters-per-vm 2] [--runs 3] [--skip-fresh]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from engine.inventory import ConnectionSettings
from engine.logging import configure_logging
from engine.observe.collect import collect_observed
from engine.sim import start_simulator
from engine.sim.host import SimulatedHost
from engine.sim.hyperv.fixture import fixture_to_model
from engine.transport.command import Cmdlet, Pipeline, wildcard_escape
from engine.transport.psrp import PsrpSession

USER = "bench"
PASSWORD = "bench-only-password"
ADAPTER_PROPERTIES = [
    "Id",
    "Name",
    "VMName",
    "SwitchName",
    "MacAddress",
    "IovWeight",
    "DhcpGuard",
    "RouterGuard",
]


def big_fixture(vms: int, adapters_per_vm: int) -> dict[str, Any]:
    """An IOV SET switch and ``vms`` running VMs with ``adapters_per_vm`` adapters each."""
    nics = [
        {
            "name": f"SLOT 3 Port {i}",
            "interfaceDescription": "Mellanox ConnectX-5 Adapter" + (f" #{i}" if i > 1 else ""),
            "macAddress": f"98-03-9B-00-00-0{i}",
            "linkSpeedGbps": 25,
            "sriov": {"supported": True, "totalVFs": 64, "enabled": True, "numVFs": 64},
        }
        for i in (1, 2)
    ]
    machines = [
        {
            "name": f"vm{v:03d}",
            "generation": 2,
            "state": "Running",
            "adapters": [
                {
                    "name": f"nic{a}",
                    "switch": "sw-compute",
                    "macAddress": f"00155D{v // 256:02X}{v % 256:02X}{a:02X}",
                    "vlan": {"mode": "access", "vlanId": 10 + a},
                }
                for a in range(adapters_per_vm)
            ],
        }
        for v in range(vms)
    ]
    return {
        "metadata": {"name": "bench"},
        "computerName": "BENCH",
        "osBuild": 20348,
        "iovSupport": True,
        "netAdapters": nics,
        "switches": [
            {
                "name": "sw-compute",
                "type": "External",
                "enableIov": True,
                "uplinks": {"names": [n["name"] for n in nics]},
            }
        ],
        "vms": machines,
    }


@dataclass
class Row:
    pattern: str
    requests: int
    seconds: list[float]
    adapters: int
    cpu_seconds: list[float]

    def cells(self) -> list[str]:
        med = statistics.median(self.seconds)
        return [
            self.pattern,
            str(self.requests),
            f"{med * 1000:,.0f}",
            f"{max(self.seconds) * 1000:,.0f}",
            f"{statistics.median(self.cpu_seconds) * 1000:,.0f}",
            str(self.adapters),
        ]


def _settings(port: int) -> ConnectionSettings:
    return ConnectionSettings(
        server="127.0.0.1", port=port, ssl=False, auth="basic", username=USER, allow_unencrypted_basic=True
    )


def _session(port: int) -> PsrpSession:
    return PsrpSession("bench", _settings(port), password_source=lambda: PASSWORD)


def one_pipeline(port: int, vm_names: list[str]) -> int:
    with _session(port) as session:
        return len(collect_observed(session, "bench").adapters)


def _per_vm_statements(vm: str) -> list[Pipeline]:
    name = wildcard_escape(vm)
    return [
        Pipeline(
            (
                Cmdlet.of("Get-VMNetworkAdapter", VMName=name),
                Cmdlet.of("Select-Object", Property=ADAPTER_PROPERTIES),
            )
        ),
        Pipeline((Cmdlet.of("Get-VMNetworkAdapterVlan", VMName=name),)),
    ]


def per_vm_one_pool(port: int, vm_names: list[str]) -> int:
    count = 0
    with _session(port) as session:
        for vm in vm_names:
            count += len(session.run(_per_vm_statements(vm))[0])
    return count


def per_vm_fresh_connection(port: int, vm_names: list[str]) -> int:
    count = 0
    for vm in vm_names:
        with _session(port) as session:
            count += len(session.run(_per_vm_statements(vm))[0])
    return count


def measure(
    host: SimulatedHost,
    port: int,
    pattern: str,
    fn: Callable[[int, list[str]], int],
    vm_names: list[str],
    runs: int,
) -> Row:
    seconds: list[float] = []
    cpu: list[float] = []
    requests = adapters = 0
    for _ in range(runs):
        before = sum(host.counters["requests"].values())
        start, cpu_start = time.perf_counter(), time.process_time()
        adapters = fn(port, vm_names)
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
        requests = sum(host.counters["requests"].values()) - before
    return Row(pattern, requests, seconds, adapters, cpu)


def print_table(title: str, rows: list[Row]) -> None:
    header = ["pattern", "HTTP requests", "median ms", "max ms", "CPU med ms", "adapters read (incl. host vNICs)"]
    table = [header] + [r.cells() for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    print(title)
    for i, line in enumerate(table):
        print(
            "  ".join(
                cell.ljust(w) if j == 0 else cell.rjust(w)
                for j, (cell, w) in enumerate(zip(line, widths, strict=True))
            )
        )
        if i == 0:
            print("  ".join("-" * w for w in widths))


def collection_rows(vms: int, adapters_per_vm: int, runs: int, skip_fresh: bool) -> list[Row]:
    loaded = fixture_to_model(big_fixture(vms, adapters_per_vm), "<bench>")
    host = SimulatedHost(loaded.model, loaded.faults)
    vm_names = [f"vm{v:03d}" for v in range(vms)]
    with start_simulator(host, auth="basic", username=USER, password=PASSWORD) as server:
        rows = [
            measure(host, server.port, "hvnet: one pipeline, whole host", one_pipeline, vm_names, runs),
            measure(host, server.port, "per VM, one pool", per_vm_one_pool, vm_names, runs),
        ]
        if not skip_fresh:
            rows.append(
                measure(host, server.port, "per VM, fresh connection", per_vm_fresh_connection, vm_names, 1)
            )
    return rows


def write_project(root: Path, vms: int, adapters_per_vm: int) -> None:
    """An inventory with one ``transport: sim`` host on the bench fixture, and manifests."""
    fixture = big_fixture(vms, adapters_per_vm)
    metadata = fixture.pop("metadata")
    (root / "sim").mkdir(parents=True)
    sim_doc = {"apiVersion": "hvnet/v1", "kind": "SimulatedHost", "metadata": metadata, "spec": fixture}
    (root / "sim" / "bench.yaml").write_text(yaml.safe_dump(sim_doc, sort_keys=False), encoding="utf-8")
    inventory = {
        "apiVersion": "hvnet/v1",
        "kind": "Inventory",
        "metadata": {"name": "bench"},
        "spec": {"hosts": [{"name": "bench", "connection": {"transport": "sim", "fixture": "sim/bench.yaml"}}]},
    }
    docs: list[dict[str, Any]] = [inventory]
    docs.append({
        "apiVersion": "hvnet/v1", "kind": "VMSwitch", "metadata": {"name": "sw-compute"},
        "spec": {"type": "External", "enableIov": True, "uplinks": {"names": ["SLOT 3 Port 1", "SLOT 3 Port 2"]}},
    })  # fmt: skip
    for v in range(vms):
        for a in range(adapters_per_vm):
            vlan = 10 + a if v % 10 else 100 + a  # every tenth VM: another VLAN (an update)
            docs.append({
                "apiVersion": "hvnet/v1", "kind": "VMNetworkAdapter", "metadata": {"name": f"vm{v:03d}-nic{a}"},
                "spec": {"vm": f"vm{v:03d}", "adapterName": f"nic{a}", "switch": "sw-compute",
                         "vlan": {"mode": "access", "vlanId": vlan}},
            })  # fmt: skip
    (root / "hvnet.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")


def _requests_in_state(root: Path) -> int:
    state = root / ".hvnet" / "sim" / "bench.json"
    if not state.exists():
        return 0
    return int(sum(json.loads(state.read_text(encoding="utf-8"))["counters"]["requests"].values()))


def plan_process_row(vms: int, adapters_per_vm: int, runs: int) -> Row:
    """``python -m engine plan PROJECT --format json`` as a subprocess, ``runs`` times."""
    seconds: list[float] = []
    cpu: list[float] = []
    requests = 0
    with tempfile.TemporaryDirectory(prefix="hvnet-bench-") as tmp:
        root = Path(tmp)
        write_project(root, vms, adapters_per_vm)
        command = [sys.executable, "-m", "engine", "plan", str(root), "--format", "json"]
        env = {**os.environ, "NO_COLOR": "1"}
        adapters = 0
        for _ in range(runs):
            before = _requests_in_state(root)
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
            seconds.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append((after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime))
            if done.returncode != 0:
                raise SystemExit(f"hvnet plan failed ({done.returncode}):\n{done.stderr[-2000:]}")
            requests = _requests_in_state(root) - before
            plan = json.loads(done.stdout)
            adapters = sum(1 for c in plan["hosts"][0]["changes"] if c["kind"] == "VMNetworkAdapter")
    return Row("hvnet plan (whole process, subprocess)", requests, seconds, adapters, cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=300)
    parser.add_argument("--adapters-per-vm", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-fresh", action="store_true", help="skip the slow fresh-connection-per-VM row")
    args = parser.parse_args()
    configure_logging("console", 0, stream=sys.stderr)  # keep the table alone on stdout
    rows = collection_rows(args.vms, args.adapters_per_vm, args.runs, args.skip_fresh)
    rows.append(plan_process_row(args.vms, args.adapters_per_vm, args.runs))
    load = os.getloadavg()[0]
    print_table(
        f"{args.vms} VMs, {args.vms * args.adapters_per_vm} VM adapters (loopback, Basic, median of {args.runs} "
        f"runs; fresh-connection row: 1 run); {os.cpu_count()} CPUs, load average {load:.1f}",
        rows,
    )
    per_vm = next(r for r in rows if r.pattern == "per VM, one pool")
    whole = rows[-1]
    ratio = statistics.median(whole.seconds) / statistics.median(per_vm.seconds)
    cpu_ratio = statistics.median(whole.cpu_seconds) / statistics.median(per_vm.cpu_seconds)
    print(f"hvnet plan / per-VM collection: wall {ratio:.2f}x, CPU {cpu_ratio:.2f}x (target <= 0.5x); "
          f"hvnet plan HTTP requests: {whole.requests} (target <= 16)")


if __name__ == "__main__":
    main()
