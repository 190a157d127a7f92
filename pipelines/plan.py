"""The engine-neutral plan of a run and the per-row functions every engine shares (no Beam, no Spark
here): which steps run in which order (document steps of per-document stages, and the global parts
such as dedup as typed markers), what a step records in the manifest, and how documents are read,
counted, assigned to shards and written. The Beam runner (runner.py), the Spark engine (spark.py)
and the local engine (local.py) are adapters over it, so byte-identical output rests on one copy."""
from __future__ import annotations

import logging
import os
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

import pyarrow as pa

from roots.config import RunConfig
from roots.dedup.config import DedupConfig
from roots.dedup.reasons import STAGE as DEDUP_STAGE
from roots.document import (DOCUMENT_SCHEMA, REJECTED_SCHEMA, UNKNOWN_LANG_DIR, Document, Rejection,
                            meta_to_json)
from roots.filters.normalise import Normalise
from roots.io.base import SourceSpec
from roots.io.formats import FORMATS
from roots import fs
from roots.progress import ProgressSink, StepProgress
from roots.rundir import (DOCUMENTS, STATS, partition_dir, read_documents, remove_temporary_files, shard_count,
                          shard_of, shard_path, write_shard)
from roots.fingerprint import combined, fingerprint
from roots.run_warnings import run_warnings
from roots.stage import Stage, is_batched
from roots.stats import KEPT, Manifest, counts_table, nbytes
from roots.user_stages import with_user_stages

log = logging.getLogger(__name__)

CURATE = "curate"
INGEST_STEP = "ingest"
PII = "pii"
DEDUP = "dedup"
TEMPLATES = "templates"
TOKENIZER = "tokenizer"
MEGATRON = "megatron"
STEPS_DIR = "steps"
#: The last step's annotation of kept documents per source.
SOURCES = "sources"
#: The stage name of reading the sources (its rejections: unreadable records).
INGEST = "ingest"


@dataclass(frozen=True)
class DedupPart:
    """The global dedup part of a step, as a plan says it: each engine turns it into its own
    implementation (Beam's Deduplicate transform, Spark's spark_dedup, the local engine's driver-side
    components), so no engine imports another's."""

    config: DedupConfig = field(default_factory=DedupConfig)
    #: each language's shingle mode (roots.dedup.fingerprint.shingle_modes of the run's registry,
    #: overlay included); None: the packaged registry's, built on the worker
    modes: dict[str, int] | None = None
    #: the stage name its rejections and counts carry
    name: str = DEDUP_STAGE

    def report(self) -> dict[str, Any]:
        """How this run decides (for the manifest): the LSH bands and rows and their recall at the threshold."""
        bands, rows = self.config.bands_rows()
        return {"threshold": self.config.threshold, "num_perm": self.config.num_perm, "bands": bands, "rows": rows,
                "recall_at_threshold": round(self.config.recall_at_threshold(), 6), "scope": self.config.scope,
                "verify": self.config.verify, "keep": f"highest meta.{self.config.keep_score}" if self.config.keep_score
                else "smallest id"}


def is_dedup(part: Any) -> bool:
    """Whether a step part is the global dedup (every other part is a per-document Stage)."""
    return isinstance(part, DedupPart)


@dataclass
class DocumentStepPlan:
    """A step over documents: read from the sources (`after` None) or from step `after`'s shards,
    then each part in order (per-document stages, or global parts such as DedupPart)."""

    name: str
    parts: list = field(default_factory=list)
    after: str | None = None
    #: name → f(doc) -> {key tuple: count}: summed over kept documents into stats/<step>.<name>.json
    #: and the manifest (e.g. PII spans per language and type).
    annotations: dict = field(default_factory=dict)
    #: A map over every (stage, rejection) before it is written (a stage-like object with `setup()`):
    #: the PII redaction of rejected documents, so raw values never reach RUN/rejected.
    rejected_map: Any = None


