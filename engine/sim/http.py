"""The threaded HTTP(S) listener of the simulated WinRM endpoint.

One thread per connection, keep-alive, Nagle off (else each request waits ~40 ms for
a delayed ACK). Only ``POST /wsman`` is served. A request is never answered with a
dropped connection or a traceback: bad input gets a WS-Management fault, bad
credentials a 401, server-side bugs a logged fault — except the one request fault
injection asks to drop.
"""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from engine.sim import wsman
from engine.sim.auth import AuthFailed, Credentials, EncryptionError, NegotiateState, check_basic
from engine.sim.http_request import read_headers
from engine.sim.service import Peer, WSManService

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024 * 1024
SOAP_CONTENT_TYPE = "application/soap+xml;charset=UTF-8"


class SimHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(
        self,
        address: tuple[str, int],
        service: WSManService,
        *,
        auth: str,
        credentials: Credentials,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.service = service
        self.auth = auth
        self.credentials = credentials
        self.ntlm_user_file: str | None = None  # set by start_simulator for auth="ntlm"
        self.ssl_context = ssl_context
        self._counter_lock = threading.Lock()
        self._requests = 0
        # Stopping: requests still waiting out their latency are dropped (a host that went
        # away never ran them), and stop() waits for those being answered, so that once it
        # returns nothing changes the host or its state file any more.
        self.stopping = threading.Event()
        self._in_flight = 0
        self._idle = threading.Condition(self._counter_lock)
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, WinRMRequestHandler)

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_context else "http"

    @property
    def url(self) -> str:
        host, port = str(self.server_address[0]), int(self.server_address[1])
        return f"{self.scheme}://{f'[{host}]' if ':' in host else host}:{port}/wsman"

    def next_request_number(self) -> int:
        with self._counter_lock:
            self._requests += 1
            return self._requests

    def begin_request(self) -> bool:
        """Count a request as being answered; False once the server is stopping."""
        with self._counter_lock:
            if self.stopping.is_set():
                return False
            self._in_flight += 1
            return True

    def end_request(self) -> None:
        with self._counter_lock:
            self._in_flight -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """After ``stopping`` is set: wait until no request is being answered (True) or time out."""
        with self._counter_lock:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def finish_request(self, request: Any, client_address: Any) -> None:
        # TLS handshake in the connection's own thread, so a slow client never blocks accept().
        if self.ssl_context is not None:
            try:
                request = self.ssl_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as exc:
                log.debug("tls.handshake_failed: %s", exc)
                return
        super().finish_request(request, client_address)


class WinRMRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    # Buffered writes: status line, headers and body leave in one send (flushed by
    # handle_one_request after each request); unbuffered, each was its own send, and each
    # send wakes the waiting client once more.
    wbufsize = 64 * 1024
    timeout = 120  # idle keep-alive connections close after 2 minutes, as with HTTP.sys
    server: SimHTTPServer
    server_version = "Microsoft-HTTPAPI/2.0"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        self.negotiate = NegotiateState(user_file=self.server.ntlm_user_file)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - BaseHTTPRequestHandler's name
        log.debug("http: " + format, *args)

    def parse_request(self) -> bool:
        """``BaseHTTPRequestHandler.parse_request`` (Python 3.11) with the headers read by
        ``read_headers`` instead of the email package; same checks, errors and keep-alive rules."""
        self.command = None  # type: ignore[assignment] # as the stdlib: unset until the line is read
        self.request_version = self.default_request_version
        self.close_connection = True
        self.requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        words = self.requestline.split()
        if not words:
            return False
        if len(words) >= 3 and not self._check_version(words[-1]):
            return False
        if not 2 <= len(words) <= 3:
            self.send_error(HTTPStatus.BAD_REQUEST, f"Bad request syntax ({self.requestline!r})")
            return False
        command, path = words[:2]
        if len(words) == 2:
            self.close_connection = True
            if command != "GET":
                self.send_error(HTTPStatus.BAD_REQUEST, f"Bad HTTP/0.9 request type ({command!r})")
                return False
        self.command = command
        self.path = "/" + path.lstrip("/") if path.startswith("//") else path
        try:
            self.headers = read_headers(self.rfile)
        except http.client.LineTooLong as err:
            self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Line too long", str(err))
            return False
        except http.client.HTTPException as err:
            self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too many headers", str(err))
            return False
        connection = self.headers.get("Connection", "").lower()
        if connection == "close":
            self.close_connection = True
        elif connection == "keep-alive" and self.protocol_version >= "HTTP/1.1":
            self.close_connection = False
        if (
            self.headers.get("Expect", "").lower() == "100-continue"
            and self.protocol_version >= "HTTP/1.1"
            and self.request_version >= "HTTP/1.1"
        ):
            return self.handle_expect_100()
        return True

    def _check_version(self, version: str) -> bool:
        """The request line's ``HTTP/x.y``, as the stdlib checks it (sends the error itself)."""
        numbers = version[5:].split(".") if version.startswith("HTTP/") else []
        if len(numbers) != 2 or not all(n.isascii() and n.isdigit() and len(n) <= 10 for n in numbers):
            self.send_error(HTTPStatus.BAD_REQUEST, f"Bad request version ({version!r})")
            return False
        major, minor = int(numbers[0]), int(numbers[1])
        if (major, minor) >= (1, 1) and self.protocol_version >= "HTTP/1.1":
            self.close_connection = False
        if (major, minor) >= (2, 0):
            self.send_error(HTTPStatus.HTTP_VERSION_NOT_SUPPORTED, f"Invalid HTTP version ({version[5:]})")
            return False
        self.request_version = version
        return True

    # -- plumbing --------------------------------------------------------------------------
    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _read_body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self._send(411, b"", {"Connection": "close"})
            self.close_connection = True
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self._send(413, b"", {"Connection": "close"})
            self.close_connection = True
            return None
        return self.rfile.read(length) if length else b""

    def _not_found(self) -> None:
        self._send(404, b"", {"Content-Type": "text/plain"})

    do_GET = do_PUT = do_DELETE = do_HEAD = _not_found  # noqa: N815 - http.server dispatch names

    # -- the WinRM endpoint ----------------------------------------------------------------
    def do_POST(self) -> None:  # noqa: N802 - http.server dispatch name
        number = self.server.next_request_number()
        host = self.server.service.host
        if host.latency_ms:
            self.server.stopping.wait(host.latency_ms / 1000)
        if not self.server.begin_request():  # stopped while this request waited: never run it
            self.close_connection = True
            return
        try:
            self._answer(host, number)
        finally:
            self.server.end_request()

    def _answer(self, host: Any, number: int) -> None:
        if host.should_drop(number):
            log.info("request.dropped", extra={"request": number})
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        body = self._read_body()
        if body is None:
            return
        if self.path.split("?", 1)[0].rstrip("/").lower() != "/wsman":
            self._not_found()
            return
        try:
            self._serve(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:  # noqa: BLE001 - the I/O boundary: log the bug, answer a fault, keep serving
            log.exception("request.failed")
            self._send(
                500,
                wsman.render_fault(wsman.internal_error("internal server error")),
                {"Content-Type": SOAP_CONTENT_TYPE},
            )

    def _serve(self, body: bytes) -> None:
        authorization = self.headers.get("Authorization")
        final_token: str | None = None
        try:
            if self.server.auth == "basic":
                user = check_basic(authorization, self.server.credentials)
            elif self.negotiate.complete and not authorization:
                user = self.negotiate.user
            else:
                final_token = self.negotiate.step(authorization)
                user = self.negotiate.user or self.server.credentials.username
        except AuthFailed as failed:
            self._send(401, b"", {"WWW-Authenticate": failed.www_authenticate})
            return
        headers: dict[str, str] = {}
        if final_token:
            headers["WWW-Authenticate"] = final_token
        if not body:  # the empty POST that sets up the NTLM security context
            self._send(200, b"", headers)
            return
        encrypted = self.headers.get("Content-Type", "").lower().startswith("multipart/encrypted")
        if encrypted:
            if not self.negotiate.complete:
                self._send(401, b"", {"WWW-Authenticate": "Negotiate"})
                return
            try:
                body = self.negotiate.unwrap(body)
            except EncryptionError as exc:
                self._send(
                    400,
                    wsman.render_fault(wsman.invalid_xml(f"cannot decrypt the message: {exc}")),
                    {"Content-Type": SOAP_CONTENT_TYPE},
                )
                return
        peer = Peer(self.client_address[0], user, self.server.url)
        status, answer = self.server.service.handle(body, peer)
        self.server.service.host.after_request()
        if encrypted:
            content_type, answer = self.negotiate.wrap(answer)
            headers["Content-Type"] = content_type
        else:
            headers["Content-Type"] = SOAP_CONTENT_TYPE
        self._send(status, answer, headers)
