"""apply --plan: a saved plan is self-contained, applied exactly, refused when stale."""

from __future__ import annotations

import json
from collections import Counter

from .helpers import copy_lab, hvnet, log_length, model, mutating_since, state, state_file

# The executor is under test here, not the example's host vNIC pipeline.
WITHOUT = ("Storage",)


def test_a_saved_plan_applies_with_nothing_but_the_file(tmp_path, monkeypatch):
    lab = copy_lab(tmp_path, drop_documents=WITHOUT)
    plan_file = tmp_path / "plan.json"
    assert hvnet("plan", str(lab), "--out", str(plan_file)).exit_code == 0
    saved = json.loads(plan_file.read_text())
    planned = Counter(c["cmdlet"] for h in saved["hosts"] for ch in h["changes"] for s in ch["steps"]
                      for c in s["pipeline"] if not c["cmdlet"].startswith(("Get-", "Where-")))
    monkeypatch.chdir(tmp_path)  # no manifest around: only the file
    start = log_length(lab)
    result = hvnet("apply", "--plan", str(plan_file), "--allow-disruptive", "--report", str(tmp_path / "r.json"))
    assert result.exit_code == 0, result.stderr
    assert Counter(mutating_since(lab, start)) == planned  # exactly the saved steps, each once
    assert json.loads((tmp_path / "r.json").read_text())["hosts"][0]["status"] == "fixed"
    assert hvnet("plan", str(lab), "--detailed-exitcode").exit_code == 0


def test_a_saved_plan_still_needs_allow_disruptive(tmp_path):
    lab = copy_lab(tmp_path, drop_documents=WITHOUT)
    plan_file = tmp_path / "plan.json"
    assert hvnet("plan", str(lab), "--out", str(plan_file)).exit_code == 0
    result = hvnet("apply", "--plan", str(plan_file))
    assert result.exit_code == 1
    assert "needs --allow-disruptive" in result.stderr
    assert mutating_since(lab, 0) == []


def test_a_stale_plan_is_refused_saying_what_changed(tmp_path):
    lab = copy_lab(tmp_path, drop_documents=WITHOUT)
    plan_file = tmp_path / "plan.json"
    assert hvnet("plan", str(lab), "--out", str(plan_file)).exit_code == 0
    data = state(lab)  # someone changes the host meanwhile
    switch = next(s for s in data["model"]["switches"] if s["name"] == "sw-mgmt")
    switch["notes"] = "changed by hand"
    state_file(lab).write_text(json.dumps(data), encoding="utf-8")
    start = log_length(lab)
    result = hvnet("apply", "--plan", str(plan_file), "--allow-disruptive")
    assert result.exit_code == 1
    assert "stale" in result.stderr
    assert "lab1/VMSwitch/sw-mgmt: configuration changed" in result.stderr
    assert mutating_since(lab, start) == []
    assert model(lab)["files"] == []  # the lock was released


def test_a_bad_plan_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "plan.json"
    bad.write_text('{"hosts": [', encoding="utf-8")
    result = hvnet("apply", "--plan", str(bad))
    assert result.exit_code == 1
    assert f"{bad}:1:" in result.stderr and "not a JSON plan" in result.stderr
