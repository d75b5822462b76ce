"""``hvnet report merge REPORT...`` — combine the reports of sharded drift runs into one.

Each shard of a CI matrix / Kubernetes Indexed Job writes its own ``drift --report``;
this command unions them (a host in two reports is an error), recomputes the summaries
and prints (or ``--out``) the merged document. ``--exit-code`` exits as drift would have
for all hosts together: 0 in sync, 2 drift remains, 1 an error or a missing shard.
"""

from __future__ import annotations

import time

import click

from engine.apply.report import dump_json, write_report
from engine.cli.cmd_drift import render_junit, render_metrics, write_text_atomic
from engine.cli.common import EXIT_OK, CommonOptions, common_options, err, plural
from engine.report_merge import merge_exit_code, merge_reports, read_report

__all__ = ["merge_command", "report_group"]


@click.group("report")
def report_group() -> None:
    """Work with drift/apply reports."""


@report_group.command("merge")
@click.argument("reports", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str))
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=str),
              help="Write the merged report here instead of printing it on stdout.")
@click.option("--exit-code", "exit_code", is_flag=True,
              help="Exit like `hvnet drift` for all hosts: 0 in sync, 2 drift remains, 1 error or missing shard.")
@click.option("--junit", "junit_file", type=click.Path(dir_okay=False, path_type=str),
              help="Also write JUnit XML for the merged hosts.")
@click.option("--metrics", "metrics_file", type=click.Path(dir_okay=False, path_type=str),
              help="Also write Prometheus metrics for the merged hosts.")
@common_options
def merge_command(
    reports: tuple[str, ...], out: str | None, exit_code: bool, junit_file: str | None,
    metrics_file: str | None, common: CommonOptions,
) -> int:
    """Merge shard reports (from `hvnet drift --report`) into one report."""
    merged = merge_reports([(path, read_report(path)) for path in reports])
    if out:
        write_report(out, merged)
    else:
        click.echo(dump_json(merged), nl=False)
    if junit_file:
        write_text_atomic(junit_file, render_junit(merged))
    if metrics_file:
        write_text_atomic(metrics_file, render_metrics(merged, time.time()))
    for shard in merged.get("missing_shards", []):
        err(f"warning: shard {shard} did not report: its hosts were not checked")
    counts = ", ".join(f"{n} {s}" for s, n in merged["status_summary"].items()) or "no hosts"
    code = merge_exit_code(merged)
    err(f"Merged {plural(len(reports), 'report')}: {plural(len(merged['hosts']), 'host')} ({counts}); "
        f"drift exit code {code}.")
    return code if exit_code else EXIT_OK


