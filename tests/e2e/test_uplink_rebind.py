"""Rebinding a non-SET External switch to another NIC converges without side effects.

Hyper-V's Set-VMSwitch -NetAdapterName takes ONE name and, without -AllowManagementOS,
assumes $true and adds a host vNIC — the planner must pass the current value.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from .helpers import hvnet, mutating_since, state

FIXTURE = """\
apiVersion: hvnet/v1
kind: SimulatedHost
metadata: {name: lab1}
spec:
  computerName: RB1
  osBuild: 20348
  iovSupport: true
  netAdapters:
    - {name: 'NIC A', interfaceDescription: 'Intel X710', macAddress: '98-03-9B-00-00-0A',
       linkSpeedGbps: 10, status: Up, pciLocation: 'PCI bus 1, device 0, function 0'}
    - {name: 'NIC B', interfaceDescription: 'Intel X710 #2', macAddress: '98-03-9B-00-00-0B',
       linkSpeedGbps: 10, status: Up, pciLocation: 'PCI bus 1, device 0, function 1'}
  switches:
    - {name: sw-ext, type: External, uplinks: {names: ['NIC A']}, allowManagementOS: false}
"""

MANIFESTS = """\
apiVersion: hvnet/v1
kind: Inventory
metadata: {name: rb}
spec:
  hosts:
    - name: lab1
      connection: {transport: sim, fixture: sim/lab1.yaml}
---
apiVersion: hvnet/v1
kind: VMSwitch
metadata: {name: sw-ext}
spec:
  type: External
  uplinks: {names: ['NIC B']}
  allowManagementOS: false
"""


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "rb"
    (root / "sim").mkdir(parents=True)
    (root / "sim" / "lab1.yaml").write_text(FIXTURE, encoding="utf-8")
    (root / "main.yaml").write_text(textwrap.dedent(MANIFESTS), encoding="utf-8")
    return root


def test_rebinding_an_external_switch_moves_the_uplink_and_adds_no_host_vnic(tmp_path: Path) -> None:
    root = _project(tmp_path)
    plan = hvnet("plan", str(root), "--detailed-exitcode")
    assert plan.exit_code == 2, plan.stdout + plan.stderr
    assert "nic-rebind" in plan.stdout

    applied = hvnet("apply", str(root), "--auto-approve", "--allow-disruptive")
    assert applied.exit_code == 0, applied.stdout + applied.stderr

    data = state(root)
    switch = next(s for s in data["model"]["switches"] if s["name"] == "sw-ext")
    assert [n.casefold() for n in switch["uplinks"]] == ["nic b"]
    host_vnics = [a for a in data["model"]["adapters"] if a.get("is_management_os")]
    assert host_vnics == [], "a rebind must not create a host vNIC"

    again = hvnet("plan", str(root), "--detailed-exitcode")
    assert again.exit_code == 0, again.stdout + again.stderr
    start = len(data["counters"]["cmdlets"])
    second = hvnet("apply", str(root), "--auto-approve", "--allow-disruptive")
    assert second.exit_code == 0
    assert mutating_since(root, start) == []
