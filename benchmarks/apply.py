"""Benchmark: ``apply`` of the example lab over real WinRM/PSRP to the simulated host.

Measures, for one apply (lock + read, the steps, re-read + verify + unlock) and for the
second, idempotent apply that follows it:

- command round trips (``HostSession.run`` calls), against the target
  "≤ graph levels + 4" (levels = the longest chain of the resource graph);
- HTTP requests by WS-Management action (the simulator's own counters);
- wall time per phase.

The lab is copied to a temporary folder first: the repository's files are never written.
Run: ``.venv/bin/python benchmarks/apply.py [--runs 3]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from engine.graph import build_graph
from engine.logging import configure_logging
from engine.manifest import load_project
from engine.orchestrate import LockSettings, apply_runs, locking_collector, plan_targets, release_locks
from engine.transport.psrp import PsrpSession

LAB = Path(__file__).resolve().parents[1] / "manifests" / "examples" / "lab"


@dataclass
class Measure:
    round_trips: int = 0
    statements: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    applied: int = 0


class CountingRuns:
    """Counts ``PsrpSession.run`` calls (the sim transport is a PsrpSession)."""

    def __init__(self) -> None:
        self.calls = 0
        self.statements = 0
        self._orig = PsrpSession.run

    def __enter__(self) -> CountingRuns:
        counter = self
        orig = self._orig

        def run(session: PsrpSession, statements: list[Any]) -> list[list[Any]]:
            counter.calls += 1
            counter.statements += len(statements)
            return orig(session, statements)

        PsrpSession.run = run  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        PsrpSession.run = self._orig  # type: ignore[method-assign]


def requests_by_action(lab: Path) -> Counter[str]:
    state = json.loads((lab / ".hvnet" / "sim" / "lab1.json").read_text(encoding="utf-8"))
    return Counter({k: int(v) for k, v in state["counters"]["requests"].items()})


def graph_levels(lab: Path) -> int:
    project = load_project([lab])
    graph = build_graph([r for rs in project.resources.values() for r in rs])
    return nx.dag_longest_path_length(graph) + 1 if graph.number_of_nodes() else 0


def one_apply(lab: Path) -> Measure:
    m = Measure()
    before = requests_by_action(lab) if (lab / ".hvnet").exists() else Counter()
    t0 = time.perf_counter()
    project = load_project([lab])
    with CountingRuns() as counting, plan_targets(
        project, collect=locking_collector(LockSettings(1800, "bench"))
    ) as orch:
        t1 = time.perf_counter()
        try:
            outcomes = apply_runs(orch, parallelism=1)
        finally:
            release_locks(orch)
        t2 = time.perf_counter()
    t3 = time.perf_counter()
    m.round_trips, m.statements = counting.calls, counting.statements
    m.seconds = {"lock+read+plan": t1 - t0, "steps+verify": t2 - t1, "close": t3 - t2, "total": t3 - t0}
    m.requests = requests_by_action(lab) - before
    m.applied = sum(1 for o in outcomes for r in o.results if r.status == "applied")
    failed = [(r.address, r.message) for o in outcomes for r in o.results if r.status != "applied"]
    if failed or any(o.errors for o in outcomes):
        raise SystemExit(f"apply did not converge: {failed} {[o.errors for o in outcomes]}")
    return m


def table(title: str, rows: list[tuple[str, str]]) -> str:
    width = max(len(k) for k, _ in rows)
    lines = [title, "-" * len(title)]
    lines += [f"  {k.ljust(width)}  {v}" for k, v in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh labs to apply (medians are shown)")
    args = parser.parse_args()
    configure_logging("console", 0)
    firsts: list[Measure] = []
    seconds: list[Measure] = []
    levels = 0
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="hvnet-bench-") as tmp:
            lab = Path(tmp) / "lab"
            shutil.copytree(LAB, lab, ignore=shutil.ignore_patterns(".hvnet"))
            levels = graph_levels(lab)
            firsts.append(one_apply(lab))
            seconds.append(one_apply(lab))
    for name, runs in (("first apply (converges the lab)", firsts), ("second apply (nothing to do)", seconds)):
        m = runs[0]
        rows = [
            ("changes applied", str(m.applied)),
            ("command round trips", f"{m.round_trips} (target ≤ {levels} graph levels + 4 = {levels + 4})"),
            ("statements sent", str(m.statements)),
            ("HTTP requests", f"{sum(m.requests.values())}"),
        ]
        rows += [(f"  {action}", str(n)) for action, n in sorted(m.requests.items())]
        for phase in m.seconds:
            times = [r.seconds[phase] for r in runs]
            rows.append((f"wall {phase}", f"{statistics.median(times) * 1000:.0f} ms (median of {len(times)})"))
        print(table(name, rows))
        print()


if __name__ == "__main__":
    main()
