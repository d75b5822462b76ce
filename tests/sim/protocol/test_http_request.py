"""The simulator reads request lines and headers itself (``engine.sim.http_request``), not
with the email package: the same fields, the same answers as the stdlib's ``parse_request``."""

from __future__ import annotations

import io
import re
import socket
from collections.abc import Iterator
from email.parser import Parser
from http.client import HTTPException, HTTPMessage, LineTooLong
from http.server import BaseHTTPRequestHandler

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.sim import SimServer, start_simulator
from engine.sim.http import WinRMRequestHandler
from engine.sim.http_request import MAX_HEADERS, read_headers

from .conftest import PASSWORD
from .fakehost import FakeHost


def _email_fields(text: str) -> list[tuple[str, str]]:
    return list(Parser(_class=HTTPMessage).parsestr(text).items())


def _ours(text: str) -> list[tuple[str, str]]:
    return list(read_headers(io.BytesIO(text.encode("iso-8859-1"))).items())


_NAME = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=0, max_size=8)
_VALUE = st.text(alphabet=st.characters(min_codepoint=0x01, max_codepoint=0xFF), max_size=12)
_EOL = st.sampled_from(["\r\n", "\r\n", "\n", "\r"])
_LINE = st.one_of(
    st.builds(lambda n, v, e: f"{n}:{v}{e}", _NAME, _VALUE, _EOL),  # a field (maybe nameless, odd EOLs)
    st.builds(lambda w, v, e: f"{w}{v}{e}", st.sampled_from([" ", "\t"]), _VALUE, _EOL),  # folding
    st.builds(lambda v, e: f"From {v}{e}", _VALUE, _EOL),  # an mbox envelope line
    st.builds(lambda v, e: f"{v}{e}", _VALUE, _EOL),  # anything
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_LINE, max_size=8), st.sampled_from(["\r\n", "\n", ""]))
def test_fields_are_read_as_the_email_package_reads_them(lines: list[str], end: str) -> None:
    text = "".join(lines) + end
    # read_headers stops at the first empty line, as http.client does before handing the block on
    block = b"".join(_raw_block(text.encode("iso-8859-1"))).decode("iso-8859-1")
    assert _ours(text) == _email_fields(block)


def _raw_block(data: bytes) -> Iterator[bytes]:
    for line in io.BytesIO(data):
        yield line
        if line in (b"\r\n", b"\n"):
            return


def test_usual_request_headers() -> None:
    text = "Host: 127.0.0.1:5985\r\nContent-Length: 12\r\ncontent-type: a\r\nContent-Type: b\r\n\r\n"
    headers = read_headers(io.BytesIO(text.encode()))
    assert headers.get("content-length") == "12"
    assert headers.get("Content-Type") == "a"  # the first of repeats, as Message.get
    assert headers.get("Missing", "x") == "x"
    assert headers.get_all("content-type") == ["a", "b"]


def test_limits_are_http_clients() -> None:
    too_many = "".join(f"X-{i}: v\r\n" for i in range(MAX_HEADERS + 1)) + "\r\n"
    with pytest.raises(HTTPException, match="got more than 100 headers"):
        read_headers(io.BytesIO(too_many.encode()))
    with pytest.raises(LineTooLong):
        read_headers(io.BytesIO(b"X: " + b"a" * 70000 + b"\r\n\r\n"))


class _StdlibHandler(WinRMRequestHandler):
    """The simulator's handler with the stdlib's request parsing: the reference."""

    parse_request = BaseHTTPRequestHandler.parse_request


@pytest.fixture
def servers() -> Iterator[tuple[SimServer, SimServer]]:
    with (
        start_simulator(FakeHost(), password=PASSWORD) as ours,
        start_simulator(FakeHost(), password=PASSWORD) as reference,
    ):
        reference._httpd.RequestHandlerClass = _StdlibHandler
        yield ours, reference


_AUTH = "Authorization: Basic aHZuZXQ6UzNjcmV0LXBhc3M=\r\n"  # hvnet:S3cret-pass
_RAW_REQUESTS = [
    f"POST /wsman HTTP/1.1\r\nHost: x\r\n{_AUTH}Content-Length: 0\r\n\r\n",
    f"POST /wsman HTTP/1.1\r\n{_AUTH}Content-Length: 5\r\nContent-Type: text/xml\r\n\r\n<a/>x",
    f"POST /wsman HTTP/1.1\r\n{_AUTH}Content-Length: 4\r\nConnection: close\r\n\r\n<a/>",
    f"POST /wsman HTTP/1.0\r\n{_AUTH}Content-Length: 4\r\n\r\n<a/>",
    f"POST /wsman HTTP/1.0\r\n{_AUTH}Connection: keep-alive\r\nContent-Length: 0\r\n\r\n",
    f"POST //wsman HTTP/1.1\r\n{_AUTH}Content-Length: 0\r\n\r\n",
    f"POST /other HTTP/1.1\r\n{_AUTH}Content-Length: 0\r\n\r\n",
    "POST /wsman HTTP/1.1\r\nContent-Length: 0\r\n\r\n",  # no credentials
    f"POST /wsman HTTP/1.1\r\n{_AUTH}Expect: 100-continue\r\nContent-Length: 4\r\n\r\n<a/>",
    f"POST /wsman HTTP/1.1\r\n{_AUTH}X-Folded: a\r\n  b\r\nContent-Length: 0\r\n\r\n",
    f"POST /wsman HTTP/1.1\r\n{_AUTH}Transfer-Encoding: chunked\r\n\r\n",
    "POST /wsman HTTP/2.0\r\n\r\n",
    "POST /wsman HTTP/1.x\r\n\r\n",
    "POST /wsman HTTP/1.\xb2\r\n\r\n",
    "POST /wsman FTP/1.1\r\n\r\n",
    "POST /wsman\r\n\r\n",
    "GET /wsman\r\n\r\n",
    "POST /wsman HTTP/1.1 extra\r\n\r\n",
    "GET /wsman HTTP/1.1\r\n\r\n",
    "\r\n",
    "POST /wsman HTTP/1.1\r\n" + "".join(f"X-{i}: v\r\n" for i in range(101)) + "\r\n",
    "POST /wsman HTTP/1.1\r\nX: " + "a" * 70000 + "\r\n\r\n",
    f"POST /wsman HTTP/1.1\r\nbroken line\r\n{_AUTH}Content-Length: 0\r\n\r\n",  # ends the headers
]
_VOLATILE = re.compile(r"Date: [^\r]*|uuid:[0-9A-F-]{36}")


def _exchange(port: int, raw: str) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(raw.encode("iso-8859-1"))
        sock.shutdown(socket.SHUT_WR)  # the server answers, then sees the end of the stream
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return _VOLATILE.sub("<volatile>", b"".join(chunks).decode("iso-8859-1"))


@pytest.mark.parametrize("raw", _RAW_REQUESTS, ids=range(len(_RAW_REQUESTS)))
def test_answers_are_the_stdlib_parsers(servers: tuple[SimServer, SimServer], raw: str) -> None:
    ours, reference = servers
    assert _exchange(ours.port, raw) == _exchange(reference.port, raw)
