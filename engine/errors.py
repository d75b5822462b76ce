"""One exception hierarchy for the whole engine.

::

    EngineError
    ├── ManifestError (ValueError)         bad user input; carries Diagnostics
    ├── TransportError (ConnectionError)   talking to a host failed (retryable unless said otherwise)
    │   ├── ConnectError                   could not reach the endpoint
    │   ├── AuthError (PermissionError)    the host refused our credentials   [terminal]
    │   ├── HostTimeout (TimeoutError)     connection or operation timed out
    │   └── ProtocolError                  malformed WS-Management / PSRP answer [terminal]
    ├── RemoteCommandError                 a cmdlet failed on the host           [terminal]
    ├── PlanError                          the plan cannot be built for a host
    ├── StalePlanError                     a saved plan no longer matches the host
    ├── ApplyRefused                       consent missing (disruptive, management path, no TTY)
    └── LockHeld                           another run holds the host's lock

Messages are built from structured fields so that callers (and tests) can read the
fields instead of parsing text.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class EngineError(Exception):
    """Base of every error hvnet raises on purpose."""

    retryable: bool = False


@dataclass(frozen=True)
class Position:
    """A place in a source file; line and col are 1-based."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in user input, rendered as ``file:line:col: error: summary``."""

    summary: str
    position: Position | None = None
    detail: str = ""
    severity: str = "error"  # error | warning
    context: str = ""  # e.g. "VMSwitch/sw-compute spec.uplinks"

    def render(self) -> str:
        where = f"{self.position}: " if self.position else ""
        text = f"{where}{self.severity}: {self.summary}"
        if self.context:
            text += f" [{self.context}]"
        if self.detail:
            text += "\n  " + self.detail.replace("\n", "\n  ")
        return text


class ManifestError(EngineError, ValueError):
    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(d.render() for d in self.diagnostics))


class TransportError(EngineError, ConnectionError):
    retryable = True

    def __init__(self, host: str, message: str) -> None:
        self.host = host
        self.message = message
        super().__init__(f"{host}: {message}")


class ConnectError(TransportError):
    pass


class AuthError(TransportError, PermissionError):
    retryable = False


class HostTimeout(TransportError, TimeoutError):
    pass


class ProtocolError(TransportError):
    retryable = False


@dataclass
class RemoteCommandError(EngineError):
    """A cmdlet reported an error on the host (never retried)."""

    host: str
    cmdlet: str
    error_id: str
    category: str
    message: str
    target: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.host}: {self.cmdlet} failed: {self.message} ({self.error_id}, {self.category})"


class PlanError(EngineError):
    pass


class StalePlanError(EngineError):
    pass


class ApplyRefused(EngineError):
    pass


class LockHeld(EngineError):
    pass
