"""Parameter binding, pipelines and error semantics, without any protocol (fake registry)."""

from __future__ import annotations

import uuid

import pytest

from engine.sim.dispatcher import ScriptText, run_invocation
from engine.sim.objects import CommandCall, PSEnum, PSObj

from .fakehost import FIXED_ID, FakeHost


def call(name: str, *params: tuple[str | None, object]) -> CommandCall:
    return CommandCall(name, tuple(params))


def run(
    host: FakeHost,
    *commands: CommandCall,
    statements: list[list[CommandCall]] | None = None,
    pipeline_input: list[object] | None = None,
):  # noqa: ANN201
    return run_invocation(host, statements or [list(commands)], pipeline_input or [])


def only_error(result) -> tuple[str, str, str, str]:  # noqa: ANN001
    record = result.terminating
    assert record is not None, "expected a terminating error"
    return record.fully_qualified_error_id, record.category, record.exception_type, record.message


def test_names_and_aliases_are_case_insensitive_and_prefixes_unique() -> None:
    host = FakeHost()
    result = run(host, call("echo-PARAMS", ("text", "a"), ("n", ["x", "y"]), ("Num", "42"), ("FLAG", None)))
    assert result.terminating is None
    echo = result.output[0].properties
    assert (echo["Text"], echo["Names"], echo["Number"], echo["Flag"]) == ("a", ["x", "y"], 42, True)


def test_ambiguous_prefix_unknown_and_duplicate_parameters() -> None:
    host = FakeHost()
    fqid, category, exc, message = only_error(run(host, call("Echo-Params", ("B", 1))))
    assert fqid == "AmbiguousParameter,Microsoft.HyperV.PowerShell.Commands.EchoParams"
    assert "Possible matches include: -Big -Blob." in message
    fqid, category, exc, message = only_error(run(host, call("Echo-Params", ("Colour", "red"))))
    assert fqid == "NamedParameterNotFound,Microsoft.HyperV.PowerShell.Commands.EchoParams"
    assert (category, exc) == ("InvalidArgument", "System.Management.Automation.ParameterBindingException")
    assert message == "A parameter cannot be found that matches parameter name 'Colour'."
    fqid, *_ = only_error(run(host, call("Echo-Params", ("Text", "a"), ("text", "b"))))
    assert fqid.startswith("ParameterAlreadyBound,")


def test_positionals_fill_by_position_and_extra_ones_fail() -> None:
    host = FakeHost()
    echo = run(host, call("Echo-Params", (None, "hello"), (None, 3))).output[0].properties
    assert (echo["Text"], echo["Number"]) == ("hello", 3)
    fqid, *_, message = only_error(run(host, call("Echo-Params", (None, "a"), (None, 1), (None, "extra"))))
    assert fqid.startswith("PositionalParameterNotFound,") and "'extra'" in message


def test_missing_mandatory_unless_bound_from_the_pipeline() -> None:
    host = FakeHost()
    fqid, *_, message = only_error(run(host, call("Set-Thing", ("Force", None))))
    assert fqid == "MissingMandatoryParameter,Microsoft.HyperV.PowerShell.Commands.SetThing"
    assert message.endswith("missing mandatory parameters: Notes.")


@pytest.mark.parametrize(
    ("param", "value", "fqid_prefix"),
    [
        ("Number", "abc", "CannotConvertArgumentNoMessage,"),
        ("Number", 2**40, "CannotConvertArgumentNoMessage,"),
        ("Enabled", "yes", "ParameterArgumentTransformationError,"),
        ("Guid", "not-a-guid", "CannotConvertArgumentNoMessage,"),
        ("Text", ["a", "b"], "CannotConvertArgumentNoMessage,"),
    ],
)
def test_type_conversion_failures_are_binding_errors(param: str, value: object, fqid_prefix: str) -> None:
    fqid, category, exc, _ = only_error(run(FakeHost(), call("Echo-Params", (param, value))))
    assert fqid.startswith(fqid_prefix)
    assert exc == "System.Management.Automation.ParameterBindingException"


def test_enum_parameters_take_names_case_insensitively() -> None:
    host = FakeHost()
    things = run(
        host, call("Get-Thing"), call("Set-Thing", ("Notes", "n"), ("Kind", "external"), ("Passthru", None))
    )
    assert things.terminating is None and host.cmdlets[-1][1]["Kind"] == "External"
    fqid, *_, message = only_error(run(host, call("Set-Thing", ("Notes", "n"), ("Kind", "Bogus"))))
    assert "Private, Internal, External" in message


def test_unknown_cmdlet_stops_the_invocation_before_anything_runs() -> None:
    host = FakeHost()
    result = run(host, statements=[[call("Get-Thing")], [call("Get-Thing"), call("Frob-Thing")]])
    fqid, category, exc, message = only_error(result)
    assert (fqid, category) == ("CommandNotFoundException", "ObjectNotFound")
    assert message.startswith("The term 'Frob-Thing' is not recognized as the name of a cmdlet")
    assert len(result.output) == 3  # the first statement ran
    assert [c for c, _ in host.cmdlets] == ["Get-Thing"]


def test_script_text_is_refused() -> None:
    host = FakeHost()
    result = run_invocation(host, [[ScriptText("Get-Thing")]])
    fqid, category, _, message = only_error(result)
    assert (fqid, category) == ("ScriptsNotAllowed", "ParserError") and "no-language mode" in message
    assert host.cmdlets == []


