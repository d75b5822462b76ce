"""Every mutating cmdlet end to end: the real pypsrp client, the simulator's WinRM endpoint, the
pipelines hvnet's planner emits (objects addressed by Id / exact lookup, never by raw wildcard)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypsrp.powershell import PowerShell, PSInvocationState, RunspacePool
from pypsrp.serializer import TaggedValue
from pypsrp.wsman import WSMan

from engine.sim import SimServer, start_simulator
from engine.sim.host import SimulatedHost
from engine.transport.command import wildcard_escape

PASSWORD = "S3cret-pass"
FIXTURE = textwrap.dedent("""\
    apiVersion: hvnet/v1
    kind: SimulatedHost
    metadata: {name: e2e1}
    spec:
      computerName: E2E1
      osBuild: 20348
      iovSupport: true
      netAdapters:
        - {name: 'SLOT 3 Port 1', interfaceDescription: 'Mellanox ConnectX-5 Adapter', macAddress: '98-03-9B-00-00-01',
           linkSpeedGbps: 25, status: Up, sriov: {supported: true, totalVFs: 64, enabled: false, numVFs: 0}}
        - {name: 'SLOT 3 Port 2', interfaceDescription: 'Mellanox ConnectX-5 Adapter #2', macAddress: '98-03-9B-00-00-02',
           linkSpeedGbps: 25, status: Up, sriov: {supported: true, totalVFs: 64, enabled: false, numVFs: 0}}
        - {name: NIC1, interfaceDescription: 'Intel(R) Ethernet Connection X722', macAddress: 'A4-BF-01-00-00-11',
           linkSpeedGbps: 1, status: Up, ipAddresses: ['10.0.0.21/24'], management: true}
      vms:
        - name: 'web[01]'
          generation: 2
          state: Running
          adapters: [{name: Frontend, switch: null, macAddress: '00155D010A01'}]
      switches: []
    """)
SET_NICS = ["SLOT 3 Port 1", "SLOT 3 Port 2"]


@pytest.fixture(scope="module")
def fixture_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("e2e") / "host.yaml"
    path.write_text(FIXTURE, encoding="utf-8")
    return path


@pytest.fixture
def host(fixture_path: Path) -> SimulatedHost:
    return SimulatedHost.from_fixture(fixture_path)


@pytest.fixture
def pool(host: SimulatedHost) -> Iterator[RunspacePool]:
    with start_simulator(host, password=PASSWORD) as server, RunspacePool(_client(server)) as runspace:
        yield runspace


def _client(server: SimServer) -> WSMan:
    return WSMan("127.0.0.1", port=server.port, ssl=False, auth="basic", encryption="never", username="hvnet",
                 password=PASSWORD, cert_validation=False, operation_timeout=20)


def run(pool: RunspacePool, *pipeline: tuple[str, dict[str, Any]]) -> PowerShell:
    ps = PowerShell(pool)
    for name, params in pipeline:
        ps.add_cmdlet(name)
        for key, value in params.items():
            if value is True and key[0].isupper() and key in SWITCHES:
                ps.add_parameter(key)
            else:
                ps.add_parameter(key, value)
    ps.invoke()
    return ps


SWITCHES = {"Force", "Passthru", "PassThru", "ManagementOS", "Access", "Trunk", "Raw", "NoRestart"}


def ok(pool: RunspacePool, *pipeline: tuple[str, dict[str, Any]]) -> list[Any]:
    ps = run(pool, *pipeline)
    assert ps.state == PSInvocationState.COMPLETED and not ps.had_errors, [str(e) for e in ps.streams.error]
    return ps.output


def props(obj: Any) -> dict[str, Any]:
    return obj.adapted_properties


def new_set_switch(pool: RunspacePool) -> str:
    (sw,) = ok(pool, ("New-VMSwitch", {"Name": "sw[set]", "NetAdapterName": SET_NICS, "EnableEmbeddedTeaming": True,
                                       "EnableIov": True, "AllowManagementOS": False, "MinimumBandwidthMode": "Weight"}))
    return str(props(sw)["Id"])


def test_switch_lifecycle_by_id(pool: RunspacePool, host: SimulatedHost) -> None:
    sid = new_set_switch(pool)
    by_id = ("Get-VMSwitch", {"Id": sid})
    ok(pool, by_id, ("Set-VMSwitch", {"Notes": "tenant uplink"}))
    ok(pool, by_id, ("Set-VMSwitchTeam", {"LoadBalancingAlgorithm": "Dynamic"}))
    ok(pool, by_id, ("Remove-VMSwitchTeamMember", {"NetAdapterName": "SLOT 3 Port 2"}))
    ok(pool, by_id, ("Add-VMSwitchTeamMember", {"NetAdapterName": "SLOT 3 Port 2"}))
    ok(pool, by_id, ("Rename-VMSwitch", {"NewName": "sw-tenant"}))
    (sw,) = ok(pool, by_id)
    p = props(sw)
    assert (p["Name"], p["Notes"], p["EmbeddedTeamingEnabled"], p["IovEnabled"]) == ("sw-tenant", "tenant uplink", True, True)
    assert str(p["BandwidthReservationMode"]) == "Weight" and p["AllowManagementOS"] is False
    (team,) = ok(pool, ("Get-VMSwitchTeam", {"Name": "sw-tenant"}))
    assert str(props(team)["LoadBalancingAlgorithm"]) == "Dynamic"
    ok(pool, by_id, ("Remove-VMSwitch", {"Force": True}))
    assert host.model.switches == []
    assert [c["cmdlet"] for c in host.mutating_cmdlets()] == [
        "New-VMSwitch", "Set-VMSwitch", "Set-VMSwitchTeam", "Remove-VMSwitchTeamMember", "Add-VMSwitchTeamMember",
        "Rename-VMSwitch", "Remove-VMSwitch"]


def test_refusals_arrive_as_hyperv_error_records(pool: RunspacePool) -> None:
    sid = new_set_switch(pool)
    ps = run(pool, ("Get-VMSwitch", {"Id": sid}), ("Set-VMSwitch", {"NetAdapterName": "NIC1"}))
    (err,) = ps.streams.error
    assert err.fq_error == "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.SetVMSwitch"
    assert "embedded teaming" in str(err)
    ps = run(pool, ("Set-VMSwitch", {"Name": "x", "EnableIov": True}))  # creation-only: not a parameter
    assert ps.state == PSInvocationState.FAILED
    assert ps.streams.error[0].fq_error == "NamedParameterNotFound,Microsoft.HyperV.PowerShell.Commands.SetVMSwitch"
    ps = run(pool, ("New-VMSwitch", {"Name": "again", "NetAdapterName": "SLOT 3 Port 1"}))
    assert ps.streams.error[0].fq_error == "ObjectInUse,Microsoft.HyperV.PowerShell.Commands.NewVMSwitch"


def test_sriov_on_the_physical_nic(pool: RunspacePool, host: SimulatedHost) -> None:
    name = wildcard_escape("SLOT 3 Port 1")
    ok(pool, ("Enable-NetAdapterSriov", {"Name": name}))
    ok(pool, ("Get-NetAdapterSriov", {"Name": name}), ("Set-NetAdapterSriov", {"NumVFs": 32, "NoRestart": False}))
    nic = host.model.nic("SLOT 3 Port 1")
    assert nic is not None and nic.sriov is not None
    assert (nic.sriov.enabled, nic.sriov.num_vfs, nic.restarts) == (True, 32, 2)
    ok(pool, ("Disable-NetAdapterSriov", {"Name": name, "NoRestart": True}))
    assert (nic.sriov.enabled, nic.restarts) == (False, 2)
    ps = run(pool, ("Set-NetAdapterSriov", {"Name": name, "NumVFs": 65}))
    assert ps.streams.error[0].fq_error == "Windows System Error 87,Set-NetAdapterSriov"


def test_new_vm_adapter_pipeline_and_existing_adapter_changes(pool: RunspacePool, host: SimulatedHost) -> None:
    new_set_switch(pool)
    vm = host.model.vms[0]
    switch = wildcard_escape("sw[set]")
    (vlan,) = ok(pool, ("Get-VM", {"Id": vm.id}),
                 ("Add-VMNetworkAdapter", {"Name": "Storage", "SwitchName": switch, "Passthru": True}),
                 ("Set-VMNetworkAdapter", {"IovWeight": 100, "Passthru": True}),
                 ("Set-VMNetworkAdapterVlan", {"Access": True, "VlanId": 10, "Passthru": True}))
    assert props(vlan)["AccessVlanId"] == 10
    storage = next(a for a in host.model.adapters if a.name == "Storage")
    assert (storage.iov_weight, storage.vlan.mode, storage.connected) == (100, "Access", True)

    exact = (("Get-VMNetworkAdapter", {"VMName": wildcard_escape(vm.name)}),
             ("Where-Object", {"Property": "Id", "EQ": True, "Value": storage.id}))
    ok(pool, *exact, ("Set-VMNetworkAdapter", {"MaximumBandwidth": TaggedValue("I64", 10_000_000_007)}))
    assert storage.bandwidth is not None and storage.bandwidth.maximum == 10_000_000_000
    ok(pool, *exact, ("Set-VMNetworkAdapterVlan", {"Trunk": True, "NativeVlanId": 0, "AllowedVlanIdList": "100-110"}))
    ok(pool, *exact, ("Disconnect-VMNetworkAdapter", {}))
    assert not storage.connected
    ok(pool, *exact, ("Connect-VMNetworkAdapter", {"SwitchName": switch}))
    ok(pool, *exact, ("Rename-VMNetworkAdapter", {"NewName": "Storage2"}))
    assert storage.connected and storage.name == "Storage2" and storage.vlan.allowed_vlan_ids == list(range(100, 111))
    ok(pool, *exact, ("Remove-VMNetworkAdapter", {}))
    assert storage not in host.model.adapters and len(host.model.vm_adapters(vm.id)) == 1


def test_a_vlan_setting_piped_into_set_vmnetworkadapter_fails(pool: RunspacePool, host: SimulatedHost) -> None:
    """Set-VMNetworkAdapterVlan -Passthru emits a VMNetworkAdapterVlanSetting; Set-VMNetworkAdapter
    binds it to -VMName by its ToString and finds no such VM. Put Set-VMNetworkAdapter first."""
    vm = host.model.vms[0]
    ps = run(pool, ("Get-VM", {"Id": vm.id}),
             ("Add-VMNetworkAdapter", {"Name": "X", "Passthru": True}),
             ("Set-VMNetworkAdapterVlan", {"Access": True, "VlanId": 10, "Passthru": True}),
             ("Set-VMNetworkAdapter", {"IovWeight": 100}))
    assert ps.streams.error[0].fq_error == "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.SetVMNetworkAdapter"
    assert "Microsoft.HyperV.PowerShell.VMNetworkAdapterVlanSetting" in str(ps.streams.error[0])
    added = next(a for a in host.model.adapters if a.name == "X")
    assert (added.vlan.access_vlan_id, added.iov_weight) == (10, 0)


def test_host_vnic_add_and_change(pool: RunspacePool, host: SimulatedHost) -> None:
    new_set_switch(pool)
    ok(pool, ("Add-VMNetworkAdapter", {"ManagementOS": True, "Name": "SMB1", "SwitchName": wildcard_escape("sw[set]"),
                                       "Passthru": True}),
       ("Set-VMNetworkAdapterVlan", {"Access": True, "VlanId": 20}))
    (vnic,) = host.model.host_vnics()
    ok(pool, ("Get-VMNetworkAdapter", {"ManagementOS": True}),
       ("Where-Object", {"Property": "Id", "EQ": True, "Value": vnic.id}),
       ("Set-VMNetworkAdapter", {"MinimumBandwidthWeight": 30}))
    assert (vnic.name, vnic.vlan.access_vlan_id, vnic.bandwidth.minimum_weight if vnic.bandwidth else None) == ("SMB1", 20, 30)


def test_hnv_records_are_created_and_removed_through_their_lookup(pool: RunspacePool, host: SimulatedHost) -> None:
    nic = host.model.nic("SLOT 3 Port 1")
    assert nic is not None
    ok(pool, ("New-NetVirtualizationProviderAddress", {"InterfaceIndex": nic.if_index, "ProviderAddress": "192.168.10.5",
                                                       "PrefixLength": 24, "VlanID": 100}))
    ok(pool, ("New-NetVirtualizationLookupRecord", {"CustomerAddress": "10.1.0.5", "ProviderAddress": "192.168.10.5",
                                                    "VirtualSubnetID": 5001, "MACAddress": "00155D010A01",
                                                    "Rule": "TranslationMethodEncap", "VMName": "web[01]"}))
    ok(pool, ("New-NetVirtualizationCustomerRoute", {"RoutingDomainID": "{11111111-2222-3333-4444-000000000000}",
                                                     "VirtualSubnetID": 5001, "DestinationPrefix": "10.1.0.0/24",
                                                     "NextHop": "0.0.0.0", "Metric": 255}))
    assert len(host.model.lookup_records) == 1 and len(host.model.customer_routes) == 1
    ok(pool, ("Get-NetVirtualizationLookupRecord", {"CustomerAddress": "10.1.0.5", "VirtualSubnetID": 5001}),
       ("Remove-NetVirtualizationLookupRecord", {}))
    ok(pool, ("Get-NetVirtualizationCustomerRoute", {"DestinationPrefix": "10.1.0.0/24"}),
       ("Remove-NetVirtualizationCustomerRoute", {}))
    ok(pool, ("Get-NetVirtualizationProviderAddress", {"ProviderAddress": "192.168.10.5"}),
       ("Remove-NetVirtualizationProviderAddress", {}))
    assert (host.model.lookup_records, host.model.customer_routes, host.model.provider_addresses) == ([], [], [])


def test_the_lock_file_is_created_once(pool: RunspacePool) -> None:
    path = "C:\\ProgramData\\hvnet\\locks\\E2E1.lock"
    (item,) = ok(pool, ("New-Item", {"LiteralPath": path, "ItemType": "File", "Value": "run=1"}))
    assert (props(item)["FullName"], props(item)["Length"], item.types[0]) == (path, 5, "System.IO.FileInfo")
    ps = run(pool, ("New-Item", {"LiteralPath": path, "ItemType": "File", "Value": "run=2"}))
    (err,) = ps.streams.error
    assert err.fq_error == "NewItemIOError,Microsoft.PowerShell.Commands.NewItemCommand"
    assert str(err) == f"The file '{path}' already exists."
    assert ok(pool, ("Get-Content", {"LiteralPath": path, "Raw": True})) == ["run=1"]
    ok(pool, ("Remove-Item", {"LiteralPath": path, "Force": True}))
    ps = run(pool, ("Get-Item", {"LiteralPath": path}))
    assert ps.streams.error[0].fq_error == "PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand"
