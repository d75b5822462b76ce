"""``common_options``: how later commands (plan, apply, drift) get the shared flags."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import click
import pytest
import structlog
from click.testing import CliRunner

from engine.cli.common import CommonOptions, common_options, problem_summary
from engine.errors import Diagnostic, Position
from engine.logging import get_logger, reset_logging


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    yield
    reset_logging()


@click.command()
@click.argument("path")
@common_options
def fake_plan(path: str, common: CommonOptions) -> int:
    click.echo(f"{path} parallelism={common.parallelism} format={common.log_format} v={common.verbosity}")
    get_logger("hvnet.plan", host="hv01").info("plan.built", changes=3)
    return 2  # e.g. "changes present" with --detailed-exitcode


def test_command_gets_the_common_flags_and_its_exit_code_is_kept() -> None:
    result = CliRunner().invoke(fake_plan, ["lab", "--parallelism", "4", "-vv", "--log-format", "json"])
    assert result.exit_code == 2
    assert result.stdout == "lab parallelism=4 format=json v=2\n"
    assert '"event": "plan.built"' in result.stderr
    assert '"component": "hvnet.plan"' in result.stderr


def test_defaults_and_info_logs_hidden_without_v() -> None:
    result = CliRunner().invoke(fake_plan, ["lab"])
    assert result.stdout == "lab parallelism=16 format=console v=0\n"
    assert result.stderr == ""


def test_problem_summary_counts_errors_warnings_and_files() -> None:
    diags = [
        Diagnostic("a", Position("x.yaml", 1, 1)),
        Diagnostic("b", Position("x.yaml", 2, 1)),
        Diagnostic("c", Position("y.yaml", 1, 1), severity="warning"),
        Diagnostic("d"),
    ]
    assert problem_summary(diags) == "3 errors, 1 warning in 2 files"
    assert problem_summary([Diagnostic("only")]) == "1 error"


def test_running_a_command_in_process_leaves_the_callers_logging_alone() -> None:
    before = structlog.get_config()
    level = logging.getLogger().level
    handlers = list(logging.getLogger().handlers)
    result = CliRunner().invoke(fake_plan, ["lab", "--log-format", "json", "-vvv"])
    assert result.exit_code == 2
    assert structlog.get_config() == before
    assert logging.getLogger().level == level
    assert logging.getLogger().handlers == handlers
