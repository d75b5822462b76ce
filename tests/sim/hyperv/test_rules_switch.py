"""Hyper-V's virtual-switch rules, on the model without HTTP: one case per rule, each refusal
next to a positive control (hyperv-model §2.1/§2.2)."""

from __future__ import annotations

from engine.sim.binding import bind
from engine.sim.hyperv import cmdlets_adapter as A
from engine.sim.hyperv import cmdlets_switch as S
from engine.sim.hyperv.cmdlets_read_net import ip_rows
from engine.sim.hyperv.errors import Msg
from engine.sim.hyperv.rules import check_team
from engine.sim.objects import CmdletError, CommandCall
from engine.sim.registry import Registry

from .rules_world import nic, ok, refused, run, terminating, world

MLX1, MLX2, INTEL, MGMT = "SLOT 3 Port 1", "SLOT 3 Port 2", "SLOT 4 Port 1", "MGMT"


def addresses(model):
    """(address, interface alias) as Get-NetIPAddress reports them."""
    return [(addr, alias) for addr, _index, alias in ip_rows(model, "")]


def new(model, name, **params):
    ok(S.new_vmswitch, model, {"Name": name, **params})
    return model.switches[-1]


# --- New-VMSwitch -------------------------------------------------------------------


def test_external_switch_gets_a_host_vnic_named_after_it_with_the_nic_mac_and_its_ip() -> None:
    model = world()
    sw = new(model, "ext", NetAdapterName=[MLX1])
    (vnic,) = model.host_vnics_on_switch(sw.id)
    assert (vnic.name, vnic.mac) == ("ext", "98039B000001")
    assert ("10.0.1.21/24", "vEthernet (ext)") in addresses(model)  # the NIC's IP now shows on the vNIC
    assert model.switch_type(sw) == "External" and model.allow_management_os(sw)


def test_allow_management_os_false_creates_no_host_vnic() -> None:
    model = world()
    sw = new(model, "ext", NetAdapterName=[MLX1], AllowManagementOS=False)
    assert model.host_vnics_on_switch(sw.id) == []
    assert not model.allow_management_os(sw)
    assert all(addr != "10.0.1.21/24" for addr, _ in addresses(model))  # the host lost that NIC


def test_two_nics_imply_embedded_teaming_with_the_build_default_load_balancing() -> None:
    for build, algorithm in ((14393, "Dynamic"), (20348, "HyperVPort")):
        model = world(build)
        sw = new(model, "set", NetAdapterName=[MLX1, MLX2])
        assert (sw.embedded_teaming, sw.lb_algorithm, sw.teaming_mode) == (True, algorithm, "SwitchIndependent")
        assert sw.uplinks == [MLX1, MLX2]
    single = new(world(), "one", NetAdapterName=[MLX1])
    assert not single.embedded_teaming and single.lb_algorithm is None


def test_two_nics_with_teaming_disabled_are_refused() -> None:
    model = world()
    err = terminating(S.new_vmswitch, model, {"Name": "x", "NetAdapterName": [MLX1, MLX2], "EnableEmbeddedTeaming": False})
    assert err.message == Msg.NON_TEAMING_MULTIPLE and err.category == "InvalidArgument"
    assert model.switches == []
    assert new(model, "one-member-set", NetAdapterName=[MLX1], EnableEmbeddedTeaming=True).embedded_teaming


def test_set_members_must_be_the_same_model_ignoring_the_windows_suffix() -> None:
    model = world()
    err = refused(S.new_vmswitch, model, {"Name": "mixed", "NetAdapterName": [MLX1, INTEL]})
    assert "must be identical" in err.message and model.switches == []
    assert new(model, "same", NetAdapterName=[MLX1, MLX2]).uplinks == [MLX1, MLX2]  # '... #2' is the same model


def test_a_team_has_at_most_eight_members() -> None:
    nics = [nic(f"P{i}", "Mellanox ConnectX-5 Adapter" + (f" #{i}" if i else ""), f"98039B0001{i:02d}", 20 + i) for i in range(9)]
    try:
        check_team("New-VMSwitch", nics)
    except CmdletError as err:
        assert err.record.message == Msg.TEAM_TOO_MANY.format(count=9)
    else:
        raise AssertionError("nine members were accepted")
    check_team("New-VMSwitch", nics[:8])


