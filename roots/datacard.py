"""The data card of a run: a Hugging Face dataset card (`README.md` with its YAML metadata block) that
says what is in the corpus — sources and licences; per language the documents, bytes and tokens in,
kept and removed by each reason; dedup clusters; PII spans by type; the tokenizer and the binaries —
with PNG plots (bytes per language, the removal waterfall). Counts come straight from the manifest; a
step or stage the run did not have is said to be absent, never printed as zeros. The core reads no
filter: a layer above it adds its own part as a `Section` (heading, Markdown, plots), as the quality
filters' thresholds and statistics do from `roots.filters.tuning.card`. `roots datacard RUN_DIR` writes
the whole card; `notebooks/corpus_overview.ipynb` shows the same pieces."""
from __future__ import annotations

import glob
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson
import yaml

from roots.display import Markdown, new_figure
from roots.display import markdown_table as _markdown_table, plain as _plain
from roots.errors import RootsError
from roots.rundir import (DOCUMENTS, LANG_FOLDER_GLOB, MANIFEST, REJECTED, find_shards, lang_folder, partition_dir,
                          read_table, shards_by_language)
from roots.stats import ordered_steps

CARD = "README.md"
DEFAULT_DIR = "datacard"
PLOT_BYTES = "bytes_per_language.png"
PLOT_WATERFALL = "removal_waterfall.png"
UNKNOWN = "und"
#: Hugging Face's size categories (number of examples), upper bounds exclusive.
SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                   (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B"),
                   (10_000_000_000, "1B<n<10B"), (100_000_000_000, "10B<n<100B"), (1_000_000_000_000, "100B<n<1T"))
#: Licence identifiers the Hub knows (https://hf.co/docs/hub/repositories-licenses), lowercase SPDX
#: where SPDX has one; the SPDX spellings that differ are mapped in LICENCE_ALIASES.
HF_LICENCES = frozenset("""apache-2.0 mit openrail bigscience-openrail-m creativeml-openrail-m bigscience-bloom-rail-1.0
bigcode-openrail-m afl-3.0 artistic-2.0 bsl-1.0 bsd bsd-2-clause bsd-3-clause bsd-3-clause-clear c-uda cc cc0-1.0
cc-by-2.0 cc-by-2.5 cc-by-3.0 cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0 cc-by-nc-3.0 cc-by-nc-4.0
cc-by-nd-4.0 cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0 cc-by-nc-sa-3.0 cc-by-nc-sa-4.0 cdla-sharing-1.0
cdla-permissive-1.0 cdla-permissive-2.0 wtfpl ecl-2.0 epl-1.0 epl-2.0 etalab-2.0 eupl-1.1 eupl-1.2 agpl-3.0 gfdl
gpl gpl-2.0 gpl-3.0 lgpl lgpl-2.1 lgpl-3.0 isc lppl-1.3c ms-pl mpl-2.0 odc-by odbl osl-3.0 postgresql ofl-1.1
ncsa unlicense zlib pddl other unknown""".split())
LICENCE_ALIASES = {"odc-by-1.0": "odc-by", "odbl-1.0": "odbl", "pddl-1.0": "pddl", "0bsd": "bsd",
                   "gpl-3.0-only": "gpl-3.0", "gpl-3.0-or-later": "gpl-3.0", "gpl-2.0-only": "gpl-2.0",
                   "gpl-2.0-or-later": "gpl-2.0", "lgpl-3.0-only": "lgpl-3.0", "lgpl-2.1-only": "lgpl-2.1",
                   "agpl-3.0-only": "agpl-3.0", "agpl-3.0-or-later": "agpl-3.0", "bsl-1.0": "bsl-1.0"}
_DEDUP = "dedup"
_ABSENT = {
    "lid": "No language-identification stage in this run (its config has no `lid:` section): each document's "
           "language is the one its source declares.",
    _DEDUP: "No dedup step in this run: exact and near duplicates were not removed.",
    "pii": "No PII step in this run: personal information was not redacted.",
    "tokenizer": "No tokenizer step in this run.",
    "megatron": "No Megatron binaries in this run.",
}


class DataCardError(RootsError):
    """A folder the card cannot be made from; names the folder and what is missing."""


# --- reading the run -------------------------------------------------------------------------------


@dataclass
class Run:
    """A run directory as the card reads it: the manifest, its complete steps in run order, and every
    stage of those steps in order with its counts ({lang: {input, kept, rejected: {reason: ...}}})."""

    path: str
    manifest: dict
    steps: list[str]
    stages: list[tuple[str, str]]
    incomplete: list[str] = field(default_factory=list)

    @property
    def config(self) -> dict:
        return self.manifest.get("config", {})

    def step(self, name: str) -> dict | None:
        """A complete step's manifest entry, None when the run has no such step."""
        return self.manifest["steps"][name] if name in self.steps else None

    def counts(self, stage: str) -> dict[str, Any]:
        for step, name in self.stages:
            if name == stage:
                return self.manifest["steps"][step]["counts"][name]
        return {}

    def has_stage(self, stage: str) -> bool:
        return any(name == stage for _, name in self.stages)

    @property
    def stage_names(self) -> list[str]:
        return [name for _, name in self.stages]

    @property
    def languages(self) -> list[str]:
        """Every language seen at any stage, natural languages first, then code, `und` last."""
        langs = {lang for _, stage in self.stages for lang in self.counts(stage)}
        return sorted(langs, key=lambda c: (c == UNKNOWN, c.startswith("code-"), c))

    @property
    def final_counts(self) -> dict[str, Any]:
        return self.counts(self.stages[-1][1]) if self.stages else {}


