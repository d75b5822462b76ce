"""A per-host lock, so two runs (a drift timer and a merge pipeline) never converge one host at once.

The lock is a file on the host, written with structured cmdlets only:

- take: ``New-Item -LiteralPath C:\\ProgramData\\hvnet\\lock -ItemType File -Value <json>``
  (New-Item refuses to overwrite an existing file, which makes taking atomic);
- when that fails: ``Get-Content -LiteralPath … -Raw`` and ``Get-Item -LiteralPath …``
  read who holds it and since when → ``LockHeld`` naming the holder and its age.
  A lock older than the TTL is stale (its run died): it is removed — only if it still holds
  the run id just read — and taken once more;
- release (in a ``finally`` of the apply): remove the file only if it still holds this
  run's id, then ask whether a lock is there (``release_statements``). A run that outlived
  the TTL may have had its lock broken and taken by another run: that lock is left alone,
  and ``lock.not_ours`` names its holder (also in the apply report's warnings).

The content is JSON: ``{"holder": "user@machine pid N", "run_id": "…", "started_at": "ISO-8601 UTC"}``.
Only ``apply`` (and ``drift --fix``) lock; reading a host never does.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from engine.errors import LockHeld, RemoteCommandError, TransportError
from engine.logging import get_logger
from engine.observe.model import ObservedHost
from engine.transport.command import Cmdlet, Pipeline
from engine.transport.retry import UNKNOWN_CMDLET
from engine.transport.session import HostSession

__all__ = [
    "DEFAULT_LOCK_TTL_S",
    "LOCK_PATH",
    "RUN_ID_PATTERN",
    "HostLock",
    "LockInfo",
    "describe_age",
    "lock_holder",
    "new_run_id",
    "parse_lock",
]

LOCK_PATH = "C:\\ProgramData\\hvnet\\lock"
DEFAULT_LOCK_TTL_S = 30 * 60
RUN_ID_PATTERN = "^[0-9a-f]{32}$"  # what new_run_id makes (the JEA role pins Select-String -Pattern to it)

log = get_logger()
Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def lock_holder() -> str:
    """Who we are, as the lock shows it to another run: ``user@machine pid N``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        user = "unknown"
    return f"{user}@{socket.gethostname()} pid {os.getpid()}"


def new_run_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class LockInfo:
    holder: str
    run_id: str
    started_at: datetime | None

    def age_s(self, now: datetime) -> float | None:
        if self.started_at is None:
            return None
        return max(0.0, (now - self.started_at).total_seconds())


def parse_lock(content: Any, item: Any = None) -> LockInfo:
    """The lock file's JSON (and, as a fallback for its age, the file's own timestamps)."""
    text = content if isinstance(content, str) else "" if content is None else str(content)
    data: dict[str, Any] = {}
    try:
        loaded = json.loads(text)
        if isinstance(loaded, dict):
            data = loaded
    except ValueError:
        data = {}
    started = _parse_time(data.get("started_at"))
    if started is None and item is not None:
        for prop in ("CreationTimeUtc", "LastWriteTimeUtc", "CreationTime", "LastWriteTime"):
            started = _parse_time(_prop(item, prop))
            if started is not None:
                break
    holder = str(data.get("holder") or (text.strip()[:200] if text.strip() and not data else "") or "unknown")
    return LockInfo(holder=holder, run_id=str(data.get("run_id", "")), started_at=started)


def _prop(obj: Any, name: str) -> Any:
    for attr in ("adapted_properties", "extended_properties"):
        props = getattr(obj, attr, None)
        if isinstance(props, dict) and name in props:
            return props[name]
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def describe_age(seconds: float | None) -> str:
    if seconds is None:
        return "for an unknown time"
    seconds = int(seconds)
    if seconds < 120:
        return f"for {seconds}s"
    if seconds < 7200:
        return f"for {seconds // 60} min"
    return f"for {seconds // 3600} h {seconds % 3600 // 60} min"


def take_statement(holder: str, run_id: str, started_at: datetime) -> Pipeline:
    content = json.dumps(
        {"holder": holder, "run_id": run_id, "started_at": started_at.isoformat().replace("+00:00", "Z")},
        sort_keys=True,
    )
    return Pipeline((Cmdlet.of("New-Item", LiteralPath=LOCK_PATH, ItemType="File", Value=content),))


def inspect_statements() -> list[Pipeline]:
    return [
        Pipeline((Cmdlet.of("Get-Content", LiteralPath=LOCK_PATH, Raw=True),)),
        Pipeline((Cmdlet.of("Get-Item", LiteralPath=LOCK_PATH),)),
    ]