def test_a_nic_bound_to_a_switch_is_in_use() -> None:
    model = world()
    new(model, "first", NetAdapterName=[MLX1])
    err = refused(S.new_vmswitch, model, {"Name": "second", "NetAdapterName": [MLX1]})
    assert err.fully_qualified_error_id == "ObjectInUse,Microsoft.HyperV.PowerShell.Commands.NewVMSwitch"
    assert err.category == "ResourceBusy" and len(model.switches) == 1
    assert new(model, "second", NetAdapterName=[INTEL]).uplinks == [INTEL]


def test_a_missing_nic_is_reported_by_name() -> None:
    model = world()
    err = refused(S.new_vmswitch, model, {"Name": "x", "NetAdapterName": ["SLOT 9 Port 9"]})
    assert err.message == "Cannot find a physical network adapter named SLOT 9 Port 9."
    assert model.switches == []


def test_internal_switch_has_a_host_vnic_and_private_has_none() -> None:
    model = world()
    internal = new(model, "int", SwitchType="Internal")
    private = new(model, "priv", SwitchType="Private")
    assert [v.name for v in model.host_vnics_on_switch(internal.id)] == ["int"]
    assert model.switch_type(internal) == "Internal" and model.switch_type(private) == "Private"


def test_switch_type_and_nics_together_or_neither_fail_binding() -> None:
    model = world()
    both = terminating(S.new_vmswitch, model, {"Name": "x", "SwitchType": "Internal", "NetAdapterName": [MLX1]})
    neither = terminating(S.new_vmswitch, model, {"Name": "x"})
    assert both.fully_qualified_error_id.startswith("AmbiguousParameterSet,")
    assert neither.fully_qualified_error_id.startswith("MissingMandatoryParameter,")
    assert model.switches == []


def test_default_bandwidth_mode_resolves_by_iov() -> None:
    model = world()
    assert new(model, "plain", NetAdapterName=[MLX1]).bandwidth_mode == "Absolute"
    assert new(model, "iov", NetAdapterName=[INTEL], EnableIov=True).bandwidth_mode == "None"
    assert new(model, "w", SwitchType="Private", MinimumBandwidthMode="Weight").bandwidth_mode == "Weight"


def test_duplicate_switch_names_are_allowed() -> None:
    model = world()
    new(model, "dup", SwitchType="Private")
    new(model, "dup", SwitchType="Private")
    assert [s.name for s in model.switches] == ["dup", "dup"] and model.switches[0].id != model.switches[1].id


def test_a_bad_id_is_refused_and_a_given_id_is_kept() -> None:
    model = world()
    err = terminating(S.new_vmswitch, model, {"Name": "x", "SwitchType": "Private", "Id": "not-a-guid"})
    assert err.category == "InvalidArgument"
    sw = new(model, "x", SwitchType="Private", Id="{6F1C2A9E-3B7D-5E41-9A0C-48D2F1E7B3A5}")
    assert sw.id == "6f1c2a9e-3b7d-5e41-9a0c-48d2f1e7b3a5"


# --- Set-VMSwitch -------------------------------------------------------------------


def _registry() -> Registry:
    registry = Registry()

    class Host:
        model = world()

    S.register(registry, Host())
    return registry


def test_creation_only_settings_are_not_set_vmswitch_parameters() -> None:
    spec = _registry().get("Set-VMSwitch")
    for creation_only in ("EnableIov", "MinimumBandwidthMode", "EnableEmbeddedTeaming", "EnablePacketDirect", "Id"):
        try:
            bind(spec, CommandCall("Set-VMSwitch", (("Name", "x"), (creation_only, True))), False)
        except CmdletError as err:
            assert err.record.fully_qualified_error_id.startswith("NamedParameterNotFound,")
        else:
            raise AssertionError(f"Set-VMSwitch accepted -{creation_only}")
    assert bind(spec, CommandCall("Set-VMSwitch", (("Name", "x"), ("Notes", "n"))), False)["Notes"] == "n"


def test_allow_management_os_false_removes_every_host_vnic_and_true_adds_one() -> None:
    model = world()
    sw = new(model, "ext", NetAdapterName=[MLX1])
    ok(A.add_vmnetworkadapter, model, {"ManagementOS": True, "SwitchName": "ext", "Name": "Storage"})
    assert len(model.host_vnics_on_switch(sw.id)) == 2
    ok(S.set_vmswitch, model, {"Name": ["ext"], "AllowManagementOS": False})
    assert model.host_vnics_on_switch(sw.id) == []
    ok(S.set_vmswitch, model, {"Name": ["ext"], "AllowManagementOS": True})
    assert [(v.name, v.mac) for v in model.host_vnics_on_switch(sw.id)] == [("ext", "98039B000001")]