def load_run(run_dir: str | os.PathLike) -> Run:
    """Read a run directory's manifest (a DataCardError when there is none)."""
    run_dir = str(run_dir)
    path = os.path.join(run_dir, MANIFEST)
    if not os.path.isfile(path):
        raise DataCardError(f"{run_dir}: no {MANIFEST}; give the folder a `roots run` wrote")
    from roots.rundir import read_json

    manifest = read_json(path)
    if not isinstance(manifest.get("steps"), dict):
        raise DataCardError(f"{path}: no `steps` in the manifest")
    ordered = ordered_steps(manifest)
    complete = [s for s in ordered if manifest["steps"][s].get("status") == "complete"]
    incomplete = [s for s in ordered if s not in complete]
    stages = [(step, stage) for step in complete for stage in manifest["steps"][step].get("stages", [])
              if stage in manifest["steps"][step].get("counts", {})]
    if not stages:
        raise DataCardError(f"{path}: no complete document step; run `roots run` to the end first")
    return Run(run_dir, manifest, complete, stages, incomplete)


def _registry(overlay: str | None = None):
    """The language registry of a run: the packaged configs, with the run's `language_configs` overlay
    over them when that folder is still there (a language only the overlay has is then named too)."""
    from roots.languages import load_registry

    try:
        return load_registry(overlay=overlay if overlay and os.path.isdir(overlay) else None)
    except RootsError:
        return None


def language_name(code: str, overlay: str | None = None) -> str:
    if code == UNKNOWN:
        return "undetermined"
    registry = _registry(overlay)
    return registry.get(code).name if registry is not None and code in registry else code


def hf_language(code: str) -> str | None:
    """The Hub's language tag of a registry code: ISO 639-1 where there is one (our registry uses it),
    else ISO 639-3; the script subtag dropped (zh-Hans → zh); `code` for programming languages."""
    if code == UNKNOWN or not code:
        return None
    if code.startswith("code-"):
        return "code"
    return code.split("-")[0].lower()


def hf_licence(licence: str | None) -> str:
    """A source licence (SPDX) as the Hub's licence identifier; `other` when the Hub has none for it."""
    if not licence:
        return "unknown"
    key = licence.strip().lower()
    key = LICENCE_ALIASES.get(key, key)
    return key if key in HF_LICENCES else "other"


def size_category(n: int) -> str:
    for bound, name in SIZE_CATEGORIES:
        if n < bound:
            return name
    return "n>1T"


def reason_descriptions(config: dict | None = None) -> dict[str, str]:
    """Every known rejection reason's description: the built-in stages' (roots.reasons) and those the
    run's own stages declared (recorded in its config, `stages.entries[].reasons`)."""
    from roots.reasons import REASONS

    known = {code: r.description for code, r in REASONS.items()}
    for entry in ((config or {}).get("stages") or {}).get("entries", ()):
        known.update((code, text) for code, text in entry.get("reasons", ()))
    return known


# --- the numbers ---------------------------------------------------------------------------------


@dataclass
class LanguageFlow:
    """One language through the run, from the manifest: what entered at the first stage, what changed
    language between stages (LID deciding a multilingual source's documents), what each stage removed
    by reason, and what the last stage kept; tokens from the binaries."""

    code: str
    input_docs: int
    input_bytes: int
    relabelled_docs: int
    removed: dict[str, dict[str, dict[str, int]]]   # stage → reason → {docs, bytes}
    kept_docs: int
    kept_bytes: int
    tokens: int | None

    @property
    def removed_docs(self) -> int:
        return sum(v["docs"] for reasons in self.removed.values() for v in reasons.values())


def language_flows(run: Run) -> list[LanguageFlow]:
    """A LanguageFlow per language; `kept = input + relabelled - removed` in documents, exactly."""
    zero = {"docs": 0, "bytes": 0}
    megatron = run.step("megatron") or {}
    tokens = {lang: info.get("tokens") for lang, info in megatron.get("languages", {}).items()}
    out = []
    for lang in run.languages:
        cells = [run.counts(stage).get(lang) for stage in run.stage_names]
        first = cells[0] or {"input": zero}
        relabelled = 0
        for before, after in zip(cells, cells[1:]):
            relabelled += (after or {"input": zero})["input"]["docs"] - (before or {"kept": zero})["kept"]["docs"]
        removed = {stage: dict(cell["rejected"]) for stage, cell in zip(run.stage_names, cells)
                   if cell and cell["rejected"]}
        last = cells[-1] or {"kept": zero}
        out.append(LanguageFlow(lang, first["input"]["docs"], first["input"]["bytes"], relabelled, removed,
                                last["kept"]["docs"], last["kept"]["bytes"],
                                tokens.get(lang) if megatron else None))
    return out


