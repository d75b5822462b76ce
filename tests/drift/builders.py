"""Small builders for the pure tests: observed objects of a healthy SR-IOV host, plans, reports."""

from __future__ import annotations

from typing import Any

from engine.model.resources import VMNetworkAdapter, VMSwitch
from engine.observe.model import VM, Adapter, HostFacts, NetAdapter, ObservedHost, Switch, Vlan
from engine.plan.model import Change, HostPlan
from engine.transport.command import Cmdlet, Pipeline, Step

HOST = "hv01"
SWITCH_ID = "5b1f0c5e-0000-4000-8000-000000000001"


def nic(name: str = "SLOT 3 Port 1", **kw: Any) -> NetAdapter:
    base: dict[str, Any] = dict(
        name=name, interface_description="Mellanox ConnectX-5 Adapter", driver_description="Mellanox",
        driver_version="1", mac_address="98039B000001", link_speed_bps=25_000_000_000, status="Up",
        interface_guid="{g}", interface_index=10, sriov_support="Supported", sriov_enabled=True,
        sriov_num_vfs=8, sriov_max_vfs=64, sriov_vfs_in_use=1,
    )
    return NetAdapter(**{**base, **kw})


def switch(**kw: Any) -> Switch:
    base: dict[str, Any] = dict(
        id=SWITCH_ID, name="sw-compute", switch_type="External", allow_management_os=False,
        embedded_teaming=False, iov_enabled=True, iov_support=True, iov_support_reasons=(),
        bandwidth_reservation_mode="Weight", default_flow_minimum_bandwidth_weight=0,
        packet_direct_enabled=False, notes="", uplinks=("SLOT 3 Port 1",), iov_virtual_function_count=8,
        iov_virtual_functions_in_use=1,
    )
    return Switch(**{**base, **kw})


def adapter(**kw: Any) -> Adapter:
    base: dict[str, Any] = dict(
        id="Microsoft:A\\1", name="Frontend", is_management_os=False, vm_name="web01", vm_id="vm-web01",
        switch_name="sw-compute", switch_id=SWITCH_ID, connected=True, mac_address="00155D010A01",
        dynamic_mac_address=True, mac_address_spoofing=False, dhcp_guard=False, router_guard=False,
        iov_weight=100, iov_queue_pairs_requested=1, virtual_subnet_id=0, vlan=Vlan("Untagged"),
        iov_usage=1, vf_data_path_active=True,
    )
    return Adapter(**{**base, **kw})


def observed(*, facts: HostFacts | None = None, nics: list[NetAdapter] | None = None,
             switches: list[Switch] | None = None, adapters: list[Adapter] | None = None,
             vm_state: str = "Running") -> ObservedHost:
    """A host where web01/Frontend uses its VF; override a part to break one link."""
    return ObservedHost(
        host=HOST,
        facts=facts or HostFacts("HV01", 20348, True),
        net_adapters=tuple(nics if nics is not None else [nic()]),
        switches=tuple(switches if switches is not None else [switch()]),
        vms=(VM("vm-web01", "web01", 2, vm_state),),
        adapters=tuple(adapters if adapters is not None else [adapter()]),
    )


def declared_adapter(iov_weight: Any = 100, **kw: Any) -> VMNetworkAdapter:
    return VMNetworkAdapter(host=HOST, name="web01-frontend", vm="web01", adapter_name="Frontend",
                            iov_weight=iov_weight, **kw)


def declared_switch(**kw: Any) -> VMSwitch:
    return VMSwitch(host=HOST, name="sw-compute", **kw)


def step(step_id: str, depends_on: tuple[str, ...] = ()) -> Step:
    return Step(step_id, Pipeline((Cmdlet.of("Set-VMSwitch", Notes="x"),)), depends_on=depends_on)


def change(address: str, *, action: str = "update", risk: str = "none", disruptive: bool = False,
           requires: tuple[str, ...] = (), steps: tuple[Step, ...] = ()) -> Change:
    kind = address.split("/")[1]
    return Change(address=address, kind=kind, name=address.split("/")[2], action=action, risk=risk,
                  disruptive=disruptive, requires=requires, steps=steps)


def host_plan(*changes: Change, name: str = HOST) -> HostPlan:
    return HostPlan(name=name, connection={"transport": "sim"}, observed_fingerprint="sha256:" + "0" * 64,
                    changes=tuple(changes))


def report_host(name: str, status: str, *, changes: list[dict[str, Any]] | None = None,
                fixed: list[str] | None = None, errors: list[str] | None = None, seconds: float = 1.5,
                findings: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {
        "name": name, "connection": {"transport": "sim"}, "observed_fingerprint": "", "changes": changes or [],
        "desired": {}, "errors": [{"message": m} for m in errors or []], "status": status,
        "fixed": fixed or [], "awaiting_approval": [], "awaiting_approval_reasons": {},
        "duration_seconds": seconds,
        "health": {"available": status != "unreachable", "effective": not findings, "findings": findings or []},
    }


def report(*hosts: dict[str, Any], shard: str | None = None, seconds: float = 3.0) -> dict[str, Any]:
    return {"format_version": "1", "hosts": list(hosts),
            "summary": {"create": 0, "update": 0, "replace": 0, "delete": 0, "blocked": 0},
            "drift": {"fix": "none", "shard": shard}, "started_at": "2026-01-01T00:00:00Z",
            "duration_seconds": seconds}


def change_doc(address: str, action: str = "update", risk: str = "none") -> dict[str, Any]:
    c = change(address, action=action, risk=risk).to_json()
    c["attributes"] = [{"name": "notes", "before": "a", "after": "b", "forces_replacement": False}]
    return c
