"""PowerShell WildcardPattern semantics, as Hyper-V's -Name parameters apply them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from engine.sim.hyperv.wildcard import contains_wildcard, matches_name, unescape
from engine.transport.command import wildcard_escape


def test_star_question_and_brackets_match_like_powershell() -> None:
    assert matches_name("sw-*", "SW-Compute")
    assert matches_name("sw-?", "sw-a")
    assert not matches_name("sw-?", "sw-ab")
    assert matches_name("vm[0-9]", "vm7")
    assert not matches_name("vm[0-9]", "vmx")
    assert matches_name("[ab]x", "Bx")


def test_a_name_without_wildcards_matches_whole_name_case_insensitively() -> None:
    assert matches_name("Frontend", "FRONTEND")
    assert not matches_name("Front", "Frontend")


def test_backtick_escapes_make_special_characters_literal() -> None:
    assert matches_name("a`[1`]", "a[1]")
    assert not matches_name("a[1]", "a[1]")  # unescaped: a bracket class matching "a1"
    assert matches_name("a[1]", "a1")
    assert not matches_name("x`*", "xyz")


def test_an_unclosed_bracket_matches_nothing() -> None:
    assert not matches_name("sw[", "sw[")


def test_contains_wildcard_ignores_escaped_characters() -> None:
    assert contains_wildcard("sw*")
    assert not contains_wildcard("sw`*")
    assert unescape("sw`*`[x`]") == "sw*[x]"


names = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20)


@given(name=names, other=names)
def test_an_escaped_name_matches_exactly_that_name(name: str, other: str) -> None:
    pattern = wildcard_escape(name)
    assert matches_name(pattern, name)
    assert not contains_wildcard(pattern)
    assert matches_name(pattern, other) == (name.casefold() == other.casefold())
