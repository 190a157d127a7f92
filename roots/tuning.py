"""Per-language filter tuning from a run's output, as BigScience tuned ROOTS's thresholds by looking at
the data: each quality statistic's distribution against the threshold in force, the documents just
inside and just outside it, the share a candidate threshold would remove, and writing chosen values
back to the `filters:` section of the language's file in a language-config overlay (a unified diff
first): a user's folder that a run config names with `language_configs:`, never the installed package.
`notebooks/filter_tuning.ipynb` calls these functions and holds no logic of its own.

The population of a language is what its quality stage saw: the documents the stage kept (the output
of the step that ran it) plus those it rejected, each with the statistics the stage stored in
`meta["quality"]` (and `meta["lid_score"]`, `meta["perplexity"]`). A run made with
`quality.compute_all: false` stops at the first failing filter, so its later statistics are censored.
"""
from __future__ import annotations

import datetime as _dt
import difflib
import json
import logging
import math
import os
import re
import tempfile
from dataclasses import dataclass, field, fields
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from roots.errors import RootsError
from roots.rundir import DOCUMENTS, REJECTED, find_shards, read_table

log = logging.getLogger(__name__)

QUALITY = "quality"
MANIFEST = "manifest.json"
#: The document steps in run order (the manifest stores steps by name, sorted); others follow.
STEP_ORDER = ("templates", "ingest", "curate", "dedup", "pii", "tokenizer", "megatron")
TUNED = "tuned by hand"
_TUNED_RE = re.compile(r"^tuned by hand on .*?; before: (?P<value>\S+) from (?P<source>.*)$", re.S)


class TuningError(RootsError):
    """A run, language or threshold the tuning functions cannot use; one line naming what and where."""


# --- what each statistic is and which config keys bound it ---------------------------------------


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
#: config key → the statistic it bounds.
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
        text = ", ".join(f"{k}={_plain(values.get(k))}" for k in self.spec.keys)
        return text if self.on or overrides else f"off ({self.why})" if self.why else "off"


# --- the statistics of one language ---------------------------------------------------------------


