"""``FastSerializer`` reads every CLIXML element exactly as pypsrp's ``Serializer`` does."""

from __future__ import annotations

import uuid
from typing import Any
from xml.etree import ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st
from pypsrp.complex_objects import GenericComplexObject
from pypsrp.powershell import RunspacePool
from pypsrp.serializer import Serializer

from engine.transport.fast_serializer import FastSerializer, install

LAZY = {"_element", "_xml_text"}


def shape(value: Any) -> Any:
    """A comparable picture of a deserialized value, all attributes of complex objects included."""
    if isinstance(value, list | tuple):
        return [shape(v) for v in value]
    if isinstance(value, dict):
        return {shape(k): shape(v) for k, v in value.items()}
    if isinstance(value, GenericComplexObject):
        attributes = {k: shape(v) for k, v in vars(value).items() if k not in LAZY}
        attributes["_xml"] = value._xml  # noqa: SLF001 - made on demand by the fast path
        return ("GenericComplexObject", attributes)
    if hasattr(value, "__dict__") and not isinstance(value, uuid.UUID):
        return (type(value).__name__, {k: shape(v) for k, v in vars(value).items()})
    return (type(value).__name__, value)


def both(clixml: str) -> tuple[Any, Any]:
    return shape(Serializer().deserialize(clixml)), shape(FastSerializer().deserialize(clixml))


ADAPTER = """<Obj RefId="0"><TN RefId="0"><T>Microsoft.HyperV.PowerShell.VMNetworkAdapter</T>
<T>Microsoft.HyperV.PowerShell.VirtualizationObject</T><T>System.Object</T></TN>
<ToString>VMNetworkAdapter (Name = 'nic0', VMName = 'vm1')</ToString><Props>
<S N="Name">nic0</S><S N="VMName">vm_x0020__x000A_1</S><G N="Id">6f1b7f4e-5d0c-4d55-9a43-3a1d1e8c9f10</G>
<B N="Connected">true</B><B N="DhcpGuard">False</B><U32 N="IovWeight">100</U32><I64 N="Big">9223372036854775807</I64>
<U64 N="Max">18446744073709551615</U64><I32 N="Neg">-3</I32><By N="Byte">7</By><SB N="SByte">-7</SB>
<U16 N="U16">65535</U16><I16 N="I16">-1</I16><C N="Char">65</C><Db N="Double">1.5</Db><Sg N="Single">2.25</Sg>
<D N="Dec">10.5</D><DT N="When">2026-11-28T10:00:00Z</DT><TS N="Span">PT1M</TS><Version N="Ver">10.0.20348</Version>
<URI N="Uri">http://x/</URI><BA N="Bytes">AAEC</BA><Nil N="Nothing" /><S N="Empty" /><XD N="Xml">&lt;a/&gt;</XD>
<SBK N="Sb">Get-Item</SBK>
<Obj N="State" RefId="1"><TN RefId="1"><T>Microsoft.HyperV.PowerShell.VMState</T><T>System.Enum</T>
<T>System.ValueType</T><T>System.Object</T></TN><ToString>Running</ToString><I32>2</I32></Obj>
<Obj N="Vlans" RefId="2"><TN RefId="2"><T>System.Int32[]</T><T>System.Array</T><T>System.Object</T></TN>
<LST><I32>10</I32><I32>20</I32></LST></Obj>
<Obj N="Other" RefId="3"><TNRef RefId="1" /><ToString>Off</ToString><I32>3</I32></Obj>
<Obj N="States" RefId="4"><TN RefId="3"><T>Microsoft.HyperV.PowerShell.OnOffState[]</T><T>System.Array</T>
<T>System.Object</T></TN><LST><S>x</S><Obj RefId="5"><TNRef RefId="1" /><ToString>On</ToString><I32>1</I32></Obj>
<Obj RefId="6"><ToString>bare</ToString></Obj></LST></Obj>
<Obj N="Names" RefId="7"><TN RefId="4"><T>System.String[]</T><T>System.Array</T><T>System.Object</T></TN>
<LST><S>a</S><S>b_x0009_</S></LST></Obj><Ref N="SameStates" RefId="4" />
</Props><MS><S N="Note">extended</S><Ref N="Again" RefId="1" /></MS></Obj>"""


def test_a_rich_object_reads_the_same() -> None:
    slow, fast = both(ADAPTER)
    assert fast == slow
    assert slow[1]["adapted_properties"][("str", "VMName")] == ("str", "vm \n1")


def test_the_same_object_given_as_an_element_reads_the_same() -> None:
    assert shape(FastSerializer().deserialize(ET.fromstring(ADAPTER))) == shape(
        Serializer().deserialize(ET.fromstring(ADAPTER))
    )


