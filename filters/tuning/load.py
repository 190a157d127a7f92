"""Loading a language's population at the quality stage from a run directory (or from `roots filter`
output): the documents' statistics column by column (`StatTable`), and the thresholds in force with
where each value came from (the run's quality report, the language configs and their overlay)."""
from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import dataclass, field, fields
from typing import Iterable

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from roots.rundir import DOCUMENTS, MANIFEST, REJECTED, find_shards, read_table
from roots.stats import ordered_steps
from roots.filters.tuning.specs import QUALITY, STATISTICS, Threshold, TuningError, plain

log = logging.getLogger(__name__)


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


def read_manifest(run_dir: str | os.PathLike) -> dict:
    path = os.path.join(run_dir, MANIFEST)
    if not os.path.isfile(path):
        raise TuningError(f"{run_dir}: no {MANIFEST} (not a run directory made by `roots run`)")
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


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
    manifest = manifest or read_manifest(run_dir)
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
        used = (read_manifest(run_dir).get("config") or {}).get("language_configs")
        if used:
            return str(used)
    return os.path.abspath("language_configs")


def run_overlay(manifest: dict) -> str | None:
    """The overlay folder a run used (its manifest's config), when it still exists."""
    used = (manifest.get("config") or {}).get("language_configs")
    return used if used and os.path.isdir(used) else None


def lang_config(lang: str, language_configs: str | os.PathLike | None):
    found = registry(language_configs)
    return found.get(lang) if lang in found else None


def config_filters(lang: str, language_configs: str | os.PathLike | None = None, overrides: dict | None = None):
    """The language config's filters now (parsed, with each value's source; the overlay folder
    `language_configs` merged over the packaged configs), with a run config's `quality.languages`
    overrides on top; ROOTS's defaults for a language outside the registry."""
    from roots.filters.params import NaturalFilters, parse_filters

    config = lang_config(lang, language_configs)
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
                    where[key] = (f"not recorded in the run; the language config now gives {plain(current)} "
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
    manifest = read_manifest(run_dir)
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
    table.run_name = run_name(manifest)
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
        select_rows(table, np.array(keep, dtype=np.int64))
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
    select_rows(table, order)
    return table


def select_rows(table: StatTable, rows: np.ndarray) -> None:
    table.ids = [table.ids[i] for i in rows]
    table.sources = [table.sources[i] for i in rows]
    table.reasons = [table.reasons[i] for i in rows]
    table.nbytes = table.nbytes[rows]
    table.values = {k: v[rows] for k, v in table.values.items()}


def run_name(manifest: dict) -> str:
    name = manifest.get("config", {}).get("name", "")
    digest = str(manifest.get("config_hash", ""))[:12]
    return f"{name} (config {digest})" if digest else name

