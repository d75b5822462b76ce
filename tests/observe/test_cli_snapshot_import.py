"""`hvnet snapshot` and `hvnet import` against the example lab (simulated host, real PSRP)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import manifest
from engine.cli.cmd_import import import_command
from engine.cli.cmd_snapshot import snapshot_command
from engine.observe.snapshot import read_snapshot

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def lab(tmp_path: Path) -> Path:
    target = tmp_path / "lab"
    shutil.copytree(ROOT / "manifests" / "examples" / "lab", target, ignore=shutil.ignore_patterns(".hvnet"))
    return target


def test_snapshot_prints_schema_valid_json_on_stdout(lab: Path) -> None:
    result = CliRunner().invoke(snapshot_command, [str(lab), "--host", "LAB1"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["host"] == "lab1" and data["facts"]["computer_name"] == "LAB1"
    assert [s["name"] for s in data["switches"]] == ["sw-mgmt"]


def test_snapshot_out_writes_a_file_that_reads_back(lab: Path, tmp_path: Path) -> None:
    out = tmp_path / "snaps" / "lab1.json"
    result = CliRunner().invoke(snapshot_command, [str(lab), "--host", "lab1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert read_snapshot(out).switches_named("sw-mgmt")


def test_snapshot_unknown_host_exits_1(lab: Path) -> None:
    result = CliRunner().invoke(snapshot_command, [str(lab), "--host", "nope"])
    assert result.exit_code == 1
    assert "no host 'nope'" in result.output


def test_import_writes_valid_manifests_and_refuses_to_overwrite(lab: Path, tmp_path: Path) -> None:
    out = tmp_path / "imported"
    result = CliRunner().invoke(import_command, [str(lab), "--host", "lab1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "host-vnics.yaml",
        "sriov-policies.yaml",
        "vm-network-adapters.yaml",
        "vm-switches.yaml",
    ]
    # the imported manifests plus the lab's inventory form a valid project
    project_dir = tmp_path / "project"
    shutil.copytree(out, project_dir)
    shutil.copy(lab / "inventory.yaml", project_dir / "inventory.yaml")
    shutil.copytree(lab / "sim", project_dir / "sim")
    assert [d.render() for d in manifest.validate_paths([project_dir])] == []

    again = CliRunner().invoke(import_command, [str(lab), "--host", "lab1", "--out", str(out)])
    assert again.exit_code == 1 and "file exists" in again.output
    forced = CliRunner().invoke(import_command, [str(lab), "--host", "lab1", "--out", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
