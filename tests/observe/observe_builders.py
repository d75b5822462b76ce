"""Build pypsrp output objects (GenericComplexObject) the way pypsrp 0.9.1 deserializes them."""

from __future__ import annotations

import uuid
from typing import Any

from pypsrp.complex_objects import GenericComplexObject


def enum(type_name: str, name: str, value: int) -> GenericComplexObject:
    obj = GenericComplexObject()
    obj.types = [f"Deserialized.{type_name}", "System.Enum", "System.ValueType", "System.Object"]
    obj.to_string = name
    obj.property_sets = [value]
    return obj


def obj(
    type_name: str, to_string: str = "", selected: bool = True, **properties: Any
) -> GenericComplexObject:
    """A Select-Object projection: note properties, type names prefixed as over real remoting."""
    o = GenericComplexObject()
    base = f"Selected.{type_name}" if selected else type_name
    o.types = [
        f"Deserialized.{base}",
        "Deserialized.System.Management.Automation.PSCustomObject",
        "System.Object",
    ]
    o.to_string = to_string
    o.extended_properties = dict(properties)
    return o


def from_json(value: Any) -> Any:
    """JSON case-file encoding → pypsrp values: {"$obj"...}, {"$enum"...}, {"$guid"...}."""
    if isinstance(value, list):
        return [from_json(v) for v in value]
    if isinstance(value, dict):
        if "$enum" in value:
            return enum(value.get("type", "Enum"), value["$enum"], int(value["value"]))
        if "$guid" in value:
            return uuid.UUID(value["$guid"])
        if "$obj" in value:
            o = GenericComplexObject()
            o.types = list(value["$obj"]) + ["System.Object"]
            o.to_string = value.get("to_string", "")
            o.adapted_properties = {k: from_json(v) for k, v in value.get("adapted", {}).items()}
            o.extended_properties = {k: from_json(v) for k, v in value.get("props", {}).items()}
            return o
    return value


def to_json(value: Any) -> Any:
    """pypsrp values → the JSON case-file encoding (inverse of ``from_json``)."""
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, uuid.UUID):
        return {"$guid": str(value)}
    if isinstance(value, GenericComplexObject):
        types = [t for t in value.types if t != "System.Object"]
        if "System.Enum" in types or "Deserialized.System.Enum" in types:
            return {"$enum": str(value), "value": value.property_sets[0], "type": types[0]}
        out: dict[str, Any] = {
            "$obj": types,
            "props": {k: to_json(v) for k, v in value.extended_properties.items()},
        }
        if value.adapted_properties:
            out["adapted"] = {k: to_json(v) for k, v in value.adapted_properties.items()}
        if value.to_string:
            out["to_string"] = value.to_string
        return out
    return value
