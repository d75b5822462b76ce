"""SR-IOV on one physical NIC (an expanded SriovPolicy): enable/disable, numVFs.

Every such change restarts the NIC (no -NoRestart), hence risk nic-restart.
"""

from __future__ import annotations

from engine.apply.steps import ChangeContext
from engine.model.resources import SriovNic
from engine.plan.context import HostContext
from engine.plan.diff_common import make_change
from engine.plan.model import AttributeDiff, Change
from engine.plan.preflight import check_sriov_nic


def diff_sriov(hc: HostContext, res: SriovNic) -> Change | None:
    nic = hc.observed.nic_named(res.nic)
    if nic is None:
        hc.error(res, f"NIC {res.nic} is not on host {hc.host}", "spec.nicSelector")
        return None
    want = res.managed()
    if res.ensure == "absent":
        want = {"enabled": False}
    enabling = bool(want.get("enabled")) and not nic.sriov_enabled
    num_vfs = want.get("numVFs")
    attrs: list[AttributeDiff] = []
    if "enabled" in want and bool(want["enabled"]) != nic.sriov_enabled:
        attrs.append(AttributeDiff("enabled", nic.sriov_enabled, bool(want["enabled"])))
    if num_vfs is not None and want.get("enabled", True) and int(num_vfs) != nic.sriov_num_vfs:
        attrs.append(AttributeDiff("numVFs", nic.sriov_num_vfs, int(num_vfs)))
    if not attrs:
        return make_change(res, "noop", "in sync")
    new_vfs = next((int(a.after) for a in attrs if a.name == "numVFs"), None)
    problems = check_sriov_nic(hc.observed, nic, enabling, new_vfs)
    if problems:
        for msg in problems:
            hc.error(res, msg, "spec")
        return None
    mgmt = f"NIC {nic.name}" if nic.name.casefold() in hc.mgmt.nic_names else ""
    ctx = ChangeContext(res, "update", hc.observed)
    reason = "ensure: absent" if res.ensure == "absent" else f"{', '.join(a.name for a in attrs)} differ; the NIC restarts"
    return make_change(res, "update", reason, ctx=ctx, attributes=attrs, risks=["nic-restart"],
                       warnings=[f"NIC {nic.name} restarts: traffic on it stops briefly, VFs are revoked"],
                       management=mgmt)
