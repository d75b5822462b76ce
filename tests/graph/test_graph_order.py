"""Dependency edges and converge order of desired resources (pure, no I/O)."""

from __future__ import annotations

import random

import pytest

from engine.errors import ManifestError, Position
from engine.graph import apply_order, build_graph
from engine.model.resources import (
    HostVNic,
    LookupRecordSpec,
    NetworkVirtualization,
    SriovNic,
    SriovPolicy,
    VMNetworkAdapter,
    VMSwitch,
)


def at(line: int) -> Position:
    return Position("lab/site.yaml", line, 1)


def switch(name: str, type_: object = "External", host: str = "hv01", **kw: object) -> VMSwitch:
    return VMSwitch(host=host, name=name, type=type_, source=at(10), **kw)  # type: ignore[arg-type]


def adapter(
    name: str, sw: str | None, vm: str = "web01", host: str = "hv01", **kw: object
) -> VMNetworkAdapter:
    return VMNetworkAdapter(host=host, name=name, vm=vm, adapter_name=name, switch=sw, source=at(20), **kw)  # type: ignore[arg-type]


def test_adapters_and_host_vnics_come_after_their_switch_matched_case_insensitively() -> None:
    sw = switch("SW-Compute")
    vnic = HostVNic(host="hv01", name="Management", switch="sw-compute")
    vm = adapter("Frontend", "SW-COMPUTE")
    graph = build_graph([vm, vnic, sw])
    assert graph.has_edge(sw.address, vnic.address)
    assert graph.has_edge(sw.address, vm.address)
    assert graph.edges[sw.address, vm.address]["reason"] == "uses switch SW-Compute"
    assert apply_order(graph) == [sw.address, vnic.address, vm.address]


def test_adapter_on_an_undeclared_or_no_switch_has_no_dependency() -> None:
    graph = build_graph([switch("sw-a"), adapter("a", "sw-unmanaged"), adapter("b", None)])
    assert graph.number_of_edges() == 0


def test_offline_sriov_policy_precedes_every_switch_that_may_be_external() -> None:
    policy = SriovPolicy(host="hv01", name="pf-sriov")
    external = switch("sw-ext")
    untyped = switch("sw-untyped", type_=None)  # type unmanaged: may be External on the host
    internal = switch("sw-int", type_="Internal")
    private = switch("sw-priv", type_="private")
    graph = build_graph([external, untyped, internal, private, policy])
    assert sorted(v for _, v in graph.out_edges(policy.address)) == sorted(
        [external.address, untyped.address]
    )


def test_expanded_sriov_nic_precedes_only_switches_using_that_nic() -> None:
    nic1 = SriovNic(host="hv01", name="pf-sriov", nic="SLOT 3 Port 1")
    nic2 = SriovNic(host="hv01", name="pf-sriov", nic="SLOT 4 Port 1")
    team = switch("sw-team")
    other = switch("sw-other")
    uplinks = {team.address: {"slot 3 port 1", "SLOT 3 Port 2"}, other.address: {"SLOT 5 Port 1"}}
    graph = build_graph([team, other, nic1, nic2], nic_of_switch=uplinks)
    assert list(graph.out_edges(nic1.address)) == [(nic1.address, team.address)]
    assert list(graph.out_edges(nic2.address)) == []
    assert graph.edges[nic1.address, team.address]["reason"] == "SR-IOV on uplink SLOT 3 Port 1"


def test_network_virtualization_waits_for_adapters_in_its_virtual_subnets() -> None:
    record = LookupRecordSpec("192.168.1.10", "10.10.0.11", 5001, "00155D010A01", "web01")
    nv = NetworkVirtualization(host="hv01", name="tenant-blue", lookup_records=(record,))
    blue = adapter("blue", "sw", virtual_subnet_id=5001)
    red = adapter("red", "sw", virtual_subnet_id=6001)
    plain = adapter("plain", "sw")
    graph = build_graph([nv, blue, red, plain])
    assert list(graph.in_edges(nv.address)) == [(blue.address, nv.address)]


def test_edges_never_cross_hosts() -> None:
    sw1, sw2 = switch("sw", host="hv01"), switch("sw", host="hv02")
    a2 = adapter("a", "sw", host="hv02")
    graph = build_graph([sw1, sw2, a2, SriovPolicy(host="hv01", name="p")])
    assert list(graph.in_edges(a2.address)) == [(sw2.address, a2.address)]
    assert ("hv01/SriovPolicy/p", sw2.address) not in graph.edges


def test_deletes_come_after_creates_and_in_reverse_dependency_order() -> None:
    old_sw = switch("sw-old", ensure="absent")
    old_vm = adapter("old", "sw-old", ensure="absent")
    old_vnic = HostVNic(host="hv01", name="Storage", switch="sw-old", ensure="absent")
    new_sw = switch("sw-new")
    new_vm = adapter("new", "sw-new")
    order = apply_order(build_graph([old_sw, old_vm, old_vnic, new_sw, new_vm]))
    assert order == [new_sw.address, new_vm.address, old_vm.address, old_vnic.address, old_sw.address]


def test_order_is_the_same_whatever_the_input_order() -> None:
    resources = [
        SriovPolicy(host="hv01", name="pf"),
        switch("b"),
        switch("a"),
        switch("int", type_="Internal"),
        adapter("z", "a"),
        adapter("y", "b"),
        HostVNic(host="hv01", name="mgmt", switch="a"),
        adapter("gone", "a", ensure="absent"),
    ]
    expected = apply_order(build_graph(resources))
    rng = random.Random(7)
    for _ in range(20):
        shuffled = resources[:]
        rng.shuffle(shuffled)
        assert apply_order(build_graph(shuffled)) == expected
    assert expected[:4] == ["hv01/SriovPolicy/pf", "hv01/VMSwitch/a", "hv01/VMSwitch/b", "hv01/VMSwitch/int"]


def test_addresses_with_slashes_stay_distinct_nodes() -> None:
    a, b = switch("a/b"), switch("a%2Fb")
    graph = build_graph([a, b])
    assert sorted(graph.nodes) == ["hv01/VMSwitch/a%252Fb", "hv01/VMSwitch/a%2Fb"]


def test_a_resource_declared_twice_is_an_error_naming_both_places() -> None:
    first = VMSwitch(host="hv01", name="sw", source=Position("a.yaml", 3, 1))
    second = VMSwitch(host="hv01", name="sw", source=Position("b.yaml", 7, 1))
    with pytest.raises(ManifestError) as caught:
        build_graph([first, second])
    text = str(caught.value)
    assert "b.yaml:7:1: error: VMSwitch/sw is declared twice for host hv01" in text
    assert "first declared at a.yaml:3:1" in text


def test_a_cycle_is_an_error_that_shows_the_cycle_and_positions() -> None:
    sw = VMSwitch(host="hv01", name="sw", source=Position("net.yaml", 1, 1))
    vm = adapter("a", "sw")
    graph = build_graph([sw, vm])
    graph.add_edge(vm.address, sw.address, reason="forced")  # what a future rule gone wrong would do
    with pytest.raises(ManifestError) as caught:
        apply_order(graph)
    (diag,) = caught.value.diagnostics
    assert diag.summary == "dependency cycle: hv01/VMSwitch/sw -> hv01/VMNetworkAdapter/a -> hv01/VMSwitch/sw"
    assert diag.position == Position("net.yaml", 1, 1)
    assert "VMNetworkAdapter/a at lab/site.yaml:20:1" in diag.detail
    assert "VMSwitch/sw at net.yaml:1:1" in diag.detail
