"""The ``hvnet`` command group; each subcommand lives in its own ``cmd_*`` module."""

from __future__ import annotations

from typing import Any

import click

from engine.cli.cmd_apply import apply_command
from engine.cli.cmd_drift import drift_command
from engine.cli.cmd_graph import graph_command
from engine.cli.cmd_import import import_command
from engine.cli.cmd_jea import jea_role_command
from engine.cli.cmd_plan import plan_command
from engine.cli.cmd_report import report_group
from engine.cli.cmd_sim import sim
from engine.cli.cmd_snapshot import snapshot_command
from engine.cli.cmd_status import status_command
from engine.cli.cmd_validate import validate_command

__all__ = ["hvnet", "main"]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hvnet")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


class HvnetGroup(click.Group):
    """A click group whose usage errors exit 1 (2 means "changes present" to hvnet)."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as exc:
            exc.exit_code = 1  # type: ignore[misc]  # click reads the instance's value
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            exc.exit_code = 1  # type: ignore[misc]  # click reads the instance's value
            raise


@click.group(cls=HvnetGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_version(), "--version", prog_name="hvnet", message="%(prog)s %(version)s")
def hvnet() -> None:
    """Declarative desired state for Hyper-V host networking.

    Validate manifests, show their dependency graph, plan and apply them on Hyper-V
    hosts (or on the built-in simulated host).
    """


for command in (
    validate_command,
    graph_command,
    plan_command,
    apply_command,
    drift_command,
    status_command,
    snapshot_command,
    import_command,
    report_group,
    jea_role_command,
    sim,
):
    hvnet.add_command(command)


def main(argv: list[str] | None = None) -> int:
    """Run ``hvnet`` with ``argv`` (default: the process arguments); return the exit code."""
    try:
        hvnet.main(args=argv, prog_name="hvnet", standalone_mode=True)
    except SystemExit as exit_:
        code = exit_.code
        if code is None:
            return 0
        return code if isinstance(code, int) else 1
    return 0
