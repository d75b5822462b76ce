"""Small builders of observed objects for planner tests (defaults = a quiet, healthy host)."""

from __future__ import annotations

import uuid
from typing import Any

from engine.errors import Position
from engine.inventory import ConnectionSettings, InventoryHost
from engine.observe.model import VM, Adapter, HostFacts, NetAdapter, ObservedHost, Switch, Vlan

HOST = "lab1"


def nic(name: str, **kw: Any) -> NetAdapter:
    base: dict[str, Any] = dict(
        name=name, interface_description="Mellanox ConnectX-5 Adapter", driver_description="Mellanox ConnectX-5 Adapter",
        driver_version="3.10.51000.0", mac_address="98039B000001", link_speed_bps=25_000_000_000, status="Up",
        interface_guid="{" + name + "}", interface_index=10, pci_location="", sriov_support="Supported",
        sriov_enabled=False, sriov_num_vfs=0, sriov_max_vfs=64,
    )
    base.update(kw)
    return NetAdapter(**base)


def switch(name: str, **kw: Any) -> Switch:
    base: dict[str, Any] = dict(
        id=str(uuid.uuid5(uuid.NAMESPACE_DNS, name)), name=name, switch_type="External",
        allow_management_os=False, embedded_teaming=False, iov_enabled=False, iov_support=False,
        iov_support_reasons=(), bandwidth_reservation_mode="Absolute", default_flow_minimum_bandwidth_weight=0,
        packet_direct_enabled=False, notes="", uplinks=(),
    )
    base.update(kw)
    return Switch(**base)


def vm(name: str, **kw: Any) -> VM:
    base: dict[str, Any] = dict(id=f"vm-{name}", name=name, generation=2, state="Running")
    base.update(kw)
    return VM(**base)


def adapter(name: str, vm_name: str = "", sw: Switch | None = None, **kw: Any) -> Adapter:
    base: dict[str, Any] = dict(
        id=f"Microsoft:{vm_name or 'host'}\\{name}", name=name, is_management_os=not vm_name, vm_name=vm_name,
        vm_id=f"vm-{vm_name}" if vm_name else "", switch_name=sw.name if sw else None, switch_id=sw.id if sw else None,
        connected=sw is not None, mac_address="00155D010A01", dynamic_mac_address=True, mac_address_spoofing=False,
        dhcp_guard=False, router_guard=False, iov_weight=0, iov_queue_pairs_requested=1, virtual_subnet_id=0,
        vlan=Vlan("Untagged"),
    )
    base.update(kw)
    return Adapter(**base)


def observed(**kw: Any) -> ObservedHost:
    base: dict[str, Any] = dict(host=HOST, facts=HostFacts("LAB1", 20348, True))
    base.update({k: tuple(v) if isinstance(v, list) else v for k, v in kw.items()})
    return ObservedHost(**base)


def inv_host(name: str = HOST) -> InventoryHost:
    return InventoryHost(name, connection=ConnectionSettings(transport="snapshot", file="/x/observed.json"))


def pos(line: int = 1) -> Position:
    return Position("manifests/lab.yaml", line, 1)


def plan(resources: list[Any], obs: ObservedHost) -> Any:
    from engine.plan import plan_host

    return plan_host(inv_host(), resources, obs)


def change_of(host_plan: Any, address: str) -> Any:
    found = [c for c in host_plan.changes if c.address == address]
    assert found, f"no change for {address}; have {[c.address for c in host_plan.changes]}, errors {host_plan.errors}"
    return found[0]


def cmdlets(change: Any) -> list[list[str]]:
    return [[c.name for c in s.pipeline.commands] for s in change.steps]


def params_of(change: Any, cmdlet: str) -> dict[str, Any]:
    for s in change.steps:
        for c in s.pipeline.commands:
            if c.name == cmdlet:
                return c.params
    raise AssertionError(f"{cmdlet} not in steps {cmdlets(change)}")
