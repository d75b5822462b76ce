"""The fast plan JSON encoder writes exactly what ``json.dumps(indent=2)`` writes."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.render.json import dumps_indented

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
_documents = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(_documents)
def test_same_bytes_as_the_standard_library(doc: Any) -> None:
    assert dumps_indented(doc) == json.dumps(doc, indent=2)


def test_tricky_values_are_escaped_and_formatted_like_json_dumps() -> None:
    doc = {
        "text": "é\u2028\x7f\x01\x1f\b\t\n\"\\/😀 </script>",
        "small float": 7.97e-05,
        "nan": float("nan"),
        "big": 2**64,
        "tuple": (1, "two", None),
        "empty": [{}, []],
        1: "non-string key",
        "lone surrogate": "\ud800",
    }
    assert dumps_indented(doc) == json.dumps(doc, indent=2)
    for key, value in doc.items():  # one at a time too: each alone may take the fast path
        assert dumps_indented({key: value}) == json.dumps({key: value}, indent=2)
    assert dumps_indented({"vm": "Würzburg-01 😀"}) == '{\n  "vm": "W\\u00fcrzburg-01 \\ud83d\\ude00"\n}'
