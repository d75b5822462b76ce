"""Every malformed input in the corpus is refused by ``hvnet validate``: exit 1, the
error names file:line:col and says what is wrong, nothing on stdout, no traceback.

The heavy cases (alias bomb, deep nesting, binary, a 10 MB file generated here) also
run as a real subprocess whose peak RSS is measured.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli.cmd_validate import validate_command

from .corpus_cases import BASE_INVENTORY, CORPUS, Case, all_cases, load_case
from .measure import run_hvnet_measured

CASES = all_cases()
PEAK_RSS_LIMIT_MB = 400  # generous: a plain `hvnet --help` needs ~60 MB
CRASH_MARKERS = ("Traceback", "internal error")


def refused_cleanly(exit_code: int, stdout: str, stderr: str) -> None:
    assert exit_code == 1, stderr
    assert stdout == ""
    for marker in CRASH_MARKERS:
        assert marker not in stderr


def test_the_corpus_is_big_enough_and_every_case_has_an_expectation() -> None:
    assert len(CASES) >= 50
    assert sorted(p.stem for p in CORPUS.glob("*.expect")) == [c.name for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_malformed_input_is_refused_with_its_position(case: Case) -> None:
    result = CliRunner().invoke(validate_command, case.argv())
    refused_cleanly(result.exit_code, result.stdout, result.stderr)
    assert f"{case.position()}: error:" in result.stderr
    assert case.says in result.stderr
    # Control characters from the input are shown escaped, never written raw to a terminal.
    assert "\x1b" not in result.stderr and "\x00" not in result.stderr


HEAVY = ["yaml-alias-bomb", "yaml-deep-flow-nesting", "file-binary-nul-bytes", "name-too-long"]


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    """A 10 MB manifest, written at test time (never committed)."""
    path = tmp_path / "huge.yaml"
    line = "# " + "x" * 1022 + "\n"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("apiVersion: hvnet/v1\nkind: VMSwitch\nmetadata: {name: big}\nspec: {type: Internal}\n")
        handle.write(line * (10 * 1024))
    return path


@pytest.mark.parametrize("name", HEAVY)
def test_heavy_input_is_refused_in_bounded_memory(name: str) -> None:
    case = load_case(CORPUS / f"{name}.yaml")
    run = run_hvnet_measured("validate", *case.argv())
    refused_cleanly(run.exit_code, run.stdout, run.stderr)
    assert f"{case.position()}: error:" in run.stderr
    assert run.peak_rss_mb < PEAK_RSS_LIMIT_MB, f"peak RSS {run.peak_rss_mb:.0f} MB"


def test_a_10_mb_file_is_refused_without_being_read_into_memory(big_file: Path) -> None:
    run = run_hvnet_measured("validate", str(BASE_INVENTORY), str(big_file))
    refused_cleanly(run.exit_code, run.stdout, run.stderr)
    assert f"{big_file}:1:1: error: file is too large" in run.stderr
    assert run.peak_rss_mb < PEAK_RSS_LIMIT_MB, f"peak RSS {run.peak_rss_mb:.0f} MB"


def test_a_directory_of_every_bad_case_reports_them_all_in_one_run(tmp_path: Path) -> None:
    """validate reports every problem, not the first: all files at once, one error each at least."""
    folder = tmp_path / "all"
    folder.mkdir()
    # Cross-reference cases conflict with each other's names once together; the rest stand alone.
    cases = [c for c in CASES if c.with_inventory and not c.name.startswith("xref-")]
    for case in cases:
        (folder / case.path.name).write_bytes(case.path.read_bytes())
    result = CliRunner().invoke(validate_command, [str(BASE_INVENTORY), str(folder)])
    refused_cleanly(result.exit_code, result.stdout, result.stderr)
    for case in cases:
        assert f"{folder / case.path.name}:" in result.stderr, case.name
