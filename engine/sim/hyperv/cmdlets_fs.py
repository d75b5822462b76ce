"""A small in-model filesystem for hvnet's per-host lock: New-Item, Get-Item, Get-Content, Remove-Item.

The lead's lock design: the lock is a file created atomically with structured
cmdlets that a JEA role can restrict to one directory. So only paths under
``C:\\ProgramData\\hvnet\\`` exist here; any other path is refused as access denied
(category PermissionDenied). ``New-Item`` without ``-Force`` fails if the file exists
— the create-if-absent a lock needs — and creates missing parent directories.
``-Path`` is a wildcard path as in PowerShell (New-Item's is literal); ``-LiteralPath``
never is. Error ids are those of PowerShell's FileSystem provider.

``Remove-Item`` also takes piped objects, as RemoveItemCommand declares: ``-Path``
ValueFromPipeline and ByPropertyName, ``-LiteralPath`` (alias PSPath) ByPropertyName
(learn.microsoft.com, Remove-Item, PowerShell 5.1: "Accept pipeline input"). So
``Select-String … -List | Remove-Item`` removes exactly the files Select-String matched
(``cmdlets_fs_query``), and ``Get-Item … | Remove-Item`` binds the item's PSPath.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from engine.sim.hyperv.model import HostModel, VFile
from engine.sim.hyperv.rules import HostWithModel, as_list, matches_name
from engine.sim.hyperv.wildcard import contains_wildcard
from engine.sim.objects import CmdletError, ErrorRecord, Int64, InvocationContext, PSObj
from engine.sim.registry import CmdletSpec, ParamSpec, Registry

ROOT = "C:\\ProgramData\\hvnet"
MODULE = "Microsoft.PowerShell.Management"
Clock = Callable[[], datetime.datetime]


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _error(cmdlet: str, error_id: str, category: str, message: str, target: str, exception: str) -> ErrorRecord:
    command = cmdlet.replace("-", "") + "Command"
    return ErrorRecord(
        message=message,
        fully_qualified_error_id=f"{error_id},Microsoft.PowerShell.Commands.{command}",
        category=category,
        target_name=target,
        exception_type=exception,
        activity=cmdlet,
    )


_DENIED_IDS = {
    "New-Item": "NewItemUnauthorizedAccessError",
    "Get-Item": "ItemExistsUnauthorizedAccessError",
    "Get-Content": "GetContentReaderUnauthorizedAccessError",
    "Remove-Item": "RemoveFileSystemItemUnAuthorizedAccess",
}


def access_denied(cmdlet: str, path: str) -> ErrorRecord:
    return _error(cmdlet, _DENIED_IDS[cmdlet], "PermissionDenied", f"Access to the path '{path}' is denied.",
                  path, "System.UnauthorizedAccessException")


def path_not_found(cmdlet: str, path: str) -> ErrorRecord:
    return _error(cmdlet, "PathNotFound", "ObjectNotFound", f"Cannot find path '{path}' because it does not exist.",
                  path, "System.Management.Automation.ItemNotFoundException")


_PROVIDER_PREFIXES = ("microsoft.powershell.core\\filesystem::", "filesystem::")


def canonical(path: str) -> str | None:
    """``c:/ProgramData/hvnet/./a//b`` → ``C:\\ProgramData\\hvnet\\a\\b``; None outside the root.

    A provider-qualified path (an item's PSPath, ``FileSystem::C:\\…``) is its file path.
    """
    text = str(path)
    for prefix in _PROVIDER_PREFIXES:
        if text.casefold().startswith(prefix):
            text = text[len(prefix):]
            break
    parts: list[str] = []
    for part in text.replace("/", "\\").split("\\"):
        if part in ("", "."):
            continue
        if part == "..":
            if len(parts) <= 1:
                return None
            parts.pop()
        else:
            parts.append(part)
    if not parts:
        return None
    full = "\\".join(parts)
    root = ROOT.casefold()
    key = full.casefold()
    if key != root and not key.startswith(root + "\\"):
        return None
    return ROOT + full[len(ROOT):]


def _parent(path: str) -> str:
    return path.rsplit("\\", 1)[0]


def file_obj(vfile: VFile) -> PSObj:
    """System.IO.FileInfo / DirectoryInfo as Get-Item shows them (the properties hvnet reads)."""
    name = vfile.path.rsplit("\\", 1)[-1]
    created = datetime.datetime.fromisoformat(vfile.created_utc)
    written = datetime.datetime.fromisoformat(vfile.modified_utc)
    kind = "System.IO.DirectoryInfo" if vfile.is_directory else "System.IO.FileInfo"
    props: dict[str, Any] = {
        "PSPath": f"Microsoft.PowerShell.Core\\FileSystem::{vfile.path}",
        "PSParentPath": f"Microsoft.PowerShell.Core\\FileSystem::{_parent(vfile.path)}",
        "PSChildName": name,
        "PSIsContainer": vfile.is_directory,
        "Mode": "d-----" if vfile.is_directory else "-a----",
        "Name": name,
        "FullName": vfile.path,
        "Exists": True,
        "CreationTimeUtc": created,
        "LastWriteTimeUtc": written,
    }
    if not vfile.is_directory:
        props["Length"] = Int64(len(vfile.content.encode("utf-8")))
        props["DirectoryName"] = _parent(vfile.path)
        props["Extension"] = "." + name.rsplit(".", 1)[1] if "." in name else ""
    return PSObj([kind, "System.IO.FileSystemInfo", "System.MarshalByRefObject"], props, vfile.path)


def _targets(cmdlet: str, model: HostModel, ctx: InvocationContext, params: dict[str, Any]) -> list[VFile]:
    """Files selected by -LiteralPath (literal) or -Path (wildcard); errors are non-terminating."""
    literal = "LiteralPath" in params
    found: list[VFile] = []
    for raw in (str(p) for p in as_list(params.get("LiteralPath") if literal else params.get("Path"))):
        path = canonical(raw)
        if path is None:
            ctx.write_error(access_denied(cmdlet, raw))
            continue
        if not literal and contains_wildcard(raw):
            found.extend(f for f in model.files if matches_name(path, f.path) and f not in found)
            continue
        vfile = model.file(path)
        if vfile is None:
            ctx.write_error(path_not_found(cmdlet, path))
        elif vfile not in found:
            found.append(vfile)
    return found


def new_item(model: HostModel, ctx: InvocationContext, params: dict[str, Any], clock: Clock) -> list[Any]:
    c = "New-Item"
    item_type = str(params.get("ItemType") or "File").casefold()
    if item_type not in ("file", "directory"):
        raise CmdletError(_error(c, "NotSupported", "InvalidArgument",
                                 "The type is not a known type for the file system. Only \"file\" and \"directory\" can be created.",
                                 item_type, "System.ArgumentException"))
    out: list[Any] = []
    for raw in (str(p) for p in as_list(params.get("LiteralPath") or params.get("Path"))):
        path = canonical(raw)
        if path is None:
            ctx.write_error(access_denied(c, raw))
            continue
        now = clock().isoformat()
        existing = model.file(path)
        if existing is not None and not params.get("Force"):
            what = "directory" if existing.is_directory else "file"
            ctx.write_error(_error(c, "NewItemIOError", "WriteError",
                                   f"The {what} '{path}' already exists.", path, "System.IO.IOException"))
            continue
        _make_parents(model, path, now)
        if existing is None:
            existing = VFile(path=path, created_utc=now, modified_utc=now, is_directory=item_type == "directory")
            model.files.append(existing)
        if not existing.is_directory:
            existing.content = "" if params.get("Value") is None else str(params["Value"])
            existing.modified_utc = now
        out.append(file_obj(existing))
    return out


def _make_parents(model: HostModel, path: str, now: str) -> None:
    parent = _parent(path)
    while parent.casefold() != ROOT.casefold() and len(parent) > len(ROOT):
        if model.file(parent) is None:
            model.files.append(VFile(path=parent, created_utc=now, modified_utc=now, is_directory=True))
        parent = _parent(parent)


def get_item(model: HostModel, ctx: InvocationContext, params: dict[str, Any]) -> list[Any]:
    return [file_obj(f) for f in _targets("Get-Item", model, ctx, params)]


def get_content(model: HostModel, ctx: InvocationContext, params: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    for vfile in _targets("Get-Content", model, ctx, params):
        if vfile.is_directory:
            ctx.write_error(_error("Get-Content", "GetContentReaderUnauthorizedAccessError", "PermissionDenied",
                                   f"Access to the path '{vfile.path}' is denied.", vfile.path,
                                   "System.UnauthorizedAccessException"))
        elif params.get("Raw"):
            out.append(vfile.content)
        else:
            out.extend(vfile.content.splitlines())
    return out


def remove_item(model: HostModel, ctx: InvocationContext, params: dict[str, Any]) -> list[Any]:
    for vfile in _targets("Remove-Item", model, ctx, params):
        inside = [f for f in model.files if f.path.casefold().startswith(vfile.path.casefold() + "\\")]
        if inside and not params.get("Recurse"):
            ctx.write_error(_error("Remove-Item", "RemoveItemIOError", "WriteError",
                                   f"The directory '{vfile.path}' is not empty.", vfile.path, "System.IO.IOException"))
            continue
        for f in [vfile, *inside]:
            model.files.remove(f)
    return []


def register(registry: Registry, host: HostWithModel, clock: Clock = _utc_now) -> None:
    paths = (
        ParamSpec("Path", "string[]", position=0),
        ParamSpec("LiteralPath", "string[]", aliases=("PSPath", "LP")),
    )
    piped_paths = (  # Remove-Item: bound from each piped object (a MatchInfo's Path, an item's PSPath)
        ParamSpec("Path", "string[]", position=0, from_pipeline=True, from_pipeline_by_name=True),
        ParamSpec("LiteralPath", "string[]", aliases=("PSPath", "LP"), from_pipeline_by_name=True),
    )

    def spec(name: str, handler: Any, extra: tuple[ParamSpec, ...], mutating: bool,
             path_params: tuple[ParamSpec, ...] = paths) -> CmdletSpec:
        return CmdletSpec(name, handler, (*path_params, *extra), mutating=mutating, module=MODULE)

    registry.register(spec("New-Item", lambda ctx, p, _i: new_item(host.model, ctx, p, clock), (
        ParamSpec("ItemType", "string", aliases=("Type",)),
        ParamSpec("Value", "object"),
        ParamSpec("Force", "switch"),
    ), True))
    registry.register(spec("Get-Item", lambda ctx, p, _i: get_item(host.model, ctx, p), (
        ParamSpec("Force", "switch"),
    ), False))
    registry.register(spec("Get-Content", lambda ctx, p, _i: get_content(host.model, ctx, p), (
        ParamSpec("Raw", "switch"),
        ParamSpec("Encoding", "string"),
    ), False))
    registry.register(spec("Remove-Item", lambda ctx, p, _i: remove_item(host.model, ctx, p), (
        ParamSpec("Force", "switch"),
        ParamSpec("Recurse", "switch"),
    ), True, piped_paths))
