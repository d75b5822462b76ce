"""A small SimHostAPI for protocol tests: a registry with a few Get-Thing style cmdlets,
no Hyper-V. Records what the protocol layer reports to the host."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterable
from typing import Any

from engine.sim.generic import register_generic
from engine.sim.objects import (
    CmdletError,
    ErrorRecord,
    Int64,
    InvocationContext,
    PSEnum,
    PSList,
    PSObj,
    UInt32,
)
from engine.sim.registry import CmdletSpec, ParamSpec, Registry

THING_TYPE = "Contoso.Things.Thing"
FIXED_ID = uuid.UUID("6f1903ca-e06a-4a8b-bdfc-b44203149d55")


def make_thing(index: int, extra_props: int = 0) -> PSObj:
    props: dict[str, Any] = {
        "Name": f"thing{index}",
        "Id": uuid.UUID(int=index + 1) if index else FIXED_ID,
        "Kind": PSEnum(
            "Contoso.Things.ThingKind", "External" if index % 2 == 0 else "Internal", 2 - index % 2
        ),
        "Size": index,
        "Bandwidth": Int64(10_000_000_000 + index),
        "Weight": UInt32(50),
        "Enabled": index % 2 == 0,
        "Notes": None,
        "Tags": PSList("System.String", ["a", "b"]),
        "Setting": PSObj(
            ["Contoso.Things.ThingSetting"],
            {"VlanId": 10 + index, "Mode": "Access"},
            f"Contoso.Things.ThingSetting (thing{index})",
        ),
    }
    for n in range(extra_props):
        props[f"Extra{n}"] = f"value {n} of thing {index}"
    return PSObj([THING_TYPE, "Contoso.Things.ThingBase"], props, f"Thing {index}")


class FakeHost:
    """Implements engine.sim.registry.SimHostAPI."""

    def __init__(
        self, fail: dict[str, str] | None = None, latency_ms: int = 0, drop: int | None = None
    ) -> None:
        self.name = "fake"
        self.lock = threading.RLock()
        self.registry = Registry()
        self.requests: Counter[str] = Counter()
        self.cmdlets: list[tuple[str, dict[str, Any]]] = []
        self.persisted = 0
        self._fail = {k.casefold(): v for k, v in (fail or {}).items()}
        self._latency_ms = latency_ms
        self._drop = drop
        self.state: dict[str, Any] = {"notes": ""}
        register_generic(self.registry)
        self._register()

    # -- SimHostAPI ------------------------------------------------------------------------
    def count_request(self, action: str) -> None:
        with self.lock:
            self.requests[action] += 1

    def before_cmdlet(self, cmdlet: str, parameters: dict[str, Any]) -> ErrorRecord | None:
        with self.lock:
            self.cmdlets.append((cmdlet, dict(parameters)))
        message = self._fail.get(cmdlet.casefold())
        if message is None:
            return None
        return ErrorRecord(message, f"Injected,{cmdlet}", "NotSpecified")

    def after_request(self) -> None:
        with self.lock:
            self.persisted += 1

    @property
    def latency_ms(self) -> int:
        return self._latency_ms

    def should_drop(self, request_number: int) -> bool:
        return self._drop is not None and request_number == self._drop + 1

    # -- cmdlets ---------------------------------------------------------------------------
    def _register(self) -> None:
        r = self.registry
        r.register(
            CmdletSpec(
                "Get-Thing",
                self._get_thing,
                (
                    ParamSpec("Name", "string", position=0),
                    ParamSpec("Count", "int"),
                    ParamSpec("ExtraProperties", "int"),
                    ParamSpec("Id", "guid"),
                    ParamSpec("Minimal", "switch"),
                ),
                module="Contoso.Things",
            )
        )
        r.register(
            CmdletSpec(
                "Set-Thing",
                self._set_thing,
                (
                    ParamSpec("Thing", "object", from_pipeline=True),
                    ParamSpec("Notes", "string", mandatory=True),
                    ParamSpec("Bandwidth", "int64"),
                    ParamSpec("Kind", "enum:Private|Internal|External"),
                    ParamSpec("Force", "switch"),
                    ParamSpec("Passthru", "switch"),
                ),
                mutating=True,
                module="Hyper-V",
            )
        )
        r.register(
            CmdletSpec(
                "Echo-Params",
                self._echo,
                (
                    ParamSpec("Text", "string", position=0),
                    ParamSpec("Number", "int", position=1),
                    ParamSpec("Big", "int64"),
                    ParamSpec("Names", "string[]", aliases=("N",)),
                    ParamSpec("Flag", "switch"),
                    ParamSpec("Enabled", "bool"),
                    ParamSpec("Guid", "guid"),
                    ParamSpec("Blob", "string"),
                ),
                module="Hyper-V",
            )
        )
        r.register(
            CmdletSpec(
                "Fail-Thing", self._fail_thing, (ParamSpec("Terminating", "switch"),), module="Hyper-V"
            )
        )
        r.register(CmdletSpec("Crash-Thing", self._crash, (), module="Hyper-V"))

    def _get_thing(self, ctx: InvocationContext, params: dict[str, Any], _input: list[Any]) -> Iterable[Any]:
        count = params.get("Count", 3)
        extra = params.get("ExtraProperties", 0)
        if params.get("Minimal"):
            return [PSObj([THING_TYPE], {"Name": f"thing{i}", "Size": i}, f"Thing {i}") for i in range(count)]
        things = [make_thing(i, extra) for i in range(count)]
        if "Name" in params:
            things = [t for t in things if t.get("Name") == params["Name"]]
            if not things:
                ctx.write_error(
                    ErrorRecord(
                        f"Thing '{params['Name']}' not found.",
                        "ObjectNotFound,Contoso.Things.GetThing",
                        "ObjectNotFound",
                        target_name=params["Name"],
                    )
                )
        if "Id" in params:
            things = [t for t in things if t.get("Id") == params["Id"]]
        return things

    def _set_thing(
        self, ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]
    ) -> Iterable[Any]:
        self.state["notes"] = params["Notes"]
        out = []
        for thing in pipeline_input:
            thing.properties["Notes"] = params["Notes"]
            if params.get("Passthru"):
                out.append(thing)
        return out

    def _echo(
        self, ctx: InvocationContext, params: dict[str, Any], pipeline_input: list[Any]
    ) -> Iterable[Any]:
        shown = {k: v for k, v in params.items() if k != "Blob"}
        if "Blob" in params:
            shown["BlobLength"] = len(params["Blob"])
        shown["InputCount"] = len(pipeline_input)
        shown["ClientAddress"] = ctx.client_address
        yield PSObj(["Contoso.Echo"], shown, "echo")
        yield from pipeline_input

    def _fail_thing(self, ctx: InvocationContext, params: dict[str, Any], _input: list[Any]) -> Iterable[Any]:
        if params.get("Terminating"):
            raise CmdletError(
                ErrorRecord(
                    "The thing is broken.",
                    "ThingBroken,Contoso.Things.FailThing",
                    "InvalidOperation",
                    target_name="thing0",
                )
            )
        ctx.write_error(ErrorRecord("First problem.", "Problem1,Contoso.Things.FailThing", "InvalidArgument"))
        yield "still here"
        ctx.write_error(
            ErrorRecord("Second problem.", "Problem2,Contoso.Things.FailThing", "InvalidArgument")
        )

    def _crash(self, ctx: InvocationContext, params: dict[str, Any], _input: list[Any]) -> Iterable[Any]:
        raise RuntimeError("boom")
