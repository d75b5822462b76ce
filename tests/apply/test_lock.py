"""The per-host lock: take, holder and age when held, stale lock broken once, release."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from engine.apply.lock import LOCK_PATH, HostLock, describe_age, parse_lock
from engine.errors import LockHeld, RemoteCommandError
from engine.transport.command import Pipeline

NOW = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)


class FileHost:
    """Answers New-Item / Get-Content / Get-Item / Remove-Item on one lock file."""

    def __init__(self, content: str | None = None) -> None:
        self.content = content
        self.calls: list[list[str]] = []
        self.host = "hv1"

    def run(self, statements: list[Pipeline]) -> list[list[object]]:
        self.calls.append([p.commands[0].name for p in statements])
        out: list[list[object]] = []
        for p in statements:
            cmd = p.commands[0]
            assert cmd.params["LiteralPath"] == LOCK_PATH
            if cmd.name == "New-Item":
                if self.content is not None:
                    raise RemoteCommandError("hv1", "New-Item", "NewItemIOError", "WriteError",
                                             f"The file '{LOCK_PATH}' already exists.")
                self.content = cmd.params["Value"]
                out.append([{"FullName": LOCK_PATH}])
            elif cmd.name == "Get-Content":
                out.append([self.content] if self.content is not None else [])
            elif cmd.name == "Get-Item":
                out.append([{"CreationTimeUtc": NOW}] if self.content is not None else [])
            elif cmd.name == "Remove-Item":
                self.content = None
                out.append([])
        return out


def _held_by(holder: str, minutes_ago: int) -> str:
    started = (NOW - timedelta(minutes=minutes_ago)).isoformat().replace("+00:00", "Z")
    return json.dumps({"holder": holder, "run_id": "r0", "started_at": started})


def _lock(host: FileHost) -> HostLock:
    return HostLock(host, "hv1", run_id="r1", holder="me@box pid 1", clock=lambda: NOW)  # type: ignore[arg-type]


def test_a_free_lock_is_taken_with_holder_run_and_start_time_and_released():
    host = FileHost()
    lock = _lock(host)
    lock.acquire()
    assert lock.held
    assert json.loads(host.content or "") == {"holder": "me@box pid 1", "run_id": "r1",
                                              "started_at": "2026-01-02T12:00:00Z"}
    lock.release()
    assert host.content is None and not lock.held


def test_a_held_lock_names_its_holder_and_age():
    host = FileHost(_held_by("ci@runner pid 42", 5))
    with pytest.raises(LockHeld) as held:
        _lock(host).acquire()
    assert "ci@runner pid 42" in str(held.value) and "held for 5 min" in str(held.value)
    assert host.content is not None and "ci@runner" in host.content  # untouched


def test_a_stale_lock_is_broken_and_taken_once():
    host = FileHost(_held_by("dead@runner pid 7", 45))
    lock = _lock(host)
    lock.acquire()
    assert lock.held and "me@box" in (host.content or "")
    assert host.calls == [["New-Item"], ["Get-Content", "Get-Item"], ["Remove-Item"], ["New-Item"]]


def test_a_lock_without_readable_content_ages_by_the_files_creation_time():
    info = parse_lock("garbage", {"CreationTimeUtc": NOW - timedelta(hours=2)})
    assert info.holder == "garbage"
    assert info.age_s(NOW) == 7200


def test_release_failure_is_not_raised():
    class Broken(FileHost):
        def run(self, statements: list[Pipeline]) -> list[list[object]]:
            if statements[0].commands[0].name == "Remove-Item":
                raise RemoteCommandError("hv1", "Remove-Item", "x", "WriteError", "denied")
            return super().run(statements)

    lock = _lock(Broken())
    lock.acquire()
    lock.release()
    assert lock.held  # still ours on the host; the TTL frees it


def test_ages_read_like_a_human_wrote_them():
    assert describe_age(30) == "for 30s"
    assert describe_age(600) == "for 10 min"
    assert describe_age(3 * 3600 + 60) == "for 3 h 1 min"
    assert describe_age(None) == "for an unknown time"
