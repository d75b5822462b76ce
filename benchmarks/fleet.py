"""Fleet drift benchmark: many simulated hosts, injected latency, parallel vs sequential, memory.

    .venv/bin/python benchmarks/fleet.py [--hosts 100] [--latency-ms 30] [--parallelism 32]
                                         [--sizes 25,50,100] [--simulators served|inproc] [--sim-processes 4]

What it does (all in temp folders, nothing in the repo is touched):

1. generates N ``SimulatedHost`` fixtures (the example lab's host, renamed, with
   ``faults.latencyMs`` added to every HTTP request) and an inventory of N hosts with
   the example lab's manifests;
2. runs a fleet drift (``engine.drift.run_drift``: the code behind ``hvnet drift``,
   read + plan + health + report, ``--fix none``) at ``--parallelism 32`` and at
   ``--parallelism 1``, in the same run, and prints both times and the speed-up;
3. for each size in ``--sizes``, runs the parallel drift in a fresh child process and
   reports its peak RSS above the baseline after imports, next to the size of the
   report JSON it produced.

Simulators: ``served`` (default) starts ``--sim-processes`` ``hvnet sim serve``
processes and points the N inventory hosts at them round-robin (``transport: psrp``):
every host still has its own inventory entry, session, runspace pool and HTTP
connection — the real fleet path — but N hosts share a few simulator processes, so the
client's CPU is measured apart from the simulators'. ``inproc`` runs one simulator per
host inside the client process (``transport: sim``), sharing its GIL.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PASSWORD_ENV = "HVNET_BENCH_PASSWORD"
REPO = Path(__file__).resolve().parents[1]
LAB = REPO / "manifests" / "examples" / "lab"
sys.path.insert(0, str(REPO))


def make_fleet(root: Path, hosts: int, latency_ms: int, endpoints: list[int] | None = None) -> Path:
    """Fixtures + inventory; with ``endpoints`` (ports of served simulators) hosts use them round-robin."""
    import yaml

    (root / "sim").mkdir(parents=True, exist_ok=True)
    for path in LAB.glob("*.yaml"):
        if path.name != "inventory.yaml":
            (root / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    fixture = yaml.safe_load((LAB / "sim" / "lab1.yaml").read_text(encoding="utf-8"))
    entries: list[dict[str, Any]] = []
    for i in range(1, hosts + 1):
        name = f"hv{i:03d}"
        doc = json.loads(json.dumps(fixture))
        doc["metadata"]["name"] = name
        doc["spec"]["computerName"] = name.upper()
        doc["spec"]["faults"] = {"latencyMs": latency_ms}
        (root / "sim" / f"{name}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        connection: dict[str, Any] = {"transport": "sim", "fixture": f"sim/{name}.yaml"}
        if endpoints:
            connection = {"transport": "psrp", "server": "127.0.0.1", "port": endpoints[(i - 1) % len(endpoints)],
                          "ssl": False, "auth": "basic", "allowUnencryptedBasic": True, "username": "hvnet",
                          "passwordEnv": PASSWORD_ENV, "encryption": "never"}
        entries.append({"name": name, "labels": {"cluster": f"c{(i - 1) // 16 + 1}", "role": "compute"},
                        "connection": connection})
    inventory = {"apiVersion": "hvnet/v1", "kind": "Inventory", "metadata": {"name": "bench"},
                 "spec": {"hosts": entries}}
    (root / "inventory.yaml").write_text(yaml.safe_dump(inventory, sort_keys=False), encoding="utf-8")
    return root


def _rss_mib() -> float:
    # ru_maxrss is KiB on Linux: the process's peak resident set so far.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def drift_once(root: Path, parallelism: int) -> dict[str, Any]:
    from engine import manifest
    from engine.drift import DriftOptions, run_drift
    from engine.logging import configure_logging

    configure_logging("console", -1, stream=sys.stderr)
    project = manifest.load_project([str(root)])
    baseline = _rss_mib()
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    result = run_drift(project, DriftOptions(parallelism=parallelism, host_timeout_s=600))
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_before
    statuses = sorted({h["status"] for h in result.report["hosts"]})
    return {
        "hosts": len(result.report["hosts"]), "parallelism": parallelism, "seconds": seconds, "cpu_seconds": cpu,
        "statuses": statuses, "exit_code": result.exit_code, "baseline_mib": baseline, "peak_mib": _rss_mib(),
        "report_kib": len(json.dumps(result.report)) / 1024,
    }


def child(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="hvnet-bench-") as tmp:
        ports = [int(p) for p in args.endpoints.split(",")] if args.endpoints else None
        root = make_fleet(Path(tmp), args.hosts, args.latency_ms, ports)
        print(json.dumps(drift_once(root, args.parallelism)))


def process_cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of running processes (Linux ``/proc/PID/stat``; 0 where unreadable)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def run_child(hosts: int, parallelism: int, latency_ms: int, endpoints: list[int],
              sim_pids: list[int] | None = None) -> dict[str, Any]:
    sim_cpu_before = process_cpu_seconds(sim_pids or [])
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--hosts", str(hosts), "--parallelism", str(parallelism),
         "--latency-ms", str(latency_ms), "--endpoints", ",".join(map(str, endpoints))],
        check=True, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"},
    )
    row = dict(json.loads(out.stdout.strip().splitlines()[-1]))
    row["sim_cpu_seconds"] = process_cpu_seconds(sim_pids or []) - sim_cpu_before
    return row


class ServedSimulators:
    """``count`` simulator processes (``hvnet sim serve``), each serving one fixture with the latency."""

    def __init__(self, count: int, latency_ms: int, folder: Path) -> None:
        self.count, self.latency_ms, self.folder = count, latency_ms, folder
        self.processes: list[subprocess.Popen[str]] = []
        self.ports: list[int] = []

    def __enter__(self) -> ServedSimulators:
        make_fleet(self.folder, self.count, self.latency_ms)
        code = "import sys; from engine.cli.cmd_sim import sim; sim(sys.argv[1:])"
        for i in range(1, self.count + 1):
            proc = subprocess.Popen(
                [sys.executable, "-c", code, "serve", str(self.folder / "sim" / f"hv{i:03d}.yaml"), "--port", "0",
                 "--state", str(self.folder / f"state-{i}.json")],
                cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                env={**os.environ, "HVNET_SIM_PASSWORD": os.environ[PASSWORD_ENV]})
            self.processes.append(proc)
            assert proc.stdout is not None
            url = proc.stdout.readline().strip()  # printed when it listens: http://127.0.0.1:PORT/wsman
            self.ports.append(int(url.rsplit(":", 1)[1].split("/", 1)[0]))
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self.processes:
            proc.terminate()
        for proc in self.processes:
            proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--latency-ms", type=int, default=30)
    parser.add_argument("--parallelism", type=int, default=32)
    parser.add_argument("--sizes", default="25,50,100")
    parser.add_argument("--simulators", choices=["served", "inproc"], default="served",
                        help="served: N simulator processes shared round-robin; inproc: one per host in-process")
    parser.add_argument("--sim-processes", type=int, default=4)
    parser.add_argument("--endpoints", default="", help=argparse.SUPPRESS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    os.environ.setdefault(PASSWORD_ENV, secrets.token_urlsafe(16))
    with tempfile.TemporaryDirectory(prefix="hvnet-sims-") as tmp:
        if args.simulators == "served":
            with ServedSimulators(args.sim_processes, args.latency_ms, Path(tmp)) as sims:
                report(args, sims.ports, [p.pid for p in sims.processes])
        else:
            report(args, [])


def best_speedup(sequential: dict[str, Any], parallelism: int, cpus: int) -> float:
    """The most a parallel run can gain on this machine, from the sequential run's own costs.

    A parallel run cannot be shorter than (a) the client's CPU time (one process: its
    Python code runs on one core at a time), (b) all CPU work, client and simulators,
    spread over every core, or (c) the sequential time divided by the parallelism.
    """
    client, sims = sequential["cpu_seconds"], sequential.get("sim_cpu_seconds", 0.0)
    floor = max(client, (client + sims) / cpus, sequential["seconds"] / parallelism)
    return float(sequential["seconds"] / floor) if floor > 0 else float("nan")


def report(args: argparse.Namespace, endpoints: list[int], sim_pids: list[int] | None = None) -> None:
    if endpoints:
        where = (f"{len(endpoints)} `hvnet sim serve` processes shared round-robin (each host its own inventory "
                 "entry, session, runspace pool and HTTP connection: the real psrp fleet path)")
    else:
        where = "one in-process simulator per host (transport: sim), sharing the client's process and GIL"
    print(f"# hvnet fleet drift (--fix none): {args.hosts} simulated hosts on {where}; latencyMs "
          f"{args.latency_ms} injected per HTTP request; {os.cpu_count()} CPUs")
    # Warm-up, not reported: the simulators' first answers (imports, their first parse of the
    # collection pipeline) must not be charged to whichever run happens to come first.
    run_child(min(args.hosts, 8), 8, args.latency_ms, endpoints, sim_pids)
    parallel = run_child(args.hosts, args.parallelism, args.latency_ms, endpoints, sim_pids)
    sequential = run_child(args.hosts, 1, args.latency_ms, endpoints, sim_pids)
    cpus = os.cpu_count() or 1
    print()
    print("| run | hosts | parallelism | wall s | client CPU s | simulators CPU s | client ms/host | "
          "simulators ms/host | hosts/s | statuses |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for row in (parallel, sequential):
        hosts = row["hosts"]
        print(f"| drift | {hosts} | {row['parallelism']} | {row['seconds']:.1f} | {row['cpu_seconds']:.1f} | "
              f"{row['sim_cpu_seconds']:.1f} | {1000 * row['cpu_seconds'] / hosts:.0f} | "
              f"{1000 * row['sim_cpu_seconds'] / hosts:.0f} | {hosts / row['seconds']:.1f} | "
              f"{', '.join(row['statuses'])} |")
    speedup = sequential["seconds"] / parallel["seconds"]
    bound = best_speedup(sequential, args.parallelism, cpus)
    idle = max(0.0, sequential["seconds"] - sequential["cpu_seconds"] - sequential["sim_cpu_seconds"])
    print(f"\nspeed-up at --parallelism {args.parallelism}: {speedup:.1f}x (target 10x). Sequentially the run "
          f"waited {idle:.1f}s on latency, the client computed {sequential['cpu_seconds']:.1f}s and the simulators "
          f"{sequential['sim_cpu_seconds']:.1f}s. In parallel the waiting overlaps; the CPU work does not shrink, "
          f"and here client and simulators share {cpus} CPUs (a real host does its part on its own CPUs): the "
          f"best speed-up these costs allow on this machine is {bound:.1f}x, of which this run reached "
          f"{100 * speedup / bound:.0f} %.")
    print()
    print("| hosts | parallelism | seconds | peak RSS above baseline (MiB) | per host (KiB) | report JSON (KiB) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for size in [int(s) for s in args.sizes.split(",") if s.strip()]:
        row = parallel if size == args.hosts else run_child(size, args.parallelism, args.latency_ms, endpoints,
                                                            sim_pids)
        growth = row["peak_mib"] - row["baseline_mib"]
        print(f"| {size} | {row['parallelism']} | {row['seconds']:.1f} | {growth:.1f} | "
              f"{growth * 1024 / size:.0f} | {row['report_kib']:.0f} |")

if __name__ == "__main__":
    main()
