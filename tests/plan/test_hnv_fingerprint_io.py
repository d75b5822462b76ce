"""HNV set semantics, fingerprint (configuration only), desired-state round trip."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from engine.model.resources import (
    CustomerRouteSpec,
    HostVNic,
    LookupRecordSpec,
    NetworkVirtualization,
    NicSelector,
    ProviderAddressSpec,
    Resource,
    SriovNic,
    VlanSpec,
    VMNetworkAdapter,
    VMSwitch,
)
from engine.observe.model import CustomerRoute, LookupRecord, ProviderAddress
from engine.plan import (
    describe_staleness,
    fingerprint,
    fingerprint_parts,
    resources_from_json,
    resources_to_json,
)
from plan.factories import HOST, adapter, change_of, cmdlets, nic, observed, params_of, plan, pos, switch, vm

NV = f"{HOST}/NetworkVirtualization/blue"
RD = "{11111111-2222-3333-4444-000000000001}"


def _nv(**spec: object) -> NetworkVirtualization:
    return NetworkVirtualization(host=HOST, name="blue", **spec)


def _pa() -> ProviderAddressSpec:
    return ProviderAddressSpec(NicSelector(names=("P1",)), "10.10.0.11", 24, 100)


def _lr(mac: str = "00155D010A01") -> LookupRecordSpec:
    return LookupRecordSpec("192.168.1.10", "10.10.0.11", 5001, mac, "web01")


def test_missing_records_are_added_in_dependency_order() -> None:
    route = CustomerRouteSpec(RD, 5001, "192.168.1.0/24", "0.0.0.0")
    c = change_of(plan([_nv(provider_addresses=(_pa(),), lookup_records=(_lr(),), customer_routes=(route,))],
                       observed(net_adapters=[nic("P1", interface_index=7)])), NV)
    assert (c.action, c.risk) == ("update", "vnic-blip")
    assert cmdlets(c) == [["New-NetVirtualizationProviderAddress"], ["New-NetVirtualizationLookupRecord"],
                          ["New-NetVirtualizationCustomerRoute"]]
    assert params_of(c, "New-NetVirtualizationProviderAddress") == {
        "InterfaceIndex": 7, "ProviderAddress": "10.10.0.11", "PrefixLength": 24, "VlanID": 100}


def test_present_records_are_in_sync_and_others_unmanaged() -> None:
    obs = observed(net_adapters=[nic("P1")],
                   lookup_records=[LookupRecord("192.168.1.10", "10.10.0.11", 5001, "00155D010A01", "WEB01",
                                                "TranslationMethodEncap"),
                                   LookupRecord("192.168.9.9", "10.10.0.12", 6000, "00155D0000AA", "x",
                                                "TranslationMethodEncap")])
    hp = plan([_nv(lookup_records=(_lr("00-15-5d-01-0a-01"),))], obs)
    assert change_of(hp, NV).action == "noop"
    assert hp.unmanaged == (f"{HOST}/LookupRecord/192.168.9.9 vsid 6000",)


def test_a_record_with_other_values_is_replaced() -> None:
    obs = observed(lookup_records=[LookupRecord("192.168.1.10", "10.10.0.99", 5001, "00155D010A01", "web01",
                                                "TranslationMethodEncap")])
    c = change_of(plan([_nv(lookup_records=(_lr(),))], obs), NV)
    assert cmdlets(c) == [["Get-NetVirtualizationLookupRecord", "Remove-NetVirtualizationLookupRecord"],
                          ["New-NetVirtualizationLookupRecord"]]


def test_absent_removes_records_no_manifest_declares() -> None:
    obs = observed(provider_addresses=[ProviderAddress("10.10.0.11", 24, 7, 100)],
                   customer_routes=[CustomerRoute(RD, 5001, "192.168.1.0/24", "0.0.0.0")])
    hp = plan([_nv(ensure="absent")], obs)
    c = change_of(hp, NV)
    assert c.action == "delete"
    assert cmdlets(c) == [["Get-NetVirtualizationCustomerRoute", "Remove-NetVirtualizationCustomerRoute"],
                          ["Get-NetVirtualizationProviderAddress", "Remove-NetVirtualizationProviderAddress"]]
    assert hp.unmanaged == ()


# --- fingerprint --------------------------------------------------------------------------


def _fp_host(**nic_fields: object) -> object:
    sw = switch("sw", uplinks=("P1",))
    return observed(net_adapters=[nic("P1", **nic_fields)], switches=[sw], vms=[vm("web01")],
                    adapters=[adapter("Frontend", "web01", sw)])


def test_fingerprint_ignores_runtime_values() -> None:
    base = _fp_host()
    sw = switch("sw", uplinks=("P1",), iov_virtual_functions_in_use=3, iov_support=True)
    busy = dataclasses.replace(
        _fp_host(status="Disconnected", link_speed_bps=1, sriov_vfs_in_use=9), switches=(sw,),
        adapters=(adapter("Frontend", "web01", sw, iov_usage=1, vf_data_path_active=True, status="Degraded"),))
    assert fingerprint(fingerprint_parts(base)) == fingerprint(fingerprint_parts(busy))  # type: ignore[arg-type]
    assert fingerprint(fingerprint_parts(base)).startswith("sha256:")  # type: ignore[arg-type]


def test_staleness_names_what_changed() -> None:
    before = _fp_host()
    hp = plan([VMSwitch(host=HOST, name="sw", notes="x")], before)  # type: ignore[arg-type]
    assert describe_staleness(hp, before) == []  # type: ignore[arg-type]
    after = dataclasses.replace(before, switches=(switch("sw", uplinks=("P1",), notes="edited"),))  # type: ignore[type-var]
    assert describe_staleness(hp, after) == [f"{HOST}/VMSwitch/sw: configuration changed"]
    gone = dataclasses.replace(before, adapters=())  # type: ignore[type-var]
    assert describe_staleness(hp, gone) == [f"{HOST}/VMNetworkAdapter/web01/Frontend: removed from the host"]


# --- desired state round trip ---------------------------------------------------------------

names = st.text(st.characters(min_codepoint=32, max_codepoint=0x24F, exclude_characters="\x7f"), min_size=1,
                max_size=12)
vlans = st.one_of(st.just(VlanSpec("untagged")), st.builds(VlanSpec, st.just("access"), st.integers(1, 4094)),
                  st.builds(lambda n, a: VlanSpec("trunk", native_vlan_id=n, allowed_vlan_ids=a), st.integers(0, 4094),
                            st.just("10,20-30")))
maybe = st.sampled_from


@st.composite
def resources(draw: st.DrawFn) -> list[Resource]:
    out: list[Resource] = [
        VMSwitch(host=HOST, name=draw(names), source=pos(3), type=draw(maybe(["External", "Internal"])),
                 uplinks=NicSelector(names=(draw(names),), min_link_speed_gbps=25.0),
                 enable_iov=draw(st.booleans()), notes=draw(names)),
        VMNetworkAdapter(host=HOST, name=draw(names), vm=draw(names), adapter_name=draw(names),
                         switch=draw(st.one_of(st.none(), names)), vlan=draw(vlans),
                         maximum_bandwidth=draw(st.integers(0, 10**11)), ensure=draw(maybe(["present", "absent"]))),
        HostVNic(host=HOST, name=draw(names), switch=draw(names), mac_address="dynamic", management=draw(st.booleans())),
        SriovNic(host=HOST, name=draw(names), nic=draw(names), enabled=True, num_vfs=draw(st.integers(0, 64))),
        NetworkVirtualization(host=HOST, name=draw(names), provider_addresses=(_pa(),), lookup_records=(_lr(),),
                              customer_routes=(CustomerRouteSpec(RD, 5001, "10.0.0.0/8", "0.0.0.0", 5),)),
    ]
    return out


@given(resources())
def test_desired_round_trip(original: list[Resource]) -> None:
    assert resources_from_json(HOST, resources_to_json(original)) == original


def test_unset_fields_stay_unmanaged_after_a_round_trip() -> None:
    back = resources_from_json(HOST, resources_to_json([VMSwitch(host=HOST, name="sw", notes="n")]))
    assert back[0].managed() == {"notes": "n"}
