"""`roots run --engine spark`: the same steps, stage objects and run directory as the Beam runner,
on PySpark. Per-document stages run fused in `mapPartitions` (each stage's `setup()` once per
partition), counts are summed per (stage, lang, outcome), and every shard is written by one task,
sorted, with the shard count from the partition's bytes: byte-identical to the Beam runner's output.

Dedup is distributed too (roots.pipelines.spark_dedup: band keys bucketed as numpy batches, pairs
verified by cogroups with the co-partitioned exact groups, connected components by large-star /
small-star rounds, in few and large jobs), and so is the Megatron binarisation (tokenize_on_spark). Only the tokenizer's sample and training run on the driver.
"""
from __future__ import annotations

import logging
import os
import sys
import time
import uuid
from collections import deque
from typing import Callable, Iterable, Iterator

from roots import fs
from roots.config import RunConfig
from roots.document import Document, Rejection
from roots.io.formats import FORMATS
from roots.pipelines.plan import (INGEST, Counts, DedupPart, DocumentStepPlan, StepCallback, StepResult,
                                  apply_stage_stream as _apply, begin_step, document_row, final_sizes, finish_run,
                                  finish_step, is_dedup as _is_dedup, list_units, partition_sizes, plan_steps,
                                  open_manifest, read_shard, read_units as _read_units, rejected_row, remove_intermediate,
                                  run_tokenizer_steps, shard_key as _shard_key, step_progress, step_root,
                                  sum_counts as _sum_counts, template_plan, write_rows)
from roots.rundir import DOCUMENTS, REJECTED, STATS, list_shards, shard_count, write_json
from roots.runlock import run_lock
from roots.stage import Stage
from roots.progress import StepProgress
from roots.stats import KEPT, Manifest

log = logging.getLogger(__name__)

DEFAULT_MASTER = "local[2]"
_DOC, _REJ, _COUNT = "D", "R", "C"


# --- per-partition work (runs on executors) -------------------------------------------------------

#: stages already set up in this Python worker, by the driver's token for one step's stage list:
#: a reused worker (spark.python.worker.reuse) loads each model once, not once per partition.
_READY: dict[str, list[Stage]] = {}


def _ready_stages(token: str, stages: list[Stage]) -> list[Stage]:
    """`stages` set up once per Python worker (the first partition it runs of this step)."""
    ready = _READY.get(token)
    if ready is None:
        _READY.clear()   # one step at a time: drop the models of an earlier step
        for stage in stages:
            stage.setup()
        ready = _READY[token] = stages
    return ready


def _fused(stages: list[Stage], source: Callable[[Iterator, deque, Counts], Iterator[Document]],
           annotations: dict[str, Callable]) -> Callable[[Iterator], Iterator[tuple]]:
    """The mapPartitions function of a run of per-document stages: input → every stage in order →
    ("D", document) for the kept, ("R", (stage, rejection)) for the rest, and at the end of the
    partition ("C", counts) and ("A", name, annotation counts). Models load once per Python worker."""
    token = uuid.uuid4().hex

    def run_partition(items: Iterator) -> Iterator[tuple]:
        rejects: deque = deque()
        counts: Counts = {}
        notes: dict[str, dict] = {name: {} for name in annotations}
        docs = source(items, rejects, counts)
        for stage in _ready_stages(token, stages):
            docs = _apply(stage, docs, rejects, counts)
        for doc in docs:
            while rejects:
                yield _REJ, rejects.popleft()
            for name, fn in annotations.items():
                for key, n in fn(doc).items():
                    notes[name][key] = notes[name].get(key, 0) + n
            yield _DOC, doc
        while rejects:
            yield _REJ, rejects.popleft()
        yield _COUNT, counts
        for name, table in notes.items():
            yield "A", (name, table)
    return run_partition


def _pass_through(items: Iterator[Document], rejects: deque, counts: Counts) -> Iterator[Document]:
    return items


