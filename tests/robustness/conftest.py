"""Prints the fault-injection tally (injected / survived) at the end of the run."""

from __future__ import annotations

from typing import Any

from .figures import FIGURES


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES["injected"]:
        terminalreporter.write_line(
            f"hvnet fault injection: {FIGURES['injected']} faults injected, {FIGURES['survived']} survived "
            f"(clear error or transparent recovery, every change reported, re-run converged, no duplicates); "
            f"{FIGURES['recovered_in_run']} recovered within the run"
        )