def test_pipeline_passes_output_on_and_skips_commands_without_input() -> None:
    host = FakeHost()
    result = run(host, call("Get-Thing", ("Id", str(uuid.UUID(int=99)))), call("Set-Thing", ("Notes", "x")))
    assert result.terminating is None and result.output == []
    assert [c for c, _ in host.cmdlets] == ["Get-Thing"]  # Set-Thing's Process block never ran
    result = run(
        host, call("Get-Thing", ("Id", str(FIXED_ID))), call("Set-Thing", ("Notes", "x"), ("Passthru", None))
    )
    assert [t.get("Notes") for t in result.output] == ["x"]


def test_non_terminating_errors_keep_the_pipeline_going_and_name_the_cmdlet() -> None:
    result = run(FakeHost(), call("Fail-Thing"))
    assert result.terminating is None
    assert result.output == ["still here"]
    assert [e.activity for e in result.errors] == ["Fail-Thing", "Fail-Thing"]


def test_injected_failures_are_non_terminating_and_crashes_terminating() -> None:
    # CONTRACT §4: failCmdlets yields a non-terminating error and the cmdlet does nothing.
    result = run(FakeHost(fail={"get-thing": "injected"}), call("Get-Thing"))
    assert result.terminating is None and result.output == []
    assert [e.message for e in result.errors] == ["injected"]
    fqid, category, *_ = only_error(run(FakeHost(), call("Crash-Thing")))
    assert fqid.startswith("UnexpectedError,") and category == "NotSpecified"


def test_select_object_properties_wildcards_and_first() -> None:
    out = run(
        FakeHost(),
        call("Get-Thing", ("Count", 3)),
        call("Select-Object", ("Property", ["name", "Siz*", "Missing"]), ("First", 2)),
    ).output
    assert [o.properties for o in out] == [
        {"Name": "thing0", "Size": 0, "Missing": None},
        {"Name": "thing1", "Size": 1, "Missing": None},
    ]
    assert out[0].type_names == [
        "Selected.Contoso.Things.Thing",
        "System.Management.Automation.PSCustomObject",
    ]
    assert out[0].to_string == "@{Name=thing0; Size=0; Missing=}"


def test_select_object_expand_property_copies_listed_properties() -> None:
    result = run(
        FakeHost(),
        call("Get-Thing", ("Count", 2)),
        call("Select-Object", ("ExpandProperty", "Setting"), ("Property", ["Name"])),
    )
    assert [(o.get("VlanId"), o.get("Name")) for o in result.output] == [(10, "thing0"), (11, "thing1")]
    listed = run(
        FakeHost(), call("Get-Thing", ("Count", 1)), call("Select-Object", ("ExpandProperty", "Tags"))
    )
    assert listed.output == ["a", "b"]
    missing = run(
        FakeHost(), call("Get-Thing", ("Count", 1)), call("Select-Object", ("ExpandProperty", "Nope"))
    )
    assert missing.errors[0].fully_qualified_error_id.startswith("ExpandPropertyNotFound,")


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("EQ", "THING1", ["thing1"]),
        ("NE", "thing1", ["thing0", "thing2"]),
        ("Like", "thing[02]", ["thing0", "thing2"]),
        ("In", ["THING2", "nope"], ["thing2"]),
    ],
)
def test_where_object_simplified_syntax(operator: str, value: object, expected: list[str]) -> None:
    out = run(
        FakeHost(),
        call("Get-Thing"),
        call("Where-Object", ("Property", "Name"), (operator, None), ("Value", value)),
    ).output
    assert [o.get("Name") for o in out] == expected


def test_where_object_compares_guids_enums_and_numbers_like_powershell() -> None:
    host = FakeHost()
    by_id = run(
        host,
        call("Get-Thing"),
        call("Where-Object", ("Property", "Id"), ("EQ", None), ("Value", str(FIXED_ID).upper())),
    ).output
    assert [o.get("Name") for o in by_id] == ["thing0"]
    by_enum = run(
        host,
        call("Get-Thing"),
        call("Where-Object", ("Property", "Kind"), ("EQ", None), ("Value", "internal")),
    ).output
    assert [o.get("Name") for o in by_enum] == ["thing1"]
    by_number = run(
        host, call("Get-Thing"), call("Where-Object", ("Property", "Size"), ("EQ", None), ("Value", "2"))
    ).output
    assert [o.get("Name") for o in by_number] == ["thing2"]


def test_measure_object_counts_even_nothing() -> None:
    host = FakeHost()
    counted = run(host, call("Get-Thing", ("Count", 4)), call("Measure-Object")).output[0]
    assert isinstance(counted, PSObj) and counted.get("Count") == 4
    none = run(host, call("Get-Thing", ("Id", str(uuid.UUID(int=77)))), call("Measure-Object")).output[0]
    assert none.get("Count") == 0


def test_pipeline_input_binds_to_the_first_command() -> None:
    result = run(
        FakeHost(),
        call("Where-Object", ("Property", "Name"), ("EQ", None), ("Value", "b")),
        pipeline_input=[{"Name": "a"}, {"Name": "b"}],
    )
    assert result.output == [{"Name": "b"}]


def test_enum_values_bind_to_int_parameters() -> None:
    result = run(FakeHost(), call("Echo-Params", ("Number", PSEnum("T", "External", 2))))
    assert result.output[0].get("Number") == 2
