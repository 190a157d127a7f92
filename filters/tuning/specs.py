"""What each quality statistic is (from the rules registered in filters/rules.py), which config keys
bound it, and a filter's bounds as a run applied them (`Threshold`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from roots import display
from roots.errors import RootsError

QUALITY = "quality"


class TuningError(RootsError):
    """A run, language or threshold the tuning functions cannot use; one line naming what and where."""


@dataclass(frozen=True)
class StatisticSpec:
    """One quality statistic: where it is stored, the filter that uses it and the config keys of its bounds."""

    name: str                      # key in meta["quality"] (or in meta itself when `in_meta`)
    filter: str                    # the quality filter; its rejections are `quality:<filter>`
    kind: str                      # "natural" or "code"
    lower_key: str | None = None   # documents below it are removed
    upper_key: str | None = None   # documents above it are removed
    exclusive: bool = False        # the bounds themselves are removed too (ROOTS's code size rule)
    in_meta: bool = False
    log: bool = False              # plotted on a log scale
    flag: str | None = None        # a yes/no statistic, removed when this config key is true
    label: str = ""

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k for k in (self.lower_key, self.upper_key, self.flag) if k)


def _specs() -> tuple[StatisticSpec, ...]:
    """One spec per statistic of the quality rules registered in filters/rules.py, in registry order."""
    from roots.filters.rules import statistics

    return tuple(StatisticSpec(s.key, r.name, r.kind, s.lower, s.upper, s.exclusive, s.in_meta, s.log, s.flag,
                               s.label) for r, s in statistics())


STATISTICS: tuple[StatisticSpec, ...] = _specs()


SPECS = {s.name: s for s in STATISTICS}


KEY_TO_STATISTIC = {k: s.name for s in STATISTICS for k in s.keys}


@dataclass(frozen=True)
class Threshold:
    """A filter's bounds as the run applied them (`values`: config key → value), whether it was on
    (and why not), and where each value came from."""

    spec: StatisticSpec
    values: dict[str, Any]
    on: bool
    why: str = ""
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def lower(self) -> float | None:
        return self.values.get(self.spec.lower_key) if self.spec.lower_key else None

    @property
    def upper(self) -> float | None:
        return self.values.get(self.spec.upper_key) if self.spec.upper_key else None

    def fails(self, x: np.ndarray, overrides: dict[str, Any] | None = None) -> np.ndarray:
        """Which values this filter removes, with `overrides` (config key → value) in place of the run's
        values; a missing value (NaN: not computed) is never removed."""
        mine = {k: v for k, v in (overrides or {}).items() if k in self.spec.keys}
        values = {**self.values, **mine}
        on = self.on or any(v is not None for v in mine.values())
        out = np.zeros(len(x), dtype=bool)
        if not on:
            return out
        valid = ~np.isnan(x)
        s = self.spec
        if s.flag:
            return valid & (x > 0.5) & bool(values.get(s.flag))
        lo = values.get(s.lower_key) if s.lower_key else None
        hi = values.get(s.upper_key) if s.upper_key else None
        with np.errstate(invalid="ignore"):
            if lo is not None:
                out |= valid & ((x <= lo) if s.exclusive else (x < lo))
            if hi is not None:
                out |= valid & ((x >= hi) if s.exclusive else (x > hi))
        return out

    def describe(self, overrides: dict[str, Any] | None = None) -> str:
        """`min_words=20, max_words=100000` (or `off: why`)."""
        values = {**self.values, **{k: v for k, v in (overrides or {}).items() if k in self.spec.keys}}
        text = ", ".join(f"{k}={plain(values.get(k))}" for k in self.spec.keys)
        return text if self.on or overrides else f"off ({self.why})" if self.why else "off"


def plain(value: Any) -> str:
    """A value as YAML writes it plainly (roots.display.plain); a threshold that is not a finite number
    is a TuningError."""
    try:
        return display.plain(value)
    except ValueError:
        raise TuningError(f"threshold {value!r} is not a finite number") from None
