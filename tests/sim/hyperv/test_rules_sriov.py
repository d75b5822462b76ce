"""SR-IOV on the physical NIC and the VF chain it feeds (hyperv-model §2.3)."""

from __future__ import annotations

from engine.sim.hyperv import cmdlets_adapter as A
from engine.sim.hyperv import cmdlets_sriov as R
from engine.sim.hyperv import cmdlets_switch as S
from engine.sim.hyperv import sriov
from engine.sim.hyperv.rules import to_psobj

from .rules_world import ok, refused, run, world

INTEL = "SLOT 4 Port 1"
WEB = "11111111-0000-0000-0000-000000000001"


def test_changes_restart_the_adapter_unless_no_restart() -> None:
    model = world()
    ok(R.enable_sriov, model, {"Name": [INTEL]})
    assert model.nic(INTEL).sriov.enabled and model.nic(INTEL).restarts == 1
    ok(R.set_sriov, model, {"Name": [INTEL], "NumVFs": 4, "NoRestart": True})
    assert model.nic(INTEL).sriov.num_vfs == 4 and model.nic(INTEL).restarts == 1
    ok(R.disable_sriov, model, {"Name": [INTEL], "NoRestart": False})
    assert not model.nic(INTEL).sriov.enabled and model.nic(INTEL).restarts == 2


def test_num_vfs_is_bounded_by_the_hardware_maximum() -> None:
    model = world()
    err = refused(R.set_sriov, model, {"Name": [INTEL], "NumVFs": 9})
    assert err.fully_qualified_error_id == "Windows System Error 87,Set-NetAdapterSriov" and "(8)" in err.message
    assert model.nic(INTEL).sriov.num_vfs == 0 and model.nic(INTEL).restarts == 0
    ok(R.set_sriov, model, {"Name": [INTEL], "NumVFs": 8})
    assert model.nic(INTEL).sriov.num_vfs == 8


def test_a_nic_without_sriov_is_not_found_but_a_wildcard_miss_is_silent() -> None:
    model = world()
    err = refused(R.enable_sriov, model, {"Name": ["MGMT"]})
    assert err.fully_qualified_error_id == "CmdletizationQuery_NotFound_Name,Enable-NetAdapterSriov"
    assert err.message.startswith("No MSFT_NetAdapterSriovSettingData objects found with property 'Name' equal to 'MGMT'")
    assert run(R.enable_sriov, model, {"Name": ["MG*"]}) == ([], [])
    ok(R.enable_sriov, model, {"InterfaceDescription": ["Intel*"]})
    assert model.nic(INTEL).sriov.enabled


def test_piped_sriov_objects_resolve_to_their_nic() -> None:
    model = world()
    obj = to_psobj("sriov", model, model.nic(INTEL))
    (out,) = ok(R.enable_sriov, model, {"PassThru": True}, [obj])
    assert out.get("Enabled") is True and model.nic(INTEL).sriov.enabled


def _iov_vm(model, iov_switch: bool):
    ok(S.new_vmswitch, model, {"Name": "sw", "NetAdapterName": [INTEL], "EnableIov": iov_switch, "AllowManagementOS": False})
    ok(R.set_sriov, model, {"Name": [INTEL], "NumVFs": 4, "Enabled": True})
    ok(A.add_vmnetworkadapter, model, {"VMName": ["web01"], "SwitchName": "sw"})
    ok(A.set_vmnetworkadapter, model, {"VMName": ["web01"], "IovWeight": 100})
    return model.vm_adapters(WEB)[0]


def test_a_vf_needs_an_iov_switch_an_enabled_nic_and_a_weight() -> None:
    model = world()
    adapter = _iov_vm(model, iov_switch=True)
    assert sriov.evaluate(model).grants[adapter.id].nic_name == INTEL
    ok(A.set_vmnetworkadapter, model, {"VMName": ["web01"], "IovWeight": 0})
    assert adapter.id not in sriov.evaluate(model).grants
    ok(A.set_vmnetworkadapter, model, {"VMName": ["web01"], "IovWeight": 50})
    ok(R.disable_sriov, model, {"Name": [INTEL]})
    assert adapter.id not in sriov.evaluate(model).grants  # Disable-NetAdapterSriov revokes every VF
    plain = world()
    assert _iov_vm(plain, iov_switch=False).id not in sriov.evaluate(plain).grants
