"""An object with note properties added by the pipeline (``Select-Object -ExpandProperty X
-Property A,B`` copies A and B onto each expanded object as NoteProperties)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.sim.objects import PSObj


@dataclass
class NotedPSObj(PSObj):
    """A ``PSObj`` plus note properties, serialized as CLIXML ``<MS>`` beside its ``<Props>``."""

    notes: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str, default: Any = None) -> Any:
        # Note properties shadow adapted ones, as in PowerShell's type system.
        key = name.casefold()
        for k, v in self.notes.items():
            if k.casefold() == key:
                return v
        return super().get(name, default)

    def has(self, name: str) -> bool:
        key = name.casefold()
        return any(k.casefold() == key for k in (*self.notes, *self.properties))
