"""Idempotence, the core invariant: apply, then plan shows no changes, and apply again changes nothing.

Random simulated hosts (NICs with SR-IOV on or off, VMs running or off, adapters
connected or not, a leftover switch) × random valid manifests (SR-IOV policy, a SET
or Internal switch whose name holds wildcard characters, VM adapter settings) are
applied over the real path: pypsrp over HTTP to the simulator. The simulator's
cmdlet log proves that the second apply runs no mutating cmdlet.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.apply.executor import APPLIED
from engine.apply.lock import LOCK_PATH
from engine.manifest import load_project
from engine.orchestrate import LockSettings, apply_runs, locking_collector, plan_targets, release_locks

SWITCH_NAMES = ("sw-compute", "sw [a]*", "Böse Switch?", "it's`sw")
NOTES = ("", "compute", "with [brackets] * and ?", "quoted 'notes'")
VLANS: list[dict[str, Any]] = [
    {"mode": "untagged"},
    {"mode": "access", "vlanId": 10},
    {"mode": "access", "vlanId": 4094},
    {"mode": "trunk", "nativeVlanId": 10, "allowedVlanIds": "10,20-30"},
]


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    nic_count = draw(st.integers(1, 2))
    nics = [
        {
            "name": f"SLOT 3 Port {i + 1}",
            "interfaceDescription": "Mellanox ConnectX-5 Adapter" + (f" #{i + 1}" if i else ""),
            "macAddress": f"98-03-9B-00-00-0{i + 1}",
            "linkSpeedGbps": 25,
            "status": "Up",
            "pciLocation": f"PCI bus 59, device 0, function {i}",
            "sriov": {"supported": True, "totalVFs": 64, "enabled": draw(st.booleans()),
                      "numVFs": draw(st.sampled_from([0, 8, 32]))},
        }
        for i in range(nic_count)
    ]
    vms = []
    for v in range(draw(st.integers(1, 2))):
        adapters = [{"name": "Frontend", "switch": None, "macAddress": f"00155D01{v:02X}01"}]
        vms.append({"name": f"vm{v}", "generation": 2, "state": draw(st.sampled_from(["Running", "Off"])),
                    "adapters": adapters})
    switch_type = draw(st.sampled_from(["External", "Internal"]))
    iov = switch_type == "External" and draw(st.booleans())
    switch_spec: dict[str, Any] = {"type": switch_type, "notes": draw(st.sampled_from(NOTES))}
    if switch_type == "External":
        switch_spec |= {"uplinks": {"names": [n["name"] for n in nics]}, "enableIov": iov,
                        "allowManagementOS": False}
        if nic_count > 1:
            switch_spec["embeddedTeaming"] = True
    adapters = []
    for vm in vms:
        spec: dict[str, Any] = {"vm": vm["name"], "adapterName": "Frontend"}
        if draw(st.booleans()):
            spec["vlan"] = draw(st.sampled_from(VLANS))
        if iov and draw(st.booleans()):
            spec["iovWeight"] = 100
        if draw(st.booleans()):
            spec["dhcpGuard"] = draw(st.booleans())
        spec["switch"] = draw(st.sampled_from(["$switch", None]))
        adapters.append(spec)
    return {
        "nics": nics,
        "vms": vms,
        "sriov": draw(st.sampled_from([None, (True, 16), (True, 32), (False, 0)])),
        "switch_name": draw(st.sampled_from(SWITCH_NAMES)),
        "switch": switch_spec,
        "adapters": adapters,
    }


def _doc(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "hvnet/v1", "kind": kind, "metadata": {"name": name}, "spec": spec}


def write_project(root: Path, sc: dict[str, Any]) -> Path:
    fixture = {
        "apiVersion": "hvnet/v1", "kind": "SimulatedHost", "metadata": {"name": "prop1"},
        "spec": {"computerName": "PROP1", "osBuild": 20348, "iovSupport": True,
                 "netAdapters": sc["nics"], "vms": sc["vms"],
                 "switches": [{"name": "sw-old", "type": "Internal", "notes": "leftover"}]},
    }
    (root / "sim").mkdir(parents=True)
    (root / "sim" / "prop1.yaml").write_text(yaml.safe_dump(fixture, sort_keys=False), encoding="utf-8")
    docs = [_doc("Inventory", "prop", {"hosts": [{"name": "prop1", "connection": {
        "transport": "sim", "fixture": "sim/prop1.yaml", "state": "state/prop1.json"}}]})]
    if sc["sriov"] is not None:
        enabled, vfs = sc["sriov"]
        spec: dict[str, Any] = {"nicSelector": {"names": ["SLOT 3 Port *"]}, "enabled": enabled}
        if enabled:
            spec["numVFs"] = vfs
        docs.append(_doc("SriovPolicy", "pf", spec))
    docs.append(_doc("VMSwitch", sc["switch_name"], sc["switch"]))
    for spec in sc["adapters"]:
        spec = dict(spec)
        if spec["switch"] == "$switch":
            spec["switch"] = sc["switch_name"]
        docs.append(_doc("VMNetworkAdapter", f"{spec['vm']}-frontend", spec))
    (root / "manifests.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")
    return root


def apply_once(root: Path) -> tuple[list[Any], Any]:
    project = load_project([root])
    with plan_targets(project, collect=locking_collector(LockSettings(1800, "prop"))) as orch:
        try:
            outcomes = apply_runs(orch, parallelism=1)
        finally:
            release_locks(orch)
        return outcomes, orch.plan


def mutating_cmdlets(root: Path, start: int) -> list[dict[str, Any]]:
    """Mutating cmdlets logged after entry ``start``, the run's own lock file left out."""
    from engine.sim.host import SimulatedHost

    host = SimulatedHost.from_state(root / "state" / "prop1.json")
    mutating = {id(e) for e in host.mutating_cmdlets()}
    return [e for e in host.counters["cmdlets"][start:]
            if id(e) in mutating
            and (e["parameters"].get("LiteralPath") or e["parameters"].get("Path")) not in (LOCK_PATH, [LOCK_PATH])]


def log_length(root: Path) -> int:
    return len(json.loads((root / "state" / "prop1.json").read_text())["counters"]["cmdlets"])


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sc=scenarios())
def test_apply_then_plan_is_empty_and_a_second_apply_runs_no_mutating_cmdlet(tmp_path_factory, sc):
    root = write_project(tmp_path_factory.mktemp("prop"), sc)
    outcomes, plan = apply_once(root)
    assert not plan.has_errors, [e.message for h in plan.hosts for e in h.errors]
    outcome = outcomes[0]
    assert outcome.errors == [], outcome.errors
    assert all(r.status == APPLIED for r in outcome.results), [(r.address, r.status, r.message)
                                                               for r in outcome.results]

    # The second run plans afresh: its plan is what `hvnet plan` would show now.
    start = log_length(root)
    again, replanned = apply_once(root)
    assert not replanned.has_changes, [(c.address, c.action, c.attributes)
                                       for h in replanned.hosts for c in h.pending]
    assert again[0].results == []
    assert mutating_cmdlets(root, start) == []
