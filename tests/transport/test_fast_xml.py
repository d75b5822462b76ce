"""``fast_xml.tostring`` returns exactly what ``ElementTree.tostring`` returns."""

from __future__ import annotations

import re
import types
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree as ET

import pypsrp.messages
import pypsrp.serializer
import pypsrp.wsman
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypsrp.complex_objects import PSInvocationState, RunspacePoolState
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import NAMESPACES, SelectorSet, WSMan

from engine.transport import fast_xml

PYPSRP_MODULES = (pypsrp.wsman, pypsrp.messages, pypsrp.serializer)
XML_NS = "http://www.w3.org/XML/1998/namespace"


@pytest.fixture(autouse=True)
def pypsrp_prefixes() -> Iterator[None]:
    """The registry as pypsrp leaves it (``WSMan`` registers its prefixes); restored afterwards."""
    saved = dict(ET._namespace_map)  # type: ignore[attr-defined]
    for prefix, uri in NAMESPACES.items():
        ET.register_namespace(prefix, uri)
    yield
    ET._namespace_map.clear()  # type: ignore[attr-defined]
    ET._namespace_map.update(saved)  # type: ignore[attr-defined]


def same(element: ET.Element, **kw: Any) -> bytes | str:
    expected = ET.tostring(element, **kw)
    assert fast_xml.tostring(element, **kw) == expected
    return expected


def pypsrp_call(element: ET.Element) -> bytes:
    """The call pypsrp makes (and its text twin): identical to ElementTree's."""
    same(element, encoding="unicode", method="xml")
    return same(element, encoding="utf-8", method="xml")  # type: ignore[return-value]


# -- random trees --------------------------------------------------------------------

URIS = sorted(set(NAMESPACES.values()) | set(ET._namespace_map))  # type: ignore[attr-defined]
LOCAL = st.text("abcAZ_-.9", min_size=1, max_size=6).filter(lambda s: s[0].isalpha())
NAME = st.one_of(LOCAL, st.builds(lambda uri, local: f"{{{uri}}}{local}", st.sampled_from(URIS), LOCAL))
SPECIAL = st.sampled_from(list("&<>\"'\r\n\t é€😀") + ["\ud800", "]]>", "&amp;"])
TEXT = st.lists(st.one_of(SPECIAL, st.text(max_size=5)), max_size=6).map("".join)
OPTIONAL_TEXT = st.one_of(st.none(), st.just(""), TEXT)
ATTRIBUTES = st.lists(st.tuples(st.one_of(NAME, st.just(f"{{{XML_NS}}}lang")), TEXT), max_size=4)


@st.composite
def trees(draw: st.DrawFn, depth: int = 4) -> ET.Element:
    element = ET.Element(draw(NAME), dict(draw(ATTRIBUTES)))
    element.text = draw(OPTIONAL_TEXT)
    element.tail = draw(OPTIONAL_TEXT)
    if depth:
        for child in draw(st.lists(trees(depth - 1), max_size=3)):
            element.append(child)
    return element


@settings(max_examples=400, deadline=None)
@given(trees())
def test_random_trees_serialize_identically(tree: ET.Element) -> None:
    same(tree, encoding="utf-8", method="xml")
    same(tree, encoding="unicode", method="xml")
    same(tree, encoding="utf-8")


def test_escaping_namespaces_and_empty_elements() -> None:
    root = ET.Element(f"{{{NAMESPACES['s']}}}Envelope", {"b": "a&b<c>d\"e'f\rg\nh\ti", f"{{{XML_NS}}}lang": "é"})
    root.text = "x & <y> \"z\" \r\n\t 😀 \ud83d"
    child = ET.SubElement(root, f"{{{NAMESPACES['rsp']}}}Stream", {f"{{{NAMESPACES['wsa']}}}a": "1", "Name": "stdin"})
    child.tail = "tail > &"
    ET.SubElement(child, "Empty").text = ""
    ET.SubElement(root, f"{{{NAMESPACES['xs']}}}Last")
    written = pypsrp_call(root)
    assert written.startswith(b'<s:Envelope xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" ')
    assert b'<Empty />' in written and b"&#55357;" in written
    assert b'b="a&amp;b&lt;c&gt;d&quot;e\'f&#13;g&#10;h&#09;i" xml:lang="\xc3\xa9"' in written


def test_a_changed_prefix_registry_is_seen_at_once() -> None:
    tree = ET.Element("{urn:hvnet-test}Root", {"{urn:hvnet-test}a": "1"})
    ET.register_namespace("one", "urn:hvnet-test")
    assert pypsrp_call(tree) == b'<one:Root xmlns:one="urn:hvnet-test" one:a="1" />'
    ET.register_namespace("two", "urn:hvnet-test")
    assert pypsrp_call(tree) == b'<two:Root xmlns:two="urn:hvnet-test" two:a="1" />'
    ET.register_namespace("", "urn:hvnet-test")  # a default namespace
    assert pypsrp_call(tree) == b'<Root xmlns="urn:hvnet-test" a="1" />'


# -- pypsrp's own envelopes and messages ---------------------------------------------


class _Sent(Exception):
    pass


