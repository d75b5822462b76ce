"""apply / plan end to end against the simulated host (pypsrp over HTTP on loopback)."""

from __future__ import annotations

import json

import jsonschema
import pytest

from .helpers import REPO, copy_lab, hvnet, log_length, mutating_since

CONSENT = ("--auto-approve", "--allow-disruptive")


@pytest.fixture
def lab(tmp_path):
    return copy_lab(tmp_path)


def test_apply_converges_the_example_lab_then_plan_is_empty_and_a_second_apply_changes_nothing(lab, tmp_path):
    report = tmp_path / "report.json"
    first = hvnet("apply", str(lab), *CONSENT, "--report", str(report))
    assert first.exit_code == 0, first.stderr
    assert "lab1/VMSwitch/sw-compute will be created" in first.stdout
    doc = json.loads(report.read_text())
    host = doc["hosts"][0]
    assert host["status"] == "fixed", host["errors"]
    assert "lab1/VMSwitch/sw-compute" in host["fixed"]
    with open(REPO / "schemas" / "plan.schema.json", encoding="utf-8") as fh:
        jsonschema.validate(doc, json.load(fh))

    again = hvnet("plan", str(lab), "--detailed-exitcode")
    assert again.exit_code == 0, again.stdout + again.stderr

    start = log_length(lab)
    second = hvnet("apply", str(lab), *CONSENT)
    assert second.exit_code == 0
    assert "No changes." in second.stderr
    assert mutating_since(lab, start) == []


def test_plan_detailed_exitcode_and_saved_plan_without_secrets(lab, tmp_path, monkeypatch):
    monkeypatch.setenv("HVNET_PASSWORD", "s3cret-never-written")
    out = tmp_path / "plan.json"
    result = hvnet("plan", str(lab), "--detailed-exitcode", "--format", "json", "--out", str(out))
    assert result.exit_code == 2
    printed = json.loads(result.stdout)
    assert printed["summary"]["create"] >= 1
    saved = out.read_text()
    assert json.loads(saved)["hosts"][0]["observed_fingerprint"].startswith("sha256:")
    assert "s3cret" not in saved
    assert mutating_since(lab, 0) == []  # planning never changes a host


def test_plan_of_an_unknown_host_is_an_error(lab):
    result = hvnet("plan", str(lab), "--host", "nope")
    assert result.exit_code == 1
    assert "unknown host 'nope'" in result.stderr
    assert result.stdout == ""


def test_an_unreachable_host_fails_the_plan_but_the_others_are_planned(lab, monkeypatch):
    monkeypatch.setenv("HVNET_TEST_PASSWORD", "not-used")
    inventory = lab / "inventory.yaml"
    inventory.write_text(inventory.read_text() + (
        "    - name: dead1\n"
        "      connection: {transport: psrp, server: 127.0.0.1, port: 9, ssl: false, auth: ntlm,\n"
        "                   username: x, passwordEnv: HVNET_TEST_PASSWORD, connectionTimeout: 2}\n"
    ), encoding="utf-8")
    result = hvnet("plan", str(lab), "--format", "json")
    assert result.exit_code == 1
    hosts = {h["name"]: h for h in json.loads(result.stdout)["hosts"]}
    assert hosts["lab1"]["changes"] and hosts["lab1"]["errors"] == []
    assert "could not plan the host" in hosts["dead1"]["errors"][0]["message"]
    assert "error: dead1: could not plan the host" in result.stderr
    assert "not-used" not in result.stdout + result.stderr