def remove_statement(run_id: str | None) -> Pipeline:
    """Remove the lock file if it holds ``run_id`` (any lock file when ``run_id`` is None).

    ``Select-String -LiteralPath <lock> -Pattern <run id> -SimpleMatch -List`` writes one
    MatchInfo when the file holds that text (nothing, and no error, when it holds another
    run's), and Remove-Item binds the MatchInfo's ``Path`` (the file's full path) from the
    pipe: its ``-Path`` accepts pipeline input ByPropertyName (learn.microsoft.com,
    Select-String and Remove-Item, PowerShell 5.1). Check and removal are one statement on
    the host, not two round trips: nothing another run does between our round trips can
    make us remove its lock. (No structured cmdlet deletes a file atomically on a condition;
    the check and the delete are the host's microseconds apart.)
    """
    if run_id is None:
        return Pipeline((Cmdlet.of("Remove-Item", LiteralPath=LOCK_PATH),))
    match = Cmdlet.of("Select-String", LiteralPath=LOCK_PATH, Pattern=run_id, SimpleMatch=True, List=True)
    return Pipeline((match, Cmdlet.of("Remove-Item")))


def release_statements(run_id: str) -> list[Pipeline]:
    """Remove our lock file, then ``Test-Path``: True means a lock is still there — another run's.

    (A missing file is no error for Test-Path, unlike Get-Content, and an error anywhere would
    cost the verification read sharing the round trip.)
    """
    return [remove_statement(run_id), Pipeline((Cmdlet.of("Test-Path", LiteralPath=LOCK_PATH),))]


class HostLock:
    """The lock of one host, taken and released through that host's session."""

    def __init__(
        self,
        session: HostSession,
        host: str,
        *,
        run_id: str | None = None,
        ttl_s: float = DEFAULT_LOCK_TTL_S,
        holder: str | None = None,
        clock: Clock = _utcnow,
    ) -> None:
        self.session = session
        self.host = host
        self.run_id = run_id or new_run_id()
        self.ttl_s = ttl_s
        self.holder = holder or lock_holder()
        self.clock = clock
        self.held = False
        self.warnings: list[str] = []  # for the report: e.g. our lock was broken by another run

    def acquire(self, failure: RemoteCommandError | None = None) -> None:
        """Take the lock, breaking it once if it is stale; ``LockHeld`` when another run has it.

        ``failure``: a take already attempted (sharing another round trip) failed with it.
        """
        failure = failure or self._try_take()
        if failure is None:
            return
        info = self._inspect()
        if info is None:  # no lock file: New-Item failed for another reason (say, a missing folder)
            raise failure
        if info.run_id == self.run_id:
            # Our own lock: New-Item worked and a later statement of the same round trip failed
            # (an error without a cmdlet, e.g. CommandNotFoundException, reads as New-Item's).
            self.held = True
            raise failure
        age = info.age_s(self.clock())
        if age is not None and age > self.ttl_s:
            log.warning("lock.stale_broken", host=self.host, holder=info.holder, age_s=int(age))
            self._remove_stale(info)
            if self._try_take() is None:
                return
            info = self._inspect() or info
            age = info.age_s(self.clock())
        raise LockHeld(
            f"{self.host}: another hvnet run holds the host's lock ({info.holder}, "
            f"held {describe_age(age)}; lock file {LOCK_PATH}). Wait for it to finish; if that run "
            f"died, the lock is broken automatically after {int(self.ttl_s // 60)} min (--lock-ttl), "
            f"or remove the file on the host."
        )

    def release(self) -> None:
        """Remove the lock file if it is still ours; a failure is logged (the TTL frees it later), never raised."""
        if not self.held:
            return
        try:
            outputs = self.session.run(release_statements(self.run_id))
        except RemoteCommandError as exc:
            self._release_failed(exc)
            return
        except TransportError as exc:
            log.warning("lock.release_failed", host=self.host, error=str(exc), lock=LOCK_PATH)
            return
        self.released(outputs[-1])

    def released(self, lock_remains: list[Any]) -> None:
        """``release_statements`` ran; ``lock_remains`` is Test-Path's answer."""
        self.held = False
        if lock_remains and isinstance(lock_remains[0], bool) and lock_remains[0]:
            self._not_ours(self._inspect_quietly())  # rare: costs a round trip to name the holder
        else:
            log.info("lock.released", host=self.host)

    def _release_failed(self, exc: RemoteCommandError) -> None:
        """The release statement failed: read the lock file to see whose it is now."""
        try:
            info = self._inspect()
        except (RemoteCommandError, TransportError) as err:
            log.warning("lock.release_failed", host=self.host, error=str(exc), lock=LOCK_PATH, inspect_error=str(err))
            return
        if info is None:  # already gone (a round trip that released it failed later)
            self.held = False
            log.info("lock.released", host=self.host, already_gone=True)
        elif info.run_id == self.run_id:
            log.warning("lock.release_failed", host=self.host, error=str(exc), lock=LOCK_PATH)
        else:
            self.held = False
            self._not_ours(info)

    def _not_ours(self, info: LockInfo | None) -> None:
        """Another run broke our lock (this run outlived the TTL) and may hold it now: leave it."""
        if info is not None and info.run_id == self.run_id:  # Test-Path saw our own file: not removed
            self.held = True
            log.warning("lock.release_failed", host=self.host, error="the lock file is still there", lock=LOCK_PATH)
            return
        holder = info.holder if info is not None else "unknown: released again since"
        self.warnings.append(
            f"{self.host}: this run's lock had been broken as stale (the run took longer than --lock-ttl, "
            f"{int(self.ttl_s // 60)} min) and taken by another run ({holder}); its lock {LOCK_PATH} "
            f"was left in place"
        )
        log.warning("lock.not_ours", host=self.host, holder=holder, run_id=info.run_id if info else "",
                    lock=LOCK_PATH)

    def _try_take(self) -> RemoteCommandError | None:
        """None when taken; otherwise the host's error (usually: the file exists)."""
        try:
            self.session.run([take_statement(self.holder, self.run_id, self.clock())])
        except RemoteCommandError as exc:
            log.info("lock.busy", host=self.host, error=exc.message)
            return exc
        self.held = True
        log.info("lock.taken", host=self.host, run_id=self.run_id)
        return None

    def _inspect(self) -> LockInfo | None:
        try:
            content, item = self.session.run(inspect_statements())
        except RemoteCommandError as exc:
            if exc.category == "ObjectNotFound" or "does not exist" in exc.message:
                return None
            raise
        if not content and not item:
            return None
        return parse_lock(content[0] if content else None, item[0] if item else None)

    def _inspect_quietly(self) -> LockInfo | None:
        try:
            return self._inspect()
        except (RemoteCommandError, TransportError) as exc:
            log.warning("lock.inspect_failed", host=self.host, error=str(exc))
            return None

    def _remove_stale(self, info: LockInfo) -> None:
        """Remove the stale lock just read — only if it still holds that run's id (another run
        may have broken it and taken it since). A lock without an hvnet run id: removed as is."""
        run_id = info.run_id if re.fullmatch(RUN_ID_PATTERN, info.run_id, re.IGNORECASE) else None
        try:
            self.session.run([remove_statement(run_id)])
        except RemoteCommandError as exc:
            log.warning("lock.remove_failed", host=self.host, error=exc.message)


