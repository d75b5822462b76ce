"""Injection safety: hvnet sends only structured invocations — never script text.

- No module of engine/ uses pypsrp's script entry points (``add_script``, ``execute_ps``,
  ``execute_cmd``, ``pypsrp.client.Client``) — an AST scan, so a comment or a string
  naming them does not count, and an alias import does;
- the transport exposes no method that takes script text;
- during a full apply with hostile names (quotes, ``$()``, ``;``, backticks, wildcards),
  the simulator — which refuses script text — saw only cmdlets of hvnet's role table,
  and every value arrived as a parameter value, verbatim.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import pytest
from robustness.harness import hvnet, mutating_calls, state, write_lab

from engine.jea import allowed_parameters

REPO = Path(__file__).resolve().parents[2]
ENGINE = REPO / "engine"
FORBIDDEN_ATTRIBUTES = {"add_script", "execute_ps", "execute_cmd", "run_executable", "run_ps", "run_cmd"}
FORBIDDEN_NAMES = {"Client"}  # pypsrp.client.Client runs script text


def _engine_modules() -> list[Path]:
    # The simulator is the server side: it parses what clients send and may name these to refuse them.
    return sorted(p for p in ENGINE.rglob("*.py") if "sim" not in p.relative_to(ENGINE).parts)


def forbidden_uses(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
            found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pypsrp"):
            for alias in node.names:
                if node.module == "pypsrp.client" or alias.name in FORBIDDEN_NAMES | FORBIDDEN_ATTRIBUTES:
                    found.append(f"line {node.lineno}: from {node.module} import {alias.name}")
        elif isinstance(node, ast.Import):
            found += [f"line {node.lineno}: import {a.name}" for a in node.names if a.name == "pypsrp.client"]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("getattr", "eval"):
            args = [a.value for a in node.args if isinstance(a, ast.Constant)]
            if node.func.id == "eval" or any(a in FORBIDDEN_ATTRIBUTES for a in args):
                found.append(f"line {node.lineno}: {node.func.id}(...)")
    return found


def test_the_scan_finds_what_it_looks_for() -> None:
    bad = "from pypsrp.client import Client\nps.add_script('x')\ngetattr(ps, 'add_script')\nimport pypsrp.client\n"
    assert len(forbidden_uses(bad)) == 4
    assert forbidden_uses("# add_script is never used\ntext = 'execute_ps'\n") == []


@pytest.mark.parametrize("path", _engine_modules(), ids=lambda p: str(p.relative_to(REPO)))
def test_no_engine_module_can_send_script_text(path: Path) -> None:
    assert forbidden_uses(path.read_text(encoding="utf-8")) == []


def test_the_transport_offers_no_way_to_send_script() -> None:
    from engine.transport.psrp import PsrpSession
    from engine.transport.session import HostSession

    for cls in (PsrpSession, HostSession):
        for name, member in inspect.getmembers(cls, callable):
            if name.startswith("_"):
                continue
            params = inspect.signature(member).parameters
            assert not any("script" in p.casefold() for p in params), f"{cls.__name__}.{name}{list(params)}"
            assert "script" not in name.casefold()


HOSTILE_NOTES = "'; Remove-VMSwitch -Name * -Force; '\"$(Stop-Computer)\"`n|&&"
HOSTILE_SWITCH = "x'; Get-Process; '$(1)*?[a]"


def _doc(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "hvnet/v1", "kind": kind, "metadata": {"name": name}, "spec": spec}


@pytest.fixture(scope="module")
def hostile_apply(tmp_path_factory: pytest.TempPathFactory) -> Path:
    fixture = {
        "osBuild": 20348,
        "iovSupport": False,
        "switches": [{"name": "victim", "type": "Private", "notes": "keep"}],
        "vms": [{"name": "vm$(whoami)", "generation": 2, "state": "Off",
                 "adapters": [{"name": "a'b", "switch": None, "macAddress": "00155D010A01"}]}],
    }
    documents = [
        _doc("VMSwitch", HOSTILE_SWITCH, {"type": "Private", "notes": HOSTILE_NOTES}),
        _doc("VMNetworkAdapter", "hostile", {"vm": "vm$(whoami)", "adapterName": "a'b", "switch": HOSTILE_SWITCH,
                                             "vlan": {"mode": "access", "vlanId": 9}}),
        _doc("VMNetworkAdapter", "new", {"vm": "vm$(whoami)", "adapterName": "n;`e", "switch": HOSTILE_SWITCH}),
    ]
    lab = write_lab(tmp_path_factory.mktemp("inject"), fixture, documents)
    result = hvnet("apply", str(lab), "--auto-approve")
    assert result.exit_code == 0, result.output
    return lab


def test_the_host_saw_only_known_cmdlets_and_parameters(hostile_apply: Path) -> None:
    allowed = allowed_parameters()
    for entry in state(hostile_apply)["counters"]["cmdlets"]:
        name = entry["cmdlet"].casefold()
        assert name in allowed, entry["cmdlet"]
        visible = allowed[name]
        if visible is not None:
            assert {p.casefold() for p in entry["parameters"]} <= visible, entry


def test_hostile_values_arrived_verbatim_as_parameter_values(hostile_apply: Path) -> None:
    data = state(hostile_apply)["model"]
    switches = {s["name"]: s for s in data["switches"]}
    assert switches[HOSTILE_SWITCH]["notes"] == HOSTILE_NOTES
    assert switches["victim"]["notes"] == "keep"  # the "Remove-VMSwitch -Name *" in a value did nothing
    names = sorted(a["name"] for a in data["adapters"] if a["vm_id"])
    assert names == ["a'b", "n;`e"]
    created = [e for e in mutating_calls(hostile_apply) if e["cmdlet"] == "New-VMSwitch"]
    assert [e["parameters"]["Name"] for e in created] == [HOSTILE_SWITCH]
