"""pypsrp's CLIXML serializer, minus the costs that dominate a read on the client.

``Serializer.deserialize`` in pypsrp re-serializes every element it visits
(``ElementTree.tostring``, kept as the object's ``_xml``) and builds a table of ~70
type descriptors before it even looks at the element's tag. Two kinds of element make
up nearly all of a collected host's output, and need neither:

- a primitive (``<S>``, ``<I32>``, ``<B>`` …): its value comes from its text alone;
  answered with the same functions pypsrp uses;
- an object whose type names lead to "System.Object" in pypsrp's table (a Hyper-V
  object, an enum, a ``Select-Object`` result): pypsrp makes it a
  ``GenericComplexObject`` with ``_deserialize_dynamic_obj``; so does this, and its
  ``_xml`` is produced only when read (``LazyXmlObject``).

Arrays of primitives or of generic objects are read the same way. Everything else
(error records, dictionaries, other collections, pypsrp's own message types) goes to
pypsrp unchanged. Equivalence: tests/transport/test_fast_serializer.py. Measured:
``benchmarks/fleet.py`` and docs/performance.md.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree as ET

from pypsrp._utils import to_string
from pypsrp.complex_objects import GenericComplexObject, ListMeta, ObjectMeta
from pypsrp.serializer import Serializer

_Decode = Callable[[Serializer, ET.Element], Any]


def _text(element: ET.Element) -> str:
    return element.text  # type: ignore[return-value]  # pypsrp raises the same way on an empty number


# Exactly pypsrp's table of primitive tags (``Serializer.deserialize``), element text → value.
_PRIMITIVES: dict[str, _Decode] = {
    "S": lambda s, e: s._deserialize_string(e.text),
    "ToString": lambda s, e: s._deserialize_string(e.text),
    "C": lambda s, e: chr(int(_text(e))),
    "B": lambda s, e: _text(e).lower() == "true",
    "DT": lambda s, e: e.text,
    "TS": lambda s, e: e.text,
    "By": lambda s, e: int(_text(e)),
    "SB": lambda s, e: int(_text(e)),
    "U16": lambda s, e: int(_text(e)),
    "I16": lambda s, e: int(_text(e)),
    "U32": lambda s, e: int(_text(e)),
    "I32": lambda s, e: int(_text(e)),
    "U64": lambda s, e: int(_text(e)),
    "I64": lambda s, e: int(_text(e)),
    "Sg": lambda s, e: float(_text(e)),
    "Db": lambda s, e: float(_text(e)),
    "D": lambda s, e: e.text,
    "BA": lambda s, e: base64.b64decode(_text(e)),
    "G": lambda s, e: uuid.UUID(_text(e)),
    "URI": lambda s, e: s._deserialize_string(e.text),
    "Nil": lambda s, e: None,
    "Version": lambda s, e: e.text,
    "XD": lambda s, e: s._deserialize_string(e.text),
    "SBK": lambda s, e: s._deserialize_string(e.text),
    "SS": lambda s, e: s._deserialize_secure_string(e),
    "Ref": lambda s, e: s.obj[e.attrib["RefId"]],
}


# The type names in pypsrp 0.9's table (``structures`` in ``Serializer.deserialize``): an
# object whose type chain reaches one of them first is pypsrp's to read.
_PYPSRP_TYPES = frozenset({
    "Selected.Microsoft.PowerShell.Commands.GenericMeasureInfo", "System.Array", "System.Collections.ArrayList",
    "System.Collections.Hashtable", "System.Collections.Generic.List", "System.Collections.Queue",
    "System.Collections.Stack", "System.ConsoleColor", "System.Management.Automation.CommandOrigin",
    "System.Management.Automation.DebugRecord", "System.Management.Automation.ErrorRecord",
    "System.Management.Automation.Host.Coordinates", "System.Management.Automation.Host.KeyInfo",
    "System.Management.Automation.Host.Size", "System.Management.Automation.InformationalRecord",
    "System.Management.Automation.InformationRecord", "System.Management.Automation.ParameterMetadata",
    "System.Management.Automation.ProgressRecordType", "System.Management.Automation.PSBoundParametersDictionary",
    "System.Management.Automation.PSCredential", "System.Management.Automation.PSObject",
    "System.Management.Automation.PSPrimitiveDictionary", "System.Management.Automation.PSTypeName",
    "System.Management.Automation.Remoting.RemoteHostMethodId", "System.Management.Automation.Runspaces.ApartmentState",
    "System.Management.Automation.Runspaces.PipelineResultTypes", "System.Management.Automation.Runspaces.PSThreadOptions",
    "System.Management.Automation.Runspaces.RemoteStreamOptions",
    "System.Management.Automation.SessionStateEntryVisibility", "System.Management.Automation.VerboseRecord",
    "System.Management.Automation.WarningRecord", "System.Globalization.CultureInfo", "System.Object",
    "System.String", "System.Char", "System.Boolean", "System.DateTime", "System.Byte", "System.SByte",
    "System.UInt16", "System.Int16", "System.UInt32", "System.Int32", "System.UInt64", "System.Int64",
    "System.Single", "System.Double", "System.Decimal", "System.Guid", "System.Uri", "System.Version",
    "System.Xml.XmlDocument", "System.Management.Automation.ScriptBlock", "System.Security.SecureString",
})  # fmt: skip
# Of those, the two pypsrp reads as a ``GenericComplexObject`` (``ObjDynamic``).
_GENERIC_TYPES = frozenset({"System.Object", "System.Management.Automation.PSObject"})
_GENERIC_COLLECTIONS = (
    "System.Collections.Generic.List`1[[",
    "System.Collections.ObjectModel.Collection`1[[",
    "System.Collections.ObjectModel.ReadOnlyCollection`1[[",
    "System.Collections.Generic.Dictionary`2[[",
)


# Of those, the primitives an array ("System.String[]" …) can hold, with their CLIXML tag.
_PRIMITIVE_TYPES = {
    "System.String": "S", "System.Char": "C", "System.Boolean": "B", "System.DateTime": "DT", "System.Byte": "By",
    "System.SByte": "SB", "System.UInt16": "U16", "System.Int16": "I16", "System.UInt32": "U32", "System.Int32": "I32",
    "System.UInt64": "U64", "System.Int64": "I64", "System.Single": "Sg", "System.Double": "Db", "System.Decimal": "D",
    "System.Guid": "G", "System.Uri": "URI", "System.Version": "Version", "System.Xml.XmlDocument": "XD",
    "System.Management.Automation.ScriptBlock": "SBK", "System.Security.SecureString": "SS",
    "System.Management.Automation.PSTypeName": "S",
}  # fmt: skip
# And the ones pypsrp reads as a plain list (``ListMeta()``).
_LIST_TYPES = frozenset({"System.Array", "System.Collections.ArrayList", "System.Collections.Generic.List"})


def resolve_type(types: list[str]) -> tuple[str, bool] | None:
    """The entry of pypsrp's table an ``<Obj>`` with these type names maps to, and whether as a list.

    The same walk as pypsrp's: the first name found in its table decides; a name ending in
    ``[]`` is a list of its element type. None: pypsrp handles it some other way (generic
    collections, or no known name at all).
    """
    for name in types or ["System.Object"]:
        if name.startswith("Deserialized.System."):
            name = name[len("Deserialized.") :]
        if name.startswith(_GENERIC_COLLECTIONS):
            return None
        is_list = name.endswith("[]")
        if is_list:
            name = name[:-2]
        if name in _PYPSRP_TYPES:
            return name, is_list
    return None


def _plain(metadata: Any) -> bool:
    """Metadata that leaves the decision to the element's types, as ``None`` does in pypsrp."""
    return metadata is None or (
        type(metadata) is ObjectMeta and metadata.object is None and metadata.tag in ("*", "Obj")
    )


