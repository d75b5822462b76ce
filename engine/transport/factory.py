"""Pick the session implementation for a host's ``connection.transport``."""

from __future__ import annotations

from engine.errors import Diagnostic, ManifestError
from engine.inventory import InventoryHost
from engine.transport.psrp import PsrpSession
from engine.transport.session import HostSession


def open_session(host: InventoryHost) -> HostSession:
    """A (lazily connecting) session to ``host``; close it, or use it as a context manager."""
    settings = host.connection
    if settings.transport == "psrp":
        return PsrpSession(host.name, settings)
    if settings.transport == "sim":
        from engine.transport.sim import SimSession  # imports the simulator only when used

        return SimSession(host.name, settings)
    if settings.transport == "snapshot":
        from engine.transport.snapshot import SnapshotSession

        if not settings.file:
            raise _error(host, "transport: snapshot needs file: <path to a snapshot JSON>")
        return SnapshotSession(host.name, settings.file)
    raise _error(host, f"unknown transport {settings.transport!r} (expected psrp, sim or snapshot)")


def _error(host: InventoryHost, summary: str) -> ManifestError:
    return ManifestError(
        [Diagnostic(summary=summary, position=host.source, context=f"Inventory host {host.name}")]
    )
