"""A simulated host served on loopback, and an inventory that reaches it with ``transport: psrp``
(the path a real host takes), for the security tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from engine.sim import start_simulator
from engine.sim.host import SimulatedHost

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_LAB = REPO / "manifests" / "examples" / "lab"
USER = "svc-hvnet"


@dataclass
class Endpoint:
    host: SimulatedHost
    port: int
    cert_pem: str | None


@contextmanager
def served(
    fixture: Path, state: Path, password: str, *, tls: bool = False, jea_role: str | None = None
) -> Iterator[Endpoint]:
    host = SimulatedHost.from_fixture(fixture, state, jea_role=jea_role)
    server = start_simulator(host, tls=tls, auth="basic", username=USER, password=password)
    try:
        yield Endpoint(host, server.port, server.cert_pem)
    finally:
        server.stop()


def psrp_lab(root: Path, connection: dict[str, Any]) -> Path:
    """The example lab's manifests with an inventory whose one host is reached over psrp."""
    lab = root / "psrp-lab"
    lab.mkdir()
    for path in EXAMPLE_LAB.glob("*.yaml"):
        if path.name != "inventory.yaml":
            shutil.copy(path, lab / path.name)
    inventory = {
        "apiVersion": "hvnet/v1",
        "kind": "Inventory",
        "metadata": {"name": "lab"},
        "spec": {"hosts": [{"name": "lab1", "labels": {"site": "lab", "role": "compute"},
                            "connection": {"server": "127.0.0.1", "username": USER, **connection}}]},
    }
    (lab / "inventory.yaml").write_text(yaml.safe_dump(inventory, sort_keys=False), encoding="utf-8")
    return lab


def plain_http_basic(port: int, password_env: str) -> dict[str, Any]:
    return {"transport": "psrp", "port": port, "ssl": False, "auth": "basic", "passwordEnv": password_env,
            "allowUnencryptedBasic": True, "operationTimeout": 5, "connectionTimeout": 5}
