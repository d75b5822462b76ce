"""``transport: sim`` — run the simulated Hyper-V host in-process and talk to it
over the same WinRM/PSRP code path as a real host (``PsrpSession``).

The endpoint binds loopback only, so Basic over plain HTTP without message
encryption is acceptable here; the password is random per run and lives only in
this process.
"""

from __future__ import annotations

import dataclasses
import secrets
from typing import Any

from engine.inventory import ConnectionSettings
from engine.transport.psrp import PsrpSession
from engine.transport.wsman_arguments import register_password

SIM_USER = "hvnet"
LOOPBACK = "127.0.0.1"


class SimSession(PsrpSession):
    """A ``PsrpSession`` whose endpoint is a simulator started on first use."""

    def __init__(self, host: str, settings: ConnectionSettings, **kwargs: Any) -> None:
        self._sim_password = secrets.token_urlsafe(24)
        register_password(self._sim_password)
        self._sim_settings = settings
        self.server: Any = None
        self.sim_host: Any = None
        self._baseline = 0
        loopback = dataclasses.replace(
            settings,
            transport="psrp",
            server=LOOPBACK,
            port=0,  # set when the simulator is listening
            ssl=False,
            auth="basic",
            encryption="never",
            username=SIM_USER,
            password_env=None,
            allow_unencrypted_basic=True,
        )
        super().__init__(host, loopback, password_source=self._start, **kwargs)

    def _start(self) -> str:
        """Start the simulator (called by ``_open`` when it needs the password)."""
        if self.server is None:
            from engine.sim import start_simulator
            from engine.sim.host import SimulatedHost

            if not self._sim_settings.fixture:
                from engine.errors import Diagnostic, ManifestError

                raise ManifestError(
                    [
                        Diagnostic(
                            summary="transport: sim needs fixture: <SimulatedHost file>", context=self.host
                        )
                    ]
                )
            self.sim_host = SimulatedHost.from_fixture(self._sim_settings.fixture, self._sim_settings.state)
            # The state file keeps counters across runs: count this session's requests only.
            self._baseline = self._served()
            self.server = start_simulator(
                self.sim_host, port=0, auth="basic", username=SIM_USER, password=self._sim_password
            )
            self.settings = dataclasses.replace(self.settings, port=int(self.server.port))
        return self._sim_password

    def _served(self) -> int:
        counters = getattr(self.sim_host, "counters", None)
        if not isinstance(counters, dict):
            return 0
        return sum(int(n) for n in (counters.get("requests") or {}).values())

    @property
    def requests_made(self) -> int | None:
        """HTTP requests the simulator served during this session (its own counters: exact)."""
        if self.sim_host is None:
            return 0
        return self._served() - self._baseline

    def close(self) -> None:
        try:
            super().close()
        finally:
            server, self.server = self.server, None
            if server is not None:
                server.stop()
