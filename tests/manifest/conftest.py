from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

INVENTORY = """\
apiVersion: hvnet/v1
kind: Inventory
metadata: {name: lab}
spec:
  hosts:
    - name: hv01
      labels: {cluster: c1}
    - name: hv02
      labels: {cluster: c2}
"""


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a file under tmp_path (folders created)."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return _write
