"""Every ``PsrpSession.run`` has an overall deadline (pypsrp replaced by recorders; no network).

The fake PowerShell below behaves like pypsrp when the host never answers: ``invoke``
polls (``poll_invoke``) for ever, each poll ending without output.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from pypsrp.complex_objects import PSInvocationState

import engine.transport.psrp as psrp_module
from engine.errors import HostTimeout
from engine.inventory import ConnectionSettings
from engine.transport.command import Cmdlet, Pipeline
from engine.transport.psrp import PsrpSession, describe_invocation, invocation_deadline

GET_SWITCH = Pipeline((Cmdlet.of("Get-VMSwitch"),))
GET_VM = Pipeline((Cmdlet.of("Get-VM"),))
SET_NOTES = Pipeline((Cmdlet.of("Get-VMSwitch", Id="0f3c"), Cmdlet.of("Set-VMSwitch", Notes="x")))


class SilentHostPowerShell:
    """pypsrp's PowerShell against a host that accepted the command and never answers."""

    hang = True
    polls = 0
    invokes = 0
    instances: list[SilentHostPowerShell] = []

    def __init__(self, pool: Any) -> None:
        SilentHostPowerShell.instances.append(self)
        self.stopped = 0
        self.state = PSInvocationState.NOT_STARTED
        self.streams = type("Streams", (), {"error": []})()
        self.had_errors = False

    def add_cmdlet(self, name: str) -> SilentHostPowerShell:
        return self

    def add_parameter(self, name: str, value: Any = None) -> SilentHostPowerShell:
        return self

    def add_statement(self) -> SilentHostPowerShell:
        return self

    def poll_invoke(self, timeout: int | None = None) -> None:
        SilentHostPowerShell.polls += 1
        time.sleep(0.01)  # one long-poll ending in an OperationTimeout fault, shortened

    def invoke(self) -> list[Any]:
        SilentHostPowerShell.invokes += 1
        self.state = PSInvocationState.RUNNING
        while SilentHostPowerShell.hang:  # pypsrp's end_invoke: poll while running
            self.poll_invoke()
        self.state = PSInvocationState.COMPLETED
        return []

    def stop(self) -> None:
        self.stopped += 1
        self.state = PSInvocationState.STOPPED


class Pool:
    instances: list[Pool] = []

    def __init__(self, wsman: Any, configuration_name: str) -> None:
        self.closed = threading.Event()
        Pool.instances.append(self)

    def open(self) -> None:
        pass

    def close(self) -> None:
        self.closed.set()


class WSMan:
    def __init__(self, **kwargs: Any) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.fixture(autouse=True)
def silent_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(psrp_module, "PowerShell", SilentHostPowerShell)
    # The real deadline is 2 x operationTimeout + 5 s; these tests need it short.
    monkeypatch.setattr(psrp_module, "invocation_deadline", lambda _settings, read_only: 0.3)
    monkeypatch.setenv("HVNET_PW", "pw")
    SilentHostPowerShell.hang = True
    SilentHostPowerShell.polls = SilentHostPowerShell.invokes = 0
    SilentHostPowerShell.instances = []
    Pool.instances = []


def session() -> PsrpSession:
    settings = ConnectionSettings(server="127.0.0.1", username="u", password_env="HVNET_PW", auth="ntlm")
    return PsrpSession("hv01", settings, wsman_factory=WSMan, pool_factory=Pool, sleep=lambda _s: None)


def test_a_collection_the_host_never_answers_times_out_naming_host_and_collection() -> None:
    started = time.monotonic()
    with session() as s, pytest.raises(HostTimeout) as caught:
        s.run([GET_SWITCH, GET_VM])
    assert time.monotonic() - started < 2
    assert str(caught.value).startswith("hv01: timed out waiting for an answer to collection (2 statements)")
    assert caught.value.retryable is False


def test_the_abandoned_pipeline_is_stopped_and_its_pool_closed() -> None:
    s = session()
    with pytest.raises(HostTimeout):
        s.run([GET_SWITCH])
    (pool,) = Pool.instances
    assert pool.closed.wait(2)  # the worker stopped polling, signalled Ctrl+C, closed the pool
    (ps,) = SilentHostPowerShell.instances
    assert ps.stopped == 1 and ps.state == PSInvocationState.STOPPED
    polls = SilentHostPowerShell.polls
    time.sleep(0.1)
    assert SilentHostPowerShell.polls == polls  # nobody polls the silent host any more
    s.close()


def test_the_next_run_reopens_a_fresh_pool_and_works() -> None:
    s = session()
    with pytest.raises(HostTimeout):
        s.run([GET_SWITCH])
    SilentHostPowerShell.hang = False  # the host answers again
    assert s.run([GET_SWITCH]) == [[]]
    assert len(Pool.instances) == 2
    s.close()
    assert Pool.instances[1].closed.is_set()


def test_a_change_that_times_out_is_never_sent_again_and_says_it_may_have_run() -> None:
    with session() as s, pytest.raises(HostTimeout) as caught:
        s.run([SET_NOTES])
    assert SilentHostPowerShell.invokes == 1
    message = str(caught.value)
    assert "timed out waiting for an answer to Set-VMSwitch" in message
    assert "it may have run on the host" in message


def test_the_deadline_follows_operation_timeout_and_gives_changes_more_time() -> None:
    default = ConnectionSettings()
    assert invocation_deadline(default, read_only=True) == 45.0
    assert invocation_deadline(default, read_only=False) == 125.0
    assert invocation_deadline(ConnectionSettings(operation_timeout=1), read_only=True) == 7.0


def test_a_timeout_names_the_first_changing_cmdlet_or_the_single_read() -> None:
    assert describe_invocation([SET_NOTES], read_only=False) == "Set-VMSwitch"
    assert describe_invocation([GET_VM], read_only=True) == "Get-VM"
    assert describe_invocation([GET_SWITCH, GET_VM], read_only=True) == "collection (2 statements)"