def curate_stages(config: RunConfig) -> list[Stage]:
    """The per-document stages of the curate step, in ROOTS's order: normalise, the catalogue cleaning
    each source asks for, boilerplate removal for web sources (before language ID, so that it sees the
    page's text without its menus), language ID (with a `lid:` section), then the quality filters; the
    config's own `stages:` go where each entry's `after:` says (default: the end)."""
    # The filters are imported here, not at the top: `roots ingest` and its workers need none of them.
    from roots.filters.boilerplate import Boilerplate
    from roots.filters.cleaning import Cleaning
    from roots.filters.lid import LanguageId
    from roots.filters.quality import Quality

    stages: list[Stage] = [Normalise(max_bytes=config.normalise.max_bytes)]
    cleaning = config.section("cleaning")
    if cleaning.default or cleaning.sources:
        stages.append(Cleaning(cleaning, templates_path=templates_path(config) if cleaning.needs_template_counts else None))
    boilerplate = config.section("boilerplate")
    web = boilerplate.applies_to(config.sources)
    if boilerplate.enabled and web:
        stages.append(Boilerplate(boilerplate, frozenset(web)))
    if config.section("lid") is not None:
        stages.append(LanguageId(config.section("lid"), config.registry()))
    if config.section("quality").enabled:
        stages.append(Quality(config.section("quality"), registry=config.registry()))
    return with_user_stages(stages, config.section("stages"), config.path)   # the config's `stages:`


def templates_path(config: RunConfig) -> str:
    """Where the template-line step leaves each source's boilerplate line digests."""
    return os.path.join(config.output, STATS, "templates.json")


@dataclass
class TemplatePlan:
    """What the template-line step counts (the units of the sources that ask for `dedup_template`),
    with which settings, and where the digests go; shared by the Beam and Spark engines."""

    units: list[tuple[int, int, str]]
    sources: list[str]
    min_chars: int
    min_count: int
    path: str

    def complete(self, manifest: Manifest) -> None:
        """Record in the manifest how many template lines each source has."""
        from roots.filters.cleaning import TemplateLines

        found = TemplateLines.load(self.path)
        manifest.complete(TEMPLATES, {"sources": {src: len(found.templates(src)) for src in self.sources}})


def template_plan(config: RunConfig, manifest: Manifest, units: list[tuple[int, int, str]]) -> TemplatePlan | None:
    """The template step to run now (marked started in the manifest), or None when no source asks for
    it or a previous run finished it."""
    cleaning = config.section("cleaning")
    if not cleaning.needs_template_counts or manifest.is_complete(TEMPLATES):
        return None
    wanted = sorted(spec.name for spec in config.sources if "dedup_template" in cleaning.operations(spec.name))
    path = templates_path(config)
    fs.makedirs(os.path.dirname(path))
    manifest.start(TEMPLATES)
    return TemplatePlan([u for u in units if config.sources[u[1]].name in wanted], wanted,
                        cleaning.template_min_chars, cleaning.template_min_count, path)


def plan_steps(config: RunConfig, ingest_only: bool = False) -> list[DocumentStepPlan]:
    """The document steps of a run, in order; the last one writes RUN/documents. PII redaction runs
    after the global steps (dedup) so that duplicates are judged on the original text."""
    if ingest_only:
        return [DocumentStepPlan(INGEST_STEP, [Normalise(max_bytes=config.normalise.max_bytes)],
                                 annotations={SOURCES: source_count})]
    from roots.dedup.fingerprint import shingle_modes
    from roots.filters.boilerplate import Boilerplate, line_counts
    from roots.filters.pii import PiiRedact, RedactRejected, span_counts

    pii = config.section("pii")
    registry = config.registry()   # packaged language configs + the run's overlay, carried to the workers
    redact = None if pii.keep_raw_rejected else RedactRejected(pii, registry=registry)
    stages = curate_stages(config)
    counted = {"boilerplate_lines": line_counts} if any(isinstance(s, Boilerplate) for s in stages) else {}
    steps = [DocumentStepPlan(CURATE, stages, annotations=counted, rejected_map=redact)]
    dedup = config.section("dedup")
    if dedup.enabled:
        steps.append(DocumentStepPlan(DEDUP, [DedupPart(dedup, shingle_modes(registry))], after=steps[-1].name, rejected_map=redact))
    steps.append(DocumentStepPlan(PII, [PiiRedact(pii, registry)], after=steps[-1].name,
                                  annotations={"spans": span_counts, SOURCES: source_count}, rejected_map=redact))
    return steps