TYPE_NAMES = ["System.Object", "Deserialized.System.Object", "System.Enum", "System.ValueType", "System.String",
              "System.Int32[]", "System.Collections.Hashtable", "System.Management.Automation.ErrorRecord",
              "Deserialized.System.Management.Automation.PSCustomObject", "Microsoft.HyperV.PowerShell.VMSwitch",
              "Deserialized.Microsoft.HyperV.PowerShell.VMSwitch", "Selected.Microsoft.PowerShell.Commands.GenericMeasureInfo",
              "Microsoft.PowerShell.Commands.GenericMeasureInfo", "System.Management.Automation.PSObject", "Foo[]",
              "Selected.Microsoft.HyperV.PowerShell.VMNetworkAdapter", "System.Management.Automation.PSCustomObject",
              "System.Object[]", "System.String[]", "System.Array", "System.Collections.Generic.List`1[[System.String, x]]",
              "Deserialized.System.Collections.Hashtable", "System.Management.Automation.PSPrimitiveDictionary",
              "System.Int32[]", "System.Guid[]", "Deserialized.System.Object[]", "System.Management.Automation.PSObject[]",
              "System.Collections.ArrayList", "System.Boolean[]"]  # fmt: skip


ENTRIES = ["<S>a</S>", "<I32>4</I32>", "<Nil />", '<Obj RefId="7"><ToString>Off</ToString><I32>0</I32></Obj>',
           '<Obj RefId="8"><TN RefId="5"><T>Microsoft.HyperV.PowerShell.OnOffState</T><T>System.Enum</T>'
           "<T>System.ValueType</T><T>System.Object</T></TN><ToString>On</ToString><I32>1</I32></Obj>"]  # fmt: skip


@given(st.lists(st.sampled_from(TYPE_NAMES), max_size=4), st.booleans(), st.none() | st.lists(st.sampled_from(ENTRIES)))
def test_any_type_chain_reads_the_same(types: list[str], as_element: bool, entries: list[str] | None) -> None:
    tn = "".join(f"<T>{t}</T>" for t in types)
    lst = "" if entries is None else f"<LST>{''.join(entries)}</LST>"
    clixml = (f'<Obj RefId="0">{f"""<TN RefId="0">{tn}</TN>""" if types else ""}<ToString>x</ToString>{lst}'
              '<Props><S N="Name">a</S><I32 N="N">1</I32></Props><MS><B N="On">true</B></MS></Obj>')

    def outcome(serializer: Serializer) -> Any:
        try:
            return shape(serializer.deserialize(ET.fromstring(clixml) if as_element else clixml))
        except Exception as exc:  # noqa: BLE001 - a malformed object must fail the same way too
            return ("raised", type(exc).__name__, str(exc))

    assert outcome(FastSerializer()) == outcome(Serializer())


def test_type_names_are_registered_and_referenced_as_pypsrp_does() -> None:
    element = ET.fromstring('<Obj RefId="0"><TN RefId="3"><T>A</T><T>System.Object</T></TN><TN RefId="4"><T>B</T></TN>'
                            '<TNRef RefId="3" /><TNRef RefId="9" /></Obj>')  # fmt: skip
    slow, fast = Serializer(), FastSerializer()
    assert fast._get_types_from_obj(element) == slow._get_types_from_obj(element) == ["A", "System.Object", "B"]
    assert fast.tn == slow.tn
    lone_ref = ET.fromstring('<Obj RefId="1"><TNRef RefId="3" /></Obj>')
    assert fast._get_types_from_obj(lone_ref) is fast.tn["3"]


def test_every_primitive_at_top_level_reads_the_same() -> None:
    for element in ("<S>a_x000D_b</S>", "<I32>5</I32>", "<B>true</B>", "<Nil />", "<G>6f1b7f4e-5d0c-4d55-9a43-3a1d1e8c9f10</G>",
                    "<BA>AAEC</BA>", "<U64>1</U64>", "<Db>1E+300</Db>", "<C>9731</C>", "<ToString>x</ToString>"):  # fmt: skip
        slow, fast = both(element)
        assert fast == slow, element


@given(st.text() | st.lists(st.sampled_from(["_x", "000A_", "_x0020_", "a", "_", "x", "\u00e9"])).map("".join))
def test_any_string_reads_the_same(text: str) -> None:
    element = Serializer().serialize(text)
    assert FastSerializer().deserialize(element) == Serializer().deserialize(element) == text


def test_installed_on_a_pool_before_it_opens() -> None:
    pool = RunspacePool.__new__(RunspacePool)
    pool._serializer = Serializer()
    pool._fragmenter = type("F", (), {})()
    pool._fragmenter.serializer = pool._serializer
    install(pool)
    assert isinstance(pool._serializer, FastSerializer)
    assert pool._fragmenter.serializer is pool._serializer
    first = pool._serializer
    install(pool)
    assert pool._serializer is first
