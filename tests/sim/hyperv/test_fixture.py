"""Fixture (CONTRACT §4) → host model: creation-time behaviour and build-dependent defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.errors import ManifestError
from engine.sim.hyperv.fixture import fixture_to_model, load_fixture_file

from .read_world import spec


def model_of(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    return fixture_to_model(data, "lab1.yaml").model


def switch(model: Any, name: str) -> Any:
    return next(s for s in model.switches if s.name == name)


def test_two_uplinks_imply_set_with_the_builds_lb_default() -> None:
    m2022 = model_of(spec())
    m2016 = model_of(spec(osBuild=14393))
    assert switch(m2022, "sw-compute").embedded_teaming is True
    assert switch(m2022, "sw-compute").lb_algorithm == "HyperVPort"
    assert switch(m2016, "sw-compute").lb_algorithm == "Dynamic"
    assert switch(m2022, "sw-legacy").embedded_teaming is False
    assert switch(m2022, "sw-legacy").lb_algorithm is None


def test_default_bandwidth_mode_is_none_on_iov_and_absolute_otherwise() -> None:
    m = model_of(spec())
    assert switch(m, "sw-compute").bandwidth_mode == "None"
    assert switch(m, "sw-legacy").bandwidth_mode == "Absolute"
    # Absolute mode starts with 10% of the uplink reserved for the default flow (real capture).
    assert switch(m, "sw-legacy").default_flow_min_bw_absolute == 1_000_000_000


def test_external_switch_gets_default_host_vnic_with_the_nic_mac_unless_disallowed() -> None:
    m = model_of(spec())
    legacy = switch(m, "sw-legacy")
    vnics = m.host_vnics_on_switch(legacy.id)
    assert [(v.name, v.mac) for v in vnics] == [("sw-legacy", "001B21000001")]
    compute = switch(m, "sw-compute")  # allowManagementOS: false → only the declared Storage vNIC
    assert [v.name for v in m.host_vnics_on_switch(compute.id)] == ["Storage"]
    assert m.switch_type(switch(m, "sw-private")) == "Private"


def test_a_declared_vnic_named_after_its_switch_is_the_default_one() -> None:
    m = model_of(spec())
    internal = switch(m, "sw-internal")
    assert [v.ip_addresses for v in m.host_vnics_on_switch(internal.id)] == [["192.168.250.1/24"]]


def test_driver_description_drops_the_windows_instance_suffix() -> None:
    m = model_of(spec())
    assert m.nic("SLOT 3 Port 2").driver_description == "Mellanox ConnectX-5 Adapter"
    assert m.nic("SLOT 3 Port 2").interface_description == "Mellanox ConnectX-5 Adapter #2"


def test_ids_are_reproducible_and_differ_per_host() -> None:
    a, b = model_of(spec()), model_of(spec())
    assert [s.id for s in a.switches] == [s.id for s in b.switches]
    assert [x.id for x in a.adapters] == [x.id for x in b.adapters]
    c = model_of(spec(computerName="LAB2", metadata={"name": "lab2"}))
    assert switch(c, "sw-compute").id != switch(a, "sw-compute").id
    assert a.mac_prefix != c.mac_prefix and a.mac_prefix.startswith("00155D")


def test_adapter_macs_running_vm_from_pool_off_vm_unassigned() -> None:
    data = spec()
    data["vms"][0]["adapters"].append({"name": "Extra", "switch": "sw-legacy"})
    m = model_of(data)
    extra = next(a for a in m.adapters if a.name == "Extra")
    assert extra.mac.startswith(m.mac_prefix) and extra.dynamic_mac
    off = next(a for a in m.adapters if a.name == "Network Adapter")
    assert off.mac == "000000000000" and off.switch_id is None and off.connected is False


def test_vlan_bandwidth_and_static_mac_settings_are_applied() -> None:
    data = spec()
    data["vms"][0]["adapters"][0]["staticMac"] = True
    m = model_of(data)
    front = next(a for a in m.adapters if a.name == "Frontend")
    assert front.vlan.mode == "Trunk" and front.vlan.allowed_vlan_ids == [10, 20, 21, 22, 30]
    assert front.dynamic_mac is False
    back = next(a for a in m.adapters if a.name == "Backend")
    assert back.bandwidth is not None and back.bandwidth.maximum == 1_000_000_000  # rounded down to 8


def test_faults_are_read() -> None:
    loaded = fixture_to_model(
        spec(faults={"latencyMs": 5, "failCmdlets": [{"cmdlet": "Set-VMSwitch", "nth": 2, "message": "boom"}],
                     "dropAfterRequests": 7}),
    )  # fmt: skip
    assert loaded.faults.latency_ms == 5
    assert loaded.faults.fail_cmdlets[0].nth == 2 and loaded.faults.fail_cmdlets[0].message == "boom"
    assert loaded.faults.drop_after_requests == 7


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["vms"][0]["adapters"][0].update(switch="nope"), "switch 'nope' must name exactly one switch"),
        (lambda d: d["switches"][1].update(uplinks={"names": ["missing"]}), "no netAdapter matches"),
        (lambda d: d["switches"][1].update(uplinks={"names": ["SLOT 3 Port 1"]}), "already bound to switch 'sw-compute'"),
        (lambda d: d["hostVNics"][1].update(macAddress="zz"), "is not a MAC address"),
        (lambda d: d["vms"][0]["adapters"][0]["vlan"].update(allowedVlanIds="20-10"), "is not a VLAN id list"),
    ],
)
def test_broken_references_are_reported_as_manifest_errors(mutate: Any, message: str) -> None:
    data = spec()
    mutate(data)
    with pytest.raises(ManifestError) as info:
        fixture_to_model(data, "lab1.yaml")
    assert message in str(info.value)
    assert "lab1.yaml" in str(info.value)


def test_more_running_adapters_than_the_mac_pool_is_an_error_not_a_crash() -> None:
    data = spec()
    data["vms"].append({"name": "big", "state": "Running", "adapters": [{"name": f"n{i}"} for i in range(300)]})
    with pytest.raises(ManifestError, match="dynamic MAC pool is exhausted"):
        fixture_to_model(data, "lab1.yaml")


def test_a_bad_fixture_file_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "apiVersion: hvnet/v1\nkind: SimulatedHost\nmetadata: {name: bad}\nspec:\n"
        "  computerName: BAD\n  vms:\n    - {name: v, state: Off}\n",
        encoding="utf-8",
    )
    with pytest.raises(ManifestError) as info:
        load_fixture_file(path)
    assert f"{path}:7:" in str(info.value)