def test_allow_management_os_needs_an_external_switch_and_external_needs_a_nic() -> None:
    model = world()
    new(model, "int", SwitchType="Internal")
    err = terminating(S.set_vmswitch, model, {"Name": ["int"], "SwitchType": "Internal", "AllowManagementOS": True})
    assert err.message == Msg.ALLOW_MGMT_EXTERNAL_ONLY
    err = terminating(S.set_vmswitch, model, {"Name": ["int"], "SwitchType": "External"})
    assert err.message == Msg.SET_NO_NIC
    ok(S.set_vmswitch, model, {"Name": ["int"], "NetAdapterName": INTEL})  # a NIC implies External
    assert model.switch_type(model.switches[0]) == "External"


def test_a_set_switch_cannot_change_type_or_nics_through_set_vmswitch() -> None:
    model = world()
    new(model, "set", NetAdapterName=[MLX1, MLX2])
    for params in ({"NetAdapterName": INTEL}, {"SwitchType": "Internal"}):
        err = refused(S.set_vmswitch, model, {"Name": ["set"], **params})
        assert err.message == Msg.TEAMING_CANNOT_CHANGE
    assert model.switches[0].uplinks == [MLX1, MLX2]
    ok(S.set_vmswitch, model, {"Name": ["set"], "Notes": "still settable"})
    assert model.switches[0].notes == "still settable"


def test_an_external_iov_switch_cannot_change_type_but_a_plain_one_can() -> None:
    model = world()
    new(model, "iov", NetAdapterName=[INTEL], EnableIov=True)
    err = refused(S.set_vmswitch, model, {"Name": ["iov"], "SwitchType": "Internal"})
    assert err.message == Msg.IOV_CANNOT_CHANGE_TYPE
    plain = new(model, "plain", NetAdapterName=[MLX1])
    ok(S.set_vmswitch, model, {"Name": ["plain"], "SwitchType": "Internal"})
    # External → Internal: the NIC's vNIC goes, and one named after the switch takes its place
    (vnic,) = model.host_vnics_on_switch(plain.id)
    assert model.switch_type(plain) == "Internal" and vnic.mac != "98039B000001"
    assert model.switch_of_nic(MLX1) is None


def test_private_to_external_binds_the_nic_and_to_private_drops_every_port() -> None:
    model = world()
    sw = new(model, "p", SwitchType="Private")
    ok(S.set_vmswitch, model, {"Name": ["p"], "NetAdapterName": MLX1})
    assert model.switch_type(sw) == "External"
    assert [v.mac for v in model.host_vnics_on_switch(sw.id)] == ["98039B000001"]
    ok(S.set_vmswitch, model, {"Name": ["p"], "SwitchType": "Private"})
    assert model.switch_type(sw) == "Private" and model.host_vnics_on_switch(sw.id) == [] and sw.uplinks == []


def test_names_are_wildcards_acting_on_every_match_and_a_literal_miss_is_an_error() -> None:
    model = world()
    for name in ("lab-a", "lab-b", "lab[1]"):
        new(model, name, SwitchType="Private")
    ok(S.set_vmswitch, model, {"Name": ["lab-*"], "Notes": "both"})
    assert [s.notes for s in model.switches] == ["both", "both", ""]
    ok(S.set_vmswitch, model, {"Name": ["lab`[1`]"], "Notes": "escaped"})
    assert model.switches[2].notes == "escaped"
    out, errors = run(S.set_vmswitch, model, {"Name": ["nope"], "Notes": "x"})
    assert out == [] and errors[0].message == Msg.SWITCH_NOT_FOUND.format(name="nope")
    assert errors[0].fully_qualified_error_id == "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.SetVMSwitch"
    assert run(S.set_vmswitch, model, {"Name": ["nope*"], "Notes": "x"}) == ([], [])


def test_default_flow_reservation_follows_the_switch_mode_and_rounds_to_8() -> None:
    model = world()
    new(model, "abs", NetAdapterName=[MLX1])
    err = refused(S.set_vmswitch, model, {"Name": ["abs"], "DefaultFlowMinimumBandwidthWeight": 10})
    assert "Absolute" in err.message
    ok(S.set_vmswitch, model, {"Name": ["abs"], "DefaultFlowMinimumBandwidthAbsolute": 1_000_000_007})
    assert model.switches[0].default_flow_min_bw_absolute == 1_000_000_000
    err = terminating(S.set_vmswitch, model, {"Name": ["abs"], "DefaultFlowMinimumBandwidthWeight": 101})
    assert err.message == Msg.BW_RANGE


# --- Remove / Rename ----------------------------------------------------------------


