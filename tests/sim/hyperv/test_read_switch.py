"""Get-VMSwitch, Get-VMSwitchTeam, Get-VMHost, Get-VM through the binder and dispatcher."""

from __future__ import annotations

import uuid
from pathlib import Path

from engine.sim.objects import PSEnum

from .read_world import cmd, make_host, names, run, spec

# A real `Get-VMSwitch | Select-Object *` (intel/mfd-hyperv, MIT; see data/SOURCE.txt).
CAPTURE = Path(__file__).parent / "data" / "get-vmswitch-select-all.txt"


def capture_properties() -> list[str]:
    lines = [line for line in CAPTURE.read_text().splitlines() if " : " in line or line.rstrip().endswith(":")]
    return [line.split(":", 1)[0].strip() for line in lines]


def test_vmswitch_has_exactly_the_real_property_set_in_order() -> None:
    out = run(make_host(), cmd("Get-VMSwitch")).output
    expected = capture_properties()
    assert len(expected) == 47
    for obj in out:
        assert list(obj.properties) == expected
        assert obj.type_names == ["Microsoft.HyperV.PowerShell.VMSwitch"]


def test_derived_properties_follow_the_model() -> None:
    out = {o.get("Name"): o for o in run(make_host(), cmd("Get-VMSwitch")).output}
    compute, legacy, internal, private = (out[n] for n in ("sw-compute", "sw-legacy", "sw-internal", "sw-private"))
    assert compute.get("SwitchType") == PSEnum("Microsoft.HyperV.PowerShell.VMSwitchType", "External", 2)
    assert compute.get("AllowManagementOS") is True  # the declared Storage vNIC counts
    assert compute.get("EmbeddedTeamingEnabled") is True
    assert compute.get("NetAdapterInterfaceDescriptions").items == [
        "Mellanox ConnectX-5 Adapter", "Mellanox ConnectX-5 Adapter #2"]
    assert compute.get("IovSupport") is True and compute.get("IovSupportReasons") is None
    assert compute.get("IovVirtualFunctionCount") == 16 and compute.get("IovVirtualFunctionsInUse") == 1
    assert compute.get("BandwidthReservationMode").name == "None"
    assert legacy.get("NetAdapterInterfaceDescription") == "Intel(R) Ethernet Controller X550"
    assert legacy.get("IovSupport") is False and legacy.get("IovSupportReasons").items
    assert legacy.get("BandwidthPercentage") == 10 and legacy.get("Notes") == "mgmt"
    assert internal.get("SwitchType").name == "Internal" and internal.get("NetAdapterInterfaceDescription") is None
    assert private.get("SwitchType").name == "Private" and private.get("AllowManagementOS") is False
    assert isinstance(compute.get("Id"), uuid.UUID)


def test_non_wildcard_name_not_found_writes_hyperv_error_and_wildcard_writes_nothing() -> None:
    host = make_host()
    missing = run(host, cmd("Get-VMSwitch", Name=["nope"]))
    assert missing.output == [] and missing.terminating is None
    (err,) = missing.errors
    assert err.message == 'Hyper-V was unable to find a virtual switch with name "nope".'
    assert err.fully_qualified_error_id == "InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVMSwitch"
    assert err.category == "InvalidArgument"
    quiet = run(host, cmd("Get-VMSwitch", Name=["nope*"]))
    assert quiet.output == [] and quiet.errors == []


def test_names_are_case_insensitive_wildcards_and_duplicates_are_returned() -> None:
    data = spec()
    data["switches"].append({"name": "SW-LEGACY", "type": "Private"})
    data["vms"][0]["adapters"][1]["switch"] = "sw-internal"  # a fixture reference must be unambiguous
    host = make_host(data)
    assert names(run(host, cmd("Get-VMSwitch", Name=["sw-legacy"]))) == ["sw-legacy", "SW-LEGACY"]
    assert names(run(host, cmd("Get-VMSwitch", Name=["sw-[ci]*"]))) == ["sw-compute", "sw-internal"]


def test_switch_type_filters_after_the_name_lookup() -> None:
    host = make_host()
    assert names(run(host, cmd("Get-VMSwitch", Name=["sw-internal"], SwitchType=["External"]))) == []
    assert names(run(host, cmd("Get-VMSwitch", SwitchType=["Internal", "Private"]))) == ["sw-internal", "sw-private"]


def test_lookup_by_id_and_unknown_id_error() -> None:
    host = make_host()
    sw = host.model.switches[1]
    assert names(run(host, cmd("Get-VMSwitch", Id=sw.id))) == ["sw-legacy"]
    missing = run(host, cmd("Get-VMSwitch", Id=str(uuid.UUID(int=5))))
    assert missing.output == [] and len(missing.errors) == 1


def test_switch_team_lists_only_set_switches_with_lb_algorithm() -> None:
    host = make_host()
    (team,) = run(host, cmd("Get-VMSwitchTeam")).output
    assert team.get("Name") == "sw-compute"
    assert team.get("LoadBalancingAlgorithm") == PSEnum(
        "Microsoft.HyperV.PowerShell.VMSwitchLoadBalancingAlgorithm", "HyperVPort", 4)
    assert team.get("TeamingMode").name == "SwitchIndependent"
    assert len(team.get("NetAdapterInterfaceGuid").items) == 2
    piped = run(host, cmd("Get-VMSwitch", Name=["sw-legacy"]), cmd("Get-VMSwitchTeam"))
    assert piped.output == [] and "embedded teaming" in piped.errors[0].message


def test_vmhost_and_vm_reads() -> None:
    host = make_host()
    (vmhost,) = run(host, cmd("Get-VMHost")).output
    assert vmhost.get("IovSupport") is True and vmhost.get("Name") == "LAB1"
    vms = run(host, cmd("Get-VM")).output
    assert [(v.get("Name"), v.get("State").name, v.get("Generation")) for v in vms] == [
        ("web01", "Running", 2), ("db01", "Off", 1)]
    missing = run(host, cmd("Get-VM", Name=["ghost"]))
    assert missing.errors[0].message == 'Hyper-V was unable to find a virtual machine with name "ghost".'


def test_vm_has_the_stub_property_set_with_aliases_first() -> None:
    (vm,) = run(make_host(), cmd("Get-VM", Name=["web01"])).output
    props = list(vm.properties)
    assert props[:2] == ["VMName", "VMId"]
    assert props[-5:] == ["Name", "NetworkAdapters", "CimSession", "ComputerName", "IsDeleted"]
    assert len(props) == len(set(props)) == 2 + 71  # aliases + the stub's VirtualMachine
    assert [a.split("'")[1] for a in vm.get("NetworkAdapters").items] == ["Frontend", "Backend"]
    assert vm.get("Heartbeat").name == "OkApplicationsUnknown"
