"""Switch replacement leaves nothing stranded; preflight errors are per resource with positions."""

from __future__ import annotations

from engine.errors import Position
from engine.model.resources import HostVNic, NicSelector, SriovPolicy, VlanSpec, VMNetworkAdapter, VMSwitch
from engine.observe.model import Vlan
from engine.transport.command import Ref
from plan.factories import HOST, adapter, change_of, cmdlets, nic, observed, params_of, plan, pos, switch, vm

SW = f"{HOST}/VMSwitch/sw"


def _replacement_host() -> tuple[list[object], object]:
    sw = switch("sw", uplinks=("P1", "P2"), embedded_teaming=True, load_balancing_algorithm="HyperVPort",
                allow_management_os=True)
    obs = observed(
        net_adapters=[nic("P1"), nic("P2")], switches=[sw], vms=[vm("web01"), vm("db01")],
        adapters=[
            adapter("Frontend", "web01", sw, id="a-web", vlan=Vlan("Access", access_vlan_id=10), iov_weight=0),
            adapter("Data", "db01", sw, id="a-db", maximum_bandwidth=1_000_000_000),
            adapter("Mgmt", "", sw, id="v-mgmt", vlan=Vlan("Access", access_vlan_id=5)),
        ],
    )
    resources = [
        VMSwitch(host=HOST, name="sw", source=pos(1), enable_iov=True),
        VMNetworkAdapter(host=HOST, name="web", vm="web01", adapter_name="Frontend", iov_weight=100),
        HostVNic(host=HOST, name="Mgmt", switch="sw", vlan=VlanSpec("access", vlan_id=7)),
    ]
    return resources, obs


def test_replacement_detaches_recreates_and_reattaches_every_adapter() -> None:
    resources, obs = _replacement_host()
    hp = plan(resources, obs)
    c = change_of(hp, SW)
    assert c.action == "replace" and c.reason == "forces replacement: enableIov cannot change after creation"
    assert sorted((d.kind, d.vm, d.name, d.managed) for d in c.dependents) == [
        ("HostVNic", "", "Mgmt", True), ("VMNetworkAdapter", "db01", "Data", False),
        ("VMNetworkAdapter", "web01", "Frontend", True)]
    assert "IP configuration of host vNIC Mgmt is lost" in c.warnings
    names = cmdlets(c)
    assert names[0][-1] == names[1][-1] == "Disconnect-VMNetworkAdapter"
    assert names[2] == ["Get-VMSwitch", "Remove-VMSwitch"]
    assert names[3] == ["New-VMSwitch"]
    new = params_of(c, "New-VMSwitch")
    assert new == {"Name": "sw", "NetAdapterName": ["P1", "P2"], "EnableEmbeddedTeaming": True,
                   "AllowManagementOS": False, "EnableIov": True, "MinimumBandwidthMode": "Absolute"}
    team = c.steps[4]
    assert team.pipeline.commands[0].params["Id"] == Ref(c.steps[3].id, "Id")
    reattach = [s for s in c.steps if any(x.name == "Connect-VMNetworkAdapter" for x in s.pipeline.commands)]
    assert len(reattach) == 2
    db = next(s for s in reattach if s.pipeline.commands[1].params["Value"] == "a-db")
    assert [x.name for x in db.pipeline.commands][-2:] == ["Connect-VMNetworkAdapter", "Set-VMNetworkAdapter"]
    assert db.pipeline.commands[-1].params["MaximumBandwidth"].value == 1_000_000_000  # restored as observed
    web = next(s for s in reattach if s.pipeline.commands[1].params["Value"] == "a-web")
    assert web.pipeline.commands[-2].params == {"IovWeight": 100, "Passthru": True}  # the manifest wins over 0
    readd = c.steps[-1].pipeline.commands
    assert readd[0].params == {"ManagementOS": True, "Name": "Mgmt", "SwitchName": "sw", "Passthru": True}
    assert readd[-1].params == {"Access": True, "VlanId": 7}  # declared, not the observed 5
    vnic = change_of(hp, f"{HOST}/HostVNic/Mgmt")
    assert vnic.action == "noop" and "replacement" in vnic.reason
    ids = [s.id for ch in hp.changes for s in ch.steps]
    assert len(ids) == len(set(ids))


def test_failed_switch_leaves_dependents_unplanned_with_a_reason() -> None:
    obs = observed(net_adapters=[nic("P1", status="Disconnected")], vms=[vm("web01")])
    res = [VMSwitch(host=HOST, name="sw", uplinks=NicSelector(names=("P1",)), positions={"spec.uplinks": pos(4)}),
           VMNetworkAdapter(host=HOST, name="web", vm="web01", adapter_name="Frontend", switch="sw"),
           VMSwitch(host=HOST, name="ok", type="Private")]
    hp = plan(res, obs)
    assert [(e.address, e.position) for e in hp.errors] == [(SW, "manifests/lab.yaml:4:1"),
                                                             (f"{HOST}/VMNetworkAdapter/web", "")]
    assert "NIC P1 is Disconnected, not Up" in hp.errors[0].message
    assert "depends on lab1/VMSwitch/sw" in hp.errors[1].message
    assert [c.address for c in hp.changes] == [f"{HOST}/VMSwitch/ok"]


