"""Assemble the simulated host's cmdlet registry: read cmdlets, engineer B's mutating
cmdlet modules (each exposes ``register(registry, host)``) and the generic cmdlets
(Select-Object, Where-Object …) of ``engine.sim.generic``."""

from __future__ import annotations

from engine.sim.generic import register_generic
from engine.sim.hyperv import (
    cmdlets_adapter,
    cmdlets_fs,
    cmdlets_fs_query,
    cmdlets_hnv,
    cmdlets_read,
    cmdlets_read_net,
    cmdlets_sriov,
    cmdlets_switch,
    cmdlets_vlan,
)
from engine.sim.hyperv.rules import HostWithModel
from engine.sim.registry import Registry

_MODULES = (
    cmdlets_read, cmdlets_read_net,  # reads (engineer A)
    cmdlets_switch, cmdlets_adapter, cmdlets_vlan, cmdlets_sriov, cmdlets_hnv, cmdlets_fs,  # mutations (B)
    cmdlets_fs_query,  # the lock's conditional release: Select-String, Test-Path
)  # fmt: skip


def build_registry(host: HostWithModel) -> Registry:
    registry = Registry()
    register_generic(registry)
    for module in _MODULES:
        module.register(registry, host)
    return registry
