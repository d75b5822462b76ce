"""Which command a host's error is about: read from the error record, never guessed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from engine.apply.lock import take_statement
from engine.errors import RemoteCommandError
from engine.inventory import ConnectionSettings
from engine.jea import HVNET_ROLE, render_role_capability
from engine.observe.collect import collection_statements
from engine.sim import start_simulator
from engine.sim.host import SimulatedHost
from engine.transport.command import Cmdlet, Pipeline
from engine.transport.psrp import PsrpSession
from engine.transport.retry import UNKNOWN_CMDLET, failing_cmdlet, remote_command_error

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "manifests" / "examples" / "lab" / "sim" / "lab1.yaml"
PASSWORD = "Failing-Cmdlet-pw-4"
SENT = [Pipeline((Cmdlet.of("New-Item", Path="C:\\x"),)), Pipeline((Cmdlet.of("Get-VMSwitch"), Cmdlet.of("Set-VMSwitch")))]


def record(**fields: Any) -> SimpleNamespace:
    base: dict[str, Any] = {"fq_error": "", "category": 0, "activity": None, "invocation_name": None,
                            "command_name": None, "invocation_info": None, "target_object": None,
                            "target_name": None, "reason": None, "exception": None, "details_message": None}
    return SimpleNamespace(**{**base, **fields})


def generic(**props: Any) -> SimpleNamespace:
    return SimpleNamespace(adapted_properties={}, extended_properties=props)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"activity": "Set-VMSwitch"}, "Set-VMSwitch"),
        ({"command_name": "Set-VMSwitch"}, "Set-VMSwitch"),
        ({"invocation_info": generic(MyCommand=generic(Name="Get-VMSwitch"))}, "Get-VMSwitch"),
        ({"invocation_info": generic(InvocationName="Get-VMSwitch")}, "Get-VMSwitch"),
        # CommandNotFoundException: the name it could not find is the TargetObject (and CategoryInfo.TargetName).
        ({"fq_error": "CommandNotFoundException", "reason": "CommandNotFoundException",
          "target_object": "Get-CimInstance", "target_name": "Get-CimInstance"}, "Get-CimInstance"),
        ({"fq_error": "CommandNotFoundException", "target_name": "Get-CimInstance"}, "Get-CimInstance"),
        # The cmdlet type in FullyQualifiedErrorId, when exactly one such cmdlet was sent.
        ({"fq_error": "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.SetVMSwitch"}, "Set-VMSwitch"),
        ({"fq_error": "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.RenameVMSwitch"}, ""),
        ({"target_object": "Get-CimInstance"}, ""),  # a target is not a command unless the command was not found
        ({}, ""),
    ],
)
def test_the_failing_cmdlet_comes_from_the_record(fields: dict[str, Any], expected: str) -> None:
    assert failing_cmdlet(record(**fields), SENT) == expected


def test_a_record_naming_no_command_is_blamed_on_the_invocation_not_its_first_cmdlet() -> None:
    err = remote_command_error("hv1", SENT, [record(exception=generic(Message="it broke"))], failed=True)
    assert err.cmdlet == UNKNOWN_CMDLET
    assert str(err).startswith("hv1: the invocation failed: it broke")
    bare = remote_command_error("hv1", SENT, [], failed=True)
    assert bare.cmdlet == UNKNOWN_CMDLET and "New-Item" not in str(bare)


def _run(host: SimulatedHost, statements: list[Pipeline], monkeypatch: pytest.MonkeyPatch) -> RemoteCommandError:
    monkeypatch.setenv("HVNET_FAILING_CMDLET_PW", PASSWORD)
    with start_simulator(host, auth="basic", username="hvnet", password=PASSWORD) as server:
        settings = ConnectionSettings(server="127.0.0.1", port=server.port, username="hvnet", auth="basic",
                                      password_env="HVNET_FAILING_CMDLET_PW", ssl=False,
                                      allow_unencrypted_basic=True)
        with PsrpSession("lab1", settings) as session, pytest.raises(RemoteCommandError) as err:
            session.run(statements)
    return err.value


def test_an_unknown_cmdlet_after_others_is_named_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    statements = [Pipeline((Cmdlet.of("Get-VMHost"),)), Pipeline((Cmdlet.of("Get-Nothing"),))]
    err = _run(SimulatedHost.from_fixture(FIXTURE), statements, monkeypatch)
    assert (err.cmdlet, err.error_id) == ("Get-Nothing", "CommandNotFoundException")
    assert str(err).startswith("lab1: Get-Nothing failed: The term 'Get-Nothing' is not recognized")


def test_a_cmdlet_hidden_by_a_jea_role_is_named_not_the_lock_taken_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    role = tmp_path / "old.psrc"
    role.write_text(render_role_capability([c for c in HVNET_ROLE if c.name != "Get-CimInstance"]), encoding="utf-8")
    host = SimulatedHost.from_fixture(FIXTURE, tmp_path / "state.json", jea_role=role)
    take = take_statement("tester", "run-1", datetime(2026, 1, 1, tzinfo=UTC))
    err = _run(host, [take, *collection_statements()], monkeypatch)
    assert err.cmdlet == "Get-CimInstance"
    assert "New-Item" not in str(err)
    assert "'Get-CimInstance' is not recognized" in err.message