def source_count(doc: Document) -> dict[tuple[str], int]:
    """The annotation of the last step: kept documents per source (a source with none is warned of)."""
    return {(doc.source,): 1}


def finish_run(config: RunConfig, manifest: Manifest, plans: list[DocumentStepPlan]) -> None:
    """Record the run's warnings in the manifest (recomputed on every run, also a resumed one):
    sources from which nothing survived, languages too small for Megatron's default split.
    Shared by the Beam and Spark engines."""
    last = manifest.steps.get(plans[-1].name, {}) if plans else {}
    kept = last.get(SOURCES) if SOURCES in plans[-1].annotations else None
    found = run_warnings(config, kept, manifest.steps.get(MEGATRON))
    if found != manifest.warnings:   # a rerun of a finished run leaves the manifest untouched
        manifest.warnings = found
        manifest.save()


def remove_intermediate(config: RunConfig) -> None:
    """Once every step is complete, RUN/steps/ (the documents between steps, not yet redacted) goes:
    the privacy boundary leaves no raw value of a detected type under RUN (ARCHITECTURE.md §5)."""
    path = os.path.join(config.output, STEPS_DIR)
    if fs.exists(path):
        fs.remove_tree(path)


def list_units(sources: tuple[SourceSpec, ...]) -> list[tuple[int, int, str]]:
    """Every input unit of every source as (position, source index, unit), in a stable order.
    Raises SourceError for a missing path, before any work."""
    pairs = [(i, unit) for i, spec in enumerate(sources) for unit in FORMATS[spec.format].expand(spec)]
    return [(pos, i, unit) for pos, (i, unit) in enumerate(pairs)]


def step_root(run_dir: str, step: str, final: bool) -> str:
    """Where a step's kept documents go: RUN/documents for the last step, else RUN/steps/<step>/documents."""
    return run_dir if final else os.path.join(run_dir, STEPS_DIR, step)


@dataclass
class StepResult:
    name: str
    skipped: bool
    seconds: float
    counts: dict


def begin_step(plan: DocumentStepPlan, config: RunConfig, manifest: Manifest) -> StepResult | None:
    """The step's earlier result when the manifest marks it complete; else half-written files of a
    crashed run are removed and the step is marked started (None). Shared by the Beam and Spark engines."""
    if manifest.is_complete(plan.name):
        log.debug("step %s: already complete in %s, skipped", plan.name, manifest.path)
        return StepResult(plan.name, True, 0.0, manifest.steps[plan.name]["counts"])
    removed = remove_temporary_files(config.output)
    if removed:
        log.info("removed %d half-written files from an earlier run", removed)
    manifest.start(plan.name)
    return None


def finish_step(plan: DocumentStepPlan, manifest: Manifest, order: list[str], counts: Iterable[tuple[tuple, tuple]],
                seconds: float, annotations: dict[str, list]) -> StepResult:
    """Mark the step complete in the manifest: its stages, counts, time, each part's policy report
    and its annotation counts ([[key, n], ...] per name). Shared by the Beam and Spark engines."""
    table = counts_table(counts, order)
    info = {"stages": order, "counts": table, "seconds": round(seconds, 3)}
    for part in plan.parts:
        report = getattr(part, "policy_report", None) or getattr(part, "report", None)
        if callable(report):  # how a stage decided: models in use, filters switched off and why
            info[f"{part.name}_policy"] = report()
    for name in sorted(plan.annotations):
        info[name] = nest(annotations.get(name, []))
    manifest.complete(plan.name, info)
    return StepResult(plan.name, False, seconds, table)