def collect_locked(session: HostSession, host: str, lock: HostLock) -> ObservedHost:
    """Take ``lock`` and read the host's state in ONE round trip (the usual case).

    When the lock file exists the combined call fails; then the lock is taken the long
    way (``acquire``: read the holder, break a stale lock) and the state read on its own.
    """
    from engine.observe.collect import COLLECTION, collect_observed
    from engine.observe.parse import parse_observed

    if callable(getattr(session, "observed", None)):  # a snapshot: read-only, nothing to lock
        return collect_observed(session, host)
    take = take_statement(lock.holder, lock.run_id, lock.clock())
    try:
        outputs = session.run([take, *(pipeline for _, pipeline in COLLECTION)])
    except RemoteCommandError as exc:
        if exc.cmdlet.casefold() not in ("new-item", UNKNOWN_CMDLET):
            # The first statement's error would come first: New-Item succeeded, the read failed.
            # (An error naming no cmdlet is settled by reading the lock file's run id below.)
            lock.held = True
            raise
        lock.acquire(exc)
        return collect_observed(session, host)
    lock.held = True
    log.info("lock.taken", host=host, run_id=lock.run_id)
    raw = {key: out for (key, _), out in zip(COLLECTION, outputs[1:], strict=True)}
    return parse_observed(host, raw, str(getattr(session, "connection_address", "") or ""))


_RELEASE_STATEMENTS = len(release_statements("0"))


def verify_tail(lock: HostLock | None) -> list[Pipeline]:
    """The statements that re-read the host and release ``lock`` (they may ride with the last wave)."""
    from engine.observe.collect import COLLECTION

    reads = [pipeline for _, pipeline in COLLECTION]
    return reads + release_statements(lock.run_id) if lock is not None and lock.held else reads


def parse_tail(session: HostSession, host: str, outputs: list[list[Any]], lock: HostLock | None) -> ObservedHost:
    """The observed state from ``verify_tail``'s outputs (and the lock as released)."""
    from engine.observe.collect import COLLECTION
    from engine.observe.parse import parse_observed

    if lock is not None and lock.held and len(outputs) == len(COLLECTION) + _RELEASE_STATEMENTS:
        lock.released(outputs[-1])
    raw = {key: out for (key, _), out in zip(COLLECTION, outputs[: len(COLLECTION)], strict=True)}
    return parse_observed(host, raw, str(getattr(session, "connection_address", "") or ""))


def collect_and_release(session: HostSession, host: str, lock: HostLock | None) -> ObservedHost:
    """Re-read the host's state and release ``lock`` in the same round trip."""
    from engine.observe.collect import collect_observed

    if callable(getattr(session, "observed", None)):
        return collect_observed(session, host)
    try:
        outputs = session.run(verify_tail(lock))
    except RemoteCommandError:
        observed = collect_observed(session, host)  # the release failed, not the read: read alone
        if lock is not None:
            lock.release()
        return observed
    return parse_tail(session, host, outputs, lock)
