"""Planning pauses the cyclic collector, hands what it keeps to the oldest generation,
and leaves no reference cycles behind (engine.gc_pause)."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator

import pytest

from engine.gc_pause import gc_paused
from engine.manifest import load_project
from engine.observe.model import ObservedHost
from engine.plan import plan_project
from engine.render import FORMATS, render_plan
from plan.test_golden_plans import CASES, ROOT


@pytest.fixture
def collector_enabled() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.enable()
    yield
    if not was_enabled:
        gc.disable()


def test_the_collector_state_is_restored(collector_enabled: None) -> None:
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block does not re-enable it early
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # a collector the caller turned off stays off
    finally:
        gc.enable()


def test_what_the_block_keeps_skips_the_young_generations(collector_enabled: None) -> None:
    with gc_paused():
        kept = [{"n": [i]} for i in range(2000)]
    assert gc.get_count()[0] < 2000  # the next allocations do not trigger a scan of all of them
    young = {id(o) for o in gc.get_objects(generation=0)} | {id(o) for o in gc.get_objects(generation=1)}
    assert not any(id(d) in young for d in kept)
    old = {id(o) for o in gc.get_objects(generation=2)}
    assert all(id(d) in old for d in kept)


def test_objects_the_caller_froze_stay_frozen(collector_enabled: None) -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with gc_paused():
            _ = [[i] for i in range(100)]
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


@pytest.mark.parametrize("case", CASES)
def test_planning_and_rendering_leave_no_reference_cycles(case: str, collector_enabled: None) -> None:
    """Cycles made while the collector is paused would wait for a full collection."""
    project = load_project([str(ROOT / case / "manifests")])
    observed = ObservedHost.from_json(json.loads((ROOT / case / "observed.json").read_text()))
    by_host = {h.name: observed for h in project.inventory.hosts}
    plan_project(project, by_host)  # warm-up: first calls may build caches of their own
    gc.collect()
    gc.disable()
    try:
        plan = plan_project(project, by_host)
        for fmt in FORMATS:
            render_plan(plan, fmt)
        del plan
        assert gc.collect() == 0
    finally:
        gc.enable()
