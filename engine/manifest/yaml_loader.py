"""Reading manifest files into plain values with a position for every key and value.

PyYAML's *composed* node tree carries start marks; we turn it into plain Python values
ourselves (instead of ``yaml.safe_load``) so that every mapping key and value keeps its
``file:line:col``, and so that aliases cannot blow up memory: each node visit counts
against a budget, which an alias bomb ("billion laughs") exhausts quickly.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from engine.errors import Diagnostic, Position

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 48
MAX_NODES_PER_FILE = 500_000
MAX_DOCUMENTS_PER_FILE = 10_000

JsonPath = tuple[str | int, ...]


def json_path(path: JsonPath) -> str:
    """``("spec", "uplinks", "names", 0)`` -> ``spec.uplinks.names[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


@dataclass
class Document:
    """One YAML document: its value, and where each of its parts was written."""

    file: str
    index: int  # 0-based position of the document in its file
    data: Any
    start: Position
    key_positions: dict[JsonPath, Position] = field(default_factory=dict)
    value_positions: dict[JsonPath, Position] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        kind = self.data.get("kind") if isinstance(self.data, dict) else None
        return kind if isinstance(kind, str) else ""

    @property
    def name(self) -> str:
        meta = self.data.get("metadata") if isinstance(self.data, dict) else None
        name = meta.get("name") if isinstance(meta, dict) else None
        return name if isinstance(name, str) else ""

    @property
    def label(self) -> str:
        """``Kind/name`` for diagnostics (what is known of it; control characters escaped)."""
        return printable(f"{self.kind or '?'}/{self.name or '?'}")

    def key_position(self, path: JsonPath) -> Position:
        """Where the key of ``path`` is written (falls back to the nearest parent)."""
        while path:
            if path in self.key_positions:
                return self.key_positions[path]
            if path in self.value_positions:
                return self.value_positions[path]
            path = path[:-1]
        return self.start

    def value_position(self, path: JsonPath) -> Position:
        """Where the value of ``path`` is written (falls back to the nearest parent)."""
        while path:
            if path in self.value_positions:
                return self.value_positions[path]
            if path in self.key_positions:
                return self.key_positions[path]
            path = path[:-1]
        return self.start

    def diagnostic(
        self, path: JsonPath, summary: str, detail: str = "", *, at_key: bool = False, severity: str = "error"
    ) -> Diagnostic:
        position = self.key_position(path) if at_key else self.value_position(path)
        context = self.label + (f" {json_path(path)}" if path else "")
        return Diagnostic(summary, position, detail, severity=severity, context=context)


class _Refused(Exception):
    """Internal: stop converting a file; carries the diagnostic."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.summary)
        self.diagnostic = diagnostic


class _PlainResolver(yaml.resolver.BaseResolver):
    """SafeLoader's resolver without timestamps (dates stay strings, JSON-compatible)."""


for _first, _resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items():
    for _tag, _regexp in _resolvers:
        if _tag != "tag:yaml.org,2002:timestamp":
            _PlainResolver.add_implicit_resolver(_tag, _regexp, [_first])


class _Loader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    yaml.constructor.SafeConstructor,
    _PlainResolver,
):
    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        _PlainResolver.__init__(self)


_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}


