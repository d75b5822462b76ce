"""End-to-end helpers: a temp copy of the example lab, the CLI, and the simulator's cmdlet log.

Every test here goes through the real path: click command → pypsrp over HTTP on
loopback → the simulated host. Nothing is faked.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from click.testing import CliRunner

from engine.apply.lock import LOCK_PATH
from engine.cli.cmd_apply import apply_command
from engine.cli.cmd_plan import plan_command

REPO = Path(__file__).resolve().parents[2]
LAB = REPO / "manifests" / "examples" / "lab"
CLI = click.Group(commands={"apply": apply_command, "plan": plan_command})
LOCK_DIR = LOCK_PATH.rsplit("\\", 1)[0].casefold()


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


def copy_lab(dest: Path, *, drop_documents: tuple[str, ...] = ()) -> Path:
    """A private copy of the example lab (never the repo's files); state lands inside it.

    ``drop_documents``: metadata names of documents to leave out of the copy.
    """
    target = dest / "lab"
    shutil.copytree(LAB, target, ignore=shutil.ignore_patterns(".hvnet"))
    for name in drop_documents:
        for path in target.glob("*.yaml"):
            docs = path.read_text(encoding="utf-8").split("\n---\n")
            kept = [d for d in docs if f"\n  name: {name}\n" not in f"\n{d}\n"]
            path.write_text("\n---\n".join(kept), encoding="utf-8")
    return target


def hvnet(*args: str, input: str | None = None) -> Result:
    runner = CliRunner()
    result = runner.invoke(CLI, list(args), input=input, catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr)


def state_file(lab: Path, host: str = "lab1") -> Path:
    return lab / ".hvnet" / "sim" / f"{host}.json"


def state(lab: Path) -> dict[str, Any]:
    return json.loads(state_file(lab).read_text(encoding="utf-8"))


def cmdlet_log(lab: Path) -> list[dict[str, Any]]:
    return list(state(lab)["counters"]["cmdlets"])


def is_lock_op(entry: dict[str, Any]) -> bool:
    params = entry["parameters"]
    value = params.get("LiteralPath") or params.get("Path")  # Path: piped into the release's Remove-Item
    path = str(value[0] if isinstance(value, list) and value else value or "")
    return path.casefold().startswith(LOCK_DIR)


def mutating_since(lab: Path, start: int) -> list[str]:
    """Mutating cmdlets the host ran after log entry ``start`` — the run's own lock file excluded."""
    from engine.sim.host import SimulatedHost

    host = SimulatedHost.from_state(state_file(lab))
    mutating = {id(e) for e in host.mutating_cmdlets()}
    return [e["cmdlet"] for e in host.counters["cmdlets"][start:] if id(e) in mutating and not is_lock_op(e)]


def log_length(lab: Path) -> int:
    return len(cmdlet_log(lab)) if state_file(lab).exists() else 0


def inject_failure(lab: Path, cmdlet: str, message: str = "injected failure") -> None:
    """Make the next call of ``cmdlet`` fail once (the state file must exist: run once first)."""
    data = state(lab)
    nth = 1 + sum(1 for e in data["counters"]["cmdlets"] if e["cmdlet"].casefold() == cmdlet.casefold())
    data["faults"]["fail_cmdlets"].append({"cmdlet": cmdlet, "nth": nth, "message": message})
    state_file(lab).write_text(json.dumps(data), encoding="utf-8")


def prime(lab: Path) -> None:
    """Create the state file from the fixture (as the first run would), so faults can be injected."""
    from engine.sim.host import SimulatedHost

    SimulatedHost.from_fixture(lab / "sim" / "lab1.yaml", state_file(lab))


def model(lab: Path) -> dict[str, Any]:
    return dict(state(lab)["model"])


def plant_lock(lab: Path, holder: str, started_utc: str) -> None:
    """Put another run's lock file on the simulated host."""
    data = state(lab)
    content = json.dumps({"holder": holder, "run_id": "other", "started_at": started_utc})
    data["model"]["files"].append({"path": LOCK_PATH, "content": content, "created_utc": started_utc,
                                   "modified_utc": started_utc, "is_directory": False})
    state_file(lab).write_text(json.dumps(data), encoding="utf-8")
