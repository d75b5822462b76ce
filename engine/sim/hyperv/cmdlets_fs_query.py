"""Select-String and Test-Path on the lock directory: what hvnet's conditional lock release needs.

``Select-String -LiteralPath <lock> -Pattern <run id> -SimpleMatch -List | Remove-Item`` removes
the lock file only while it still holds that run id, in one statement; ``Test-Path -LiteralPath
<lock>`` then tells whether a lock (another run's) is there. Paths follow ``cmdlets_fs``: only
``C:\\ProgramData\\hvnet\\`` exists, anything else is access denied.

Select-String (learn.microsoft.com, Select-String, PowerShell 5.1; PowerShell's MatchString.cs):

- reads the file line by line (StreamReader.ReadLine: ``\\r\\n``, ``\\r`` or ``\\n`` ends a line) and
  writes one ``Microsoft.PowerShell.Commands.MatchInfo`` per matching line; ``-List``: only the
  first match of each file. Properties: IgnoreCase, LineNumber, Line, Filename (base name), Path
  (the full path), Pattern (the pattern that matched), Context ($null without ``-Context``),
  Matches (empty with ``-SimpleMatch``, else the regex match). ToString is ``path:line:text``;
- ``-Pattern`` is a regular expression (Python ``re`` here, which agrees with .NET on plain
  patterns), or literal text with ``-SimpleMatch`` (IndexOf); the patterns are tried in order and
  the first that matches a line is reported; case-insensitive unless ``-CaseSensitive``;
- ``-LiteralPath`` is not resolved against the filesystem first, so a missing file fails when it
  is opened: a non-terminating error ``ProcessingFile`` (InvalidArgument, ArgumentException), "The
  file <p> cannot be read: Could not find file '<p>'."; a directory or a path outside the lock
  folder gives the same form with "Access to the path '<p>' is denied." (Windows PowerShell 5.1
  reports directories so; PowerShell 7 skips them).

Not modelled: ``-Path``, piped input and ``-InputObject``, ``-NotMatch``, ``-AllMatches``,
``-Context``, ``-Quiet``, ``-Include``/``-Exclude``.

Test-Path (learn.microsoft.com, Test-Path, PowerShell 5.1) writes one Boolean per path: True when
the item exists (and is of ``-PathType`` Leaf/Container when given), False otherwise — a missing or
forbidden path is False, never an error. ``-Path`` is a wildcard path, ``-LiteralPath`` is not.
"""

from __future__ import annotations

import re
from typing import Any

from engine.sim.hyperv.cmdlets_fs import MODULE, ROOT, canonical
from engine.sim.hyperv.model import HostModel, VFile
from engine.sim.hyperv.rules import HostWithModel, as_list, matches_name
from engine.sim.hyperv.wildcard import contains_wildcard
from engine.sim.objects import CmdletError, ErrorRecord, InvocationContext, PSList, PSObj
from engine.sim.registry import CmdletSpec, ParamSpec, Registry

MATCH_INFO = "Microsoft.PowerShell.Commands.MatchInfo"
_MATCH_TYPES = ["System.Text.RegularExpressions.Match", "System.Text.RegularExpressions.Group",
                "System.Text.RegularExpressions.Capture"]
_LINE_END = re.compile(r"\r\n|\r|\n")


def _select_string_error(message: str, error_id: str = "ProcessingFile") -> ErrorRecord:
    return ErrorRecord(
        message=message,
        fully_qualified_error_id=f"{error_id},Microsoft.PowerShell.Commands.SelectStringCommand",
        category="InvalidArgument",
        exception_type="System.ArgumentException",
        activity="Select-String",
    )


def cannot_read(path: str, reason: str) -> ErrorRecord:
    return _select_string_error(f"The file {path} cannot be read: {reason}")


def _lines(content: str) -> list[str]:
    lines = _LINE_END.split(content)
    if lines and lines[-1] == "":  # a final line ending does not start another line
        lines.pop()
    return lines


class _Matcher:
    """The first of ``patterns`` that matches a line: (pattern, regex match or None), or None."""

    def __init__(self, patterns: list[str], simple: bool, case_sensitive: bool) -> None:
        self.patterns = patterns
        self.simple = simple
        self.case_sensitive = case_sensitive
        self.regexes: list[re.Pattern[str]] = []
        if not simple:
            flags = 0 if case_sensitive else re.IGNORECASE
            for pattern in patterns:
                try:
                    self.regexes.append(re.compile(pattern, flags))
                except re.error as exc:  # BeginProcessing: ThrowTerminatingError
                    raise CmdletError(_select_string_error(
                        f"The string {pattern} is not a valid regular expression: {exc}", "InvalidRegex")) from None

    def first(self, line: str) -> tuple[str, re.Match[str] | None] | None:
        if self.simple:
            text = line if self.case_sensitive else line.casefold()
            for pattern in self.patterns:
                if (pattern if self.case_sensitive else pattern.casefold()) in text:
                    return pattern, None
            return None
        for pattern, regex in zip(self.patterns, self.regexes, strict=True):
            found = regex.search(line)
            if found is not None:
                return pattern, found
        return None


