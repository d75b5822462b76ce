"""--metrics (Prometheus text format, parsed back) and --junit (XML shape) from a report document."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from engine.cli.cmd_drift import render_junit, render_metrics, write_text_atomic

from .builders import change_doc, report, report_host

SAMPLE = re.compile(r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})? (?P<value>\S+)$')
LABEL = re.compile(r'(?P<key>[a-zA-Z_][a-zA-Z0-9_]*)="(?P<value>(?:[^"\\]|\\.)*)"(?:,|$)')


def unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), value)


def parse_metrics(text: str) -> tuple[dict[str, str], dict[tuple[str, frozenset[tuple[str, str]]], float]]:
    """A strict reader of text format 0.0.4: TYPE per family, samples with escaped label values."""
    types: dict[str, str] = {}
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    assert text.endswith("\n")
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
            continue
        if line.startswith("# HELP "):
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        assert match.group("name") in types, f"sample before its TYPE: {line!r}"
        raw = match.group("labels") or ""
        labels = [(m.group("key"), unescape(m.group("value"))) for m in LABEL.finditer(raw)]
        assert ",".join(f'{k}="{v}"' for k, v in ((m.group("key"), m.group("value")) for m in LABEL.finditer(raw))) == raw
        samples[(match.group("name"), frozenset(labels))] = float(match.group("value"))
    return types, samples


DOC = report(
    report_host("hv01", "drift", changes=[change_doc("hv01/VMSwitch/sw"), change_doc("hv01/VMSwitch/sw2"),
                                          change_doc("hv01/HostVNic/v", action="noop")], seconds=2.5),
    report_host('odd"name\\x\ny', "fixed", changes=[change_doc('odd"name\\x\ny/HostVNic/v')],
                fixed=['odd"name\\x\ny/HostVNic/v']),
    report_host("hv03", "unreachable", errors=["could not plan the host: connection refused"]),
)


def test_metrics_parse_back_with_every_family_typed_and_labels_escaped():
    types, samples = parse_metrics(render_metrics(DOC, 1_700_000_000.5))
    assert types == dict.fromkeys([
        "hvnet_drift_changes", "hvnet_drift_fixed_total", "hvnet_drift_errors", "hvnet_drift_duration_seconds",
        "hvnet_host_up", "hvnet_drift_last_run_timestamp_seconds"], "gauge")

    def value(name: str, **labels: str) -> float:
        return samples[(name, frozenset(labels.items()))]

    assert value("hvnet_drift_changes", host="hv01", kind="VMSwitch") == 2
    assert value("hvnet_drift_changes", host="hv01", kind="HostVNic") == 0  # noop is not drift
    assert value("hvnet_drift_fixed_total", host='odd"name\\x\ny') == 1
    assert value("hvnet_drift_errors", host="hv03") == 1
    assert value("hvnet_drift_duration_seconds", host="hv01") == 2.5
    assert value("hvnet_host_up", host="hv03") == 0 and value("hvnet_host_up", host="hv01") == 1
    assert value("hvnet_drift_last_run_timestamp_seconds") == 1_700_000_000.5


def test_metrics_file_is_written_atomically_and_readable_by_others(tmp_path):
    target = tmp_path / "textfile" / "hvnet.prom"
    write_text_atomic(str(target), render_metrics(DOC, 1.0))
    assert target.read_text().startswith("# HELP hvnet_drift_changes")
    assert oct(target.stat().st_mode & 0o777) == "0o644"
    assert [p.name for p in target.parent.iterdir()] == ["hvnet.prom"]  # no temp file left behind


def test_junit_has_a_testcase_per_host_and_per_drifted_resource():
    root = ET.fromstring(render_junit(DOC))
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["hv01", 'odd"name\\x\ny', "hv03"]
    hv01 = [c.get("name") for c in suites["hv01"].findall("testcase")]
    assert hv01 == ["host", "hv01/VMSwitch/sw", "hv01/VMSwitch/sw2"]
    assert suites["hv01"].find("testcase/failure").get("message") == "drift: 2 changes remain"
    assert suites["hv01"].get("failures") == "3" and suites["hv01"].get("tests") == "3"
    fixed = suites['odd"name\\x\ny'].findall("testcase")
    assert [c.find("failure") for c in fixed] == [None, None]  # fixed host and resource pass
    error = suites["hv03"].find("testcase/error")
    assert error is not None and "connection refused" in error.get("message")
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("6", "3", "1")


def test_junit_reports_health_findings_as_failures():
    doc = report(report_host("hv01", "in-sync", findings=[
        {"address": "hv01/VMNetworkAdapter/a", "code": "vm-not-running", "message": "VM 'a' is Off"}]))
    suite = ET.fromstring(render_junit(doc)).find("testsuite")
    cases = suite.findall("testcase")
    assert cases[0].find("failure") is None
    assert cases[1].get("name") == "health hv01/VMNetworkAdapter/a"
    assert cases[1].find("failure").get("message") == "VM 'a' is Off"
