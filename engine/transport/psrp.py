"""A ``HostSession`` over PowerShell Remoting (pypsrp): WS-Management + PSRP.

One runspace pool per host per run: opened on the first ``run``, reused, closed by
``close()``. Every statement is built with ``add_cmdlet``/``add_parameter`` — this
module never calls ``add_script`` and has no API that takes script text.

PSRP returns the output of all statements of one invocation as a single stream.
To hand each statement its own output, a bare ``Measure-Object`` statement (which
emits exactly one ``GenericMeasureInfo`` and is visible even in a default JEA
session) is placed between statements as a separator.

Every ``run`` has an overall deadline (``invocation_deadline``): pypsrp re-polls a
command whose answer never comes for ever (each Receive ends in an OperationTimeout
fault it ignores), so the invocation runs in a worker thread the caller waits for. On
expiry the caller raises ``HostTimeout`` at once and forgets the runspace pool; the
worker stops the remote pipeline at its next poll and closes the pool behind it; the
next ``run`` opens a new one.
"""

from __future__ import annotations

import contextvars
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import structlog
from pypsrp.complex_objects import PSInvocationState
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from engine.errors import EngineError, HostTimeout, ProtocolError
from engine.gc_pause import gc_paused
from engine.inventory import ConnectionSettings
from engine.transport import fast_serializer, fast_xml, serialize_cache
from engine.transport.command import Pipeline
from engine.transport.retry import RetryPolicy, classify, remote_command_error, with_retry
from engine.transport.session import check_statements, is_read_only, statements_read_only
from engine.transport.values import psrp_parameters
from engine.transport.wsman_arguments import resolve_password, wsman_arguments

log = structlog.get_logger("hvnet.transport")

SEPARATOR_CMDLET = "Measure-Object"
_SEPARATOR_TYPE = "Microsoft.PowerShell.Commands.GenericMeasureInfo"
DEFAULT_CONFIGURATION = "Microsoft.PowerShell"

# The deadline of one run, in operationTimeouts (one long-poll each) plus a margin for
# connecting and transfer. A read is answered within a long-poll or two; a change may
# legitimately run for minutes (New-VMSwitch binding NICs: a provider waits 120 s for it,
# hyperv-model.md "Disruption"), so it gets more: by default 45 s for reads, 125 s for changes.
READ_DEADLINE_POLLS = 2
CHANGE_DEADLINE_POLLS = 6
DEADLINE_MARGIN_S = 5

WSManFactory = Callable[..., Any]
PoolFactory = Callable[..., Any]


def invocation_deadline(settings: ConnectionSettings, *, read_only: bool) -> float:
    """Seconds one ``run`` may take from start to answer: opening, Command, every Receive."""
    polls = READ_DEADLINE_POLLS if read_only else CHANGE_DEADLINE_POLLS
    return float(polls * settings.operation_timeout + DEADLINE_MARGIN_S)


def describe_invocation(statements: list[Pipeline], *, read_only: bool) -> str:
    """What a timeout message names: "collection" for a multi-statement read, else a cmdlet."""
    if read_only and len(statements) > 1:
        return f"collection ({len(statements)} statements)"
    commands = [c for p in statements for c in p.commands]
    changing = [c for c in commands if not is_read_only(c)]
    return (changing or commands)[0].name


class _Abandoned(Exception):
    """Raised in the worker once its caller has given up on the invocation."""


@dataclass
class _Invocation:
    """One ``run``: the worker's result, the caller's cancel flag, what the worker must clean up."""

    cancelled: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    result: list[list[Any]] = field(default_factory=list)
    error: BaseException | None = None
    pool: Any = None
    wsman: Any = None
    ps: Any = None

    def check(self) -> None:
        if self.cancelled.is_set():
            raise _Abandoned


