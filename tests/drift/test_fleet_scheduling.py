"""Shards, --max-unavailable, rolling waves and per-host deadlines (pure or thread-only: no I/O)."""

from __future__ import annotations

import io
import threading
import time
from collections import Counter

import pytest

from engine.errors import PlanError
from engine.fleet import (
    UNGROUPED,
    FleetProgress,
    MaxUnavailable,
    Shard,
    TimedOut,
    group_hosts,
    parse_max_unavailable,
    parse_shard,
    plan_waves,
    run_with_deadlines,
    select_shard,
    shard_of,
)

NAMES = [f"hv{i:04d}.corp.example" for i in range(2000)]


def test_shard_assignment_is_pinned_and_case_insensitive():
    # Pinned values: the partition must never change between versions or machines.
    assert [shard_of(n, 4) for n in ("hv01", "hv02", "hv03", "lab1")] == [2, 4, 3, 2]
    assert [shard_of(n, 7) for n in ("hv01", "hv02", "hv03", "lab1")] == [5, 1, 2, 5]
    assert shard_of("HV01", 4) == shard_of("hv01", 4)


def test_shards_partition_the_fleet_exactly_once_and_evenly():
    shards = [select_shard(NAMES, Shard(k, 5)) for k in range(1, 6)]
    assert sorted(n for s in shards for n in s) == sorted(NAMES)
    sizes = [len(s) for s in shards]
    assert all(abs(size - 400) < 80 for size in sizes), sizes  # within 20% of an even split
    assert shards[0] == [n for n in NAMES if n in set(shards[0])]  # inventory order kept


def test_one_shard_or_none_selects_everything():
    assert select_shard(NAMES[:3], None) == NAMES[:3]
    assert select_shard(NAMES[:3], Shard(1, 1)) == NAMES[:3]


@pytest.mark.parametrize(("text", "shard"), [("1/4", Shard(1, 4)), (" 4 / 4 ", Shard(4, 4)), ("1/1", Shard(1, 1))])
def test_parse_shard(text, shard):
    assert parse_shard(text) == shard and str(shard) == text.replace(" ", "")


@pytest.mark.parametrize("text", ["0/4", "5/4", "1/0", "a/b", "1", "-1/3"])
def test_bad_shards_are_clear_errors(text):
    with pytest.raises(PlanError, match="--shard"):
        parse_shard(text)


@pytest.mark.parametrize(("text", "size", "limit"), [
    ("1", 10, 1), ("3", 10, 3), ("30", 10, 10), ("25%", 10, 2), ("25%", 3, 1), ("100%", 7, 7), ("50%", 1, 1),
])
def test_max_unavailable_limits(text, size, limit):
    assert parse_max_unavailable(text).limit(size) == limit


@pytest.mark.parametrize("text", ["0", "0%", "101%", "x", "-1", "1.5"])
def test_bad_max_unavailable_is_a_clear_error(text):
    with pytest.raises(PlanError, match="--max-unavailable"):
        parse_max_unavailable(text)


def test_groups_by_label_with_unlabelled_hosts_together():
    hosts = [("a", {"cluster": "c2"}), ("b", {}), ("c", {"cluster": "c1"}), ("d", {"cluster": "c2"}), ("e", {})]
    assert group_hosts(hosts, "cluster") == {UNGROUPED: ["b", "e"], "c1": ["c"], "c2": ["a", "d"]}


def test_waves_hold_at_most_the_limit_in_order():
    assert plan_waves(["a", "b", "c", "d", "e"], 2) == [["a", "b"], ["c", "d"], ["e"]]
    assert plan_waves(["a"], MaxUnavailable(25, percent=True).limit(1)) == [["a"]]


def test_results_come_back_in_input_order_with_bounded_concurrency():
    active, peak = 0, 0
    lock = threading.Lock()

    def work(n: int) -> int:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.01 * (5 - n % 5))
        with lock:
            active -= 1
        return n * n

    assert run_with_deadlines(list(range(12)), work, parallelism=3, timeout_s=None) == [n * n for n in range(12)]
    assert peak <= 3


def test_a_slow_host_times_out_without_blocking_the_others_and_cleans_up_late():
    release = threading.Event()
    cleaned: list[str] = []
    done: list[str] = []

    def work(name: str) -> str:
        if name == "slow":
            release.wait(5)
        return name

    def late(name: str, result: str) -> None:
        cleaned.append(name)

    started = time.monotonic()
    results = run_with_deadlines(["a", "slow", "b", "c"], work, parallelism=2, timeout_s=0.3, late=late,
                                 on_done=lambda item, _r: done.append(item))
    assert time.monotonic() - started < 2
    assert results[0] == "a" and results[2:] == ["b", "c"]
    assert isinstance(results[1], TimedOut) and "timed out after 0.3s" in results[1].describe()
    assert Counter(done) == Counter(["a", "slow", "b", "c"])
    release.set()
    for _ in range(100):
        if cleaned:
            break
        time.sleep(0.01)
    assert cleaned == ["slow"]  # the abandoned worker freed its resources itself


def test_a_bug_in_the_work_is_raised_not_swallowed():
    def work(n: int) -> int:
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError, match="bug"):
        run_with_deadlines([1, 2], work, parallelism=2, timeout_s=None)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_hosts_done_and_failures_on_a_terminal_and_nothing_otherwise():
    terminal = _Terminal()
    with FleetProgress(3, "reading hosts", terminal) as progress:
        progress.advance(False)
        progress.advance(True)
        progress.advance(False)
        progress._bar.refresh()
        shown = terminal.getvalue()
    assert "reading hosts" in shown and "3/3" in shown and "1 failed" in shown
    quiet = io.StringIO()
    with FleetProgress(3, "reading hosts", quiet) as progress:
        progress.advance(True)
    assert quiet.getvalue() == "" and progress.failures == 1
