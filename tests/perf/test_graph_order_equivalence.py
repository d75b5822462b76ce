"""The planner's own topological sort gives networkx's lexicographical order, exactly."""

from __future__ import annotations

from types import SimpleNamespace

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.graph import KIND_RANK, _topological

KINDS = [*KIND_RANK, "SomethingElse"]


@st.composite
def dags(draw: st.DrawFn) -> tuple[nx.DiGraph, dict[str, SimpleNamespace]]:
    n = draw(st.integers(min_value=0, max_value=25))
    names = [f"h/{draw(st.sampled_from(KINDS))}/r{i:02d}" for i in range(n)]
    resources = {name: SimpleNamespace(kind=name.split("/")[1]) for name in names}
    graph = nx.DiGraph()
    graph.add_nodes_from(names)
    order = draw(st.permutations(names))  # edges only forward in a random order: acyclic
    for i, j in draw(st.lists(st.tuples(st.integers(0, max(n - 1, 0)), st.integers(0, max(n - 1, 0))), max_size=60)):
        if n and i < j:
            graph.add_edge(order[i], order[j])
    return graph, resources


@settings(max_examples=300, deadline=None)
@given(dags())
def test_same_order_as_networkx(case: tuple[nx.DiGraph, dict[str, SimpleNamespace]]) -> None:
    graph, resources = case

    def key(address: str) -> tuple[int, str]:
        return (KIND_RANK.get(resources[address].kind, len(KIND_RANK)), address)

    assert _topological(graph, resources) == list(nx.lexicographical_topological_sort(graph, key=key))  # type: ignore[arg-type]


def test_a_cycle_has_no_order() -> None:
    graph = nx.DiGraph([("a", "b"), ("b", "a")])
    resources = {"a": SimpleNamespace(kind="VMSwitch"), "b": SimpleNamespace(kind="VMSwitch")}
    assert _topological(graph, resources) is None  # type: ignore[arg-type]
