"""``ElementTree.tostring`` for the XML pypsrp sends, byte-identical and a few times faster.

pypsrp serializes every WS-Man envelope it sends (``WSMan.invoke``, and a model one in
``WSMan._calc_envelope_size``) and some PSRP messages with
``ET.tostring(elem, encoding="utf-8", method="xml")``: 9 calls per pool open + command +
close through hvnet's session. ElementTree's generic writer walks the tree twice
(``_namespaces``, then ``_serialize_xml``) and pushes every piece through a
``TextIOWrapper``: ~85 us for a Receive envelope, ~1.5 ms of CPU per open + command + close.
``tostring`` here walks once, caches what it writes for each tag and attribute, and encodes
once: ~21 us, ~0.4 ms per run.

Equivalence: for the calls pypsrp makes (``encoding`` "utf-8" or "unicode", ``method``
None or "xml", no other keyword) it returns exactly what ``xml.etree.ElementTree.tostring``
(CPython 3.11) returns: xmlns declarations for every namespace of the tree on the root,
sorted by prefix; prefixes from ET's registry ``_namespace_map`` as it is at call time;
attributes in insertion order; ET's escaping of text and attributes; ``<tag />`` for an
empty element; lone surrogates as character references. Anything else — other
arguments, comments, processing instructions, ``QName`` objects, non-str text or
attributes, a namespace ET would have to invent an ``ns0`` prefix for, Element
subclasses — goes to ET itself. Checked by tests/transport/test_fast_xml.py (random
trees and pypsrp's real envelopes); measured with benchmarks/sim_protocol.py
("open + 1 command + close (hvnet session)").

``install()`` makes pypsrp's ``wsman``, ``messages`` and ``serializer`` modules see an
``ET`` whose ``tostring`` is this one. That is process-wide, which is acceptable only
because the output is byte-identical.
"""

from __future__ import annotations

import threading
import types
from typing import Any
from xml.etree import ElementTree as ET

import pypsrp.messages
import pypsrp.serializer
import pypsrp.wsman

__all__ = ["install", "tostring"]

_ELEMENT = ET.Element
_ENCODINGS = frozenset({"utf-8", "unicode"})
_METHODS = frozenset({None, "xml"})

_CACHE_MAX = 4096  # entries per cache; a cache that fills up is emptied (pypsrp uses a few dozen)

# A tag: its start "<p:local", its end "</p:local>", and the (uri, prefix) it needs declared
# on the root (uri None: an unqualified name or the implicit "xml" prefix).
_Tag = tuple[str, str, str | None, str]
# An attribute (name, value): ' p:name="escaped value"' and the same (uri, prefix).
_Attribute = tuple[str, str | None, str]


class _Unsupported(Exception):
    """The tree holds something only ElementTree's own writer handles."""


class _State:
    """What is written for a tag, an attribute, a set of namespaces — valid for one content
    of ET's ``_namespace_map``."""

    __slots__ = ("attributes", "declarations", "registry", "tags")

    def __init__(self, registry: dict[str, str]) -> None:
        self.registry = dict(registry)
        self.tags: dict[str, _Tag] = {}
        self.attributes: dict[tuple[str, str], _Attribute] = {}
        self.declarations: dict[tuple[tuple[str, str], ...], str] = {}

    def tag(self, tag: str) -> _Tag:
        written, uri, prefix = _resolve(tag, self.registry)
        return _remember(self.tags, tag, ("<" + written, "</" + written + ">", uri, prefix))

    def attribute(self, item: tuple[str, str]) -> _Attribute:
        written, uri, prefix = _resolve(item[0], self.registry)
        return _remember(self.attributes, item, (" " + written + '="' + _escape_attribute(item[1]) + '"', uri, prefix))

    def declare(self, used: tuple[tuple[str, str], ...]) -> str:
        # ET's order: sorted by prefix, ties in order of first use
        text = "".join(
            ' xmlns%s="%s"' % (":" + prefix if prefix else "", _escape_attribute(uri))  # noqa: UP031
            for uri, prefix in sorted(used, key=lambda item: item[1])
        )
        return _remember(self.declarations, used, text)


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> Any:
    if len(cache) >= _CACHE_MAX:
        cache.clear()
    cache[key] = value
    return value


_state = _State(ET._namespace_map)  # type: ignore[attr-defined]


