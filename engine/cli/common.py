"""What every ``hvnet`` command shares: common flags, logging set-up, exit codes.

Exit codes (CONTRACT §2): 0 success; 1 error (bad input, unreachable host, refused
apply, usage error); 2 and 3 are command-specific results (changes present, drift
remains, status findings); 130 interrupted. Usage errors exit 1 rather than click's 2,
because schedulers read 2 as "drift remains".
"""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from engine.errors import Diagnostic, EngineError, ManifestError
from engine.logging import LOG_FORMATS, get_logger, logging_configured, redact_text

__all__ = [
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "CommonOptions",
    "common_options",
    "err",
    "plural",
    "print_diagnostics",
    "problem_summary",
    "run_guarded",
]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_INTERRUPTED = 130
DEFAULT_PARALLELISM = 16

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class CommonOptions:
    parallelism: int = DEFAULT_PARALLELISM
    log_format: str = "console"
    verbosity: int = 0


def err(text: str) -> None:
    """One message for the user, on stderr (never stdout), with secrets hidden."""
    click.echo(redact_text(text), err=True)


def print_diagnostics(diagnostics: list[Diagnostic]) -> None:
    for diagnostic in diagnostics:
        err(diagnostic.render())


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def problem_summary(diagnostics: list[Diagnostic]) -> str:
    """``3 errors, 1 warning in 2 files`` (files: those the diagnostics point into)."""
    errors = sum(1 for d in diagnostics if d.severity == "error")
    warnings = len(diagnostics) - errors
    parts = [plural(errors, "error")]
    if warnings:
        parts.append(plural(warnings, "warning"))
    files = {d.position.file for d in diagnostics if d.position is not None}
    where = f" in {plural(len(files), 'file')}" if files else ""
    return ", ".join(parts) + where


def run_guarded(body: Callable[[], int | None], common: CommonOptions) -> int:
    """Run a command's body and map what it raises to an exit code and a message."""
    log = get_logger()
    try:
        return body() or EXIT_OK
    except click.exceptions.ClickException:
        raise  # usage errors: click prints them
    except click.exceptions.Exit:
        raise
    except ManifestError as exc:
        print_diagnostics(exc.diagnostics)
        err(problem_summary(exc.diagnostics))
        return EXIT_ERROR
    except EngineError as exc:
        first_line = (str(exc).strip() or type(exc).__name__).splitlines()[0]
        err(f"hvnet: error: {first_line}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        err("hvnet: interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:  # the CLI is the last line: no bare traceback for users
        log.error("cli.crashed", error_type=type(exc).__name__, error=str(exc))
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        err(f"hvnet: internal error: {type(exc).__name__}: {first_line}".rstrip(" :"))
        if common.verbosity >= 2:
            err("".join(traceback.format_exception(exc)))
        else:
            err("hvnet: run again with -vv to see the traceback, and report it")
        return EXIT_ERROR


def common_options(func: F) -> F:
    """Add ``--parallelism``, ``--log-format`` and ``-v`` to a command.

    The wrapped function receives ``common: CommonOptions`` instead of those three,
    may return an exit code (``None`` = 0), and runs under ``run_guarded``.
    """

    @click.option(
        "--parallelism",
        type=click.IntRange(min=1),
        default=DEFAULT_PARALLELISM,
        show_default=True,
        help="Hosts handled at once.",
    )
    @click.option(
        "--log-format",
        type=click.Choice(LOG_FORMATS),
        default="console",
        show_default=True,
        help="Logs on stderr as console text or JSON lines.",
    )
    @click.option("-v", "--verbose", "verbosity", count=True, help="More log output (-v info, -vv debug).")
    @functools.wraps(func)
    def wrapper(*args: Any, parallelism: int, log_format: str, verbosity: int, **kwargs: Any) -> None:
        common = CommonOptions(parallelism=parallelism, log_format=log_format, verbosity=verbosity)
        with logging_configured(log_format, verbosity, stream=sys.stderr):
            code = run_guarded(lambda: func(*args, common=common, **kwargs), common)
        click.get_current_context().exit(code)

    return wrapper  # type: ignore[return-value]
