"""hvnet drift / status end to end: click → pypsrp over HTTP on loopback → simulated hosts."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import jsonschema
import pytest

from .fleet_lab import (
    REPO,
    cmdlet_count,
    edit_model,
    edit_state,
    hvnet,
    make_fleet,
    mutating_since,
    write_inventory,
)

HOSTS = {"hv01": "c1", "hv02": "c2"}


@pytest.fixture(scope="module")
def converged(tmp_path_factory) -> Path:
    """Two hosts converged once by drift itself (all changes, with consent)."""
    root = make_fleet(tmp_path_factory.mktemp("converged"), HOSTS)
    report = root / "first.json"
    result = hvnet("drift", str(root), "--fix", "all", "--allow-disruptive", "--max-unavailable", "100%",
                   "--report", str(report))
    assert result.exit_code == 0, result.stderr
    doc = json.loads(report.read_text())
    assert {h["name"]: h["status"] for h in doc["hosts"]} == {"hv01": "fixed", "hv02": "fixed"}
    assert "hv01/VMSwitch/sw-compute" in doc["hosts"][0]["fixed"]
    return root


@pytest.fixture
def fleet(converged, tmp_path) -> Path:
    return Path(shutil.copytree(converged, tmp_path / "fleet"))


def host(doc: dict, name: str) -> dict:
    return next(h for h in doc["hosts"] if h["name"] == name)


def test_in_sync_fleet_exits_0_reads_only_and_writes_report_junit_and_metrics(fleet, tmp_path):
    start = cmdlet_count(fleet, "hv01")
    report, junit, metrics = tmp_path / "r.json", tmp_path / "j.xml", tmp_path / "m.prom"
    result = hvnet("drift", str(fleet), "--report", str(report), "--junit", str(junit), "--metrics", str(metrics))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    doc = json.loads(report.read_text())
    with open(REPO / "schemas" / "plan.schema.json", encoding="utf-8") as fh:
        jsonschema.validate(doc, json.load(fh))
    assert doc["status_summary"] == {"in-sync": 2}
    assert doc["duration_seconds"] > 0 and host(doc, "hv01")["duration_seconds"] > 0
    health = host(doc, "hv01")["health"]
    assert [f["code"] for f in health["findings"]] == ["vm-not-running"]  # web02 is off: no VF
    assert 'hvnet_host_up{host="hv02"} 1' in metrics.read_text()
    assert 'testsuite name="hv01" tests="2" failures="1"' in junit.read_text()  # the health finding
    assert mutating_since(fleet, "hv01", start) == []


def test_an_out_of_band_change_is_drift_exit_2_and_nothing_is_changed(fleet, tmp_path):
    edit_model(fleet, "hv01", lambda m: next(s for s in m["switches"] if s["name"] == "sw-compute")
               .update(notes="changed by hand"))
    start = cmdlet_count(fleet, "hv01")
    report = tmp_path / "r.json"
    result = hvnet("drift", str(fleet), "--report", str(report))
    assert result.exit_code == 2, result.stderr
    doc = json.loads(report.read_text())
    assert host(doc, "hv02")["status"] == "in-sync"
    hv01 = host(doc, "hv01")
    assert hv01["status"] == "drift"
    [changed] = [c for c in hv01["changes"] if c["action"] != "noop"]
    assert changed["address"] == "hv01/VMSwitch/sw-compute"
    assert changed["attributes"] == [{"name": "notes", "before": "changed by hand",
                                      "after": "compute: SET + SR-IOV", "forces_replacement": False}]
    assert "hv01: drift, 1 change pending" in result.stderr
    assert mutating_since(fleet, "hv01", start) == []


def test_fix_safe_fixes_the_non_disruptive_and_leaves_the_disruptive_awaiting_approval(fleet, tmp_path):
    def by_hand(model: dict) -> None:
        web01 = next(a for a in model["adapters"] if a["name"] == "Frontend" and a["dhcp_guard"])
        web01["dhcp_guard"] = False
        next(n for n in model["nics"] if n["name"] == "SLOT 3 Port 2")["sriov"]["num_vfs"] = 16

    edit_model(fleet, "hv01", by_hand)
    report = tmp_path / "r.json"
    result = hvnet("drift", str(fleet), "--fix", "safe", "--allow-disruptive", "--report", str(report))
    assert result.exit_code == 2, result.stderr
    hv01 = host(json.loads(report.read_text()), "hv01")
    assert hv01["status"] == "drift"
    assert hv01["fixed"] == ["hv01/VMNetworkAdapter/web01-frontend"]
    assert hv01["awaiting_approval"] == ["hv01/SriovPolicy/pf-sriov/SLOT 3 Port 2"]
    assert "--fix safe makes only non-disruptive changes" in \
        hv01["awaiting_approval_reasons"]["hv01/SriovPolicy/pf-sriov/SLOT 3 Port 2"]
    assert hv01["errors"] == []
    model = json.loads((fleet / ".hvnet" / "sim" / "hv01.json").read_text())["model"]
    assert next(a for a in model["adapters"] if a["name"] == "Frontend" and a["iov_weight"] == 100)["dhcp_guard"]
    assert next(n for n in model["nics"] if n["name"] == "SLOT 3 Port 2")["sriov"]["num_vfs"] == 16
    assert not any(f["path"].lower().endswith("hvnet\\lock") for f in model["files"])  # lock released


def test_unreachable_and_slow_hosts_are_reported_while_the_others_finish(fleet, tmp_path, monkeypatch):
    monkeypatch.setenv("HVNET_TEST_PASSWORD", "not-used")
    write_inventory(fleet, HOSTS, down=("hv09",))
    edit_state(fleet, "hv02", lambda data: data["faults"].update(latency_ms=3000))
    report = tmp_path / "r.json"
    started = time.monotonic()
    result = hvnet("drift", str(fleet), "--host-timeout", "2", "--report", str(report))
    assert time.monotonic() - started < 15
    assert result.exit_code == 1, result.stderr
    doc = json.loads(report.read_text())
    assert {h["name"]: h["status"] for h in doc["hosts"]} == {"hv01": "in-sync", "hv02": "unreachable",
                                                                "hv09": "unreachable"}
    assert "timed out after 2s" in host(doc, "hv02")["errors"][0]["message"]
    assert host(doc, "hv09")["health"]["available"] is False
    assert "hv09: unreachable" in result.stderr


def test_a_rolling_group_stops_at_its_first_failure(fleet, tmp_path):
    write_inventory(fleet, {"hv01": "c1", "hv02": "c1"})
    for name in ("hv01", "hv02"):
        edit_model(fleet, name, lambda m: next(n for n in m["nics"] if n["name"] == "SLOT 3 Port 2")["sriov"]
                   .update(num_vfs=16))

    def fail_next_sriov_set(data: dict) -> None:
        done = sum(1 for e in data["counters"]["cmdlets"] if e["cmdlet"] == "Set-NetAdapterSriov")
        data["faults"]["fail_cmdlets"].append({"cmdlet": "Set-NetAdapterSriov", "nth": done + 1,
                                               "message": "injected: adapter busy"})

    edit_state(fleet, "hv01", fail_next_sriov_set)
    report = tmp_path / "r.json"
    result = hvnet("drift", str(fleet), "--fix", "all", "--allow-disruptive", "--max-unavailable", "1",
                   "--report", str(report))
    assert result.exit_code == 1, result.stderr
    doc = json.loads(report.read_text())
    assert host(doc, "hv01")["status"] == "failed"
    hv02 = host(doc, "hv02")
    assert hv02["status"] == "drift" and hv02["fixed"] == []
    reason = hv02["awaiting_approval_reasons"]["hv02/SriovPolicy/pf-sriov/SLOT 3 Port 2"]
    assert reason.startswith("rolling apply of group cluster=c1 stopped after hv01 failed")


def test_status_reports_why_a_fast_path_is_not_in_use_exit_3(fleet):
    result = hvnet("status", str(fleet), "--host", "hv01")
    assert result.exit_code == 3, result.stderr
    assert "✓ hv01/VMNetworkAdapter/web01-frontend" in result.stdout
    assert "VM 'web02' is Off: VFs are assigned to running VMs only [vm-not-running]" in result.stdout
    assert "NIC SLOT 3 Port 1: SR-IOV Supported, enabled, VFs in use 1 of 32" in result.stdout
    as_json = json.loads(hvnet("status", str(fleet), "--format", "json").stdout)
    assert as_json["summary"] == {"hosts": 2, "effective": 0, "findings": 2, "unavailable": 0}


def test_shards_split_the_fleet_and_merge_back(fleet, tmp_path):
    reports = []
    for k in (1, 2):
        path = tmp_path / f"shard{k}.json"
        result = hvnet("drift", str(fleet), "--shard", f"{k}/2", "--report", str(path))
        assert result.exit_code == 0, result.stderr
        reports.append(str(path))
    names = [[h["name"] for h in json.loads(Path(p).read_text())["hosts"]] for p in reports]
    assert sorted(names[0] + names[1]) == ["hv01", "hv02"]
    merged = hvnet("report", "merge", *reports, "--exit-code")
    assert merged.exit_code == 0, merged.stderr
    assert json.loads(merged.stdout)["status_summary"] == {"in-sync": 2}
