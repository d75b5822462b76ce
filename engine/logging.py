"""Structured logging to stderr (structlog), with secret redaction.

Events are named ``noun.verb`` (``host.collected``, ``step.applied``) with bound keys.
Two renderings: a console one (colour only on a TTY, never with ``NO_COLOR``) and
JSON lines (``--log-format json``). Both pass through ``redact``, which hides

- the value of every key whose name contains password/secret/token/credential, and
- every occurrence of a secret registered with ``register_secret`` (the transport
  registers a password the moment it reads it from the environment),

so a secret cannot reach stderr even inside an exception's message or traceback.
Library logs (stdlib ``logging``: pypsrp, urllib3) go through the same processors.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any, TextIO

import structlog

__all__ = [
    "LOG_FORMATS",
    "REDACTED",
    "configure_logging",
    "forget_secrets",
    "get_logger",
    "logging_configured",
    "redact",
    "redact_text",
    "register_secret",
    "reset_logging",
]

LOG_FORMATS = ("console", "json")
REDACTED = "***"
SENSITIVE_KEY_PARTS = ("password", "secret", "token", "credential")
# Shorter secrets are only hidden where a whole value equals them: replacing every
# occurrence of, say, "ab" inside other text would make logs unreadable.
_MIN_SUBSTRING_SECRET = 4


class SecretRegistry:
    """The secrets known to this process (thread-safe: hosts are handled in parallel)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()

    def add(self, value: str) -> None:
        if value:
            with self._lock:
                self._secrets.add(value)

    def clear(self) -> None:
        with self._lock:
            self._secrets.clear()

    def redact_text(self, text: str) -> str:
        with self._lock:
            # Longest first, so a secret containing another is hidden whole.
            secrets = sorted(self._secrets, key=lambda s: (-len(s), s))
        for secret in secrets:
            if text == secret:
                return REDACTED
            if len(secret) >= _MIN_SUBSTRING_SECRET and secret in text:
                text = text.replace(secret, REDACTED)
        return text


_REGISTRY = SecretRegistry()


def register_secret(value: str | None) -> None:
    """Never show ``value`` in any log line or error message from now on."""
    if value:
        _REGISTRY.add(value)


def forget_secrets() -> None:
    """Drop every registered secret (for tests and long-lived embedders)."""
    _REGISTRY.clear()


def redact_text(text: str) -> str:
    """``text`` with every registered secret replaced by ``***``."""
    return _REGISTRY.redact_text(text)


def _is_sensitive_key(key: object) -> bool:
    return isinstance(key, str) and any(part in key.casefold() for part in SENSITIVE_KEY_PARTS)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: REDACTED if _is_sensitive_key(k) else _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact_value(v) for v in value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    # Any other object is logged through its text, so redact that text.
    return redact_text(str(value))


def redact(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: hide sensitive keys and registered secrets."""
    for key in list(event_dict):
        event_dict[key] = REDACTED if _is_sensitive_key(key) else _redact_value(event_dict[key])
    return event_dict


def _lead_keys(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> dict[str, Any]:
    """JSON lines read better with timestamp, level and event first."""
    lead = {k: event_dict.pop(k) for k in ("timestamp", "level", "event") if k in event_dict}
    return {**lead, **event_dict}


def _use_colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


# Libraries whose records repeat what hvnet reports itself (pypsrp logs every read timeout it
# retries, with a traceback): shown only from verbosity 3, like their wire traffic.
_QUIET_LIBRARIES = ("pypsrp", "psrpcore", "spnego", "requests", "urllib3")


class _LibraryRecordFilter(logging.Filter):
    """Below -vvv: drop the chatty libraries' records; below -vv: no tracebacks in any record."""

    def __init__(self, verbosity: int) -> None:
        super().__init__()
        self.verbosity = verbosity

    def filter(self, record: logging.LogRecord) -> bool:
        if self.verbosity < 3 and record.name.split(".", 1)[0] in _QUIET_LIBRARIES:
            return False
        if self.verbosity < 2:
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return True


def _level_for(verbosity: int) -> int:
    if verbosity <= 0:
        return logging.WARNING
    return logging.INFO if verbosity == 1 else logging.DEBUG


def _shared_processors(log_format: str) -> list[Any]:
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
    ]
    if log_format == "json":
        processors.append(structlog.processors.TimeStamper(fmt="iso", utc=True))
    # Exceptions become text before redaction, so a secret in a traceback is hidden too.
    processors += [structlog.processors.format_exc_info, redact]
    if log_format == "json":
        processors.append(_lead_keys)
    return processors


def _renderer(log_format: str, stream: TextIO) -> Any:
    if log_format == "json":
        return structlog.processors.JSONRenderer(sort_keys=False)
    # plain_traceback: rich's default formatter prints local variables, which may hold secrets.
    return structlog.dev.ConsoleRenderer(
        colors=_use_colour(stream), pad_event_to=0, exception_formatter=structlog.dev.plain_traceback
    )


def configure_logging(log_format: str = "console", verbosity: int = 0, stream: TextIO | None = None) -> None:
    """Send hvnet's and the libraries' logs to ``stream`` (default: the current stderr).

    verbosity 0 shows warnings and errors, 1 adds info, 2 adds debug; library debug
    logs (pypsrp's wire traffic) only appear from 3.
    """
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)} (got {log_format!r})")
    out = stream if stream is not None else sys.stderr
    level = _level_for(verbosity)
    shared = _shared_processors(log_format)
    renderer = _renderer(log_format, out)
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    _remove_handlers(root)
    handler.addFilter(_LibraryRecordFilter(verbosity))
    handler._hvnet = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbosity >= 3 else logging.WARNING)


def _remove_handlers(root: logging.Logger) -> None:
    for old in [h for h in root.handlers if getattr(h, "_hvnet", False)]:
        root.removeHandler(old)


@contextmanager
def logging_configured(
    log_format: str = "console", verbosity: int = 0, stream: TextIO | None = None
) -> Iterator[None]:
    """``configure_logging`` for the duration of a block, then put back what was there.

    A command runs inside this, so running hvnet in-process (tests, embedders) does not
    leave its log filtering and handlers behind for the caller.
    """
    saved = structlog.get_config()
    root = logging.getLogger()
    saved_level = root.level
    saved_handlers = [h for h in root.handlers if getattr(h, "_hvnet", False)]
    configure_logging(log_format, verbosity, stream)
    try:
        yield
    finally:
        structlog.configure(**saved)
        _remove_handlers(root)
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)


def reset_logging() -> None:
    """Undo ``configure_logging`` (for tests and embedders that own logging)."""
    structlog.reset_defaults()
    _remove_handlers(logging.getLogger())


def get_logger(name: str | None = None, **initial: Any) -> Any:
    """A structlog logger with ``initial`` keys bound; ``name`` is bound as ``component``.

    (Not ``logger``: structlog reserves that keyword; library records carry ``logger``.)
    """
    if name:
        initial = {"component": name, **initial}
    return structlog.get_logger(**initial)
