"""The WinRM shell provider: WS-Management actions → PSRP shell sessions.

Transport-neutral: ``WSManService.handle`` takes a request body and answers
``(http_status, body)``; the HTTP layer only moves bytes and authenticates.
"""

from __future__ import annotations

import base64
import binascii
import logging
import threading
import uuid
from dataclasses import dataclass
from xml.etree import ElementTree

from engine.sim import wsman
from engine.sim.psrp import PSRPFailure, ShellSession
from engine.sim.registry import SimHostAPI
from engine.sim.wsman import Fault, Request

log = logging.getLogger(__name__)

# Room left in an envelope for the SOAP around the streams; base64 grows data by 4/3.
_ENVELOPE_OVERHEAD = 4096


@dataclass(frozen=True)
class Peer:
    """Who sent a request: for rsp:Owner/ClientIP and management-path reporting."""

    address: str
    user: str
    endpoint_url: str


def _b64(text: str | None) -> bytes:
    try:
        return base64.b64decode((text or "").strip(), validate=True)
    except (binascii.Error, ValueError):
        raise wsman.invalid_xml("stream data is not base64") from None


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _find(request: Request, path: str) -> ElementTree.Element:
    element = request.body.find(path) if request.body is not None else None
    if element is None:
        raise wsman.invalid_xml(f"{request.name} request lacks {path.split('}')[-1]}")
    return element


def _uuid_attr(element: ElementTree.Element, name: str) -> uuid.UUID | None:
    raw = element.get(name)
    if raw is None:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise wsman.invalid_xml(f"{name} is not a GUID") from None


class WSManService:
    """All shells of one simulated host."""

    def __init__(self, host: SimHostAPI) -> None:
        self.host = host
        self._shells: dict[uuid.UUID, ShellSession] = {}
        self._lock = threading.Lock()

    @property
    def shell_count(self) -> int:
        with self._lock:
            return len(self._shells)

    def handle(self, data: bytes, peer: Peer) -> tuple[int, bytes]:
        """Answer one WS-Management request (never raises for bad input)."""
        relates_to = ""
        try:
            request = wsman.parse_request(data)
            relates_to = request.message_id
            self.host.count_request(request.name)
            return 200, self._dispatch(request, peer)
        except Fault as fault:
            if not relates_to:
                self.host.count_request("Invalid")
            return fault.http_status, wsman.render_fault(fault, relates_to)
        except PSRPFailure as exc:
            return 500, wsman.render_fault(wsman.internal_error(str(exc)), relates_to)

    def _session(self, request: Request) -> ShellSession:
        shell_id = request.shell_id()
        with self._lock:
            session = self._shells.get(shell_id)
        if session is None:
            raise wsman.invalid_selectors()
        return session

    def _dispatch(self, request: Request, peer: Peer) -> bytes:
        action = request.action
        if action == wsman.ACTION_CREATE:
            return self._create(request, peer)
        if action == wsman.ACTION_COMMAND:
            return self._command(request)
        if action == wsman.ACTION_SEND:
            return self._send(request)
        if action == wsman.ACTION_RECEIVE:
            return self._receive(request)
        if action == wsman.ACTION_SIGNAL:
            return self._signal(request)
        if action == wsman.ACTION_DELETE:
            session = self._session(request)
            with self._lock:
                self._shells.pop(session.shell_id, None)
            session.close()
            return wsman.simple_response(request, None)
        if action == wsman.ACTION_GET:
            session = self._session(request)
            return wsman.get_response(request, session.shell_id, peer.user, peer.address, "Connected")
        raise wsman.action_not_supported(action)

    def _create(self, request: Request, peer: Peer) -> bytes:
        shell = _find(request, _q(wsman.NS_SHELL, "Shell"))
        shell_id = _uuid_attr(shell, "ShellId") or uuid.uuid4()
        creation = shell.find(_q(wsman.NS_PS, "creationXml"))
        if creation is None:
            raise wsman.invalid_xml("Create request lacks creationXml")
        session = ShellSession(shell_id, self.host, peer.address)
        with self._lock:
            if shell_id in self._shells:
                raise Fault("AlreadyExists", 2150858803, "The shell already exists.")
            self._shells[shell_id] = session
        try:
            session.open(_b64(creation.text))
        except (Fault, PSRPFailure):
            with self._lock:
                self._shells.pop(shell_id, None)
            raise
        return wsman.create_response(request, shell_id, peer.endpoint_url, peer.user, peer.address)

    def _command(self, request: Request) -> bytes:
        session = self._session(request)
        line = _find(request, _q(wsman.NS_SHELL, "CommandLine"))
        command_id = _uuid_attr(line, "CommandId") or uuid.uuid4()
        arguments = line.findtext(_q(wsman.NS_SHELL, "Arguments"))
        session.create_command(command_id, _b64(arguments))
        return wsman.command_response(request, command_id)

    def _send(self, request: Request) -> bytes:
        session = self._session(request)
        send = _find(request, _q(wsman.NS_SHELL, "Send"))
        for stream in send.iterfind(_q(wsman.NS_SHELL, "Stream")):
            command_id = _uuid_attr(stream, "CommandId")
            if command_id is not None and not session.has_command(command_id):
                raise wsman.invalid_selectors()
            session.feed(_b64(stream.text), command_id)
        return wsman.simple_response(request, "SendResponse")

    def _receive(self, request: Request) -> bytes:
        session = self._session(request)
        desired = _find(request, f"{_q(wsman.NS_SHELL, 'Receive')}/{_q(wsman.NS_SHELL, 'DesiredStream')}")
        command_id = _uuid_attr(desired, "CommandId")
        if command_id is not None and not session.has_command(command_id):
            raise wsman.invalid_selectors()
        budget = max((request.max_envelope_size - _ENVELOPE_OVERHEAD) * 3 // 4, 1024)
        result = session.receive(command_id, request.operation_timeout, budget)
        if result is None:
            raise wsman.timed_out()
        streams = [base64.b64encode(p).decode("ascii") for p in result.payloads]
        return wsman.receive_response(request, command_id, streams, result.command_done)

    def _signal(self, request: Request) -> bytes:
        session = self._session(request)
        signal = _find(request, _q(wsman.NS_SHELL, "Signal"))
        code = (signal.findtext(_q(wsman.NS_SHELL, "Code")) or "").strip().casefold()
        command_id = _uuid_attr(signal, "CommandId")
        if command_id is not None:
            if code.endswith("/signal/terminate"):
                session.terminate(command_id)
            elif code.endswith("/signal/ctrl_c") or code.endswith("/signal/crtl_c"):
                session.stop(command_id)
            else:
                raise Fault("InvalidParameter", 2150858882, f"The signal code {code!r} is not supported.")
        return wsman.simple_response(request, "SignalResponse")

    def close_all(self) -> None:
        with self._lock:
            sessions = list(self._shells.values())
            self._shells.clear()
        for session in sessions:
            session.close()
