"""Documents become typed desired resources: UNSET stays UNSET, values normalized."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from engine.errors import ManifestError
from engine.manifest import load_project
from engine.model.resources import UNSET, HostVNic, NicSelector, VlanSpec, VMNetworkAdapter, VMSwitch

from .conftest import INVENTORY


def _project(write: Callable[[str, str], Path], text: str):  # type: ignore[no-untyped-def]
    inv = write("inventory.yaml", INVENTORY)
    return load_project([str(inv), str(write("m.yaml", text))])


def test_vm_adapter_defaults_and_normalization(write: Callable[[str, str], Path]) -> None:
    project = _project(
        write,
        "apiVersion: hvnet/v1\nkind: VMNetworkAdapter\nmetadata: {name: Frontend}\n"
        "spec:\n  hosts: [HV01]\n  vm: web01\n  switch: null\n  macAddress: 00-15-5d-01-0a-01\n"
        "  vlan: {mode: trunk, nativeVlanId: 10, allowedVlanIds: '10, 20-30'}\n",
    )
    assert list(project.resources) == ["hv01", "hv02"]
    assert project.resources["hv02"] == []
    (adapter,) = project.resources["hv01"]
    assert isinstance(adapter, VMNetworkAdapter)
    assert adapter.adapter_name == "Frontend"  # defaults to metadata.name
    assert adapter.switch is None  # null is a value: disconnected
    assert adapter.iov_weight is UNSET  # omitted: unmanaged
    assert adapter.mac_address == "00155D010A01"
    assert adapter.vlan == VlanSpec(mode="trunk", native_vlan_id=10, allowed_vlan_ids="10,20-30")
    assert adapter.managed() == {"switch": None, "vlan": adapter.vlan, "macAddress": "00155D010A01"}
    assert adapter.address == "hv01/VMNetworkAdapter/Frontend"


def test_positions_are_keyed_by_json_path(write: Callable[[str, str], Path]) -> None:
    project = _project(
        write,
        "apiVersion: hvnet/v1\nkind: HostVNic\nmetadata: {name: Storage}\n"
        "spec:\n  switch: sw1\n  vlan: {mode: access, vlanId: 20}\n  macAddress: Dynamic\n",
    )
    vnic = project.resources["hv01"][0]
    assert isinstance(vnic, HostVNic)
    assert vnic.mac_address == "dynamic"
    assert vnic.management is False
    assert vnic.source is not None and vnic.source.line == 1
    pos = vnic.position_of("spec.vlan.vlanId")
    assert pos is not None and (pos.line, pos.col) == (6, 24)
    assert vnic.position_of("spec.iovWeight") == vnic.positions["spec"]  # falls back to the parent


def test_switch_uplinks_become_a_nic_selector(write: Callable[[str, str], Path]) -> None:
    project = _project(
        write,
        "apiVersion: hvnet/v1\nkind: VMSwitch\nmetadata: {name: sw-compute}\n"
        "spec:\n  hostSelector: {matchLabels: {cluster: c2}}\n  type: External\n"
        "  uplinks: {names: ['SLOT 3 Port *'], macAddresses: ['98:03:9b:00:00:01'], minLinkSpeedGbps: 25}\n",
    )
    assert project.resources["hv01"] == []
    (switch,) = project.resources["hv02"]
    assert isinstance(switch, VMSwitch)
    assert switch.uplinks == NicSelector(
        names=("SLOT 3 Port *",), mac_addresses=("98039B000001",), min_link_speed_gbps=25.0
    )
    assert switch.enable_iov is UNSET


def test_every_problem_is_raised_at_once(write: Callable[[str, str], Path]) -> None:
    with pytest.raises(ManifestError) as caught:
        _project(
            write,
            "apiVersion: hvnet/v1\nkind: VMSwitch\nmetadata: {name: a}\nspec: {type: Privat}\n---\n"
            "apiVersion: hvnet/v1\nkind: VMNetworkAdapter\nmetadata: {name: b}\nspec: {iovWeight: 200}\n",
        )
    summaries = [d.summary for d in caught.value.diagnostics]
    assert summaries == [
        "'spec.type' must be one of External, Internal, Private (got 'Privat')",
        "'spec.vm' is required",  # at 'spec:' (9:1), before the value at 9:19
        "'spec.iovWeight' must be between 0 and 100 (got 200)",
    ]
    assert "m.yaml:4:14: error:" in str(caught.value)
