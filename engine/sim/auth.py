"""HTTP authentication for the simulated WinRM endpoint: Basic, and NTLM/Negotiate with
WinRM message encryption through pyspnego's acceptor side.

NTLM: pypsrp first POSTs an empty body; we answer 401 ``WWW-Authenticate: Negotiate``,
then the challenge, then 200 carrying the server's last token (without it SPNEGO fails
its MIC check). The security context belongs to the kept-alive connection. Encrypted
bodies are ``multipart/encrypted`` parts sealed with ``wrap_winrm``.
"""

from __future__ import annotations

import atexit
import base64
import binascii
import hmac
import os
import re
import shutil
import struct
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import spnego
from spnego.exceptions import SpnegoError

SPNEGO_PROTOCOL = "application/HTTP-SPNEGO-session-encrypted"
_BOUNDARY = b"--Encrypted Boundary"
_AUTH_RE = re.compile(r"^\s*(Negotiate|NTLM|Kerberos)\s+(\S+)\s*$", re.IGNORECASE)


class AuthFailed(Exception):
    """The client is not (yet) authenticated: answer 401 with ``www_authenticate``."""

    def __init__(self, www_authenticate: str) -> None:
        super().__init__(www_authenticate)
        self.www_authenticate = www_authenticate


class EncryptionError(Exception):
    """An encrypted body could not be unwrapped."""


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    def matches(self, username: str, password: str) -> bool:
        user_ok = hmac.compare_digest(username.casefold().encode(), self.username.casefold().encode())
        return hmac.compare_digest(password.encode(), self.password.encode()) and user_ok


def check_basic(header: str | None, credentials: Credentials) -> str:
    """The authenticated user name, or ``AuthFailed``."""
    challenge = 'Basic realm="WSMAN"'
    if not header or not header.lower().startswith("basic "):
        raise AuthFailed(challenge)
    try:
        user, _, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise AuthFailed(challenge) from None
    if not credentials.matches(user, password):
        raise AuthFailed(challenge)
    return user


class _NtlmUserFile:
    """pyspnego's NTLM acceptor reads users from the file named by env NTLM_USER_FILE, and
    only at the moment it processes the client's AUTHENTICATE message. Each set of
    credentials gets its own private file, and ``accepting(path)`` points the variable at
    the right one for the duration of one handshake step (under a process-wide lock), so
    several NTLM servers in one process may give the same user different passwords."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.step_lock = threading.Lock()
        self._dir: str | None = None
        self._paths: dict[tuple[str, str], str] = {}

    def add(self, credentials: Credentials) -> str:
        if ":" in credentials.password or ":" in credentials.username:
            raise ValueError("NTLM users and passwords must not contain ':' (NTLM_USER_FILE format)")
        key = (credentials.username, credentials.password)
        with self._lock:
            if key in self._paths:
                return self._paths[key]
            if self._dir is None:
                self._dir = tempfile.mkdtemp(prefix="hvnet-sim-ntlm-")
                atexit.register(shutil.rmtree, self._dir, True)
            domain, _, user = credentials.username.rpartition("\\")
            path = os.path.join(self._dir, f"users-{len(self._paths)}")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(f"{domain}:{user}:{credentials.password}\n")
            self._paths[key] = path
            os.environ.setdefault("NTLM_USER_FILE", path)  # the acceptor refuses to start without one
            return path

    @contextmanager
    def accepting(self, path: str | None) -> Iterator[None]:
        if path is None:
            yield
            return
        with self.step_lock:
            previous = os.environ.get("NTLM_USER_FILE")
            os.environ["NTLM_USER_FILE"] = path
            try:
                yield
            finally:
                if previous is not None:
                    os.environ["NTLM_USER_FILE"] = previous


NTLM_USERS = _NtlmUserFile()


@dataclass
class NegotiateState:
    """Per-connection NTLM/SPNEGO state."""

    context: Any = None
    user_file: str | None = None  # this server's NTLM user file (see _NtlmUserFile)
    complete: bool = False
    user: str = ""
    scheme: str = "Negotiate"

    def step(self, header: str | None) -> str | None:
        """Process an ``Authorization`` header; return the token for ``WWW-Authenticate`` when complete.

        Raises ``AuthFailed`` while the handshake continues (challenge) or failed.
        """
        match = _AUTH_RE.match(header or "")
        if match is None:
            self.context = None
            raise AuthFailed("Negotiate")
        self.scheme = "Negotiate"
        try:
            token = base64.b64decode(match.group(2), validate=True)
        except (binascii.Error, ValueError):
            raise AuthFailed("Negotiate") from None
        if self.context is None or token.startswith(b"NTLMSSP\x00\x01"):
            protocol = "ntlm" if token.startswith(b"NTLMSSP\x00") else "negotiate"
            self.context = spnego.server(protocol=protocol)
            self.complete = False
        try:
            with NTLM_USERS.accepting(self.user_file):
                out = self.context.step(token)
        except SpnegoError:
            self.context = None
            raise AuthFailed("Negotiate") from None
        out_header = f"{self.scheme} {base64.b64encode(out).decode()}" if out else None
        if not self.context.complete:
            raise AuthFailed(out_header or "Negotiate")
        self.complete = True
        self.user = str(getattr(self.context, "client_principal", "") or "")
        return out_header

    # -- WinRM message encryption --------------------------------------------------------
    def unwrap(self, body: bytes) -> bytes:
        parts = [p for p in re.split(rb"--Encrypted Boundary(?:--)?\r\n", body) if p.strip()]
        if len(parts) % 2:
            raise EncryptionError("malformed multipart/encrypted body")
        message = b""
        for i in range(0, len(parts), 2):
            header, payload = parts[i], parts[i + 1]
            length_match = re.search(rb"Length=(\d+)", header)
            prefix = b"\tContent-Type: application/octet-stream\r\n"
            if length_match is None or not payload.startswith(prefix):
                raise EncryptionError("malformed encrypted part")
            sealed = payload[len(prefix) :]
            if len(sealed) < 4:
                raise EncryptionError("truncated encrypted part")
            header_len = struct.unpack("<i", sealed[:4])[0]
            try:
                plain = self.context.unwrap_winrm(sealed[4 : 4 + header_len], sealed[4 + header_len :])
            except SpnegoError as exc:
                raise EncryptionError(str(exc)) from None
            if len(plain) != int(length_match.group(1)):
                raise EncryptionError("decrypted length does not match the declared length")
            message += plain
        return message

    def wrap(self, message: bytes) -> tuple[str, bytes]:
        """(Content-Type, body) for an encrypted response."""
        header, sealed, padding = self.context.wrap_winrm(message)
        body = (
            _BOUNDARY
            + b"\r\n"
            + f"\tContent-Type: {SPNEGO_PROTOCOL}\r\n".encode()
            + f"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length={len(message) + padding}\r\n".encode()
            + _BOUNDARY
            + b"\r\n"
            + b"\tContent-Type: application/octet-stream\r\n"
            + struct.pack("<i", len(header))
            + header
            + sealed
            + _BOUNDARY
            + b"--\r\n"
        )
        content_type = f'multipart/encrypted;protocol="{SPNEGO_PROTOCOL}";boundary="Encrypted Boundary"'
        return content_type, body
