"""Least privilege: the JEA role capability hvnet's service account needs, and nothing more.

``HVNET_ROLE`` is the single source of truth: every cmdlet hvnet runs on a host (the
collector's statements, the statement separator, every step builder, the host lock)
with exactly the parameters it passes — including the parameter that piped input binds
to, because a JEA proxy command only binds visible parameters. Tests check this table
against the collector, the lock, and the steps the planner emits.

``render_role_capability`` writes it as a role capability file (``.psrc``, PowerShell
data-file syntax) for ``New-PSSessionConfigurationFile -RoleDefinitions``;
``parse_role_capability`` reads such a file back (the subset of data-file syntax it
uses), so the simulator can enforce a role the way a JEA endpoint does
(``restrict_registry``): an invisible cmdlet is CommandNotFoundException, an
invisible parameter ParameterBindingException, a value outside ValidatePattern /
ValidateSet ParameterBindingValidationException.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from engine.apply.lock import LOCK_PATH, RUN_ID_PATTERN

if TYPE_CHECKING:  # the simulator is imported only where a role is enforced
    from engine.sim.registry import Registry

__all__ = [
    "HVNET_ROLE",
    "LOCK_PATH_PATTERN",
    "ParamRule",
    "RoleError",
    "VisibleCmdlet",
    "allowed_parameters",
    "load_role_capability",
    "parse_role_capability",
    "render_role_capability",
    "restrict_registry",
]

# The lock file is the only file hvnet touches; anchored, with the backslashes escaped.
LOCK_PATH_PATTERN = "^" + re.escape(LOCK_PATH) + "$"
# A stable identity for the generated file (uuid5 of a fixed name): the same role, byte for byte.
_ROLE_GUID = uuid.uuid5(uuid.NAMESPACE_URL, "https://hvnet.invalid/jea/hvnet-operator")


class RoleError(ValueError):
    """A role capability file this module cannot read."""


@dataclass(frozen=True)
class ParamRule:
    """One visible parameter; at most one of ``validate_pattern`` / ``validate_set`` (JEA allows one)."""

    name: str
    validate_pattern: str | None = None
    validate_set: tuple[str, ...] = ()


@dataclass(frozen=True)
class VisibleCmdlet:
    """A visible cmdlet. ``parameters`` None: every parameter (only for reads hvnet runs bare)."""

    name: str
    parameters: tuple[ParamRule, ...] | None = None

    def rule(self, parameter: str) -> ParamRule | None:
        key = parameter.casefold()
        return next((p for p in self.parameters or () if p.name.casefold() == key), None)


def _visible(name: str, *params: str | ParamRule) -> VisibleCmdlet:
    """A table entry. A read-only cmdlet hvnet runs bare is visible whole (JEA has no
    "no parameters" entry); every other entry names each parameter it may bind."""
    if not params:
        return VisibleCmdlet(name, None)
    return VisibleCmdlet(name, tuple(p if isinstance(p, ParamRule) else ParamRule(p) for p in params))


_LOCK_PATH = ParamRule("LiteralPath", validate_pattern=LOCK_PATH_PATTERN)
_ADAPTER_IN = "VMNetworkAdapter"  # what Get-VMNetworkAdapter | Where-Object pipes into the next cmdlet
_SWITCH_IN = "VMSwitch"

HVNET_ROLE: tuple[VisibleCmdlet, ...] = (
    # --- reading (engine.observe.collect) and object lookups (engine.apply.steps) --------
    _visible("Get-VMHost"),
    _visible("Get-CimInstance", ParamRule("ClassName", validate_set=("Win32_OperatingSystem",))),  # the OS build
    _visible("Get-NetAdapter", "Physical"),
    _visible("Get-NetAdapterHardwareInfo"),
    _visible("Get-NetAdapterSriov", "Name"),
    _visible("Get-NetAdapterSriovVf"),
    _visible("Get-NetIPAddress"),
    _visible("Get-VMSwitch", "Id"),
    _visible("Get-VMSwitchTeam"),
    _visible("Get-VM", "Id"),
    _visible("Get-VMNetworkAdapter", "All", "ManagementOS", "VMName"),
    _visible("Get-NetVirtualizationProviderAddress", "ProviderAddress"),
    _visible("Get-NetVirtualizationLookupRecord", "CustomerAddress", "VirtualSubnetID"),
    _visible("Get-NetVirtualizationCustomerRoute", "RoutingDomainID", "VirtualSubnetID", "DestinationPrefix"),
    _visible("Select-Object", "InputObject", "Property", "ExpandProperty"),
    _visible("Where-Object", "InputObject", "Property", "EQ", "NE", "Value"),
    _visible("Measure-Object", "InputObject"),  # the transport's statement separator
    # --- switches --------------------------------------------------------------------------
    _visible("New-VMSwitch", "Name", "NetAdapterName", "SwitchType", "EnableEmbeddedTeaming", "EnableIov",
             "AllowManagementOS", "MinimumBandwidthMode", "EnablePacketDirect", "Notes"),
    _visible("Set-VMSwitch", _SWITCH_IN, "Notes", "DefaultFlowMinimumBandwidthWeight", "NetAdapterName",
             "SwitchType", "AllowManagementOS"),
    _visible("Remove-VMSwitch", _SWITCH_IN, "Force"),
    _visible("Set-VMSwitchTeam", _SWITCH_IN, "LoadBalancingAlgorithm"),
    _visible("Add-VMSwitchTeamMember", _SWITCH_IN, "NetAdapterName"),
    _visible("Remove-VMSwitchTeamMember", _SWITCH_IN, "NetAdapterName"),
    # --- VM adapters and host vNICs ------------------------------------------------------------
    _visible("Add-VMNetworkAdapter", "VM", "ManagementOS", "Name", "SwitchName", "StaticMacAddress", "Passthru"),
    _visible("Remove-VMNetworkAdapter", _ADAPTER_IN),
    _visible("Connect-VMNetworkAdapter", _ADAPTER_IN, "SwitchName", "Passthru"),
    _visible("Disconnect-VMNetworkAdapter", _ADAPTER_IN, "Passthru"),
    _visible("Set-VMNetworkAdapter", _ADAPTER_IN, "IovWeight", "IovQueuePairsRequested", "MinimumBandwidthWeight",
             "MaximumBandwidth", "VirtualSubnetId", "MacAddressSpoofing", "DhcpGuard", "RouterGuard",
             "DynamicMacAddress", "StaticMacAddress", "Passthru"),
    _visible("Set-VMNetworkAdapterVlan", _ADAPTER_IN, "Access", "VlanId", "Trunk", "NativeVlanId",
             "AllowedVlanIdList", "Untagged"),
    # --- SR-IOV on physical NICs -------------------------------------------------------------------
    _visible("Enable-NetAdapterSriov", "Name"),
    _visible("Disable-NetAdapterSriov", "Name"),
    _visible("Set-NetAdapterSriov", "InputObject", "Enabled", "NumVFs", "NoRestart"),
    # --- HNV v1 (NVGRE) --------------------------------------------------------------------------------
    _visible("New-NetVirtualizationProviderAddress", "InterfaceIndex", "ProviderAddress", "PrefixLength", "VlanID"),
    _visible("New-NetVirtualizationLookupRecord", "CustomerAddress", "ProviderAddress", "VirtualSubnetID",
             "MACAddress", "Rule", "VMName"),
    _visible("New-NetVirtualizationCustomerRoute", "RoutingDomainID", "VirtualSubnetID", "DestinationPrefix",
             "NextHop", "Metric"),
    _visible("Remove-NetVirtualizationProviderAddress", "InputObject"),
    _visible("Remove-NetVirtualizationLookupRecord", "InputObject"),
    _visible("Remove-NetVirtualizationCustomerRoute", "InputObject"),
    # --- the host lock (engine.apply.lock): one file, nowhere else ---------------------------------------
    _visible("New-Item", _LOCK_PATH, ParamRule("ItemType", validate_pattern="^File$"), "Value"),
    _visible("Get-Content", _LOCK_PATH, "Raw"),
    _visible("Get-Item", _LOCK_PATH),
    # release: Select-String … -Pattern <run id> -List | Remove-Item; the MatchInfo's Path binds -Path
    _visible("Select-String", _LOCK_PATH, ParamRule("Pattern", validate_pattern=RUN_ID_PATTERN), "SimpleMatch", "List"),
    _visible("Remove-Item", _LOCK_PATH, ParamRule("Path", validate_pattern=LOCK_PATH_PATTERN)),
    _visible("Test-Path", _LOCK_PATH),
)


def allowed_parameters(role: Iterable[VisibleCmdlet] = HVNET_ROLE) -> dict[str, frozenset[str] | None]:
    """Cmdlet name (casefolded) → parameter names (casefolded), or None for "any parameter"."""
    out: dict[str, frozenset[str] | None] = {}
    for cmdlet in role:
        params = cmdlet.parameters
        out[cmdlet.name.casefold()] = None if params is None else frozenset(p.name.casefold() for p in params)
    return out


# --- rendering (.psrc) ------------------------------------------------------------------------------


def _quote(text: str) -> str:
    """A PowerShell single-quoted string: nothing inside is expanded; ' is doubled."""
    return "'" + text.replace("'", "''") + "'"


