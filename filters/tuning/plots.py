"""Tuning plots: a statistic's histogram by outcome against the threshold in force and a candidate,
and one panel per statistic of a language (matplotlib Figures drawn with Agg, pyplot untouched)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from roots.display import new_figure
from roots.filters.tuning.load import StatTable
from roots.filters.tuning.specs import KEY_TO_STATISTIC, SPECS, plain
from roots.filters.tuning.statistics import candidate_values, distribution


def plot_distribution(table: StatTable, statistic: str, candidate: Any = None, ax=None, bins: int = 30):
    """A stacked histogram of `statistic` (kept, removed by this filter, removed by another) with the
    threshold in force (solid) and a candidate (dashed). Returns the matplotlib Figure."""
    d = distribution(table, statistic, bins)
    if ax is None:
        ax = new_figure(6.4, 3.6).add_subplot()
    fig = ax.figure
    spec = SPECS[statistic]
    widths = np.diff(d.edges)
    bottom = np.zeros(len(widths))
    for counts, label, colour in ((d.kept, "kept", "#4C72B0"), (d.removed_here, f"removed by {spec.filter}", "#C44E52"),
                                  (d.removed_other, "removed by another filter", "#AAAAAA")):
        if counts.sum():
            ax.bar(d.edges[:-1], counts, width=widths, bottom=bottom, align="edge", color=colour, label=label,
                   edgecolor="white", linewidth=0.3)
            bottom = bottom + counts
    if spec.log and d.edges[0] > 0:
        ax.set_xscale("log")
    t = d.threshold
    if t is not None:
        for key in (spec.lower_key, spec.upper_key):
            value = t.values.get(key) if key else None
            if value is not None:
                ax.axvline(value, color="black", linewidth=1.4, linestyle="-" if t.on else ":",
                           label=f"{key} = {plain(value)}" + ("" if t.on else " (off)"))
    cand = candidate_values(table, statistic, candidate) or {}
    for key, value in cand.items():
        if key in spec.keys and value is not None:
            ax.axvline(value, color="#DD8452", linewidth=1.6, linestyle="--", label=f"candidate {key} = {plain(value)}")
    ax.set_xlabel(spec.label or statistic)
    ax.set_ylabel("documents")
    ax.set_title(f"{table.lang}: {statistic} ({d.total} documents" + (f", {d.missing} without it)" if d.missing else ")"),
                 fontsize=10)
    ax.legend(fontsize=7, frameon=False)
    return fig


def plot_statistics(table: StatTable, candidates: dict[str, Any] | None = None, bins: int = 30):
    """Every numeric statistic of the language, one panel each (candidates: config key → value)."""
    names = [s for s in table.statistics if not SPECS[s].flag]
    cols = 2
    rows = max(1, math.ceil(len(names) / cols))
    fig = new_figure(12, 3.4 * rows)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, name in zip(axes, names):
        mine = {k: v for k, v in (candidates or {}).items() if KEY_TO_STATISTIC.get(k) == name}
        plot_distribution(table, name, mine or None, ax=ax, bins=bins)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    return fig

