"""CLIXML for cmdlet output, written the way Windows PowerShell remoting writes it.

Output objects are serialized here as text, not through psrpcore's object model:
building psrpcore ``PSObject`` values costs ~3 ms per 45-property object, which
would make a 1,000-object read take seconds. The PSRP layer hands the bytes to
psrpcore as a pre-serialized message (``RawClixml``).

Remoting depth 1: a top-level object's properties are serialized; a property whose
value is itself a complex object arrives as its ToString string. Enums, GUIDs and
arrays of simple values keep their type at any depth.
"""

from __future__ import annotations

import datetime
import re
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from xml.etree import ElementTree

from psrpcore.types import PSObject as CorePSObject
from psrpcore.types import serialize as core_serialize

from engine.sim.noted import NotedPSObj
from engine.sim.objects import Byte, Int64, PSEnum, PSList, PSObj, UInt16, UInt32, UInt64

CUSTOM_OBJECT_TYPE = "System.Management.Automation.PSCustomObject"
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1

# CLIXML (MS-PSRP 2.2.5.3.2) writes C0/C1 controls and non-BMP characters as _xHHHH_
# (UTF-16 code units), and a literal "_x" as "_x005F_x" so it is not read back as an escape.
_UNDERSCORE_X_RE = re.compile("(?i)_(x)")
_ESCAPE_RE = re.compile("[\u0000-\u001f\u007f-\u009f\ud800-\udfff\U00010000-\U0010ffff]")
_NEEDS_WORK_RE = re.compile("[\u0000-\u001f\u007f-\u009f\ud800-\udfff\U00010000-\U0010ffff_&<>]")


@dataclass(frozen=True)
class RawClixml:
    """A message body that is already CLIXML (UTF-8 bytes)."""

    data: bytes


def _escape_char(match: re.Match[str]) -> str:
    units = match.group().encode("utf-16-be", errors="surrogatepass").hex().upper()
    return "".join(f"_x{units[i : i + 4]}_" for i in range(0, len(units), 4))


def escape_text(text: str) -> str:
    """A string as CLIXML element text (PSRP escapes, then XML escapes)."""
    if _NEEDS_WORK_RE.search(text) is None:  # the common case, and the hot path of big reads
        return text
    text = _ESCAPE_RE.sub(_escape_char, _UNDERSCORE_X_RE.sub(r"_x005F_\1", text))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@lru_cache(maxsize=4096)
def _attr(name: str | None) -> str:
    if name is None:
        return ""
    return ' N="' + escape_text(name).replace('"', "&quot;") + '"'


def ps_to_string(value: Any) -> str:
    """What PowerShell's ToString() shows for a simple or complex value."""
    if isinstance(value, str):  # first: a psrpcore string makes every failing isinstance slow
        return str(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, PSObj):
        return value.to_string
    if isinstance(value, PSList):
        return " ".join(ps_to_string(v) for v in value.items)
    if isinstance(value, list | tuple):
        return " ".join(ps_to_string(v) for v in value)
    return str(value)


