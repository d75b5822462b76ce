"""docs/manifests.md documents exactly the fields the published schemas accept."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
DOC = (ROOT / "docs" / "manifests.md").read_text(encoding="utf-8")
COMMON = json.loads((SCHEMAS / "common.schema.json").read_text(encoding="utf-8"))["$defs"]

KIND_SECTIONS = {
    "Inventory": "inventory",
    "SriovPolicy": "sriov-policy",
    "VMSwitch": "vm-switch",
    "HostVNic": "host-vnic",
    "VMNetworkAdapter": "vm-network-adapter",
    "NetworkVirtualization": "network-virtualization",
    "SimulatedHost (simulator fixture)": "simulated-host",
}
SHARED_SECTIONS = ("connection", "nicSelector", "vlan", "hostSelector")


def schema_paths(schema: dict[str, Any], prefix: str = "") -> set[str]:
    """Every field path; a $ref to a shared definition is documented in its own section."""
    out: set[str] = set()
    for key, sub in schema.get("properties", {}).items():
        path = f"{prefix}.{key}" if prefix else key
        out.add(path)
        if "$ref" in sub:
            continue
        if sub.get("type") == "object":
            out |= schema_paths(sub, path)
        items = sub.get("items")
        if sub.get("type") == "array" and isinstance(items, dict) and "properties" in items:
            out |= schema_paths(items, path + "[]")
    return out


def documented(heading: str) -> set[str]:
    match = re.search(rf"^#+ {re.escape(heading)}\n(.*?)(?=^#+ )", DOC, re.S | re.M)
    assert match, f"docs/manifests.md has no section {heading!r}"
    return set(re.findall(r"^\| `([^`]+)` \|", match.group(1), re.M))


@pytest.mark.parametrize("heading", sorted(KIND_SECTIONS))
def test_every_kind_field_is_documented_and_nothing_else(heading: str) -> None:
    schema = json.loads((SCHEMAS / f"{KIND_SECTIONS[heading]}.schema.json").read_text(encoding="utf-8"))
    fields = {p for p in schema_paths(schema) if p.startswith("spec")}
    assert documented(heading) == fields


@pytest.mark.parametrize("name", SHARED_SECTIONS)
def test_every_shared_field_is_documented_and_nothing_else(name: str) -> None:
    assert documented(name) == schema_paths(COMMON[name])


def test_envelope_is_documented() -> None:
    assert documented("Every document") == {"apiVersion", "kind", "metadata", "metadata.name"}


def test_editor_schema_line_is_documented_and_used_by_the_examples() -> None:
    assert "# yaml-language-server: $schema=" in DOC
    for example in sorted((ROOT / "manifests" / "examples").rglob("*.yaml")):
        first = example.read_text(encoding="utf-8").splitlines()[0]
        match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
        assert match, example
        assert (example.parent / match.group(1)).resolve().is_file(), example
