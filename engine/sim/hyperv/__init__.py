"""The simulated host's Hyper-V side: model, fixture loading, objects and cmdlets.

Public API: ``build_registry(host)`` (every cmdlet the simulated host serves),
``engine.sim.hyperv.model.HostModel``, ``engine.sim.hyperv.fixture.load_fixture_file``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.sim.hyperv.rules import HostWithModel
    from engine.sim.registry import Registry

__all__ = ["build_registry"]


def build_registry(host: HostWithModel) -> Registry:
    """The cmdlet registry of a simulated host (imported lazily: the modules import this package)."""
    from engine.sim.hyperv.registry_build import build_registry as build

    return build(host)
