"""The tuning tables as Markdown for a notebook or a terminal: a language's summary at the quality
stage, the documents just inside and outside a bound, the values that would remove a given share, and
what candidate values would remove compared with the thresholds in force."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from roots.display import Markdown, markdown_table, py
from roots.filters.tuning.load import StatTable
from roots.filters.tuning.specs import KEY_TO_STATISTIC, TuningError, plain
from roots.filters.tuning.statistics import candidate_values, share_removed, threshold_for_share, verdicts


def fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


@dataclass
class Example:
    """A document near a threshold."""

    id: str
    source: str
    value: float
    reason: str
    excerpt: str


@dataclass
class NearThreshold:
    """The documents just inside (kept by this filter) and just outside (removed by it) its bounds."""

    lang: str
    statistic: str
    bounds: str
    inside: list[Example]
    outside: list[Example]

    def _repr_markdown_(self) -> str:
        return str(self)

    def __str__(self) -> str:
        parts = [f"**{self.lang} · {self.statistic}** ({self.bounds})"]
        for title, rows in (("just inside (kept by this filter)", self.inside),
                            ("just outside (removed by this filter)", self.outside)):
            parts.append(f"\n*{title}*\n")
            parts.append(markdown_table(["id", "value", "outcome", "text"],
                                         [[e.id, fmt(e.value), e.reason or "kept", e.excerpt] for e in rows])
                         if rows else "(none)")
        return "\n".join(parts)


def near_threshold(table: StatTable, statistic: str, k: int = 3, candidate: Any = None,
                   excerpt_chars: int = 240) -> NearThreshold:
    """The `k` documents closest to the bounds on each side, for the run's threshold or a candidate."""
    t = table.threshold(statistic)
    if t.spec.flag:
        raise TuningError(f"{statistic} is a yes/no statistic; it has no threshold to look near")
    cand = candidate_values(table, statistic, candidate)
    values = {**t.values, **{k2: v for k2, v in (cand or {}).items() if k2 in t.spec.keys}}
    x = table.values[statistic]
    fails = t.fails(x, cand)
    have = np.isfinite(x)
    bounds = [values.get(key) for key in (t.spec.lower_key, t.spec.upper_key) if key and values.get(key) is not None]
    if not bounds:
        raise TuningError(f"{table.lang}: {statistic} has no bound set ({t.describe()})")
    dist = np.min(np.abs(np.subtract.outer(x, np.array(bounds, dtype=float))), axis=1)

    def pick(mask: np.ndarray) -> list[int]:
        idx = np.flatnonzero(mask & have)
        return idx[np.lexsort((idx, dist[idx]))][:k].tolist()

    inside, outside = pick(~fails), pick(fails)
    texts = table.texts(table.ids[i] for i in inside + outside)

    def example(i: int) -> Example:
        text = " ".join(texts.get(table.ids[i], "").split())
        cut = text[:excerpt_chars] + ("…" if len(text) > excerpt_chars else "")
        return Example(table.ids[i], table.sources[i], float(x[i]), table.reasons[i], cut)

    label = ", ".join(f"{key}={plain(values.get(key))}" for key in t.spec.keys)
    return NearThreshold(table.lang, statistic, label + (" (candidate)" if cand else " (in force)"),
                         [example(i) for i in inside], [example(i) for i in outside])


def near_thresholds(table: StatTable, k: int = 3, candidates: dict[str, Any] | None = None) -> Markdown:
    """`near_threshold` for every statistic with a bound (candidates: config key → value)."""
    parts = []
    for name in table.statistics:
        t = table.thresholds.get(name)
        if t is None or t.spec.flag:
            continue
        mine = {key: v for key, v in (candidates or {}).items() if key in t.spec.keys}
        values = {**t.values, **mine}
        if not any(values.get(key) is not None for key in t.spec.keys):
            continue
        parts.append(str(near_threshold(table, name, k, mine or None)))
    return Markdown("\n\n".join(parts) if parts else f"{table.lang}: no statistic with a threshold")


def share_table(table: StatTable, shares: tuple[float, ...] = (0.01, 0.05, 0.1)) -> Markdown:
    """Per bound, the value in force, the share it removes alone, and the values that would remove each of `shares`."""
    rows = []
    for name in table.statistics:
        t = table.thresholds.get(name)
        if t is None or t.spec.flag:
            continue
        for key in (t.spec.lower_key, t.spec.upper_key):
            if not key:
                continue
            now = t.values.get(key)
            removes = f"{share_removed(table, key, now):.1%}" if now is not None else "–"
            rows.append([key, plain(now) + ("" if t.on else " (off)"), removes]
                        + [plain(threshold_for_share(table, key, s)) for s in shares])
    return Markdown(markdown_table(["key", "in force", "removes alone"] + [f"removes {s:.0%}" for s in shares], rows))


