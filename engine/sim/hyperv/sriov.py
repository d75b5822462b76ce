"""The SR-IOV chain: which VM adapters get a virtual function (hyperv-model §2.3).

A VF is granted only when every link holds, checked in this order (the order is a
model, not a documented algorithm; the first failing link is the reported reason):
1. the adapter is a VM adapter, connected to an existing switch;
2. the switch was created with IovEnabled;
3. the host supports SR-IOV and the switch's external port NIC supports it;
4. a NIC of the switch has SR-IOV enabled, is Up and has NumVFs > 0;
5. the adapter's IovWeight > 0;
6. the VM is running;
7. a VF is free on one of those NICs (first NIC in uplink order with one free).
Grants are handed out in adapter creation order, so the result is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.sim.hyperv.model import HostModel, Nic, PortAdapter, VSwitch


@dataclass(frozen=True)
class VfGrant:
    adapter_id: str
    nic_name: str
    function_id: int  # 0-based index of the VF on its NIC
    switch_id: str


@dataclass
class SriovState:
    grants: dict[str, VfGrant] = field(default_factory=dict)  # by adapter id
    reasons: dict[str, str] = field(default_factory=dict)  # adapter id → why no VF

    def vfs_in_use(self, nic_name: str) -> int:
        key = nic_name.casefold()
        return sum(1 for g in self.grants.values() if g.nic_name.casefold() == key)

    def switch_vfs_in_use(self, switch_id: str) -> int:
        return sum(1 for g in self.grants.values() if g.switch_id == switch_id)


def nic_vf_capacity(nic: Nic) -> int:
    """VFs a NIC can hand out now: NumVFs when SR-IOV is supported, enabled and the link up."""
    s = nic.sriov
    if s is None or not s.supported or not s.enabled or nic.status != "Up":
        return 0
    return s.num_vfs


def switch_vf_count(model: HostModel, sw: VSwitch) -> int:
    """IovVirtualFunctionCount: VFs available to an IOV switch from its external port."""
    if not sw.iov_enabled or not model.switch_iov_support(sw)[0]:
        return 0
    return sum(nic_vf_capacity(n) for n in model.uplink_nics(sw))


def _blocker(model: HostModel, adapter: PortAdapter) -> str | None:
    if adapter.is_management_os:
        return "SR-IOV is not used by host vNICs"
    sw = model.switch(adapter.switch_id) if adapter.connected else None
    if sw is None:
        return "the adapter is not connected to a switch"
    if not sw.iov_enabled:
        return f"switch '{sw.name}' was not created with SR-IOV enabled"
    supported, reasons = model.switch_iov_support(sw)
    if not supported:
        return f"switch '{sw.name}' does not support SR-IOV: {'; '.join(reasons)}"
    if not any(nic_vf_capacity(n) for n in model.uplink_nics(sw)):
        return f"SR-IOV is not enabled (or NumVFs is 0) on the physical adapter of switch '{sw.name}'"
    if adapter.iov_weight <= 0:
        return "IovWeight is 0"
    vm = model.vm(adapter.vm_id)
    if vm is None or vm.state != "Running":
        return "the VM is not running"
    return None


def evaluate(model: HostModel) -> SriovState:
    """Compute the VF grant of every adapter from the model."""
    state = SriovState()
    used: dict[str, int] = {}
    for adapter in sorted(model.adapters, key=lambda a: a.created):
        blocker = _blocker(model, adapter)
        if blocker is not None:
            state.reasons[adapter.id] = blocker
            continue
        sw = model.switch(adapter.switch_id)
        assert sw is not None  # checked by _blocker
        for nic in model.uplink_nics(sw):
            taken = used.get(nic.name, 0)
            if taken < nic_vf_capacity(nic):
                used[nic.name] = taken + 1
                state.grants[adapter.id] = VfGrant(adapter.id, nic.name, taken, sw.id)
                break
        else:
            state.reasons[adapter.id] = f"no free virtual function on switch '{sw.name}'"
    return state