def _write_group(group: tuple[tuple, Iterable[tuple]], roots: dict[str, str], fmt: str) -> tuple[str, str]:
    """One shard of either kind, ((kind, stage, lang, shard, shard count), rows) → (kind, its path): the
    rows sorted (by id, whole rows breaking ties), written under a temporary name, then renamed."""
    (kind, *key), rows = group
    return kind, write_rows(tuple(key), rows, roots[kind], kind, fmt)[0]


# --- the driver ------------------------------------------------------------------------------------

def under_spark_submit() -> bool:
    """Whether this driver was started by spark-submit (which hands it a running JVM gateway)."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


#: What a local master gets unless told otherwise: Spark's 1 GB default heap holds too few cached
#: shards once the corpus passes a few hundred MB.
LOCAL_DEFAULTS = {"spark.driver.memory": "2g"}


def spark_session(master: str | None = None, app: str = "roots", conf: dict[str, str] | None = None):
    """A SparkSession. Started by spark-submit: its master and configuration, as given there. Else
    `master` (local[2] by default), with Python workers on this interpreter (the venv with roots).
    `conf` (e.g. from `roots run --conf KEY=VALUE`) is set on either."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app)
    settings = dict(conf or {})
    if not under_spark_submit():
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        master = master or DEFAULT_MASTER
        if master.startswith("local"):
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            settings = {**LOCAL_DEFAULTS, **settings}
        settings.setdefault("spark.ui.enabled", "false")
    if master:
        builder = builder.master(master)
    settings.setdefault("spark.ui.showConsoleProgress", "false")
    settings.setdefault("spark.python.worker.reuse", "true")
    for key, value in sorted(settings.items()):
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


def _slices(sc, n: int) -> int:
    """Partitions for `n` units, shards or shard groups: two per core at most (Spark's per-task cost
    is tens of milliseconds; a task per small input unit would dominate a small run)."""
    return max(1, min(n, 2 * sc.defaultParallelism))


class _StepState:
    """A step in progress on Spark: the current kept documents (an RDD), the rejections so far (RDDs
    of (stage, Rejection)), the counts and annotation sums gathered on the driver."""

    def __init__(self, sc, kept, annotations: dict, n_kept: int | None = None):
        self.sc, self.kept, self.rejected, self.counts, self.notes = sc, kept, [], {}, {}
        self.annotations, self.cached = annotations, []
        self.n_kept = n_kept   # documents in `kept`, when known (dedup sizes its shuffles by it)

    def run_stages(self, stages: list[Stage], source=_pass_through, last: bool = False) -> None:
        """Per-document stages fused in one mapPartitions; annotations are counted on the last part."""
        from pyspark import StorageLevel

        notes = self.annotations if last else {}
        # documents are read back three times (counts, kept, rejected): from local disk, so that the
        # JVM heap does not grow with the corpus (BENCHMARKS.md, Scale)
        out = self.kept.mapPartitions(_fused(stages, source, notes)).persist(StorageLevel.DISK_ONLY)
        self.cached.append(out)
        gathered = out.filter(lambda t: t[0] in (_COUNT, "A")).collect()
        tables = [t[1] for t in gathered if t[0] == _COUNT]
        self.counts = _sum_counts([self.counts] + tables)
        last = stages[-1].name if stages else INGEST
        self.n_kept = _kept_docs(_sum_counts(tables), last)
        for _, (name, table) in (t for t in gathered if t[0] == "A"):
            cell = self.notes.setdefault(name, {})
            for key, n in table.items():
                cell[key] = cell.get(key, 0) + n
        self.kept = out.filter(lambda t: t[0] == _DOC).map(lambda t: t[1])
        self.rejected.append(out.filter(lambda t: t[0] == _REJ).map(lambda t: t[1]))

    def run_dedup(self, part: DedupPart) -> None:
        """The dedup part, distributed (roots.pipelines.spark_dedup): the Beam transform's rules and output."""
        from pyspark.sql import SparkSession

        from roots.pipelines.spark_dedup import deduplicate

        out, tables = deduplicate(SparkSession.builder.getOrCreate(), self.kept, part.config,
                                  2 * self.sc.defaultParallelism, part.modes, self.n_kept)
        self.cached.append(out)
        self.counts = _sum_counts([self.counts] + tables)
        self.n_kept = _kept_docs(_sum_counts(tables), part.name)
        self.kept = out.filter(lambda t: t[0] == _DOC).map(lambda t: t[1])
        self.rejected.append(out.filter(lambda t: t[0] == _REJ).map(lambda t: t[1]))

    def unpersist(self) -> None:
        for rdd in self.cached:
            rdd.unpersist()


