"""``hvnet validate`` and ``hvnet graph`` over real manifest files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli.main import hvnet
from engine.logging import reset_logging


@pytest.fixture(autouse=True)
def _reset_logging() -> Iterator[None]:
    yield
    reset_logging()


INVENTORY = """\
apiVersion: hvnet/v1
kind: Inventory
metadata: {name: lab}
spec:
  hosts:
    - name: lab1
    - name: Lab2
"""

NETWORK = """\
apiVersion: hvnet/v1
kind: SriovPolicy
metadata: {name: pf-sriov}
spec:
  nicSelector: {names: ['SLOT 3 Port *']}
  enabled: true
  numVFs: 32
---
apiVersion: hvnet/v1
kind: VMSwitch
metadata: {name: sw-compute}
spec:
  type: External
  uplinks: {names: ['SLOT 3 Port 1', 'SLOT 3 Port 2']}
  enableIov: true
---
apiVersion: hvnet/v1
kind: VMNetworkAdapter
metadata: {name: web01-frontend}
spec:
  hosts: [lab1]
  vm: web01
  switch: SW-Compute
  iovWeight: 100
"""

BROKEN = """\
apiVersion: hvnet/v1
kind: VMSwitch
metadata: {name: sw-bad}
spec:
  type: External
  enableIovv: true
"""


def write_lab(root: Path, *, broken: bool = False) -> Path:
    (root / "inventory.yaml").write_text(INVENTORY)
    (root / "network.yaml").write_text(NETWORK)
    if broken:
        (root / "zz-broken.yaml").write_text(BROKEN)
    return root


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(hvnet, list(args))


def test_validate_valid_lab_prints_summary_on_stderr_only(tmp_path: Path) -> None:
    result = run("validate", str(write_lab(tmp_path)))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.strip().splitlines()[-1] == "valid: 4 documents, 2 hosts"


def test_validate_reports_problems_with_positions_and_counts(tmp_path: Path) -> None:
    lab = write_lab(tmp_path, broken=True)
    result = run("validate", str(lab))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"{lab / 'zz-broken.yaml'}:6:3: error:" in result.stderr
    assert "enableIovv" in result.stderr
    assert result.stderr.strip().splitlines()[-1].endswith("in 1 file")


def test_validate_without_paths_is_a_usage_error_exit_1() -> None:
    result = run("validate")
    assert result.exit_code == 1
    assert "Missing argument" in result.stderr


def test_graph_prints_dot_on_stdout_in_dependency_order(tmp_path: Path) -> None:
    result = run("graph", str(write_lab(tmp_path)))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("digraph hvnet {")
    assert '"lab1/SriovPolicy/pf-sriov" -> "lab1/VMSwitch/sw-compute"' in result.stdout
    assert '"lab1/VMSwitch/sw-compute" -> "lab1/VMNetworkAdapter/web01-frontend"' in result.stdout


def test_graph_json_for_one_host_chosen_case_insensitively(tmp_path: Path) -> None:
    result = run("graph", str(write_lab(tmp_path)), "--host", "LAB2", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["order"] == ["Lab2/SriovPolicy/pf-sriov", "Lab2/VMSwitch/sw-compute"]


def test_graph_unknown_host_names_the_known_ones(tmp_path: Path) -> None:
    result = run("graph", str(write_lab(tmp_path)), "--host", "hv99")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "no host 'hv99' in the inventory (hosts: lab1, Lab2)" in result.stderr


def test_graph_of_invalid_manifests_prints_diagnostics_and_nothing_on_stdout(tmp_path: Path) -> None:
    lab = write_lab(tmp_path, broken=True)
    result = run("graph", str(lab), "--format", "mermaid")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"{lab / 'zz-broken.yaml'}:6:3: error:" in result.stderr
    assert "Traceback" not in result.stderr


def test_common_flags_are_accepted_after_the_subcommand(tmp_path: Path) -> None:
    lab = str(write_lab(tmp_path))
    result = run(
        "graph", lab, "-v", "-v", "--log-format", "json", "--parallelism", "4", "--format", "mermaid"
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("flowchart LR\n")
    bad = run("validate", lab, "--parallelism", "0")
    assert bad.exit_code == 1
    assert "--parallelism" in bad.stderr


def test_validate_logs_json_lines_when_asked(tmp_path: Path) -> None:
    result = run("validate", str(write_lab(tmp_path)), "-v", "--log-format", "json")
    assert result.exit_code == 0
    events = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert {"event": "manifests.validated", "documents": 4, "hosts": 2, "warnings": 0}.items() <= events[
        0
    ].items()


def test_version_is_printed() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("hvnet ")


def test_the_readme_demo_works_on_the_shipped_examples() -> None:
    examples = str(Path(__file__).resolve().parents[2] / "manifests" / "examples")
    valid = run("validate", examples)
    assert valid.exit_code == 0, valid.stderr
    assert valid.stderr.strip().splitlines()[-1].startswith("valid: ")
    graph = run("graph", examples, "--format", "mermaid")
    assert graph.exit_code == 0, graph.stderr
    assert graph.stdout.startswith("flowchart LR\n")


def test_every_contract_command_is_available() -> None:
    listed = run("--help").stdout
    for command in ("validate", "graph", "plan", "apply", "drift", "status", "snapshot", "sim"):
        assert f"\n  {command} " in listed, command
    serve = run("sim", "serve", "--help")
    assert serve.exit_code == 0