class PsrpSession:
    """A session to one host over pypsrp (see module docstring)."""

    def __init__(
        self,
        host: str,
        settings: ConnectionSettings,
        *,
        retry: RetryPolicy | None = None,
        wsman_factory: WSManFactory = WSMan,
        pool_factory: PoolFactory = RunspacePool,
        sleep: Callable[[float], None] = time.sleep,
        password_source: Callable[[], str | None] | None = None,
    ) -> None:
        self.host = host
        # Where the password comes from: the inventory's passwordEnv by default; the
        # sim transport passes its per-run random password instead.
        self._password_source = password_source or (lambda: resolve_password(host, settings))
        self.connection_address = ""
        self.settings = settings
        self.retry = retry or RetryPolicy()
        self._wsman_factory = wsman_factory
        self._pool_factory = pool_factory
        self._sleep = sleep
        self._wsman: Any = None
        self._pool: Any = None
        self._requests = 0
        self._closed = False
        # run() waits in the caller's thread while a worker talks to the host.
        self._lock = threading.Lock()

    # --- lifecycle ---
    def __enter__(self) -> PsrpSession:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def requests_made(self) -> int | None:
        return self._requests

    def _open(self, call: _Invocation, *, retry: bool = True) -> Any:
        with self._lock:
            if self._pool is not None:
                call.pool, call.wsman = self._pool, self._wsman
                return self._pool
        if self._closed:
            raise ProtocolError(self.host, "session already closed")
        password = self._password_source()  # may start a simulator and so settle the port
        settings = self.settings
        if settings.ssl and not settings.cert_validation:
            log.warning(
                "transport.tls_validation_disabled", host=self.host, server=settings.server or self.host
            )
        args = wsman_arguments(self.host, settings, password)
        log.debug(
            "host.connect",
            host=self.host,
            server=args["server"],
            port=args["port"],
            ssl=args["ssl"],
            auth=args["auth"],
            configuration=settings.configuration_name or DEFAULT_CONFIGURATION,
        )

        def open_pool() -> Any:
            call.check()
            wsman = self._wsman_factory(**args)
            call.wsman = wsman  # from here on, the worker closes it if the caller gives up
            self._count_requests(wsman)
            if args.get("no_proxy"):
                _skip_proxy_lookups(wsman)
            pool = self._pool_factory(
                wsman, configuration_name=settings.configuration_name or DEFAULT_CONFIGURATION
            )
            # Before the first message: the fast reader first, the cache of sent reads around it.
            fast_serializer.install(pool)
            serialize_cache.install(pool)
            fast_xml.install()  # pypsrp's outgoing XML, byte-identical (engine/transport/fast_xml.py)
            try:
                pool.open()
            except BaseException:
                _quietly_close(wsman)
                raise
            call.pool = pool
            return pool

        if retry:
            pool = with_retry(
                self.host, open_pool, self.retry, sleep=self._sleep, on_retry=self._on_retry(call)
            )
        else:  # the caller's retry loop covers the open too
            pool = open_pool()
        with self._lock:
            call.check()  # an abandoned invocation must not hand its pool to the next run
            self._pool, self._wsman = pool, call.wsman
        self.connection_address = resolve_address(args["server"], args["port"])
        return pool

    def close(self) -> None:
        """Close the runspace pool (one Delete) and the HTTP connection; idempotent."""
        with self._lock:
            self._closed = True
            pool, wsman = self._pool, self._wsman
            self._pool = self._wsman = None
        try:
            if pool is not None:
                pool.close()
        except EngineError:
            raise
        except Exception as exc:  # noqa: BLE001 - closing is best effort; report, do not mask the run's result
            log.warning("host.close_failed", host=self.host, error=str(classify(self.host, exc)))
        finally:
            if wsman is not None:
                _quietly_close(wsman)

    # --- running ---
    def run(self, statements: list[Pipeline]) -> list[list[Any]]:
        """Run ``statements`` in one invocation, within ``invocation_deadline``."""
        check_statements(statements)
        read_only = statements_read_only(statements)
        deadline = invocation_deadline(self.settings, read_only=read_only)
        call = _Invocation()
        # copy_context: the worker logs with the caller's bound context (host, run id).
        worker = threading.Thread(
            target=contextvars.copy_context().run,
            args=(self._work, call, statements, read_only),
            name=f"hvnet-psrp-{self.host}",
            daemon=True,  # an abandoned worker must never keep the process alive
        )
        worker.start()
        try:
            call.done.wait(deadline)
        except BaseException:  # e.g. Ctrl-C while waiting: leave nothing running on the host
            self._abandon_unless_done(call)
            raise
        if not self._abandon_unless_done(call):
            what = describe_invocation(statements, read_only=read_only)
            log.warning("host.deadline_expired", host=self.host, running=what, deadline_s=deadline)
            polls = READ_DEADLINE_POLLS if read_only else CHANGE_DEADLINE_POLLS
            message = (
                f"timed out waiting for an answer to {what} after {deadline:g} s "
                f"(deadline {polls} × operationTimeout + {DEADLINE_MARGIN_S} s); stopped it"
            )
            if not read_only:
                message += "; it may have run on the host, the next plan reads what it did"
            timeout = HostTimeout(self.host, message)
            timeout.retryable = False  # a change may have run; a read gets a new run, not a retry
            raise timeout
        if call.error is not None:
            raise call.error
        return call.result

    def _work(self, call: _Invocation, statements: list[Pipeline], read_only: bool) -> None:
        """The worker thread's body: run, hand back result or error; clean up if abandoned."""
        try:
            call.result = self._run_now(call, statements, read_only)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread, which raises it
            call.error = exc
        finally:
            with self._lock:  # either the caller takes the answer or it has given up: never both
                call.done.set()
                abandoned = call.cancelled.is_set()
            if abandoned:
                _clean_up_abandoned(self.host, call)

    def _abandon_unless_done(self, call: _Invocation) -> bool:
        """Give up unless the worker has just finished (True: it has; use its answer).

        Giving up forgets the pool now; the worker stops the pipeline and closes the pool.
        """
        with self._lock:
            if call.done.is_set():
                return True
            call.cancelled.set()
            if self._pool is not None and self._pool is call.pool:
                self._pool = self._wsman = None
            return False

    def _run_now(self, call: _Invocation, statements: list[Pipeline], read_only: bool) -> list[list[Any]]:
        built = [[(c.name, psrp_parameters(c)) for c in p.commands] for p in statements]
        cache_key = serialize_cache.statements_key(statements) if read_only else None

        def invoke_once(pool: Any) -> list[list[Any]]:
            try:
                with serialize_cache.reusing(cache_key):
                    return self._invoke(call, pool, statements, built)
            except EngineError:
                raise
            except Exception:
                # The pool is in an unknown state after a transport failure: reopen next time.
                self._drop_pool(call)
                raise

        if read_only:
            # Reads are safe to repeat: one retry loop covers (re)opening and invoking.
            return with_retry(
                self.host,
                lambda: invoke_once(self._open(call, retry=False)),
                self.retry,
                sleep=self._sleep,
                on_retry=self._on_retry(call),
            )
        pool = self._open(call)  # opening is safe to retry: nothing has run yet
        try:
            return invoke_once(pool)
        except EngineError:
            raise
        except Exception as exc:  # noqa: BLE001 - mapped to a typed error; never retried (may have run)
            raise classify(self.host, exc) from exc

    def _invoke(
        self,
        call: _Invocation,
        pool: Any,
        statements: list[Pipeline],
        built: list[list[tuple[str, list[tuple[str, Any]]]]],
    ) -> list[list[Any]]:
        call.check()
        ps = PowerShell(pool)  # a fresh object per invocation: pypsrp accumulates output
        for index, commands in enumerate(built):
            if index:
                ps.add_cmdlet(SEPARATOR_CMDLET).add_statement()
            for name, params in commands:
                ps.add_cmdlet(name)
                for pname, value in params:
                    ps.add_parameter(pname, value)
            ps.add_statement()
        _stop_polling_when_abandoned(ps, call)
        call.ps = ps
        with gc_paused():  # reading a big answer allocates many objects and no cycles
            output = list(ps.invoke() or [])
        errors = list(ps.streams.error)
        failed = ps.state == PSInvocationState.FAILED
        if errors or failed or ps.had_errors:
            raise remote_command_error(self.host, statements, errors, failed)
        return split_statement_output(self.host, output, len(statements))

    def _drop_pool(self, call: _Invocation) -> None:
        """Forget the pool this invocation used (not one a later run has opened since)."""
        with self._lock:
            if self._pool is not call.pool:
                return
            wsman = self._wsman
            self._pool = self._wsman = None
        if wsman is not None:
            _quietly_close(wsman)

    def _count_requests(self, wsman: Any) -> None:
        transport = getattr(wsman, "transport", None)
        send = getattr(transport, "send", None)
        if send is None:
            return

        def counting_send(*a: Any, **kw: Any) -> Any:
            self._requests += 1
            return send(*a, **kw)

        transport.send = counting_send

    def _on_retry(self, call: _Invocation) -> Callable[[int, EngineError, float], None]:
        def log_retry(attempt: int, err: EngineError, wait: float) -> None:
            call.check()  # no new attempt once the caller has given up
            log.warning(
                "transport.retry", host=self.host, attempt=attempt, error=str(err), wait_s=round(wait, 2)
            )

        return log_retry


