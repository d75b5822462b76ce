"""The one interface the engine uses to talk to a host.

A ``HostSession`` runs structured statements (``Pipeline`` values, never script
text) in ONE remote invocation and returns each statement's output objects. It is
opened lazily, reused for every ``run`` of a host during a run, and closed once.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Protocol, runtime_checkable

from engine.transport.command import Cmdlet, Pipeline

# Verbs that only read. Everything else is treated as a mutation (read-only
# sessions refuse it; retries never repeat it).
READ_ONLY_VERBS = frozenset({"get", "select", "where", "measure", "sort", "format"})


@runtime_checkable
class HostSession(Protocol):
    host: str

    def run(self, statements: list[Pipeline]) -> list[list[Any]]:
        """Run ``statements`` in one invocation; one output list per statement.

        Raises ``RemoteCommandError`` when any cmdlet reports an error, and a
        ``TransportError`` subclass when the host cannot be talked to.
        """
        ...

    def close(self) -> None: ...

    @property
    def requests_made(self) -> int | None:
        """HTTP requests sent so far, when the transport knows (None otherwise)."""
        ...

    def __enter__(self) -> HostSession: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


def is_read_only(cmdlet: Cmdlet) -> bool:
    return cmdlet.name.partition("-")[0].casefold() in READ_ONLY_VERBS


def statements_read_only(statements: list[Pipeline]) -> bool:
    return all(is_read_only(c) for p in statements for c in p.commands)


def check_statements(statements: list[Pipeline]) -> None:
    """Refuse anything that is not a list of pipelines of ``Cmdlet`` values."""
    if not isinstance(statements, list) or not statements:
        raise TypeError("run() takes a non-empty list of Pipeline values")
    for statement in statements:
        if not isinstance(statement, Pipeline) or not statement.commands:
            raise TypeError(f"not a non-empty Pipeline: {statement!r}")
        for command in statement.commands:
            if not isinstance(command, Cmdlet):
                raise TypeError(f"only Cmdlet values can be run (got {type(command).__name__})")
            if not command.name or any(ch.isspace() or ch in ";|&$(){}'\"`" for ch in command.name):
                raise ValueError(f"not a cmdlet name: {command.name!r}")
