"""End-to-end harness for the robustness and security suites.

Every command of the CLI in one click group (built here, because registering commands
in ``engine.cli.main`` is the lead's job), a private lab written to a temp folder
(inventory + SimulatedHost fixture + manifests, ``transport: sim``), and readers for
the simulator's state file: its model and its cmdlet log (CONTRACT §4).
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import yaml
from click.testing import CliRunner

from engine.apply.lock import LOCK_PATH

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_LAB = REPO / "manifests" / "examples" / "lab"

# (module, attribute) of every command; a command another engineer has not finished yet is skipped.
_COMMANDS = (
    ("engine.cli.cmd_validate", "validate_command"),
    ("engine.cli.cmd_graph", "graph_command"),
    ("engine.cli.cmd_plan", "plan_command"),
    ("engine.cli.cmd_apply", "apply_command"),
    ("engine.cli.cmd_snapshot", "snapshot_command"),
    ("engine.cli.cmd_import", "import_command"),
    ("engine.cli.cmd_drift", "drift_command"),
    ("engine.cli.cmd_status", "status_command"),
    ("engine.cli.cmd_sim", "sim"),
    ("engine.cli.cmd_report", "report_group"),
    ("engine.cli.cmd_jea", "jea_role_command"),
)


def _cli() -> click.Group:
    group = click.Group("hvnet")
    for module, attr in _COMMANDS:
        try:
            command = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError):
            continue
        group.add_command(command)
    return group


CLI = _cli()


@dataclass(frozen=True)
class Result:
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def assert_no_crash(self) -> None:
        """A user sees a message, never a traceback or an 'internal error'."""
        assert self.exception is None or isinstance(self.exception, SystemExit), repr(self.exception)
        assert "Traceback" not in self.output, self.output
        assert "internal error" not in self.output, self.output


def hvnet(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
    result = CliRunner().invoke(CLI, list(args), env=env, input=input, catch_exceptions=True)
    exception = result.exception if not isinstance(result.exception, SystemExit) else None
    return Result(result.exit_code, result.stdout, result.stderr, exception)


# --- a private lab --------------------------------------------------------------------


def dump(documents: list[dict[str, Any]]) -> str:
    return yaml.safe_dump_all(documents, allow_unicode=True, sort_keys=False)


def write_lab(
    root: Path,
    fixture_spec: dict[str, Any],
    documents: list[dict[str, Any]],
    *,
    hosts: tuple[str, ...] = ("lab1",),
    extra_connection: dict[str, dict[str, Any]] | None = None,
) -> Path:
    """A lab folder: ``inventory.yaml`` (sim hosts), ``sim/<host>.yaml`` and ``manifests.yaml``."""
    lab = root / "lab"
    (lab / "sim").mkdir(parents=True)
    inventory_hosts = []
    for name in hosts:
        fixture = {"apiVersion": "hvnet/v1", "kind": "SimulatedHost", "metadata": {"name": name},
                   "spec": {"computerName": name.upper(), **fixture_spec}}
        (lab / "sim" / f"{name}.yaml").write_text(dump([fixture]), encoding="utf-8")
        connection = {"transport": "sim", "fixture": f"sim/{name}.yaml", **(extra_connection or {}).get(name, {})}
        inventory_hosts.append({"name": name, "labels": {"role": "compute"}, "connection": connection})
    inventory = {"apiVersion": "hvnet/v1", "kind": "Inventory", "metadata": {"name": "lab"},
                 "spec": {"hosts": inventory_hosts}}
    (lab / "inventory.yaml").write_text(dump([inventory]), encoding="utf-8")
    if documents:
        (lab / "manifests.yaml").write_text(dump(documents), encoding="utf-8")
    return lab


def copy_example_lab(root: Path) -> Path:
    import shutil

    target = root / "lab"
    shutil.copytree(EXAMPLE_LAB, target, ignore=shutil.ignore_patterns(".hvnet"))
    return target


# --- the simulator's state file -----------------------------------------------------


def state_file(lab: Path, host: str = "lab1") -> Path:
    return lab / ".hvnet" / "sim" / f"{host}.json"


def state(lab: Path, host: str = "lab1") -> dict[str, Any]:
    return dict(json.loads(state_file(lab, host).read_text(encoding="utf-8")))


def cmdlet_log(lab: Path, host: str = "lab1") -> list[dict[str, Any]]:
    path = state_file(lab, host)
    return list(state(lab, host)["counters"]["cmdlets"]) if path.exists() else []


def log_length(lab: Path, host: str = "lab1") -> int:
    return len(cmdlet_log(lab, host))


def is_lock_file_call(entry: dict[str, Any]) -> bool:
    path = entry["parameters"].get("LiteralPath") or entry["parameters"].get("Path")  # Path: piped (release)
    if isinstance(path, list):
        path = path[0] if path else ""
    return str(path or "").casefold() == LOCK_PATH.casefold()


def mutating_calls(lab: Path, host: str = "lab1", start: int = 0) -> list[dict[str, Any]]:
    """Mutating cmdlets the host ran from log entry ``start`` on, the run's lock file excluded."""
    from engine.sim.host import SimulatedHost

    sim = SimulatedHost.from_state(state_file(lab, host))
    entries = sim.counters["cmdlets"]
    mutating = {id(e) for e in sim.mutating_cmdlets()}
    return [e for e in entries[start:] if id(e) in mutating and not is_lock_file_call(e)]


