"""``hvnet validate PATH...`` — check manifests offline and report every problem."""

from __future__ import annotations

from typing import Any

import click

from engine import manifest
from engine.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    CommonOptions,
    common_options,
    err,
    plural,
    print_diagnostics,
    problem_summary,
)
from engine.logging import get_logger


@click.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@common_options
def validate_command(paths: tuple[str, ...], common: CommonOptions) -> int:
    """Parse, schema-check and cross-check manifests without contacting any host.

    Prints every error and warning (file:line:col) on stderr, then a summary.
    Exit 0 when valid, 1 when not.
    """
    log = get_logger()
    diagnostics = manifest.validate_paths(list(paths))
    print_diagnostics(diagnostics)
    if any(d.severity == "error" for d in diagnostics):
        err(problem_summary(diagnostics))
        return EXIT_ERROR
    project = manifest.load_project(list(paths))
    hosts = len(project.inventory.hosts)
    documents = _document_count(project, paths)
    summary = f"valid: {plural(documents, 'document')}, {plural(hosts, 'host')}"
    if diagnostics:
        summary += f" ({plural(len(diagnostics), 'warning')})"
    log.info("manifests.validated", documents=documents, hosts=hosts, warnings=len(diagnostics))
    err(summary)
    return EXIT_OK


def _document_count(project: Any, paths: tuple[str, ...]) -> int:
    documents = getattr(project, "documents", None)
    if documents is not None:
        return len(documents)
    # The project does not keep its documents: count them the way the loader reads them.
    from engine.manifest.yaml_loader import load_file, manifest_files

    files, _problems = manifest_files(list(paths))
    return sum(len(load_file(path)[0]) for path in files)
