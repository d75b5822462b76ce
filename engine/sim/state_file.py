"""Encoding and writing the simulator's state file (CONTRACT §4) cheaply, before every answer.

The document is orjson's indented JSON (``OPT_INDENT_2``). Its largest part is the cmdlet
log, which only grows: a served host's log holds thousands of entries after a few dozen
reads, and re-encoding it on each request was most of the file's cost. ``StateEncoder``
encodes each log entry once and splices the entries into the rest of the document —
the same bytes as encoding the whole document at once (tests compare them).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

# Where the log goes in the document while the rest is encoded; \u0000 keeps it out of any
# real text (orjson escapes it, so it appears once in the output).
_PLACEHOLDER = "\u0000hvnet-cmdlet-log\u0000"
_PLACEHOLDER_JSON = orjson.dumps(_PLACEHOLDER)
_ENTRY_INDENT = b"      "  # the log is document["counters"]["cmdlets"]: entries at depth 3
_LOG_CLOSE = b"\n    ]"


class StateEncoder:
    """Indented ASCII JSON of a state document whose ``counters["cmdlets"]`` log is append-only.

    The log's entries already encoded (kept joined, ready to splice) are reused while the
    log is the same list object and still holds them (its length and last encoded entry);
    entries are never changed once logged (``SimulatedHost.before_cmdlet`` writes them).
    Anything else is encoded afresh.
    """

    def __init__(self) -> None:
        self._log: list[Any] | None = None
        self._count = 0  # entries of self._log encoded into self._joined
        self._last: Any = None  # the last of them (it differs if entries were swapped)
        self._joined = bytearray()  # the indented entries, separated by ",\n"

    def encode(self, document: dict[str, Any]) -> bytes | None:
        """The document's bytes, or None when orjson refuses it or the text is not ASCII
        (the caller then takes the standard library's path)."""
        counters = document.get("counters")
        log = counters.get("cmdlets") if isinstance(counters, dict) else None
        try:
            if not isinstance(log, list) or not isinstance(counters, dict):
                data = orjson.dumps(document, option=orjson.OPT_INDENT_2)
                return data if data.isascii() else None
            rest = orjson.dumps(
                {**document, "counters": {**counters, "cmdlets": _PLACEHOLDER}}, option=orjson.OPT_INDENT_2
            )
            if not self._encode_entries(log):
                return None
        except orjson.JSONEncodeError:  # e.g. an int beyond 64 bits
            self._log = None
            return None
        parts = rest.split(_PLACEHOLDER_JSON)
        if len(parts) != 2 or not rest.isascii():
            return None
        if not self._joined:
            return parts[0] + b"[]" + parts[1]
        return b"".join((parts[0], b"[\n", self._joined, _LOG_CLOSE, parts[1]))

    def _encode_entries(self, log: list[Any]) -> bool:
        """Bring ``_joined`` up to date with ``log``; False when an entry is not ASCII."""
        if log is not self._log or len(log) < self._count or (self._count and log[self._count - 1] is not self._last):
            self._log, self._count = log, 0
            self._joined.clear()
        for entry in log[self._count :]:
            data = orjson.dumps(entry, option=orjson.OPT_INDENT_2)
            if not data.isascii():
                self._log = None
                return False
            if self._count:
                self._joined += b",\n"
            self._joined += _ENTRY_INDENT + data.replace(b"\n", b"\n" + _ENTRY_INDENT)
            self._count += 1
            self._last = entry
        return True


def write_atomically(path: Path, data: bytes, temp_name: str) -> None:
    """Write ``data`` to ``temp_name`` beside ``path`` (mode 0600, as mkstemp made it), then
    rename it over ``path``. The caller keeps ``temp_name`` unique to one writer at a time."""
    temp = path.with_name(temp_name)
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
