"""``hvnet jea-role [--out FILE]`` — the JEA role capability hvnet's service account needs.

Prints (or writes) a ``.psrc`` file allowing exactly the cmdlets and parameters hvnet
runs (``engine.jea.HVNET_ROLE``); docs/security.md shows how to register it.
"""

from __future__ import annotations

import os
import tempfile

import click

from engine.cli.common import EXIT_ERROR, EXIT_OK, CommonOptions, common_options, err
from engine.jea import HVNET_ROLE, render_role_capability

__all__ = ["jea_role_command"]


@click.command("jea-role")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=str),
              help="Write the role capability file here (e.g. hvnet.psrc) instead of stdout.")
@common_options
def jea_role_command(out: str | None, common: CommonOptions) -> int:
    """Print the JEA role capability file (.psrc) for hvnet's service account.

    It makes visible exactly the cmdlets and parameters hvnet uses, and lets the lock
    cmdlets touch only hvnet's lock file.
    """
    text = render_role_capability()
    if out is None:
        click.echo(text, nl=False)
        return EXIT_OK
    try:
        _write_atomically(out, text)
    except OSError as exc:
        err(f"hvnet: error: cannot write {out}: {exc.strerror or exc}")
        return EXIT_ERROR
    err(f"wrote {out} ({len(HVNET_ROLE)} visible cmdlets)")
    return EXIT_OK


def _write_atomically(path: str, text: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".jea-", suffix=".tmp", dir=directory)
    try:
        # A UTF-8 BOM: Windows PowerShell 5.1 reads BOM-less files in the ANSI code page.
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="\r\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
