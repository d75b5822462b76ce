"""Protocol conformance against traffic recorded from real Windows hosts.

The client side of each recording (data/, from pypsrp's tests) is replayed against the
simulator's WS-Management service. Compared, with ids normalized: the response action
for every request, the element paths of each response type, and the order of PSRP
message types per target (pool / pipeline). The recordings run script text, which the
simulator refuses like a no-language endpoint, so a pipeline's messages are compared by
shape (it ends with its PipelineState), not by content. Not replayed:
test_psrp_set_runspaces.yml, whose SetMaxRunspaces messages (an old pypsrp) lack
properties psrpcore requires; the simulator answers them with a fault (tested below).
"""

from __future__ import annotations

import base64
import re
import struct
from collections import defaultdict
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml

from engine.sim import wsman
from engine.sim.service import Peer, WSManService

from .fakehost import FakeHost

DATA = Path(__file__).parent / "data"
PEER = Peer("127.0.0.1", "vagrant", "https://127.0.0.1:55986/wsman")
PIPELINE_STATE = 0x41006
# Message types a Windows host sends for a pipeline (MS-PSRP 2.2.1).
PIPELINE_TYPES = {0x41004, 0x41005, 0x41006, 0x41007, 0x41008, 0x41009, 0x41010, 0x41011, 0x41100}
# Present in Windows' answers, absent from ours: diagnostics nobody reads.
IGNORED_PATHS = {
    "Header/{http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd}ActivityId",
    "Body/{http://schemas.microsoft.com/wbem/wsman/1/windows/shell}Shell/"
    "{http://schemas.microsoft.com/wbem/wsman/1/windows/shell}MemoryUsed",
    "Body/{http://schemas.microsoft.com/wbem/wsman/1/windows/shell}Shell/"
    "{http://schemas.microsoft.com/wbem/wsman/1/windows/shell}ChildProcesses",
}
RECORDINGS = [
    "test_psrp_open_runspace.yml",
    "test_psrp_multiple_invocations.yml",
    "test_psrp_with_input.yml",
    "test_psrp_stream_output_invocation.yml",
    "test_psrp_error_failed.yml",
    "test_psrp_multiple_commands.yml",
    "test_psrp_is_alive_invalid_selectors.yml",
]


def action_of(xml: ElementTree.Element) -> str:
    return wsman.short_action(
        xml.findtext(f"{{{wsman.NS_SOAP}}}Header/{{{wsman.NS_ADDRESSING}}}Action") or ""
    )


def element_paths(element: ElementTree.Element, prefix: str = "") -> set[str]:
    paths: set[str] = set()
    for child in element:
        path = f"{prefix}/{child.tag}" if prefix else child.tag.split("}")[-1]
        paths.add(path)
        paths.update(f"{path}@{name}" for name in child.attrib)
        paths.update(element_paths(child, path))
    return paths


def psrp_messages(response: ElementTree.Element) -> list[tuple[str | None, int]]:
    """(CommandId or None, message type) for every complete PSRP message in the streams."""
    out: list[tuple[str | None, int]] = []
    for stream in response.iter(f"{{{wsman.NS_SHELL}}}Stream"):
        data = base64.b64decode(stream.text or "")
        target = (stream.get("CommandId") or "").upper() or None
        while data:
            flags, length = data[16], struct.unpack(">I", data[17:21])[0]
            fragment, data = data[21 : 21 + length], data[21 + length :]
            if flags & 0x1:  # start fragment: the message header is here
                out.append((target, struct.unpack("<I", fragment[4:8])[0]))
    return out


