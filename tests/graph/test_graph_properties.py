"""Property: whatever the resources, the order honours every dependency."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.graph import apply_order, build_graph
from engine.model.resources import HostVNic, Resource, SriovPolicy, VMNetworkAdapter, VMSwitch

NAMES = st.sampled_from(["a", "B", "sw*", "x y"])
ENSURE = st.sampled_from(["present", "absent"])


@st.composite
def resources(draw: st.DrawFn) -> list[Resource]:
    out: dict[str, Resource] = {}
    for name in draw(st.lists(NAMES, max_size=4)):
        sw = VMSwitch(
            host="h", name=name, type=draw(st.sampled_from(["External", "Internal"])), ensure=draw(ENSURE)
        )
        out[sw.address] = sw
    for i, sw_name in enumerate(draw(st.lists(NAMES, max_size=5))):
        user: Resource
        if draw(st.booleans()):
            user = VMNetworkAdapter(
                host="h", name=f"n{i}", vm="vm", switch=sw_name.upper(), ensure=draw(ENSURE)
            )
        else:
            user = HostVNic(host="h", name=f"n{i}", switch=sw_name, ensure=draw(ENSURE))
        out[user.address] = user
    if draw(st.booleans()):
        policy = SriovPolicy(host="h", name="p", ensure=draw(ENSURE))
        out[policy.address] = policy
    return list(out.values())


@settings(max_examples=60, deadline=None)
@given(resources(), st.randoms(use_true_random=False))
def test_order_respects_every_edge_and_ignores_input_order(items: list[Resource], rnd) -> None:  # type: ignore[no-untyped-def]
    graph = build_graph(items)
    order = apply_order(graph)
    assert sorted(order) == sorted(graph.nodes)
    pos = {a: i for i, a in enumerate(order)}
    for before, after in graph.edges:
        if (
            graph.nodes[after]["resource"].ensure == "absent"
            and graph.nodes[before]["resource"].ensure == "absent"
        ):
            assert pos[after] < pos[before]  # delete the dependent first
        elif (
            graph.nodes[after]["resource"].ensure == "present"
            and graph.nodes[before]["resource"].ensure == "present"
        ):
            assert pos[before] < pos[after]
    shuffled = items[:]
    rnd.shuffle(shuffled)
    assert apply_order(build_graph(shuffled)) == order
