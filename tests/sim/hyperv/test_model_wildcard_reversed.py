"""A pattern PowerShell cannot parse matches nothing instead of crashing a read cmdlet."""

from engine.sim.hyperv.wildcard import matches_name


def test_reversed_bracket_range_matches_nothing() -> None:
    assert matches_name("[D-5]x", "ax") is False
    assert matches_name("[a-d]x", "bx") is True  # positive control
