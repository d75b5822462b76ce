"""The bad-input corpus: ``corpus/<case>.yaml`` plus ``corpus/<case>.expect``.

An ``.expect`` file holds ``key: value`` lines:

- ``at: L:C`` — the error must name ``<case file>:L:C``;
- ``says: text`` — a key phrase of that error;
- ``inventory: none`` — validate the case alone (it is about inventories itself);
  otherwise ``base/inventory.yaml`` is validated with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
BASE_INVENTORY = HERE / "base" / "inventory.yaml"


@dataclass(frozen=True)
class Case:
    name: str
    path: Path
    at: str
    says: str
    with_inventory: bool

    def argv(self) -> list[str]:
        files = [str(BASE_INVENTORY)] if self.with_inventory else []
        return [*files, str(self.path)]

    def position(self) -> str:
        return f"{self.path}:{self.at}"


def load_case(path: Path) -> Case:
    fields: dict[str, str] = {}
    for line in path.with_suffix(".expect").read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return Case(
        name=path.stem,
        path=path,
        at=fields["at"],
        says=fields["says"],
        with_inventory=fields.get("inventory") != "none",
    )


def all_cases() -> list[Case]:
    return [load_case(p) for p in sorted(CORPUS.glob("*.yaml"))]
