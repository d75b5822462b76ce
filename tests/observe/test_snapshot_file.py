"""Snapshot files: byte-stable JSON, schema-validated reads with positions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.errors import ManifestError
from engine.observe.model import ObservedHost
from engine.observe.parse import parse_observed
from engine.observe.snapshot import parse_snapshot, read_snapshot, snapshot_json, write_snapshot

from .test_parse_host import raw_host


def observed() -> ObservedHost:
    return parse_observed("lab1", raw_host(), connection_address="10.0.0.21")


def test_round_trip_is_lossless_and_byte_stable(tmp_path: Path) -> None:
    path = tmp_path / "snap" / "lab1.json"
    write_snapshot(observed(), path)
    loaded = read_snapshot(path)
    assert loaded == observed()
    assert snapshot_json(loaded) == path.read_text(encoding="utf-8")
    assert [p.name for p in path.parent.iterdir()] == ["lab1.json"]  # no temp file left behind


def test_invalid_json_points_at_line_and_column(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as err:
        parse_snapshot('{\n  "host": "x",\n  oops\n}', "snap.json")
    assert str(err.value).startswith("snap.json:3:3: error: not valid JSON")


def test_schema_violation_names_the_field_and_its_line() -> None:
    data = observed().to_json()
    data["switches"][0]["switch_type"] = "Bridged"
    text = json.dumps(data, indent=2, sort_keys=True)
    with pytest.raises(ManifestError) as err:
        parse_snapshot(text, "snap.json")
    (diag,) = err.value.diagnostics
    assert "'switches.0.switch_type'" in diag.summary and "Bridged" in diag.summary
    assert (
        diag.position is not None
        and diag.position.line
        == text.splitlines().index(
            next(line for line in text.splitlines() if '"switch_type": "Bridged"' in line)
        )
        + 1
    )


def test_missing_required_and_unknown_fields_are_all_reported() -> None:
    data = observed().to_json()
    del data["facts"]
    data["extra"] = 1
    with pytest.raises(ManifestError) as err:
        parse_snapshot(json.dumps(data), "snap.json")
    text = str(err.value)
    assert "'facts' is a required property" in text and "'extra' was unexpected" in text


def test_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="cannot read snapshot"):
        read_snapshot(tmp_path / "missing.json")


def test_schema_is_valid_draft_2020_12_and_covers_every_model_field() -> None:
    import dataclasses

    import jsonschema

    from engine.observe import model
    from engine.observe.snapshot import snapshot_schema

    schema = snapshot_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema["properties"]) == {f.name for f in dataclasses.fields(model.ObservedHost)}
    for cls in (model.Switch, model.Adapter, model.NetAdapter, model.Vlan):
        assert set(schema["$defs"][cls.__name__]["properties"]) == {f.name for f in dataclasses.fields(cls)}
