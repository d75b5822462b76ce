"""Snapshot files: an ``ObservedHost`` as JSON (``schemas/snapshot.schema.json``).

Written by ``hvnet snapshot``; read by ``transport: snapshot`` to plan offline.
Reading validates against the schema so a hand-edited file fails with the place
and the problem, never with a traceback deep in the planner.
"""

from __future__ import annotations

import json
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from engine.errors import Diagnostic, ManifestError, Position
from engine.observe.model import ObservedHost

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "snapshot.schema.json"


@cache
def snapshot_schema() -> dict[str, Any]:
    with SCHEMA_PATH.open(encoding="utf-8") as fh:
        return dict(json.load(fh))


def snapshot_json(observed: ObservedHost) -> str:
    """The snapshot text: sorted keys, 2-space indent, trailing newline (byte-stable)."""
    return json.dumps(observed.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def validate_snapshot(data: Any, file: str = "<snapshot>", text: str = "") -> list[Diagnostic]:
    validator = jsonschema.Draft202012Validator(snapshot_schema())
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        path = ".".join(str(p) for p in error.absolute_path) or "(root)"
        problems.append(
            Diagnostic(
                summary=f"'{path}' {error.message}",
                position=_locate(file, text, list(error.absolute_path)),
                context="snapshot",
            )
        )
    return problems


def parse_snapshot(text: str, file: str = "<snapshot>") -> ObservedHost:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(
            [Diagnostic(summary=f"not valid JSON: {exc.msg}", position=Position(file, exc.lineno, exc.colno))]
        ) from None
    problems = validate_snapshot(data, file, text)
    if problems:
        raise ManifestError(problems)
    return ObservedHost.from_json(data)


def read_snapshot(path: str | os.PathLike[str]) -> ObservedHost:
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(
            [Diagnostic(summary=f"cannot read snapshot: {exc.strerror}", position=Position(file, 1, 1))]
        ) from None
    return parse_snapshot(text, file)


def write_snapshot(observed: ObservedHost, path: str | os.PathLike[str]) -> None:
    """Write atomically (temp file + rename) so a reader never sees half a file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".snapshot-", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(snapshot_json(observed))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _locate(file: str, text: str, path: list[Any]) -> Position:
    """Best-effort line:col of a JSON path: the last key's first occurrence after its parents'."""
    offset = 0
    for part in path:
        if isinstance(part, str):
            found = text.find(json.dumps(part), offset)
            if found >= 0:
                offset = found
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Position(file, line, col)