def _skip_proxy_lookups(wsman: Any) -> None:
    """A loopback session never uses a proxy: stop requests re-reading the proxy environment.

    Even with pypsrp's ``no_proxy``, requests scans every environment variable on each
    request (``trust_env``: ``should_bypass_proxies``, ``get_environ_proxies``) — about
    a fifth of the client's CPU per request to the built-in simulator. The environment's
    TLS settings are read when pypsrp builds the session, before this takes effect.
    """
    transport = getattr(wsman, "transport", None)
    build = getattr(transport, "_build_session", None)
    if build is None:
        return

    def build_without_environment() -> Any:
        session = build()
        session.trust_env = False
        return session

    transport._build_session = build_without_environment


def _stop_polling_when_abandoned(ps: Any, call: _Invocation) -> None:
    """Make pypsrp's own Receive loop (``invoke`` → ``end_invoke`` → ``poll_invoke``) end
    once the caller has given up, instead of re-polling a silent host for ever."""
    poll = getattr(ps, "poll_invoke", None)
    if poll is None:
        return

    def poll_unless_abandoned(*args: Any, **kwargs: Any) -> Any:
        call.check()
        return poll(*args, **kwargs)

    ps.poll_invoke = poll_unless_abandoned


def _clean_up_abandoned(host: str, call: _Invocation) -> None:
    """Stop the remote pipeline (Ctrl+C signal) and close the pool the caller gave up on."""
    try:
        if call.ps is not None and call.ps.state == PSInvocationState.RUNNING:
            call.ps.stop()
        if call.pool is not None:
            call.pool.close()
    except Exception as exc:  # noqa: BLE001 - the host is not answering; nobody waits for this any more
        log.debug("host.abandoned_cleanup_failed", host=host, error=str(classify(host, exc)))
    finally:
        if call.wsman is not None:
            _quietly_close(call.wsman)


def split_statement_output(host: str, output: list[Any], count: int) -> list[list[Any]]:
    """Cut the single output stream at the separator objects into one list per statement."""
    result: list[list[Any]] = [[]]
    for obj in output:
        if _is_separator(obj) and len(result) < count:
            result.append([])
        else:
            result[-1].append(obj)
    if len(result) != count:
        raise ProtocolError(host, f"expected output of {count} statements, found {len(result)}")
    return result


def resolve_address(server: str, port: int) -> str:
    """The IP address a connection to ``server`` goes to (management-path detection)."""
    try:
        infos = socket.getaddrinfo(server, port, type=socket.SOCK_STREAM)
    except OSError:
        return ""
    return str(infos[0][4][0]) if infos else ""


def _is_separator(obj: Any) -> bool:
    types = getattr(obj, "types", None) or []
    return bool(types) and str(types[0]).endswith(_SEPARATOR_TYPE)


def _quietly_close(wsman: Any) -> None:
    try:
        wsman.close()
    except Exception:  # noqa: BLE001 - closing a socket that is already gone
        log.debug("transport.socket_close_failed")
