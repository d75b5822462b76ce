"""Golden bad-input cases: ``tests/golden/validate/<case>/`` holds the input files and
``expected.txt``, the exact diagnostics ``hvnet validate <case>`` prints.

Regenerate after a reviewed change of messages: ``HVNET_REGEN_GOLDEN=1 pytest tests/manifest``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.manifest import validate_paths

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "validate"
CASES = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())


def render(case: str) -> str:
    diagnostics = validate_paths([case])
    return "".join(d.render() + "\n" for d in diagnostics)


@pytest.mark.parametrize("case", CASES)
def test_golden_case(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(GOLDEN)  # messages carry paths as the user gave them: "<case>/file.yaml"
    actual = render(case)
    expected_file = GOLDEN / case / "expected.txt"
    if os.environ.get("HVNET_REGEN_GOLDEN") == "1":
        expected_file.write_text(actual, encoding="utf-8")
    assert actual == expected_file.read_text(encoding="utf-8")


def test_enough_cases_and_each_bad_case_reports_an_error() -> None:
    assert len(CASES) >= 25
    for case in CASES:
        text = (GOLDEN / case / "expected.txt").read_text(encoding="utf-8")
        if case.startswith("valid-"):
            assert "error:" not in text, case
        else:
            assert "error:" in text, case
