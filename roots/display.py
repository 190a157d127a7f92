"""What the data card and the filter-tuning notebooks share to show results: Markdown text and tables,
values written the way YAML writes them plainly, and matplotlib figures that never touch pyplot's
global state. Engine- and filter-free, so the core's data card needs nothing from roots.filters for it."""
from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import numpy as np

from roots.errors import RootsError


class Markdown(str):
    """Text that notebooks display as Markdown."""

    def _repr_markdown_(self) -> str:
        return str(self)


def markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    """A GitHub Markdown table; pipes in cells escaped and newlines flattened so a cell never breaks it."""
    def cell(v: Any) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def py(value: Any) -> Any:
    """numpy scalars as plain Python values."""
    return value.item() if isinstance(value, np.generic) else value


def quoted(text: str) -> str:
    """A double-quoted YAML string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def plain(value: Any) -> str:
    """A value as YAML writes it plainly: null, true, 20, 0.25 (never 2.5e-01); ValueError for a float
    that is not finite (YAML would need `.nan`, which no threshold may be)."""
    value = py(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a finite number")
        return format(Decimal(repr(value)), "f")
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(plain(v) for v in value) + "]"
    if isinstance(value, str):
        return quoted(value)
    return str(value)


def new_figure(width: float, height: float):
    """A matplotlib Figure that draws with Agg whatever pyplot's backend (no global state touched);
    a one-line error naming the extra to install when matplotlib is missing."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise RootsError("plots need matplotlib: pip install 'roots[notebooks]'") from None
    return Figure(figsize=(width, height), dpi=100, layout="constrained")
