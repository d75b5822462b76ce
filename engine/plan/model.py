"""The plan: a value (CONTRACT §5). Built by ``diff``, rendered, saved, applied.

``Plan.to_json()`` is the document written by ``plan --format json`` / ``--out``;
``Plan.from_json()`` reads it back for ``apply --plan``. Field order is stable so the
JSON is byte-for-byte deterministic for the same input. The per-change classes have
``__slots__``: a big plan holds one of each per resource.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.transport.command import Step

FORMAT_VERSION = "1"
ACTIONS = ("create", "update", "replace", "delete", "noop", "blocked")
# Most to least disruptive; a change's risk is the first of its parts in this order.
RISK_ORDER = ("management-path", "switch-recreate", "nic-restart", "nic-rebind", "vf-fallback", "vnic-blip", "none")
DISRUPTIVE_RISKS = frozenset({"management-path", "switch-recreate", "nic-restart", "nic-rebind"})


def worst_risk(risks: Sequence[str]) -> str:
    if not risks:
        return "none"
    return min(risks, key=RISK_ORDER.index)


@dataclass(frozen=True, slots=True)
class AttributeDiff:
    name: str  # top-level manifest key; `vlan` carries the whole VLAN object
    before: Any
    after: Any
    forces_replacement: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "before": self.before,
            "after": self.after,
            "forces_replacement": self.forces_replacement,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> AttributeDiff:
        return cls(d["name"], d.get("before"), d.get("after"), bool(d.get("forces_replacement", False)))


@dataclass(frozen=True, slots=True)
class Dependent:
    """An object affected by a switch replacement (managed by hvnet or not)."""

    kind: str  # VMNetworkAdapter | HostVNic
    name: str  # adapter name
    vm: str = ""  # VM name for VM adapters
    managed: bool = False
    note: str = ""  # e.g. "IP configuration is lost"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "name": self.name, "managed": self.managed}
        if self.vm:
            out["vm"] = self.vm
        if self.note:
            out["note"] = self.note
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Dependent:
        return cls(d["kind"], d["name"], d.get("vm", ""), bool(d.get("managed", False)), d.get("note", ""))


@dataclass(frozen=True, slots=True)
class Change:
    address: str
    kind: str
    name: str
    action: str  # one of ACTIONS
    reason: str = ""
    disruptive: bool = False
    risk: str = "none"
    attributes: tuple[AttributeDiff, ...] = ()
    dependents: tuple[Dependent, ...] = ()
    steps: tuple[Step, ...] = ()
    target: str | None = None  # SriovPolicy: the NIC's name
    requires: tuple[str, ...] = ()  # addresses of changes that must succeed first
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "address": self.address,
            "kind": self.kind,
            "name": self.name,
        }
        if self.target is not None:
            out["target"] = self.target
        out["action"] = self.action
        out["reason"] = self.reason
        out["disruptive"] = self.disruptive
        out["risk"] = self.risk
        out["attributes"] = [a.to_json() for a in self.attributes]
        out["dependents"] = [d.to_json() for d in self.dependents]
        out["steps"] = [s.to_json() for s in self.steps]
        if self.requires:
            out["requires"] = list(self.requires)
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out

    def but(self, *, steps: tuple[Step, ...] | None = None, requires: tuple[str, ...] | None = None) -> Change:
        """``dataclasses.replace`` for the fields planning fills in late. Positional: replace()
        walks the fields and passes keywords, three times the cost, and runs once per change."""
        return Change(self.address, self.kind, self.name, self.action, self.reason, self.disruptive, self.risk,
                      self.attributes, self.dependents, self.steps if steps is None else steps, self.target,
                      self.requires if requires is None else requires, self.warnings)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Change:
        return cls(
            address=d["address"],
            kind=d["kind"],
            name=d["name"],
            action=d["action"],
            reason=d.get("reason", ""),
            disruptive=bool(d.get("disruptive", False)),
            risk=d.get("risk", "none"),
            attributes=tuple(AttributeDiff.from_json(a) for a in d.get("attributes", [])),
            dependents=tuple(Dependent.from_json(x) for x in d.get("dependents", [])),
            steps=tuple(Step.from_json(s) for s in d.get("steps", [])),
            target=d.get("target"),
            requires=tuple(d.get("requires", [])),
            warnings=tuple(d.get("warnings", [])),
        )


@dataclass(frozen=True)
class HostError:
    """A per-host (or per-resource) plan error: the host or resource is not planned."""

    message: str
    address: str = ""
    position: str = ""  # file:line:col of the declaring document, when known

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message}
        if self.address:
            out["address"] = self.address
        if self.position:
            out["position"] = self.position
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> HostError:
        return cls(d["message"], d.get("address", ""), d.get("position", ""))


@dataclass(frozen=True)
class HostPlan:
    name: str
    connection: dict[str, Any]  # ConnectionSettings.to_json(): never a secret
    observed_fingerprint: str = ""
    changes: tuple[Change, ...] = ()
    desired: dict[str, Any] = field(default_factory=dict)  # enough to verify after apply
    errors: tuple[HostError, ...] = ()
    unmanaged: tuple[str, ...] = ()  # objects on the host no manifest mentions (reported, never touched)
    fingerprint_parts: dict[str, str] = field(default_factory=dict)  # per-object hashes: say what changed

    @property
    def pending(self) -> list[Change]:
        return [c for c in self.changes if c.action not in ("noop",)]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "connection": self.connection,
            "observed_fingerprint": self.observed_fingerprint,
            "changes": [c.to_json() for c in self.changes],
            "desired": self.desired,
            "errors": [e.to_json() for e in self.errors],
            "unmanaged": list(self.unmanaged),
            "fingerprint_parts": self.fingerprint_parts,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> HostPlan:
        return cls(
            name=d["name"],
            connection=dict(d.get("connection", {})),
            observed_fingerprint=d.get("observed_fingerprint", ""),
            changes=tuple(Change.from_json(c) for c in d.get("changes", [])),
            desired=dict(d.get("desired", {})),
            errors=tuple(HostError.from_json(e) for e in d.get("errors", [])),
            unmanaged=tuple(d.get("unmanaged", [])),
            fingerprint_parts=dict(d.get("fingerprint_parts", {})),
        )


@dataclass(frozen=True)
class Plan:
    hosts: tuple[HostPlan, ...]
    format_version: str = FORMAT_VERSION

    def summary(self) -> dict[str, int]:
        counts = {"create": 0, "update": 0, "replace": 0, "delete": 0, "blocked": 0}
        for host in self.hosts:
            for change in host.changes:
                if change.action in counts:
                    counts[change.action] += 1
        return counts

    @property
    def has_changes(self) -> bool:
        return any(h.pending for h in self.hosts)

    @property
    def has_errors(self) -> bool:
        return any(h.errors for h in self.hosts)

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version,
            "hosts": [h.to_json() for h in self.hosts],
            "summary": self.summary(),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Plan:
        return cls(hosts=tuple(HostPlan.from_json(h) for h in d.get("hosts", [])), format_version=str(d.get("format_version", "1")))
