"""hvnet import: manifests that describe the host, valid, deterministic, lean."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
import yaml

from engine import manifest
from engine.observe.importer import (
    compress_vlan_ids,
    glob_escape,
    import_documents,
    render_import,
    skipped_objects,
)
from engine.observe.model import ObservedHost
from engine.observe.parse import parse_observed

from .test_parse_host import raw_host

ROOT = Path(__file__).resolve().parents[2]


def observed() -> ObservedHost:
    return parse_observed("lab1", raw_host(), connection_address="192.168.1.5")


def spec_of(docs: list[dict], name: str) -> dict:  # type: ignore[type-arg]
    return next(d["spec"] for d in docs if d["metadata"]["name"] == name)


@pytest.mark.parametrize(
    ("ids", "text"), [((10, 20, 21, 22), "10,20-22"), ((3, 1, 2), "1-3"), ((5,), "5"), ((), "")]
)
def test_vlan_ids_compress_like_hyper_v(ids: tuple[int, ...], text: str) -> None:
    assert compress_vlan_ids(ids) == text


def test_nic_names_are_escaped_for_the_glob_selector() -> None:
    assert glob_escape("Port [1]*") == "Port [[]1][*]"


def test_set_switch_is_described_with_members_algorithm_and_creation_settings() -> None:
    docs = import_documents(observed(), "lab1")
    spec = spec_of(docs["VMSwitch"], "sw-compute")
    assert spec["hosts"] == ["lab1"]
    assert spec["type"] == "External"
    assert spec["uplinks"] == {"names": ["SLOT 3 Port 2", "SLOT 3 Port 1"]}
    assert spec["embeddedTeaming"] is True and spec["enableIov"] is True
    assert spec["loadBalancingAlgorithm"] == "HyperVPort"
    assert spec["minimumBandwidthMode"] == "Weight" and spec["defaultFlowMinimumBandwidthWeight"] == 10
    assert spec["notes"] == "compute"
    # the only host vNIC on it is "Management", not the default one named after the switch
    assert spec["allowManagementOS"] is False
    assert "enablePacketDirect" not in spec


def test_bandwidth_mode_left_out_when_it_is_what_default_resolves_to() -> None:
    obs = observed()
    sw = dataclasses.replace(obs.switches[0], bandwidth_reservation_mode="None")  # IOV switch: Default → None
    docs = import_documents(dataclasses.replace(obs, switches=(sw, obs.switches[1])), "lab1")
    assert "minimumBandwidthMode" not in spec_of(docs["VMSwitch"], "sw-compute")


def test_internal_switch_has_no_uplink_fields() -> None:
    spec = spec_of(import_documents(observed(), "lab1")["VMSwitch"], "sw-internal")
    assert spec["type"] == "Internal"
    assert not {"uplinks", "embeddedTeaming", "enableIov", "notes"} & set(spec)


def test_host_vnic_carrying_our_connection_is_marked_management() -> None:
    spec = spec_of(import_documents(observed(), "lab1")["HostVNic"], "Management")
    assert spec["switch"] == "sw-compute"
    assert spec["vlan"] == {"mode": "access", "vlanId": 10}
    assert spec["management"] is True and spec["macAddress"] == "dynamic"


def test_vm_adapter_carries_its_port_settings() -> None:
    spec = spec_of(import_documents(observed(), "lab1")["VMNetworkAdapter"], "web01-Frontend")
    assert (spec["vm"], spec["adapterName"], spec["switch"]) == ("web01", "Frontend", "sw-compute")
    assert spec["vlan"] == {"mode": "trunk", "nativeVlanId": 10, "allowedVlanIds": "10,20-22"}
    assert spec["iovWeight"] == 100 and spec["iovQueuePairsRequested"] == 4
    assert spec["macAddress"] == "00155D010A01"  # static
    assert spec["maximumBandwidth"] == 10_000_000_000 and spec["minimumBandwidthWeight"] == 20
    assert spec["dhcpGuard"] is True and spec["virtualSubnetId"] == 5001


def test_sriov_policy_per_supported_nic() -> None:
    docs = import_documents(observed(), "lab1")["SriovPolicy"]
    assert [d["spec"]["nicSelector"] for d in docs] == [
        {"names": ["SLOT 3 Port 1"]},
        {"names": ["SLOT 3 Port 2"]},
    ]
    assert docs[0]["spec"]["enabled"] is True and docs[0]["spec"]["numVFs"] == 32
    assert docs[1]["spec"] == {
        "hosts": ["lab1"],
        "nicSelector": {"names": ["SLOT 3 Port 2"]},
        "enabled": False,
    }


def test_hnv_records_map_interface_index_to_the_nic() -> None:
    (doc,) = import_documents(observed(), "lab1")["NetworkVirtualization"]
    assert doc["spec"]["providerAddresses"] == [
        {"nic": {"names": ["SLOT 3 Port 1"]}, "address": "10.10.0.11", "prefixLength": 24, "vlanId": 100}
    ]
    assert doc["spec"]["lookupRecords"][0]["macAddress"] == "00155D010A01"
    assert doc["spec"]["customerRoutes"][0]["routingDomainId"] == "{11111111-2222-3333-4444-00000000000a}"


def test_duplicate_names_are_skipped_and_reported() -> None:
    obs = observed()
    dup = dataclasses.replace(obs.switches[1], id="aaaaaaaa-0000-0000-0000-0000000000ff")
    obs = dataclasses.replace(obs, switches=(*obs.switches, dup))
    names = [d["metadata"]["name"] for d in import_documents(obs, "lab1")["VMSwitch"]]
    assert names == ["sw-compute"]
    assert any("sw-internal" in n and "not unique" in n for n in skipped_objects(obs))


def test_output_is_deterministic_yaml_one_file_per_kind() -> None:
    files = render_import(observed(), "lab1")
    assert list(files) == [
        "sriov-policies.yaml",
        "vm-switches.yaml",
        "host-vnics.yaml",
        "vm-network-adapters.yaml",
        "network-virtualization.yaml",
    ]
    assert files == render_import(observed(), "lab1")
    for text in files.values():
        for doc in yaml.safe_load_all(text):
            assert doc["apiVersion"] == "hvnet/v1" and doc["spec"]["hosts"] == ["lab1"]


def test_imported_manifests_validate_with_the_lab_inventory(tmp_path: Path) -> None:
    lab = ROOT / "manifests" / "examples" / "lab"
    shutil.copy(lab / "inventory.yaml", tmp_path / "inventory.yaml")
    shutil.copytree(lab / "sim", tmp_path / "sim")
    for name, text in render_import(observed(), "lab1").items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert [d.render() for d in manifest.validate_paths([tmp_path])] == []
