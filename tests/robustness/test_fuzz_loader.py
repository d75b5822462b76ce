"""Hypothesis fuzzing of the loader and validator: whatever the input, only diagnostics
(or a ManifestError carrying them) come out — never another exception.

Three generators: raw bytes, arbitrary text, and the example lab's documents with one
value replaced, removed or added at a random place (the inputs most likely to get
past the YAML layer into the schema and rule checks).
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import manifest
from engine.errors import Diagnostic, ManifestError

from .corpus_cases import BASE_INVENTORY

REPO = Path(__file__).resolve().parents[2]
LAB = REPO / "manifests" / "examples" / "lab"
LAB_DOCUMENTS: list[dict[str, Any]] = [
    doc
    for path in sorted(LAB.glob("*.yaml"))
    if path.name != "inventory.yaml"
    for doc in yaml.safe_load_all(path.read_text(encoding="utf-8"))
]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_WORKDIR = Path(tempfile.mkdtemp(prefix="hvnet-fuzz-"))

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def check(data: bytes) -> list[Diagnostic]:
    """Validate ``data`` (as a manifest file) together with a valid inventory; only diagnostics may come out."""
    path = _WORKDIR / "fuzzed.yaml"
    path.write_bytes(data)
    diagnostics = manifest.validate_paths([str(BASE_INVENTORY), str(path)])
    assert all(isinstance(d, Diagnostic) for d in diagnostics)
    for diagnostic in diagnostics:
        rendered = diagnostic.render()
        assert rendered and "Traceback" not in rendered
    if not any(d.severity == "error" for d in diagnostics):
        try:
            manifest.load_project([str(BASE_INVENTORY), str(path)])
        except ManifestError as exc:  # allowed: a clear error with diagnostics
            assert exc.diagnostics
    return diagnostics


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes_give_only_diagnostics(data: bytes) -> None:
    check(data)


@FUZZ
@given(st.text(max_size=400))
def test_random_text_gives_only_diagnostics(text: str) -> None:
    check(text.encode("utf-8", "surrogatepass"))


def _containers(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every mapping and list inside ``node``."""
    found: list[tuple[Any, ...]] = []
    if isinstance(node, dict):
        found.append(path)
        for key, value in node.items():
            found += _containers(value, (*path, key))
    elif isinstance(node, list):
        found.append(path)
        for index, value in enumerate(node):
            found += _containers(value, (*path, index))
    return found


def _at(node: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


@st.composite
def mutated_lab(draw: st.DrawFn) -> list[dict[str, Any]]:
    documents = copy.deepcopy(LAB_DOCUMENTS)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        doc = draw(st.sampled_from(documents))
        container = _at(doc, draw(st.sampled_from(_containers(doc))))
        how = draw(st.sampled_from(["replace", "delete", "add"]))
        if isinstance(container, dict):
            keys = sorted(container, key=str)
            if how == "add" or not keys:
                container[draw(st.text(max_size=12))] = draw(values)
            elif how == "delete":
                del container[draw(st.sampled_from(keys))]
            else:
                container[draw(st.sampled_from(keys))] = draw(values)
        elif how == "add" or not container:
            container.append(draw(values))
        elif how == "delete":
            container.pop(draw(st.integers(min_value=0, max_value=len(container) - 1)))
        else:
            container[draw(st.integers(min_value=0, max_value=len(container) - 1))] = draw(values)
    return documents


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_lab())
def test_mutated_lab_documents_give_only_diagnostics(documents: list[dict[str, Any]]) -> None:
    text = yaml.safe_dump_all(documents, allow_unicode=True, sort_keys=False)
    check(text.encode("utf-8", "surrogatepass"))


def test_the_unmutated_lab_is_valid_so_mutations_start_from_a_good_document() -> None:
    assert [d for d in check(yaml.safe_dump_all(LAB_DOCUMENTS).encode()) if d.severity == "error"] == []
