"""The manifest language: load YAML with positions, validate, build the desired model.

- ``validate_paths(paths)``: every diagnostic (errors and warnings), never raises.
- ``load_project(paths)``: the inventory and each host's desired resources, or a
  ``ManifestError`` carrying every problem found.
- ``load_fixture(path)``: one schema-validated ``SimulatedHost`` document.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.errors import Diagnostic, ManifestError, Position
from engine.inventory import Inventory
from engine.manifest.build import build_resource
from engine.manifest.crossref import check_host, merge_per_host, target_hosts
from engine.manifest.inventory_build import build_inventory
from engine.manifest.rules import check_document, check_fixture
from engine.manifest.schema import validate_document
from engine.manifest.yaml_loader import Document, load_file, manifest_files
from engine.model.resources import Resource

__all__ = ["Project", "load_fixture", "load_project", "sort_diagnostics", "validate_paths"]


@dataclass(frozen=True)
class Project:
    inventory: Inventory
    resources: dict[str, list[Resource]]  # inventory host name -> desired resources, in document order
    files: tuple[str, ...]  # every manifest file read
    fixtures: tuple[str, ...]  # files holding SimulatedHost documents (validated, ignored)


def sort_diagnostics(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """By file, line, col (stable: same place keeps discovery order); unplaced last."""

    def key(d: Diagnostic) -> tuple[int, str, int, int]:
        p = d.position
        return (0, p.file, p.line, p.col) if p else (1, "", 0, 0)

    return sorted(diagnostics, key=key)


@dataclass
class _Analysis:
    diagnostics: list[Diagnostic]
    files: tuple[str, ...]
    fixtures: tuple[str, ...]
    inventory: Inventory | None
    resources: dict[str, list[Resource]]


def _analyze(paths: Sequence[str | os.PathLike[str]]) -> _Analysis:
    files, problems = manifest_files(paths)
    documents: list[Document] = []
    for path in files:
        docs, found = load_file(path)
        documents.extend(docs)
        problems.extend(found)
    valid: list[Document] = []
    for doc in documents:
        found = validate_document(doc)
        if doc.kind == "SimulatedHost":
            found += check_fixture(doc)
        else:
            found += check_document(doc)
        problems.extend(found)
        if not any(d.severity == "error" for d in found):
            valid.append(doc)
    fixtures = tuple(dict.fromkeys(d.file for d in documents if d.kind == "SimulatedHost"))
    inventory, resources = _build(documents, valid, problems, paths)
    return _Analysis(sort_diagnostics(problems), tuple(files), fixtures, inventory, resources)


def _build(
    documents: list[Document],
    valid: list[Document],
    problems: list[Diagnostic],
    paths: Sequence[str | os.PathLike[str]],
) -> tuple[Inventory | None, dict[str, list[Resource]]]:
    inventories = [d for d in documents if d.kind == "Inventory"]
    if not inventories:
        looked = ", ".join(os.fspath(p) for p in paths)
        problems.append(
            Diagnostic(
                "no Inventory document found",
                None,
                f"exactly one document of kind Inventory must be among the given paths (looked in: {looked})",
            )
        )
        return None, {}
    if len(inventories) > 1:
        for extra in inventories[1:]:
            problems.append(
                extra.diagnostic(
                    ("kind",),
                    "a second Inventory document",
                    f"exactly one Inventory is allowed; the first is {inventories[0].label} at {inventories[0].start}",
                )
            )
        return None, {}
    if inventories[0] not in valid:
        return None, {}
    inventory, found = build_inventory(inventories[0])
    problems.extend(found)
    per_host: dict[str, list[tuple[Document, Resource]]] = {h.name: [] for h in inventory.hosts}
    for doc in valid:
        if doc.kind in ("Inventory", "SimulatedHost"):
            continue
        hosts, found = target_hosts(doc, inventory)
        problems.extend(found)
        for host in hosts:
            per_host[host.name].append((doc, build_resource(doc, host.name)))
    found = [(host, d) for host, entries in per_host.items() for d in check_host(entries)]
    problems.extend(merge_per_host(found))
    return inventory, {name: [r for _, r in entries] for name, entries in per_host.items()}


def validate_paths(paths: Sequence[str | os.PathLike[str]]) -> list[Diagnostic]:
    """Every problem (errors and warnings) in the manifests, sorted by position."""
    return _analyze(paths).diagnostics


def load_project(paths: Sequence[str | os.PathLike[str]]) -> Project:
    """The inventory and the desired resources per host; ``ManifestError`` lists every problem."""
    analysis = _analyze(paths)
    errors = [d for d in analysis.diagnostics if d.severity == "error"]
    if errors or analysis.inventory is None:
        raise ManifestError(errors)
    return Project(analysis.inventory, analysis.resources, analysis.files, analysis.fixtures)


def load_fixture(path: str | os.PathLike[str]) -> dict[str, Any]:
    """One ``SimulatedHost`` document: its ``spec`` dict plus ``"metadata"``."""
    text = os.fspath(path)
    documents, problems = load_file(text)
    fixtures = [d for d in documents if d.kind == "SimulatedHost"]
    for doc in documents:
        problems.extend(validate_document(doc))
        if doc.kind == "SimulatedHost":
            problems.extend(check_fixture(doc))
        elif doc.kind:
            problems.append(
                doc.diagnostic(("kind",), f"expected kind SimulatedHost in a fixture (got {doc.kind!r})")
            )
    if documents and len(fixtures) != 1:
        problems.append(
            Diagnostic(
                f"a fixture file holds exactly one SimulatedHost document (found {len(fixtures)})",
                Position(text, 1, 1),
            )
        )
    errors = [d for d in sort_diagnostics(problems) if d.severity == "error"]
    if errors:
        raise ManifestError(errors)
    doc = fixtures[0]
    return {**doc.data["spec"], "metadata": doc.data["metadata"]}
