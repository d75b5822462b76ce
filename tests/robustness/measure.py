"""Run ``python -m engine ...`` as a child process and measure its peak memory."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Measured:
    exit_code: int
    stdout: str
    stderr: str
    peak_rss_mb: float
    seconds: float


def run_hvnet_measured(*args: str, timeout: float = 120.0, env: dict[str, str] | None = None) -> Measured:
    """Run hvnet in a child; ``os.wait4`` gives that child's own peak RSS (ru_maxrss, KiB on Linux)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "engine", *args],
            stdout=out,
            stderr=err,
            env={**os.environ, "NO_COLOR": "1", **(env or {})},
        )
        killer = threading.Timer(timeout, proc.kill)  # a hang must fail the test, not the suite
        killer.start()
        try:
            _pid, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: keep Popen from waiting again
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        return Measured(
            exit_code=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            peak_rss_mb=usage.ru_maxrss / 1024,
            seconds=seconds,
        )