def _pypsrp_trees(monkeypatch: pytest.MonkeyPatch) -> list[ET.Element]:
    """Every tree pypsrp serializes for Create, Command, Receive, Signal and Delete (nothing is sent)."""
    trees: list[ET.Element] = []
    recorder = types.ModuleType("recorder")
    vars(recorder).update({k: v for k, v in vars(ET).items() if not k.startswith("__")})

    def record(element: ET.Element, *args: Any, **kw: Any) -> Any:
        trees.append(element)
        return ET.tostring(element, *args, **kw)

    recorder.tostring = record  # type: ignore[attr-defined]
    for module in PYPSRP_MODULES:
        monkeypatch.setattr(module, "ET", recorder)

    wsman = WSMan("127.0.0.1", port=5985, ssl=False, auth="basic", username="u", password="p", encryption="never")

    def send(xml: bytes, **kw: Any) -> bytes:
        raise _Sent

    monkeypatch.setattr(wsman.transport, "send", send)

    def attempt(action: Any) -> None:
        with pytest.raises(_Sent):
            action()

    pool = RunspacePool(wsman)
    attempt(pool.open)  # Create, with SessionCapability + InitRunspacePool in creationXml
    pool.state, pool.protocol_version, pool.shell.id = RunspacePoolState.OPENED, "2.3", pool.id
    selectors = SelectorSet()
    selectors.add_option("ShellId", pool.id)
    pool.shell._selector_set, pool.shell.opened = selectors, True  # noqa: SLF001 - as a Create answer sets them
    ps = PowerShell(pool)
    ps.add_cmdlet("Get-VMSwitch").add_parameter("Name", "a<&>\"'\r\n\té").add_cmdlet("Select-Object")
    ps.add_parameter("Property", ["Name", "Id"])
    attempt(ps.begin_invoke)  # Command
    ps.state = PSInvocationState.RUNNING
    attempt(ps.poll_invoke)  # Receive
    attempt(ps.stop)  # Signal
    attempt(pool.close)  # Delete
    return trees


def test_pypsrp_envelopes_and_messages_serialize_identically(monkeypatch: pytest.MonkeyPatch) -> None:
    trees = _pypsrp_trees(monkeypatch)
    actions = []
    for tree in trees:
        written = pypsrp_call(tree)
        action = tree.find(f".//{{{NAMESPACES['wsa']}}}Action")
        actions.append(action.text.rsplit("/", 1)[-1] if action is not None else written[:4].decode())
    # _calc_envelope_size's Send, the pool's two messages, Create, the pipeline, Command, ...
    assert actions == ["Send", "<Obj", "<Obj", "Create", "<Obj", "Command", "Receive", "Signal", "Delete"]


# -- everything else is ElementTree's ------------------------------------------------


def test_what_it_does_not_write_itself_comes_from_elementtree() -> None:
    unregistered = ET.Element("{urn:nobody}a", {"{urn:nobody-either}b": "1"})
    assert pypsrp_call(unregistered).startswith(b"<ns0:a ")
    with_comment = ET.Element("a")
    with_comment.append(ET.Comment(" c "))
    with_comment.append(ET.ProcessingInstruction("pi", "x"))
    assert pypsrp_call(with_comment) == b"<a><!-- c --><?pi x?></a>"
    qnames = ET.Element(ET.QName(NAMESPACES["s"], "Body"), {"t": ET.QName(NAMESPACES["wsa"], "To")})  # type: ignore[dict-item]
    assert b't="wsa:To"' in pypsrp_call(qnames)
    tagless = ET.Element(None)  # type: ignore[arg-type]
    tagless.text = "just text"
    assert pypsrp_call(tagless) == b"just text"
    tree = ET.Element(f"{{{NAMESPACES['s']}}}Envelope", {"a": "é"})
    ET.SubElement(tree, "b")
    for kw in ({}, {"encoding": "us-ascii"}, {"encoding": "utf-16"}, {"encoding": "UTF-8"},
               {"encoding": "utf-8", "method": "html"}, {"encoding": "utf-8", "method": "text"},
               {"encoding": "utf-8", "xml_declaration": True}, {"encoding": "utf-8", "short_empty_elements": False}):
        same(tree, **kw)
    same(ET.Element("{urn:d}a", {"{urn:d}b": "1"}), encoding="utf-8", method="xml", default_namespace="urn:d")


@pytest.mark.parametrize("broken", ["number text", "number attribute", "brace"])
def test_elementtree_errors_are_elementtrees(broken: str) -> None:
    element = ET.Element("{unclosed" if broken == "brace" else "a")
    if broken == "number text":
        element.text = 5  # type: ignore[assignment]
    if broken == "number attribute":
        element.set("n", 5)  # type: ignore[arg-type]
    with pytest.raises(Exception) as expected:
        ET.tostring(element, encoding="utf-8", method="xml")
    with pytest.raises(expected.type, match=re.escape(str(expected.value))):
        fast_xml.tostring(element, encoding="utf-8", method="xml")


# -- install -------------------------------------------------------------------------


def test_install_gives_pypsrp_this_tostring_and_elementtree_for_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in PYPSRP_MODULES:
        monkeypatch.setattr(module, "ET", ET)  # as pypsrp imports it; restored after the test
    fast_xml.install()
    proxy = pypsrp.wsman.ET
    fast_xml.install()  # idempotent
    for module in PYPSRP_MODULES:
        assert module.ET is proxy
    assert proxy.tostring is fast_xml.tostring
    assert proxy.Element is ET.Element and proxy.SubElement is ET.SubElement and proxy.fromstring is ET.fromstring
    assert proxy.register_namespace is ET.register_namespace
    monkeypatch.setattr(ET, "hvnet_added_later", 1, raising=False)
    assert proxy.hvnet_added_later == 1


def test_pypsrp_trees_never_need_elementtree(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path is taken for all of them: ElementTree's writer is not called once."""
    trees = _pypsrp_trees(monkeypatch)
    delegated: list[ET.Element] = []
    monkeypatch.setattr(ET, "tostring", lambda element, *a, **kw: delegated.append(element))
    for tree in trees:
        fast_xml.tostring(tree, encoding="utf-8", method="xml")
    assert delegated == []
