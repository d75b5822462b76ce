"""The invocation deadline end to end: the real pypsrp client against the simulator.

Two ways a host stops answering: it accepted a command and its answer never comes
(every Receive ends in an OperationTimeout fault, which pypsrp re-polls for ever), and
it answers nothing at all (``faults.latencyMs`` far above every timeout).
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from click.testing import CliRunner

import engine.transport.psrp as psrp_module
from engine.cli.cmd_plan import plan_command
from engine.errors import HostTimeout
from engine.inventory import ConnectionSettings
from engine.sim import start_simulator
from engine.sim.host import SimulatedHost
from engine.sim.psrp import ShellSession
from engine.transport.command import Cmdlet, Pipeline
from engine.transport.psrp import PsrpSession

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "manifests" / "examples" / "lab"
PASSWORD = "Deadline-Pw-4c1e"
GET_SWITCHES = Pipeline((Cmdlet.of("Get-VMSwitch"), Cmdlet.of("Select-Object", Property=["Id", "Name"])))


class SilentAnswers:
    """While ``silent``, a Receive for a pipeline waits out a (short) long-poll and gets nothing."""

    def __init__(self) -> None:
        self.silent = True
        self.real = ShellSession.receive

    def receive(
        self, shell: ShellSession, command_id: uuid.UUID | None, timeout: float, max_bytes: int
    ) -> Any:
        if self.silent and command_id is not None:
            time.sleep(min(timeout, 0.1))
            return None  # the service answers with the OperationTimeout fault
        return self.real(shell, command_id, timeout, max_bytes)


@pytest.fixture()
def silent(monkeypatch: pytest.MonkeyPatch) -> SilentAnswers:
    answers = SilentAnswers()
    monkeypatch.setattr(
        ShellSession,
        "receive",
        lambda shell, command_id, timeout, max_bytes: answers.receive(shell, command_id, timeout, max_bytes),
    )
    # 2 x operationTimeout + 5 s is the real deadline; a second keeps these tests fast.
    monkeypatch.setattr(psrp_module, "invocation_deadline", lambda _settings, read_only: 1.0)
    return answers


@pytest.fixture()
def sim_host() -> Iterator[SimulatedHost]:
    yield SimulatedHost.from_fixture(LAB / "sim" / "lab1.yaml")


def session_to(port: int, monkeypatch: pytest.MonkeyPatch) -> PsrpSession:
    monkeypatch.setenv("HVNET_DEADLINE_PW", PASSWORD)
    settings = ConnectionSettings(
        server="127.0.0.1",
        port=port,
        ssl=False,
        auth="basic",
        username="hvnet",
        password_env="HVNET_DEADLINE_PW",
        allow_unencrypted_basic=True,
        operation_timeout=1,
    )
    return PsrpSession("lab1", settings)


def requests(host: SimulatedHost, action: str) -> int:
    return int(host.counters["requests"].get(action, 0))


def prop(obj: Any, name: str) -> str:
    """A property of a deserialized object (Select-Object puts them in extended properties)."""
    return str(obj.extended_properties.get(name) or obj.adapted_properties.get(name))


def wait_for(condition: Any, seconds: float = 5.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_an_answer_that_never_comes_ends_at_the_deadline_and_the_session_recovers(
    sim_host: SimulatedHost, silent: SilentAnswers, monkeypatch: pytest.MonkeyPatch
) -> None:
    with start_simulator(sim_host, password=PASSWORD) as server, session_to(server.port, monkeypatch) as s:
        started = time.monotonic()
        with pytest.raises(HostTimeout) as caught:
            s.run([GET_SWITCHES])
        assert time.monotonic() - started < 3  # without the deadline pypsrp polls for ever
        assert str(caught.value).startswith("lab1: timed out waiting for an answer to Get-VMSwitch after 1 s")
        # The worker signals Ctrl+C to the pipeline and deletes the abandoned runspace pool.
        assert wait_for(lambda: requests(sim_host, "Signal") >= 1 and requests(sim_host, "Delete") >= 1)
        silent.silent = False
        (switches,) = s.run([GET_SWITCHES])  # a fresh pool: the session is usable again
        assert [prop(sw, "Name") for sw in switches] == ["sw-mgmt"]
        assert requests(sim_host, "Create") == 2


def test_a_change_whose_answer_never_comes_runs_once_and_is_not_retried(
    sim_host: SimulatedHost, silent: SilentAnswers, monkeypatch: pytest.MonkeyPatch
) -> None:
    with start_simulator(sim_host, password=PASSWORD) as server, session_to(server.port, monkeypatch) as s:
        silent.silent = False
        ((switch,),) = s.run([GET_SWITCHES])
        silent.silent = True
        change = Pipeline(
            (Cmdlet.of("Get-VMSwitch", Id=prop(switch, "Id")), Cmdlet.of("Set-VMSwitch", Notes="deadline"))
        )
        with pytest.raises(HostTimeout) as caught:
            s.run([change])
        assert "Set-VMSwitch" in str(caught.value) and "it may have run on the host" in str(caught.value)
        time.sleep(0.3)  # time enough for any (wrong) second attempt to reach the host
    sets = [c for c in sim_host.counters["cmdlets"] if c["cmdlet"] == "Set-VMSwitch"]
    assert len(sets) == 1


def test_plan_names_the_silent_host_and_still_plans_the_other(tmp_path: Path) -> None:
    lab = tmp_path / "lab"
    shutil.copytree(LAB, lab, ignore=shutil.ignore_patterns(".hvnet"))
    fixture = yaml.safe_load((lab / "sim" / "lab1.yaml").read_text(encoding="utf-8"))
    fixture["metadata"]["name"] = "lab2"
    fixture["spec"]["faults"] = {"latencyMs": 60_000}  # answers nothing within any timeout
    (lab / "sim" / "lab2.yaml").write_text(yaml.safe_dump(fixture, sort_keys=False), encoding="utf-8")
    inventory = yaml.safe_load((lab / "inventory.yaml").read_text(encoding="utf-8"))
    inventory["spec"]["hosts"].append(
        {
            "name": "lab2",
            "labels": {"site": "lab", "role": "compute"},
            "connection": {"transport": "sim", "fixture": "sim/lab2.yaml", "operationTimeout": 1},
        }
    )
    (lab / "inventory.yaml").write_text(yaml.safe_dump(inventory, sort_keys=False), encoding="utf-8")

    started = time.monotonic()
    result = CliRunner().invoke(
        click.Group(commands={"plan": plan_command}), ["plan", str(lab)], catch_exceptions=False
    )
    elapsed = time.monotonic() - started

    assert result.exit_code == 1
    assert elapsed < 15  # the deadline: 2 x operationTimeout (1 s) + 5 s, then the other host
    assert "lab2: timed out waiting for an answer to collection" in result.stderr
    assert "Host lab1" in result.stdout and "lab1/VMSwitch/sw-compute will be created" in result.stdout
