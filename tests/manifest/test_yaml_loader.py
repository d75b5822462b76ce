"""Loading YAML: positions for every key and value, limits, refusals (pure but for temp files)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from engine.errors import Position
from engine.manifest.yaml_loader import json_path, load_file, manifest_files


def test_positions_of_keys_and_values_in_every_document(write: Callable[[str, str], Path]) -> None:
    path = str(write("m.yaml", "a: 1\n---\nspec:\n  vlan: {mode: access, vlanId: 10}\n  names: [x, 'y']\n"))
    docs, problems = load_file(path)
    assert problems == []
    assert [d.index for d in docs] == [0, 1]
    second = docs[1]
    assert second.data == {"spec": {"vlan": {"mode": "access", "vlanId": 10}, "names": ["x", "y"]}}
    assert second.key_positions[("spec", "vlan", "vlanId")] == Position(path, 4, 24)
    assert second.value_positions[("spec", "vlan", "vlanId")] == Position(path, 4, 32)
    assert second.value_positions[("spec", "names", 1)] == Position(path, 5, 14)
    assert second.start == Position(path, 3, 1)


def test_dates_stay_text_and_merge_keys_work(write: Callable[[str, str], Path]) -> None:
    path = str(write("m.yaml", "base: &b {x: 1}\nnotes: 2024-01-01\nother:\n  <<: *b\n  y: 2\n"))
    docs, problems = load_file(path)
    assert problems == []
    assert docs[0].data == {"base": {"x": 1}, "notes": "2024-01-01", "other": {"x": 1, "y": 2}}


def test_syntax_error_has_a_position_and_no_traceback(write: Callable[[str, str], Path]) -> None:
    path = str(write("bad.yaml", "a: [1, 2\nb: 3\n"))
    docs, problems = load_file(path)
    assert docs == []
    assert len(problems) == 1
    assert problems[0].summary.startswith("YAML syntax error")
    assert problems[0].position is not None and problems[0].position.file == path


def test_python_tags_are_refused(write: Callable[[str, str], Path]) -> None:
    path = str(write("evil.yaml", "a: !!python/object/apply:os.system ['true']\n"))
    _, problems = load_file(path)
    assert "unsupported YAML tag" in problems[0].summary


def test_deep_flow_nesting_is_refused_not_a_crash(write: Callable[[str, str], Path]) -> None:
    path = str(write("deep.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n"))
    _, problems = load_file(path)
    assert len(problems) == 1 and "nesting deeper" in problems[0].summary


def test_huge_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * (5 * 1024 * 1024) + "\n")
    _, problems = load_file(str(path))
    assert "too large" in problems[0].summary


def test_non_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"a: 1\nb: caf\xe9\n")
    _, problems = load_file(str(path))
    assert problems[0].summary == "file is not UTF-8 text"
    assert problems[0].position == Position(str(path), 2, 1)


def test_folders_are_walked_sorted_and_files_kept_as_given(
    write: Callable[[str, str], Path], tmp_path: Path
) -> None:
    write("z.yaml", "a: 1\n")
    write("sub/b.yml", "a: 1\n")
    write("a.yaml", "a: 1\n")
    write("notes.txt", "not yaml")
    root = str(tmp_path)
    files, problems = manifest_files([root, str(tmp_path / "a.yaml")])
    assert problems == []
    assert files == [f"{root}/a.yaml", f"{root}/sub/b.yml", f"{root}/z.yaml"]


def test_missing_path_is_reported() -> None:
    files, problems = manifest_files(["does/not/exist"])
    assert files == [] and problems[0].summary == "no such file or folder"


def test_json_path_spelling() -> None:
    assert json_path(("spec", "uplinks", "names", 0)) == "spec.uplinks.names[0]"
    assert json_path(()) == ""


def test_empty_documents_between_separators_are_skipped(write: Callable[[str, str], Path]) -> None:
    path = str(write("m.yaml", "---\na: 1\n---\n---\nb: 2\n---\n"))
    docs, problems = load_file(path)
    assert problems == []
    assert [d.data for d in docs] == [{"a": 1}, {"b": 2}]
