"""A scripted stand-in for a host session (unit tests only; e2e tests use the simulator)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.errors import RemoteCommandError
from engine.plan.model import Change, HostPlan
from engine.transport.command import Cmdlet, Pipeline, Step

HOST = "hv1"
Answer = Callable[[Pipeline], list[Any]]


@dataclass
class FakeSession:
    """Runs statements in order; ``fail`` maps a cmdlet name to an error message.

    A failing statement is non-terminating (later statements still run) unless
    ``terminating`` is set, as in PowerShell; the first error is raised after the call.
    """

    answer: Answer = lambda _p: []  # noqa: E731
    fail: dict[str, str] = field(default_factory=dict)
    terminating: bool = False
    host: str = HOST
    calls: list[list[Pipeline]] = field(default_factory=list)
    executed: list[Pipeline] = field(default_factory=list)

    def run(self, statements: list[Pipeline]) -> list[list[Any]]:
        self.calls.append(list(statements))
        outputs: list[list[Any]] = []
        first_error: RemoteCommandError | None = None
        for statement in statements:
            failing = next((c.name for c in statement.commands if c.name in self.fail), None)
            if failing is not None:
                error = RemoteCommandError(self.host, failing, "Injected", "InvalidOperation", self.fail.pop(failing))
                first_error = first_error or error
                if self.terminating:
                    break
                outputs.append([])
                continue
            self.executed.append(statement)
            outputs.append(self.answer(statement))
        if first_error is not None:
            raise first_error
        return outputs

    def close(self) -> None:
        pass

    @property
    def requests_made(self) -> int | None:
        return None

    def __enter__(self) -> FakeSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def cmdlets(self) -> list[str]:
        """The mutating cmdlets that really ran, in order."""
        return [c.name for p in self.executed for c in p.commands if not c.name.startswith(("Get-", "Where-"))]


def step(sid: str, cmdlet: str, *, deps: tuple[str, ...] = (), **params: Any) -> Step:
    return Step(sid, Pipeline((Cmdlet.of(cmdlet, params),)), depends_on=deps)


def change(name: str, *steps: Step, requires: tuple[str, ...] = (), action: str = "update",
           kind: str = "VMSwitch", risk: str = "none", disruptive: bool = False, reason: str = "") -> Change:
    return Change(address=f"{HOST}/{kind}/{name}", kind=kind, name=name, action=action, steps=steps,
                  requires=requires, risk=risk, disruptive=disruptive, reason=reason)


def host_plan(*changes: Change, name: str = HOST) -> HostPlan:
    return HostPlan(name=name, connection={"transport": "psrp"}, observed_fingerprint="sha256:" + "0" * 64,
                    changes=changes)
