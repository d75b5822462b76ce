"""JSON Schema validation of documents, with every error mapped back to its position.

The schemas in ``schemas/`` are the published ones (editors use them too). Messages
follow one template: ``'{path}' must be {expected} (got {value!r})``; unknown keys get
a "did you mean" hint; a password key gets a pointer to ``passwordEnv`` and its value is
never echoed.
"""

from __future__ import annotations

import difflib
import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from engine.errors import Diagnostic
from engine.manifest.yaml_loader import Document, JsonPath, json_path

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"

SCHEMA_FILES: dict[str, str] = {
    "Inventory": "inventory.schema.json",
    "SriovPolicy": "sriov-policy.schema.json",
    "VMSwitch": "vm-switch.schema.json",
    "HostVNic": "host-vnic.schema.json",
    "VMNetworkAdapter": "vm-network-adapter.schema.json",
    "NetworkVirtualization": "network-virtualization.schema.json",
    "SimulatedHost": "simulated-host.schema.json",
}
API_VERSION = "hvnet/v1"
_YAML_BOOLEAN_WORDS = {"on", "off", "yes", "no", "true", "false", "y", "n"}
_SECRET_KEYS = {"password", "pass", "passwd", "pwd", "secret", "credential", "credentials"}


@functools.cache
def schema_registry() -> Registry:
    registry: Registry = Registry()
    for path in sorted(SCHEMA_DIR.glob("*.schema.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        registry = registry.with_resource(path.as_uri(), Resource.from_contents(contents, DRAFT202012))
    return registry


@functools.cache
def validator_for(kind: str) -> Draft202012Validator:
    path = SCHEMA_DIR / SCHEMA_FILES[kind]
    schema = {**json.loads(path.read_text(encoding="utf-8")), "$id": path.as_uri()}
    return Draft202012Validator(schema, registry=schema_registry())


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}


def _expected_type(expected: Any) -> str:
    names = [expected] if isinstance(expected, str) else list(expected)
    return " or ".join(_TYPE_NAMES.get(n, n) for n in names)


def _did_you_mean(key: str, allowed: list[str]) -> str:
    folded = {a.casefold(): a for a in allowed}
    if key.casefold() in folded:
        return f"did you mean {folded[key.casefold()]!r}? (keys are case-sensitive camelCase)"
    close = difflib.get_close_matches(key.casefold(), list(folded), n=1, cutoff=0.6)
    if close:
        return f"did you mean {folded[close[0]]!r}?"
    return "allowed keys: " + ", ".join(sorted(allowed)) if allowed else ""


def _deepest(error: ValidationError) -> ValidationError:
    """For anyOf/oneOf, the sub-error that went furthest into the value."""
    if not error.context:
        return error
    best = max(error.context, key=lambda e: len(e.absolute_path))
    if len(best.absolute_path) > len(error.absolute_path):
        return _deepest(best)
    # Same depth: a format problem (e.g. a control character in a name) says more than "wrong type".
    formats = [e for e in error.context if e.validator in ("pattern", "minLength", "maxLength")]
    return formats[0] if len(formats) == 1 else error


def _diagnostics_for(doc: Document, error: ValidationError) -> list[Diagnostic]:
    path: JsonPath = tuple(error.absolute_path)
    where = json_path(path) or "document"
    value = error.instance
    schema = error.schema if isinstance(error.schema, dict) else {}
    kind = error.validator
    if kind == "additionalProperties" and isinstance(value, dict):
        allowed = list(schema.get("properties", {}))
        out = []
        for key in value:
            if key in allowed:
                continue
            key_path = (*path, key)
            if key.casefold() in _SECRET_KEYS:
                out.append(
                    doc.diagnostic(
                        key_path,
                        "a password must not be written in a manifest",
                        "put the name of an environment variable in 'passwordEnv' and export the password there",
                        at_key=True,
                    )
                )
                continue
            out.append(
                doc.diagnostic(key_path, f"unknown key {key!r}", _did_you_mean(key, allowed), at_key=True)
            )
        return out
    if kind == "required":
        missing = [k for k in error.validator_value if isinstance(value, dict) and k not in value]
        return [doc.diagnostic(path, f"'{json_path((*path, k))}' is required", at_key=True) for k in missing]
    if kind in ("anyOf", "oneOf"):
        inner = _deepest(error)
        if inner is not error:
            return _diagnostics_for(doc, inner)
        message = schema.get("x-message", "has an invalid value")
        return [doc.diagnostic(path, f"'{where}' {message} (got {_short(value)})")]
    if kind == "type":
        summary = f"'{where}' must be {_expected_type(error.validator_value)} (got {_short(value)})"
    elif kind == "enum":
        options = ", ".join(str(o) for o in error.validator_value)
        hint = ""
        if isinstance(value, str):
            folded = {str(o).casefold(): o for o in error.validator_value}
            match = folded.get(value.casefold())
            hint = f"did you mean {match!r}?" if match is not None else ""
        elif isinstance(value, bool):
            spelled = [
                o for o in error.validator_value if isinstance(o, str) and o.casefold() in _YAML_BOOLEAN_WORDS
            ]
            if spelled:
                hint = f"YAML reads a bare {spelled[0]} as a boolean; quote it: '{spelled[0]}'"
        return [doc.diagnostic(path, f"'{where}' must be one of {options} (got {_short(value)})", hint)]
    elif kind == "const":
        summary = f"'{where}' must be {_short(error.validator_value)} (got {_short(value)})"
    elif kind in ("minimum", "maximum"):
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is not None and high is not None:
            summary = f"'{where}' must be between {low} and {high} (got {_short(value)})"
        elif low is not None:
            summary = f"'{where}' must be at least {low} (got {_short(value)})"
        else:
            summary = f"'{where}' must be at most {high} (got {_short(value)})"
    elif kind == "pattern":
        summary = f"'{where}' {schema.get('x-message', 'has an invalid format')} (got {_short(value)})"
    elif kind in ("minLength", "minItems", "minProperties"):
        summary = f"'{where}' must not be empty"
    elif kind == "maxLength":
        summary = f"'{where}' must be at most {error.validator_value} characters long"
    elif kind == "uniqueItems":
        summary = f"'{where}' lists the same item twice"
    else:
        summary = f"'{where}': {error.message}"
    return [doc.diagnostic(path, summary)]


def validate_document(doc: Document) -> list[Diagnostic]:
    """Envelope checks, then the kind's schema. Returns diagnostics; never raises."""
    data = doc.data
    if not isinstance(data, dict):
        return [doc.diagnostic((), f"a document must be a mapping (got {_short(data)})")]
    problems: list[Diagnostic] = []
    if "apiVersion" not in data:
        problems.append(doc.diagnostic((), "'apiVersion' is required", f"write 'apiVersion: {API_VERSION}'"))
    elif data["apiVersion"] != API_VERSION:
        problems.append(
            doc.diagnostic(
                ("apiVersion",), f"'apiVersion' must be {API_VERSION!r} (got {_short(data['apiVersion'])})"
            )
        )
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in SCHEMA_FILES:  # a list or mapping is unhashable
        if "kind" not in data:
            problems.append(doc.diagnostic((), "'kind' is required", "one of: " + ", ".join(SCHEMA_FILES)))
        else:
            hint = _did_you_mean(str(kind), list(SCHEMA_FILES)) if isinstance(kind, str) else ""
            problems.append(doc.diagnostic(("kind",), f"unknown kind {_short(kind)}", hint))
        return problems
    errors = sorted(validator_for(kind).iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    for error in errors:
        if error.validator == "const" and list(error.absolute_path) == ["apiVersion"]:
            continue  # reported above with a better message
        problems.extend(_diagnostics_for(doc, error))
    return problems
