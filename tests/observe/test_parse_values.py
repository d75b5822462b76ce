"""Normalization rules the diff relies on: MACs, VLAN lists, enums, GUIDs, booleans."""

from __future__ import annotations

import uuid

import pytest

from engine.observe.parse import ON_OFF, SWITCH_TYPES, on_off
from engine.transport.values import as_bool, as_list, braced_guid, enum_name, guid, has_type, mac, vlan_ids

from .observe_builders import enum, obj


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("00-15-5D-01-0A-01", "00155D010A01"),
        ("00:15:5d:01:0a:01", "00155D010A01"),
        ("00155d010a01", "00155D010A01"),
        ("000000000000", ""),  # dynamic MAC not yet assigned
        ("00-00-00-00-00-00", ""),
        (None, ""),
        ("", ""),
    ],
)
def test_mac_is_normalized(raw: str | None, expected: str) -> None:
    assert mac(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10,20-22", (10, 20, 21, 22)),
        ("1-3, 2", (1, 2, 3)),
        ([30, 10, 20], (10, 20, 30)),
        (["5-6", "1"], (1, 5, 6)),
        (7, (7,)),
        ("", ()),
        (None, ()),
    ],
)
def test_vlan_lists_expand_to_sorted_ids(raw: object, expected: tuple[int, ...]) -> None:
    assert vlan_ids(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (enum("Microsoft.HyperV.PowerShell.VMSwitchType", "External", 2), "External"),
        (2, "External"),
        ("1", "Internal"),
        ("Private", "Private"),
        (None, ""),
        (99, "99"),
    ],
)
def test_enums_read_by_name_or_number(raw: object, expected: str) -> None:
    assert enum_name(raw, SWITCH_TYPES) == expected


def test_enum_object_without_name_falls_back_to_its_number() -> None:
    e = enum("Microsoft.HyperV.PowerShell.VMSwitchType", "", 1)
    assert enum_name(e, SWITCH_TYPES) == "Internal"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (enum("Microsoft.HyperV.PowerShell.OnOffState", "On", 0), True),
        (enum("Microsoft.HyperV.PowerShell.OnOffState", "Off", 1), False),
        (0, True),  # OnOffState.On is 0: a number is the enum, not a C-style bool
        (1, False),
        ("On", True),
        (True, True),
        (None, False),
    ],
)
def test_on_off_state_to_bool(raw: object, expected: bool) -> None:
    assert on_off(raw) is expected
    assert ON_OFF[0] == "On"


@pytest.mark.parametrize(
    ("raw", "expected"), [(True, True), ("True", True), ("false", False), (None, False), (0, False)]
)
def test_as_bool(raw: object, expected: bool) -> None:
    assert as_bool(raw) is expected


def test_guids_lowercase_without_braces_and_braced_for_routing_domains() -> None:
    value = uuid.UUID("11111111-2222-3333-4444-00000000000A")
    assert guid(value) == "11111111-2222-3333-4444-00000000000a"
    assert guid("{11111111-2222-3333-4444-00000000000A}") == "11111111-2222-3333-4444-00000000000a"
    assert braced_guid("11111111-2222-3333-4444-00000000000A") == "{11111111-2222-3333-4444-00000000000a}"
    assert guid(None) == "" and braced_guid(None) == ""


def test_one_object_or_a_list() -> None:
    assert as_list(None) == []
    assert as_list("a") == ["a"]
    assert as_list(["a", "b"]) == ["a", "b"]


def test_type_names_match_by_suffix_across_deserialized_and_selected_prefixes() -> None:
    o = obj("Microsoft.HyperV.PowerShell.VMInternalNetworkAdapter")
    assert has_type(o, "VMInternalNetworkAdapter")
    assert not has_type(o, "VMSwitch")
