"""Parameter values as they go on the wire (pypsrp's own serializer, no network)."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET

import pytest
from pypsrp.complex_objects import ObjectMeta
from pypsrp.serializer import Serializer

from engine.transport.command import Cmdlet, Int64, Ref
from engine.transport.values import UnresolvedRefError, psrp_parameters, to_psrp_value


def wire(value: object) -> ET.Element:
    return Serializer().serialize(to_psrp_value(value), ObjectMeta("*"))


def test_int64_value_travels_as_i64() -> None:
    el = wire(Int64(10_000_000_000))
    assert el.tag == "I64" and el.text == "10000000000"


def test_small_int64_still_i64() -> None:
    assert wire(Int64(5)).tag == "I64"


def test_plain_int_outside_i32_is_promoted_to_i64() -> None:
    assert wire(2**31).tag == "I64"
    assert wire(-(2**31) - 1).tag == "I64"
    assert wire(2**31 - 1).tag == "I32"


def test_bools_strings_guids() -> None:
    assert wire(True).tag == "B" and wire(True).text == "true"
    assert wire("sw`[1`]").tag == "S"
    assert wire(uuid.UUID(int=1)).tag == "G"


def test_lists_are_arrays_with_typed_items() -> None:
    el = wire(["a", "b"])
    assert el.tag == "Obj" and [c.text for c in el.find("LST")] == ["a", "b"]
    el = wire((Int64(1), 2))
    assert [c.tag for c in el.find("LST")] == ["I64", "I32"]


def test_unresolved_ref_is_refused_with_the_step_named() -> None:
    with pytest.raises(UnresolvedRefError, match="step '3'"):
        psrp_parameters(Cmdlet.of("Set-VMSwitch", Id=Ref("3")))


def test_unsupported_value_type_refused() -> None:
    with pytest.raises(TypeError, match="-Bad"):
        psrp_parameters(Cmdlet.of("Set-VMSwitch", Bad=object()))


def test_parameter_order_is_kept() -> None:
    names = [
        n
        for n, _ in psrp_parameters(Cmdlet.of("New-VMSwitch", Name="a", NetAdapterName=["x"], EnableIov=True))
    ]
    assert names == ["Name", "NetAdapterName", "EnableIov"]
