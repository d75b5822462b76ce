"""The per-host lock: take, holder and age when held, stale lock broken once, release only if ours."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.apply.lock import (
    LOCK_PATH,
    RUN_ID_PATTERN,
    HostLock,
    describe_age,
    new_run_id,
    parse_lock,
    release_statements,
    verify_tail,
)
from engine.errors import LockHeld, RemoteCommandError
from engine.transport.command import Pipeline

NOW = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)


class FileHost:
    """Answers the lock's statements on one lock file, as the host would.

    New-Item / Get-Content / Get-Item / Remove-Item -LiteralPath, ``Select-String … | Remove-Item``
    (removes the file only if it holds the pattern) and Test-Path.
    """

    def __init__(self, content: str | None = None) -> None:
        self.content = content
        self.calls: list[list[str]] = []
        self.host = "hv1"

    def run(self, statements: list[Pipeline]) -> list[list[object]]:
        self.calls.append([" | ".join(c.name for c in p.commands) for p in statements])
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
            elif cmd.name == "Select-String":
                assert [c.name for c in p.commands] == ["Select-String", "Remove-Item"]
                assert cmd.params["SimpleMatch"] and cmd.params["List"]
                if self.content is None:
                    raise RemoteCommandError("hv1", "Select-String", "ProcessingFile", "InvalidArgument",
                                             f"The file {LOCK_PATH} cannot be read: Could not find file '{LOCK_PATH}'.")
                if cmd.params["Pattern"].casefold() in self.content.casefold():
                    self.content = None
                out.append([])
            elif cmd.name == "Remove-Item":
                self.content = None
                out.append([])
            elif cmd.name == "Test-Path":
                out.append([self.content is not None])
        return out


OURS, THEIRS, DEAD = "a1" * 16, "b2" * 16, "c3" * 16  # run ids as new_run_id makes them


def _held_by(holder: str, minutes_ago: int, run_id: str = DEAD) -> str:
    started = (NOW - timedelta(minutes=minutes_ago)).isoformat().replace("+00:00", "Z")
    return json.dumps({"holder": holder, "run_id": run_id, "started_at": started})


def _lock(host: FileHost) -> HostLock:
    return HostLock(host, "hv1", run_id=OURS, holder="me@box pid 1", clock=lambda: NOW)  # type: ignore[arg-type]


def test_a_free_lock_is_taken_with_holder_run_and_start_time_and_released():
    host = FileHost()
    lock = _lock(host)
    lock.acquire()
    assert lock.held
    assert json.loads(host.content or "") == {"holder": "me@box pid 1", "run_id": OURS,
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
    # the stale lock is removed only while it still holds the dead run's id
    assert host.calls == [["New-Item"], ["Get-Content", "Get-Item"], ["Select-String | Remove-Item"], ["New-Item"]]


def test_a_stale_lock_taken_over_by_another_run_meanwhile_is_not_removed():
    class Racing(FileHost):
        """Another run breaks the same stale lock between our read and our removal."""

        def run(self, statements: list[Pipeline]) -> list[list[object]]:
            if statements[0].commands[0].name == "Select-String":
                self.content = _held_by("fast@runner pid 9", 0, THEIRS)
            return super().run(statements)

    host = Racing(_held_by("dead@runner pid 7", 45))
    with pytest.raises(LockHeld) as held:
        _lock(host).acquire()
    assert "fast@runner pid 9" in str(held.value)
    assert THEIRS in (host.content or "")  # its lock is intact


def test_a_lock_without_readable_content_ages_by_the_files_creation_time():
    info = parse_lock("garbage", {"CreationTimeUtc": NOW - timedelta(hours=2)})
    assert info.holder == "garbage"
    assert info.age_s(NOW) == 7200


def test_release_failure_is_not_raised():
    class Broken(FileHost):
        def run(self, statements: list[Pipeline]) -> list[list[object]]:
            if statements[0].commands[0].name == "Select-String":
                raise RemoteCommandError("hv1", "Remove-Item", "x", "WriteError", "denied")
            return super().run(statements)

    host = Broken()
    lock = _lock(host)
    lock.acquire()
    lock.release()
    assert lock.held and host.content is not None  # still ours on the host; the TTL frees it
    assert host.calls[-1] == ["Get-Content", "Get-Item"] and lock.warnings == []  # read: it is ours


def test_the_release_removes_the_file_only_while_it_holds_our_run_id_in_one_statement():
    (remove, check) = release_statements(OURS)
    assert [(c.name, c.params) for c in remove.commands] == [
        ("Select-String", {"LiteralPath": LOCK_PATH, "Pattern": OURS, "SimpleMatch": True, "List": True}),
        ("Remove-Item", {}),  # -Path bound from the MatchInfo's Path property (ByPropertyName)
    ]
    assert [(c.name, c.params) for c in check.commands] == [("Test-Path", {"LiteralPath": LOCK_PATH})]
    assert re.fullmatch(RUN_ID_PATTERN, new_run_id())


def test_the_verification_tail_carries_the_conditional_release():
    host = FileHost()
    lock = _lock(host)
    lock.acquire()
    tail = verify_tail(lock)
    assert tail[-2:] == release_statements(OURS)
    assert verify_tail(None) == tail[:-2]


def test_a_lock_broken_and_taken_by_another_run_is_left_to_it_with_a_warning_naming_it():
    host = FileHost()
    lock = _lock(host)
    lock.acquire()
    host.content = _held_by("ci@runner pid 42", 1, THEIRS)  # our run outlived the TTL; B broke and took it
    lock.release()
    assert THEIRS in (host.content or "")  # B's lock stays
    assert not lock.held
    assert host.calls[-2:] == [["Select-String | Remove-Item", "Test-Path"], ["Get-Content", "Get-Item"]]
    (warning,) = lock.warnings
    assert "ci@runner pid 42" in warning and LOCK_PATH in warning and "left in place" in warning


def test_a_release_whose_lock_is_already_gone_is_quiet():
    host = FileHost()
    lock = _lock(host)
    lock.acquire()
    host.content = None  # released by a round trip whose later statement failed
    lock.release()
    assert not lock.held and lock.warnings == []


def test_a_normal_release_costs_one_round_trip():
    host = FileHost()
    lock = _lock(host)
    lock.acquire()
    lock.release()
    assert host.calls == [["New-Item"], ["Select-String | Remove-Item", "Test-Path"]]
    assert host.content is None and lock.warnings == []


def test_ages_read_like_a_human_wrote_them():
    assert describe_age(30) == "for 30s"
    assert describe_age(600) == "for 10 min"
    assert describe_age(3 * 3600 + 60) == "for 3 h 1 min"
    assert describe_age(None) == "for an unknown time"


# --- end to end: the CLI, pypsrp, the simulated host -------------------------------------------------------


def _apply(lab: Path, report: Path | None = None) -> Any:
    from e2e.helpers import hvnet

    return hvnet("apply", str(lab), "--auto-approve", "--allow-disruptive",
                 *(("--report", str(report)) if report else ()))


def test_e2e_apply_releases_its_lock_by_run_id_and_the_next_apply_takes_it_again(tmp_path: Path) -> None:
    from e2e.helpers import cmdlet_log, copy_lab, model

    lab = copy_lab(tmp_path, drop_documents=("Storage",))
    for _ in range(2):  # converging (release rides with the verification read), then nothing to do
        start = len(cmdlet_log(lab)) if (lab / ".hvnet").exists() else 0
        result = _apply(lab)
        assert result.exit_code == 0, result.stderr
        assert model(lab)["files"] == []
        calls = [(e["cmdlet"], e["parameters"]) for e in cmdlet_log(lab)[start:]]
        (run_id,) = {p["Pattern"][0] for c, p in calls if c == "Select-String"}
        assert re.fullmatch(RUN_ID_PATTERN, run_id)
        assert ("Remove-Item", {"Path": [LOCK_PATH]}) in calls
        assert "lock.not_ours" not in result.stderr


@pytest.mark.parametrize("lab_state", ["converging", "in-sync"])
def test_e2e_a_lock_broken_and_taken_by_another_run_meanwhile_is_left_to_it_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lab_state: str
) -> None:
    """Run A outlives the TTL; run B breaks A's lock as stale and takes it (B's file replaces A's).
    A's release must leave B's lock in place and say so, naming B."""
    from e2e.helpers import copy_lab, model

    from engine.apply import executor

    lab = copy_lab(tmp_path, drop_documents=("Storage",))
    if lab_state == "in-sync":
        assert _apply(lab).exit_code == 0
    theirs = json.dumps({"holder": "ci@runner pid 42", "run_id": THEIRS, "started_at": "2026-01-02T12:00:00Z"},
                        sort_keys=True)

    def break_ours(session: Any) -> None:
        sim = session.sim_host
        with sim.lock:
            (ours,) = [f for f in sim.model.files if f.path == LOCK_PATH]
            assert json.loads(ours.content)["run_id"] != THEIRS
            ours.content = theirs  # B removed A's file and created its own

    if lab_state == "converging":  # while A's steps run; A's release rides with its verification read
        real_execute = executor.execute_host

        def execute(session: Any, plan: Any, **kwargs: Any) -> Any:
            break_ours(session)
            return real_execute(session, plan, **kwargs)

        monkeypatch.setattr(executor, "execute_host", execute)
    else:  # nothing to change: A releases on its own round trip
        real_release = HostLock.release

        def release(lock: HostLock) -> None:
            break_ours(lock.session)
            real_release(lock)

        monkeypatch.setattr(HostLock, "release", release)
    report = tmp_path / "report.json"
    result = _apply(lab, report)
    assert result.exit_code == 0, result.stderr
    assert [(f["path"], f["content"]) for f in model(lab)["files"]] == [(LOCK_PATH, theirs)]  # B's lock stays
    assert "lock.not_ours" in result.stderr and "ci@runner pid 42" in result.stderr
    if lab_state == "converging":  # (with nothing to do, the report is written before the release)
        (host,) = json.loads(report.read_text(encoding="utf-8"))["hosts"]
        (warning,) = host["warnings"]
        assert "ci@runner pid 42" in warning and "left in place" in warning
