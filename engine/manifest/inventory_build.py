"""The ``Inventory`` document -> ``engine.inventory.Inventory`` (merged, paths resolved)."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from engine.errors import Diagnostic
from engine.inventory import CONNECTION_KEYS, ConnectionSettings, Inventory, InventoryHost
from engine.manifest.yaml_loader import Document, JsonPath

PATH_KEYS = ("fixture", "state", "file", "caBundle", "certificatePem", "certificateKeyPem")


def _resolve(base_dir: str, value: str) -> str:
    """Relative paths are relative to the declaring file (CONTRACT §3)."""
    return os.path.abspath(os.path.join(base_dir, os.path.expanduser(value)))


def _connection(
    doc: Document, host: dict[str, Any], defaults: dict[str, Any], host_path: JsonPath
) -> tuple[ConnectionSettings, list[Diagnostic]]:
    own = host.get("connection") if isinstance(host.get("connection"), dict) else {}
    merged = {**defaults, **own}
    problems: list[Diagnostic] = []
    base_dir = os.path.dirname(os.path.abspath(doc.file))
    name = str(host.get("name", ""))
    values: dict[str, Any] = {k: v for k, v in merged.items() if k in CONNECTION_KEYS}
    for key in PATH_KEYS:
        if isinstance(values.get(key), str):
            values[key] = _resolve(base_dir, values[key])
    values.setdefault("server", name)
    transport = values.get("transport", "psrp")

    def where(key: str) -> JsonPath:
        return (*host_path, "connection", key) if key in own else ("spec", "defaults", "connection", key)

    if transport == "sim":
        if "fixture" not in values:
            problems.append(
                doc.diagnostic(
                    host_path, f"host {name!r} uses transport sim but has no 'fixture'", at_key=True
                )
            )
        values.setdefault("state", os.path.join(base_dir, ".hvnet", "sim", f"{name}.json"))
    if transport == "snapshot" and "file" not in values:
        problems.append(
            doc.diagnostic(host_path, f"host {name!r} uses transport snapshot but has no 'file'", at_key=True)
        )
    if transport == "psrp":
        if values.get("auth") == "certificate" and not {"certificatePem", "certificateKeyPem"} <= set(values):
            problems.append(
                doc.diagnostic(
                    where("auth"),
                    f"host {name!r}: auth certificate needs 'certificatePem' and 'certificateKeyPem'",
                )
            )
        if values.get("certValidation") is False and values.get("ssl", True):
            problems.append(
                doc.diagnostic(
                    where("certValidation"),
                    f"host {name!r}: TLS certificate validation is off",
                    "anyone on the path can impersonate the host; prefer caBundle",
                    severity="warning",
                )
            )
        if (
            values.get("auth") == "basic"
            and values.get("ssl") is False
            and not values.get("allowUnencryptedBasic")
        ):
            problems.append(
                doc.diagnostic(
                    where("auth"),
                    f"host {name!r}: basic auth over plain HTTP sends the password in clear",
                    "use ssl: true, or set allowUnencryptedBasic: true if you really mean it",
                )
            )
    settings = ConnectionSettings.from_json(values)
    written = frozenset(k for k in merged if k in CONNECTION_KEYS)
    return dataclasses.replace(settings, explicit=written), problems


def build_inventory(doc: Document) -> tuple[Inventory, list[Diagnostic]]:
    """Hosts with merged connections. Assumes the document passed its schema."""
    spec = doc.data.get("spec", {})
    defaults_block = spec.get("defaults", {}) if isinstance(spec.get("defaults"), dict) else {}
    defaults = (
        defaults_block.get("connection", {}) if isinstance(defaults_block.get("connection"), dict) else {}
    )
    hosts: list[InventoryHost] = []
    problems: list[Diagnostic] = []
    seen: dict[str, int] = {}
    for i, host in enumerate(spec.get("hosts", [])):
        path: JsonPath = ("spec", "hosts", i)
        name = host["name"]
        if name.casefold() in seen:
            first = doc.value_position(("spec", "hosts", seen[name.casefold()], "name"))
            problems.append(
                doc.diagnostic((*path, "name"), f"host {name!r} is listed twice", f"first listed at {first}")
            )
            continue
        seen[name.casefold()] = i
        connection, found = _connection(doc, host, defaults, path)
        problems.extend(found)
        hosts.append(
            InventoryHost(
                name=name,
                labels=dict(host.get("labels", {})),
                connection=connection,
                source=doc.value_position(path),
            )
        )
    inventory = Inventory(name=doc.name, hosts=tuple(hosts), source=doc.start, file=doc.file)
    return inventory, problems
