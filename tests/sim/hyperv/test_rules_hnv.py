"""HNVv1 policy records (NetWNV): keys, ranges and removal (hyperv-model §1.6)."""

from __future__ import annotations

from engine.sim.hyperv import cmdlets_hnv as H
from engine.sim.hyperv.rules import to_psobj

from .rules_world import ok, refused, run, terminating, world

RDID = "{11111111-2222-3333-4444-000000000000}"


def test_a_provider_address_needs_a_local_interface_and_is_unique() -> None:
    model = world()
    err = terminating(H.new_provider_address, model, {"ProviderAddress": "192.168.1.10", "InterfaceIndex": 99, "PrefixLength": 24})
    assert err.fully_qualified_error_id == "Windows System Error 87,New-NetVirtualizationProviderAddress"
    (pa,) = ok(H.new_provider_address, model, {"ProviderAddress": "192.168.1.10", "InterfaceIndex": 13, "PrefixLength": 24, "VlanID": 100})
    assert pa.get("ProviderAddress") == "192.168.1.10" and model.provider_addresses[0].mac == "A0369F000001"
    err = terminating(H.new_provider_address, model, {"ProviderAddress": "192.168.1.10", "InterfaceIndex": 13, "PrefixLength": 24})
    assert err.category == "ResourceExists" and len(model.provider_addresses) == 1


def lookup(model, ca="10.0.0.5", vsid=5001, **extra):
    params = {"CustomerAddress": ca, "VirtualSubnetID": vsid, "MACAddress": "00-15-5D-01-02-03",
              "ProviderAddress": "192.168.1.10", "Rule": "TranslationMethodEncap", "VMName": "web01", **extra}
    return ok(H.new_lookup_record, model, params)


def test_lookup_records_are_keyed_by_customer_address_and_subnet() -> None:
    model = world()
    lookup(model)
    err = terminating(H.new_lookup_record, model, {"CustomerAddress": "10.0.0.5", "VirtualSubnetID": 5001, "MACAddress": "00155D010204",
                                                   "ProviderAddress": "192.168.1.11", "Rule": "TranslationMethodEncap"})
    assert err.category == "ResourceExists"
    lookup(model, vsid=5002)
    assert [(r.customer_address, r.virtual_subnet_id, r.mac) for r in model.lookup_records] == [
        ("10.0.0.5", 5001, "00155D010203"), ("10.0.0.5", 5002, "00155D010203")]


def test_virtual_subnet_ids_and_addresses_are_validated() -> None:
    model = world()
    for params in ({"vsid": 4095}, {"vsid": 16_777_215}, {"ca": "10.0.0.300"}):
        vsid = params.get("vsid", 5001)
        ca = params.get("ca", "10.0.0.5")
        err = terminating(H.new_lookup_record, model, {"CustomerAddress": ca, "VirtualSubnetID": vsid, "MACAddress": "00155D010203",
                                                       "ProviderAddress": "192.168.1.10", "Rule": "TranslationMethodEncap"})
        assert err.category == "InvalidArgument"
    assert model.lookup_records == []
    lookup(model, vsid=16_777_214)


def test_remove_by_piped_record_removes_only_that_record() -> None:
    model = world()
    lookup(model, ca="10.0.0.5")
    lookup(model, ca="10.0.0.6")
    piped = to_psobj("lookup", model, model.lookup_records[1])
    ok(H.remove_lookup_record, model, {}, [piped])
    assert [r.customer_address for r in model.lookup_records] == ["10.0.0.5"]
    err = refused(H.remove_lookup_record, model, {"CustomerAddress": ["10.9.9.9"]})
    assert err.fully_qualified_error_id == "CmdletizationQuery_NotFound_CustomerAddress,Remove-NetVirtualizationLookupRecord"
    assert len(model.lookup_records) == 1


def test_customer_routes_are_unique_per_domain_subnet_and_prefix() -> None:
    model = world()
    params = {"RoutingDomainID": RDID, "VirtualSubnetID": 5001, "DestinationPrefix": "10.0.0.0/24", "NextHop": "0.0.0.0"}
    ok(H.new_customer_route, model, params)
    err = terminating(H.new_customer_route, model, {**params, "RoutingDomainID": RDID.lower()})
    assert err.category == "ResourceExists"
    err = terminating(H.new_customer_route, model, {**params, "DestinationPrefix": "10.0.0.1/24"})
    assert "not a valid IP prefix" in err.message
    ok(H.new_customer_route, model, {**params, "DestinationPrefix": "10.0.1.0/24", "Metric": 10})
    out, errors = run(H.remove_customer_route, model, {"DestinationPrefix": ["10.0.0.0/24"], "VirtualSubnetID": [5001]})
    assert errors == [] and [r.destination_prefix for r in model.customer_routes] == ["10.0.1.0/24"]
