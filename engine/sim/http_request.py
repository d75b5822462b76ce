"""Reading an HTTP request's line and headers for the simulator's handler, without the
``email`` package.

``BaseHTTPRequestHandler.parse_request`` hands the header block to ``email``'s feed
parser, and ``Message.get`` lowercases every field name on each lookup: together
about a fifth of the server's CPU for a small WinRM request. This module reads the
same fields the same way (limits, errors, the first of repeated fields wins, RFC 822
folding and malformed lines as ``email``'s compat32 policy treats them) into an
``HTTPMessage`` whose lookups are one dict access.
"""

from __future__ import annotations

import http.client
import re
from typing import IO, Any

MAX_LINE = 65536  # http.client's limits
MAX_HEADERS = 100
_FIELD_NAME = re.compile(r"[\041-\071\073-\176]*:")  # from email.feedparser's headerRE
_SIMPLE_FIELD = re.compile(r"[\041-\071\073-\176]+:[^\r\n]*\Z")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")  # email splits lines on any of CR, LF, CRLF


class RequestHeaders(http.client.HTTPMessage):
    """Request header fields; ``get`` is case-insensitive and answers the first of repeats."""

    def __init__(self, fields: list[tuple[str, str]]) -> None:
        super().__init__()
        self._first: dict[str, str] = {}
        for name, value in fields:
            self.set_raw(name, value)  # the Message API (items(), get_all()) keeps working
            self._first.setdefault(name.lower(), value)

    def get(self, name: str, failobj: Any = None) -> Any:  # type: ignore[override]
        return self._first.get(name.lower(), failobj)


def read_headers(rfile: IO[bytes]) -> RequestHeaders:
    """The header block up to its empty line; raises what ``http.client.parse_headers`` raises."""
    lines: list[bytes] = []
    while True:
        line = rfile.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise http.client.LineTooLong("header line")
        lines.append(line)
        if len(lines) > MAX_HEADERS:
            raise http.client.HTTPException(f"got more than {MAX_HEADERS} headers")
        if line in (b"\r\n", b"\n", b""):
            break
    return RequestHeaders(parse_fields(b"".join(lines).decode("iso-8859-1")))


def parse_fields(text: str) -> list[tuple[str, str]]:
    """A header block as (name, value) pairs, as email's feed parser with the compat32 policy
    reads it: lines end at CR, LF or CRLF; the block ends at an empty line or the first line
    that is neither a field nor a continuation; continuations join their field, CRLFs
    kept; a leading continuation, an mbox "From " line and a field without a name are
    skipped."""
    lines = text.split("\r\n")
    if lines[-2:] == ["", ""] and all(_SIMPLE_FIELD.match(line) for line in lines[:-2]):
        # The usual block: one "Name: value" per CRLF line, blank line last.
        return [(name, value.lstrip(" \t")) for name, value in (line.split(":", 1) for line in lines[:-2])]
    fields: list[tuple[str, str]] = []
    current: list[str] = []  # the source lines of the field being read

    def flush() -> None:
        if current:
            name, value = current[0].split(":", 1)
            fields.append((name, (value.lstrip(" \t") + "".join(current[1:])).rstrip("\r\n")))
            current.clear()

    for line in _LINE.findall(text):
        if line[:1] in (" ", "\t"):
            if current:
                current.append(line)
            continue
        if not (line.startswith("From ") or _FIELD_NAME.match(line)):
            break  # the empty line, or a line email takes for the start of a body
        flush()
        if not line.startswith(("From ", ":")):
            current.append(line)
    flush()
    return fields
