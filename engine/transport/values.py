"""Values to and from pypsrp: parameters as they must be serialized, output as it arrives.

Outbound:
pypsrp infers a CLIXML tag from the Python type and sends every ``int`` as I32, so a
bandwidth in bits per second (> 2**31) would be rejected by the host. Integers that
must travel as Int64 are wrapped in pypsrp's ``TaggedValue("I64", n)``, which the
serializer honours for top-level parameters and for list items alike.

Inbound: what pypsrp 0.9.1 deserializes — ``GenericComplexObject`` with ``.types``,
``.adapted_properties``, ``.extended_properties`` and ``.to_string``; an enum is such an
object whose ``str()`` is its name and ``property_sets[0]`` its number; GUIDs are
``uuid.UUID``; ``$null`` is ``None``. The decoders below are pure and tolerant of the
shapes a real host produces (``Deserialized.``/``Selected.`` type prefixes, enums as
names or numbers, one object or a list).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
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


# --- inbound: decoding output objects ---------------------------------------------


def has_type(obj: Any, suffix: str) -> bool:
    """True when one of the object's type names ends with ``suffix`` (Deserialized./Selected. tolerant)."""
    return any(str(t).endswith(suffix) for t in getattr(obj, "types", None) or ())


def props(obj: Any) -> dict[str, Any]:
    """All properties of an output object, case-folded keys (adapted first, note properties over them)."""
    if isinstance(obj, Mapping):
        return {str(k).casefold(): v for k, v in obj.items()}
    merged: dict[str, Any] = {}
    for source in (getattr(obj, "adapted_properties", None), getattr(obj, "extended_properties", None)):
        if isinstance(source, Mapping):
            merged.update({str(k).casefold(): v for k, v in source.items()})
    return merged


def get(p: Mapping[str, Any], *names: str, default: Any = None) -> Any:
    """The first of ``names`` present with a non-null value."""
    for name in names:
        value = p.get(name.casefold())
        if value is not None:
            return value
    return default


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def enum_name(value: Any, names: Mapping[int, str] | None = None) -> str:
    """An enum's name from an enum object, a number or a string."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return (names or {}).get(value, str(value))
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit() and names:
            return names.get(int(text), text)
        return text
    text = str(value)
    if text:
        return text
    numbers = getattr(value, "property_sets", None) or []
    if numbers and isinstance(numbers[0], int):
        return (names or {}).get(numbers[0], str(numbers[0]))
    return ""


def as_bool(value: Any) -> bool:
    """A bool, also from an OnOffState enum (On/Off, number 0/1) or a "True"/"False" string."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, int):
        return value != 0
    name = enum_name(value).casefold()
    return name in ("on", "true", "1")


def as_int(value: Any, default: int = 0) -> int:
    if value is None or isinstance(value, bool):
        return default if value is None else int(value)
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        numbers = getattr(value, "property_sets", None) or []
        return numbers[0] if numbers and isinstance(numbers[0], int) else default


def as_str(value: Any) -> str:
    return "" if value is None else str(value)


def guid(value: Any) -> str:
    """A GUID as lowercase text without braces ("" when null)."""
    if value is None:
        return ""
    if isinstance(value, uuid.UUID):
        return str(value)
    text = str(value).strip().strip("{}").lower()
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return text


def braced_guid(value: Any) -> str:
    text = guid(value)
    return "{" + text + "}" if text else ""


def mac(value: Any) -> str:
    """12 uppercase hex digits, no separators; all zeros (not yet assigned) → ""."""
    text = "".join(ch for ch in as_str(value) if ch.isalnum()).upper()
    return "" if not text or set(text) == {"0"} else text


def vlan_ids(value: Any) -> tuple[int, ...]:
    """Expand "10,20-22" or a list of ints (or of such strings) into sorted unique ids."""
    ids: set[int] = set()
    for item in as_list(value):
        if isinstance(item, int) and not isinstance(item, bool):
            ids.add(item)
            continue
        for part in as_str(item).replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            low, sep, high = part.partition("-")
            if sep:
                ids.update(range(int(low), int(high) + 1))
            else:
                ids.add(int(part))
    return tuple(sorted(ids))


def cidr(address: Any, prefix: Any) -> str:
    text = as_str(address)
    return f"{text}/{as_int(prefix)}" if text else ""
