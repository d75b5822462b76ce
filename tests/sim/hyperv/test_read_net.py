"""Get-NetAdapter*, Get-NetIPAddress (management path) and the NetWNV getters."""

from __future__ import annotations

from engine.sim.hyperv.model import CustomerRoute, LookupRecord, ProviderAddress

from .read_world import cmd, make_host, names, run

CIM = "Microsoft.Management.Infrastructure.CimInstance"


def test_physical_lists_only_nics_and_plain_lists_host_vnics_too() -> None:
    host = make_host()
    physical = run(host, cmd("Get-NetAdapter", Physical=True)).output
    assert [o.get("Name") for o in physical] == ["SLOT 3 Port 1", "SLOT 3 Port 2", "SLOT 4 Port 1", "SLOT 5 Port 1"]
    nic = physical[0]
    assert nic.type_names == [f"{CIM}#ROOT/StandardCimv2/MSFT_NetAdapter", CIM]
    assert nic.get("MacAddress") == "98-03-9B-00-00-01" and nic.get("LinkSpeed") == "25 Gbps"
    assert nic.get("Speed") == 25_000_000_000 and nic.get("DriverDescription") == "Mellanox ConnectX-5 Adapter"
    everything = names(run(host, cmd("Get-NetAdapter")))
    assert everything[4:] == ["vEthernet (sw-legacy)", "vEthernet (sw-internal)", "vEthernet (Storage)"]


def test_net_adapter_not_found_is_a_cim_error() -> None:
    result = run(make_host(), cmd("Get-NetAdapter", Name=["nope"]))
    (err,) = result.errors
    assert err.fully_qualified_error_id == "CmdletizationQuery_NotFound_Name,Get-NetAdapter"
    assert err.category == "ObjectNotFound"
    assert run(make_host(), cmd("Get-NetAdapter", Name=["nope*"])).errors == []


def test_sriov_lists_only_capable_nics_with_settings_and_usage() -> None:
    host = make_host()
    out = run(host, cmd("Get-NetAdapterSriov")).output
    assert [o.get("Name") for o in out] == ["SLOT 3 Port 1", "SLOT 3 Port 2"]
    first = out[0]
    assert first.type_names[0].endswith("/MSFT_NetAdapterSriovSettingData")
    assert first.get("Enabled") is True and first.get("NumVFs") == 8 and first.get("SriovSupport") == 1
    assert first.get("NumAllocatedVFs") == 1
    assert first.get("HardwareCapabilities").get("MaxNumVFs") == 64
    missing = run(host, cmd("Get-NetAdapterSriov", Name=["SLOT 4 Port 1"]))  # exists, but no SR-IOV
    assert missing.output == [] and missing.errors[0].fully_qualified_error_id.startswith("CmdletizationQuery_NotFound_Name")


def test_sriov_vf_rows_name_the_vm_using_each_vf() -> None:
    host = make_host()
    (vf,) = run(host, cmd("Get-NetAdapterSriovVf", Name=["SLOT 3*"])).output
    assert (vf.get("Name"), vf.get("FunctionID"), vf.get("VmFriendlyName")) == ("SLOT 3 Port 1", 0, "web01")
    host.model.vms[0].state = "Off"
    assert run(host, cmd("Get-NetAdapterSriovVf")).output == []


def test_ip_addresses_follow_the_binding_and_the_client_address_is_on_the_management_path() -> None:
    host = make_host()
    rows = {(o.get("IPAddress"), o.get("InterfaceAlias")) for o in run(host, cmd("Get-NetIPAddress"), client_address="10.0.0.21").output}
    # SLOT 4 Port 1 (management) is bound to sw-legacy: its address moved to vEthernet (sw-legacy).
    assert rows == {("10.0.0.21", "vEthernet (sw-legacy)"), ("192.168.250.1", "vEthernet (sw-internal)")}
    loop = run(host, cmd("Get-NetIPAddress", AddressFamily="IPv4"), client_address="127.0.0.1").output
    assert ("127.0.0.1", "vEthernet (sw-legacy)", 8) in {(o.get("IPAddress"), o.get("InterfaceAlias"), o.get("PrefixLength")) for o in loop}