def match_info(path: str, number: int, line: str, pattern: str, found: re.Match[str] | None,
               ignore_case: bool) -> PSObj:
    matches = [] if found is None else [PSObj(list(_MATCH_TYPES), {
        "Success": True, "Name": "0", "Index": found.start(), "Length": len(found.group()), "Value": found.group(),
    }, found.group())]
    return PSObj([MATCH_INFO], {
        "IgnoreCase": ignore_case,
        "LineNumber": number,
        "Line": line,
        "Filename": path.rsplit("\\", 1)[-1],
        "Path": path,
        "Pattern": pattern,
        "Context": None,
        "Matches": PSList("System.Text.RegularExpressions.Match", matches),
    }, f"{path}:{number}:{line}")


def select_string(model: HostModel, ctx: InvocationContext, params: dict[str, Any]) -> list[Any]:
    if "LiteralPath" not in params:
        raise CmdletError(_select_string_error(
            "Select-String in the simulator reads files by -LiteralPath only (-Path and piped input "
            "are not modelled).", "NotModelled"))
    case_sensitive = bool(params.get("CaseSensitive"))
    matcher = _Matcher([str(p) for p in as_list(params.get("Pattern"))], bool(params.get("SimpleMatch")),
                       case_sensitive)
    out: list[Any] = []
    for raw in (str(p) for p in as_list(params["LiteralPath"])):
        path = canonical(raw)
        vfile = model.file(path) if path is not None else None
        if path is None or path.casefold() == ROOT.casefold() or (vfile is not None and vfile.is_directory):
            shown = path or raw
            ctx.write_error(cannot_read(shown, f"Access to the path '{shown}' is denied."))
            continue
        if vfile is None:
            ctx.write_error(cannot_read(path, f"Could not find file '{path}'."))
            continue
        for number, line in enumerate(_lines(vfile.content), start=1):
            hit = matcher.first(line)
            if hit is None:
                continue
            out.append(match_info(vfile.path, number, line, hit[0], hit[1], not case_sensitive))
            if params.get("List"):
                break
    return out


def _is_kind(vfile: VFile | None, is_root: bool, path_type: str) -> bool:
    if vfile is None and not is_root:
        return False
    directory = is_root or (vfile is not None and vfile.is_directory)
    return {"Leaf": not directory, "Container": directory}.get(path_type, True)


def path_exists(model: HostModel, params: dict[str, Any]) -> list[Any]:
    literal = "LiteralPath" in params
    path_type = str(params.get("PathType") or "Any")
    out: list[Any] = []
    for raw in (str(p) for p in as_list(params.get("LiteralPath") if literal else params.get("Path"))):
        path = canonical(raw)
        if path is None:  # outside the lock folder: not visible, so not there
            out.append(False)
        elif not literal and contains_wildcard(raw):
            out.append(any(matches_name(path, f.path) and _is_kind(f, False, path_type) for f in model.files))
        else:
            out.append(_is_kind(model.file(path), path.casefold() == ROOT.casefold(), path_type))
    return out


def register(registry: Registry, host: HostWithModel) -> None:
    registry.register(CmdletSpec("Select-String", lambda ctx, p, _i: select_string(host.model, ctx, p), (
        ParamSpec("Pattern", "string[]", position=0, mandatory=True),
        ParamSpec("LiteralPath", "string[]", aliases=("PSPath", "LP")),
        ParamSpec("SimpleMatch", "switch"),
        ParamSpec("CaseSensitive", "switch"),
        ParamSpec("List", "switch"),
        ParamSpec("Encoding", "string"),
    ), mutating=False, module="Microsoft.PowerShell.Utility"))
    registry.register(CmdletSpec("Test-Path", lambda _ctx, p, _i: path_exists(host.model, p), (
        ParamSpec("Path", "string[]", position=0),
        ParamSpec("LiteralPath", "string[]", aliases=("PSPath", "LP")),
        ParamSpec("PathType", "enum:Any|Container|Leaf", aliases=("Type",)),
    ), mutating=False, module=MODULE))
