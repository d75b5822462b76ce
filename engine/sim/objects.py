"""The simulator's interface between the Hyper-V model and the PSRP layer.

Cmdlet handlers (``engine.sim.hyperv``) produce ``PSObj`` values; the PSRP layer
(``engine.sim.psrp``) serializes them with psrpcore exactly as Windows remoting does:
type names ending in ``System.Object``, enums as enum objects, nested complex objects
at depth > 1 reduced to their ToString (remoting depth 1).

Typed integers say which CLIXML element a number becomes; a plain ``int`` is I32,
``bool`` is B, ``str`` is S, ``uuid.UUID`` is G, ``None`` is Nil, ``list`` is an array
(typed by ``PSList.element_type``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol


class UInt16(int):
    pass


class UInt32(int):
    pass


class Int64(int):
    pass


class UInt64(int):
    pass


class Byte(int):
    pass


@dataclass(frozen=True)
class PSEnum:
    """An enum value, serialized as ``<Obj><TN>type, System.Enum, System.ValueType, System.Object</TN>
    <ToString>name</ToString><I32>value</I32></Obj>``."""

    type_name: str  # e.g. Microsoft.HyperV.PowerShell.VMSwitchType
    name: str
    value: int

    def __str__(self) -> str:
        return self.name


@dataclass
class PSList:
    """A typed array (``string[]``, ``Guid[]`` …)."""

    element_type: str  # e.g. "System.String"
    items: list[Any] = field(default_factory=list)


@dataclass
class PSObj:
    """A complex object with its type hierarchy (most derived first) and ordered properties.

    ``type_names`` must not include ``System.Object``; the serializer appends it.
    ``to_string`` is what PowerShell's ToString() shows for it.
    """

    type_names: list[str]
    properties: dict[str, Any]
    to_string: str = ""

    def get(self, name: str, default: Any = None) -> Any:
        """Property lookup, case-insensitive as in PowerShell."""
        if name in self.properties:
            return self.properties[name]
        key = name.casefold()
        for k, v in self.properties.items():
            if k.casefold() == key:
                return v
        return default


@dataclass(frozen=True)
class ErrorRecord:
    """A PowerShell ErrorRecord as Hyper-V produces it."""

    message: str
    fully_qualified_error_id: str  # e.g. "ObjectNotFound,Microsoft.HyperV.PowerShell.Commands.GetVMSwitch"
    category: str  # ErrorCategory name, e.g. "ObjectNotFound", "InvalidArgument"
    target_name: str = ""
    exception_type: str = "Microsoft.HyperV.PowerShell.VirtualizationException"
    activity: str = ""  # the cmdlet name; defaults to the invoking cmdlet


class CmdletError(Exception):
    """Raised by a handler: a terminating error (the pipeline fails with ``record``)."""

    def __init__(self, record: ErrorRecord) -> None:
        self.record = record
        super().__init__(record.message)


@dataclass(frozen=True)
class CommandCall:
    """A command as received over PSRP: positional arguments have ``name`` None,
    switch parameters have the value ``True`` (psrpcore gives None; the dispatcher converts)."""

    name: str
    parameters: tuple[tuple[str | None, Any], ...] = ()


class InvocationContext(Protocol):
    """What a handler may do besides returning output."""

    def write_error(self, record: ErrorRecord) -> None:
        """A non-terminating error: recorded, the pipeline goes on."""

    @property
    def client_address(self) -> str:
        """The IP address the client connected to (management-path reporting)."""


class CmdletHandler(Protocol):
    def __call__(
        self, ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]
    ) -> Iterable[Any]: ...


def new_guid() -> uuid.UUID:
    return uuid.uuid4()
