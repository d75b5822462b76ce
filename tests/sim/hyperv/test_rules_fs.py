"""The lock primitive's filesystem: create-if-absent, one directory, PowerShell's errors."""

from __future__ import annotations

import datetime

from engine.sim.hyperv import cmdlets_fs as F

from .rules_world import Ctx, world

LOCK = "C:\\ProgramData\\hvnet\\locks\\HV1.lock"
NOW = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)


def new_item(model, **params):
    ctx = Ctx()
    return F.new_item(model, ctx, {"ItemType": "File", **params}, lambda: NOW), ctx.errors


def test_new_item_creates_once_and_the_second_create_fails() -> None:
    model = world()
    (created,), errors = new_item(model, Path=[LOCK], Value="owner=a")
    assert errors == [] and created.get("FullName") == LOCK and created.get("Length") == 7
    assert [f.path for f in model.files] == ["C:\\ProgramData\\hvnet\\locks", LOCK]  # parent created
    out, errors = new_item(model, Path=[LOCK], Value="owner=b")
    assert out == [] and errors[0].message == f"The file '{LOCK}' already exists."
    assert errors[0].fully_qualified_error_id == "NewItemIOError,Microsoft.PowerShell.Commands.NewItemCommand"
    assert errors[0].category == "WriteError" and model.file(LOCK).content == "owner=a"
    _, errors = new_item(model, LiteralPath=[LOCK], Value="owner=b", Force=True)
    assert errors == [] and model.file(LOCK).content == "owner=b"


def test_paths_outside_the_hvnet_directory_are_denied() -> None:
    model = world()
    for path in ("C:\\Windows\\evil.txt", "C:\\ProgramData\\hvnet\\..\\evil.txt", "C:\\ProgramData\\hvnetx\\a"):
        out, errors = new_item(model, Path=[path])
        assert out == [] and errors[0].category == "PermissionDenied"
    assert model.files == []


def test_get_item_get_content_and_remove_item() -> None:
    model = world()
    new_item(model, Path=[LOCK], Value="owner=a\nsince=now")
    ctx = Ctx()
    (info,) = F.get_item(model, ctx, {"LiteralPath": [LOCK]})
    assert info.get("CreationTimeUtc") == NOW and info.type_names[0] == "System.IO.FileInfo"
    assert F.get_content(model, ctx, {"Path": [LOCK], "Raw": True}) == ["owner=a\nsince=now"]
    assert F.get_content(model, ctx, {"Path": [LOCK]}) == ["owner=a", "since=now"]
    F.remove_item(model, ctx, {"LiteralPath": [LOCK], "Force": True})
    assert ctx.errors == [] and model.file(LOCK) is None
    F.get_item(model, ctx, {"LiteralPath": [LOCK]})
    assert ctx.errors[0].fully_qualified_error_id == "PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand"
    assert ctx.errors[0].message == f"Cannot find path '{LOCK}' because it does not exist."


def test_path_is_a_wildcard_but_literal_path_is_not() -> None:
    model = world()
    odd = "C:\\ProgramData\\hvnet\\a[1].lock"
    new_item(model, Path=[odd])
    ctx = Ctx()
    assert F.get_item(model, ctx, {"Path": [odd]}) == []  # '[1]' is a character class: matches 'a1.lock'
    assert [o.get("Name") for o in F.get_item(model, ctx, {"LiteralPath": [odd]})] == ["a[1].lock"]
    assert [o.get("Name") for o in F.get_item(model, ctx, {"Path": ["C:\\ProgramData\\hvnet\\*.lock"]})] == ["a[1].lock"]
    assert ctx.errors == []
