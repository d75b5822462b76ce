"""PowerShell's parameter binder, for the parts structured remoting calls reach.

Names and aliases match case-insensitively, a unique prefix is accepted (as
PowerShell does), positional arguments fill parameters by position, switches
arriving as ``None`` (psrpcore) are ``True``, and values convert to the declared
kind or fail with the ParameterBindingException a real host gives.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from engine.sim.objects import CmdletError, CommandCall, ErrorRecord, PSEnum, PSObj
from engine.sim.registry import CmdletSpec, ParamSpec

BINDING_EXCEPTION = "System.Management.Automation.ParameterBindingException"
_INT_RANGES = {
    "int": (-(2**31), 2**31 - 1, "System.Int32"),
    "int64": (-(2**63), 2**63 - 1, "System.Int64"),
    "uint32": (0, 2**32 - 1, "System.UInt32"),
}


def cmdlet_type_name(spec: CmdletSpec) -> str:
    """The .NET type PowerShell names in a FullyQualifiedErrorId for this cmdlet."""
    verb_noun = spec.name.replace("-", "")
    if spec.module == "Hyper-V":
        return f"Microsoft.HyperV.PowerShell.Commands.{verb_noun}"
    if spec.module.startswith("Microsoft.PowerShell."):
        return f"Microsoft.PowerShell.Commands.{verb_noun}Command"
    # CDXML modules (NetAdapter, NetWNV, NetTCPIP) are functions: the id names the command.
    return spec.name


def binding_error(spec: CmdletSpec, error_id: str, message: str, target: str = "") -> CmdletError:
    return CmdletError(
        ErrorRecord(
            message=message,
            fully_qualified_error_id=f"{error_id},{cmdlet_type_name(spec)}",
            category="InvalidArgument",
            target_name=target,
            exception_type=BINDING_EXCEPTION,
            activity=spec.name,
        )
    )


def _resolve_name(spec: CmdletSpec, name: str) -> ParamSpec:
    exact = spec.param(name)
    if exact is not None:
        return exact
    key = name.casefold()
    matches = [p for p in spec.params if p.name.casefold().startswith(key)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        names = " ".join(f"-{p.name}" for p in matches)
        raise binding_error(
            spec,
            "AmbiguousParameter",
            f"Parameter cannot be processed because the parameter name '{name}' is ambiguous. "
            f"Possible matches include: {names}.",
            name,
        )
    raise binding_error(
        spec,
        "NamedParameterNotFound",
        f"A parameter cannot be found that matches parameter name '{name}'.",
        name,
    )


def bind(spec: CmdletSpec, call: CommandCall, has_pipeline_input: bool) -> dict[str, Any]:
    """The parameters of ``call`` keyed by canonical parameter name, converted to their kinds."""
    bound: dict[str, Any] = {}
    positionals: list[Any] = []
    for raw_name, raw_value in call.parameters:
        if raw_name is None:
            positionals.append(raw_value)
            continue
        param = _resolve_name(spec, raw_name.lstrip("-"))
        if param.name in bound:
            raise binding_error(
                spec,
                "ParameterAlreadyBound",
                f"Cannot bind parameter because parameter '{param.name}' is specified more than once. "
                "To provide multiple values to parameters that can accept multiple values, use the array "
                'syntax. For example, "-parameter value1,value2,value3".',
                param.name,
            )
        bound[param.name] = convert(spec, param, raw_value)
    _bind_positionals(spec, bound, positionals)
    missing = [
        p.name
        for p in spec.params
        if p.mandatory and p.name not in bound and not (p.from_pipeline and has_pipeline_input)
    ]
    if missing:
        raise binding_error(
            spec,
            "MissingMandatoryParameter",
            f"Cannot process command because of one or more missing mandatory parameters: {' '.join(missing)}.",
        )
    return bound


def binds_piped_by_name(spec: CmdletSpec) -> bool:
    """Does ``spec`` take piped objects by property name (bound per object, before the handler)?"""
    return any(p.from_pipeline_by_name for p in spec.params)


def bind_piped(spec: CmdletSpec, bound: dict[str, Any], piped: Any) -> dict[str, Any]:
    """``bound`` plus what one piped object binds to, as PowerShell's binder does per record.

    A string binds ByValue to a ValueFromPipeline string parameter; an object binds its
    properties ByPropertyName (name or alias, case-insensitive) to parameters not bound by
    name. Nothing bindable: the non-terminating InputObjectNotBound error PowerShell writes
    for that record (a JEA endpoint that hides the parameter gives exactly this).
    """
    free = [p for p in spec.params if p.name not in bound]
    if isinstance(piped, str):
        for param in free:
            if param.from_pipeline and param.kind in ("string", "string[]"):
                return {**bound, param.name: convert(spec, param, piped)}
    elif isinstance(piped, PSObj):
        extra: dict[str, Any] = {}
        for param in free:
            if not param.from_pipeline_by_name:
                continue
            for name in (param.name, *param.aliases):
                value = piped.get(name)
                if value is not None:
                    extra[param.name] = convert(spec, param, value)
                    break
        if extra:
            return {**bound, **extra}
    raise binding_error(
        spec,
        "InputObjectNotBound",
        "The input object cannot be bound to any parameters for the command either because the command does "
        "not take pipeline input or the input and its properties do not match any of the parameters that take "
        "pipeline input.",
        _display(piped),
    )


def _bind_positionals(spec: CmdletSpec, bound: dict[str, Any], positionals: Sequence[Any]) -> None:
    free = sorted(
        (p for p in spec.params if p.position is not None and p.name not in bound),
        key=lambda p: p.position or 0,
    )
    for index, value in enumerate(positionals):
        if index >= len(free):
            raise binding_error(
                spec,
                "PositionalParameterNotFound",
                f"A positional parameter cannot be found that accepts argument '{_display(value)}'.",
                _display(value),
            )
        bound[free[index].name] = convert(spec, free[index], value)


def _display(value: Any) -> str:
    if isinstance(value, PSObj):
        return value.to_string
    if isinstance(value, list | tuple):
        return "System.Object[]"
    return str(value)


def _conversion_error(
    spec: CmdletSpec, param: ParamSpec, value: Any, target: str, detail: str
) -> CmdletError:
    return binding_error(
        spec,
        "CannotConvertArgumentNoMessage",
        f"Cannot bind parameter '{param.name}'. Cannot convert value \"{_display(value)}\" to type "
        f'"{target}". Error: "{detail}"',
        param.name,
    )


def convert(spec: CmdletSpec, param: ParamSpec, value: Any) -> Any:
    """Convert one argument to ``param.kind`` as PowerShell's binder would (or fail as it would)."""
    kind = param.kind
    if kind == "switch":
        if value is None:  # psrpcore's encoding of a bare switch
            return True
        if isinstance(value, bool | int):
            return bool(value)
        raise _conversion_error(
            spec, param, value, "System.Management.Automation.SwitchParameter", "Invalid cast."
        )
    if kind in ("object", "object[]"):
        if kind == "object[]" and not isinstance(value, list | tuple):
            return [value]
        return list(value) if isinstance(value, tuple) else value
    if kind.endswith("[]"):
        element = ParamSpec(param.name, kind[:-2])
        items = value if isinstance(value, list | tuple) else [value]
        return [convert(spec, element, item) for item in items]
    if isinstance(value, list | tuple):
        if len(value) == 1:
            return convert(spec, param, value[0])
        raise _conversion_error(spec, param, value, _target_type(kind), "Specified method is not supported.")
    if kind == "string":
        return _to_string(value)
    if kind in _INT_RANGES:
        return _to_int(spec, param, value)
    if kind == "bool":
        if isinstance(value, bool | int) and not isinstance(value, PSEnum):
            return bool(value)
        raise binding_error(
            spec,
            "ParameterArgumentTransformationError",
            f"Cannot process argument transformation on parameter '{param.name}'. Cannot convert value "
            f'"{_display(value)}" to type "System.Boolean". Boolean parameters accept only Boolean values '
            "and numbers, such as $True, $False, 1 or 0.",
            param.name,
        )
    if kind == "guid":
        if isinstance(value, uuid.UUID):
            return uuid.UUID(str(value))
        try:
            return uuid.UUID(str(value).strip("{}"))
        except ValueError:
            raise _conversion_error(
                spec,
                param,
                value,
                "System.Guid",
                "Guid should contain 32 digits with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).",
            ) from None
    if kind.startswith("enum:"):
        return _to_enum(spec, param, value, kind[5:].split("|"))
    return value


