"""Benchmark: plan (resolve + diff + steps + fingerprint) and render 10,000 generated resources.

    .venv/bin/python benchmarks/plan_diff.py [--resources N] [--repeat R]

Prints a table of the best CPU time of R runs per phase; the target is < 1 s for diff + both renders.
Every run gets fresh inputs (nothing cached on a resource or a plan carries over from the run
before) and is charged the young-generation collection it leaves pending: with the collector
paused during planning, whatever allocates next would otherwise pay it, outside the figure.
"""

from __future__ import annotations

import argparse
import gc
import os
import time
from collections.abc import Callable
from typing import Any

from engine.inventory import ConnectionSettings, InventoryHost
from engine.model.resources import NicSelector, Resource, VlanSpec, VMNetworkAdapter, VMSwitch
from engine.observe.model import VM, Adapter, HostFacts, NetAdapter, ObservedHost, Switch, Vlan
from engine.plan import diff, plan_host
from engine.plan.model import Plan
from engine.render import render_plan

HOST = "bench1"
SWITCHES = 20
ADAPTERS_PER_VM = 4


def _nic(i: int) -> NetAdapter:
    return NetAdapter(f"NIC {i}", "Mellanox ConnectX-5 Adapter", "Mellanox ConnectX-5 Adapter", "3.1", f"98039B{i:06X}",
                      25 * 10**9, "Up", f"{{nic-{i}}}", 100 + i, sriov_support="Supported", sriov_max_vfs=64)


def _switch(i: int) -> Switch:
    return Switch(f"00000000-0000-4000-8000-{i:012d}", f"sw-{i}", "External", False, False, i % 2 == 0, False, (),
                  "Weight", 0, False, "", (f"NIC {i}",))


def generate(n: int) -> tuple[list[Resource], ObservedHost]:
    """``n`` desired resources: SWITCHES switches, the rest VM adapters; about a third differ from the host."""
    resources: list[Resource] = []
    switches = [_switch(i) for i in range(SWITCHES)]
    for i in range(SWITCHES):
        resources.append(VMSwitch(host=HOST, name=f"sw-{i}", type="External", uplinks=NicSelector(names=(f"NIC {i}",)),
                                  notes="bench" if i % 3 else ""))
    vms: list[VM] = []
    adapters: list[Adapter] = []
    for k in range(n - SWITCHES):
        vm_index, slot = divmod(k, ADAPTERS_PER_VM)
        vm_name = f"vm{vm_index:05d}"
        if slot == 0:
            vms.append(VM(f"vm-id-{vm_index}", vm_name, 2, "Running" if vm_index % 5 else "Off"))
        sw = switches[k % SWITCHES]
        vlan = Vlan("Access", access_vlan_id=10 + k % 3)
        if k % 7:  # one in seven is missing on the host (create)
            adapters.append(Adapter(f"ad-{k}", f"Net {slot}", False, vm_name, f"vm-id-{vm_index}", sw.name, sw.id,
                                    True, f"00155D{k:06X}", True, False, False, False, 0, 1, 0, vlan))
        resources.append(VMNetworkAdapter(host=HOST, name=f"{vm_name}-{slot}", vm=vm_name, adapter_name=f"Net {slot}",
                                          switch=sw.name, vlan=VlanSpec("access", vlan_id=10 + (k % 2)),
                                          iov_weight=100 if sw.iov_enabled and k % 2 else 0))
    observed = ObservedHost(HOST, HostFacts("BENCH1", 20348, True), tuple(_nic(i) for i in range(SWITCHES)),
                            tuple(switches), tuple(vms), tuple(adapters))
    return resources, observed


def best_of(repeat: int, setup: Callable[[], tuple[Any, ...]], fn: Callable[..., Any]) -> tuple[float, Any]:
    """Best CPU time of ``repeat`` runs of ``fn(*setup())`` (process time: a busy machine does not
    inflate it). ``setup`` is not timed; the collection ``fn`` leaves pending is."""
    best, result = float("inf"), None
    for _ in range(repeat):
        result = None  # free the previous run's output before timing the next
        args = setup()
        gc.collect()
        start = time.process_time()
        result = fn(*args)
        gc.collect(0)
        best = min(best, time.process_time() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    inv = InventoryHost(HOST, connection=ConnectionSettings(transport="snapshot", file="bench.json"))

    def inputs() -> tuple[list[Resource], ObservedHost]:
        return generate(args.resources)

    def fresh_plan() -> tuple[Plan]:
        return (Plan((plan_host(inv, *generate(args.resources)),)),)

    t_diff, _ = best_of(args.repeat, inputs, diff)
    t_plan, host_plan = best_of(args.repeat, inputs, lambda r, o: plan_host(inv, r, o))
    t_text, text = best_of(args.repeat, fresh_plan, lambda p: render_plan(p, "text"))
    t_json, js = best_of(args.repeat, fresh_plan, lambda p: render_plan(p, "json"))
    resources, observed = generate(args.resources)
    plan = Plan((host_plan,))
    counts = plan.summary()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; best of {args.repeat} runs")
    print(f"resources: {len(resources)}  observed adapters: {len(observed.adapters)}  "
          f"changes: {sum(counts.values())} {counts}  errors: {len(host_plan.errors)}")
    print(f"{'phase':<28}{'cpu s':>10}{'output':>14}")
    print(f"{'diff (resolve+diff+steps)':<28}{t_diff:>10.3f}{len(host_plan.changes):>10} chg")
    print(f"{'plan_host (+fp, desired)':<28}{t_plan:>10.3f}{len(host_plan.changes):>10} chg")
    print(f"{'render text':<28}{t_text:>10.3f}{len(text) // 1024:>11} KiB")
    print(f"{'render json':<28}{t_json:>10.3f}{len(js) // 1024:>11} KiB")
    total = t_diff + t_text + t_json
    print(f"{'diff + text + json':<28}{total:>10.3f}   target < 1.000 s: {'ok' if total < 1 else 'MISSED'}")
    print(f"{'plan_host + text + json':<28}{t_plan + t_text + t_json:>10.3f}")


if __name__ == "__main__":
    main()
