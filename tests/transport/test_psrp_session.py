"""PsrpSession behaviour with pypsrp's PowerShell/RunspacePool replaced by recorders (no network)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from pypsrp.complex_objects import GenericComplexObject, PSInvocationState
from pypsrp.exceptions import AuthenticationError

from engine.errors import AuthError, ConnectError, ProtocolError, RemoteCommandError
from engine.inventory import ConnectionSettings
from engine.transport import psrp as psrp_module
from engine.transport.command import Cmdlet, Int64, Pipeline
from engine.transport.psrp import PsrpSession, split_statement_output
from engine.transport.retry import RetryPolicy


def measure() -> GenericComplexObject:
    o = GenericComplexObject()
    o.types = ["Deserialized.Microsoft.PowerShell.Commands.GenericMeasureInfo", "Deserialized.System.Object"]
    o.extended_properties = {"Count": 0}
    return o


class FakeRecord:
    def __init__(self, fq: str, category: int, message: str, activity: str = "", target: str = "") -> None:
        self.fq_error = fq
        self.category = category
        self.activity = activity
        self.target_name = target
        self.exception = GenericComplexObject()
        self.exception.adapted_properties = {"Message": message}


class FakePowerShell:
    """Records the calls the session makes; answers with the class-level script."""

    calls: list[tuple[Any, ...]] = []
    output: list[Any] = []
    errors: list[Any] = []
    state = PSInvocationState.COMPLETED
    had_errors_flag = False

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.streams = type("S", (), {"error": list(FakePowerShell.errors)})()
        self.state = FakePowerShell.state
        self.had_errors = FakePowerShell.had_errors_flag

    def add_cmdlet(self, name: str) -> FakePowerShell:
        FakePowerShell.calls.append(("cmdlet", name))
        return self

    def add_parameter(self, name: str, value: Any = None) -> FakePowerShell:
        FakePowerShell.calls.append(("param", name, value))
        return self

    def add_statement(self) -> FakePowerShell:
        FakePowerShell.calls.append(("statement",))
        return self

    def add_script(self, script: str) -> FakePowerShell:  # pragma: no cover - must never be called
        FakePowerShell.calls.append(("SCRIPT", script))
        return self

    def invoke(self) -> list[Any]:
        FakePowerShell.calls.append(("invoke",))
        return list(FakePowerShell.output)


class FakePool:
    opened = 0
    closed = 0

    configurations: list[str] = []

    def __init__(self, wsman: Any, configuration_name: str) -> None:
        FakePool.configurations.append(configuration_name)

    def open(self) -> None:
        FakePool.opened += 1

    def close(self) -> None:
        FakePool.closed += 1


class FakeWSMan:
    instances: list[dict[str, Any]] = []

    def __init__(self, **kwargs: Any) -> None:
        FakeWSMan.instances.append(kwargs)

    def close(self) -> None:
        pass


@pytest.fixture(autouse=True)
def fakes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(psrp_module, "PowerShell", FakePowerShell)
    monkeypatch.setenv("HVNET_PW", "canary-pw-123")
    FakePowerShell.calls = []
    FakePowerShell.output = []
    FakePowerShell.errors = []
    FakePowerShell.state = PSInvocationState.COMPLETED
    FakePowerShell.had_errors_flag = False
    FakePool.opened = FakePool.closed = 0
    FakePool.configurations = []
    FakeWSMan.instances = []


def session(**kw: Any) -> PsrpSession:
    s = ConnectionSettings(server="127.0.0.1", username="u", password_env="HVNET_PW", auth="ntlm", **kw)
    return PsrpSession("hv01", s, wsman_factory=FakeWSMan, pool_factory=FakePool, sleep=lambda _s: None)


GET_SWITCH = Pipeline((Cmdlet.of("Get-VMSwitch"), Cmdlet.of("Select-Object", Property=["Id", "Name"])))
GET_VM = Pipeline((Cmdlet.of("Get-VM"),))


def test_statements_become_cmdlets_parameters_and_separators_never_script() -> None:
    FakePowerShell.output = ["sw1", "sw2", measure(), "vm1"]
    with session() as s:
        out = s.run([GET_SWITCH, GET_VM])
    assert out == [["sw1", "sw2"], ["vm1"]]
    assert FakePowerShell.calls == [
        ("cmdlet", "Get-VMSwitch"),
        ("cmdlet", "Select-Object"),
        ("param", "Property", ["Id", "Name"]),
        ("statement",),
        ("cmdlet", "Measure-Object"),
        ("statement",),
        ("cmdlet", "Get-VM"),
        ("statement",),
        ("invoke",),
    ]
    assert not any(c[0] == "SCRIPT" for c in FakePowerShell.calls)


def test_one_pool_per_session_reused_and_closed_once() -> None:
    s = session(configuration_name="hvnet.JEA")
    s.run([GET_VM])
    s.run([GET_VM])
    s.close()
    s.close()
    assert (FakePool.opened, FakePool.closed) == (1, 1)
    assert len(FakeWSMan.instances) == 1
    assert FakePool.configurations == ["hvnet.JEA"]  # the JEA endpoint


def test_default_endpoint_is_microsoft_powershell() -> None:
    with session() as s:
        s.run([GET_VM])
    assert FakePool.configurations == ["Microsoft.PowerShell"]


def test_password_goes_only_to_wsman() -> None:
    with session() as s:
        s.run([GET_VM])
    assert FakeWSMan.instances[0]["password"] == "canary-pw-123"


def test_int64_reaches_pypsrp_as_tagged_i64() -> None:
    with session() as s:
        s.run([Pipeline((Cmdlet.of("Set-VMNetworkAdapter", MaximumBandwidth=Int64(10**10)),))])
    (param,) = [c for c in FakePowerShell.calls if c[0] == "param"]
    assert param[2].tag == "I64" and param[2].value == 10**10


def test_script_text_cannot_be_passed() -> None:
    with session() as s, pytest.raises(TypeError):
        s.run(["Get-VMSwitch | Remove-VMSwitch"])  # type: ignore[list-item]
    with session() as s, pytest.raises(ValueError, match="not a cmdlet name"):
        s.run([Pipeline((Cmdlet.of("Get-VM; Remove-VM"),))])
    assert FakePool.opened == 0


def test_non_terminating_error_is_a_remote_command_error_even_without_had_errors() -> None:
    FakePowerShell.errors = [
        FakeRecord(
            "ObjectNotFound,Microsoft.HyperV.PowerShell.Commands.GetVMSwitch",
            13,
            'Hyper-V was unable to find a virtual switch with name "x".',
            activity="Get-VMSwitch",
            target="x",
        )
    ]
    with session() as s, pytest.raises(RemoteCommandError) as err:
        s.run([GET_SWITCH])
    e = err.value
    assert (e.host, e.cmdlet, e.error_id, e.category, e.target) == (
        "hv01",
        "Get-VMSwitch",
        "ObjectNotFound",
        "ObjectNotFound",
        "x",
    )
    assert "unable to find a virtual switch" in e.message


def test_failed_state_without_record_is_still_an_error() -> None:
    FakePowerShell.state = PSInvocationState.FAILED
    with session() as s, pytest.raises(RemoteCommandError, match="failed"):
        s.run([GET_VM])


def test_had_errors_alone_is_an_error() -> None:
    FakePowerShell.had_errors_flag = True
    with session() as s, pytest.raises(RemoteCommandError):
        s.run([GET_VM])


def test_missing_separator_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="expected output of 2 statements"):
        split_statement_output("hv01", ["a"], 2)


def test_connection_refused_on_open_is_retried_then_succeeds() -> None:
    attempts = {"n": 0}

    class FlakyPool(FakePool):
        def open(self) -> None:
            attempts["n"] += 1
            if attempts["n"] < 3:
                raise requests.exceptions.ConnectionError("[Errno 111] Connection refused")
            super().open()

    s = ConnectionSettings(server="h", username="u", password_env="HVNET_PW", auth="ntlm")
    waits: list[float] = []
    sess = PsrpSession("hv01", s, wsman_factory=FakeWSMan, pool_factory=FlakyPool, sleep=waits.append)
    sess.run([GET_VM])
    assert attempts["n"] == 3 and len(waits) == 2


def test_retries_stop_after_the_policy_attempts() -> None:
    class DeadPool(FakePool):
        def open(self) -> None:
            raise requests.exceptions.ConnectionError("Connection refused")

    s = ConnectionSettings(server="h", username="u", password_env="HVNET_PW", auth="ntlm")
    waits: list[float] = []
    sess = PsrpSession(
        "hv01",
        s,
        wsman_factory=FakeWSMan,
        pool_factory=DeadPool,
        sleep=waits.append,
        retry=RetryPolicy(attempts=4),
    )
    with pytest.raises(ConnectError, match="hv01: connection failed"):
        sess.run([GET_VM])
    assert len(waits) == 3


def test_auth_failure_is_never_retried() -> None:
    class DeniedPool(FakePool):
        def open(self) -> None:
            raise AuthenticationError("Failed to authenticate the user u with ntlm")

    s = ConnectionSettings(server="h", username="u", password_env="HVNET_PW", auth="ntlm")
    waits: list[float] = []
    sess = PsrpSession("hv01", s, wsman_factory=FakeWSMan, pool_factory=DeniedPool, sleep=waits.append)
    with pytest.raises(AuthError):
        sess.run([GET_VM])
    assert waits == []


def test_mutation_interrupted_by_a_reset_is_not_repeated() -> None:
    class ResetPS(FakePowerShell):
        def invoke(self) -> list[Any]:
            FakePowerShell.calls.append(("invoke",))
            raise requests.exceptions.ConnectionError("Connection reset by peer")

    psrp_module.PowerShell = ResetPS  # restored by the autouse monkeypatch fixture
    with session() as s, pytest.raises(ConnectError):
        s.run([Pipeline((Cmdlet.of("Remove-VMSwitch", Force=True),))])
    assert FakePowerShell.calls.count(("invoke",)) == 1


def test_read_interrupted_by_a_reset_is_retried_on_a_fresh_pool() -> None:
    calls = {"n": 0}

    class OnceResetPS(FakePowerShell):
        def invoke(self) -> list[Any]:
            calls["n"] += 1
            if calls["n"] == 1:
                raise requests.exceptions.ConnectionError("Connection reset by peer")
            return ["vm1"]

    psrp_module.PowerShell = OnceResetPS
    with session() as s:
        assert s.run([GET_VM]) == [["vm1"]]
    assert FakePool.opened == 2
