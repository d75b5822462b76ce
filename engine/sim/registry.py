"""Cmdlet registry: how handlers declare their parameters, and what the dispatcher needs
from a simulated host. The dispatcher (``engine.sim.dispatcher``) binds a ``CommandCall``
to a ``CmdletSpec`` exactly as PowerShell's parameter binder would fail or succeed
(unknown cmdlet → CommandNotFoundException, unknown parameter → ParameterBindingException,
missing mandatory → ParameterBindingException) and then calls the handler.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

from engine.sim.objects import CmdletHandler, ErrorRecord

# Parameter kinds the binder converts to:
#   switch  bool (present = True; an explicit $false is honoured)
#   string, string[], int, int64, uint32, bool, guid, guid[], object, object[]
#   enum:<Name1|Name2|...>  case-insensitive name (or its number) → canonical name
PARAM_KINDS = ("switch", "string", "string[]", "int", "int64", "uint32", "bool", "guid", "guid[]", "object", "object[]")


@dataclass(frozen=True)
class ParamSpec:
    name: str
    kind: str = "string"
    aliases: tuple[str, ...] = ()
    position: int | None = None  # positional index, if any
    mandatory: bool = False
    from_pipeline: bool = False  # ValueFromPipeline: input objects bind here
    # ValueFromPipelineByPropertyName: a piped object's property of this name (or alias) binds here,
    # one object at a time (see ``engine.sim.binding.bind_piped``).
    from_pipeline_by_name: bool = False
    parameter_sets: tuple[str, ...] = ()  # informational; handlers enforce set rules themselves


@dataclass(frozen=True)
class CmdletSpec:
    name: str
    handler: CmdletHandler
    params: tuple[ParamSpec, ...] = ()
    mutating: bool = False
    module: str = "Hyper-V"  # used in FullyQualifiedErrorIds: Microsoft.HyperV.PowerShell.Commands.<Noun>

    def param(self, name: str) -> ParamSpec | None:
        key = name.casefold()
        for p in self.params:
            if p.name.casefold() == key or key in (a.casefold() for a in p.aliases):
                return p
        return None


@dataclass
class Registry:
    cmdlets: dict[str, CmdletSpec] = field(default_factory=dict)

    def register(self, spec: CmdletSpec) -> None:
        self.cmdlets[spec.name.casefold()] = spec

    def get(self, name: str) -> CmdletSpec | None:
        return self.cmdlets.get(name.casefold())

    def names(self) -> list[str]:
        return sorted(s.name for s in self.cmdlets.values())


class SimHostAPI(Protocol):
    """What the protocol layer (HTTP/WSMan/PSRP/dispatcher) needs from a simulated host.

    Implemented by ``engine.sim.host.SimulatedHost``. Every method is thread-safe;
    ``lock`` serializes cmdlet execution (Hyper-V's VMMS serializes too).
    """

    registry: Registry
    lock: threading.RLock
    name: str

    def count_request(self, action: str) -> None:
        """Count one HTTP request by WS-Management action name (e.g. "Receive")."""

    def before_cmdlet(self, cmdlet: str, parameters: dict[str, Any]) -> ErrorRecord | None:
        """Record the invocation in the counters; return an injected error (failCmdlets) or None."""

    def after_request(self) -> None:
        """Persist the state file (atomically) before the response is sent."""

    @property
    def latency_ms(self) -> int:
        """Injected latency per HTTP request."""

    def should_drop(self, request_number: int) -> bool:
        """True for the request that must be dropped without an answer (dropAfterRequests)."""
