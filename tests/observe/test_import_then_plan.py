"""Adoption path: import a host, then plan against it → no changes (CONTRACT: import then plan)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli.cmd_import import import_command
from engine.cli.cmd_plan import plan_command

HERE = Path(__file__).parent
LAB = HERE.parents[1] / "manifests" / "examples" / "lab"

INVENTORY = """apiVersion: hvnet/v1
kind: Inventory
metadata: {name: adopt}
spec:
  hosts:
    - name: h1
      connection: {transport: sim, fixture: sim/host.yaml}
"""


@pytest.mark.parametrize(
    "fixture", [LAB / "sim" / "lab1.yaml", HERE / "fixtures" / "rich.yaml"], ids=["lab1", "rich"]
)
def test_imported_manifests_plan_to_no_changes(tmp_path: Path, fixture: Path) -> None:
    (tmp_path / "sim").mkdir()
    shutil.copy(fixture, tmp_path / "sim" / "host.yaml")
    (tmp_path / "inventory.yaml").write_text(INVENTORY, encoding="utf-8")
    imported = CliRunner().invoke(
        import_command, [str(tmp_path), "--host", "h1", "--out", str(tmp_path / "imported")]
    )
    assert imported.exit_code == 0, imported.output
    plan = CliRunner().invoke(plan_command, [str(tmp_path), "--detailed-exitcode"])
    assert plan.exit_code == 0, plan.output  # 2 would mean changes
    assert "No changes" in plan.stdout
