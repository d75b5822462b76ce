"""The SR-IOV chain (hyperv-model §2.3): each link, with a positive control."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from engine.sim.hyperv import sriov
from engine.sim.hyperv.model import HostModel

from .read_world import make_host

FRONTEND = "Frontend"


def frontend_id(model: HostModel) -> str:
    return next(a.id for a in model.adapters if a.name == FRONTEND)


def test_positive_control_frontend_gets_a_vf() -> None:
    model = make_host().model
    state = sriov.evaluate(model)
    grant = state.grants[frontend_id(model)]
    assert grant.nic_name == "SLOT 3 Port 1" and grant.function_id == 0
    assert state.vfs_in_use("SLOT 3 Port 1") == 1


def _no_iov_switch(m: HostModel) -> None:
    m.switches[0].iov_enabled = False


def _sriov_disabled(m: HostModel) -> None:
    for n in m.nics[:2]:
        assert n.sriov is not None
        n.sriov.enabled = False


def _host_unsupported(m: HostModel) -> None:
    m.iov_support = False


def _weight_zero(m: HostModel) -> None:
    next(a for a in m.adapters if a.name == FRONTEND).iov_weight = 0


def _vm_off(m: HostModel) -> None:
    m.vms[0].state = "Off"


def _disconnected(m: HostModel) -> None:
    next(a for a in m.adapters if a.name == FRONTEND).connected = False


def _switch_removed(m: HostModel) -> None:
    m.switches.pop(0)


def _link_down(m: HostModel) -> None:
    for n in m.nics[:2]:
        n.status = "Disconnected"


@pytest.mark.parametrize(
    ("breaks", "reason"),
    [
        (_no_iov_switch, "not created with SR-IOV"),
        (_sriov_disabled, "not enabled"),
        (_host_unsupported, "does not support SR-IOV"),
        (_weight_zero, "IovWeight is 0"),
        (_vm_off, "not running"),
        (_disconnected, "not connected"),
        (_switch_removed, "not connected"),
        (_link_down, "not enabled"),
    ],
)
def test_every_broken_link_denies_the_vf_and_says_why(breaks: Callable[[HostModel], None], reason: str) -> None:
    model = make_host().model
    breaks(model)
    state = sriov.evaluate(model)
    assert frontend_id(model) not in state.grants
    assert reason in state.reasons[frontend_id(model)]


def test_vfs_run_out_in_creation_order_across_team_members() -> None:
    model = make_host().model
    for n in model.nics[:2]:
        assert n.sriov is not None
        n.sriov.num_vfs = 1
    backend = next(a for a in model.adapters if a.name == "Backend")
    backend.switch_id = model.switches[0].id
    backend.iov_weight = 50
    vm = model.vms[0]
    third = next(a for a in model.adapters if a.name == "Network Adapter")
    third.vm_id, third.switch_id, third.connected, third.iov_weight = vm.id, model.switches[0].id, True, 1
    state = sriov.evaluate(model)
    assert state.grants[frontend_id(model)].nic_name == "SLOT 3 Port 1"
    assert state.grants[backend.id].nic_name == "SLOT 3 Port 2"
    assert third.id not in state.grants
    assert "no free virtual function" in state.reasons[third.id]
    assert sriov.switch_vf_count(model, model.switches[0]) == 2


def test_host_vnics_never_get_a_vf() -> None:
    model = make_host().model
    storage = next(a for a in model.adapters if a.name == "Storage")
    storage.iov_weight = 100
    assert storage.id not in sriov.evaluate(model).grants
