"""Inventory merging and paths; the public API (validate_paths, load_project, load_fixture)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.errors import ManifestError
from engine.manifest import load_fixture, load_project, validate_paths

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "manifests" / "examples" / "lab"

INVENTORY = """\
apiVersion: hvnet/v1
kind: Inventory
metadata: {name: corp}
spec:
  defaults:
    connection: {transport: psrp, port: 5986, username: 'CORP\\svc', passwordEnv: HVNET_PASSWORD, caBundle: ca.pem}
  hosts:
    - name: hv01
      connection: {server: hv01.corp.example, port: 15986}
    - name: lab1
      connection: {transport: sim, fixture: sim/lab1.yaml}
"""


def test_connection_is_merged_key_by_key_and_paths_resolved(
    write: Callable[[str, str], Path], tmp_path: Path
) -> None:
    inv = write("repo/inventory.yaml", INVENTORY)
    project = load_project([str(inv)])
    hv01, lab1 = project.inventory.hosts
    assert hv01.connection.server == "hv01.corp.example"
    assert hv01.connection.port == 15986
    assert hv01.connection.username == "CORP\\svc"
    assert hv01.connection.password_env == "HVNET_PASSWORD"
    assert hv01.connection.ca_bundle == str(tmp_path / "repo" / "ca.pem")
    assert lab1.connection.server == "lab1"  # defaults to the host's name
    assert lab1.connection.fixture == str(tmp_path / "repo" / "sim" / "lab1.yaml")
    assert lab1.connection.state == str(tmp_path / "repo" / ".hvnet" / "sim" / "lab1.json")
    assert "state" not in lab1.connection.explicit and "fixture" in lab1.connection.explicit
    assert project.inventory.file == str(inv)


def test_warnings_do_not_fail_loading(write: Callable[[str, str], Path]) -> None:
    inv = write("inventory.yaml", INVENTORY.replace("caBundle: ca.pem", "certValidation: false"))
    diagnostics = validate_paths([str(inv)])
    assert [d.severity for d in diagnostics] == ["warning"]
    load_project([str(inv)])  # does not raise


def test_the_lab_example_is_valid_and_complete() -> None:
    assert validate_paths([str(LAB)]) == []
    project = load_project([str(LAB)])
    assert [h.name for h in project.inventory.hosts] == ["lab1"]
    kinds = sorted({r.KIND for r in project.resources["lab1"]})
    assert kinds == ["HostVNic", "NetworkVirtualization", "SriovPolicy", "VMNetworkAdapter", "VMSwitch"]
    assert project.fixtures == (str(LAB / "sim" / "lab1.yaml"),)
    assert str(LAB / "sim" / "lab1.yaml") in project.files
    assert not any(getattr(r, "management", False) for r in project.resources["lab1"])


def test_load_fixture_returns_spec_and_metadata() -> None:
    fixture = load_fixture(LAB / "sim" / "lab1.yaml")
    assert fixture["metadata"] == {"name": "lab1"}
    assert fixture["osBuild"] == 20348
    assert [n["name"] for n in fixture["netAdapters"]] == ["SLOT 3 Port 1", "SLOT 3 Port 2", "NIC1"]
    assert fixture["netAdapters"][1]["interfaceDescription"].endswith(" #2")
    assert {v["name"]: (v["generation"], v["state"]) for v in fixture["vms"]} == {
        "web01": (2, "Running"),
        "web02": (2, "Off"),
        "legacy01": (1, "Running"),
    }


def test_load_fixture_refuses_a_manifest_with_positions(write: Callable[[str, str], Path]) -> None:
    path = write(
        "notfixture.yaml",
        "apiVersion: hvnet/v1\nkind: VMSwitch\nmetadata: {name: a}\nspec: {type: Internal}\n",
    )
    with pytest.raises(ManifestError) as caught:
        load_fixture(path)
    rendered = str(caught.value)
    assert f"{path}:2:7: error: expected kind SimulatedHost" in rendered


def test_messages_keep_relative_paths_relative(
    write: Callable[[str, str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("inventory.yaml", INVENTORY.replace("port: 15986", "port: 0"))
    monkeypatch.chdir(tmp_path)
    (problem,) = validate_paths(["inventory.yaml"])
    assert problem.render().startswith("inventory.yaml:9:53: error: 'spec.hosts[0].connection.port'")
    assert not os.path.isabs(problem.position.file)  # type: ignore[union-attr]


def test_a_password_in_a_manifest_is_refused_without_echoing_it(write: Callable[[str, str], Path]) -> None:
    inv = write("inventory.yaml", INVENTORY.replace("passwordEnv: HVNET_PASSWORD", "password: 'Hunter2!'"))
    diagnostics = validate_paths([str(inv)])
    assert [d.summary for d in diagnostics] == ["a password must not be written in a manifest"]
    assert "passwordEnv" in diagnostics[0].detail
    assert "Hunter2" not in "\n".join(d.render() for d in diagnostics)