class LazyXmlObject(GenericComplexObject):  # type: ignore[misc]  # pypsrp is untyped here
    """A ``GenericComplexObject`` whose ``_xml`` (pypsrp's copy of its CLIXML) is made on first read."""

    _element: ET.Element | None = None
    _xml_text: str | None = None

    @property  # type: ignore[override]
    def _xml(self) -> str | None:
        if self._xml_text is None and self._element is not None:
            self._xml_text = to_string(ET.tostring(self._element, encoding="utf-8", method="xml"))
        return self._xml_text

    @_xml.setter
    def _xml(self, value: str | None) -> None:
        self._xml_text = value


_GENERIC = ObjectMeta("ObjDynamic", object=LazyXmlObject)


class FastSerializer(Serializer):  # type: ignore[misc]  # pypsrp is untyped here
    """A pypsrp ``Serializer`` whose ``deserialize`` short-cuts primitives and generic objects."""

    def _deserialize_string(self, value: str | None) -> str:
        # pypsrp round-trips every string through UTF-16 to undo ``_xHHHH_`` escapes; a
        # string without "_x" has none.
        if value is not None and "_x" not in value:
            return value
        return str(super()._deserialize_string(value))

    def _get_types_from_obj(self, element: ET.Element) -> list[str]:
        # pypsrp's ``findall("TN/T")`` + ``find("TN")`` + ``find("TNRef")``, in one pass
        # over the children (ElementPath's generators cost more than the reading itself).
        types: list[str] = []
        first_tn: ET.Element | None = None
        first_ref: ET.Element | None = None
        for child in element:
            if child.tag == "TN":
                first_tn = first_tn if first_tn is not None else child
                types.extend(t.text or "" for t in child if t.tag == "T")
            elif child.tag == "TNRef" and first_ref is None:
                first_ref = child
        if types and first_tn is not None:
            self.tn[first_tn.attrib["RefId"]] = types
        if first_ref is not None:
            types = self.tn[first_ref.attrib["RefId"]]
        return types

    def deserialize(self, element: ET.Element | str, metadata: Any = None, clear: bool = True) -> Any:
        given = element
        text: str | None = None
        if isinstance(element, str):
            try:
                element = ET.fromstring(element)
            except ET.ParseError:
                return super().deserialize(given, metadata, clear)  # pypsrp logs it and returns the text
            text = given
        if metadata is not None and metadata.tag == "*":
            metadata.tag = element.tag  # pypsrp does this to the (possibly shared) metadata it is given
        decode = _PRIMITIVES.get(element.tag)
        if decode is not None:
            if clear:
                self._clear()
            return decode(self, element)
        if element.tag == "Obj" and metadata is _GENERIC:  # an entry of a "System.Object[]"
            if clear:
                self._clear()
            self._get_types_from_obj(element)  # registers the TN as pypsrp does
            return self._generic(element, text)
        if element.tag != "Obj" or not _plain(metadata):
            return super().deserialize(given, metadata, clear)
        if clear:
            self._clear()
        resolved = resolve_type(self._get_types_from_obj(element))  # registers the TN as pypsrp does
        if resolved is not None:
            name, is_list = resolved
            if not is_list and name in _GENERIC_TYPES:
                return self._generic(element, text)
            if not is_list and name in _LIST_TYPES:
                return self._list(element, ListMeta())
            if is_list and name in _PRIMITIVE_TYPES:
                return self._list(element, ListMeta(list_value_meta=ObjectMeta(_PRIMITIVE_TYPES[name])))
            if is_list and name in _GENERIC_TYPES:
                return self._list(element, ListMeta(list_value_meta=_GENERIC))
        return super().deserialize(given, metadata, clear=False)

    def _generic(self, element: ET.Element, text: str | None) -> Any:
        """What pypsrp makes of a "System.Object": a generic object, its ``_xml`` made when read."""
        obj = self._deserialize_dynamic_obj(element, _GENERIC)
        if text is not None:
            obj._xml = text
        else:
            obj._element = element
        return obj

    def _list(self, element: ET.Element, metadata: ListMeta) -> list[Any]:
        values: list[Any] = self._deserialize_lst(element, metadata)
        self.obj[element.attrib["RefId"]] = values  # a later <Ref> is this same list
        return values


def install(pool: Any) -> None:
    """Give a not yet opened pypsrp ``RunspacePool`` a ``FastSerializer`` (idempotent).

    The pool and its fragmenter share one serializer; it also carries the session key
    for secure strings, so it is replaced before the pool exchanges any message.
    """
    current = getattr(pool, "_serializer", None)
    fragmenter = getattr(pool, "_fragmenter", None)
    if current is None or fragmenter is None or isinstance(current, FastSerializer):
        return
    fast = FastSerializer()
    fast.cipher = current.cipher
    pool._serializer = fast
    fragmenter.serializer = fast
