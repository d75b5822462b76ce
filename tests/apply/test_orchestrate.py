"""Orchestration: host targeting, one session per host, failures isolated per host."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass, field

import pytest

from engine.errors import ConnectError, PlanError
from engine.inventory import ConnectionSettings, Inventory, InventoryHost
from engine.orchestrate import Hooks, for_each_host, plan_targets, select_hosts
from engine.plan.model import HostPlan

from .fakes import FakeSession

INVENTORY = Inventory("lab", tuple(InventoryHost(f"hv{i}", connection=ConnectionSettings(server=f"hv{i}"))
                                   for i in range(1, 6)))


@dataclass
class Project:
    inventory: Inventory = INVENTORY
    resources: dict = field(default_factory=dict)


def test_select_hosts_keeps_inventory_order_and_ignores_case():
    assert [h.name for h in select_hosts(INVENTORY, ["HV3", "hv1"])] == ["hv1", "hv3"]
    assert len(select_hosts(INVENTORY, [])) == 5


def test_an_unknown_host_is_an_error_listing_the_known_ones():
    with pytest.raises(PlanError, match=r"unknown host 'hv9' \(the inventory has: hv1, hv2, hv3, hv4, hv5\)"):
        select_hosts(INVENTORY, ["hv9"])


def test_one_unreachable_host_does_not_stop_the_others_and_each_host_gets_one_session():
    opened: list[str] = []
    lock = threading.Lock()

    def open_session(host: InventoryHost) -> FakeSession:
        with lock:
            opened.append(host.name)
        if host.name == "hv2":
            raise ConnectError("hv2", "connection refused")
        return FakeSession(host=host.name)

    hooks = Hooks(
        open_session=open_session,  # type: ignore[arg-type]
        collect=lambda session, name: f"observed {name}",  # type: ignore[arg-type,return-value]
        plan=lambda inv, res, obs: HostPlan(inv.name, inv.connection.to_json()),
    )
    with plan_targets(Project(), parallelism=3, hooks=hooks) as orch:
        assert [h.name for h in orch.plan.hosts] == ["hv1", "hv2", "hv3", "hv4", "hv5"]
        broken = orch.plan.hosts[1]
        assert broken.errors[0].message == "could not plan the host: hv2: connection refused"
        assert orch.plan.has_errors
        assert not orch.runs["hv2"].reachable and orch.runs["hv1"].reachable
    assert sorted(opened) == ["hv1", "hv2", "hv3", "hv4", "hv5"]
    assert all(run.session is None for run in orch.runs.values())  # closed


def test_for_each_host_bounds_parallelism_and_keeps_input_order():
    running = 0
    peak = 0
    lock = threading.Lock()
    gate = threading.Barrier(2, timeout=5)

    def work(n: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        if n < 2:
            gate.wait()  # the first two really overlap
        with lock:
            running -= 1
        return n * 10

    assert for_each_host(list(range(8)), work, parallelism=2) == [n * 10 for n in range(8)]
    assert peak == 2


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _quiet_hooks() -> Hooks:
    return Hooks(
        open_session=lambda host: FakeSession(host=host.name),  # type: ignore[arg-type,return-value]
        collect=lambda session, name: f"observed {name}",  # type: ignore[arg-type,return-value]
        plan=lambda inv, res, obs: HostPlan(inv.name, inv.connection.to_json()),
    )


def test_progress_is_shown_on_a_terminal_when_many_hosts_are_planned():
    terminal = _Terminal()
    with plan_targets(Project(), hooks=_quiet_hooks(), progress_stream=terminal):
        pass
    assert "planning hosts" in terminal.getvalue()


def test_no_progress_when_not_a_terminal():
    stream = io.StringIO()
    with plan_targets(Project(), hooks=_quiet_hooks(), progress_stream=stream):
        pass
    assert stream.getvalue() == ""
