"""``hvnet plan PATH...`` — read each targeted host, diff, print the plan (stdout only the plan)."""

from __future__ import annotations

import os
import sys
from typing import IO

import click

from engine import manifest
from engine.cli.common import EXIT_ERROR, EXIT_OK, CommonOptions, common_options, err
from engine.orchestrate import plan_targets
from engine.plan.model import Plan

__all__ = ["EXIT_CHANGES", "plan_command", "use_colour", "write_plan_file"]

EXIT_CHANGES = 2  # --detailed-exitcode: the plan has changes


def use_colour(stream: IO[str]) -> bool:
    """Colour only for a terminal, and never with NO_COLOR set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def write_plan_file(path: str, plan: Plan) -> None:
    """Save the plan (CONTRACT §5) for ``apply --plan``: self-contained, never a secret."""
    from engine.apply.report import write_json_atomic

    write_json_atomic(path, plan.to_json())


def print_plan(plan: Plan, fmt: str) -> None:
    from engine.render import render_plan

    text = render_plan(plan, fmt, use_colour(sys.stdout))
    click.echo(text, nl=not text.endswith("\n"))


def report_host_errors(plan: Plan) -> None:
    for host in plan.hosts:
        for error in host.errors:
            where = f"{error.position}: " if error.position else ""
            what = f" [{error.address}]" if error.address else ""
            err(f"{where}error: {host.name}: {error.message}{what}")


@click.command("plan")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--host", "hosts", multiple=True, metavar="HOST", help="Plan only this host (repeatable).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True,
    help="How the plan is printed on stdout.",
)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=str),
              help="Also save the plan as JSON, for `hvnet apply --plan FILE`.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when the plan has changes (0: none, 1: error).")
@common_options
def plan_command(
    paths: tuple[str, ...],
    hosts: tuple[str, ...],
    fmt: str,
    out: str | None,
    detailed_exitcode: bool,
    common: CommonOptions,
) -> int:
    """Read the live state of each targeted host and show what apply would change.

    Exit 0 when the plan was made (with --detailed-exitcode: 0 no changes, 2 changes
    present); 1 on an error, including a host that could not be read.
    """
    project = manifest.load_project(list(paths))
    with plan_targets(project, list(hosts), parallelism=common.parallelism) as orch:
        plan = orch.plan
    print_plan(plan, fmt)
    if out:
        write_plan_file(out, plan)
        err(f"Saved the plan to {out}; apply it with: hvnet apply --plan {out}")
    report_host_errors(plan)
    if plan.has_errors:
        return EXIT_ERROR
    if detailed_exitcode and plan.has_changes:
        return EXIT_CHANGES
    return EXIT_OK
