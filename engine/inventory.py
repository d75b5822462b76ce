"""Hosts, labels, selectors and connection settings (the ``Inventory`` kind).

A host's ``connection`` is merged key by key over ``spec.defaults.connection``;
``server`` defaults to the host's name; relative paths are resolved against the file
that declared them (done by the loader, so values here are absolute).
The password itself is never stored: only the name of the environment variable.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from typing import Any

from engine.errors import Position

CONNECTION_KEYS: dict[str, str] = {
    # manifest key -> attribute
    "transport": "transport",
    "server": "server",
    "port": "port",
    "ssl": "ssl",
    "auth": "auth",
    "encryption": "encryption",
    "username": "username",
    "passwordEnv": "password_env",
    "certValidation": "cert_validation",
    "caBundle": "ca_bundle",
    "certificatePem": "certificate_pem",
    "certificateKeyPem": "certificate_key_pem",
    "configurationName": "configuration_name",
    "operationTimeout": "operation_timeout",
    "connectionTimeout": "connection_timeout",
    "allowUnencryptedBasic": "allow_unencrypted_basic",
    "fixture": "fixture",
    "state": "state",
    "file": "file",
}


@dataclass(frozen=True)
class ConnectionSettings:
    transport: str = "psrp"  # psrp | sim | snapshot
    server: str = ""
    port: int | None = None  # default: 5986 with ssl, 5985 without
    ssl: bool = True
    auth: str = "negotiate"  # negotiate | kerberos | ntlm | basic | certificate | credssp
    encryption: str = "auto"  # auto | always | never
    username: str | None = None
    password_env: str | None = None
    cert_validation: bool = True
    ca_bundle: str | None = None
    certificate_pem: str | None = None
    certificate_key_pem: str | None = None
    configuration_name: str | None = None  # JEA endpoint; default Microsoft.PowerShell
    operation_timeout: int = 20
    connection_timeout: int = 30
    allow_unencrypted_basic: bool = False
    fixture: str | None = None  # transport: sim
    state: str | None = None  # transport: sim
    file: str | None = None  # transport: snapshot
    explicit: frozenset[str] = frozenset()  # manifest keys actually written (for warnings)

    def password(self) -> str | None:
        """Read the password from the environment at the moment it is needed."""
        return os.environ.get(self.password_env) if self.password_env else None

    def effective_port(self) -> int:
        if self.port is not None:
            return self.port
        return 5986 if self.ssl else 5985

    def to_json(self) -> dict[str, Any]:
        """The settings as written in a plan (never a secret: only the env var's name)."""
        out: dict[str, Any] = {}
        for key, attr in CONNECTION_KEYS.items():
            value = getattr(self, attr)
            if value is not None:
                out[key] = value
        if self.transport == "psrp":
            out["port"] = self.effective_port()
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ConnectionSettings:
        kwargs = {attr: data[key] for key, attr in CONNECTION_KEYS.items() if key in data}
        return cls(**kwargs, explicit=frozenset(data))


@dataclass(frozen=True)
class InventoryHost:
    name: str
    labels: dict[str, str] = field(default_factory=dict)
    connection: ConnectionSettings = field(default_factory=ConnectionSettings)
    source: Position | None = None


@dataclass(frozen=True)
class Inventory:
    name: str
    hosts: tuple[InventoryHost, ...]
    source: Position | None = None
    file: str = ""  # the file that declared it

    def host(self, name: str) -> InventoryHost | None:
        key = name.casefold()
        return next((h for h in self.hosts if h.name.casefold() == key), None)

    def select(self, names: list[str] | None, match_labels: dict[str, str] | None) -> list[InventoryHost]:
        """Hosts targeted by ``spec.hosts`` and/or ``spec.hostSelector`` (neither: all)."""
        chosen = list(self.hosts)
        if names is not None:
            keys = {n.casefold() for n in names}
            chosen = [h for h in chosen if h.name.casefold() in keys]
        if match_labels is not None:
            chosen = [h for h in chosen if all(h.labels.get(k) == v for k, v in match_labels.items())]
        return chosen


def glob_match(pattern: str, text: str) -> bool:
    """Case-insensitive glob (NIC selectors)."""
    return fnmatch.fnmatchcase(text.casefold(), pattern.casefold())
