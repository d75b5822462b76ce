"""Manifest edits that take the example lab through every kind of step the planner emits.

- ``fresh``: the example lab on its fixture (SR-IOV enable + VFs, SET switch create, LB
  algorithm, default-flow weight, host vNIC add, VM adapter add/connect/settings/VLAN, HNV adds);
- ``shrink`` (from the converged lab): SR-IOV disable, SET member removal, switch update,
  VM adapter disconnect and remove, HNV tenant removal;
- ``regrow`` (from the converged ``shrink``): SET member add;
- ``replace`` (from the converged lab): a creation-only change (enableIov) replaces the switch,
  detaching and re-attaching its VM adapters and recreating its host vNIC.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def _edit(lab: Path, file: str, *replacements: tuple[str, str]) -> None:
    path = lab / file
    text = path.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, (file, old)
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")


def shrink(lab: Path) -> None:
    _edit(lab, "switches.yaml",
          ("names: ['SLOT 3 Port 1', 'SLOT 3 Port 2']", "names: ['SLOT 3 Port 1']"),
          ("loadBalancingAlgorithm: HyperVPort", "loadBalancingAlgorithm: Dynamic"),
          ("notes: 'compute: SET + SR-IOV'", "notes: 'shrunk'"))
    _edit(lab, "sriov.yaml", ("names: ['SLOT 3 Port *']", "names: ['SLOT 3 Port 2']"),
          ("enabled: true", "enabled: false"), ("  numVFs: 32\n", ""))
    _edit(lab, "vm-adapters.yaml",
          ("  virtualSubnetId: 5001", "  virtualSubnetId: 5001\n  ensure: absent"),
          ("vm: web01\n  adapterName: Frontend\n  switch: sw-compute", "vm: web01\n  adapterName: Frontend\n  switch: null"))
    _edit(lab, "tenants.yaml", ("spec:\n", "spec:\n  ensure: absent\n"))


def regrow(lab: Path) -> None:
    _edit(lab, "switches.yaml", ("names: ['SLOT 3 Port 1']", "names: ['SLOT 3 Port 1', 'SLOT 3 Port 2']"))
    _edit(lab, "sriov.yaml", ("enabled: false", "enabled: true"))


def replace(lab: Path) -> None:
    _edit(lab, "switches.yaml", ("enableIov: true", "enableIov: false"))
    _edit(lab, "vm-adapters.yaml", ("iovWeight: 100", "iovWeight: 0"), ("iovWeight: 50", "iovWeight: 0"))


EDITS: dict[str, Callable[[Path], None]] = {"shrink": shrink, "regrow": regrow, "replace": replace}
