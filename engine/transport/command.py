"""Structured PowerShell invocations as plain values.

A plan's steps, the collector's reads and the executor's writes are all built from
these values. They never hold script text: the transport turns each ``Cmdlet`` into
pypsrp ``add_cmdlet`` / ``add_parameter`` calls, so a manifest value can never be
parsed as PowerShell.

JSON shape (CONTRACT §5): a step is ``{"pipeline": [{"cmdlet": "...", "parameters": {...}}]}``.
A parameter value may be a reference to the output of an earlier step of the same host:
``{"$ref": "<step id>", "property": "Id"}``.

The value classes have ``__slots__``: a plan of 10,000 resources holds tens of thousands
of them, smaller and quicker to build without an instance dict.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Characters that System.Management.Automation.WildcardPattern treats specially.
_WILDCARD_CHARS = re.compile(r"[*?\[\]`]")


def wildcard_escape(name: str) -> str:
    """Escape ``name`` so a Hyper-V ``-Name``-style wildcard parameter matches it literally.

    Hyper-V resolves -Name/-SwitchName/-VMName through WildcardPattern, whose escape
    character is the backtick (WildcardPattern.Escape does exactly this).
    """
    if _WILDCARD_CHARS.search(name) is None:
        return name  # nothing to escape: the common case, and much faster than sub()
    return _WILDCARD_CHARS.sub(r"`\g<0>", name)


@dataclass(frozen=True, slots=True)
class Ref:
    """The value of ``property`` on the (single) object output by an earlier step."""

    step: str
    property: str = "Id"

    def to_json(self) -> dict[str, str]:
        return {"$ref": self.step, "property": self.property}


@dataclass(frozen=True, slots=True)
class Int64:
    """An integer that must travel as a PowerShell Int64 (pypsrp sends plain ints as I32)."""

    value: int

    def to_json(self) -> dict[str, Any]:
        return {"$int64": self.value}


SWITCH = True  # a switch parameter (-Force) is written with the value True


@dataclass(frozen=True, slots=True)
class Cmdlet:
    """One command of a pipeline: a cmdlet name and its named parameters, in order."""

    name: str
    parameters: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, name: str, params: Mapping[str, Any] | None = None, /, **kwargs: Any) -> Cmdlet:
        if not params:  # the common forms (one or the other) need no merged copy
            return cls(name, tuple(kwargs.items()))
        if not kwargs:
            return cls(name, tuple(params.items()))
        return cls(name, tuple({**params, **kwargs}.items()))

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.parameters)

    def to_json(self) -> dict[str, Any]:
        params = {k: v if type(v) in _SELF_JSON else value_to_json(v) for k, v in self.parameters}
        return {"cmdlet": self.name, "parameters": params}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Cmdlet:
        params = data.get("parameters") or {}
        return cls(str(data["cmdlet"]), tuple((k, value_from_json(v)) for k, v in params.items()))


@dataclass(frozen=True, slots=True)
class Pipeline:
    """Commands connected by ``|``: each one's output is the next one's input."""

    commands: tuple[Cmdlet, ...]

    def to_json(self) -> list[dict[str, Any]]:
        return [c.to_json() for c in self.commands]

    @classmethod
    def from_json(cls, data: list[Mapping[str, Any]]) -> Pipeline:
        return cls(tuple(Cmdlet.from_json(c) for c in data))


@dataclass(frozen=True, slots=True)
class Step:
    """One unit the executor runs: a pipeline, with an id later steps may reference.

    ``mutating`` is False for pure reads (lookups that feed a Ref).
    """

    id: str
    pipeline: Pipeline
    description: str = ""
    mutating: bool = True
    depends_on: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "pipeline": self.pipeline.to_json()}
        if self.description:
            out["description"] = self.description
        if not self.mutating:
            out["mutating"] = False
        if self.depends_on:
            out["depends_on"] = list(self.depends_on)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Step:
        return cls(
            id=str(data["id"]),
            pipeline=Pipeline.from_json(data["pipeline"]),
            description=str(data.get("description", "")),
            mutating=bool(data.get("mutating", True)),
            depends_on=tuple(data.get("depends_on", ())),
        )


# Parameter values that are their own JSON: most of them, so value_to_json is skipped for these.
_SELF_JSON = frozenset({str, bool, int})


def value_to_json(value: Any) -> Any:
    if isinstance(value, Ref | Int64):
        return value.to_json()
    if isinstance(value, list | tuple):
        return [value_to_json(v) for v in value]
    return value


def value_from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if "$ref" in value:
            return Ref(str(value["$ref"]), str(value.get("property", "Id")))
        if "$int64" in value:
            return Int64(int(value["$int64"]))
    if isinstance(value, list):
        return [value_from_json(v) for v in value]
    return value
