"""The scheduling/CI examples in docs/examples parse, and every hvnet command in them uses real flags."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from engine.cli.cmd_apply import apply_command
from engine.cli.cmd_drift import drift_command
from engine.cli.cmd_plan import plan_command
from engine.cli.cmd_report import merge_command
from engine.cli.cmd_status import status_command
from engine.cli.cmd_validate import validate_command

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
OPERATIONS = EXAMPLES.parent / "operations.md"
COMMANDS: dict[str, click.Command] = {
    "validate": validate_command, "plan": plan_command, "apply": apply_command, "drift": drift_command,
    "status": status_command, "report merge": merge_command,
}
INVOCATION = re.compile(r"\bhvnet(?:\.exe)?\s+(report\s+merge|validate|plan|apply|drift|status)\b([^\n;|&>`]*)")
YAML_FILES = sorted(p for p in EXAMPLES.rglob("*") if p.suffix in (".yml", ".yaml"))


def strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return []


def invocations(text: str) -> list[tuple[str, list[str]]]:
    found = []
    for match in INVOCATION.finditer(text):
        tokens = shlex.split(match.group(2).replace("$((", "").replace("))", ""), posix=True)
        found.append((" ".join(match.group(1).split()), tokens))
    return found


def example_invocations() -> list[tuple[str, str, list[str]]]:
    out: list[tuple[str, str, list[str]]] = []
    for path in sorted(p for p in EXAMPLES.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8")
        if path.suffix in (".yml", ".yaml"):
            texts = [s for doc in yaml.safe_load_all(text) for s in strings_in(doc)]
        elif path.suffix == ".ps1":  # the task runs hvnet.exe with an -Argument string
            texts = [f"hvnet {m}" for m in re.findall(r"'((?:drift|plan|apply|status) [^']*)'", text)]
        else:  # unit files: the commands, not the comments
            texts = ["\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))]
        out += [(path.name, command, tokens) for t in texts for command, tokens in invocations(t)]
    out += [("operations.md", c, t) for c, t in invocations(OPERATIONS.read_text(encoding="utf-8"))]
    return out


def known_options(command: click.Command) -> set[str]:
    return {opt for param in command.params for opt in (*param.opts, *param.secondary_opts) if opt.startswith("-")}


@pytest.mark.parametrize("path", YAML_FILES, ids=[p.name for p in YAML_FILES])
def test_yaml_examples_parse(path):
    docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
    assert docs and all(isinstance(d, dict) for d in docs)


def test_every_example_kind_is_there_and_runs_hvnet():
    by_file = {name for name, _, _ in example_invocations()}
    assert {"hvnet-drift.service", "Register-HvnetDrift.ps1", "drift-cronjob.yaml", "hvnet.yml",
            "gitlab-ci.yml", "operations.md"} <= by_file


def test_hvnet_commands_in_examples_use_only_existing_flags():
    problems = []
    for name, command, tokens in example_invocations():
        options = known_options(COMMANDS[command])
        for token in tokens:
            flag = token.lstrip("[").rstrip(".]").split("=", 1)[0]
            if flag.startswith("--") and flag not in options:
                problems.append(f"{name}: hvnet {command} {flag}")
    assert problems == []


def test_shard_arguments_in_examples_are_one_based():
    cron = yaml.safe_load((EXAMPLES / "kubernetes" / "drift-cronjob.yaml").read_text(encoding="utf-8"))
    args = " ".join(cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"])
    assert "--shard $((JOB_COMPLETION_INDEX+1))/4" in args
    assert cron["spec"]["jobTemplate"]["spec"]["completionMode"] == "Indexed"


def test_hvnet_commands_in_example_files_parse_with_their_values():
    for name, command, tokens in example_invocations():
        if name == "operations.md" or not any(t.startswith("--") for t in tokens):
            continue  # prose; flags are checked above
        try:
            COMMANDS[command].make_context(command, list(tokens))
        except click.ClickException as exc:
            pytest.fail(f"{name}: hvnet {command} {' '.join(tokens)}: {exc.format_message()}")