def test_uplink_bound_to_another_switch() -> None:
    obs = observed(net_adapters=[nic("P1")], switches=[switch("legacy", uplinks=("P1",))])
    hp = plan([VMSwitch(host=HOST, name="sw", uplinks=NicSelector(names=("p1",)))], obs)
    assert hp.errors[0].message == "NIC P1 is already bound to switch legacy"


def test_set_members_must_share_driver_not_interface_description() -> None:
    alike = [nic("P1"), nic("P2", interface_description="Mellanox ConnectX-5 Adapter #2")]
    assert not plan([VMSwitch(host=HOST, name="sw", uplinks=NicSelector(names=("P*",)))], observed(net_adapters=alike)).errors
    unlike = [nic("P1"), nic("P2", driver_version="1.0")]
    hp = plan([VMSwitch(host=HOST, name="sw", uplinks=NicSelector(names=("P*",)))], observed(net_adapters=unlike))
    assert "identical NICs" in hp.errors[0].message


def test_two_switches_with_one_name_are_ambiguous() -> None:
    obs = observed(switches=[switch("sw", id="a"), switch("SW", id="b")])
    hp = plan([VMSwitch(host=HOST, name="sw", notes="x", source=Position("m.yaml", 2, 1))], obs)
    assert hp.errors[0].message.startswith("ambiguous: 2 switches") and hp.errors[0].position == "m.yaml:2:1"
    assert not hp.changes


def test_nic_selector_fields_combine_with_and() -> None:
    nics = [nic("A", mac_address="000000000001", link_speed_bps=10 * 10**9), nic("B", mac_address="000000000002"),
            nic("C", sriov_support="NotSupported")]
    sel = NicSelector(interface_description="mellanox*", sriov_supported=True, min_link_speed_gbps=25)
    hp = plan([SriovPolicy(host=HOST, name="pf", nic_selector=sel, enabled=True)], observed(net_adapters=nics))
    assert [c.target for c in hp.changes] == ["B"]
    by_mac = SriovPolicy(host=HOST, name="pf", nic_selector=NicSelector(mac_addresses=("00-00-00-00-00-01",)),
                         enabled=True)
    assert [c.target for c in plan([by_mac], observed(net_adapters=nics)).changes] == ["A"]


def test_policy_matching_no_nic_is_a_host_error() -> None:
    hp = plan([SriovPolicy(host=HOST, name="pf", nic_selector=NicSelector(names=("nope",)), enabled=True)],
              observed(net_adapters=[nic("P1")]))
    assert "matches no NIC on host lab1" in hp.errors[0].message


def test_sriov_changes_restart_the_nic() -> None:
    hp = plan([SriovPolicy(host=HOST, name="pf", nic_selector=NicSelector(names=("P1",)), enabled=True, num_vfs=8)],
              observed(net_adapters=[nic("P1")]))
    c = change_of(hp, f"{HOST}/SriovPolicy/pf/P1")
    assert (c.action, c.risk, c.disruptive, c.target) == ("update", "nic-restart", True, "P1")
    # Enabling and sizing together is ONE Set-NetAdapterSriov: the NIC restarts once, not twice.
    assert cmdlets(c) == [["Get-NetAdapterSriov", "Set-NetAdapterSriov"]]
    assert c.steps[0].pipeline.commands[1].params == {"Enabled": True, "NumVFs": 8}


def test_sriov_preflight_reasons() -> None:
    pol = SriovPolicy(host=HOST, name="pf", nic_selector=NicSelector(names=("P1",)), enabled=True, num_vfs=128)
    msgs = [e.message for e in plan([pol], observed(net_adapters=[nic("P1", sriov_support="MissingAcs")])).errors]
    assert msgs == ["NIC P1 cannot use SR-IOV: MissingAcs", "numVFs 128 exceeds the maximum of NIC P1 (64)"]


def test_sriov_disable_on_the_management_nic() -> None:
    obs = observed(net_adapters=[nic("P1", sriov_enabled=True, ip_addresses=("10.0.0.5/24",))],
                   connection_address="10.0.0.5")
    pol = SriovPolicy(host=HOST, name="pf", nic_selector=NicSelector(names=("P1",)), enabled=False)
    c = change_of(plan([pol], obs), f"{HOST}/SriovPolicy/pf/P1")
    assert c.risk == "management-path" and cmdlets(c) == [["Disable-NetAdapterSriov"]]
