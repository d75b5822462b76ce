"""A failing step skips only its dependents; re-running converges without duplicates; the lock."""

from __future__ import annotations

import json

from .helpers import copy_lab, hvnet, inject_failure, log_length, model, mutating_since, plant_lock, prime

CONSENT = ("--auto-approve", "--allow-disruptive")
WITHOUT = ("Storage",)


def test_a_failing_switch_creation_skips_its_dependents_and_a_rerun_converges(tmp_path):
    lab = copy_lab(tmp_path, drop_documents=WITHOUT)
    prime(lab)
    inject_failure(lab, "New-VMSwitch", "The switch could not be created (injected)")
    report = tmp_path / "r.json"
    result = hvnet("apply", str(lab), *CONSENT, "--report", str(report))
    assert result.exit_code == 1
    assert ("lab1/VMSwitch/sw-compute: New-VMSwitch failed on lab1 [InjectedFault]: "
            "The switch could not be created (injected)") in result.stderr
    assert "skipped    lab1/VMNetworkAdapter/web01-frontend: it requires lab1/VMSwitch/sw-compute, which failed" \
        in result.stderr
    host = json.loads(report.read_text())["hosts"][0]
    assert host["status"] == "failed"
    assert sorted(host["fixed"]) == ["lab1/SriovPolicy/pf-sriov/SLOT 3 Port 1", "lab1/SriovPolicy/pf-sriov/SLOT 3 Port 2"]
    assert [s["name"] for s in model(lab)["switches"]] == ["sw-mgmt"]

    start = log_length(lab)
    rerun = hvnet("apply", str(lab), *CONSENT)
    assert rerun.exit_code == 0, rerun.stderr
    ran = mutating_since(lab, start)
    assert ran.count("New-VMSwitch") == 1
    assert "Enable-NetAdapterSriov" not in ran  # already done: not repeated
    assert sorted(s["name"] for s in model(lab)["switches"]) == ["sw-compute", "sw-mgmt"]
    adapters = [(a["vm_id"], a["name"]) for a in model(lab)["adapters"]]
    assert len(adapters) == len(set(adapters))  # nothing created twice
    assert hvnet("plan", str(lab), "--detailed-exitcode").exit_code == 0


def test_a_failing_vlan_step_stops_only_its_own_adapter(tmp_path):
    lab = copy_lab(tmp_path, drop_documents=WITHOUT)
    prime(lab)
    inject_failure(lab, "Set-VMNetworkAdapterVlan")
    result = hvnet("apply", str(lab), *CONSENT)
    assert result.exit_code == 1
    assert "failed     lab1/VMNetworkAdapter/web01-frontend: " in result.stderr
    assert "applied    lab1/VMNetworkAdapter/web02-frontend" in result.stderr
    assert "applied    lab1/NetworkVirtualization/tenant-blue" in result.stderr
    rerun = hvnet("apply", str(lab), *CONSENT)
    assert rerun.exit_code == 0, rerun.stderr
    assert hvnet("plan", str(lab), "--detailed-exitcode").exit_code == 0


def test_a_held_lock_stops_apply_naming_the_holder(tmp_path):
    lab = copy_lab(tmp_path, drop_documents=WITHOUT)
    prime(lab)
    from datetime import UTC, datetime

    plant_lock(lab, "ci@pipeline pid 4242", datetime.now(UTC).isoformat())
    start = log_length(lab)
    result = hvnet("apply", str(lab), *CONSENT)
    assert result.exit_code == 1
    assert "another hvnet run holds the host's lock (ci@pipeline pid 4242, held for" in result.stderr
    assert mutating_since(lab, start) == []
    assert len(model(lab)["files"]) == 1  # the other run's lock is left alone
    assert hvnet("plan", str(lab)).exit_code == 0  # planning takes no lock


def test_a_stale_lock_is_broken(tmp_path):
    lab = copy_lab(tmp_path, drop_documents=WITHOUT)
    prime(lab)
    plant_lock(lab, "dead@runner pid 1", "2020-01-01T00:00:00+00:00")
    result = hvnet("apply", str(lab), *CONSENT)
    assert result.exit_code == 0, result.stderr
    assert model(lab)["files"] == []