def _kept_docs(counts: Counts, stage: str) -> int:
    """Documents `stage` kept, by its counts."""
    return sum(cell[0] for (name, _, outcome), cell in counts.items() if name == stage and outcome == KEPT)


def _step_kept_docs(manifest: Manifest, step: str) -> int | None:
    """Documents a finished step kept (its last stage's count in the manifest); None when not recorded."""
    info = manifest.steps.get(step) or {}
    try:
        cells = info["counts"][info["stages"][-1]].values()
        return sum(cell[KEPT]["docs"] for cell in cells)
    except (KeyError, IndexError, TypeError):
        return None


def run_document_step(sc, plan: DocumentStepPlan, config: RunConfig, manifest: Manifest, final: bool,
                      units: list[tuple[int, int, str]] | None = None, progress: bool = True) -> StepResult:
    """One document step on Spark unless the manifest marks it complete; the same outputs, counts
    files and manifest entry as roots.pipelines.runner.run_document_step."""
    done = begin_step(plan, config, manifest)
    if done is not None:
        return done
    start = time.perf_counter()
    local = (sc.master or "").startswith("local")
    with step_progress(plan, config, manifest, units, enabled=progress and local) as bar:
        order, state = _run_parts(sc, plan, config, units, bar, manifest)
        _write_outputs(state, config, order[-1], step_root(config.output, plan.name, final), plan.rejected_map)
    items, annotations = _finish_parts(state, plan, config)
    return finish_step(plan, manifest, order, items, time.perf_counter() - start, annotations)


def _run_parts(sc, plan: DocumentStepPlan, config: RunConfig, units: list[tuple[int, int, str]] | None,
               bar: StepProgress, manifest: Manifest) -> tuple[list[str], "_StepState"]:
    """Read the step's input and run its parts (stages fused, dedup between them); the stage order."""
    out, sink = config.output, bar.sink
    parts = list(plan.parts)
    if plan.after is None:
        units = list_units(config.sources) if units is None else units
        sources, sizes = config.sources, bar.unit_sizes
        state = _StepState(sc, sc.parallelize(units, _slices(sc, len(units))), plan.annotations)
        reader = lambda items, rejects, counts: _read_units(items, sources, rejects, counts, sink, sizes)  # noqa: E731
        order = [INGEST]
    else:
        paths = list_shards(step_root(out, plan.after, False))
        read = read_shard if sink is None else (lambda path: sink.track(read_shard(path)))
        state = _StepState(sc, sc.parallelize(paths, _slices(sc, len(paths))).flatMap(read), plan.annotations,
                           _step_kept_docs(manifest, plan.after))
        reader, order = None, []
    order += [p.name for p in parts]
    # consecutive per-document stages run fused; dedup (a global step) runs between them
    i = 0
    while i < len(parts) or reader is not None:
        if i < len(parts) and _is_dedup(parts[i]):
            if reader is not None:
                state.run_stages([], reader)
                reader = None
            state.run_dedup(parts[i])
            i += 1
            continue
        j = i
        while j < len(parts) and not _is_dedup(parts[j]):
            j += 1
        state.run_stages(parts[i:j], reader or _pass_through, last=j == len(parts))
        reader, i = None, j
    if plan.annotations and parts and _is_dedup(parts[-1]):
        log.warning("step %s: annotations need a per-document last part; none counted", plan.name)
    return order, state


