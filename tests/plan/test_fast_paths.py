"""The planner's and renderers' short ways give exactly what the general ones give."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.model.resources import UNSET, VlanSpec, VMNetworkAdapter, address_part, join_address
from engine.render.common import show_step, show_value
from engine.transport.command import Cmdlet, Int64, Pipeline, Ref, Step, value_to_json, wildcard_escape

_names = st.text(max_size=12) | st.sampled_from(["vm01", "Net 0", "a/b", "50%", "x*[1]`", "Würzburg", "\x7f", ""])
_scalars = st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats() | st.text()
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=12,
)
_params = st.lists(
    st.tuples(
        st.sampled_from(["Name", "VMName", "Force", "Passthru", "EnableIov", "Id", "VlanId", "NoRestart"]),
        st.one_of(_scalars, st.builds(Ref, st.text(max_size=3)), st.builds(Int64, st.integers()),
                  st.lists(st.text(max_size=4) | st.integers(), max_size=3)),
    ),
    max_size=5,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_names, min_size=1, max_size=4))
def test_join_address_encodes_each_part_like_address_part(parts: list[str]) -> None:
    assert join_address(parts) == "/".join(address_part(p) for p in parts)


@settings(max_examples=300, deadline=None)
@given(_names)
def test_wildcard_escape_backticks_each_wildcard_character(name: str) -> None:
    assert wildcard_escape(name) == "".join("`" + ch if ch in "*?[]`" else ch for ch in name)


@settings(max_examples=300, deadline=None)
@given(_values)
def test_show_value_is_json_with_spaced_separators(value: Any) -> None:
    assert show_value(value) == json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


@settings(max_examples=300, deadline=None)
@given(_params, _params)
def test_cmdlet_of_merges_like_a_dict_and_to_json_converts_every_value(first: Any, second: Any) -> None:
    params, kwargs = dict(first), dict(second)
    cmd = Cmdlet.of("Set-Thing", params, **kwargs)
    assert cmd.parameters == tuple({**params, **kwargs}.items())
    assert cmd.to_json() == {"cmdlet": "Set-Thing", "parameters": {k: value_to_json(v) for k, v in cmd.parameters}}
    show_step(Step("1", Pipeline((cmd,))))  # every parameter value can be shown


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(
    st.sampled_from([f.name for f in dataclasses.fields(VMNetworkAdapter) if "key" in f.metadata]),
    st.none() | st.integers() | st.text(max_size=4) | st.just(VlanSpec("access", 10)),
))
def test_managed_lists_the_written_fields_in_declaration_order(spec: dict[str, Any]) -> None:
    res = VMNetworkAdapter(host="h", name="n", vm="vm", adapter_name="a", **spec)
    expected = {f.metadata["key"]: getattr(res, f.name) for f in dataclasses.fields(res)
                if "key" in f.metadata and getattr(res, f.name) is not UNSET}
    assert res.managed() == expected
    assert list(res.managed()) == list(expected)
