"""Generic PowerShell cmdlets every simulated host offers: Select-Object, Where-Object
(simplified syntax), Measure-Object. Enough of their real behaviour for structured
reads: property selection with wildcards, -ExpandProperty with -Property copying the
listed properties onto the expanded objects, -First, comparisons as PowerShell's
case-insensitive ``-eq``/``-ne``/``-like``/``-in``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from psrpcore.types import PSObject as CorePSObject

from engine.sim.noted import NotedPSObj
from engine.sim.objects import ErrorRecord, InvocationContext, PSEnum, PSList, PSObj
from engine.sim.registry import CmdletSpec, ParamSpec, Registry
from engine.sim.serialize import CUSTOM_OBJECT_TYPE, ps_to_string

UTILITY = "Microsoft.PowerShell.Utility"
CORE = "Microsoft.PowerShell.Core"
_MISSING = object()


def get_property(obj: Any, name: str, default: Any = _MISSING) -> Any:
    """A property of any pipeline object, looked up case-insensitively."""
    if isinstance(obj, PSObj):
        if isinstance(obj, NotedPSObj):
            return obj.get(name, default) if obj.has(name) else default
        value = obj.get(name, _MISSING)
        return default if value is _MISSING else value
    if isinstance(obj, CorePSObject):
        key = name.casefold()
        props = [*obj.PSObject.adapted_properties, *obj.PSObject.extended_properties]
        for prop in props:
            if prop.name.casefold() == key:
                return prop.get_value(obj)
        return default
    if isinstance(obj, dict):
        for k, v in obj.items():
            if str(k).casefold() == name.casefold():
                return v
        return default
    return default


def _property_names(obj: Any) -> list[str]:
    if isinstance(obj, NotedPSObj):
        return [*obj.properties, *(k for k in obj.notes if k not in obj.properties)]
    if isinstance(obj, PSObj):
        return list(obj.properties)
    if isinstance(obj, CorePSObject):
        return [p.name for p in (*obj.PSObject.adapted_properties, *obj.PSObject.extended_properties)]
    if isinstance(obj, dict):
        return [str(k) for k in obj]
    return []


@lru_cache(maxsize=256)
def _wildcard(pattern: str) -> re.Pattern[str]:
    # PowerShell wildcards: * ? [abc], backtick escapes the next character.
    out: list[str] = []
    chars = iter(pattern)
    for ch in chars:
        if ch == "`":
            out.append(re.escape(next(chars, "`")))
        elif ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        elif ch in "[]":
            out.append(ch)
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def wildcard_match(pattern: str, text: str) -> bool:
    return _wildcard(pattern).fullmatch(text) is not None


def _is_wildcard(pattern: str) -> bool:
    return any(ch in pattern for ch in "*?[")


def _selected_type(obj: Any) -> list[str]:
    base = obj.type_names[0] if isinstance(obj, PSObj) and obj.type_names else "System.Object"
    return [f"Selected.{base}", CUSTOM_OBJECT_TYPE]


def _custom_to_string(props: dict[str, Any]) -> str:
    return "@{" + "; ".join(f"{k}={ps_to_string(v)}" for k, v in props.items()) + "}"


def _select_properties(obj: Any, patterns: list[str], wildcards: list[bool] | None = None) -> dict[str, Any]:
    """``wildcards[i]``: whether ``patterns[i]`` is a wildcard (computed once per Select-Object)."""
    names = _property_names(obj)
    selected: dict[str, Any] = {}
    by_folded: dict[str, str] | None = None  # casefolded -> first such name; built once per object
    for i, pattern in enumerate(patterns):
        if wildcards[i] if wildcards is not None else _is_wildcard(pattern):
            for name in names:
                if wildcard_match(pattern, name) and name not in selected:
                    selected[name] = get_property(obj, name)
        else:
            if by_folded is None:
                by_folded = {}
                for name in names:
                    by_folded.setdefault(name.casefold(), name)
            actual = by_folded.get(pattern.casefold(), pattern)
            selected.setdefault(actual, get_property(obj, pattern, None))
    return selected


def _expand(value: Any) -> list[Any]:
    if isinstance(value, PSList):
        return list(value.items)
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def select_object(ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]) -> Iterable[Any]:
    objects = list(pipeline_input)
    if "First" in params:
        objects = objects[: max(params["First"], 0)]
    patterns = [ps_to_string(p) for p in params.get("Property", [])]
    wildcards = [_is_wildcard(p) for p in patterns]
    expand = params.get("ExpandProperty")
    for obj in objects:
        if expand is not None:
            value = get_property(obj, expand)
            if value is _MISSING:
                ctx.write_error(
                    ErrorRecord(
                        message=f'Property "{expand}" cannot be found.',
                        fully_qualified_error_id="ExpandPropertyNotFound,Microsoft.PowerShell.Commands.SelectObjectCommand",
                        category="InvalidArgument",
                        target_name=ps_to_string(obj),
                        exception_type="System.Management.Automation.PSArgumentException",
                    )
                )
                continue
            copied = _select_properties(obj, patterns, wildcards) if patterns else {}
            for item in _expand(value):
                yield _with_notes(item, copied)
        elif patterns:
            props = _select_properties(obj, patterns, wildcards)
            yield PSObj(_selected_type(obj), props, _custom_to_string(props))
        else:
            yield obj


def _with_notes(item: Any, notes: dict[str, Any]) -> Any:
    if not notes or not isinstance(item, PSObj):
        return item
    existing = item.notes if isinstance(item, NotedPSObj) else {}
    return NotedPSObj(list(item.type_names), dict(item.properties), item.to_string, {**existing, **notes})


def ps_equals(left: Any, right: Any) -> bool:
    """PowerShell's ``-eq``: the right side converts to the left side's type; strings ignore case."""
    if isinstance(left, PSList):
        left = left.items
    if isinstance(left, list | tuple):
        return any(ps_equals(item, right) for item in left)
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, PSEnum):
        if isinstance(right, int) and not isinstance(right, bool):
            return left.value == right
        return left.name.casefold() == ps_to_string(right).casefold()
    if isinstance(left, bool):
        if isinstance(right, str):
            return ps_to_string(left).casefold() == right.strip().casefold() or (left is True and right != "")
        return left == bool(right)
    if isinstance(left, int | float) and not isinstance(right, bool):
        try:
            return float(left) == float(ps_to_string(right))
        except ValueError:
            return False
    if isinstance(left, uuid.UUID):
        return str(left).casefold() == ps_to_string(right).strip("{}").casefold()
    return ps_to_string(left).casefold() == ps_to_string(right).casefold()


def where_object(ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]) -> Iterable[Any]:
    name = params.get("Property")
    value = params.get("Value")
    for obj in pipeline_input:
        left = get_property(obj, name, None) if name else obj
        if params.get("EQ"):
            keep = ps_equals(left, value)
        elif params.get("NE"):
            keep = not ps_equals(left, value)
        elif params.get("Like"):
            keep = wildcard_match(ps_to_string(value), ps_to_string(left))
        elif params.get("In"):
            keep = any(ps_equals(left, candidate) for candidate in _expand(value))
        else:  # -Property alone: truthiness
            keep = bool(left) if not isinstance(left, PSList) else bool(left.items)
        if keep:
            yield obj


def measure_object(
    ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]
) -> Iterable[Any]:
    props = {
        "Count": len(pipeline_input),
        "Average": None,
        "Sum": None,
        "Maximum": None,
        "Minimum": None,
        "Property": None,
    }
    yield PSObj(
        ["Microsoft.PowerShell.Commands.GenericMeasureInfo", "Microsoft.PowerShell.Commands.MeasureInfo"],
        props,
        "Microsoft.PowerShell.Commands.GenericMeasureInfo",
    )


def register_generic(registry: Registry) -> None:
    """Add Select-Object, Where-Object and Measure-Object to ``registry``."""
    registry.register(
        CmdletSpec(
            "Select-Object",
            select_object,
            (
                ParamSpec("Property", "object[]", position=0),
                ParamSpec("ExpandProperty", "string"),
                ParamSpec("First", "int"),
                ParamSpec("InputObject", "object", from_pipeline=True),
            ),
            module=UTILITY,
        )
    )
    registry.register(
        CmdletSpec(
            "Where-Object",
            where_object,
            (
                ParamSpec("Property", "string", position=0),
                ParamSpec("Value", "object", position=1),
                ParamSpec("EQ", "switch", aliases=("IEQ",)),
                ParamSpec("NE", "switch", aliases=("INE",)),
                ParamSpec("Like", "switch", aliases=("ILike",)),
                ParamSpec("In", "switch", aliases=("IIn",)),
                ParamSpec("InputObject", "object", from_pipeline=True),
            ),
            module=CORE,
        )
    )
    registry.register(
        CmdletSpec(
            "Measure-Object",
            measure_object,
            (ParamSpec("InputObject", "object", from_pipeline=True),),
            module=UTILITY,
        )
    )