def step_progress(plan: DocumentStepPlan, config: RunConfig, manifest: Manifest,
                  units: list[tuple[int, int, str]] | None, enabled: bool, file: Any = None) -> StepProgress:
    """The progress of a document step: against the inputs' size on disk when it reads the sources,
    against the previous step's kept text bytes otherwise. Shared by the Beam and Spark engines."""
    if plan.after is None:
        units = list_units(config.sources) if units is None else units
        sizes = {pos: file_size(unit) for pos, _, unit in units} if enabled else {}
        bar = StepProgress(plan.name, sum(sizes.values()), by_input=True, enabled=enabled, file=file)
        bar.unit_sizes = sizes
        return bar
    total = sum(final_sizes(manifest, plan.after).values()) if manifest.is_complete(plan.after) else None
    return StepProgress(plan.name, total, by_input=False, enabled=enabled, file=file)


def file_size(unit: str) -> int:
    """A file's size on any filesystem fsspec reaches (0 when it cannot be read): progress totals and
    the local engine's task costs."""
    try:
        return fs.size(unit)
    except (OSError, ValueError):
        return 0


def nest(pairs: list) -> dict:
    """[[(a, b, ...), n], ...] as {a: {b: ... n}}: annotation counts as the manifest shows them."""
    out: dict = {}
    for key, value in pairs:
        cell = out
        for part in key[:-1]:
            cell = cell.setdefault(part, {})
        cell[key[-1]] = value
    return out


#: Told of each step as it ends (or is found complete on resume): its name, manifest entry, skipped.
StepCallback = Callable[[str, dict, bool], None]


def reset_language_changes(config: RunConfig, manifest: Manifest, plans: list[DocumentStepPlan]) -> list[str]:
    """Key each step by the language-config content it reads, and reset the completed steps whose key
    changed since the last run into this folder, with the steps after them (roots.stepkeys). Shared by
    every engine."""
    from roots.stepkeys import reset_changed_steps

    order = [TEMPLATES] + [p.name for p in plans] + [TOKENIZER, MEGATRON]
    return reset_changed_steps(manifest, config.registry(), order, {p.name: p.after for p in plans}, config.output)


def open_manifest(config: RunConfig, plans: list[DocumentStepPlan]) -> Manifest:
    """The run's manifest, under the run lock: refused when the folder holds a run of another config,
    inputs or models (roots.fingerprint); the steps whose language-config content changed are reset.
    Every engine opens a run this way."""
    parts = fingerprint(config)
    manifest = Manifest.open(config.output, config.to_dict(), combined(parts), parts)
    reset_language_changes(config, manifest, plans)
    return manifest


def final_sizes(manifest: Manifest, step: str) -> dict[str, int]:
    """Bytes of kept documents per language after the last document step (sizes the binary shards)."""
    info = manifest.steps[step]
    last = info["stages"][-1]   # not list(counts)[-1]: the manifest file stores keys sorted
    return {lang: cell["kept"]["bytes"] for lang, cell in info["counts"][last].items()}


def run_tokenizer_steps(config: RunConfig, manifest: Manifest, beam_args: list[str], sizes: dict[str, int],
                        engine: Any = None, on_step: StepCallback | None = None) -> None:
    """The steps after the documents, each when the config names it: the tokenizer (sample + train, or
    a given model) into RUN/tokenizer, then the Megatron binaries into RUN/megatron (on Beam with
    `beam_args`, or on the given `engine`, see roots.pipelines.megatron.run_tokenize)."""
    from roots.pipelines.megatron import run_tokenize
    from roots.tokenizer import MODEL_FILE, build_tokenizer_in_child

    docs = os.path.join(config.output, DOCUMENTS)
    tok_dir = os.path.join(config.output, TOKENIZER)
    for name, work in ((TOKENIZER, lambda: build_tokenizer_in_child(docs, tok_dir, config.section(TOKENIZER),
                                                                    config.registry())),
                       (MEGATRON, lambda: _megatron_info(run_tokenize(
                           docs, os.path.join(tok_dir, MODEL_FILE), os.path.join(config.output, MEGATRON),
                           config.section(MEGATRON), beam_args, sizes=sizes, engine=engine,
                           registry=config.registry())))):
        if config.section(name) is None:
            continue
        if manifest.is_complete(name):
            log.debug("step %s: already complete, skipped", name)
            if on_step is not None:
                on_step(name, manifest.steps[name], True)
            continue
        removed = remove_temporary_files(config.output)   # a killed step's half-written files
        if removed:
            log.info("step %s: removed %d half-written files from an earlier run", name, removed)
        manifest.start(name)
        start = time.perf_counter()
        info = work()
        manifest.complete(name, {**info, "seconds": round(time.perf_counter() - start, 3)})
        log.debug("step %s done in %.1f s", name, time.perf_counter() - start)
        if on_step is not None:
            on_step(name, manifest.steps[name], False)