def test_remove_needs_force_and_strands_vm_adapters() -> None:
    model = world()
    sw = new(model, "ext", NetAdapterName=[MLX1])
    ok(A.add_vmnetworkadapter, model, {"VMName": ["db01"], "SwitchName": "ext"})
    err = terminating(S.remove_vmswitch, model, {"Name": ["ext"]})
    assert err.fully_qualified_error_id.startswith("HostException,") and model.switches == [sw]
    ok(S.remove_vmswitch, model, {"Name": ["ext"], "Force": True})
    assert model.switches == [] and model.host_vnics() == []
    (adapter,) = model.vm_adapters("11111111-0000-0000-0000-000000000002")
    assert adapter.switch_id == sw.id and adapter.connected and model.switch(adapter.switch_id) is None
    assert ("10.0.1.21/24", MLX1) in addresses(model)  # the address is back on the NIC


def test_rename_keeps_the_host_vnic_name() -> None:
    model = world()
    sw = new(model, "old", SwitchType="Internal")
    ok(S.rename_vmswitch, model, {"Name": ["old"], "NewName": "new"})
    assert sw.name == "new" and [v.name for v in model.host_vnics_on_switch(sw.id)] == ["old"]


# --- SET team cmdlets -----------------------------------------------------------------


def test_team_cmdlets_need_a_set_switch() -> None:
    model = world()
    new(model, "plain", NetAdapterName=[MLX1])
    err = refused(S.add_team_member, model, {"VMSwitchName": ["plain"], "NetAdapterName": [MLX2]})
    assert err.message == Msg.NOT_TEAMING.format(name="plain")
    new(model, "set", NetAdapterName=[INTEL], EnableEmbeddedTeaming=True)
    err = refused(S.add_team_member, model, {"VMSwitchName": ["set"], "NetAdapterName": [MLX2]})
    assert "must be identical" in err.message  # a Mellanox port cannot join an Intel team


def test_team_membership_changes_and_their_limits() -> None:
    model = world()
    sw = new(model, "set", NetAdapterName=[MLX1], EnableEmbeddedTeaming=True)
    err = refused(S.add_team_member, model, {"VMSwitchName": ["set"], "NetAdapterName": [MLX1]})
    assert err.message == Msg.ADD_EXISTING_MEMBER.format(nic=MLX1, name="set")
    ok(S.add_team_member, model, {"VMSwitchName": ["set"], "NetAdapterName": [MLX2]})
    assert sw.uplinks == [MLX1, MLX2]
    err = refused(S.remove_team_member, model, {"VMSwitchName": ["set"], "NetAdapterName": [INTEL]})
    assert err.message == Msg.REMOVE_NON_MEMBER.format(nic=INTEL, name="set")
    err = refused(S.remove_team_member, model, {"VMSwitchName": ["set"], "NetAdapterName": [MLX1, MLX2]})
    assert err.message == Msg.REMOVE_ALL_MEMBERS.format(name="set")
    ok(S.remove_team_member, model, {"VMSwitchName": ["set"], "NetAdapterName": [MLX1]})
    assert sw.uplinks == [MLX2] and model.switch_of_nic(MLX1) is None


def test_set_vmswitchteam_changes_algorithm_and_members_but_only_switch_independent() -> None:
    model = world(14393)
    sw = new(model, "set", NetAdapterName=[MLX1, MLX2])
    err = terminating(S.set_vmswitchteam, model, {"Name": ["set"], "TeamingMode": "Lacp"})
    assert err.message == Msg.TEAM_MODE
    ok(S.set_vmswitchteam, model, {"Name": ["set"], "LoadBalancingAlgorithm": "HyperVPort", "NetAdapterName": [MLX2]})
    assert (sw.lb_algorithm, sw.uplinks) == ("HyperVPort", [MLX2])


def test_changing_the_nic_implies_allow_management_os_true_unless_given() -> None:
    """DEC SetVMSwitch.NormalizeParameters: -NetAdapterName implies External and, unless
    -AllowManagementOS is given, AllowManagementOS $true — a host vNIC appears."""
    model = world()
    sw = new(model, "ext", NetAdapterName=[MLX1], AllowManagementOS=False)
    ok(S.set_vmswitch, model, {"Name": ["ext"], "NetAdapterName": INTEL, "AllowManagementOS": False})
    assert sw.uplinks == [INTEL] and model.host_vnics_on_switch(sw.id) == []
    ok(S.set_vmswitch, model, {"Name": ["ext"], "NetAdapterName": MLX1})
    assert sw.uplinks == [MLX1] and [v.mac for v in model.host_vnics_on_switch(sw.id)] == ["98039B000001"]
