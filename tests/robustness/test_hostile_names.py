"""Names Hyper-V accepts — wildcard characters, quotes, backticks, spaces, unicode,
right-to-left text — are valid, and hvnet touches only the object so named.

Every neighbour below is a wildcard match of a managed name (``sw*`` matches
``sw-other``; ``vm [1]`` matches ``vm 1``; ``a?`` matches ``ab``), so a name passed
unescaped, or an object addressed by name, would change it. The run is the real
path: plan, apply, plan again → no changes, apply again → no mutating cmdlet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .harness import hvnet, model, mutating_calls, write_lab

STAR = "sw*"
NEW_SWITCH = "new 'sw' `[x]` ✓ שלום"
VM = "vm [1]"
NEIGHBOUR_VM = "vm 1"
ADAPTER = "a?"
VNIC = "v`nic ‏مرحبا‏ \"q\""

FIXTURE: dict[str, Any] = {
    "osBuild": 20348,
    "iovSupport": False,
    "netAdapters": [
        {"name": "NIC [1]", "interfaceDescription": "Intel NIC", "macAddress": "A4-BF-01-00-00-11",
         "linkSpeedGbps": 1, "status": "Up", "pciLocation": "PCI bus 1, device 0, function 0",
         "sriov": {"supported": False, "totalVFs": 0, "enabled": False, "numVFs": 0}},
    ],
    "switches": [
        {"name": STAR, "type": "Internal", "notes": "before"},
        {"name": "sw-other", "type": "Internal", "notes": "neighbour: never touch"},
        {"name": "sw", "type": "Private", "notes": "neighbour too"},
    ],
    "vms": [
        {"name": VM, "generation": 2, "state": "Running",
         "adapters": [{"name": ADAPTER, "switch": None, "macAddress": "00155D010A01"},
                      {"name": "ab", "switch": None, "macAddress": "00155D010A02"}]},
        {"name": NEIGHBOUR_VM, "generation": 2, "state": "Running",
         "adapters": [{"name": ADAPTER, "switch": None, "macAddress": "00155D010B01"}]},
    ],
}


def doc(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "hvnet/v1", "kind": kind, "metadata": {"name": name}, "spec": spec}


DOCUMENTS = [
    doc("VMSwitch", STAR, {"type": "Internal", "notes": "after: ' \" ` $(x) ; | *"}),
    doc("VMSwitch", NEW_SWITCH, {"type": "Private", "notes": "created"}),
    doc("VMNetworkAdapter", "hostile-adapter", {
        "vm": VM, "adapterName": ADAPTER, "switch": STAR,
        "vlan": {"mode": "access", "vlanId": 42}, "dhcpGuard": True}),
    doc("HostVNic", VNIC, {"switch": STAR, "vlan": {"mode": "access", "vlanId": 7}}),
]


@pytest.fixture(scope="module")
def converged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    lab = write_lab(tmp_path_factory.mktemp("hostile"), FIXTURE, DOCUMENTS)
    validate = hvnet("validate", str(lab))
    plan = hvnet("plan", str(lab), "--detailed-exitcode")
    apply = hvnet("apply", str(lab), "--auto-approve", "--allow-disruptive")
    after_apply = len(mutating_calls(lab, start=0))
    replan = hvnet("plan", str(lab), "--detailed-exitcode")
    reapply = hvnet("apply", str(lab), "--auto-approve", "--allow-disruptive")
    return {"lab": lab, "validate": validate, "plan": plan, "apply": apply, "replan": replan,
            "reapply": reapply, "after_apply": after_apply}


def _switch(lab: Path, name: str) -> dict[str, Any]:
    return next(s for s in model(lab)["switches"] if s["name"] == name)


def _adapters(lab: Path, vm: str | None) -> dict[str, dict[str, Any]]:
    data = model(lab)
    vm_id = next((v["id"] for v in data["vms"] if v["name"] == vm), None) if vm else None
    return {a["name"]: a for a in data["adapters"] if a["vm_id"] == vm_id}


def test_hostile_names_are_valid_and_plan_apply_replan_converges(converged: dict[str, Any]) -> None:
    for step in ("validate", "plan", "apply", "replan", "reapply"):
        converged[step].assert_no_crash()
    assert converged["validate"].exit_code == 0, converged["validate"].stderr
    assert converged["plan"].exit_code == 2, converged["plan"].output
    assert converged["apply"].exit_code == 0, converged["apply"].output
    assert converged["replan"].exit_code == 0, converged["replan"].output
    assert converged["reapply"].exit_code == 0, converged["reapply"].output
    # apply again ran no mutating cmdlet at all
    assert len(mutating_calls(converged["lab"])) == converged["after_apply"]


def test_only_the_named_switches_changed(converged: dict[str, Any]) -> None:
    lab = converged["lab"]
    assert _switch(lab, STAR)["notes"] == "after: ' \" ` $(x) ; | *"
    assert _switch(lab, "sw-other")["notes"] == "neighbour: never touch"
    assert _switch(lab, "sw")["notes"] == "neighbour too"
    assert _switch(lab, NEW_SWITCH)["notes"] == "created"
    assert sorted(s["name"] for s in model(lab)["switches"]) == sorted([STAR, "sw-other", "sw", NEW_SWITCH])


def test_only_the_named_adapter_changed(converged: dict[str, Any]) -> None:
    lab = converged["lab"]
    star_id = _switch(lab, STAR)["id"]
    mine = _adapters(lab, VM)
    assert mine[ADAPTER]["switch_id"] == star_id
    assert mine[ADAPTER]["vlan"]["access_vlan_id"] == 42 and mine[ADAPTER]["dhcp_guard"] is True
    assert mine["ab"]["switch_id"] is None and mine["ab"]["vlan"]["mode"] == "Untagged"
    neighbour = _adapters(lab, NEIGHBOUR_VM)[ADAPTER]
    assert neighbour["switch_id"] is None and neighbour["dhcp_guard"] is False


def test_the_host_vnic_with_quotes_backticks_and_rtl_text_exists_once(converged: dict[str, Any]) -> None:
    vnics = _adapters(converged["lab"], None)
    # Internal switches bring their own default host vNIC, named after the switch.
    assert sorted(vnics) == sorted([VNIC, STAR, "sw-other"])
    assert vnics[VNIC]["vlan"]["access_vlan_id"] == 7


def test_every_wildcard_name_sent_was_escaped(converged: dict[str, Any]) -> None:
    """Names given to -Name/-SwitchName/-VMName match only themselves: wildcard characters are escaped."""
    from engine.sim.hyperv.wildcard import contains_wildcard

    sent = [
        (e["cmdlet"], key, value)
        for e in mutating_calls(converged["lab"])
        for key, value in e["parameters"].items()
        if key in ("Name", "SwitchName", "VMName") and isinstance(value, str)
    ]
    assert sent
    for cmdlet, key, value in sent:
        if cmdlet in ("New-VMSwitch", "Add-VMNetworkAdapter") and key == "Name":
            continue  # a new object's name is literal, not a pattern
        assert not contains_wildcard(value), (cmdlet, key, value)