def _resolve(name: str, registry: dict[str, str]) -> tuple[str, str | None, str]:
    """ET's ``_namespaces.add_qname`` for one name, minus inventing ns<N> prefixes."""
    if name[:1] != "{":
        return name, None, ""
    try:
        uri, local = name[1:].rsplit("}", 1)
    except ValueError:
        raise _Unsupported from None  # ET raises its own error for "{uri" without "}"
    prefix = registry.get(uri)
    if prefix is None:
        raise _Unsupported
    written = "%s:%s" % (prefix, local) if prefix else local  # noqa: UP031 - ET's exact formatting
    return written, (None if prefix == "xml" else uri), prefix


def _escape_text(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


_ATTRIBUTE_ESCAPES = (
    ("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"),
    ("\r", "&#13;"), ("\n", "&#10;"), ("\t", "&#09;"),
)  # in ET's order: "&" first


def _escape_attribute(value: str) -> str:
    for char, entity in _ATTRIBUTE_ESCAPES:
        if char in value:
            value = value.replace(char, entity)
    return value


def _serialize(root: Any) -> str:
    global _state
    registry: dict[str, str] = ET._namespace_map  # type: ignore[attr-defined]  # read at call time
    state = _state
    if state.registry != registry:
        state = _state = _State(registry)
    tags, attributes = state.tags, state.attributes
    used: dict[str, str] = {}  # uri -> prefix, in order of first use
    out: list[str] = []
    append = out.append

    def write(elem: Any) -> None:
        # exact types only: a QName hashes and compares like its text, but ET writes it differently
        if type(elem) is not _ELEMENT:
            raise _Unsupported
        tag = elem.tag
        if type(tag) is not str:  # also a Comment or ProcessingInstruction, or None
            raise _Unsupported
        entry = tags.get(tag) or state.tag(tag)
        if entry[2] is not None:
            used[entry[2]] = entry[3]
        append(entry[0])
        for item in elem.items():
            if type(item[0]) is not str or type(item[1]) is not str:
                raise _Unsupported
            attribute = attributes.get(item) or state.attribute(item)
            if attribute[1] is not None:
                used[attribute[1]] = attribute[2]
            append(attribute[0])
        text = elem.text
        if text:
            if type(text) is not str:
                raise _Unsupported
            append(">")
            append(_escape_text(text) if "&" in text or "<" in text or ">" in text else text)
            for child in elem:
                write(child)
            append(entry[1])
        elif len(elem):
            append(">")
            for child in elem:
                write(child)
            append(entry[1])
        else:
            append(" />")
        tail = elem.tail
        if tail:
            if type(tail) is not str:
                raise _Unsupported
            append(_escape_text(tail) if "&" in tail or "<" in tail or ">" in tail else tail)

    write(root)
    if used:
        # on the root, before its attributes: out[0] is "<" + tag
        key = tuple(used.items())
        out[0] += state.declarations.get(key) or state.declare(key)
    return "".join(out)


def tostring(element: Any, encoding: str | None = None, method: str | None = None, **kw: Any) -> bytes | str:
    """``xml.etree.ElementTree.tostring``, the same result; fast for pypsrp's calls."""
    if not kw and encoding in _ENCODINGS and method in _METHODS:
        try:
            text = _serialize(element)
        except (_Unsupported, RecursionError):
            pass  # ET writes it, or raises its own error
        else:
            return text if encoding == "unicode" else text.encode("utf-8", "xmlcharrefreplace")
    return ET.tostring(element, encoding, method, **kw)  # type: ignore[arg-type]


class _ElementTreeProxy(types.ModuleType):
    """``xml.etree.ElementTree`` with this module's ``tostring``.

    ET's attributes are bound at creation (a module ``__getattr__`` costs microseconds
    per access, and pypsrp reads ``ET.SubElement`` hundreds of times per pool): the same
    objects, but one replaced in ET afterwards is not seen here. Names ET gains later fall
    through to it.
    """

    def __init__(self) -> None:
        super().__init__(ET.__name__, ET.__doc__)
        vars(self).update({k: v for k, v in vars(ET).items() if not k.startswith("__")})
        self.tostring = tostring

    def __getattr__(self, name: str) -> Any:
        return getattr(ET, name)


# The pypsrp modules that call ET.tostring (all as ``import xml.etree.ElementTree as ET``).
_PYPSRP_MODULES: tuple[types.ModuleType, ...] = (pypsrp.wsman, pypsrp.messages, pypsrp.serializer)
_install_lock = threading.Lock()


def install() -> None:
    """Make pypsrp serialize its XML with ``tostring`` (idempotent, thread-safe).

    A module whose ``ET`` someone else has already replaced is left alone.
    """
    with _install_lock:
        proxy: _ElementTreeProxy | None = None
        for module in _PYPSRP_MODULES:
            if vars(module).get("ET") is ET:
                proxy = proxy or _ElementTreeProxy()
                module.ET = proxy  # type: ignore[attr-defined]