def _megatron_info(index: dict) -> dict:
    """What the manifest keeps of the binaries' index: per language documents and tokens, the tokenizer."""
    return {"languages": index["languages"], "tokenizer": index["tokenizer"]}


# --- per-document work, the same on every engine ------------------------------------------------------

#: Outcome counts of a run of documents: (stage, lang, outcome) → [documents, text bytes].
Counts = dict[tuple[str, str, str], list[int]]


def count_into(counts: Counts, key: tuple[str, str, str], text: str) -> None:
    """Add one document of `text` to `counts[key]`."""
    cell = counts.setdefault(key, [0, 0])
    cell[0] += 1
    cell[1] += nbytes(text)


def sum_counts(tables: Iterable[Counts]) -> Counts:
    """The cell-wise sum of several Counts."""
    total: Counts = {}
    for table in tables:
        for key, (docs, n) in table.items():
            cell = total.setdefault(key, [0, 0])
            cell[0] += docs
            cell[1] += n
    return total


def read_units(units: Iterable[tuple[int, int, str]], sources: tuple[SourceSpec, ...],
               rejects: deque, counts: Counts, progress: ProgressSink | None = None,
               sizes: dict[int, int] | None = None) -> Iterator[Document]:
    """Documents of the input units; rejections of reading go to `rejects` as the `ingest` stage's."""
    for position, index, unit in units:
        spec = sources[index]
        records = FORMATS[spec.format].records(spec, unit)
        if progress is not None:
            records = progress.track(records, (sizes or {}).get(position, 0))
        for record in records:
            kept = route_one(INGEST, record, rejects, counts)
            if kept is not None:
                yield kept


def route_one(stage: str, outcome: Document | Rejection, rejects: deque, counts: Counts) -> Document | None:
    """A stage's outcome counted under `stage`: a kept document is returned, a rejection appended to
    `rejects` (None returned). A plain call, not a generator: it runs for every document and stage."""
    if isinstance(outcome, Rejection):
        count_into(counts, (stage, outcome.doc.lang_dir, outcome.reason.code), outcome.doc.text)
        rejects.append((stage, outcome))
        return None
    count_into(counts, (stage, outcome.lang_dir, KEPT), outcome.text)
    return outcome


def route_outcome(stage: str, outcome: Document | Rejection, rejects: deque, counts: Counts) -> Iterator[Document]:
    """A stage's outcome counted under `stage`: a kept document is yielded, a rejection appended to `rejects`."""
    kept = route_one(stage, outcome, rejects, counts)
    if kept is not None:
        yield kept


def apply_stage_stream(stage: Stage, docs: Iterator[Document], rejects: deque, counts: Counts) -> Iterator[Document]:
    """One stage over a stream of documents (in batches for a batched stage): kept ones yielded,
    rejections appended to `rejects`, both counted."""
    name = stage.name
    if not is_batched(stage):
        for doc in docs:
            kept = route_one(name, stage(doc), rejects, counts)
            if kept is not None:
                yield kept
        return
    batch: list[Document] = []
    for doc in docs:
        batch.append(doc)
        if len(batch) >= stage.batch_size:
            for outcome in stage.process_batch(batch):
                kept = route_one(name, outcome, rejects, counts)
                if kept is not None:
                    yield kept
            batch = []
    if batch:
        for outcome in stage.process_batch(batch):
            kept = route_one(name, outcome, rejects, counts)
            if kept is not None:
                yield kept