def _finish_parts(state: "_StepState", plan: DocumentStepPlan, config: RunConfig) -> tuple[list, dict]:
    """Counts and annotations of a finished step, written to RUN/stats as the Beam runner writes them."""
    out = config.output
    state.unpersist()
    stats_prefix = os.path.join(out, STATS, plan.name)
    items = sorted((k, tuple(v)) for k, v in state.counts.items())
    write_json(f"{stats_prefix}.counts.json", [[list(k), list(v)] for k, v in items])
    annotations = {name: [[list(k), v] for k, v in sorted(state.notes.get(name, {}).items())]
                   for name in sorted(plan.annotations)}
    for name, pairs in annotations.items():
        write_json(f"{stats_prefix}.{name}.json", pairs)
    return items, annotations


def _map_rejected(fn, items: Iterable[tuple[str, Rejection]]) -> Iterator[tuple[str, Rejection]]:
    """A plan's map over rejections (PII redaction), its resources loaded once per partition."""
    fn.setup()
    for item in items:
        yield fn(item)


def _write_outputs(state: _StepState, config: RunConfig, last_stage: str, docs_root: str, rejected_map=None) -> None:
    """Kept documents under docs_root/documents, rejections under RUN/rejected (through the plan's
    `rejected_map` first, e.g. PII redaction); one task per shard."""
    sizes = partition_sizes(state.counts, last_stage)
    sizes_b = state.sc.broadcast(sizes)
    groups = _slices(state.sc, sum(shard_count(n, config.shard_target_mb) for n in sizes.values()))
    target, fmt, run_dir = config.shard_target_mb, config.output_format, config.output
    rejected = state.sc.union(state.rejected)
    if rejected_map is not None:
        rejected = rejected.mapPartitions(lambda items: _map_rejected(rejected_map, items))
    roots = {DOCUMENTS: docs_root, REJECTED: run_dir}
    # both kinds in one job (keyed by kind and shard), not a job each; each side is partitioned before
    # the union, so the rows cross no extra Python worker on their way to the shuffle
    keyed = [rows.map(lambda item, kind=kind: ((kind, *_shard_key(item, sizes_b.value, target)[0]), item[1]))
             .partitionBy(groups)
             for kind, rows in ((DOCUMENTS, state.kept.map(lambda d: ("", document_row(d)))),
                                (REJECTED, rejected.map(rejected_row)))]
    written = (keyed[0].union(keyed[1]).groupByKey(groups)     # co-partitioned: no second shuffle
               .map(lambda group: _write_group(group, roots, fmt)).countByKey())
    for kind in (DOCUMENTS, REJECTED):
        log.info("wrote %d %s shards under %s", written.get(kind, 0), kind, roots[kind])


def run_template_step(sc, config: RunConfig, manifest: Manifest, units: list[tuple[int, int, str]]) -> None:
    """The template-line counts that Cleaning needs (see runner.run_template_step), on Spark."""
    from roots.filters.cleaning import TemplateLines, template_line_hashes
    from roots.filters.normalise import normalise_text

    plan = template_plan(config, manifest, units)
    if plan is None:
        return
    chosen, min_chars, min_count = plan.units, plan.min_chars, plan.min_count
    sources = config.sources

    def lines(unit: tuple[int, int, str]) -> Iterator[tuple[tuple[str, bytes], int]]:
        spec = sources[unit[1]]
        for record in FORMATS[spec.format].records(spec, unit[2]):
            if not isinstance(record, Rejection):
                for h in template_line_hashes(normalise_text(record.text), min_chars):
                    yield (record.source, h), 1

    found = (sc.parallelize(chosen, _slices(sc, len(chosen))).flatMap(lines)
             .reduceByKey(lambda a, b: a + b, _slices(sc, len(chosen))).filter(lambda kv: kv[1] >= min_count)
             .map(lambda kv: kv[0]).collect())
    fixed: dict[str, set] = {src: set() for src, _ in found}
    for src, h in found:
        fixed[src].add(h)
    TemplateLines(min_chars, min_count, fixed=fixed).save(plan.path)
    plan.complete(manifest)


