"""``hvnet graph PATH... [--host H] [--format dot|mermaid|json]`` — the dependency graph."""

from __future__ import annotations

import click

from engine import manifest
from engine.cli.common import CommonOptions, common_options
from engine.graph import GRAPH_FORMATS, build_graph, render_graph
from engine.inventory import Inventory
from engine.model.resources import Resource


@click.command("graph")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option(
    "--host",
    "hosts",
    multiple=True,
    metavar="H",
    help="Only this host (repeatable; default: every host in the inventory).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(GRAPH_FORMATS),
    default="dot",
    show_default=True,
    help="Graphviz DOT, a Mermaid flowchart, or JSON.",
)
@common_options
def graph_command(paths: tuple[str, ...], hosts: tuple[str, ...], fmt: str, common: CommonOptions) -> None:
    """Print the resolved dependency graph of the desired resources on stdout.

    Nodes are listed in the order hvnet converges them; an edge A -> B means
    B needs A first. Offline: SR-IOV policies come before every External switch.
    """
    project = manifest.load_project(list(paths))
    chosen = _chosen_hosts(project.inventory, hosts)
    resources: list[Resource] = [r for host in chosen for r in project.resources.get(host, [])]
    click.echo(render_graph(build_graph(resources), fmt), nl=False)


def _chosen_hosts(inventory: Inventory, wanted: tuple[str, ...]) -> list[str]:
    names = [h.name for h in inventory.hosts]
    if not wanted:
        return names
    by_key = {n.casefold(): n for n in names}
    unknown = [w for w in wanted if w.casefold() not in by_key]
    if unknown:
        raise click.BadParameter(
            f"no host {', '.join(map(repr, unknown))} in the inventory (hosts: {', '.join(names) or 'none'})",
            param_hint="'--host'",
        )
    chosen = {by_key[w.casefold()] for w in wanted}
    return [n for n in names if n in chosen]
