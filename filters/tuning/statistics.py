"""The numbers behind a threshold decision, from the stored statistics alone (no document is re-read
or re-filtered): a statistic's histogram by outcome, which documents the filters remove with candidate
values, the share one bound removes, and the bound that removes a given share."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from roots.filters.tuning.load import StatTable
from roots.filters.tuning.specs import QUALITY, SPECS, KEY_TO_STATISTIC, Threshold, TuningError


def candidate_values(table: StatTable, statistic: str, candidate: Any) -> dict[str, Any] | None:
    """A candidate as config keys: a mapping of keys, or one number for a statistic with one bound."""
    if candidate is None:
        return None
    if isinstance(candidate, dict):
        return candidate
    keys = [k for k in (SPECS[statistic].lower_key, SPECS[statistic].upper_key) if k]
    if len(keys) != 1:
        raise TuningError(f"{statistic} has two bounds ({', '.join(keys)}): give the candidate as a mapping")
    return {keys[0]: candidate}


@dataclass
class Distribution:
    """One statistic of one language: histogram counts over `edges` for the documents kept, removed by
    this statistic's filter, and removed by another filter, with the threshold in force."""

    statistic: str
    edges: np.ndarray
    kept: np.ndarray
    removed_here: np.ndarray
    removed_other: np.ndarray
    threshold: Threshold | None
    quantiles: dict[str, float]
    missing: int

    @property
    def total(self) -> int:
        return int(self.kept.sum() + self.removed_here.sum() + self.removed_other.sum())


def distribution(table: StatTable, statistic: str, bins: int = 30) -> Distribution:
    """The histogram of `statistic` over the documents that have it, split by outcome."""
    if statistic not in SPECS or statistic not in table.values:
        raise TuningError(f"{table.lang}: unknown statistic {statistic!r} (known: {', '.join(table.statistics)})")
    x = table.values[statistic]
    have = np.isfinite(x)
    reason = f"{QUALITY}:{SPECS[statistic].filter}"
    here = np.array([r == reason for r in table.reasons], dtype=bool)
    other = table.removed & ~here
    v = x[have]
    spec = SPECS[statistic]
    if len(v) == 0:
        edges = np.linspace(0.0, 1.0, bins + 1)
    elif spec.log and v.min() > 0:
        lo, hi = np.log10(v.min()), np.log10(v.max())
        edges = np.logspace(lo, hi if hi > lo else lo + 1, bins + 1)
        edges[0], edges[-1] = v.min(), max(v.max(), edges[-1])  # exact ends: logspace rounds
    else:
        lo, hi = float(v.min()), float(v.max())
        edges = np.linspace(lo, hi if hi > lo else lo + 1, bins + 1)

    def hist(mask: np.ndarray) -> np.ndarray:
        return np.histogram(x[have & mask], bins=edges)[0]

    quantiles = {f"p{q}": float(np.percentile(v, q)) for q in (5, 25, 50, 75, 95)} if len(v) else {}
    return Distribution(statistic, edges, hist(~table.removed), hist(here), hist(other),
                        table.thresholds.get(statistic), quantiles, int((~have).sum()))


def verdicts(table: StatTable, overrides: dict[str, Any] | None = None) -> np.ndarray:
    """Which documents the quality filters remove, recomputed from the stored statistics with
    `overrides` (config key → value) in place of the run's thresholds."""
    removed = np.zeros(len(table), dtype=bool)
    for name, t in table.thresholds.items():
        if name in table.values:
            removed |= t.fails(table.values[name], overrides)
    return removed


def share_removed(table: StatTable, key: str, value: Any) -> float:
    """The share of documents (with the statistic) that the bound `key` = `value` alone removes."""
    name = KEY_TO_STATISTIC.get(key)
    if name is None or name not in table.thresholds:
        raise TuningError(f"{table.lang}: {key!r} is not a threshold of this language's filters")
    t = table.thresholds[name]
    x = table.values[name]
    have = np.isfinite(x)
    if not have.any():
        return 0.0
    only = {k: (value if k == key else None) for k in t.spec.keys}
    single = Threshold(t.spec, only, True)
    return float(single.fails(x[have]).mean())


def threshold_for_share(table: StatTable, key: str, share: float) -> float | int:
    """The value of bound `key` that alone removes about `share` of the documents that have the
    statistic (rounded to 3 significant digits; whole numbers for counts)."""
    name = KEY_TO_STATISTIC.get(key)
    if name is None or name not in table.values:
        raise TuningError(f"{table.lang}: {key!r} is not a threshold of this language's filters")
    spec = SPECS[name]
    x = table.values[name]
    x = x[np.isfinite(x)]
    if not len(x):
        raise TuningError(f"{table.lang}: no document has {name}")
    q = share if key == spec.lower_key else 1.0 - share
    value = float(np.quantile(x, min(max(q, 0.0), 1.0)))
    if name in ("words", "chars", "max_line_length"):
        return int(round(value))
    return float(f"{value:.3g}")

