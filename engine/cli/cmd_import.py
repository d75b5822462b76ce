"""``hvnet import PATH... --host H --out DIR`` — manifests describing what a host has now."""

from __future__ import annotations

from pathlib import Path

import click

from engine import manifest
from engine.cli.cmd_snapshot import find_host
from engine.cli.common import CommonOptions, common_options, err
from engine.errors import Diagnostic, ManifestError, Position
from engine.observe.collect import collect_observed
from engine.observe.importer import render_import, skipped_objects
from engine.transport.factory import open_session


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--host", "host_name", required=True, metavar="H", help="The inventory host to import.")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=str),
    help="Folder to write the manifests to (one file per kind).",
)
@click.option("--force", is_flag=True, help="Overwrite manifest files that already exist in --out.")
@common_options
def import_command(
    paths: tuple[str, ...], host_name: str, out_dir: str, force: bool, common: CommonOptions
) -> None:
    """Read a host and write manifests that describe its current networking.

    Adopt hvnet on an existing host: import, review, commit — then `hvnet plan`
    shows no changes. Only meaningful settings are written; everything else stays
    unmanaged.
    """
    project = manifest.load_project(list(paths))
    host = find_host(project.inventory, host_name)
    with open_session(host) as session:
        observed = collect_observed(session, host.name)
    files = render_import(observed, host.name)
    target = Path(out_dir)
    existing = [name for name in files if (target / name).exists()]
    if existing and not force:
        raise ManifestError(
            [
                Diagnostic(
                    summary="file exists (use --force to overwrite)",
                    position=Position(str(target / name), 1, 1),
                )
                for name in existing
            ]
        )
    target.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (target / name).write_text(text, encoding="utf-8")
    for note in skipped_objects(observed):
        err(f"hvnet: not imported: {note}")
    written = ", ".join(files) or "nothing (the host has no managed networking)"
    err(f"hvnet: imported {host.name} into {target}: {written}")