def stage_totals(run: Run, stage: str) -> dict[str, Any]:
    """A stage's documents and bytes in, kept and rejected (by reason), over all languages."""
    out = {"input": {"docs": 0, "bytes": 0}, "kept": {"docs": 0, "bytes": 0}, "rejected": {}}
    for cell in run.counts(stage).values():
        for part in ("input", "kept"):
            for unit in ("docs", "bytes"):
                out[part][unit] += cell[part][unit]
        for reason, v in cell["rejected"].items():
            r = out["rejected"].setdefault(reason, {"docs": 0, "bytes": 0})
            r["docs"] += v["docs"]
            r["bytes"] += v["bytes"]
    return out


def source_counts(run: Run) -> dict[str, int] | None:
    """Kept documents per source, counted in the final shards (the manifest counts per language only)."""
    files = find_shards(run.path, DOCUMENTS)
    if not files:
        return None
    counter: Counter[str] = Counter()
    for path in files:
        counter.update(read_table(path, ["source"]).column("source").to_pylist())
    return dict(counter)


def dedup_clusters(run: Run) -> dict[str, dict[str, int]]:
    """Per language: duplicate clusters (each keeps one document), documents removed as duplicates and
    the largest cluster's size, from the `dedup_cluster` meta key of the dedup stage's rejections."""
    out: dict[str, dict[str, int]] = {}
    for lang, paths in sorted(shards_by_language(os.path.join(run.path, REJECTED, f"stage={_DEDUP}")).items()):
        sizes: Counter[str] = Counter()
        for path in paths:
            for meta in read_table(path, ["meta"]).column("meta").to_pylist():
                cluster = orjson.loads(meta).get("dedup_cluster")
                if cluster is not None:
                    sizes[str(cluster)] += 1
        if sizes:
            out[lang] = {"clusters": len(sizes), "duplicates": sum(sizes.values()),
                         "largest": max(sizes.values()) + 1}
    return out


# --- the metadata block --------------------------------------------------------------------------


def _shard_ext(run: Run) -> str:
    return "jsonl" if run.config.get("output_format") == "jsonl" else "parquet"


def run_prefix(run: Run, card_dir: str | os.PathLike | None) -> str:
    """The run directory as seen from the card's folder, with `/` separators (`..` for the default
    RUN/datacard, `` for a card written into RUN): Hugging Face resolves a card's `configs` paths against
    the folder that holds README.md, and a relative path keeps the card valid when the run is copied."""
    if card_dir is None:
        return ""
    rel = os.path.relpath(os.path.abspath(run.path), os.path.abspath(card_dir))
    return "" if rel == "." else rel.replace(os.sep, "/")


def _data_path(prefix: str, *parts: str) -> str:
    return "/".join(([prefix] if prefix else []) + list(parts))


def front_matter(run: Run, card_dir: str | os.PathLike | None = None) -> dict[str, Any]:
    """The card's YAML metadata: languages, licences, size, task, and a config per language whose
    data_files are the final shards, relative to `card_dir` (the card's folder; None: the run directory)
    so `datasets.load_dataset(card_dir)` finds them."""
    final = run.final_counts
    languages = [lang for lang in run.languages if final.get(lang, {}).get("kept", {}).get("docs")]
    tags = sorted({t for t in (hf_language(c) for c in languages) if t})
    licences = sorted({hf_licence(s.get("license")) for s in run.config.get("sources", [])}) or ["unknown"]
    kept = sum(final[lang]["kept"]["docs"] for lang in languages)
    ext = _shard_ext(run)
    prefix = run_prefix(run, card_dir)
    configs: list[dict[str, Any]] = [{"config_name": "all", "default": True, "data_files": [
        {"split": "train", "path": _data_path(prefix, DOCUMENTS, LANG_FOLDER_GLOB, f"*.{ext}")}]}]
    for lang in languages:
        if glob.glob(os.path.join(partition_dir(run.path, DOCUMENTS, lang), f"part-*.{ext}")):
            configs.append({"config_name": lang, "data_files": [
                {"split": "train", "path": _data_path(prefix, DOCUMENTS, lang_folder(lang), f"*.{ext}")}]})
    return {
        "pretty_name": f"{run.config.get('name', 'roots run')} (roots corpus)",
        "language": tags,
        "multilinguality": "multilingual" if len(tags) > 1 else "monolingual",
        "license": licences[0] if len(licences) == 1 else licences,
        "size_categories": [size_category(kept)],
        "task_categories": ["text-generation"],
        "task_ids": ["language-modeling"],
        "tags": ["roots"],
        "configs": configs,
    }


# --- the sections --------------------------------------------------------------------------------


