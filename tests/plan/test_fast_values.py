"""Values the planner builds the short way equal those built the general way."""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.apply.steps import vlan_cmdlet, vlan_params
from engine.plan.model import AttributeDiff, Change, Dependent
from engine.transport.command import Cmdlet, Pipeline, Step

_text = st.text(max_size=6)
_steps = st.lists(st.builds(Step, _text, st.builds(Pipeline, st.just((Cmdlet("Get-VM"),)))), max_size=2).map(tuple)
_changes = st.builds(
    Change, _text, _text, _text, st.sampled_from(["create", "update", "noop"]), _text, st.booleans(), _text,
    st.lists(st.builds(AttributeDiff, _text, st.integers(), st.integers()), max_size=2).map(tuple),
    st.lists(st.builds(Dependent, _text, _text), max_size=2).map(tuple),
    _steps, st.none() | _text, st.lists(_text, max_size=2).map(tuple), st.lists(_text, max_size=2).map(tuple),
)


def test_but_passes_every_field() -> None:
    # Change.but lists the fields by position: a new field must be added there too.
    assert [f.name for f in dataclasses.fields(Change)] == [
        "address", "kind", "name", "action", "reason", "disruptive", "risk", "attributes", "dependents", "steps",
        "target", "requires", "warnings",
    ]


@settings(max_examples=200, deadline=None)
@given(_changes, st.none() | _steps, st.none() | st.lists(_text, max_size=3).map(tuple))
def test_but_is_replace(change: Change, steps: tuple[Step, ...] | None, requires: tuple[str, ...] | None) -> None:
    changes: dict[str, Any] = {}
    if steps is not None:
        changes["steps"] = steps
    if requires is not None:
        changes["requires"] = requires
    assert repr(change.but(steps=steps, requires=requires)) == repr(dataclasses.replace(change, **changes))


_vlans = st.fixed_dictionaries(
    {"mode": st.sampled_from(["access", "Access", "trunk", "untagged"])},
    optional={
        "vlanId": st.integers(min_value=-2, max_value=5000) | st.booleans() | st.sampled_from([10.0, "12"]),
        "nativeVlanId": st.integers(0, 4094),
        "allowedVlanIds": st.sampled_from(["", "10,20-22", "1"]),
    },
)


@settings(max_examples=300, deadline=None)
@given(_vlans)
def test_vlan_cmdlet_is_built_from_vlan_params(vlan: dict[str, Any]) -> None:
    try:
        expected: Any = Cmdlet.of("Set-VMNetworkAdapterVlan", vlan_params(vlan))
    except (KeyError, ValueError, TypeError) as exc:
        expected = type(exc)
    try:
        got: Any = vlan_cmdlet(vlan)
    except (KeyError, ValueError, TypeError) as exc:
        got = type(exc)
    assert repr(got) == repr(expected)
    assert repr(vlan_cmdlet(vlan) if not isinstance(got, type) else got) == repr(expected)  # from the cache too
