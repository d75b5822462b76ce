"""A small simulated fleet in a temp folder: the example lab's manifests on several sim hosts.

Every host runs its own simulator in-process (``transport: sim``) and is reached over
pypsrp on loopback, the same path as a real host. Hosts get the ``cluster`` label.
"""

from __future__ import annotations

import json
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import yaml
from click.testing import CliRunner

from engine.cli.cmd_drift import drift_command
from engine.cli.cmd_report import report_group
from engine.cli.cmd_status import status_command

REPO = Path(__file__).resolve().parents[2]
LAB = REPO / "manifests" / "examples" / "lab"
CLI = click.Group(commands={"drift": drift_command, "status": status_command, "report": report_group})


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


def hvnet(*args: str) -> Result:
    result = CliRunner().invoke(CLI, list(args), catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_fleet(dest: Path, hosts: dict[str, str], *, faults: dict[str, dict[str, Any]] | None = None) -> Path:
    """The lab's manifests and one simulated host per entry of ``hosts`` (name → cluster label)."""
    root = dest / "fleet"
    (root / "sim").mkdir(parents=True)
    for path in LAB.glob("*.yaml"):
        if path.name != "inventory.yaml":
            shutil.copy(path, root / path.name)
    fixture = yaml.safe_load((LAB / "sim" / "lab1.yaml").read_text(encoding="utf-8"))
    for name in hosts:
        doc = json.loads(json.dumps(fixture))
        doc["metadata"]["name"] = name
        doc["spec"]["computerName"] = name.upper()
        if faults and name in faults:
            doc["spec"]["faults"] = faults[name]
        (root / "sim" / f"{name}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    write_inventory(root, hosts)
    return root


def write_inventory(root: Path, hosts: dict[str, str], *, down: tuple[str, ...] = ()) -> None:
    """``down``: extra hosts whose WinRM port is closed (set HVNET_TEST_PASSWORD for them)."""
    entries: list[dict[str, Any]] = [
        {"name": name, "labels": {"cluster": cluster, "role": "compute"},
         "connection": {"transport": "sim", "fixture": f"sim/{name}.yaml"}}
        for name, cluster in hosts.items()
    ]
    for name in down:
        entries.append({"name": name, "labels": {"cluster": "c9", "role": "compute"},
                        "connection": {"transport": "psrp", "server": "127.0.0.1", "port": closed_port(),
                                       "ssl": True, "auth": "ntlm", "username": "hvnet",
                                       "passwordEnv": "HVNET_TEST_PASSWORD", "connectionTimeout": 2}})
    inventory = {"apiVersion": "hvnet/v1", "kind": "Inventory", "metadata": {"name": "fleet"},
                 "spec": {"hosts": entries}}
    (root / "inventory.yaml").write_text(yaml.safe_dump(inventory, sort_keys=False), encoding="utf-8")


def edit_state(root: Path, host: str, edit: Any) -> None:
    """Edit the simulated host's persisted state (its model: an out-of-band change; its faults)."""
    path = state_path(root, host)
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def state_path(root: Path, host: str) -> Path:
    return root / ".hvnet" / "sim" / f"{host}.json"


def edit_model(root: Path, host: str, edit: Any) -> None:
    """An out-of-band change on the host."""
    edit_state(root, host, lambda data: edit(data["model"]))


def cmdlets_since(root: Path, host: str, start: int) -> list[str]:
    data = json.loads(state_path(root, host).read_text(encoding="utf-8"))
    return [e["cmdlet"] for e in data["counters"]["cmdlets"][start:]]


def cmdlet_count(root: Path, host: str) -> int:
    return len(cmdlets_since(root, host, 0))


def mutating_since(root: Path, host: str, start: int) -> list[str]:
    """Mutating cmdlets the simulated host ran after log entry ``start`` (by the simulator's own rules)."""
    from engine.sim.host import SimulatedHost

    sim = SimulatedHost.from_state(state_path(root, host))
    mutating = {id(e) for e in sim.mutating_cmdlets()}
    return [e["cmdlet"] for e in sim.counters["cmdlets"][start:] if id(e) in mutating]
