"""Small CLI behaviours of plan/apply that need no host."""

from __future__ import annotations

import io

from click.testing import CliRunner

from engine.cli.cmd_apply import apply_command
from engine.cli.cmd_plan import use_colour


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_colour(_Terminal())
    assert not use_colour(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour(_Terminal())


def test_apply_needs_paths_or_a_plan_and_not_both(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(apply_command, [])
    assert missing.exit_code != 0 and "give the manifest PATHs to apply, or --plan FILE" in missing.output
    plan = tmp_path / "p.json"
    plan.write_text("{}", encoding="utf-8")
    both = runner.invoke(apply_command, ["--plan", str(plan), "somewhere"])
    assert both.exit_code != 0 and "--plan takes no PATH" in both.output


def test_a_plan_file_that_is_not_a_plan_is_refused_with_its_position(tmp_path):
    plan = tmp_path / "p.json"
    plan.write_text('{"format_version": "9", "hosts": []}', encoding="utf-8")
    result = CliRunner().invoke(apply_command, ["--plan", str(plan)])
    assert result.exit_code == 1
    assert f"{plan}:1:1: error: unsupported plan format_version '9'" in result.stderr
