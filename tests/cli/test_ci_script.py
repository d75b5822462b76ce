"""``.ci/run``: a fresh venv for every run, and "no tests collected" is a failure."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def ci_run_with_test_script_exiting(tmp_path: Path, code: int) -> subprocess.CompletedProcess[str]:
    (tmp_path / ".ci").mkdir()
    shutil.copy(REPO / ".ci" / "run", tmp_path / ".ci" / "run")
    (tmp_path / "scripts").mkdir()
    stub = tmp_path / "scripts" / "test.sh"
    # The stub stands in for the real test script: it reports the venv it was given.
    stub.write_text(f'#!/usr/bin/env bash\necho "venv=$HVNET_VENV"\nexit {code}\n')
    stub.chmod(0o755)
    return subprocess.run(
        ["bash", str(tmp_path / ".ci" / "run")],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "CI": "true", "HVNET_VENV": str(tmp_path / "not-this-one")},
    )


@pytest.mark.parametrize("code", [0, 1])
def test_ci_passes_the_test_scripts_exit_code_through(tmp_path: Path, code: int) -> None:
    done = ci_run_with_test_script_exiting(tmp_path, code)
    assert done.returncode == code


def test_ci_uses_a_fresh_venv_and_removes_it(tmp_path: Path) -> None:
    done = ci_run_with_test_script_exiting(tmp_path, 0)
    venv = done.stdout.strip().removeprefix("venv=")
    assert venv != str(tmp_path / "not-this-one")
    assert "hvnet-ci." in venv
    assert not Path(venv).parent.exists()


def test_ci_fails_when_pytest_collects_nothing(tmp_path: Path) -> None:
    done = ci_run_with_test_script_exiting(tmp_path, 5)
    assert done.returncode == 1
    assert "pytest collected no tests" in done.stderr
