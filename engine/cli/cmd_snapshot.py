"""``hvnet snapshot PATH... --host H [--out FILE]`` — a host's observed state as JSON."""

from __future__ import annotations

import click

from engine import manifest
from engine.cli.common import CommonOptions, common_options, err
from engine.errors import Diagnostic, ManifestError
from engine.inventory import Inventory, InventoryHost
from engine.observe.collect import collect_observed
from engine.observe.snapshot import snapshot_json, write_snapshot
from engine.transport.factory import open_session


@click.command("snapshot")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--host", "host_name", required=True, metavar="H", help="The inventory host to read.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=str),
    default=None,
    help="Write the snapshot to FILE instead of stdout.",
)
@common_options
def snapshot_command(paths: tuple[str, ...], host_name: str, out: str | None, common: CommonOptions) -> None:
    """Read one host's networking state and print it as JSON (schemas/snapshot.schema.json).

    A snapshot can be planned against offline with ``transport: snapshot``.
    """
    project = manifest.load_project(list(paths))
    host = find_host(project.inventory, host_name)
    with open_session(host) as session:
        observed = collect_observed(session, host.name)
    if out:
        write_snapshot(observed, out)
        err(f"hvnet: wrote the snapshot of {host.name} to {out}")
    else:
        click.echo(snapshot_json(observed), nl=False)


def find_host(inventory: Inventory, name: str) -> InventoryHost:
    host = inventory.host(name)
    if host is None:
        names = ", ".join(h.name for h in inventory.hosts) or "none"
        raise ManifestError(
            [
                Diagnostic(
                    summary=f"no host {name!r} in the inventory (hosts: {names})", position=inventory.source
                )
            ]
        )
    return host
