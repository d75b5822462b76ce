"""Property tests: whatever the input, loading reports diagnostics and never crashes."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import ManifestError
from engine.manifest import load_project, validate_paths
from engine.manifest.rules import normalize_mac, parse_vlan_list

ALPHABET = st.sampled_from(
    list("ab:-[]{}&*!|>'\"#%@`\n\t ,.?0123456789") + ["\u00e9", "\u05e9", "\x00", "\ufeff"]
)
YAMLISH = st.text(alphabet=ALPHABET, max_size=200)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=YAMLISH)
def test_arbitrary_text_yields_diagnostics_never_another_exception(tmp_path: Path, text: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    diagnostics = validate_paths([str(path)])
    assert diagnostics, "without an Inventory there is always at least one problem"
    try:
        load_project([str(path)])
    except ManifestError as exc:
        assert exc.diagnostics
    else:
        raise AssertionError("load_project accepted a project without an Inventory")


@given(mac=st.from_regex(r"\A[0-9A-Fa-f]{2}([-:]?[0-9A-Fa-f]{2}){5}\Z"))
def test_mac_normalization_is_idempotent_and_canonical(mac: str) -> None:
    once = normalize_mac(mac)
    assert normalize_mac(once) == once
    assert len(once) == 12 and once == once.upper()


@given(ranges=st.lists(st.tuples(st.integers(1, 4094), st.integers(0, 50)), min_size=1, max_size=6))
def test_vlan_lists_parse_back(ranges: list[tuple[int, int]]) -> None:
    text = ",".join(f"{low}-{low + span}" if span else str(low) for low, span in ranges)
    assert [(low, high) for low, high, _ in parse_vlan_list(text)] == [
        (low, low + span) for low, span in ranges
    ]