def replay(name: str) -> tuple[list[ElementTree.Element], list[ElementTree.Element]]:
    messages = yaml.safe_load((DATA / name).read_text())["messages"]
    service = WSManService(FakeHost())
    recorded, ours = [], []
    for index, message in enumerate(messages):
        if name.endswith("invalid_selectors.yml") and index == len(messages) - 1:
            service.close_all()  # the recording's shell was gone by its last Get
        # Long-polls that have nothing to say should fail fast here.
        request = re.sub(
            r"<(\w+):OperationTimeout>PT\d+(\.\d+)?S<", r"<\1:OperationTimeout>PT0.2S<", message["request"]
        )
        _status, body = service.handle(request.encode(), PEER)
        recorded.append(ElementTree.fromstring(message["response"]))
        ours.append(ElementTree.fromstring(body))
    service.close_all()
    return recorded, ours


def drop_empty_timeouts(
    pairs: list[tuple[ElementTree.Element, ElementTree.Element]],
) -> list[tuple[ElementTree.Element, ElementTree.Element]]:
    # Windows may split what we send in one Receive over two; our second Receive then times out.
    return [
        (r, o) for r, o in pairs if not (action_of(o) == "fault" and b"TimedOut" in ElementTree.tostring(o))
    ]


@pytest.mark.parametrize("name", RECORDINGS)
def test_responses_have_the_actions_and_element_paths_of_windows(name: str) -> None:
    recorded, ours = replay(name)
    by_action_recorded: dict[str, set[str]] = defaultdict(set)
    by_action_ours: dict[str, set[str]] = defaultdict(set)
    for rec, our in drop_empty_timeouts(list(zip(recorded, ours, strict=True))):
        assert action_of(our) == action_of(rec)
        by_action_recorded[action_of(rec)] |= element_paths(rec) - IGNORED_PATHS
        by_action_ours[action_of(our)] |= element_paths(our)
    for action, paths in by_action_recorded.items():
        if action == "ReceiveResponse":  # CommandState appears only when a pipeline ended in that Receive
            assert paths <= by_action_ours[action] | {p for p in paths if "CommandState" in p}
        else:
            assert paths == by_action_ours[action], action


@pytest.mark.parametrize("name", RECORDINGS)
def test_psrp_message_order_per_target(name: str) -> None:
    recorded, ours = replay(name)
    recorded_msgs = [m for r in recorded for m in psrp_messages(r)]
    our_msgs = [m for o in ours for m in psrp_messages(o)]
    assert [t for cid, t in our_msgs if cid is None] == [t for cid, t in recorded_msgs if cid is None]
    recorded_pipes = {cid for cid, _ in recorded_msgs if cid}
    our_pipes: dict[str, list[int]] = defaultdict(list)
    for cid, kind in our_msgs:
        if cid:
            our_pipes[cid].append(kind)
    assert set(our_pipes) == recorded_pipes
    for kinds in our_pipes.values():
        assert kinds[-1] == PIPELINE_STATE and set(kinds) <= PIPELINE_TYPES


def test_relates_to_is_the_request_message_id() -> None:
    messages = yaml.safe_load((DATA / "test_psrp_open_runspace.yml").read_text())["messages"]
    service = WSManService(FakeHost())
    _status, body = service.handle(messages[0]["request"].encode(), PEER)
    request_id = re.search(r"MessageID>([^<]+)<", messages[0]["request"]).group(1)  # type: ignore[union-attr]
    relates = ElementTree.fromstring(body).findtext(
        f"{{{wsman.NS_SOAP}}}Header/{{{wsman.NS_ADDRESSING}}}RelatesTo"
    )
    assert relates == request_id
    service.close_all()


def test_undecodable_psrp_message_is_a_fault_not_a_crash() -> None:
    messages = yaml.safe_load((DATA / "test_psrp_set_runspaces.yml").read_text())["messages"]
    service = WSManService(FakeHost())
    answers = [service.handle(m["request"].replace("PT20S", "PT0.2S").encode(), PEER) for m in messages]
    assert [status for status, _ in answers[:2]] == [200, 200]  # Create, first Receive
    assert any(status == 500 and b"w:InternalError" in body for status, body in answers)
    assert answers[-1][0] == 200  # the shell still deletes cleanly
    service.close_all()