class _Writer:
    """One message's serialization state: RefIds for objects and type-name lists."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self._next_ref = 0
        self._type_refs: dict[tuple[str, ...], int] = {}

    def _obj_open(self, name: str | None) -> None:
        self.parts.append(f'<Obj{_attr(name)} RefId="{self._next_ref}">')
        self._next_ref += 1

    def _type_names(self, names: tuple[str, ...]) -> None:
        ref = self._type_refs.get(names)
        if ref is not None:
            self.parts.append(f'<TNRef RefId="{ref}" />')
            return
        ref = self._type_refs[names] = len(self._type_refs)
        self.parts.append(
            f'<TN RefId="{ref}">' + "".join(f"<T>{escape_text(t)}</T>" for t in names) + "</TN>"
        )

    def value(self, value: Any, name: str | None = None, depth: int = 0) -> None:
        n = _attr(name)
        parts = self.parts
        if value is None:
            parts.append(f"<Nil{n} />")
        elif isinstance(value, bool):
            parts.append(f"<B{n}>{'true' if value else 'false'}</B>")
        elif isinstance(value, str) and not isinstance(value, CorePSObject):
            parts.append(f"<S{n}>{escape_text(value)}</S>")
        elif isinstance(value, PSEnum):
            self._enum(value, name)
        elif isinstance(value, PSObj):
            if depth > 0:  # beyond remoting depth 1: the object's ToString
                parts.append(f"<S{n}>{escape_text(value.to_string)}</S>")
            else:
                self._complex(value, name)
        elif isinstance(value, PSList):
            self._list(value.items, f"{value.element_type}[]", name, depth)
        elif isinstance(value, list | tuple):
            self._list(list(value), "System.Object[]", name, depth)
        elif isinstance(value, CorePSObject):
            self._core_object(value, name)
        elif isinstance(value, int):
            parts.append(_int_element(value, n))
        elif isinstance(value, float):
            parts.append(f"<Db{n}>{repr(value).upper()}</Db>")
        elif isinstance(value, uuid.UUID):
            parts.append(f"<G{n}>{value}</G>")
        elif isinstance(value, datetime.datetime):
            parts.append(f"<DT{n}>{value.isoformat()}</DT>")
        else:  # anything else is shown as PowerShell would print it
            parts.append(f"<S{n}>{escape_text(str(value))}</S>")

    def _enum(self, value: PSEnum, name: str | None) -> None:
        self._obj_open(name)
        self._type_names((value.type_name, "System.Enum", "System.ValueType", "System.Object"))
        self.parts.append(
            f"<ToString>{escape_text(value.name)}</ToString><I32>{int(value.value)}</I32></Obj>"
        )

    def _complex(self, obj: PSObj, name: str | None) -> None:
        self._obj_open(name)
        self._type_names((*obj.type_names, "System.Object"))
        self.parts.append(f"<ToString>{escape_text(obj.to_string)}</ToString>")
        # Select-Object's PSCustomObjects carry note properties (MS), real objects adapted ones (Props).
        is_custom = CUSTOM_OBJECT_TYPE in obj.type_names
        if obj.properties:
            self.parts.append("<MS>" if is_custom else "<Props>")
            for key, val in obj.properties.items():
                self.value(val, key, 1)
            self.parts.append("</MS>" if is_custom else "</Props>")
        notes = obj.notes if isinstance(obj, NotedPSObj) else {}
        if notes:
            self.parts.append("<MS>")
            for key, val in notes.items():
                self.value(val, key, 1)
            self.parts.append("</MS>")
        self.parts.append("</Obj>")

    def _list(self, items: list[Any], type_name: str, name: str | None, depth: int) -> None:
        self._obj_open(name)
        self._type_names((type_name, "System.Array", "System.Object"))
        self.parts.append("<LST>")
        for item in items:
            self.value(item, None, depth + 1 if depth > 0 else 1)
        self.parts.append("</LST></Obj>")

    def _core_object(self, value: CorePSObject, name: str | None) -> None:
        # Objects the client sent as pipeline input and a cmdlet passed through.
        element = core_serialize(value, None)
        if name is not None:
            element.attrib["N"] = name
        self.parts.append(ElementTree.tostring(element, encoding="unicode"))


def _int_element(value: int, n: str) -> str:
    if isinstance(value, Int64):
        tag = "I64"
    elif isinstance(value, UInt32):
        tag = "U32"
    elif isinstance(value, UInt64):
        tag = "U64"
    elif isinstance(value, UInt16):
        tag = "U16"
    elif isinstance(value, Byte):
        tag = "By"
    else:
        tag = "I32" if _INT32_MIN <= value <= _INT32_MAX else "I64"
    return f"<{tag}{n}>{int(value)}</{tag}>"


def to_clixml(value: Any) -> bytes:
    """Serialize one output object (a PSRP PipelineOutput message body)."""
    writer = _Writer()
    writer.value(value)
    return "".join(writer.parts).encode("utf-8")