_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])/(?:[^\s/()`'\"]+/)*([^\s/()`'\"]+/[^\s/()`'\"]+)")


def strip_absolute_paths(text: str) -> str:
    """`text` with each absolute path cut to its last two components (`/a/b/models/lm/en` → `…/lm/en`):
    the card holds no path of the machine that made the run, so two runs of a config match."""
    return _ABSOLUTE_PATH.sub(lambda m: "…/" + m.group(1), text)


def _n(v: int | None) -> str:
    return "–" if v is None else f"{v:,}"


def _reasons_cell(stage: str, reasons: dict[str, dict[str, int]]) -> str:
    if not reasons:
        return "–"
    total = sum(v["docs"] for v in reasons.values())
    parts = []
    for code, v in sorted(reasons.items(), key=lambda kv: (-kv[1]["docs"], kv[0])):
        prefix, _, name = code.partition(":")
        parts.append(f"{name if prefix == stage else code} {v['docs']:,}")
    return f"{total:,}: " + ", ".join(parts)


def overview(run: Run) -> Markdown:
    """Totals: documents, bytes, tokens, languages, and which steps ran."""
    final = run.final_counts
    kept_docs = sum(c["kept"]["docs"] for c in final.values())
    kept_bytes = sum(c["kept"]["bytes"] for c in final.values())
    first = stage_totals(run, run.stage_names[0])
    megatron = run.step("megatron")
    tokens = sum(v.get("tokens", 0) for v in megatron["languages"].values()) if megatron else None
    langs = [lang for lang, c in final.items() if c["kept"]["docs"]]
    natural = [lang for lang in langs if not lang.startswith("code-") and lang != UNKNOWN]
    lines = [
        f"- **{kept_docs:,} documents** ({kept_bytes:,} bytes of UTF-8 text) kept of {first['input']['docs']:,} "
        f"records read ({first['input']['bytes']:,} bytes)",
        f"- **{len(langs)} languages**: {len(natural)} natural and {len(langs) - len(natural)} programming"
        + (" (plus undetermined)" if UNKNOWN in langs else ""),
        f"- **tokens**: {tokens:,} in the Megatron binaries" if tokens is not None else "- **tokens**: "
        + _ABSENT["megatron"].lower().rstrip("."),
        f"- **steps**: {', '.join(run.steps)}; stages: {', '.join(run.stage_names)}",
    ]
    if run.incomplete:
        lines.append(f"- **incomplete steps** (not in this card): {', '.join(run.incomplete)}")
    return Markdown("\n".join(lines))


def sources_table(run: Run) -> Markdown:
    sources = run.config.get("sources", [])
    if not sources:
        return Markdown("The manifest's config lists no sources.")
    paths = [s.get("path", "") for s in sources]
    # Absolute paths are shown relative to their common folder, named by its last component only: the
    # card must not depend on (or reveal) the machine the run was made on.
    root = os.path.commonpath([os.path.dirname(p) for p in paths]) if all(os.path.isabs(p) for p in paths) else ""
    kept = source_counts(run)
    rows = []
    for s in sources:
        path = os.path.relpath(s.get("path", ""), root) if root else s.get("path", "")
        rows.append([s.get("name", ""), s.get("format", ""), s.get("lang") or "decided by LID",
                     s.get("license") or "not given", hf_licence(s.get("license")), f"`{path}`",
                     _n(kept.get(s.get("name"), 0)) if kept is not None else "–"])
    licences = Counter(s.get("license") or "not given" for s in sources)
    text = (f"{len(sources)} sources; licences: " + ", ".join(f"{k} ({v} sources)" for k, v in sorted(licences.items()))
            + (f". Paths are relative to the sources' common folder `{os.path.basename(root) or '/'}`." if root else "."))
    return Markdown(text + "\n\n" + _markdown_table(
        ["source", "format", "language", "licence", "Hub licence id", "path", "documents kept (shards)"], rows))


def languages_table(run: Run) -> Markdown:
    """Per language: in, relabelled, removed at each stage by reason, kept, tokens."""
    flows = language_flows(run)
    stages = [s for s in run.stage_names if any(s in f.removed for f in flows)]
    header = ["code", "language", "in: docs", "in: bytes", "relabelled (docs)"] + \
             [f"removed at {s} (docs)" for s in stages] + ["kept: docs", "kept: bytes", "tokens"]
    rows = []
    for f in flows:
        rows.append([f.code, language_name(f.code, run.config.get("language_configs")), _n(f.input_docs), _n(f.input_bytes), f"{f.relabelled_docs:+,}"]
                    + [_reasons_cell(s, f.removed.get(s, {})) for s in stages]
                    + [_n(f.kept_docs), _n(f.kept_bytes), _n(f.tokens)])
    totals = {s: stage_totals(run, s)["rejected"] for s in stages}
    first = stage_totals(run, run.stage_names[0])
    last = stage_totals(run, run.stage_names[-1])
    megatron = run.step("megatron")
    rows.append(["**all**", "", _n(first["input"]["docs"]), _n(first["input"]["bytes"]),
                 f"{sum(f.relabelled_docs for f in flows):+,}"] + [_reasons_cell(s, totals[s]) for s in stages]
                + [_n(last["kept"]["docs"]), _n(last["kept"]["bytes"]),
                   _n(sum(v.get("tokens", 0) for v in megatron["languages"].values())) if megatron else "–"])
    note = ("*in*: what the first stage read under that language (sources that declare it); *relabelled*: "
            "documents that changed language between stages (LID deciding the language of multilingual "
            "sources, whose records enter as `und`); *kept*: what the last stage kept. In documents, "
            "kept = in + relabelled − removed. Bytes are measured after each stage's edits (normalisation, "
            "ROOTS's maps, PII tags), so bytes in − removed need not equal bytes kept."
            + ("" if megatron else " " + _ABSENT["megatron"]))
    return Markdown(note + "\n\n" + _markdown_table(header, rows))


def stages_table(run: Run) -> Markdown:
    rows = []
    for step, stage in run.stages:
        t = stage_totals(run, stage)
        removed = sum(v["docs"] for v in t["rejected"].values())
        removed_bytes = sum(v["bytes"] for v in t["rejected"].values())
        rows.append([step, stage, _n(t["input"]["docs"]), _n(t["input"]["bytes"]), _n(t["kept"]["docs"]),
                     _n(t["kept"]["bytes"]), _n(removed), _n(removed_bytes), _reasons_cell(stage, t["rejected"])])
    return Markdown(_markdown_table(["step", "stage", "in: docs", "in: bytes", "kept: docs", "kept: bytes",
                                     "removed: docs", "removed: bytes", "removed by reason (docs)"], rows))


def stage_detail(run: Run, stage: str) -> Markdown:
    """One stage's manifest cells, per language, verbatim."""
    rows = []
    for lang, cell in sorted(run.counts(stage).items()):
        reasons = ", ".join(f"{r} {v['docs']:,} ({v['bytes']:,} B)" for r, v in sorted(cell["rejected"].items())) or "–"
        rows.append([lang, _n(cell["input"]["docs"]), _n(cell["input"]["bytes"]), _n(cell["kept"]["docs"]),
                     _n(cell["kept"]["bytes"]), reasons])
    return Markdown(_markdown_table(["lang", "in: docs", "in: bytes", "kept: docs", "kept: bytes",
                                     "rejected by reason: docs (bytes)"], rows))


def cleaning_section(run: Run) -> Markdown:
    """ROOTS's catalogue cleaning: the operations each source got, and the template lines found."""
    if not run.has_stage("cleaning"):
        return Markdown("No cleaning stage in this run: no source asked for ROOTS's catalogue cleaning operations.")
    step = next(step for step, stage in run.stages if stage == "cleaning")
    policy = run.manifest["steps"][step].get("cleaning_policy") or {}
    templates = (run.step("templates") or {}).get("sources", {})
    default = policy.get("default") or []
    rows = [[src, ", ".join(ops) or "–", _n(templates[src]) if src in templates else "–"]
            for src, ops in sorted((policy.get("sources") or {}).items())]
    notes = [f"{k}: {v}" for k, v in sorted(policy.items()) if isinstance(v, str)]
    text = f"Operations for every source: {', '.join(default) or 'none'}." + (f" ({'; '.join(notes)})" if notes else "")
    if not rows:
        return Markdown(text)
    return Markdown(text + "\n\n" + _markdown_table(["source", "operations, in order", "template lines found"], rows))


def lid_section(run: Run) -> Markdown:
    if not run.has_stage("lid"):
        return Markdown(_ABSENT["lid"])
    step = next(step for step, stage in run.stages if stage == "lid")
    policy = run.manifest["steps"][step].get("lid_policy")
    if not policy:
        return Markdown("The LID stage ran, but the manifest holds no `lid_policy` report.")
    models = policy.get("models", {})
    lines = [", ".join(f"model `{k}`: " + (f"`{os.path.basename(v)}`" if v else "none") for k, v in sorted(models.items()))
             + f"; documents scored on their first {policy.get('max_chars', '?')} characters."]
    ran = set(run.languages)  # the policies cover every language a model knows; the card, the run's only
    trust = [lang for lang in policy.get("trust_source") or [] if lang in ran]
    if trust:
        lines.append(f"The source's language is trusted for {len(trust)} languages the models do not know: "
                     + ", ".join(trust) + ".")
    rows = [[lang, v.get("decided_by", ""), _plain(v.get("min_score")), v.get("min_score_from", "")]
            for lang, v in sorted(policy.get("languages", {}).items()) if lang in ran]
    return Markdown(" ".join(lines) + "\n\n" + _markdown_table(["lang", "decided by", "min score", "from"], rows))


def dedup_section(run: Run) -> Markdown:
    if not run.has_stage(_DEDUP):
        return Markdown(_ABSENT[_DEDUP])
    step = next(step for step, stage in run.stages if stage == _DEDUP)
    info = run.manifest["steps"][step]
    policy = info.get(f"{_DEDUP}_policy") or {}
    head = ("Settings: " + ", ".join(f"{k} {_plain(v) if not isinstance(v, str) else v}" for k, v in sorted(policy.items()))
            + ".") if policy else "The manifest holds no dedup settings."
    clusters = dedup_clusters(run)
    counts = run.counts(_DEDUP)
    rows = []
    for lang, cell in sorted(counts.items()):
        if not cell["rejected"] and lang not in clusters:
            continue
        c = clusters.get(lang, {})
        r = cell["rejected"]
        rows.append([lang, _n(cell["input"]["docs"]), _n(cell["kept"]["docs"]),
                     _n(r.get("dedup:exact", {}).get("docs", 0)), _n(r.get("dedup:near", {}).get("docs", 0)),
                     _n(sum(v["docs"] for k, v in r.items() if k not in ("dedup:exact", "dedup:near"))),
                     _n(c.get("clusters", 0)), _n(c.get("largest")) if c else "–"])
    t = stage_totals(run, _DEDUP)
    r = t["rejected"]
    rows.append(["**all**", _n(t["input"]["docs"]), _n(t["kept"]["docs"]), _n(r.get("dedup:exact", {}).get("docs", 0)),
                 _n(r.get("dedup:near", {}).get("docs", 0)),
                 _n(sum(v["docs"] for k, v in r.items() if k not in ("dedup:exact", "dedup:near"))),
                 _n(sum(c["clusters"] for c in clusters.values())),
                 _n(max(c["largest"] for c in clusters.values())) if clusters else "–"])
    without = len(counts) - (len(rows) - 1)
    return Markdown(head + " Clusters are counted in the rejected shards (`meta.dedup_cluster`); each keeps one "
                    f"document. {without} languages had no duplicate.\n\n"
                    + _markdown_table(["lang", "in", "kept", "exact duplicates", "near duplicates", "other", "clusters",
                                       "largest cluster"], rows))


def pii_section(run: Run) -> Markdown:
    info = run.step("pii")
    if info is None:
        return Markdown(_ABSENT["pii"])
    spans = info.get("spans") or {}
    replace = (run.config.get("pii") or {}).get("replace", "?")
    types = sorted({t for by_type in spans.values() for t in by_type})
    processed = sum(c["input"]["docs"] for c in run.counts("pii").values()) if run.has_stage("pii") else 0
    if not types:
        return Markdown(f"The PII step ran on {processed:,} documents (replace: `{replace}`) and found no span.")
    rows = [[lang] + [_n(spans[lang].get(t, 0)) for t in types] + [_n(sum(spans[lang].values()))]
            for lang in sorted(spans)]
    rows.append(["**all**"] + [_n(sum(spans[lang].get(t, 0) for lang in spans)) for t in types]
                + [_n(sum(sum(v.values()) for v in spans.values()))])
    without = len([lang for lang in run.counts("pii") if lang not in spans])
    return Markdown(f"Spans found and replaced (replace: `{replace}`) in {processed:,} documents; "
                    f"{without} languages had none.\n\n" + _markdown_table(["lang"] + types + ["all"], rows))


def tokenizer_section(run: Run) -> Markdown:
    info = run.step("tokenizer")
    if info is None:
        return Markdown(_ABSENT["tokenizer"])
    opts = info.get("options", {})
    keys = ("model_type", "vocab_size", "byte_fallback", "split_digits", "character_coverage", "normalization_rule_name")
    text = (f"SentencePiece, {', '.join(f'{k} {_plain(opts[k]) if not isinstance(opts[k], str) else opts[k]}' for k in keys if k in opts)}; "
            f"vocabulary {_n(info.get('vocab_size'))} pieces; trained on {_n(info.get('input_bytes'))} sampled bytes. "
            f"Files: {', '.join(f'`tokenizer/{f}`' for f in info.get('files', []))}.")
    shares = (info.get("sample") or {}).get("shares") or {}
    if not shares:
        return Markdown(text)
    rows = [[lang, f"{share:.2%}"] for lang, share in sorted(shares.items(), key=lambda kv: (-kv[1], kv[0]))]
    return Markdown(text + "\n\nShare of each language in the tokenizer's training sample:\n\n"
                    + _markdown_table(["lang", "share"], rows))


def megatron_section(run: Run) -> Markdown:
    info = run.step("megatron")
    if info is None:
        return Markdown(_ABSENT["megatron"])
    tok = info.get("tokenizer", {})
    langs = info.get("languages", {})
    rows = [[lang, _n(v.get("documents")), _n(v.get("tokens")), _n(v.get("files"))] for lang, v in sorted(langs.items())]
    rows.append(["**all**", _n(sum(v.get("documents", 0) for v in langs.values())),
                 _n(sum(v.get("tokens", 0) for v in langs.values())), _n(sum(v.get("files", 0) for v in langs.values()))])
    return Markdown(f"Megatron indexed datasets (`megatron/<lang>_text_document_NNNNN.bin/.idx`, one sequence per "
                    f"document with EOD {tok.get('eod', '?')} appended; tokens as {tok.get('dtype', '?')}, vocabulary "
                    f"{_n(tok.get('vocab_size'))}); `megatron/blend.txt` gives the weights for `--data-path`.\n\n"
                    + _markdown_table(["lang", "documents", "tokens", "files"], rows))


def reasons_legend(run: Run) -> Markdown:
    codes = sorted({r for _, stage in run.stages for cell in run.counts(stage).values() for r in cell["rejected"]})
    if not codes:
        return Markdown("No document was rejected.")
    known = reason_descriptions(run.config)
    return Markdown(_markdown_table(["reason", "meaning"], [[f"`{c}`", known.get(c, "")] for c in codes]))


# --- plots ---------------------------------------------------------------------------------------

#: The card's colours, which the sections of other layers share: kept, removed (by the filter shown), removed by
#: another filter, text edits.
KEPT, REMOVED, OTHER, EDIT = "#4C72B0", "#C44E52", "#AAAAAA", "#DD8452"


_figure = new_figure


def plot_bytes_per_language(run: Run):
    """Bytes kept per language (the last stage) and bytes removed by all stages, largest first."""
    flows = [f for f in language_flows(run) if f.kept_bytes or f.removed_docs]
    flows.sort(key=lambda f: (f.kept_bytes, f.code))
    removed = [sum(v["bytes"] for r in f.removed.values() for v in r.values()) for f in flows]
    fig = _figure(8, max(3.0, 0.19 * len(flows) + 1.2))
    ax = fig.add_subplot()
    y = np.arange(len(flows))
    kept = np.array([f.kept_bytes for f in flows])
    ax.barh(y, kept, color=KEPT, label="kept")
    ax.barh(y, removed, left=kept, color=REMOVED, alpha=0.7, label="removed (all stages)")
    ax.set_yticks(y, [f.code for f in flows], fontsize=7)
    ax.set_xlabel("bytes of UTF-8 text")
    ax.set_ylim(-0.6, len(flows) - 0.4)
    ax.set_title(f"{run.config.get('name', '')}: bytes per language ({len(flows)} languages)", fontsize=10)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return fig


def _compact(value: int, sign: bool = False) -> str:
    """12,345 as 12.3k (labels on plots; the tables give exact numbers)."""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            text = f"{value / scale:.1f}{suffix}"
            break
    else:
        text = f"{value:,}"
    return ("+" + text if sign and value > 0 else text) if value else "0"


def waterfall_steps(run: Run, unit: str) -> list[tuple[str, int, str]]:
    """The waterfall's bars: ("read", total, "total"), then per stage its text edits (bytes only,
    when a stage changed the size of what it kept) and its removals, then ("kept", total, "total")."""
    bars = [("read", stage_totals(run, run.stage_names[0])["input"][unit], "total")]
    previous = bars[0][1]
    for stage in run.stage_names:
        t = stage_totals(run, stage)
        change = t["input"][unit] - previous
        if change:
            bars.append((f"{stage}: {'text edits' if unit == 'bytes' else 'moved'}", change, "edit"))
        removed = sum(v[unit] for v in t["rejected"].values())
        bars.append((stage, -removed, "removed"))
        previous = t["kept"][unit]
    bars.append(("kept", previous, "total"))
    return bars


def plot_waterfall(run: Run):
    """Documents and bytes from what was read to what was kept, one step down per stage."""
    fig = _figure(10, 7.6)
    axes = fig.subplots(2, 1)   # one above the other: each panel the full width, so value labels fit over their bars
    for ax, unit in zip(axes, ("docs", "bytes")):
        bars = waterfall_steps(run, unit)
        level = 0
        for i, (label, value, kind) in enumerate(bars):
            if kind == "total":
                ax.bar(i, value, color=KEPT)
                level = value
                text, top = _compact(value), value
            else:
                bottom = level + min(value, 0)
                ax.bar(i, abs(value), bottom=bottom, color=REMOVED if kind == "removed" else EDIT)
                level += value
                text, top = _compact(value, sign=True), bottom + abs(value)
            ax.annotate(text, (i, top), ha="center", va="bottom", fontsize=6.5, xytext=(0, 2), textcoords="offset points")
        ax.set_xticks(range(len(bars)), [b[0] for b in bars], rotation=35, ha="right", fontsize=8)
        ax.set_ylabel("documents" if unit == "docs" else "bytes")
        ax.set_title(f"{'documents' if unit == 'docs' else 'bytes'} removed per stage", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        ax.margins(y=0.12)
    return fig


def _no_figures(run: Run) -> Iterable[tuple[str, Any]]:
    return ()


@dataclass(frozen=True)
class Section:
    """A part of the card that a layer above the core supplies, so the core reads no filter: its heading,
    the heading it follows (it takes that heading's level and goes after that heading's part), its Markdown
    from the run and the plots written (file name → link), and its plots as (file name, figure), made one at
    a time. `roots.filters.tuning.card.SECTION` is the quality filters'; `roots datacard` passes it."""

    title: str
    after: str
    markdown: Callable[[Run, Mapping[str, str]], str]
    figures: Callable[[Run], Iterable[tuple[str, Any]]] = _no_figures


def write_plots(run: Run, output: str, sections: Sequence[Section] = ()) -> dict[str, str]:
    """Every plot as a PNG in `output`, the core's then each section's; returns name → file name."""
    os.makedirs(output, exist_ok=True)
    plots: dict[str, str] = {}

    def save(fig, name: str, by: str = "the core card") -> None:
        if name in plots:
            raise ValueError(f"card plot {name!r} of {by} is already written by another part of the card")
        fig.savefig(os.path.join(output, name), dpi=100, metadata={"Software": None})
        plots[name] = name

    save(plot_bytes_per_language(run), PLOT_BYTES)
    save(plot_waterfall(run), PLOT_WATERFALL)
    for section in sections:
        for name, fig in section.figures(run):
            save(fig, name, f"section {section.title!r}")
    return plots


# --- the card ------------------------------------------------------------------------------------


def details(summary: str, body: str) -> str:
    """A folded block: `summary` shown, `body` on a click (GitHub and the Hub render it)."""
    return f"<details>\n<summary>{summary}</summary>\n\n{body}\n\n</details>"


def _insert(parts: list[tuple[int, str]], section: Section, body: str) -> None:
    """`section` (heading and body) into `parts` ((heading level, text); 0: body) after its `after` heading's part."""
    at = next((i for i, (level, text) in enumerate(parts) if level and text == section.after), None)
    if at is None:
        raise ValueError(f"card section {section.title!r} follows {section.after!r}, a heading the card does not have")
    level = parts[at][0]
    end = next((i for i in range(at + 1, len(parts)) if 0 < parts[i][0] <= level), len(parts))
    parts[end:end] = [(level, section.title), (0, body)]


def render(run: Run, plots: Mapping[str, str], card_dir: str | os.PathLike | None = None,
           sections: Sequence[Section] = ()) -> str:
    """The card's Markdown, YAML metadata block first, with `sections` in their places; `card_dir` is where it
    will lie (see front_matter)."""
    meta = yaml.safe_dump(front_matter(run, card_dir), sort_keys=False, allow_unicode=True, width=1000)
    name = run.config.get("name", "roots run")
    parts: list[tuple[int, str]] = [
        (0, f"---\n{meta}---"),
        (1, f"{name}: a roots corpus"),
        (0, f"This corpus was made by roots {run.manifest.get('versions', {}).get('roots', '')} "
            f"from the config `{name}` (hash `{run.manifest.get('config_hash', '')}`), the way BigScience built ROOTS "
            f"for BLOOM. Every number below comes from the run's `manifest.json` unless it says otherwise. The "
            f"`configs` above point at the final shards, relative to this card's folder."),
        (0, overview(run)),
        (2, "Sources and licences"),
        (0, sources_table(run)),
        (2, "Languages"),
        (0, languages_table(run)),
        (0, f"![Bytes per language]({plots[PLOT_BYTES]})" if PLOT_BYTES in plots else ""),
        (2, "What each stage removed"),
        (0, stages_table(run)),
        (0, f"![Removal waterfall]({plots[PLOT_WATERFALL]})" if PLOT_WATERFALL in plots else ""),
        (3, "Cleaning"),
        (0, cleaning_section(run)),
        (3, "Language identification"),
        (0, lid_section(run)),
        (3, "Deduplication"),
        (0, dedup_section(run)),
        (3, "Personal information"),
        (0, pii_section(run)),
        (2, "Tokenizer"),
        (0, tokenizer_section(run)),
        (2, "Training binaries"),
        (0, megatron_section(run)),
        (2, "Rejection reasons"),
        (0, reasons_legend(run)),
        (2, "Counts per stage and language"),
        (0, "\n\n".join(details(f"{step} / {stage}", stage_detail(run, stage)) for step, stage in run.stages)),
        (2, "Reproducing"),
        (0, _reproducing(run)),
    ]
    for section in sections:
        _insert(parts, section, section.markdown(run, plots))
    return "\n\n".join("#" * level + " " + text if level else text for level, text in parts if text) + "\n"


def _reproducing(run: Run) -> Markdown:
    versions = run.manifest.get("versions", {})
    rows = [[k, v] for k, v in sorted(versions.items())]
    return Markdown(f"`roots run CONFIG --output DIR` with the config recorded in `manifest.json` (hash "
                    f"`{run.manifest.get('config_hash', '')}`) gives byte-identical shards. Library versions of this "
                    f"run:\n\n" + _markdown_table(["library", "version"], rows))


@dataclass
class Card:
    path: str
    plots: list[str]


def build_card(run_dir: str | os.PathLike, output: str | os.PathLike | None = None,
               sections: Sequence[Section] = ()) -> Card:
    """Write RUN/datacard/README.md (or OUTPUT/README.md) and its PNGs, with the `sections` of the layers
    above the core (`roots datacard` passes roots.filters.tuning.card.SECTION); returns where they are."""
    run = load_run(run_dir)
    output = str(output) if output is not None else os.path.join(run.path, DEFAULT_DIR)
    plots = write_plots(run, output, sections)
    text = render(run, plots, output, sections)
    path = os.path.join(output, CARD)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)
    return Card(path, [os.path.join(output, p) for p in plots])
