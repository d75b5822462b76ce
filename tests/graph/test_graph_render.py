"""Rendering the graph as DOT, Mermaid and JSON: stable, escaped, in apply order."""

from __future__ import annotations

import json
import re

import pytest

from engine.errors import Position
from engine.graph import build_graph, render_graph
from engine.model.resources import HostVNic, SriovNic, VMNetworkAdapter, VMSwitch

TRICKY = 'sw "blue" [prod] #1 <x>'


def lab_graph():  # type: ignore[no-untyped-def]
    sw = VMSwitch(host="hv01", name=TRICKY, type="External", source=Position("lab/net.yaml", 4, 1))
    vm = VMNetworkAdapter(host="hv01", name="web01-fe", vm="web01", adapter_name="Frontend", switch=TRICKY)
    gone = HostVNic(host="hv01", name="Old", switch=TRICKY, ensure="absent")
    return build_graph([gone, vm, sw])


def test_dot_lists_nodes_in_apply_order_with_escaped_labels_and_edge_reasons() -> None:
    dot = render_graph(lab_graph(), "dot")
    lines = dot.splitlines()
    assert lines[0] == "digraph hvnet {"
    assert lines[-1] == "}"
    node_lines = [line for line in lines if "[label=" in line and "->" not in line]
    ids = [re.match(r'  "((?:[^"\\]|\\.)*)"', line).group(1) for line in node_lines]  # type: ignore[union-attr]
    assert ids == [
        'hv01/VMSwitch/sw \\"blue\\" [prod] #1 <x>',
        "hv01/VMNetworkAdapter/web01-fe",
        "hv01/HostVNic/Old",
    ]
    assert '"hv01/VMSwitch/sw \\"blue\\" [prod] #1 <x>"' in dot
    assert "style=dashed" in node_lines[2]  # a delete is drawn dashed
    assert "VM web01, adapter Frontend" in node_lines[1]
    assert '[label="uses switch sw \\"blue\\" [prod] #1 <x>"]' in dot


def test_mermaid_encodes_characters_that_would_break_a_label() -> None:
    text = render_graph(lab_graph(), "mermaid")
    assert text.startswith("flowchart LR\n")
    assert 'n0["hv01<br/>VMSwitch<br/>sw #quot;blue#quot; [prod] #35;1 #lt;x#gt;"]' in text
    assert '  n0 -->|"uses switch sw #quot;blue#quot; [prod] #35;1 #lt;x#gt;"| n1' in text
    assert "  class n2 absent;" in text
    assert TRICKY not in text


def test_json_round_trips_with_nodes_edges_and_order() -> None:
    data = json.loads(render_graph(lab_graph(), "json"))
    assert data["order"] == [
        f"hv01/VMSwitch/{TRICKY}",
        "hv01/VMNetworkAdapter/web01-fe",
        "hv01/HostVNic/Old",
    ]
    assert data["nodes"][0] == {
        "address": f"hv01/VMSwitch/{TRICKY}",
        "host": "hv01",
        "kind": "VMSwitch",
        "name": TRICKY,
        "ensure": "present",
        "source": "lab/net.yaml:4:1",
    }
    assert {(e["from"], e["to"]) for e in data["edges"]} == {
        (f"hv01/VMSwitch/{TRICKY}", "hv01/VMNetworkAdapter/web01-fe"),
        (f"hv01/VMSwitch/{TRICKY}", "hv01/HostVNic/Old"),
    }


def test_sriov_target_nic_shows_in_every_format() -> None:
    graph = build_graph([SriovNic(host="hv01", name="pf", nic="SLOT 3 Port 1")])
    assert json.loads(render_graph(graph, "json"))["nodes"][0]["target"] == "SLOT 3 Port 1"
    assert "SLOT 3 Port 1" in render_graph(graph, "dot")
    assert "SLOT 3 Port 1" in render_graph(graph, "mermaid")


@pytest.mark.parametrize("fmt", ["dot", "mermaid", "json"])
def test_rendering_is_byte_for_byte_repeatable(fmt: str) -> None:
    assert render_graph(lab_graph(), fmt) == render_graph(lab_graph(), fmt)


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="format must be one of dot, mermaid, json"):
        render_graph(lab_graph(), "svg")