def prime(lab: Path, host: str = "lab1") -> None:
    """Create the state file from the fixture (as a first run would), so faults can be set in it."""
    from engine.sim.host import SimulatedHost

    SimulatedHost.from_fixture(lab / "sim" / f"{host}.yaml", state_file(lab, host))


def set_faults(lab: Path, host: str = "lab1", **faults: Any) -> None:
    """Edit the faults in the state file (keys as ``Faults``: latency_ms, fail_cmdlets, drop_after_requests)."""
    data = state(lab, host)
    data["faults"].update(faults)
    data["dropped"] = False
    state_file(lab, host).write_text(json.dumps(data), encoding="utf-8")


def fail_next(lab: Path, cmdlet: str, host: str = "lab1", message: str = "injected failure") -> None:
    """The next call of ``cmdlet`` on the host fails once (non-terminating error, as failCmdlets)."""
    data = state(lab, host)
    done = sum(1 for e in data["counters"]["cmdlets"] if e["cmdlet"].casefold() == cmdlet.casefold())
    data["faults"]["fail_cmdlets"].append({"cmdlet": cmdlet, "nth": done + 1, "message": message})
    state_file(lab, host).write_text(json.dumps(data), encoding="utf-8")


def model(lab: Path, host: str = "lab1") -> dict[str, Any]:
    return dict(state(lab, host)["model"])


# --- checking a run's report against what the host really ran ------------------------------


def _literal(value: Any) -> Any:
    if isinstance(value, dict) and "$int64" in value:
        return int(value["$int64"])
    if isinstance(value, list):
        return [_literal(v) for v in value]
    return value


def _matches(entry: dict[str, Any], command: dict[str, Any]) -> bool:
    if entry["cmdlet"].casefold() != str(command["cmdlet"]).casefold():
        return False
    logged = {k.casefold(): v for k, v in entry["parameters"].items()}
    for key, value in command.get("parameters", {}).items():
        if isinstance(value, dict) and "$ref" in value:
            continue  # an object created earlier in the run: its id is not in the plan
        got, want = logged.get(key.casefold()), _literal(value)
        if isinstance(got, list) and not isinstance(want, list):
            want = [want]  # the binder turned a single value for a string[] parameter into a list
        if got != want:
            return False
    return True


def unreported_calls(calls: list[dict[str, Any]], report: dict[str, Any]) -> list[dict[str, Any]]:
    """Mutating calls the host ran that no change of the report accounts for as applied or failed.

    A change counts when the report lists it among the run's results (applied, failed,
    unverified): the user was told it was attempted. Skipped and planned-only changes do not.
    """
    attempted: list[dict[str, Any]] = []
    for host in report["hosts"]:
        tried = {r["address"] for r in host.get("results", []) if r.get("status") not in ("skipped", "pending")}
        for change in host["changes"]:
            if change["address"] in tried:
                attempted += [c for step in change.get("steps", []) for c in step["pipeline"]]
    return [e for e in calls if not any(_matches(e, c) for c in attempted)]


def duplicates(lab: Path, host: str = "lab1") -> list[str]:
    """Objects the host holds twice (a retried create must never make a second one)."""
    data = model(lab, host)
    keys = [f"switch {s['name'].casefold()}" for s in data["switches"]]
    keys += [f"adapter {a['vm_id']}/{a['name'].casefold()}" for a in data["adapters"]]
    keys += [f"pa {p}" for p in map(json.dumps, data["provider_addresses"])]
    keys += [f"lr {r}" for r in map(json.dumps, data["lookup_records"])]
    keys += [f"cr {r}" for r in map(json.dumps, data["customer_routes"])]
    keys += [f"file {f['path'].casefold()}" for f in data["files"]]
    return sorted({k for k in keys if keys.count(k) > 1})


class SlowAnswers:
    """Make the simulator answer ``count`` requests ``ms`` late, starting with the first one after
    ``after`` requests were served (``count=None``: every one from then on).

    Patched onto ``SimulatedHost.latency_ms`` (the simulator's latency fault, but switched on
    mid-run); the HTTP handler reads it twice per request, so the choice is kept per thread.
    """

    def __init__(self, after: int, ms: int, count: int | None = 1) -> None:
        import threading

        self.after, self.ms, self.count = after, ms, count
        self._lock = threading.Lock()
        self._slow_threads: dict[int, int] = {}  # thread -> reads left
        self.slowed = 0

    def latency(self, sim: Any) -> int:
        import threading

        me = threading.get_ident()
        with self._lock:
            if me in self._slow_threads:
                left = self._slow_threads[me] - 1
                if left <= 0:
                    del self._slow_threads[me]
                else:
                    self._slow_threads[me] = left
                return self.ms
            served = sum(sim.counters["requests"].values())
            if served >= self.after and (self.count is None or self.slowed < self.count):
                self.slowed += 1
                self._slow_threads[me] = 1  # the second read of this request
                return self.ms
            return 0