@dataclass
class StatTable:
    """The documents of one language that reached the quality stage, column by column: ids, sources,
    the rejection reason (`""` when the stage kept the document), UTF-8 bytes and every statistic
    (float64, NaN where not computed), with the thresholds the run applied."""

    lang: str
    kind: str
    ids: list[str]
    sources: list[str]
    reasons: list[str]
    nbytes: np.ndarray
    values: dict[str, np.ndarray]
    thresholds: dict[str, Threshold]
    origin: str
    run_name: str = ""
    compute_all: bool = True
    shards: list[str] = field(default_factory=list, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def removed(self) -> np.ndarray:
        """Documents the quality stage rejected."""
        return np.array([r.startswith(f"{QUALITY}:") for r in self.reasons], dtype=bool)

    @property
    def statistics(self) -> list[str]:
        """The statistics computed for at least one document, in ROOTS's filter order."""
        return [s.name for s in STATISTICS if s.name in self.values and np.isfinite(self.values[s.name]).any()]

    def threshold(self, statistic: str) -> Threshold:
        if statistic not in self.thresholds:
            raise TuningError(f"{self.origin}: {self.lang} has no filter on {statistic!r} "
                              f"(statistics: {', '.join(self.statistics)})")
        return self.thresholds[statistic]

    def texts(self, ids: Iterable[str]) -> dict[str, str]:
        """The texts of the documents `ids`, read from the shards (the statistics do not keep them)."""
        wanted = set(ids)
        out: dict[str, str] = {}
        for path in self.shards:
            table = read_table(path, ["id", "text"], ids=wanted)
            out.update(zip(table.column("id").to_pylist(), table.column("text").to_pylist()))
        return out

    def to_pandas(self):
        """The table as a pandas DataFrame (needs pandas)."""
        import pandas as pd

        data = {"id": self.ids, "source": self.sources, "reason": self.reasons, "bytes": self.nbytes}
        data.update({name: self.values[name] for name in self.statistics})
        return pd.DataFrame(data)


def _read_manifest(run_dir: str | os.PathLike) -> dict:
    path = os.path.join(run_dir, MANIFEST)
    if not os.path.isfile(path):
        raise TuningError(f"{run_dir}: no {MANIFEST} (not a run directory made by `roots run`)")
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def ordered_steps(manifest: dict) -> list[str]:
    """The manifest's steps in run order (it stores them by name)."""
    steps = list(manifest.get("steps", {}))
    return sorted(steps, key=lambda s: (STEP_ORDER.index(s) if s in STEP_ORDER else len(STEP_ORDER), s))


def _byte_lengths(texts: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return pc.fill_null(pc.binary_length(pc.cast(texts, pa.binary())), 0).to_numpy(zero_copy_only=False).astype(np.int64)


def _load_shard(path: str, rejected: bool) -> tuple[list[str], list[str], list[str], np.ndarray, list[str]]:
    """(ids, sources, reasons, bytes, meta JSON strings) of one shard."""
    t = read_table(path, ["id", "source", "meta", "text"] + (["reason"] if rejected else []))

    def strings(name: str) -> list[str]:   # a field a `roots filter` record lacks reads as ""
        return [v or "" for v in t.column(name).to_pylist()] if name in t.column_names else [""] * t.num_rows

    return (t.column("id").to_pylist(), strings("source"), strings("reason") if rejected else [""] * t.num_rows,
            _byte_lengths(t.column("text")) if "text" in t.column_names else np.zeros(t.num_rows, dtype=np.int64),
            t.column("meta").to_pylist() if "meta" in t.column_names else [None] * t.num_rows)


def _columns(metas: list[str], kind: str, lid_key: str) -> dict[str, np.ndarray]:
    """Every statistic of `kind` from the meta JSON strings, as float64 columns (NaN where absent)."""
    specs = [s for s in STATISTICS if s.kind == kind]
    out = {s.name: np.full(len(metas), np.nan) for s in specs}
    for i, raw in enumerate(metas):
        meta = orjson.loads(raw) if isinstance(raw, (str, bytes)) else (raw or {})
        q = meta.get(QUALITY) or {}
        for s in specs:
            key = lid_key if s.name == "lid_score" else s.name
            v = meta.get(key) if s.in_meta else q.get(key)
            if isinstance(v, bool):
                v = float(v)
            if isinstance(v, (int, float)) and math.isfinite(v):
                out[s.name][i] = v
    return out


def quality_scope(run_dir: str | os.PathLike, manifest: dict | None = None) -> tuple[str, str, list[str]]:
    """Where the quality stage's population lies: (its step, the folder holding the step's kept
    documents, the stages whose rejections count as kept by quality: quality itself and what followed
    it before those kept documents were written)."""
    manifest = manifest or _read_manifest(run_dir)
    steps = ordered_steps(manifest)
    for i, step in enumerate(steps):
        stages = manifest["steps"][step].get("stages", [])
        if QUALITY in stages:
            after = stages[stages.index(QUALITY):]
            own = os.path.join(run_dir, "steps", step)
            if os.path.isdir(os.path.join(own, "documents")):
                return step, own, after
            for later in steps[i + 1:]:  # the step's own output is gone: documents/ plus later rejections
                after += manifest["steps"][later].get("stages", [])
            return step, str(run_dir), after
    raise TuningError(f"{run_dir}: the run has no quality stage (its config has `quality: {{enabled: false}}` "
                      f"or predates the quality filters)")


def registry(language_configs: str | os.PathLike | None = None):
    """The packaged language configs with the overlay folder `language_configs` merged over them (None,
    or a folder not made yet: as shipped)."""
    from roots.languages import load_registry

    if language_configs and os.path.isdir(language_configs):
        return load_registry(overlay=language_configs)
    return load_registry()


def default_overlay(run_dir: str | os.PathLike | None = None) -> str:
    """Where tuned thresholds go when no folder is given: the overlay the run used (its config's
    `language_configs:`), else `language_configs/` in the current folder."""
    if run_dir:
        used = (_read_manifest(run_dir).get("config") or {}).get("language_configs")
        if used:
            return str(used)
    return os.path.abspath("language_configs")


def run_overlay(manifest: dict) -> str | None:
    """The overlay folder a run used (its manifest's config), when it still exists."""
    used = (manifest.get("config") or {}).get("language_configs")
    return used if used and os.path.isdir(used) else None


def _lang_config(lang: str, language_configs: str | os.PathLike | None):
    found = registry(language_configs)
    return found.get(lang) if lang in found else None


def config_filters(lang: str, language_configs: str | os.PathLike | None = None, overrides: dict | None = None):
    """The language config's filters now (parsed, with each value's source; the overlay folder
    `language_configs` merged over the packaged configs), with a run config's `quality.languages`
    overrides on top; ROOTS's defaults for a language outside the registry."""
    from roots.filters.params import NaturalFilters, parse_filters

    config = _lang_config(lang, language_configs)
    if config is None:
        return NaturalFilters(sources={"*": "ROOTS default (language not in the registry)"})
    return parse_filters(config, overrides, "run config: quality.languages")


def thresholds_from_policy(lang: str, policy: dict, language_configs: str | os.PathLike | None = None,
                           overrides: dict | None = None) -> dict[str, Threshold]:
    """The thresholds of `lang` from a quality stage report (the manifest's `quality_policy` or
    `roots filter --report`): values in force, on or off, and where each value came from. The
    report gives sources only when made with them; otherwise they are read from the language config,
    and a value the config no longer holds is marked as such."""
    entry = policy.get("languages", {}).get(lang)
    if entry is None:
        known = ", ".join(sorted(policy.get("languages", {})))
        raise TuningError(f"the quality report has no language {lang!r} (it has: {known})")
    kind = entry.get("kind", "natural")
    params = config_filters(lang, language_configs, overrides)
    now = {f.name: getattr(params, f.name) for f in fields(params) if f.name != "sources"}
    sources = params.sources
    out: dict[str, Threshold] = {}
    for spec in STATISTICS:
        if spec.kind != kind or spec.filter not in entry.get("filters", {}):
            continue
        f = entry["filters"][spec.filter]
        values, where = {}, {}
        for key in spec.keys:
            recorded = (f.get("source") or {}).get(key)
            if key in f:
                values[key] = f[key]
                current = now.get(key)
                src = sources.get(key, sources.get("*", ""))
                if recorded:
                    where[key] = recorded
                elif current == f[key] or (current is not None and f[key] is not None
                                           and not isinstance(current, bool)
                                           and math.isclose(float(current), float(f[key]))):
                    where[key] = src
                else:
                    where[key] = (f"not recorded in the run; the language config now gives {_plain(current)} "
                                  f"({src})")
            else:  # the filter was off: the value configured, for reference
                values[key] = now.get(key)
                where[key] = sources.get(key, sources.get("*", ""))
        out[spec.name] = Threshold(spec, values, bool(f.get("on")), f.get("why", ""), where)
    return out


def load_statistics(run_dir: str | os.PathLike, lang: str,
                    language_configs: str | os.PathLike | None = None) -> StatTable:
    """The statistics of `lang` in a run directory (see the module docstring for which documents); the
    thresholds' sources from the overlay `language_configs` (default: the one the run used)."""
    run_dir = str(run_dir)
    manifest = _read_manifest(run_dir)
    language_configs = language_configs or run_overlay(manifest)
    step, kept_root, stages = quality_scope(run_dir, manifest)
    info = manifest["steps"][step]
    policy = info.get(f"{QUALITY}_policy")
    if not policy:
        raise TuningError(f"{run_dir}: step {step} has no quality_policy in the manifest")
    languages = sorted(policy.get("languages", {}))
    counts = info.get("counts", {}).get(QUALITY, {})
    if lang not in counts:
        have = ", ".join(sorted(counts)) or "none"
        raise TuningError(f"{run_dir}: no document of language {lang!r} reached the quality stage (languages: {have})")
    if lang not in languages:
        raise TuningError(f"{run_dir}: the quality report has no language {lang!r}")
    qconfig = manifest.get("config", {}).get(QUALITY, {}) or {}
    overrides = (qconfig.get("languages") or {}).get(lang)
    thresholds = thresholds_from_policy(lang, policy, language_configs, overrides)
    kind = policy["languages"][lang].get("kind", "natural")
    kept_files = find_shards(kept_root, DOCUMENTS, lang)
    # Rejections of the stages after quality (dedup, ... once steps/ is gone) passed the quality stage:
    # they count as kept there.
    rejected_files = [(p, s == QUALITY) for s in stages
                      for p in find_shards(run_dir, REJECTED, lang, s)]
    table = _build(lang, kind, [(p, False) for p in kept_files] + rejected_files,
                   thresholds, run_dir, qconfig.get("lid_score_key", "lid_score"))
    table.run_name = _run_name(manifest)
    table.compute_all = bool(policy.get("compute_all", True))
    expected = counts[lang]["input"]["docs"]
    if len(table) != expected:
        log.warning("%s: %d documents of %s found in the shards, the manifest counts %d at the quality stage",
                    run_dir, len(table), lang, expected)
    return table


def load_filter_output(kept: str, rejected: str, lang: str, report: str | None = None,
                       language_configs: str | os.PathLike | None = None) -> StatTable:
    """The statistics of a sample of a source filtered by `roots filter` (its --output and --rejected
    JSON Lines; --report gives the thresholds it applied, else the language config's are used)."""
    if report:
        with open(report, encoding="utf-8") as fh:
            policy = json.load(fh)[QUALITY]
    else:
        from roots.filters.quality import Quality

        policy = Quality(registry=registry(language_configs)).report([lang], sources=True)
    thresholds = thresholds_from_policy(lang, policy, language_configs)
    kind = policy["languages"][lang].get("kind", "natural")
    for path in (kept, rejected):
        if not os.path.isfile(path):
            raise TuningError(f"{path}: no such file")
    table = _build(lang, kind, [(kept, False), (rejected, True)], thresholds, f"{kept} + {rejected}", "lid_score")
    keep = [i for i, r in enumerate(table.reasons) if not r or r.startswith(f"{QUALITY}:")]
    if len(keep) < len(table):  # rejected before the quality stage (normalise): no statistics
        _select(table, np.array(keep, dtype=np.int64))
    table.compute_all = bool(policy.get("compute_all", True))
    return table


def _build(lang: str, kind: str, files: list[tuple[str, bool]], thresholds: dict[str, Threshold], origin: str,
           lid_key: str) -> StatTable:
    ids: list[str] = []
    sources: list[str] = []
    reasons: list[str] = []
    sizes: list[np.ndarray] = []
    metas: list[str] = []
    for path, rejected in files:
        i, s, r, b, m = _load_shard(path, rejected)
        ids += i
        sources += s
        reasons += r
        sizes.append(b)
        metas += m
    nbytes = np.concatenate(sizes) if sizes else np.zeros(0, dtype=np.int64)
    table = StatTable(lang, kind, ids, sources, reasons, nbytes, _columns(metas, kind, lid_key), thresholds, origin,
                      shards=[p for p, _ in files])
    order = np.array(sorted(range(len(ids)), key=ids.__getitem__), dtype=np.int64)  # stable: by id
    _select(table, order)
    return table


def _select(table: StatTable, rows: np.ndarray) -> None:
    table.ids = [table.ids[i] for i in rows]
    table.sources = [table.sources[i] for i in rows]
    table.reasons = [table.reasons[i] for i in rows]
    table.nbytes = table.nbytes[rows]
    table.values = {k: v[rows] for k, v in table.values.items()}


def _run_name(manifest: dict) -> str:
    name = manifest.get("config", {}).get("name", "")
    digest = str(manifest.get("config_hash", ""))[:12]
    return f"{name} (config {digest})" if digest else name


# --- looking at one statistic --------------------------------------------------------------------


def _markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    def cell(v: Any) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


class Markdown(str):
    """Text that notebooks display as Markdown."""

    def _repr_markdown_(self) -> str:
        return str(self)


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _candidate_values(table: StatTable, statistic: str, candidate: Any) -> dict[str, Any] | None:
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


def new_figure(width: float, height: float):
    """A matplotlib Figure that draws with Agg whatever pyplot's backend (no global state touched);
    a one-line error naming the extra to install when matplotlib is missing."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise RootsError("plots need matplotlib: pip install 'roots[notebooks]'") from None
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


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
                           label=f"{key} = {_plain(value)}" + ("" if t.on else " (off)"))
    cand = _candidate_values(table, statistic, candidate) or {}
    for key, value in cand.items():
        if key in spec.keys and value is not None:
            ax.axvline(value, color="#DD8452", linewidth=1.6, linestyle="--", label=f"candidate {key} = {_plain(value)}")
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
            parts.append(_markdown_table(["id", "value", "outcome", "text"],
                                         [[e.id, _fmt(e.value), e.reason or "kept", e.excerpt] for e in rows])
                         if rows else "(none)")
        return "\n".join(parts)


def near_threshold(table: StatTable, statistic: str, k: int = 3, candidate: Any = None,
                   excerpt_chars: int = 240) -> NearThreshold:
    """The `k` documents closest to the bounds on each side, for the run's threshold or a candidate."""
    t = table.threshold(statistic)
    if t.spec.flag:
        raise TuningError(f"{statistic} is a yes/no statistic; it has no threshold to look near")
    cand = _candidate_values(table, statistic, candidate)
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

    label = ", ".join(f"{key}={_plain(values.get(key))}" for key in t.spec.keys)
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
            rows.append([key, _plain(now) + ("" if t.on else " (off)"), removes]
                        + [_plain(threshold_for_share(table, key, s)) for s in shares])
    return Markdown(_markdown_table(["key", "in force", "removes alone"] + [f"removes {s:.0%}" for s in shares], rows))


# --- what a candidate would remove ---------------------------------------------------------------


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
        table = _markdown_table(["key", "in force", "removes alone", "candidate", "removes alone", "source"],
                                [[r["key"], _plain(r["now"]), f"{r['share_now']:.1%}", _plain(r["candidate"]),
                                  f"{r['share_candidate']:.1%}", r["source"]] for r in self.rows])
        return head + "\n\n" + table

    def _repr_markdown_(self) -> str:
        return str(self)


def removal(table: StatTable, candidates: dict[str, Any] | None = None) -> Removal:
    """Per threshold key, the share of documents it removes alone now and with the candidate; and
    what all the filters together remove now and with the candidates (from the stored statistics)."""
    candidates = {k: _py(v) for k, v in (candidates or {}).items()}
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
        rows.append([name, len(v), _fmt(float(np.percentile(v, 5))), _fmt(float(np.median(v))),
                     _fmt(float(np.percentile(v, 95))), t.describe() if t else "–", f"{share:.1%}"])
    return Markdown(head + "\n\n" + _markdown_table(["statistic", "documents", "p5", "median", "p95", "threshold",
                                                     "removes alone"], rows))


# --- writing thresholds back to the language config ----------------------------------------------


def _py(value: Any) -> Any:
    """numpy scalars as plain Python values."""
    return value.item() if isinstance(value, np.generic) else value


def _plain(value: Any) -> str:
    """A value as YAML writes it plainly: null, true, 20, 0.25 (never 2.5e-01)."""
    value = _py(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TuningError(f"threshold {value!r} is not a finite number")
        text = format(Decimal(repr(value)), "f")
        return text
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_plain(v) for v in value) + "]"
    if isinstance(value, str):
        return _quoted(value)
    return str(value)


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class Proposal:
    """New values for a language config's `filters:` section: the file, its text before and after,
    and the changes (key → (before, after)). Nothing is written until `apply_thresholds`."""

    lang: str
    path: str
    old_text: str
    new_text: str
    changes: dict[str, tuple[Any, Any]]

    @property
    def diff(self) -> str:
        """The unified diff of the change (empty when nothing changes)."""
        return "".join(difflib.unified_diff(self.old_text.splitlines(True), self.new_text.splitlines(True),
                                            fromfile=self.path, tofile=self.path))

    def _repr_markdown_(self) -> str:
        return f"```diff\n{self.diff}```" if self.diff else f"{self.path}: no change"


_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:(.*)$")


def _section_span(lines: list[str], name: str) -> tuple[int, int] | None:
    """(first body line, end) of a top-level block mapping `name:` (end excludes trailing blank lines)."""
    for i, line in enumerate(lines):
        m = _TOP_KEY.match(line)
        if m and m.group(1) == name:
            rest = m.group(2).split("#", 1)[0].strip()
            if rest:
                raise TuningError(f"section {name!r} is written in flow style ({rest[:20]}...); "
                                  f"write it as a block (one key a line) to edit it")
            end = i + 1
            while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t"):
                end += 1
            while end > i + 1 and not lines[end - 1].strip():
                end -= 1
            return i + 1, end
    return None


def _entries(lines: list[str], start: int, end: int) -> tuple[str, dict[str, tuple[int, int]]]:
    """The indentation of a section's entries and each key's (first line, end line)."""
    indent = None
    for line in lines[start:end]:
        if line.strip() and not line.lstrip().startswith("#"):
            indent = line[: len(line) - len(line.lstrip())]
            break
    indent = indent or "  "
    spans: dict[str, tuple[int, int]] = {}
    entry = re.compile(rf"^{re.escape(indent)}([A-Za-z_]\w*)\s*:")
    i = start
    while i < end:
        m = entry.match(lines[i])
        if not m:
            i += 1
            continue
        j = i + 1
        while j < end and (not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > len(indent)):
            j += 1
        while j > i + 1 and not lines[j - 1].strip():
            j -= 1
        spans[m.group(1)] = (i, j)
        i = j
    return indent, spans


def _tuned_source(date: str, run: str, old_value: Any, old_source: str) -> str:
    """The source note of a value tuned by hand; a retune keeps the value and source from before any tuning."""
    m = _TUNED_RE.match(old_source or "")
    before, origin = (m.group("value"), m.group("source")) if m else (_plain(old_value), old_source)
    on = f" on run {run}" if run else ""
    return f"{TUNED} on {date} with roots.tuning{on}; before: {before} from {origin}"


def _overlay_file(lang: str, language_configs: str | os.PathLike | None, run_dir: str | os.PathLike | None) -> str:
    """`<overlay>/<lang>.yaml`, refused when it lies inside the installed package (its configs are
    replaced by every upgrade and shared by every user: tuned values go to a user's overlay)."""
    from roots.languages import is_packaged

    folder = os.path.abspath(language_configs or default_overlay(run_dir))
    if is_packaged(folder):
        raise TuningError(f"{folder}: inside the installed roots package; tuned thresholds go to an overlay folder "
                          f"of your own (name it with `language_configs:` in the run config)")
    return os.path.join(folder, f"{lang}.yaml")


def propose_thresholds(lang: str, values: dict[str, Any], language_configs: str | os.PathLike | None = None,
                       run_dir: str | None = None, today: _dt.date | str | None = None) -> Proposal:
    """New `filters:` values for `lang` in its file of the overlay folder `language_configs` (default:
    `default_overlay(run_dir)`; the file is made when missing), each with its source note updated to say
    it was tuned by hand (when, on which run, and what it was before). Only those entries change; the
    new text is validated (merged over the packaged config it loads, the values parse to what was
    asked, every other key is untouched)."""
    from roots.filters.params import CodeFilters, NaturalFilters

    path = _overlay_file(lang, language_configs, run_dir)
    overlay = os.path.dirname(path)
    config = _lang_config(lang, overlay)
    if config is None:
        raise TuningError(f"unknown language {lang!r} in the registry (packaged configs + overlay {overlay})")
    old_text = Path(path).read_text(encoding="utf-8") if os.path.isfile(path) else ""
    cls = CodeFilters if config.is_code else NaturalFilters
    known = [f.name for f in fields(cls) if f.name != "sources"]
    values = {k: _py(v) for k, v in values.items()}
    for key in values:
        if key not in known:
            raise TuningError(f"{path}: key 'filters.{key}' is not a filter setting of a {config.kind} language "
                              f"(known: {', '.join(known)})")
    section = config.sections.get("filters", {})
    current = config_filters(lang, overlay)
    run = _run_name(_read_manifest(run_dir)) if run_dir else ""
    date = (today if isinstance(today, str) else (today or _dt.date.today()).isoformat())

    lines = old_text.splitlines(True) or [
        f"# {config.name} ({lang}): keys merged over the packaged language config (see roots/languages.py,\n",
        "# overlays); written by roots.tuning.\n"]
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    span = _section_span(lines, "filters")
    if span is None:
        lines += ["filters:  # quality filters (filters/quality.py, filters/params.py): value and source of each\n"]
        span = (len(lines), len(lines))
    indent, spans = _entries(lines, *span)
    changes: dict[str, tuple[Any, Any]] = {}
    replaced: dict[int, tuple[int, str]] = {}   # first line → (end line, new line)
    appended: list[str] = []
    for key in sorted(values, key=known.index):
        new = values[key]
        old = getattr(current, key)
        raw = section.get(key)
        if isinstance(raw, dict):
            old_value, old_source = raw.get("value"), raw.get("source", "") or "language config"
        elif key in section:
            old_value, old_source = raw, "language config"
        else:
            old_value, old_source = old, current.sources.get(key, "")
        if _same(old_value, new):
            continue
        changes[key] = (old_value, new)
        line = f"{indent}{key}: {{value: {_plain(new)}, source: {_quoted(_tuned_source(date, run, old_value, old_source))}}}\n"
        if key in spans:
            replaced[spans[key][0]] = (spans[key][1], line)
        else:
            appended.append(line)
    out: list[str] = []
    i = 0
    while i < len(lines):
        if i in replaced:
            end, line = replaced[i]
            out.append(line)
            i = end
            continue
        if i == span[1] and appended:
            out += appended
            appended = []
        out.append(lines[i])
        i += 1
    out += appended
    new_text = "".join(out) if changes else old_text   # no change: not even a new file's header
    proposal = Proposal(lang, path, old_text, new_text, changes)
    if changes:
        _validate(proposal, values)
    return proposal


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a is b or a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return a == b


def _validate(proposal: Proposal, values: dict[str, Any]) -> None:
    """The new text loads merged over the packaged config, holds the values asked for, and differs from
    the old only in those entries."""
    from roots.filters.params import parse_filters
    from roots.languages import LanguageConfigError, default_directory, load_layered

    shipped = default_directory() / f"{proposal.lang}.yaml"
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / Path(proposal.path).name
        probe.write_text(proposal.new_text, encoding="utf-8")
        try:
            new = parse_filters(load_layered(shipped if shipped.is_file() else None, probe))
        except LanguageConfigError as err:
            raise TuningError(f"{proposal.path}: the new values do not validate: {str(err).split(': ', 1)[-1]}") from None
    for key in proposal.changes:
        got = getattr(new, key)
        if not _same(got if not isinstance(got, tuple) else list(got), values[key]):
            raise TuningError(f"{proposal.path}: filters.{key} would read {got!r}, not {values[key]!r}")
    old_data, new_data = yaml.safe_load(proposal.old_text) or {}, yaml.safe_load(proposal.new_text) or {}
    old_filters, new_filters = old_data.pop("filters", {}) or {}, new_data.pop("filters", {}) or {}
    if old_data != new_data or any(old_filters.get(k) != new_filters.get(k)
                                   for k in set(old_filters) | set(new_filters) if k not in proposal.changes):
        raise TuningError(f"{proposal.path}: the edit would touch more than filters.{', filters.'.join(proposal.changes)}")


def apply_thresholds(proposal: Proposal, confirm: bool = True) -> str:
    """Write a proposal to its overlay file (atomically; the folder made when missing), unless `confirm`
    is false or it changes nothing; refuses a file inside the installed package, and a file that changed
    since the proposal was made. Returns what was done."""
    if not proposal.changes:
        return f"{proposal.path}: no change"
    if not confirm:
        return f"{proposal.path}: not written (confirm is false); {len(proposal.changes)} value(s) proposed"
    from roots.languages import is_packaged, load_registry

    if is_packaged(proposal.path):
        raise TuningError(f"{proposal.path}: inside the installed roots package; tuned thresholds go to an "
                          "overlay folder of your own (name it with `language_configs:` in the run config)")
    current = Path(proposal.path).read_text(encoding="utf-8") if os.path.isfile(proposal.path) else ""
    if current != proposal.old_text:
        raise TuningError(f"{proposal.path}: the file changed since the diff was made; propose the values again")
    os.makedirs(os.path.dirname(proposal.path), exist_ok=True)
    tmp = f"{proposal.path}.tmp-{os.getpid()}"
    Path(tmp).write_text(proposal.new_text, encoding="utf-8")
    os.replace(tmp, proposal.path)
    load_registry.cache_clear()
    changed = ", ".join(f"{k}: {_plain(a)} → {_plain(b)}" for k, (a, b) in proposal.changes.items())
    log.info("%s: wrote %s", proposal.path, changed)
    return f"{proposal.path}: wrote {changed}"


def write_thresholds(lang: str, values: dict[str, Any], language_configs: str | os.PathLike | None = None,
                     run_dir: str | None = None, today: _dt.date | str | None = None) -> Proposal:
    """Propose and apply in one call (the diff is in the returned proposal); see `propose_thresholds`
    for where the values go."""
    proposal = propose_thresholds(lang, values, language_configs, run_dir, today)
    apply_thresholds(proposal)
    return proposal