@dataclass
class Removal:
    """What the quality filters remove with the run's thresholds and with candidates."""

    lang: str
    documents: int
    bytes: int
    rows: list[dict[str, Any]]
    removed_now: int
    removed_bytes_now: int
    removed_then: int
    removed_bytes_then: int
    newly_removed: list[str]
    newly_kept: list[str]

    def __str__(self) -> str:
        n, b = max(self.documents, 1), max(self.bytes, 1)
        head = (f"**{self.lang}**: {self.documents} documents, {self.bytes:,} bytes. The quality filters remove "
                f"{self.removed_now} ({self.removed_now / n:.1%} of documents, {self.removed_bytes_now / b:.1%} of bytes) "
                f"with the thresholds in force, {self.removed_then} ({self.removed_then / n:.1%}, "
                f"{self.removed_bytes_then / b:.1%} of bytes) with the candidates: {len(self.newly_removed)} newly "
                f"removed, {len(self.newly_kept)} newly kept.")
        table = markdown_table(["key", "in force", "removes alone", "candidate", "removes alone", "source"],
                                [[r["key"], plain(r["now"]), f"{r['share_now']:.1%}", plain(r["candidate"]),
                                  f"{r['share_candidate']:.1%}", r["source"]] for r in self.rows])
        return head + "\n\n" + table

    def _repr_markdown_(self) -> str:
        return str(self)


def removal(table: StatTable, candidates: dict[str, Any] | None = None) -> Removal:
    """Per threshold key, the share of documents it removes alone now and with the candidate; and
    what all the filters together remove now and with the candidates (from the stored statistics)."""
    candidates = {k: py(v) for k, v in (candidates or {}).items()}
    for key in candidates:
        if KEY_TO_STATISTIC.get(key) not in table.thresholds:
            raise TuningError(f"{table.lang}: {key!r} is not a threshold of this language's filters "
                              f"(known: {', '.join(k for t in table.thresholds.values() for k in t.spec.keys)})")
    rows = []
    for name, t in table.thresholds.items():
        if t.spec.flag or name not in table.statistics:
            continue
        for key in (t.spec.lower_key, t.spec.upper_key):
            if not key:
                continue
            now = t.values.get(key)
            cand = candidates.get(key, now)
            rows.append({"key": key, "now": now if t.on else None, "candidate": cand,
                         "share_now": share_removed(table, key, now) if (t.on and now is not None) else 0.0,
                         "share_candidate": share_removed(table, key, cand) if cand is not None and (t.on or key in candidates) else 0.0,
                         "source": t.sources.get(key, "") if t.on else f"off: {t.why}"})
    now_mask, then_mask = verdicts(table), verdicts(table, candidates)
    ids = np.array(table.ids, dtype=object)
    return Removal(table.lang, len(table), int(table.nbytes.sum()), rows, int(now_mask.sum()),
                   int(table.nbytes[now_mask].sum()), int(then_mask.sum()), int(table.nbytes[then_mask].sum()),
                   ids[then_mask & ~now_mask].tolist(), ids[now_mask & ~then_mask].tolist())


def summary(table: StatTable) -> Markdown:
    """A language's population at the quality stage: outcomes, and per statistic its spread, the
    threshold in force and the share that threshold removes alone."""
    outcomes: dict[str, int] = {}
    for r in table.reasons:
        outcomes[r or "kept"] = outcomes.get(r or "kept", 0) + 1
    head = (f"**{table.lang}** ({table.kind}) in {table.origin}: {len(table)} documents at the quality stage, "
            f"{int(table.nbytes.sum()):,} bytes; " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    if not table.compute_all:
        head += ". The run stopped at the first failing filter (compute_all: false): later statistics are censored"
    rows = []
    for name in table.statistics:
        x = table.values[name]
        v = x[np.isfinite(x)]
        t = table.thresholds.get(name)
        share = float(t.fails(v).mean()) if t is not None and len(v) else 0.0
        rows.append([name, len(v), fmt(float(np.percentile(v, 5))), fmt(float(np.median(v))),
                     fmt(float(np.percentile(v, 95))), t.describe() if t else "–", f"{share:.1%}"])
    return Markdown(head + "\n\n" + markdown_table(["statistic", "documents", "p5", "median", "p95", "threshold",
                                                     "removes alone"], rows))

