"""Renderers of the plan value: text (humans), json (machines), markdown (pull requests).

``render_plan(plan, fmt, color)``; the caller decides ``color`` (a TTY and no NO_COLOR).
"""

from __future__ import annotations

from engine.gc_pause import gc_paused
from engine.plan.model import Plan
from engine.render.json import render_json
from engine.render.markdown import render_markdown
from engine.render.text import render_text

__all__ = ["FORMATS", "render_json", "render_markdown", "render_plan", "render_text"]

FORMATS = ("text", "json", "markdown")


def render_plan(plan: Plan, fmt: str = "text", color: bool = False) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)} (got {fmt!r})")
    with gc_paused():  # rendering allocates a document as big as the plan: no cycles in it
        if fmt == "text":
            return render_text(plan, color=color)
        if fmt == "json":
            return render_json(plan)
        return render_markdown(plan)
