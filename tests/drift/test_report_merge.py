"""hvnet report merge: union of shard reports, duplicates refused, summaries and exit code recomputed."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from engine.cli.cmd_report import report_group
from engine.errors import ManifestError
from engine.report_merge import merge_exit_code, merge_reports, missing_shards, read_report

from .builders import change_doc, report, report_host

SHARD_1 = report(report_host("hv02", "drift", changes=[change_doc("hv02/VMSwitch/sw", action="create")]),
                 shard="1/2", seconds=4.0)
SHARD_2 = report(report_host("hv01", "in-sync"), report_host("hv03", "fixed",
                 changes=[change_doc("hv03/VMSwitch/sw")], fixed=["hv03/VMSwitch/sw"]), shard="2/2", seconds=9.0)


def test_hosts_are_unioned_sorted_and_summaries_recomputed():
    merged = merge_reports([("a.json", SHARD_1), ("b.json", SHARD_2)])
    assert [h["name"] for h in merged["hosts"]] == ["hv01", "hv02", "hv03"]
    assert merged["summary"] == {"create": 1, "update": 1, "replace": 0, "delete": 0, "blocked": 0}
    assert merged["status_summary"] == {"drift": 1, "fixed": 1, "in-sync": 1}
    assert merged["duration_seconds"] == 9.0  # shards run side by side
    assert merged["merged_from"] == [{"file": "a.json", "shard": "1/2", "hosts": 1},
                                     {"file": "b.json", "shard": "2/2", "hosts": 2}]
    assert merge_exit_code(merged) == 2
    assert merge_reports([("b.json", SHARD_2), ("a.json", SHARD_1)])["hosts"] == merged["hosts"]


def test_a_host_in_two_reports_is_an_error_naming_both_files():
    with pytest.raises(ManifestError) as caught:
        merge_reports([("a.json", SHARD_2), ("b.json", report(report_host("HV01", "drift")))])
    [diagnostic] = caught.value.diagnostics
    assert "'HV01' is in two reports: a.json and b.json" in diagnostic.summary


def test_a_missing_shard_makes_the_merge_an_error():
    assert missing_shards(["1/4", "2/4", "4/4"]) == ["3/4"]
    assert missing_shards([None, None]) == []
    merged = merge_reports([("a.json", SHARD_1)])
    assert merged["missing_shards"] == ["2/2"] and merge_exit_code(merged) == 1


@pytest.mark.parametrize(("content", "where", "message"), [
    ("{not json", ":1:2:", "not a JSON report"),
    ('{"format_version": "9", "hosts": []}', ":1:1:", "unsupported report format_version '9'"),
    ('{"format_version": "1", "hosts": [{"name": "x"}]}', ":1:1:", "hosts[0] is not a report host"),
])
def test_bad_inputs_are_clear_errors_with_a_position(tmp_path, content, where, message):
    path = tmp_path / "r.json"
    path.write_text(content)
    with pytest.raises(ManifestError) as caught:
        read_report(str(path))
    rendered = caught.value.diagnostics[0].render()
    assert f"{path}{where}" in rendered and message in rendered


def test_cli_merges_files_and_returns_drift_exit_codes(tmp_path):
    a, b, out = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "merged.json"
    a.write_text(json.dumps(SHARD_1))
    b.write_text(json.dumps(SHARD_2))
    cli = click.Group(commands={"report": report_group})
    runner = CliRunner()
    printed = runner.invoke(cli, ["report", "merge", str(a), str(b)])
    assert printed.exit_code == 0, printed.stderr
    assert [h["name"] for h in json.loads(printed.stdout)["hosts"]] == ["hv01", "hv02", "hv03"]
    coded = runner.invoke(cli, ["report", "merge", str(a), str(b), "--exit-code", "--out", str(out),
                                "--junit", str(tmp_path / "j.xml")])
    assert coded.exit_code == 2 and coded.stdout == ""
    assert json.loads(out.read_text())["status_summary"]["drift"] == 1
    assert "Merged 2 reports: 3 hosts" in coded.stderr
    dup = runner.invoke(cli, ["report", "merge", str(a), str(a), "--exit-code"])
    assert dup.exit_code == 1 and "is in two reports" in dup.stderr
