"""``hvnet sim serve FIXTURE``: run a simulated Hyper-V host as a WinRM endpoint.

Prints the endpoint URL (and with ``--tls`` the certificate to pin) on stdout once it
accepts connections, then serves until SIGINT/SIGTERM and exits 0. The password comes
from the environment (``HVNET_SIM_PASSWORD``), never from the command line.
"""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType
from typing import Any

import click

from engine.errors import EngineError, ManifestError

__all__ = ["sim"]

PASSWORD_ENV = "HVNET_SIM_PASSWORD"


def _fail(message: str) -> click.exceptions.Exit:
    click.echo(f"error: {message}", err=True)
    return click.exceptions.Exit(1)


def _load_host(fixture: str, state: str | None, jea_role: str | None = None) -> Any:
    try:
        from engine.sim.host import SimulatedHost
    except ImportError as exc:
        raise _fail(f"the simulated Hyper-V host is not available in this build ({exc})") from None
    try:
        return SimulatedHost.from_fixture(fixture, state_path=state, jea_role=jea_role)
    except ManifestError as exc:
        for diagnostic in exc.diagnostics:
            click.echo(diagnostic.render(), err=True)
        raise click.exceptions.Exit(1) from None
    except (OSError, ValueError, EngineError) as exc:
        raise _fail(f"cannot load fixture {fixture}: {exc}") from None


@click.group("sim")
def sim() -> None:
    """Run the built-in simulated Hyper-V host."""


@sim.command("serve")
@click.argument("fixture", type=click.Path(dir_okay=False))
@click.option("--host", "bind", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="TCP port; 0 picks a free one (the URL printed says which).",
)
@click.option(
    "--state",
    type=click.Path(dir_okay=False),
    default=None,
    help="State file: resumed if it exists, else created from FIXTURE; written after every request.",
)
@click.option("--tls", is_flag=True, help="Serve HTTPS with a generated self-signed certificate.")
@click.option("--auth", type=click.Choice(["basic", "ntlm"]), default="basic", show_default=True)
@click.option("--user", default="hvnet", show_default=True, help="The user name clients log on with.")
@click.option("--jea-role", "jea_role", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Enforce this JEA role capability file (.psrc, e.g. from `hvnet jea-role`).")
def serve(
    fixture: str, bind: str, port: int, state: str | None, tls: bool, auth: str, user: str, jea_role: str | None
) -> None:
    """Serve FIXTURE (a SimulatedHost document) at http(s)://HOST:PORT/wsman."""
    password = os.environ.get(PASSWORD_ENV, "")
    if not password:
        raise _fail(f"set the password clients must use in the environment variable {PASSWORD_ENV}")
    host = _load_host(fixture, state, jea_role)

    from engine.sim import start_simulator

    try:
        server = start_simulator(
            host, bind=bind, port=port, tls=tls, auth=auth, username=user, password=password
        )
    except (OSError, ValueError) as exc:
        raise _fail(f"cannot serve on {bind}:{port}: {exc}") from None

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        click.echo(server.url)
        if server.cert_pem:
            click.echo(server.cert_pem)
        click.echo(f"serving simulated host {host.name} ({auth}); stop with Ctrl+C", err=True)
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
