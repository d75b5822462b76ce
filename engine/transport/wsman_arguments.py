"""An inventory host's connection settings → the arguments of ``pypsrp.wsman.WSMan``.

Checked for consistency first (a ManifestError naming the inventory field, never a
pypsrp exception later): certificate auth needs TLS and both PEMs; Basic over plain
HTTP needs ``allowUnencryptedBasic``; Basic never takes WinRM message encryption.
The password is read from its environment variable when the session opens and
registered for log redaction at once.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from engine.errors import Diagnostic, ManifestError
from engine.inventory import ConnectionSettings
from engine.logging import register_secret

__all__ = ["register_password", "resolve_password", "wsman_arguments"]


def _config_error(host: str, settings_field: str, summary: str) -> ManifestError:
    return ManifestError(
        [Diagnostic(summary=summary, context=f"Inventory host {host} connection.{settings_field}")]
    )


def resolve_password(host: str, settings: ConnectionSettings) -> str | None:
    """Read the password from its environment variable now; register it for log redaction."""
    if not settings.password_env:
        return None
    password = settings.password()
    if password is None:
        raise _config_error(
            host, "passwordEnv", f"environment variable {settings.password_env} (passwordEnv) is not set"
        )
    register_password(password)
    return password


def register_password(secret: str) -> None:
    """From now on logs and messages show this value as ***."""
    register_secret(secret)


def wsman_arguments(host: str, settings: ConnectionSettings, password: str | None) -> dict[str, Any]:
    """The keyword arguments for ``pypsrp.wsman.WSMan`` (checked for consistency first)."""
    auth = settings.auth
    args: dict[str, Any] = {
        "server": settings.server or host,
        "port": settings.effective_port(),
        "ssl": settings.ssl,
        "path": "wsman",
        "auth": auth,
        "encryption": settings.encryption,
        "operation_timeout": settings.operation_timeout,
        "connection_timeout": settings.connection_timeout,
        # pypsrp long-polls Receive for operation_timeout seconds; the HTTP read
        # must wait a little longer than that or every idle poll would fail.
        "read_timeout": settings.operation_timeout + 10,
        "reconnection_retries": 0,  # retries are ours (engine.transport.retry)
        # pypsrp still re-sends a timed-out Receive 5 times (safe: Receive is idempotent), sleeping
        # backoff * (2**n - 1) between tries; its default 2 s adds ~2 minutes to one hung answer.
        "reconnection_backoff": 0.1,
        "cert_validation": _cert_validation(settings),
    }
    if _is_loopback(args["server"]):
        # A proxy never serves loopback; without this, an HTTP(S)_PROXY in the environment would
        # route the built-in simulator's traffic through it (and requests re-reads the proxy
        # settings from the environment on every request).
        args["no_proxy"] = True
    if auth == "certificate":
        if not settings.ssl:
            raise _config_error(host, "auth", "certificate authentication needs ssl: true")
        if not settings.certificate_pem or not settings.certificate_key_pem:
            raise _config_error(
                host, "auth", "certificate authentication needs certificatePem and certificateKeyPem"
            )
        args["certificate_pem"] = settings.certificate_pem
        args["certificate_key_pem"] = settings.certificate_key_pem
        return args
    args["username"] = settings.username
    args["password"] = password
    if auth in ("basic", "ntlm", "credssp") and (not settings.username or password is None):
        raise _config_error(host, "auth", f"{auth} authentication needs username and passwordEnv")
    if auth == "basic" and not settings.ssl:
        if not settings.allow_unencrypted_basic:
            raise _config_error(
                host,
                "auth",
                "basic authentication over plain HTTP sends the password in clear text; "
                "use ssl: true (or another auth method)",
            )
        args["encryption"] = "never"
    if auth == "basic" and settings.encryption == "always":
        raise _config_error(host, "encryption", "basic authentication cannot use WinRM message encryption")
    if auth == "credssp":
        args["credssp_auth_mechanism"] = "auto"
    return args


def _is_loopback(server: str) -> bool:
    try:
        return ipaddress.ip_address(server.strip("[]")).is_loopback
    except ValueError:
        return server.casefold() == "localhost"


def _cert_validation(settings: ConnectionSettings) -> bool | str:
    if not settings.ssl:
        return True
    if not settings.cert_validation:
        return False
    return settings.ca_bundle or True
