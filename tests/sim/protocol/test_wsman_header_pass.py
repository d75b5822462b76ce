"""``wsman.parse_request`` reads the SOAP header in one pass over its children: the same
request as looking each element up with ElementTree's ``find`` (the former code, below)."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.sim import wsman

A, W = wsman.NS_ADDRESSING, wsman.NS_WSMAN


def reference(data: bytes) -> Any:
    """parse_request as it was, with ``find``/``findtext``/``iterfind`` per element."""
    root = ElementTree.fromstring(data)
    header = root.find(f"{{{wsman.NS_SOAP}}}Header")
    assert header is not None
    action = (header.findtext(f"{{{A}}}Action") or "").strip()
    message_id = (header.findtext(f"{{{A}}}MessageID") or "").strip()
    if not action or not message_id:
        return "fault"
    request = wsman.Request(action=action, message_id=message_id)
    request.resource_uri = (header.findtext(f"{{{W}}}ResourceURI") or "").strip()
    for sel in header.iterfind(f"{{{W}}}SelectorSet/{{{W}}}Selector"):
        request.selectors[sel.get("Name", "")] = (sel.text or "").strip()
    for opt in header.iterfind(f"{{{W}}}OptionSet/{{{W}}}Option"):
        request.options[opt.get("Name", "")] = (opt.text or "").strip()
    timeout = header.findtext(f"{{{W}}}OperationTimeout")
    if timeout:
        request.operation_timeout = wsman.parse_duration(timeout)
    size = header.findtext(f"{{{W}}}MaxEnvelopeSize")
    if size:
        request.max_envelope_size = int(size.strip())
    return (request.action, request.message_id, request.resource_uri, request.selectors, request.options,
            request.operation_timeout, request.max_envelope_size)


def ours(data: bytes) -> Any:
    try:
        r = wsman.parse_request(data)
    except wsman.Fault:
        return "fault"
    return (r.action, r.message_id, r.resource_uri, r.selectors, r.options, r.operation_timeout, r.max_envelope_size)


_TEXT = st.sampled_from(["", " x ", "uuid:1", "ShellId", "PT5S", "PT0.500S", "4096", " 512000 "])
_NAME = st.sampled_from(["ShellId", "shellid", "protocolversion", ""])


def _item(tag: str) -> st.SearchStrategy[str]:
    named = st.builds(lambda n, t: f'<w:{tag} Name="{n}">{t}</w:{tag}>', _NAME, _TEXT)
    return st.one_of(named, st.builds(lambda t: f"<w:{tag}>{t}</w:{tag}>", _TEXT), st.just("<w:Other>o</w:Other>"))


_CHILD = st.one_of(
    st.builds(lambda t: f"<a:Action>{t or 'act'}</a:Action>", _TEXT),
    st.builds(lambda t: f"<a:MessageID>{t or 'mid'}</a:MessageID>", _TEXT),
    st.just("<a:Action/>"),
    st.builds(lambda t: f"<w:ResourceURI>{t}</w:ResourceURI>", _TEXT),
    st.sampled_from(["<w:OperationTimeout>PT20S</w:OperationTimeout>", "<w:OperationTimeout/>",
                     "<w:MaxEnvelopeSize> 153600 </w:MaxEnvelopeSize>", "<w:MaxEnvelopeSize></w:MaxEnvelopeSize>"]),
    st.builds(lambda items: "<w:SelectorSet>" + "".join(items) + "</w:SelectorSet>", st.lists(_item("Selector"), max_size=3)),
    st.builds(lambda items: "<w:OptionSet>" + "".join(items) + "</w:OptionSet>", st.lists(_item("Option"), max_size=3)),
    st.just("<w:Selector Name='ShellId'>outside a set</w:Selector>"),
    st.just("<a:To>somewhere</a:To>"),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_CHILD, max_size=10))
def test_one_pass_reads_what_find_read(children: list[str]) -> None:
    data = (
        f'<s:Envelope xmlns:s="{wsman.NS_SOAP}" xmlns:a="{A}" xmlns:w="{W}"><s:Header>'
        + "".join(children)
        + "</s:Header><s:Body/></s:Envelope>"
    ).encode()
    assert ours(data) == reference(data)
