"""``hvnet status PATH...`` — effective state: is the declared SR-IOV fast path really in use?

Per VM adapter with a declared ``iovWeight > 0``: in use or not, and every reason the
host's state gives when not; per NIC the VFs in use of NumVFs; per switch IovSupport
and its reasons. stdout carries the report (text or JSON); exit 0 all effective, 3
findings, 1 a host could not be read.
"""

from __future__ import annotations

import json
from typing import Any

import click

from engine import manifest
from engine.cli.common import EXIT_ERROR, EXIT_OK, CommonOptions, common_options, plural
from engine.drift import run_status
from engine.fleet import DEFAULT_HOST_TIMEOUT_S
from engine.health import HostHealth

__all__ = ["EXIT_FINDINGS", "render_status_text", "status_command", "status_document", "status_exit_code"]

EXIT_FINDINGS = 3


def status_document(healths: list[HostHealth]) -> dict[str, Any]:
    hosts = [{"name": h.host, **h.to_json()} for h in healths]
    return {
        "format_version": "1",
        "hosts": hosts,
        "summary": {
            "hosts": len(hosts),
            "effective": sum(1 for h in healths if h.effective),
            "findings": sum(len(h.findings) for h in healths),
            "unavailable": sum(1 for h in healths if not h.available),
        },
    }


def status_exit_code(healths: list[HostHealth]) -> int:
    if any(not h.available for h in healths):
        return EXIT_ERROR
    return EXIT_FINDINGS if any(h.findings for h in healths) else EXIT_OK


def render_status_text(healths: list[HostHealth]) -> str:
    lines: list[str] = []
    for health in healths:
        if not health.available:
            lines.append(f"{health.host}: could not be read: {health.error}")
            continue
        findings = health.findings
        lines.append(f"{health.host}: {'all effective' if not findings else plural(len(findings), 'finding')}")
        for adapter in health.adapters:
            label = f"{adapter.address} ({adapter.vm}/{adapter.adapter}, iovWeight {adapter.declared_iov_weight})"
            if adapter.effective:
                lines.append(f"  ✓ {label}: SR-IOV fast path in use (IovUsage {adapter.iov_usage}, data path active)")
                continue
            lines.append(f"  ✗ {label}: SR-IOV fast path NOT in use")
            lines += [f"      - {reason.message} [{reason.code}]" for reason in adapter.reasons]
        for finding in health.switch_findings:
            lines.append(f"  ✗ {finding.address}: {finding.message}")
        for nic in health.nics:
            state = "enabled" if nic["sriov_enabled"] else "disabled"
            lines.append(f"  NIC {nic['name']}: SR-IOV {nic['sriov_support'] or 'n/a'}, {state}, "
                         f"VFs in use {nic['vfs_in_use']} of {nic['num_vfs']} (max {nic['max_vfs']})")
        for switch in health.switches:
            text = (f"  switch {switch['name']}: IOV {'enabled' if switch['iov_enabled'] else 'disabled'}, "
                    f"IovSupport {str(switch['iov_support']).lower()}")
            if switch["iov_enabled"]:
                text += f", VFs in use {switch['vfs_in_use']} of {switch['vfs']}"
            if switch["iov_support_reasons"]:
                text += f" ({'; '.join(switch['iov_support_reasons'])})"
            lines.append(text)
    return "\n".join(lines) + "\n"


@click.command("status")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--host", "hosts", multiple=True, metavar="HOST", help="Only this host (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="How the effective state is printed on stdout.")
@click.option("--host-timeout", type=click.FloatRange(min=0.1), default=DEFAULT_HOST_TIMEOUT_S,
              show_default=True, metavar="SECONDS", help="Give up on a host after this long.")
@common_options
def status_command(
    paths: tuple[str, ...], hosts: tuple[str, ...], fmt: str, host_timeout: float, common: CommonOptions
) -> int:
    """Show whether the declared SR-IOV fast paths are really in use, and why not.

    Exit 0 when everything declared is effective; 3 findings; 1 a host could not be read.
    """
    project = manifest.load_project(list(paths))
    healths = run_status(project, hosts, parallelism=common.parallelism, host_timeout_s=host_timeout)
    if fmt == "json":
        click.echo(json.dumps(status_document(healths), indent=2, ensure_ascii=False))
    else:
        click.echo(render_status_text(healths), nl=False)
    return status_exit_code(healths)
