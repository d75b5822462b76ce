"""``SimulatedHost``: one simulated Hyper-V host, as the protocol layer sees it (SimHostAPI).

It owns the Hyper-V model, the cmdlet registry, the lock that serializes cmdlets
(VMMS serializes too), the counters tests read, fault injection (latency, failing
cmdlets, a dropped request) and the state file (CONTRACT §4): written atomically
after every request, holding the model, the faults and ``counters``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import uuid
from pathlib import Path
from typing import Any

from engine.sim.hyperv import build_registry
from engine.sim.hyperv.fixture import FailCmdlet, Faults, load_fixture_file
from engine.sim.hyperv.model import HostModel
from engine.sim.objects import ErrorRecord, PSEnum, PSList, PSObj
from engine.sim.registry import Registry
from engine.sim.state_file import StateEncoder, write_atomically

STATE_FORMAT = 1


class SimulatedHost:
    """A simulated host; thread-safe through ``lock`` (an RLock)."""

    def __init__(
        self,
        model: HostModel,
        faults: Faults | None = None,
        state_path: str | Path | None = None,
        counters: dict[str, Any] | None = None,
        dropped: bool = False,
        jea_role: str | Path | None = None,
    ) -> None:
        self.model = model
        self.name = model.computer_name
        self.faults = faults or Faults()
        self.state_path = Path(state_path) if state_path is not None else None
        self.counters: dict[str, Any] = counters or {"requests": {}, "cmdlets": []}
        self.lock = threading.RLock()
        self._dropped = dropped
        self._saved: bytes | None = None  # the state file's bytes as last written by this object
        # (log, its length, its last entry, invocations per cmdlet in it): see _cmdlet_counts
        self._counted: tuple[list[dict[str, Any]] | None, int, Any, dict[str, int]] = (None, 0, None, {})
        self._dir_ready = False
        self._encoder = StateEncoder()
        self.registry: Registry = build_registry(self)
        # A JEA role capability file (.psrc): only its cmdlets/parameters are visible (engine.jea).
        self.jea_role = str(jea_role) if jea_role is not None else None
        if self.jea_role is not None:
            from engine.jea import load_role_capability, restrict_registry

            self.registry = restrict_registry(self.registry, load_role_capability(self.jea_role))

    # ---- construction -------------------------------------------------------------
    @classmethod
    def from_fixture(
        cls, path: str | Path, state_path: str | Path | None = None, *, jea_role: str | Path | None = None
    ) -> SimulatedHost:
        """Load from the state file if it exists, else from the fixture (then write the state)."""
        if state_path is not None and Path(state_path).exists():
            return cls.from_state(state_path, jea_role=jea_role)
        loaded = load_fixture_file(path)
        host = cls(loaded.model, loaded.faults, state_path, jea_role=jea_role or loaded.jea_role)
        host.save()
        return host

    @classmethod
    def from_state(cls, state_path: str | Path, *, jea_role: str | Path | None = None) -> SimulatedHost:
        data = json.loads(Path(state_path).read_text(encoding="utf-8"))
        raw_faults = data.get("faults") or {}
        faults = Faults(
            latency_ms=int(raw_faults.get("latency_ms", 0)),
            fail_cmdlets=[FailCmdlet(**f) for f in raw_faults.get("fail_cmdlets", [])],
            drop_after_requests=raw_faults.get("drop_after_requests"),
        )
        return cls(
            HostModel.from_json(data["model"]),
            faults,
            state_path,
            counters=data.get("counters"),
            dropped=bool(data.get("dropped", False)),
            jea_role=jea_role if jea_role is not None else data.get("jea_role"),
        )

    # ---- SimHostAPI ---------------------------------------------------------------
    def count_request(self, action: str) -> None:
        with self.lock:
            requests = self.counters["requests"]
            requests[action] = requests.get(action, 0) + 1

    def before_cmdlet(self, cmdlet: str, parameters: dict[str, Any]) -> ErrorRecord | None:
        with self.lock:
            spec = self.registry.get(cmdlet)
            canonical = spec.name if spec is not None else cmdlet
            log: list[dict[str, Any]] = self.counters["cmdlets"]
            counts = self._cmdlet_counts(log)
            key = canonical.casefold()
            nth = counts.get(key, 0) + 1
            log.append({"cmdlet": canonical, "parameters": {k: json_safe(v) for k, v in parameters.items()}})
            counts[key] = nth
            self._counted = (log, len(log), log[-1], counts)
            for fault in self.faults.fail_cmdlets:
                # The nth invocation fails, once: the count only grows, so it cannot repeat.
                if fault.cmdlet.casefold() == canonical.casefold() and fault.nth == nth:
                    return injected_error(canonical, fault.message)
            return None

    def _cmdlet_counts(self, log: list[dict[str, Any]]) -> dict[str, int]:
        """Invocations per cmdlet (case-folded) in ``log``: kept up to date by ``before_cmdlet``
        (scanning the whole log per cmdlet was quadratic), counted afresh when the log was
        replaced, or changed its length or last entry behind our back (tests edit ``counters``)."""
        counted_log, length, last, counts = self._counted
        if counted_log is log and length == len(log) and (not log or log[-1] is last):
            return counts
        counts = {}
        for entry in log:
            key = entry["cmdlet"].casefold()
            counts[key] = counts.get(key, 0) + 1
        return counts

    def after_request(self) -> None:
        self.save()

    @property
    def latency_ms(self) -> int:
        return self.faults.latency_ms

    def should_drop(self, request_number: int) -> bool:
        with self.lock:
            limit = self.faults.drop_after_requests
            if limit is None or self._dropped or request_number != limit + 1:
                return False
            self._dropped = True
            self.save()  # "once" must hold across runs even when nothing follows the dropped request
            return True

    # ---- state file and test helpers ----------------------------------------------------
    def state(self) -> dict[str, Any]:
        with self.lock:
            return self._document(self.model.to_json())

    def _document(self, model: Any) -> dict[str, Any]:
        """The state file's document, with ``model`` as given (its JSON, or the model itself
        for orjson, which encodes the dataclasses directly)."""
        return {
            "format": STATE_FORMAT,
            "model": model,
            "faults": dataclasses.asdict(self.faults),
            "dropped": self._dropped,
            "jea_role": self.jea_role,
            "counters": self.counters,
        }

    def save(self) -> None:
        """Write the state file atomically (temp file in the same directory + os.replace).

        Called before every answer, so it must be cheap: the document is encoded by orjson
        (the standard library's indented encoder is pure Python: ~35 ms for 300 VMs and a
        long cmdlet log, per request) with each cmdlet log entry encoded only once
        (``StateEncoder``), and not written at all when the bytes on disk are already
        these (e.g. an explicit save right after a request's).
        """
        if self.state_path is None:
            return
        with self.lock:
            data = self._encode_state()
            if data == self._saved:
                return
            if not self._dir_ready:
                self.state_path.parent.mkdir(parents=True, exist_ok=True)
                self._dir_ready = True
            # One writer per host object (the lock), so a fixed temp name of its own is enough.
            write_atomically(self.state_path, data, f".state-{os.getpid()}-{id(self):x}.tmp")
            self._saved = data

    def _encode_state(self) -> bytes:
        """``state()`` as indented ASCII JSON, fast: orjson encodes the model's dataclasses
        itself (fields in declaration order, as ``HostModel.to_json``), ~15x faster than
        building the dicts first. Anything orjson refuses, or non-ASCII text, takes the
        standard library's path (its ``\\uXXXX`` escapes keep the file ASCII)."""
        data = self._encoder.encode(self._document(self.model))
        if data is not None:
            return data
        return json.dumps(self.state(), indent=1).encode("ascii")

    def mutating_cmdlets(self) -> list[dict[str, Any]]:
        """The cmdlet log filtered to mutating cmdlets (for idempotency tests)."""
        with self.lock:
            out = []
            for entry in self.counters["cmdlets"]:
                spec = self.registry.get(entry["cmdlet"])
                if spec is not None and spec.mutating:
                    out.append(entry)
            return out


def injected_error(cmdlet: str, message: str) -> ErrorRecord:
    """The error a ``failCmdlets`` fault produces."""
    return ErrorRecord(
        message=message,
        fully_qualified_error_id=f"InjectedFault,Microsoft.HyperV.PowerShell.Commands.{cmdlet.replace('-', '')}",
        category="NotSpecified",
        activity=cmdlet,
    )


def json_safe(value: Any) -> Any:
    """A parameter value as JSON: GUIDs as strings, enums by name, piped objects summarized."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, PSEnum):
        return value.name
    if isinstance(value, PSList):
        return [json_safe(v) for v in value.items]
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, PSObj):
        ident = value.get("Id")
        if ident is None:
            ident = value.get("Name")
        return {"type": value.type_names[0] if value.type_names else "", "id": json_safe(ident)}
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    return str(value)
