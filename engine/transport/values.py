"""Parameter values as pypsrp must serialize them.

pypsrp infers a CLIXML tag from the Python type and sends every ``int`` as I32, so a
bandwidth in bits per second (> 2**31) would be rejected by the host. Integers that
must travel as Int64 are wrapped in pypsrp's ``TaggedValue("I64", n)``, which the
serializer honours for top-level parameters and for list items alike.
"""

from __future__ import annotations

import uuid
from typing import Any

from pypsrp.serializer import TaggedValue

from engine.transport.command import Cmdlet, Int64, Ref

I32_MIN = -(2**31)
I32_MAX = 2**31 - 1


class UnresolvedRefError(ValueError):
    """A ``Ref`` reached the transport: the executor must resolve it first."""


def to_psrp_value(value: Any, *, cmdlet: str = "", parameter: str = "") -> Any:
    """Convert one ``Cmdlet`` parameter value to what ``PowerShell.add_parameter`` expects."""
    if isinstance(value, Ref):
        raise UnresolvedRefError(
            f"{cmdlet} -{parameter}: reference to step {value.step!r} ({value.property}) was not resolved"
        )
    if isinstance(value, Int64):
        return TaggedValue("I64", value.value)
    if isinstance(value, bool):
        # A switch (-Force) and a bool parameter (-EnableIov $true) both travel as a
        # Boolean: PowerShell binds -Force:$true exactly like -Force.
        return value
    if isinstance(value, int):
        return value if I32_MIN <= value <= I32_MAX else TaggedValue("I64", value)
    if isinstance(value, list | tuple):
        return [to_psrp_value(v, cmdlet=cmdlet, parameter=parameter) for v in value]
    if value is None or isinstance(value, str | float | uuid.UUID):
        return value
    raise TypeError(f"{cmdlet} -{parameter}: unsupported parameter value type {type(value).__name__}")


def psrp_parameters(cmdlet: Cmdlet) -> list[tuple[str, Any]]:
    """The cmdlet's parameters, converted, in their declared order."""
    return [(name, to_psrp_value(v, cmdlet=cmdlet.name, parameter=name)) for name, v in cmdlet.parameters]