def _render_param(rule: ParamRule) -> str:
    parts = [f"Name = {_quote(rule.name)}"]
    if rule.validate_pattern is not None:
        parts.append(f"ValidatePattern = {_quote(rule.validate_pattern)}")
    if rule.validate_set:
        parts.append("ValidateSet = " + ", ".join(_quote(v) for v in rule.validate_set))
    return "@{ " + "; ".join(parts) + " }"


def _render_cmdlet(cmdlet: VisibleCmdlet) -> list[str]:
    if not cmdlet.parameters:
        return [f"        {_quote(cmdlet.name)}"]
    lines = [f"        @{{ Name = {_quote(cmdlet.name)}; Parameters ="]
    rendered = [_render_param(p) for p in cmdlet.parameters]
    for index, text in enumerate(rendered):
        lines.append(f"            {text}{',' if index < len(rendered) - 1 else ''}")
    lines.append("        }")
    return lines


def render_role_capability(role: Iterable[VisibleCmdlet] = HVNET_ROLE) -> str:
    """The role as a ``.psrc`` file (deterministic: same table, same bytes)."""
    cmdlets = list(role)
    lines = [
        "# hvnet JEA role capability — generated by `hvnet jea-role`; do not edit by hand.",
        "# Exactly the cmdlets and parameters hvnet runs; the lock file is the only path it may touch.",
        "@{",
        f"    GUID = {_quote(str(_ROLE_GUID))}",
        "    Author = 'hvnet'",
        "    Description = 'Lets the hvnet service account read and converge Hyper-V host networking, nothing else.'",
        "    VisibleCmdlets = @(",
    ]
    for index, cmdlet in enumerate(cmdlets):
        block = _render_cmdlet(cmdlet)
        if index < len(cmdlets) - 1:
            block[-1] += ","
        lines.extend(block)
    lines += ["    )", "}", ""]
    return "\n".join(lines)


