"""The machine plan: exactly ``Plan.to_json()`` (schemas/plan.schema.json).

The bytes are those of ``json.dumps(doc, indent=2) + "\\n"`` (ASCII only, non-ASCII as
``\\uXXXX``). The standard library encodes indented JSON in pure Python, which took
seconds for a plan of 10,000 resources; orjson writes the same indented layout in C.
orjson differs from the standard library only in number formatting of some floats
(and NaN/Infinity), in leaving non-ASCII unescaped, and in refusing what the standard
library accepts (integers beyond 64 bits, non-string keys, lone surrogates). So:
documents made only of str/int/bool/None/dict/list/tuple go through orjson, followed by
the ASCII escaping; anything else through the standard library.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from engine.plan.model import Plan

__all__ = ["dumps_indented", "render_json"]

# json.dumps(ensure_ascii=True) escapes every character outside " "…"~"; orjson already
# escapes the control characters below " " the same way, leaving DEL and non-ASCII.
_NOT_ASCII = re.compile("[^\x00-\x7e]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # outside the BMP: a UTF-16 surrogate pair, as json.dumps writes it
    return f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}"


def _plain(root: Any) -> bool:
    """Only types orjson formats exactly like the standard library (no floats, no subclasses,
    string keys). Iterative: a plan of 10,000 resources has ~500,000 values to look at."""
    stack = [root]
    pop, push = stack.pop, stack.extend
    while stack:
        value = pop()
        kind = type(value)
        if kind is dict:
            for key in value:
                if type(key) is not str:
                    return False
            push(value.values())
        elif kind is list or kind is tuple:
            push(value)
        elif kind is not str and kind is not int and kind is not bool and value is not None:
            return False
    return True


def dumps_indented(doc: Any) -> str:
    """``json.dumps(doc, indent=2)``, byte for byte, fast for plain documents."""
    if _plain(doc):
        try:
            text = orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode()
        except orjson.JSONEncodeError:  # e.g. an int beyond 64 bits, a lone surrogate
            return json.dumps(doc, indent=2)
        return text if text.isascii() and "\x7f" not in text else _NOT_ASCII.sub(_escape, text)
    return json.dumps(doc, indent=2)


def render_json(plan: Plan) -> str:
    return dumps_indented(plan.to_json()) + "\n"