def run(config: RunConfig, master: str | None = None, plans: list[DocumentStepPlan] | None = None,
        spark=None, conf: dict[str, str] | None = None, on_step: StepCallback | None = None,
        progress: bool = True) -> Manifest:
    """Every step of `config` on Spark (`master`, spark-submit's, or the given SparkSession) into `config.output`,
    resuming like the Beam runner: the document steps and the Megatron binaries on Spark, the
    tokenizer's sample and training on the driver as in the Beam runner."""
    plans = plan_steps(config) if plans is None else plans
    units = list_units(config.sources)
    fs.makedirs(config.output)
    own = spark is None
    with run_lock(config.output):   # a second run on this folder is refused, not mixed in
        manifest = open_manifest(config, plans)   # another config, inputs or models refused; changed language configs reset
        spark = spark_session(master, conf=conf) if own else spark
        _run_steps(spark, config, plans, units, manifest, own, on_step, progress)
        finish_run(config, manifest, plans)
    return manifest


def _run_steps(spark, config: RunConfig, plans: list[DocumentStepPlan], units: list[tuple[int, int, str]],
               manifest: Manifest, own: bool, on_step: StepCallback | None = None, progress: bool = True) -> None:
    """The steps of `run` inside its lock; stops the session when `run` started it."""
    try:
        sc = spark.sparkContext
        run_template_step(sc, config, manifest, units)
        for i, plan in enumerate(plans):
            result = run_document_step(sc, plan, config, manifest, final=i == len(plans) - 1,
                                       units=units if plan.after is None else None, progress=progress)
            log.debug("step %s %s in %.1f s", result.name, "skipped" if result.skipped else "done", result.seconds)
            if on_step is not None:
                on_step(result.name, manifest.steps[result.name], result.skipped)
        run_tokenizer_steps(config, manifest, [], final_sizes(manifest, plans[-1].name), engine=tokenize_on_spark(sc),
                            on_step=on_step)
        remove_intermediate(config)
    finally:
        if own:
            spark.stop()


#: SentencePiece models loaded in this Python worker, by path (a reused worker loads each once).
_TOKENIZERS: dict[str, tuple] = {}


def _tokenizer(model_path: str) -> tuple:
    from roots.megatron import dtype_for_vocab, eod_id
    from roots.tokenizer import load_sentencepiece

    found = _TOKENIZERS.get(model_path)
    if found is None:
        sp = load_sentencepiece(model_path)
        found = _TOKENIZERS[model_path] = (sp, eod_id(sp), dtype_for_vocab(sp.get_piece_size()))
    return found


def tokenize_on_spark(sc) -> Callable[..., list[dict]]:
    """The binarisation's engine part on Spark: document shards encoded in parallel tasks, chunks grouped
    by Megatron shard, each shard written by one task (roots.pipelines.megatron's engine-free parts)."""
    from roots.pipelines.megatron import encode_unit, write_chunks

    def run(units: list, model_path: str, out_dir: str, config) -> list[dict]:
        def encode(unit):
            sp, eod, dtype = _tokenizer(model_path)
            return encode_unit(sp, eod, dtype, config, unit)

        def write(keyed):
            return write_chunks(out_dir, _tokenizer(model_path)[2], config, keyed)

        n_shards = len({(u[0], i) for u in units for i in range(u[2])})
        return (sc.parallelize(units, _slices(sc, len(units))).flatMap(encode)
                .groupByKey(_slices(sc, n_shards)).flatMap(write).collect())
    return run