# --- parsing (.psrc → role) --------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<space>[ \t\r\n]+|\#[^\n]*|<\#.*?\#>)
  | (?P<open>@\{|@\()
  | (?P<close>[})])
  | (?P<sep>[;,=])
  | (?P<squote>'(?:[^']|'')*')
  | (?P<dquote>"(?:[^"`]|`.)*")
  | (?P<bool>\$true|\$false)
  | (?P<word>[A-Za-z0-9_.\-]+)
    """,
    re.VERBOSE | re.DOTALL | re.IGNORECASE,
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            line = text.count("\n", 0, pos) + 1
            raise RoleError(f"line {line}: unexpected {text[pos:pos + 20]!r}")
        kind = match.lastgroup or ""
        if kind != "space":
            out.append((kind, match.group()))
        pos = match.end()
    return out


class _Parser:
    """Recursive descent over hashtables ``@{k = v; ...}``, arrays ``@(a, b)`` and comma lists."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text.lstrip("\ufeff"))
        self.pos = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("end", "")

    def take(self, kind: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token[0] == "end" or (kind is not None and token[0] != kind):
            raise RoleError(f"expected {kind or 'a value'}, found {token[1] or 'end of file'!r}")
        self.pos += 1
        return token

    def value(self) -> Any:
        first = self.single()
        if self.peek() != ("sep", ","):
            return first
        items = [first]
        while self.peek() == ("sep", ","):
            self.take()
            items.append(self.single())
        return items

    def single(self) -> Any:
        kind, text = self.take()
        if kind == "open" and text == "@{":
            return self.hashtable()
        if kind == "open":
            return self.array()
        if kind == "squote":
            return text[1:-1].replace("''", "'")
        if kind == "dquote":
            return re.sub(r"`(.)", r"\1", text[1:-1])
        if kind == "bool":
            return text.casefold() == "$true"
        if kind == "word":
            return text
        raise RoleError(f"unexpected {text!r}")

    def hashtable(self) -> dict[str, Any]:
        table: dict[str, Any] = {}
        while self.peek() != ("close", "}"):
            if self.peek() == ("sep", ";"):
                self.take()
                continue
            _kind, key = self.take()
            key = key.strip("'\"")
            self.take("sep")  # =
            table[key.casefold()] = self.value()
        self.take("close")
        return table

    def array(self) -> list[Any]:
        items: list[Any] = []
        while self.peek() != ("close", ")"):
            if self.peek()[0] == "sep":
                self.take()
                continue
            value = self.value()
            items.extend(value if isinstance(value, list) else [value])
        self.take("close")
        return items


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _param_rule(entry: Any) -> ParamRule:
    if not isinstance(entry, dict) or "name" not in entry:
        raise RoleError(f"a parameter entry needs Name (got {entry!r})")
    validate_set = tuple(str(v) for v in _as_list(entry["validateset"])) if "validateset" in entry else ()
    pattern = entry.get("validatepattern")
    return ParamRule(str(entry["name"]), str(pattern) if pattern is not None else None, validate_set)


def _visible_cmdlet(entry: Any) -> VisibleCmdlet:
    if isinstance(entry, str):
        return VisibleCmdlet(entry, None)
    if not isinstance(entry, dict) or "name" not in entry:
        raise RoleError(f"a VisibleCmdlets entry needs Name (got {entry!r})")
    if "parameters" not in entry:
        return VisibleCmdlet(str(entry["name"]), None)
    return VisibleCmdlet(str(entry["name"]), tuple(_param_rule(p) for p in _as_list(entry["parameters"])))


def parse_role_capability(text: str) -> tuple[VisibleCmdlet, ...]:
    """The ``VisibleCmdlets`` of a role capability file (other keys are ignored)."""
    parser = _Parser(text)
    data = parser.single()
    if not isinstance(data, dict):
        raise RoleError("a role capability file is one hashtable @{ ... }")
    if parser.peek()[0] != "end":
        raise RoleError(f"unexpected {parser.peek()[1]!r} after the hashtable")
    return tuple(_visible_cmdlet(e) for e in _as_list(data.get("visiblecmdlets", [])))


def load_role_capability(path: str) -> tuple[VisibleCmdlet, ...]:
    with open(path, encoding="utf-8-sig") as handle:
        return parse_role_capability(handle.read())


# --- enforcement in the simulator --------------------------------------------------------------------


def restrict_registry(registry: Registry, role: Iterable[VisibleCmdlet]) -> Registry:
    """A registry that shows only the role's cmdlets and parameters, as a JEA endpoint does."""
    from engine.sim.registry import Registry

    restricted = Registry()
    for visible in role:
        spec = registry.get(visible.name)
        if spec is None:
            continue  # a cmdlet the simulated host lacks stays unknown
        if visible.parameters is None:
            restricted.register(spec)
            continue
        keep = tuple(p for p in spec.params if visible.rule(p.name) is not None)
        restricted.register(replace(spec, params=keep, handler=_validating(spec.name, spec.handler, visible)))
    return restricted


def _validating(cmdlet: str, handler: Any, visible: VisibleCmdlet) -> Any:
    def run(ctx: Any, params: dict[str, Any], pipeline_input: list[Any]) -> Any:
        for name, value in params.items():
            rule = visible.rule(name)
            if rule is not None:
                _check_value(cmdlet, rule, value)
        return handler(ctx, params, pipeline_input)

    return run


def _check_value(cmdlet: str, rule: ParamRule, value: Any) -> None:
    from engine.sim.objects import CmdletError, ErrorRecord

    values = value if isinstance(value, list | tuple) else [value]
    for item in values:
        text = str(item)
        if rule.validate_pattern is not None and not re.search(rule.validate_pattern, text, re.IGNORECASE):
            message = (
                f"Cannot validate argument on parameter '{rule.name}'. The argument \"{text}\" does not match "
                f"the \"{rule.validate_pattern}\" pattern. Supply an argument that matches "
                f"\"{rule.validate_pattern}\" and try the command again."
            )
        elif rule.validate_set and text.casefold() not in {v.casefold() for v in rule.validate_set}:
            message = (
                f"Cannot validate argument on parameter '{rule.name}'. The argument \"{text}\" does not belong "
                f"to the set \"{','.join(rule.validate_set)}\" specified by the ValidateSet attribute."
            )
        else:
            continue
        raise CmdletError(
            ErrorRecord(
                message=message,
                fully_qualified_error_id=f"ParameterArgumentValidationError,{cmdlet}",
                category="InvalidData",
                target_name=rule.name,
                exception_type="System.Management.Automation.ParameterBindingValidationException",
                activity=cmdlet,
            )
        )
