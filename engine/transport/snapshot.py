"""``transport: snapshot`` — plan offline against a saved ObservedHost JSON file.

The session answers the collector from the file and refuses everything else: a
snapshot cannot be changed, so running a mutating step is an error, not a no-op.
"""

from __future__ import annotations

import dataclasses
from types import TracebackType
from typing import Any

from engine.errors import ApplyRefused, ProtocolError
from engine.observe.model import ObservedHost
from engine.observe.snapshot import read_snapshot
from engine.transport.command import Pipeline
from engine.transport.session import check_statements, is_read_only


class SnapshotSession:
    def __init__(self, host: str, path: str) -> None:
        self.host = host
        self.path = path
        self._observed: ObservedHost | None = None

    def observed(self, host_name: str | None = None) -> ObservedHost:
        """The snapshot's state, named after the inventory host."""
        if self._observed is None:
            self._observed = read_snapshot(self.path)
        return dataclasses.replace(self._observed, host=host_name or self.host)

    def run(self, statements: list[Pipeline]) -> list[list[Any]]:
        check_statements(statements)
        for statement in statements:
            for command in statement.commands:
                if not is_read_only(command):
                    raise ApplyRefused(
                        f"{self.host}: transport 'snapshot' ({self.path}) is read-only; "
                        f"cannot run {command.name}"
                    )
        raise ProtocolError(self.host, f"transport 'snapshot' ({self.path}) can only answer state collection")

    @property
    def requests_made(self) -> int | None:
        return 0

    def close(self) -> None:
        return None

    def __enter__(self) -> SnapshotSession:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
