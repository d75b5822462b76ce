"""The drift run's fleet behaviour with fake hosts (threads, no network): rolling groups, deadlines."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from typing import Any

from engine.drift import DriftOptions, FixPolicy, run_drift
from engine.errors import RemoteCommandError
from engine.fleet import MaxUnavailable
from engine.inventory import Inventory, InventoryHost
from engine.observe.model import HostFacts, ObservedHost
from engine.orchestrate import Hooks
from engine.plan.model import HostPlan

from .builders import change, step

SWITCH = "VMSwitch/sw-compute"


class Fleet:
    """Fake hosts: each has one pending switch change until a run makes it."""

    def __init__(self, hosts: dict[str, str], *, fail: tuple[str, ...] = (), hang: tuple[str, ...] = (),
                 disruptive: bool = True, work_s: float = 0.05) -> None:
        self.inventory = Inventory("fake", tuple(InventoryHost(n, labels={"cluster": c}) for n, c in hosts.items()))
        self.resources: dict[str, list[Any]] = {n: [] for n in hosts}
        self.cluster = dict(hosts)
        self.fail, self.hang, self.disruptive, self.work_s = fail, hang, disruptive, work_s
        self.fixed: set[str] = set()
        self.active: dict[str, int] = defaultdict(int)
        self.peak: dict[str, int] = defaultdict(int)
        self.order: list[str] = []
        self.lock = threading.Lock()
        self.release_hung = threading.Event()

    def hooks(self) -> Hooks:
        return Hooks(open_session=lambda h: FakeSession(self, h.name), plan=self.plan)

    def plan(self, inv_host: InventoryHost, _resources: list[Any], observed: ObservedHost) -> HostPlan:
        address = f"{inv_host.name}/{SWITCH}"
        action = "noop" if observed.facts.computer_name == "FIXED" else "update"
        risk = "nic-rebind" if self.disruptive else "none"
        return HostPlan(inv_host.name, {}, "sha256:" + "0" * 64,
                        (change(address, action=action, risk=risk, disruptive=self.disruptive,
                                steps=(step(f"{inv_host.name}-s"),)),))


class FakeSession:
    def __init__(self, fleet: Fleet, host: str) -> None:
        self.fleet, self.host = fleet, host

    def observed(self, host: str) -> ObservedHost:
        return ObservedHost(host, HostFacts("FIXED" if host in self.fleet.fixed else "DRIFTED", 20348, True))

    def run(self, statements: list[Any]) -> list[list[Any]]:
        fleet, cluster = self.fleet, self.fleet.cluster[self.host]
        with fleet.lock:
            fleet.active[cluster] += 1
            fleet.active["*"] += 1
            fleet.peak[cluster] = max(fleet.peak[cluster], fleet.active[cluster])
            fleet.peak["*"] = max(fleet.peak["*"], fleet.active["*"])
            fleet.order.append(self.host)
        try:
            if self.host in fleet.hang:
                fleet.release_hung.wait(10)
            time.sleep(fleet.work_s)
            if self.host in fleet.fail:
                raise RemoteCommandError(self.host, "Set-VMSwitch", "Injected", "InvalidOperation", "injected")
            fleet.fixed.add(self.host)
            return [[] for _ in statements]
        finally:
            with fleet.lock:
                fleet.active[cluster] -= 1
                fleet.active["*"] -= 1

    def close(self) -> None:
        pass


CONSENT = FixPolicy("all", allow_disruptive=True)


def statuses(result: Any) -> dict[str, str]:
    return {h["name"]: h["status"] for h in result.report["hosts"]}


def test_at_most_max_unavailable_hosts_per_group_converge_at_once_while_groups_roll_side_by_side():
    hosts = {f"a{i}": "c1" for i in range(6)} | {f"b{i}": "c2" for i in range(6)}
    fleet = Fleet(hosts)
    result = run_drift(fleet, DriftOptions(policy=CONSENT, max_unavailable=MaxUnavailable(2)), hooks=fleet.hooks())
    assert set(statuses(result).values()) == {"fixed"} and result.exit_code == 0
    assert fleet.peak["c1"] == 2 and fleet.peak["c2"] == 2
    assert fleet.peak["*"] > 2  # the two groups did not wait for each other


def test_a_group_stops_at_its_first_failing_wave_and_other_groups_go_on():
    hosts = {"a1": "c1", "a2": "c1", "a3": "c1", "a4": "c1", "b1": "c2", "b2": "c2"}
    fleet = Fleet(hosts, fail=("a2",))
    result = run_drift(fleet, DriftOptions(policy=CONSENT, max_unavailable=MaxUnavailable(50, percent=True)),
                       hooks=fleet.hooks())
    assert statuses(result) == {"a1": "fixed", "a2": "failed", "a3": "drift", "a4": "drift",
                                "b1": "fixed", "b2": "fixed"}
    assert result.exit_code == 1
    a3 = next(h for h in result.report["hosts"] if h["name"] == "a3")
    assert a3["awaiting_approval"] == ["a3/VMSwitch/sw-compute"]
    assert a3["awaiting_approval_reasons"]["a3/VMSwitch/sw-compute"].startswith(
        "rolling apply of group cluster=c1 stopped after a2 failed (--max-unavailable 50%)")
    assert "a3" not in fleet.order and "a4" not in fleet.order


def test_non_disruptive_fixes_are_not_rolled():
    fleet = Fleet({f"a{i}": "c1" for i in range(5)}, disruptive=False)
    result = run_drift(fleet, DriftOptions(policy=FixPolicy("safe")), hooks=fleet.hooks())
    assert set(statuses(result).values()) == {"fixed"}
    assert fleet.peak["c1"] == 5


def test_a_host_that_hangs_while_fixing_times_out_and_the_others_finish():
    fleet = Fleet({"a1": "c1", "a2": "c2", "a3": "c3"}, hang=("a2",), disruptive=False)
    started = time.monotonic()
    result = run_drift(fleet, DriftOptions(policy=FixPolicy("safe"), host_timeout_s=0.5), hooks=fleet.hooks())
    fleet.release_hung.set()
    assert time.monotonic() - started < 5
    assert statuses(result) == {"a1": "fixed", "a2": "failed", "a3": "fixed"}
    a2 = next(h for h in result.report["hosts"] if h["name"] == "a2")
    assert "timed out after 0.5s (--host-timeout) while applying" in a2["errors"][0]["message"]


def test_fix_none_reports_drift_and_changes_nothing():
    fleet = Fleet({"a1": "c1", "a2": "c1"})
    result = run_drift(fleet, DriftOptions(), hooks=fleet.hooks())
    assert statuses(result) == {"a1": "drift", "a2": "drift"} and result.exit_code == 2
    assert fleet.order == []
