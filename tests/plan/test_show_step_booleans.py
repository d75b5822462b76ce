"""The plan shows steps as valid PowerShell: [switch] parameters bare, [bool] ones with a value."""

from engine.render.common import show_step
from engine.transport.command import Cmdlet, Pipeline, Step


def _show(*commands: Cmdlet) -> str:
    return show_step(Step("1", Pipeline(commands)))


def test_switch_parameters_are_bare_and_bool_parameters_carry_their_value() -> None:
    text = _show(
        Cmdlet.of("New-VMSwitch", Name="sw", EnableIov=True, AllowManagementOS=False),
        Cmdlet.of("Set-VMSwitchTeam", Passthru=True),
    )
    assert text == "New-VMSwitch -Name 'sw' -EnableIov $true -AllowManagementOS $false | Set-VMSwitchTeam -Passthru"


def test_a_switch_turned_off_uses_the_colon_form() -> None:
    assert _show(Cmdlet.of("Set-NetAdapterSriov", NoRestart=False)) == "Set-NetAdapterSriov -NoRestart:$false"


def test_quotes_in_names_are_doubled() -> None:
    assert _show(Cmdlet.of("Get-VM", Name="it's")) == "Get-VM -Name 'it''s'"
