"""The host model: derived switch properties, allocation, JSON round trip."""

from __future__ import annotations

import json

import pytest

from engine.sim.hyperv.model import HostModel, MacPoolExhausted, PortAdapter, VSwitch

from .read_world import make_host


def test_internal_switch_without_host_vnic_reads_private() -> None:
    model = HostModel("H")
    sw = VSwitch(id="11111111-1111-1111-1111-111111111111", name="s")
    model.switches.append(sw)
    assert model.switch_type(sw) == "Private"
    assert model.allow_management_os(sw) is False
    model.adapters.append(PortAdapter(id="Microsoft:X", name="s", switch_id=sw.id, connected=True))
    assert model.switch_type(sw) == "Internal"
    assert model.allow_management_os(sw) is True
    sw.uplinks = ["nic"]
    assert model.switch_type(sw) == "External"


def test_dynamic_mac_pool_has_256_addresses_then_is_exhausted() -> None:
    model = HostModel("H", mac_prefix="00155D0A0B")
    macs = [model.allocate_mac() for _ in range(256)]
    assert macs[0] == "00155D0A0B00" and macs[-1] == "00155D0A0BFF"
    assert len(set(macs)) == 256
    with pytest.raises(MacPoolExhausted):
        model.allocate_mac()


def test_new_ids_are_deterministic_per_host_and_sequence() -> None:
    a, b = HostModel("H"), HostModel("H")
    assert [a.new_guid("VMSwitch", "x") for _ in range(3)] == [b.new_guid("VMSwitch", "x") for _ in range(3)]
    assert HostModel("OTHER").new_guid("VMSwitch", "x") != HostModel("H").new_guid("VMSwitch", "x")


def test_default_bandwidth_mode_resolves_per_iov() -> None:
    model = HostModel("H")
    assert model.resolve_bandwidth_mode("Default", iov=False) == "Absolute"
    assert model.resolve_bandwidth_mode("Default", iov=True) == "None"
    assert model.resolve_bandwidth_mode("Weight", iov=True) == "Weight"


def test_build_profile_drives_lb_default_and_adapter_limit() -> None:
    assert HostModel("H", os_build=14393).default_lb_algorithm == "Dynamic"
    assert HostModel("H", os_build=14393).max_synthetic_adapters == 8
    assert HostModel("H", os_build=17763).default_lb_algorithm == "HyperVPort"
    assert HostModel("H", os_build=20348).max_synthetic_adapters == 64


def test_model_survives_a_json_round_trip_unchanged() -> None:
    model = make_host().model
    text = json.dumps(model.to_json())
    again = HostModel.from_json(json.loads(text))
    assert again == model
    assert again.switches[0].uplinks == ["SLOT 3 Port 1", "SLOT 3 Port 2"]
    assert again.adapters[-1].vlan.mode == "Untagged"


def test_switch_lookup_by_id_accepts_braces_and_upper_case() -> None:
    model = make_host().model
    sw = model.switches[0]
    assert model.switch("{" + sw.id.upper() + "}") is sw
    assert model.switch_of_nic("slot 3 port 2") is sw
    assert model.switch_of_nic("SLOT 5 Port 1") is None
