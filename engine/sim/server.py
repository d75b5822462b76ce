"""Start and stop a simulated host's WinRM endpoint (WS-Management + PSRP over HTTP(S))."""

from __future__ import annotations

import logging
import shutil
import threading
from types import TracebackType

from engine.sim.auth import NTLM_USERS, Credentials
from engine.sim.http import SimHTTPServer
from engine.sim.registry import SimHostAPI
from engine.sim.service import WSManService
from engine.sim.tls import Certificate, generate_certificate, server_context

AUTH_MODES = ("basic", "ntlm")
log = logging.getLogger(__name__)


class SimServer:
    """A running endpoint. A context manager; ``stop()`` is idempotent."""

    def __init__(self, httpd: SimHTTPServer, certificate: Certificate | None) -> None:
        self._httpd = httpd
        self._certificate = certificate
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"hvnet-sim-{self.port}",
            daemon=True,
        )
        self._stopped = False
        self._thread.start()

    @property
    def host(self) -> SimHostAPI:
        return self._httpd.service.host

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def bind(self) -> str:
        return str(self._httpd.server_address[0])

    @property
    def url(self) -> str:
        return self._httpd.url

    @property
    def cert_pem(self) -> str | None:
        """Path of the self-signed certificate (TLS only): pin it as the client's CA bundle."""
        return self._certificate.cert_pem if self._certificate else None

    @property
    def service(self) -> WSManService:
        return self._httpd.service

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._httpd.stopping.set()
        self._httpd.shutdown()
        self._httpd.service.close_all()
        self._httpd.server_close()
        self._thread.join(timeout=5)
        if not self._httpd.wait_idle(timeout=30):
            log.warning("sim.stop_requests_still_running")
        if self._certificate is not None:
            shutil.rmtree(self._certificate.directory, ignore_errors=True)

    def __enter__(self) -> SimServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_simulator(
    host: SimHostAPI,
    *,
    bind: str = "127.0.0.1",
    port: int = 0,
    tls: bool = False,
    auth: str = "basic",
    username: str = "hvnet",
    password: str,
) -> SimServer:
    """Serve ``host`` at ``http(s)://bind:port/wsman`` (port 0 = a free port) until ``stop()``."""
    if auth not in AUTH_MODES:
        raise ValueError(f"auth must be one of {', '.join(AUTH_MODES)} (got {auth!r})")
    if not password:
        raise ValueError("a password is required")
    credentials = Credentials(username, password)
    user_file = NTLM_USERS.add(credentials) if auth == "ntlm" else None
    certificate = generate_certificate(bind) if tls else None
    context = server_context(certificate) if certificate else None
    httpd = SimHTTPServer(
        (bind, port), WSManService(host), auth=auth, credentials=credentials, ssl_context=context
    )
    httpd.ntlm_user_file = user_file
    return SimServer(httpd, certificate)
