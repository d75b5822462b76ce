"""A small host model and a fake invocation context for the rule tests (no HTTP, no files)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from engine.sim.hyperv.model import VM, HostModel, Nic, Sriov
from engine.sim.objects import CmdletError, ErrorRecord

Handler = Callable[[HostModel, Any, dict[str, Any], list[Any]], list[Any]]


@dataclass
class Ctx:
    """Collects non-terminating errors like the dispatcher's context."""

    errors: list[ErrorRecord] = field(default_factory=list)
    client_address: str = "127.0.0.1"

    def write_error(self, record: ErrorRecord) -> None:
        self.errors.append(record)


def nic(name: str, description: str, mac: str, index: int, *, driver: str | None = None,
        sriov: bool = True, ips: list[str] | None = None) -> Nic:
    return Nic(
        name=name,
        interface_description=description,
        driver_description=driver or description.split(" #")[0],
        mac=mac,
        if_index=index,
        interface_guid=f"00000000-0000-0000-0000-0000000000{index:02d}",
        sriov=Sriov(supported=True, max_vfs=8) if sriov else None,
        ip_addresses=list(ips or []),
    )


def world(os_build: int = 20348) -> HostModel:
    """Two identical Mellanox ports, one Intel port, a management NIC without SR-IOV; four VMs."""
    model = HostModel(computer_name="HV1", os_build=os_build, mac_prefix="00155D0A0B")
    model.nics = [
        nic("SLOT 3 Port 1", "Mellanox ConnectX-5 Adapter", "98039B000001", 11, ips=["10.0.1.21/24"]),
        nic("SLOT 3 Port 2", "Mellanox ConnectX-5 Adapter #2", "98039B000002", 12),
        nic("SLOT 4 Port 1", "Intel(R) Ethernet Controller X550", "A0369F000001", 13),
        nic("MGMT", "Broadcom NetXtreme Gigabit Ethernet", "B0B0B0000001", 14, sriov=False, ips=["10.0.0.21/24"]),
    ]
    model.vms = [
        VM(id="11111111-0000-0000-0000-000000000001", name="web01", generation=2, state="Running"),
        VM(id="11111111-0000-0000-0000-000000000002", name="db01", generation=2, state="Off"),
        VM(id="11111111-0000-0000-0000-000000000003", name="old01", generation=1, state="Running"),
        VM(id="11111111-0000-0000-0000-000000000004", name="old02", generation=1, state="Off"),
    ]
    return model


def run(handler: Handler, model: HostModel, params: dict[str, Any], piped: list[Any] | None = None) -> tuple[list[Any], list[ErrorRecord]]:
    """Call a cmdlet handler; returns (output, non-terminating errors)."""
    ctx = Ctx()
    out = handler(model, ctx, params, list(piped or []))
    return list(out), ctx.errors


def ok(handler: Handler, model: HostModel, params: dict[str, Any], piped: list[Any] | None = None) -> list[Any]:
    """Call a handler that must succeed without any error."""
    out, errors = run(handler, model, params, piped)
    assert errors == [], [e.message for e in errors]
    return out


def refused(handler: Handler, model: HostModel, params: dict[str, Any], piped: list[Any] | None = None) -> ErrorRecord:
    """Call a handler that must fail with exactly one error (terminating or not); return it."""
    try:
        out, errors = run(handler, model, params, piped)
    except CmdletError as err:
        return err.record
    assert len(errors) == 1, [e.message for e in errors]
    assert out == []
    return errors[0]


def terminating(handler: Handler, model: HostModel, params: dict[str, Any], piped: list[Any] | None = None) -> ErrorRecord:
    with pytest.raises(CmdletError) as info:
        handler(model, Ctx(), params, list(piped or []))
    return info.value.record
