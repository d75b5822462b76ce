"""Planning: desired resources × observed state → the plan value (CONTRACT §5).

Public API:
- ``plan_host(inv_host, resources, observed) -> HostPlan``
- ``plan_project(project, observed_by_host) -> Plan``
- ``diff(resources, observed) -> DiffResult`` (engine.plan.diff)
- ``fingerprint_parts``, ``fingerprint``, ``describe_staleness`` (engine.plan.fingerprint)
- ``resources_to_json`` / ``resources_from_json`` (engine.plan.desired_io)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from engine.gc_pause import gc_paused
from engine.inventory import Inventory, InventoryHost
from engine.model.resources import Resource
from engine.observe.model import ObservedHost
from engine.plan.desired_io import resources_from_json, resources_to_json
from engine.plan.diff import DiffResult, diff
from engine.plan.fingerprint import describe_staleness, fingerprint, fingerprint_parts
from engine.plan.model import Change, HostError, HostPlan, Plan
from engine.transport.command import Cmdlet, Pipeline, Ref, Step

__all__ = [
    "DiffResult",
    "describe_staleness",
    "diff",
    "failed_host",
    "fingerprint",
    "fingerprint_parts",
    "plan_host",
    "plan_project",
    "resources_from_json",
    "resources_to_json",
]


class ProjectLike(Protocol):
    inventory: Inventory
    resources: Mapping[str, list[Resource]]


def _renumber(changes: tuple[Change, ...]) -> tuple[Change, ...]:
    """Give every step a host-unique id ("1", "2", …) in apply order; remap refs."""
    out: list[Change] = []
    counter = 0
    for change in changes:
        mapping: dict[str, str] = {}
        for step in change.steps:
            counter += 1
            mapping[step.id] = str(counter)
        steps = tuple(_remap(step, mapping) for step in change.steps)
        out.append(change.but(steps=steps) if steps else change)
    return tuple(out)


def _remap(step: Step, mapping: dict[str, str]) -> Step:
    pipeline = step.pipeline
    if any(isinstance(v, (Ref, list)) for c in pipeline.commands for _, v in c.parameters):  # noqa: UP038 - a tuple is faster
        commands = tuple(
            Cmdlet(c.name, tuple((k, _remap_value(v, mapping)) for k, v in c.parameters)) for c in pipeline.commands
        )
        pipeline = Pipeline(commands)
    deps = tuple(mapping.get(d, d) for d in step.depends_on)
    return Step(mapping[step.id], pipeline, step.description, step.mutating, deps)


def _remap_value(v: Any, mapping: dict[str, str]) -> Any:
    # A module function, not a closure in _remap: a closure calling itself is a reference
    # cycle, one per step, left for the cyclic collector.
    if isinstance(v, Ref):
        return Ref(mapping.get(v.step, v.step), v.property)
    if isinstance(v, list):
        return [_remap_value(x, mapping) for x in v]
    return v


def plan_host(inv_host: InventoryHost, resources: list[Resource], observed: ObservedHost) -> HostPlan:
    """The plan of one host. Pure: no I/O."""
    with gc_paused():
        result = diff(resources, observed)
        parts = fingerprint_parts(observed)
        return HostPlan(
            name=inv_host.name,
            connection=inv_host.connection.to_json(),
            observed_fingerprint=fingerprint(parts),
            changes=_renumber(result.changes),
            desired=resources_to_json(list(result.resources)),
            errors=result.errors,
            unmanaged=result.unmanaged,
            fingerprint_parts=parts,
        )


def failed_host(inv_host: InventoryHost, resources: list[Resource], error: BaseException) -> HostPlan:
    """A host whose state could not be collected: not planned, with the reason."""
    message = f"could not read the host's state: {error}"
    return HostPlan(
        name=inv_host.name,
        connection=inv_host.connection.to_json(),
        desired=resources_to_json(resources),
        errors=(HostError(message),),
    )


def plan_project(project: ProjectLike, observed_by_host: Mapping[str, ObservedHost | BaseException]) -> Plan:
    """Plan every host in ``observed_by_host`` (inventory order); a failed host does not stop the others."""
    hosts: list[HostPlan] = []
    for inv_host in project.inventory.hosts:
        if inv_host.name not in observed_by_host:
            continue
        resources = list(project.resources.get(inv_host.name, []))
        observed = observed_by_host[inv_host.name]
        if isinstance(observed, BaseException):
            hosts.append(failed_host(inv_host, resources, observed))
        else:
            hosts.append(plan_host(inv_host, resources, observed))
    return Plan(hosts=tuple(hosts))
