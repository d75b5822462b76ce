"""PowerShell ``WildcardPattern`` semantics, case-insensitive, as Hyper-V's -Name parameters use.

``*`` any run, ``?`` one character, ``[abc]``/``[a-z]`` one of a set, and the backtick
escapes the next character (``WildcardPattern.Escape`` output matches literally).
A malformed bracket (``[`` never closed) matches nothing, as PowerShell's pattern
would throw WildcardPatternException and the cmdlet then finds no object.
"""

from __future__ import annotations

import re
from functools import lru_cache

_SPECIAL = frozenset("*?[")


def contains_wildcard(pattern: str) -> bool:
    """True if ``pattern`` has an unescaped ``*``, ``?`` or ``[`` (ContainsWildcardCharacters)."""
    escaped = False
    for ch in pattern:
        if escaped:
            escaped = False
        elif ch == "`":
            escaped = True
        elif ch in _SPECIAL:
            return True
    return False


def unescape(pattern: str) -> str:
    """The literal text of a pattern without wildcards (``WildcardPattern.Unescape``)."""
    out: list[str] = []
    escaped = False
    for ch in pattern:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "`":
            escaped = True
        else:
            out.append(ch)
    if escaped:
        out.append("`")
    return "".join(out)


@lru_cache(maxsize=1024)
def _compile(pattern: str) -> re.Pattern[str] | None:
    parts: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "`" and i + 1 < n:
            parts.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if ch == "*":
            parts.append(".*")
        elif ch == "?":
            parts.append(".")
        elif ch == "[":
            end, cls = _bracket(pattern, i + 1)
            if end < 0:
                return None
            parts.append(cls)
            i = end + 1
            continue
        else:
            parts.append(re.escape(ch))
        i += 1
    try:
        return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)
    except re.error:
        # e.g. a reversed range "[D-5]": PowerShell cannot parse it either; it matches nothing.
        return None


def _bracket(pattern: str, start: int) -> tuple[int, str]:
    """Parse ``[...]`` from ``start`` (just after ``[``); return (index of ``]``, regex class)."""
    items: list[str] = []
    i, n = start, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "]" and items:
            return i, "[" + "".join(items) + "]"
        if ch == "`" and i + 1 < n:
            i += 1
            ch = pattern[i]
        if i + 2 < n and pattern[i + 1] == "-" and pattern[i + 2] != "]":
            items.append(f"{re.escape(ch)}-{re.escape(pattern[i + 2])}")
            i += 3
            continue
        items.append(re.escape(ch))
        i += 1
    return -1, ""


def matches_name(pattern: str, name: str) -> bool:
    """Whether ``name`` matches the wildcard ``pattern`` (case-insensitive, whole string)."""
    regex = _compile(pattern)
    return regex is not None and regex.fullmatch(name) is not None
