"""CLIXML written by the simulator, read back with pypsrp's own deserializer (no I/O)."""

from __future__ import annotations

import uuid

from pypsrp.serializer import Serializer

from engine.sim.noted import NotedPSObj
from engine.sim.objects import Byte, Int64, PSEnum, PSList, PSObj, UInt16, UInt32, UInt64
from engine.sim.serialize import escape_text, to_clixml


def read_back(value: object) -> object:
    return Serializer().deserialize(to_clixml(value).decode("utf-8"))


SWITCH_ID = uuid.UUID("98094e00-0df1-485b-875c-9a00d9af2f75")


def switch() -> PSObj:
    vlan = PSObj(
        ["Microsoft.HyperV.PowerShell.VMNetworkAdapterVlanSetting"], {"AccessVlanId": 10}, "VlanSetting"
    )
    return PSObj(
        ["Microsoft.HyperV.PowerShell.VMSwitch", "Microsoft.HyperV.PowerShell.VirtualizationObject"],
        {
            "Name": "sw <compute> & _x0041_",
            "Id": SWITCH_ID,
            "SwitchType": PSEnum("Microsoft.HyperV.PowerShell.VMSwitchType", "External", 2),
            "DefaultFlowMinimumBandwidthAbsolute": Int64(10_000_000_000),
            "Counts": [UInt16(1), UInt32(2), UInt64(3), Byte(4)],
            "NetAdapterInterfaceDescriptions": PSList("System.String", ["Intel X550", "Intel X550 #2"]),
            "Vlan": vlan,
            "Notes": None,
            "IovEnabled": False,
            "Ratio": 0.5,
            "Multiline": "line1\r\nline2\ttab",
        },
        "VMSwitch 'sw'",
    )


def test_complex_object_reads_back_with_type_names_and_ordered_properties() -> None:
    obj = read_back(switch())
    assert obj.types == [
        "Microsoft.HyperV.PowerShell.VMSwitch",
        "Microsoft.HyperV.PowerShell.VirtualizationObject",
        "System.Object",
    ]
    assert obj.to_string == "VMSwitch 'sw'"
    props = obj.adapted_properties
    assert list(props) == list(switch().properties)
    assert props["Name"] == "sw <compute> & _x0041_"
    assert props["Multiline"] == "line1\r\nline2\ttab"
    assert props["Id"] == SWITCH_ID and isinstance(props["Id"], uuid.UUID)
    assert props["DefaultFlowMinimumBandwidthAbsolute"] == 10_000_000_000
    assert props["Counts"] == [1, 2, 3, 4]
    assert props["NetAdapterInterfaceDescriptions"] == ["Intel X550", "Intel X550 #2"]
    assert props["Notes"] is None and props["IovEnabled"] is False and props["Ratio"] == 0.5


def test_enum_is_an_object_whose_str_is_its_name_and_first_property_set_its_number() -> None:
    enum = read_back(switch()).adapted_properties["SwitchType"]
    assert str(enum) == "External"
    assert enum.property_sets[0] == 2
    assert enum.types == [
        "Microsoft.HyperV.PowerShell.VMSwitchType",
        "System.Enum",
        "System.ValueType",
        "System.Object",
    ]


def test_nested_object_beyond_depth_one_is_its_tostring() -> None:
    assert read_back(switch()).adapted_properties["Vlan"] == "VlanSetting"


def test_typed_integers_use_their_clixml_elements() -> None:
    xml = to_clixml(switch()).decode()
    assert '<I64 N="DefaultFlowMinimumBandwidthAbsolute">10000000000</I64>' in xml
    assert "<U16>1</U16><U32>2</U32><U64>3</U64><By>4</By>" in xml
    assert to_clixml(2**40) == b"<I64>1099511627776</I64>"  # a plain int too big for I32
    assert to_clixml(7) == b"<I32>7</I32>"


def test_noted_object_carries_its_notes_as_extended_properties() -> None:
    obj = read_back(NotedPSObj(["X.Vlan"], {"AccessVlanId": 10}, "v", {"VMName": "web01"}))
    assert obj.adapted_properties == {"AccessVlanId": 10}
    assert obj.extended_properties == {"VMName": "web01"}


def test_select_object_custom_objects_use_note_properties() -> None:
    obj = read_back(
        PSObj(["Selected.X", "System.Management.Automation.PSCustomObject"], {"Name": "a"}, "@{Name=a}")
    )
    assert obj.extended_properties == {"Name": "a"} and obj.adapted_properties == {}


def test_escape_text_follows_clixml_rules() -> None:
    assert escape_text("a_x0041_b") == "a_x005F_x0041_b"
    assert escape_text("\x00<&>") == "_x0000_&lt;&amp;&gt;"
    assert escape_text("\U0001f600") == "_xD83D__xDE00_"
