"""VLAN id lists as Hyper-V writes and reads them: ``"1,10-20,30"`` (hyperv-model §2.6)."""

from __future__ import annotations


class VlanListFormatError(ValueError):
    """The text is not a list of ``n`` / ``a-b`` (b > a) items."""


def parse_vlan_list(text: str) -> list[int]:
    """``"10, 20-22,10"`` → ``[10, 20, 21, 22]``: whitespace trimmed, duplicates removed, sorted.

    ``10-10``, ``20-10`` and non-numeric items are refused, as
    SetVMNetworkAdapterVlan_InvalidVlanIdListFormat does.
    """
    ids: set[int] = set()
    for raw in text.split(","):
        item = raw.strip()
        if "-" in item:
            lo_text, _, hi_text = item.partition("-")
            lo, hi = _number(lo_text, text), _number(hi_text, text)
            if hi <= lo:
                raise VlanListFormatError(text)
            ids.update(range(lo, hi + 1))
        else:
            ids.add(_number(item, text))
    return sorted(ids)


def _number(item: str, text: str) -> int:
    item = item.strip()
    if not item.isdigit():
        raise VlanListFormatError(text)
    return int(item)


def format_vlan_list(ids: list[int]) -> str:
    """``[1, 2, 3, 10]`` → ``"1-3,10"`` (FormatVlanIdList: sorted, runs compressed)."""
    values = sorted(set(ids))
    parts: list[str] = []
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        parts.append(str(values[i]) if i == j else f"{values[i]}-{values[j]}")
        i = j + 1
    return ",".join(parts)
