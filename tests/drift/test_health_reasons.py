"""Why a declared SR-IOV fast path is not in use: one broken link of the chain at a time."""

from __future__ import annotations

import pytest

from engine.health import host_health
from engine.model.resources import UNSET
from engine.observe.model import HostFacts

from .builders import adapter, declared_adapter, declared_switch, nic, observed, switch

VF_LESS = {"iov_usage": 0, "vf_data_path_active": False}

CASES = [
    # (id, observed host, expected first reason code, a phrase the user reads)
    ("switch-not-iov", observed(switches=[switch(iov_enabled=False)], adapters=[adapter(**VF_LESS)]),
     "switch-not-iov", "was not created with SR-IOV"),
    ("host-unsupported", observed(facts=HostFacts("HV01", 20348, False, ("BIOS: enable SR-IOV",)),
                                  adapters=[adapter(**VF_LESS)]),
     "host-iov-unsupported", "BIOS: enable SR-IOV"),
    ("switch-unsupported", observed(switches=[switch(iov_support=False, iov_support_reasons=("ACS missing",))],
                                    adapters=[adapter(**VF_LESS)]),
     "switch-iov-unsupported", "ACS missing"),
    ("nic-unsupported", observed(nics=[nic(sriov_support="MissingAcs")], adapters=[adapter(**VF_LESS)]),
     "nic-sriov-unsupported", "MissingAcs"),
    ("nic-disabled", observed(nics=[nic(sriov_enabled=False, sriov_vfs_in_use=0)], adapters=[adapter(**VF_LESS)]),
     "nic-sriov-disabled", "SR-IOV is disabled on NIC 'SLOT 3 Port 1'"),
    ("nic-down", observed(nics=[nic(status="Disconnected")], adapters=[adapter(**VF_LESS)]),
     "nic-down", "is Disconnected"),
    ("weight-zero", observed(adapters=[adapter(iov_weight=0, **VF_LESS)]), "iov-weight-zero", "IovWeight is 0"),
    ("vm-off", observed(vm_state="Off", adapters=[adapter(**VF_LESS)]), "vm-not-running", "VM 'web01' is Off"),
    ("no-free-vf", observed(nics=[nic(sriov_num_vfs=8, sriov_vfs_in_use=8)], adapters=[adapter(**VF_LESS)]),
     "no-free-vf", "uses 8 of 8"),
    ("guest-driver", observed(adapters=[adapter(iov_usage=1, vf_data_path_active=False)]),
     "guest-driver", "guest has no working VF driver"),
    ("not-connected", observed(adapters=[adapter(connected=False, switch_id=None, switch_name=None, **VF_LESS)]),
     "not-connected", "not connected"),
    ("missing", observed(adapters=[]), "adapter-missing", "is missing"),
]


@pytest.mark.parametrize(("host", "code", "phrase"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_fast_path_that_is_not_in_use_is_a_finding_with_its_reason(host, code, phrase):
    health = host_health([declared_adapter(100)], host)
    assert not health.effective
    [finding] = health.findings
    assert finding.code == code
    assert finding.address == "hv01/VMNetworkAdapter/web01-frontend"
    assert phrase in finding.message
    assert health.to_json()["adapters"][0]["effective"] is False


def test_an_adapter_with_an_active_vf_is_effective_and_shows_vf_usage_per_nic_and_switch():
    health = host_health([declared_adapter(100)], observed())
    assert health.effective and health.findings == []
    doc = health.to_json()
    assert doc["nics"][0] == {**doc["nics"][0], "vfs_in_use": 1, "num_vfs": 8, "vfs_free": 7}
    assert doc["switches"][0]["iov_support"] is True


def test_every_reason_is_listed_not_only_the_first():
    host = observed(vm_state="Off", adapters=[adapter(iov_weight=0, **{"iov_usage": 0, "vf_data_path_active": False})])
    [adapter_health] = host_health([declared_adapter(100)], host).adapters
    assert [r.code for r in adapter_health.reasons] == ["iov-weight-zero", "vm-not-running"]


def test_adapters_without_a_declared_weight_are_not_judged():
    host = observed(adapters=[adapter(**VF_LESS)])
    assert host_health([declared_adapter(0)], host).adapters == ()
    assert host_health([declared_adapter(UNSET)], host).adapters == ()  # omitted: unmanaged


def test_one_usable_team_member_is_enough():
    host = observed(nics=[nic(sriov_enabled=False), nic("SLOT 3 Port 2", sriov_vfs_in_use=1)],
                    switches=[switch(uplinks=("SLOT 3 Port 1", "SLOT 3 Port 2"))])
    assert host_health([declared_adapter(100)], host).effective


def test_a_declared_iov_switch_without_iov_support_is_a_finding():
    host = observed(switches=[switch(iov_support=False, iov_support_reasons=("no ACS",))])
    health = host_health([declared_switch(enable_iov=True)], host)
    assert [(f.code, f.address) for f in health.findings] == [("switch-iov-unsupported", "hv01/VMSwitch/sw-compute")]
