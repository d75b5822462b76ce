"""After apply: re-read the host and check observed == desired, per resource.

Verification re-plans the host with the plan's own desired resources (a saved plan
carries them), so "in sync" means exactly what ``plan`` means by "no changes": every
change must now be ``noop``. Whatever is left is a mismatch, reported per resource.
Verification is the truth about the host: it also settles changes whose outcome the
executor could not know (a round trip that failed part-way).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from engine.apply.executor import APPLIED, FAILED, HostApplyResult
from engine.inventory import InventoryHost
from engine.model.resources import Resource
from engine.observe.model import ObservedHost
from engine.plan.model import Change, HostPlan

__all__ = ["UNVERIFIED", "Verification", "describe_mismatch", "reconcile", "verify_observed"]

UNVERIFIED = "unverified"  # the steps ran, but the host does not show the desired state

Planner = Callable[[InventoryHost, list[Resource], ObservedHost], HostPlan]


@dataclass(frozen=True)
class Verification:
    host: str
    remaining: tuple[Change, ...] = ()  # changes the host still needs (blocked ones included)
    error: str = ""  # the host could not be re-read

    @property
    def mismatches(self) -> list[Change]:
        return [c for c in self.remaining if c.action != "blocked"]

    @property
    def in_sync(self) -> bool:
        return not self.error and not self.mismatches


def verify_observed(
    inv_host: InventoryHost, desired: list[Resource], observed: ObservedHost, planner: Planner
) -> Verification:
    """Re-plan ``desired`` against freshly ``observed`` state; keep what is not noop."""
    replanned = planner(inv_host, desired, observed)
    remaining = tuple(c for c in replanned.changes if c.action != "noop")
    return Verification(inv_host.name, remaining)


def describe_mismatch(change: Change) -> str:
    """``lab1/VMSwitch/sw: still needs update (notes: 'a' → 'b')``."""
    parts = [f"{a.name}: {a.before!r} → {a.after!r}" for a in change.attributes]
    detail = f" ({'; '.join(parts)})" if parts else f" ({change.reason})" if change.reason else ""
    return f"{change.address}: still needs {change.action}{detail}"


def reconcile(result: HostApplyResult, verification: Verification) -> list[str]:
    """Settle each change's status with what the host now shows; the per-resource mismatch lines.

    - applied, but the host still needs it → ``unverified``;
    - failed with an unknown outcome, but the host is now as desired → ``applied``;
    - a resource that needs a change the plan did not have (it changed meanwhile) → a mismatch.
    """
    if verification.error:
        return [f"{result.host}: could not verify: {verification.error}"]
    remaining = {c.address: c for c in verification.mismatches}
    lines: list[str] = []
    for change in result.changes:
        left = remaining.pop(change.address, None)
        if change.status == APPLIED and left is not None:
            change.status = UNVERIFIED
            change.message = f"did not verify: {describe_mismatch(left)}"
            lines.append(change.message)
        elif change.status == FAILED and left is None and change.uncertain:
            change.status = APPLIED
            change.message = "applied (confirmed by verification after an interrupted round trip)"
    lines += [f"did not verify: {describe_mismatch(c)}" for c in remaining.values()]
    return lines

