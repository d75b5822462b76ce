"""A host that answers garbage: hvnet reports a clear error for that host — no traceback,
no "internal error", no hang — whatever comes back on the wire.

A tiny HTTP server (not the simulator) plays the broken WinRM endpoint.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .figures import FIGURES
from .harness import dump, hvnet

SOAP_NS = 'xmlns:s="http://www.w3.org/2003/05/soap-envelope"'
ANSWERS: dict[str, tuple[int, str, bytes]] = {
    "not-xml": (200, "application/soap+xml", b"\x00\xffthis is not xml at all <<<"),
    "html-error-page": (200, "text/html", b"<html><body>Proxy error</body></html>"),
    "empty-200": (200, "application/soap+xml", b""),
    "soap-without-body": (200, "application/soap+xml", f"<s:Envelope {SOAP_NS}><s:Header/></s:Envelope>".encode()),
    "soap-empty-body": (200, "application/soap+xml",
                        f"<s:Envelope {SOAP_NS}><s:Header/><s:Body/></s:Envelope>".encode()),
    "server-error-garbage": (500, "text/plain", b"boom \x00\x01"),
    "xml-bomb": (200, "application/soap+xml",
                 b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;'
                 b'&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><l>&c;</l>'),
    "not-http": (0, "", b"SSH-2.0-OpenSSH_9.6\r\n"),
}


class _Garbage(BaseHTTPRequestHandler):
    answer: tuple[int, str, bytes] = ANSWERS["not-xml"]

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        status, content_type, body = self.answer
        if status == 0:  # not HTTP at all: raw bytes, then hang up
            self.wfile.write(body)
            self.close_connection = True
            return
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def garbage_server(request: pytest.FixtureRequest) -> Iterator[int]:
    handler = type("Handler", (_Garbage,), {"answer": ANSWERS[request.param]})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def _lab(root: Path, port: int) -> Path:
    inventory = {
        "apiVersion": "hvnet/v1", "kind": "Inventory", "metadata": {"name": "lab"},
        "spec": {"hosts": [{"name": "broken", "connection": {
            "transport": "psrp", "server": "127.0.0.1", "port": port, "ssl": False, "auth": "basic",
            "username": "u", "passwordEnv": "HVNET_GARBAGE_PW", "allowUnencryptedBasic": True,
            "operationTimeout": 2, "connectionTimeout": 2}}]},
    }
    lab = root / "lab"
    lab.mkdir()
    (lab / "inventory.yaml").write_text(dump([inventory]), encoding="utf-8")
    return lab


@pytest.mark.parametrize("garbage_server", sorted(ANSWERS), indirect=True)
def test_garbage_from_the_host_is_a_clear_error(garbage_server: int, tmp_path: Path) -> None:
    FIGURES["injected"] += 1
    lab = _lab(tmp_path, garbage_server)
    started = time.monotonic()
    result = hvnet("plan", str(lab), env={"HVNET_GARBAGE_PW": "pw-garbage"})
    result.assert_no_crash()
    assert result.exit_code == 1
    assert "broken" in result.stderr  # the host is named
    assert time.monotonic() - started < 30
    FIGURES["survived"] += 1


def test_a_port_where_nobody_listens_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    FIGURES["injected"] += 1
    result = hvnet("plan", str(_lab(tmp_path, port)), env={"HVNET_GARBAGE_PW": "pw"})
    result.assert_no_crash()
    assert result.exit_code == 1 and "broken" in result.stderr
    FIGURES["survived"] += 1
