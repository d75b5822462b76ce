"""Replay captured pypsrp output (cases/*.json: {statements, output, observed}) through the parsers.

Cases are captured from the simulated host with capture_case.py; a parser change that
alters any observed value shows up here as a diff to review.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.observe.collect import COLLECTION
from engine.observe.parse import parse_observed

from .observe_builders import from_json

CASES = sorted((Path(__file__).parent / "cases").glob("*.json"))


@pytest.mark.parametrize("case_file", CASES, ids=[c.stem for c in CASES])
def test_case(case_file: Path) -> None:
    case = json.loads(case_file.read_text(encoding="utf-8"))
    # the case was captured with the statements the collector sends today
    assert case["statements"] == {key: pipeline.to_json() for key, pipeline in COLLECTION}
    raw = {key: from_json(objs) for key, objs in case["output"].items()}
    observed = parse_observed("lab1", raw, case["connection_address"])
    assert observed.to_json() == case["observed"]


def test_there_are_cases() -> None:
    assert {c.stem for c in CASES} >= {"lab1_sim", "rich_sim"}