def _target_type(kind: str) -> str:
    if kind in _INT_RANGES:
        return _INT_RANGES[kind][2]
    return {"string": "System.String", "bool": "System.Boolean", "guid": "System.Guid"}.get(
        kind, "System.Object"
    )


def _to_string(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, PSObj):
        return value.to_string
    return str(value)


def _to_int(spec: CmdletSpec, param: ParamSpec, value: Any) -> int:
    low, high, type_name = _INT_RANGES[param.kind]
    number: int | None = None
    if isinstance(value, bool):
        number = int(value)
    elif isinstance(value, PSEnum):
        number = value.value
    elif isinstance(value, int) or isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            number = None
    if number is None:
        raise _conversion_error(spec, param, value, type_name, "Input string was not in a correct format.")
    if not low <= number <= high:
        raise _conversion_error(
            spec,
            param,
            value,
            type_name,
            f"Value was either too large or too small for {type_name.split('.')[-1]}.",
        )
    return number


def _to_enum(spec: CmdletSpec, param: ParamSpec, value: Any, names: list[str]) -> str:
    if isinstance(value, PSEnum):
        value = value.name
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(names):
        return names[value]
    text = str(value).strip()
    for name in names:
        if name.casefold() == text.casefold():
            return name
    raise binding_error(
        spec,
        "CannotConvertArgumentNoMessage",
        f"Cannot bind parameter '{param.name}'. Cannot convert value \"{text}\" to type "
        f'"{param.name}". Error: "Unable to match the identifier name {text} to a valid enumerator name. '
        f'Specify one of the following enumerator names and try again:\n{", ".join(names)}"',
        param.name,
    )