def read_shard(path: str) -> Iterator[Document]:
    """The documents of one shard written by write_rows (the run directory's one reader)."""
    return read_documents(path)


def document_row(doc: Document) -> tuple:
    return doc.id, doc.text, doc.lang, doc.source, meta_to_json(doc.meta)


def rejected_row(item: tuple[str, Rejection]) -> tuple:
    stage, rej = item
    return stage, (*document_row(rej.doc), rej.reason.code, rej.detail)


def partition_bytes(item: tuple[tuple[str, str, str], tuple[int, int]], last_stage: str) -> Iterator[tuple]:
    """The bytes each output partition receives, from the outcome counts: kept documents of the last
    stage go to ("", lang); rejections of any stage to (stage, lang). Saves a pass over the texts."""
    (stage, lang, outcome), (_, n) = item
    if outcome != KEPT:
        yield (stage, lang), n
    elif stage == last_stage:
        yield ("", lang), n


def partition_sizes(counts: Counts, last_stage: str) -> dict[tuple[str, str], int]:
    """partition_bytes summed over a step's counts: bytes per output partition (stage or "", lang)."""
    sizes: dict[tuple[str, str], int] = {}
    for key, value in counts.items():
        for part, n in partition_bytes((key, tuple(value)), last_stage):
            sizes[part] = sizes.get(part, 0) + n
    return sizes


def row_lang(row: tuple) -> str:
    """The language folder of a document or rejected row."""
    return row[2] or UNKNOWN_LANG_DIR


def shard_key(item: tuple[str, tuple], sizes: dict, target_mb: float) -> tuple[tuple, tuple]:
    """(stage or "", row) → ((stage, lang, shard, shard count), row): shard `stable_hash(id) mod N` of
    its partition, N from the partition's bytes."""
    stage, row = item
    lang = row_lang(row)
    total = shard_count(sizes[(stage, lang)], target_mb)
    return (stage, lang, shard_of(row[0], total), total), row


def write_sorted_table(key: tuple, table: pa.Table, root: str, kind: str, fmt: str) -> tuple[str, bool, int]:
    """`write_rows` for rows already in Arrow (a table of the kind's schema): sorted by every column in
    schema order, as `sorted(rows)` sorts the tuples (UTF-8 byte order is code-point order, and rows
    that tie on every column are equal), into one chunk as `write_rows` builds it: the same bytes,
    without turning each row into Python objects."""
    import pyarrow.compute as pc

    stage, lang, index, total = key
    schema = DOCUMENT_SCHEMA if kind == DOCUMENTS else REJECTED_SCHEMA
    table = table.select(schema.names)
    order = pc.sort_indices(table, sort_keys=[(name, "ascending") for name in schema.names])
    table = table.take(order).combine_chunks()
    path = shard_path(partition_dir(root, kind, lang, stage or None), index, total, fmt)
    return path, write_shard(table, path, fmt), table.num_rows


def write_rows(key: tuple, rows: Iterable[tuple], root: str, kind: str, fmt: str,
               path: str | None = None) -> tuple[str, bool, int]:
    """One shard (`key` as shard_key gives it): its rows sorted (by id, whole rows breaking ties between
    records that share an id) and written under a temporary name, then renamed. Returns the path,
    whether it was written (False: a finished shard of an earlier run kept) and the row count.
    `path`: where the shard goes instead of shard_file's place."""
    rows = sorted(rows)
    schema = DOCUMENT_SCHEMA if kind == DOCUMENTS else REJECTED_SCHEMA
    table = pa.table({name: [r[i] for r in rows] for i, name in enumerate(schema.names)}, schema=schema)
    path = path or shard_file(key, root, kind, fmt)
    return path, write_shard(table, path, fmt), len(rows)


def shard_file(key: tuple, root: str, kind: str, fmt: str) -> str:
    """The path of the shard `key` (as shard_key gives it) under `root`: where write_rows writes it."""
    stage, lang, index, total = key
    return shard_path(partition_dir(root, kind, lang, stage or None), index, total, fmt)
