"""The published schemas are valid Draft 2020-12 and work for editors as they do for hvnet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from engine.manifest.schema import SCHEMA_DIR, SCHEMA_FILES, schema_registry

ROOT = Path(__file__).resolve().parents[2]
OWN = sorted(set(SCHEMA_FILES.values()) | {"common.schema.json", "manifest.schema.json"})


@pytest.mark.parametrize("name", OWN)
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def _any_kind_validator() -> Draft202012Validator:
    path = SCHEMA_DIR / "manifest.schema.json"
    schema = {**json.loads(path.read_text(encoding="utf-8")), "$id": path.as_uri()}
    return Draft202012Validator(schema, registry=schema_registry())


def test_any_kind_schema_accepts_the_examples_and_rejects_a_typo() -> None:
    validator = _any_kind_validator()
    examples = sorted((ROOT / "manifests" / "examples").rglob("*.yaml"))
    docs = [d for f in examples for d in yaml.safe_load_all(f.read_text(encoding="utf-8")) if d]
    assert len(docs) >= 9
    for doc in docs:
        assert list(validator.iter_errors(doc)) == [], doc["metadata"]["name"]
    bad = {**docs[-1], "spec": {**docs[-1]["spec"], "iovWieght": 1}}
    assert list(validator.iter_errors(bad))