def test_unbound_management_nic_reports_on_itself_and_a_management_vnic_wins() -> None:
    host = make_host()
    host.model.switches[1].uplinks = []  # sw-legacy loses its external port
    host.model.adapters = [a for a in host.model.adapters if a.name != "sw-legacy"]
    rows = {(o.get("IPAddress"), o.get("InterfaceAlias")) for o in run(host, cmd("Get-NetIPAddress"), client_address="127.0.0.1").output}
    assert ("127.0.0.1", "SLOT 4 Port 1") in rows and ("10.0.0.21", "SLOT 4 Port 1") in rows
    next(a for a in host.model.adapters if a.name == "Storage").management = True
    rows = {(o.get("IPAddress"), o.get("InterfaceAlias")) for o in run(host, cmd("Get-NetIPAddress"), client_address="127.0.0.1").output}
    assert ("127.0.0.1", "vEthernet (Storage)") in rows


def test_management_nic_bound_without_host_vnic_has_lost_its_addresses() -> None:
    host = make_host()
    host.model.adapters = [a for a in host.model.adapters if a.name != "sw-legacy"]
    ips = names(run(host, cmd("Get-NetIPAddress"), client_address="10.0.0.21"), "IPAddress")
    assert ips == ["192.168.250.1"]


def test_netwnv_getters_filter_on_their_keys() -> None:
    host = make_host()
    m = host.model
    m.provider_addresses.append(ProviderAddress("10.10.0.11", 10, 24, 100))
    m.lookup_records += [LookupRecord("192.168.1.10", "10.10.0.11", 5001, "00155D010A01", vm_name="web01"),
                         LookupRecord("192.168.1.11", "10.10.0.11", 5002, "00155D010A02")]  # fmt: skip
    m.customer_routes.append(CustomerRoute("{11111111-2222-3333-4444-000000000001}", 5001, "192.168.1.0/24", "0.0.0.0"))
    (pa,) = run(host, cmd("Get-NetVirtualizationProviderAddress", ProviderAddress=["10.10.0.11"])).output
    assert (pa.get("InterfaceIndex"), pa.get("PrefixLength"), pa.get("VlanID")) == (10, 24, 100)
    recs = run(host, cmd("Get-NetVirtualizationLookupRecord", VirtualSubnetID=["5001"])).output
    assert [(r.get("CustomerAddress"), r.get("Rule")) for r in recs] == [("192.168.1.10", 2)]
    (route,) = run(host, cmd("Get-NetVirtualizationCustomerRoute",
                             RoutingDomainID=["{11111111-2222-3333-4444-000000000001}"], VirtualSubnetID=["5001"])).output  # fmt: skip
    assert route.get("DestinationPrefix") == "192.168.1.0/24"
    none = run(host, cmd("Get-NetVirtualizationLookupRecord", CustomerAddress=["1.2.3.4"]))
    assert none.output == [] and none.errors[0].category == "ObjectNotFound"


def test_os_build_is_readable_from_win32_operatingsystem_and_get_computerinfo() -> None:
    host = make_host()
    (os_obj,) = run(host, cmd("Get-CimInstance", ClassName="Win32_OperatingSystem")).output
    assert os_obj.get("BuildNumber") == "20348" and "2022" in os_obj.get("Caption")
    (info,) = run(host, cmd("Get-ComputerInfo", Property=["OsBuildNumber"])).output
    assert info.properties == {"OsBuildNumber": "20348"}
    other = run(host, cmd("Get-CimInstance", ClassName="Win32_Process"))
    assert other.terminating is not None and other.terminating.message.startswith("Invalid class")