class _Converter:
    """Node tree -> plain values, recording positions, within the limits."""

    def __init__(self, loader: _Loader) -> None:
        self.loader = loader
        self.doc = Document("", 0, None, Position("", 1, 1))
        self.budget = MAX_NODES_PER_FILE  # shared by every document of the file

    def position(self, node: yaml.Node) -> Position:
        return Position(self.doc.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def refuse(self, node: yaml.Node, summary: str, detail: str = "") -> _Refused:
        return _Refused(Diagnostic(summary, self.position(node), detail))

    def convert(self, node: yaml.Node, path: JsonPath, depth: int) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise self.refuse(
                node,
                f"document expands to more than {MAX_NODES_PER_FILE} values",
                "YAML aliases (*name) that repeat large anchors multiply the document's size; "
                "write the values out or split the file",
            )
        if depth > MAX_DEPTH:
            raise self.refuse(
                node, f"nesting deeper than {MAX_DEPTH} levels", "manifests are shallow; check indentation"
            )
        self.doc.value_positions.setdefault(path, self.position(node))
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                raise self.refuse(node, f"unsupported YAML tag {node.tag!r}", "use plain lists")
            return [self.convert(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        if node.tag not in _SCALAR_TAGS:
            raise self.refuse(
                node, f"unsupported YAML tag {node.tag!r}", "use plain strings, numbers, booleans and null"
            )
        try:
            return self.loader.construct_object(node)
        except (yaml.YAMLError, ValueError) as exc:  # e.g. an int too odd to parse
            raise self.refuse(node, f"cannot read value: {exc}") from None

    def mapping(self, node: yaml.MappingNode, path: JsonPath, depth: int) -> dict[str, Any]:
        if node.tag != "tag:yaml.org,2002:map":
            raise self.refuse(node, f"unsupported YAML tag {node.tag!r}")
        self.loader.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            self.budget -= 1
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _SCALAR_TAGS:
                raise self.refuse(key_node, "mapping keys must be plain strings")
            key = self.loader.construct_object(key_node)
            if not isinstance(key, str):
                key = str(key).lower() if isinstance(key, bool) else str(key)
            if key in out:
                first = self.doc.key_positions.get((*path, key))
                raise self.refuse(
                    key_node, f"duplicate key {key!r}", f"first written at {first}" if first else ""
                )
            self.doc.key_positions[(*path, key)] = self.position(key_node)
            out[key] = self.convert(value_node, (*path, key), depth + 1)
        return out


def _read_text(path: str) -> tuple[str | None, Diagnostic | None]:
    start = Position(path, 1, 1)
    try:
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            return None, Diagnostic(
                f"file is too large ({size} bytes; the limit is {MAX_FILE_BYTES})",
                start,
                "split it into several files",
            )
        raw = Path(path).read_bytes()
    except OSError as exc:
        return None, Diagnostic(f"cannot read file: {exc.strerror or exc}", start)
    if b"\x00" in raw[:8192]:
        return None, Diagnostic("file is binary, not YAML text", start)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, Diagnostic("file is not UTF-8 text", Position(path, line, 1), str(exc.reason))
    if not text.strip():
        return None, Diagnostic("file is empty", start, "a manifest file holds at least one document")
    return text, None


def _is_empty_document(node: yaml.Node) -> bool:
    return (
        isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null" and node.value in ("", "~")
    )


def _reader_diagnostic(path: str, text: str, exc: yaml.reader.ReaderError) -> Diagnostic:
    """A character YAML does not allow (a control character), at its line and column."""
    offset = min(max(exc.position, 0), len(text))
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Diagnostic(
        f"file contains the control character #x{exc.character:04x}, which YAML does not allow",
        Position(path, line, column),
        "remove it (names may not contain control characters either)",
    )


def load_file(path: str) -> tuple[list[Document], list[Diagnostic]]:
    """Every document of one file, or the diagnostics that stopped reading it."""
    text, problem = _read_text(path)
    if problem is not None or text is None:
        return [], [problem] if problem else []
    try:
        loader = _Loader(text)  # the reader checks every character up front
    except yaml.reader.ReaderError as exc:
        return [], [_reader_diagnostic(path, text, exc)]
    documents: list[Document] = []
    converter = _Converter(loader)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None or _is_empty_document(node):
                continue  # "---" with nothing after it (e.g. a trailing separator)
            if len(documents) >= MAX_DOCUMENTS_PER_FILE:
                raise _Refused(
                    Diagnostic(
                        f"more than {MAX_DOCUMENTS_PER_FILE} documents in one file", Position(path, 1, 1)
                    )
                )
            start = Position(path, node.start_mark.line + 1, node.start_mark.column + 1)
            doc = Document(path, len(documents), None, start)
            converter.doc = doc
            doc.data = converter.convert(node, (), 0)
            documents.append(doc)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Position(path, mark.line + 1, mark.column + 1) if mark else Position(path, 1, 1)
        summary = f"YAML syntax error: {exc.problem or exc.context or 'unreadable'}"
        detail = exc.context if exc.context and exc.problem else ""
        if detail and exc.context_mark is not None and exc.context_mark is not mark:
            detail += f" (started at {path}:{exc.context_mark.line + 1}:{exc.context_mark.column + 1})"
        return [], [Diagnostic(summary, where, detail)]
    except yaml.YAMLError as exc:  # e.g. a character YAML does not allow
        return [], [Diagnostic(f"YAML error: {exc}", Position(path, 1, 1))]
    except RecursionError:
        return [], [Diagnostic(f"nesting deeper than {MAX_DEPTH} levels", Position(path, 1, 1))]
    except _Refused as refused:
        return [], [refused.diagnostic]
    finally:
        loader.dispose()
    if not documents:
        return [], [Diagnostic("file holds no YAML document", Position(path, 1, 1))]
    return documents, []


def manifest_files(paths: Sequence[str | os.PathLike[str]]) -> tuple[list[str], list[Diagnostic]]:
    """Every ``*.yaml``/``*.yml`` below the given paths, sorted per path, as the user spelled it."""
    files: list[str] = []
    problems: list[Diagnostic] = []
    for given in paths:
        text = os.fspath(given)
        if os.path.isdir(text):
            found = [
                os.path.join(root, name)
                for root, _dirs, names in os.walk(text)
                for name in names
                if name.endswith((".yaml", ".yml"))
            ]
            if not found:
                problems.append(Diagnostic("no *.yaml or *.yml file in this folder", Position(text, 1, 1)))
            files.extend(sorted(found))
        elif os.path.exists(text):
            files.append(text)
        else:
            problems.append(Diagnostic("no such file or folder", Position(text, 1, 1)))
    unique: list[str] = []
    seen: set[str] = set()
    for f in files:
        key = os.path.realpath(f)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, problems


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def printable(text: str) -> str:
    """Control characters as escapes (``\\n``, ``\\x07``), so one message stays one line."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)
