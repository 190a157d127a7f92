"""`roots run --engine local`: the same steps, stages and run directory as the Beam and Spark engines,
on a pool of worker processes on this machine, with memory that does not follow the corpus.

Each task (an input unit, or a previous step's shard) streams its documents through the step's
stages in batches (models loaded once per worker by `setup()`), and writes its kept and rejected rows
to Arrow spill files per output partition under RUN/.tmp-local/ (phase 1); only counts return to the
driver. The counts give each partition's bytes, hence its shard count N; then one task per partition
routes its spilled rows to per-shard spill files and one task per shard sorts its rows by id and
writes it as Beam's and Spark's `write_rows` do (`write_sorted_table`, in Arrow; phase 2):
byte-identical output, and document text is never held all at once. Dedup (pipelines/local_dedup.py)
keeps its fingerprints, ranks, band keys, edges and fates in spill files, read a partition at a time;
the driver holds one int64 per document for the union-find; each document is routed by its fate in a
second streaming pass.
"""
from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import pickle
import shutil
import tempfile
import time
import uuid
from collections import Counter, deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import numpy as np
import pyarrow as pa

from roots import fs
from roots.config import RunConfig
from roots.document import DOCUMENT_SCHEMA, REJECTED_SCHEMA, Rejection
from roots.errors import RootsError
from roots.io.base import SourceSpec
from roots.io.formats import FORMATS
from roots.pipelines.local_dedup import prepare as prepare_dedup, route_shard
from roots.pipelines.local_preload import ENV as PRELOAD_ENV
from roots.pipelines.plan import (INGEST, Counts, DocumentStepPlan, StepCallback, StepResult, apply_stage_stream,
                                  begin_step, document_row, file_size, final_sizes, finish_run, finish_step,
                                  is_dedup, list_units, partition_sizes, plan_steps, read_shard, read_units,
                                  open_manifest, rejected_row, remove_intermediate, row_lang,
                                  run_tokenizer_steps, step_progress,
                                  step_root, sum_counts, template_plan, write_sorted_table)
from roots.processes import main_not_reimported
from roots.progress import ProgressSink
from roots.rundir import DOCUMENTS, REJECTED, STATS, list_shards, shard_count, shard_of, write_json
from roots.runlock import run_lock
from roots.stage import Stage
from roots.stats import Manifest

log = logging.getLogger(__name__)

#: The spill folder under the run directory; its name holds `.tmp-`, so a crashed run's is removed.
SPILL_DIR = ".tmp-local"
#: Rows buffered per output partition in a task before they are written as one record batch.
SPILL_ROWS = 2048
#: Text bytes buffered in a task before record batches are written, whatever the row count: per
#: partition, and over all of them (a routing task has one partition per shard, as many as the corpus asks).
SPILL_BYTES = 16 << 20

#: The module the fork server imports to run the preload calls.
_PRELOAD_MODULE = "roots.pipelines.local_preload"

#: A partition of a step's output: (kind, stage or "", language folder).
Partition = tuple[str, str, str]


# --- spill files -------------------------------------------------------------------------------------

class _Spill:
    """Rows of one task, written as Arrow IPC files (one per output partition) in record batches."""

    def __init__(self, folder: str, prefix: str):
        self.folder, self.prefix = folder, prefix
        self.buffers: dict[Partition, list[tuple]] = {}
        self.sizes: dict[Partition, int] = {}
        self.writers: dict[Partition, Any] = {}
        self.paths: dict[Partition, str] = {}
        self.total = 0

    def add(self, part: Partition, row: tuple) -> None:
        rows = self.buffers.setdefault(part, [])
        rows.append(row)
        self.sizes[part] = self.sizes.get(part, 0) + len(row[1])
        self.total += len(row[1])
        if len(rows) >= SPILL_ROWS or self.sizes[part] >= SPILL_BYTES:
            self._flush(part)
        elif self.total >= SPILL_BYTES:
            for other in list(self.buffers):
                self._flush(other)

    def add_batch(self, part: Partition, batch: pa.RecordBatch) -> None:
        """Rows already in Arrow, written as they are (after the partition's buffered rows)."""
        self._flush(part)
        self._writer(part, batch.schema).write_batch(batch)

    def _writer(self, part: Partition, schema: pa.Schema) -> Any:
        writer = self.writers.get(part)
        if writer is None:
            path = os.path.join(self.folder, f"{self.prefix}-{len(self.paths):04d}.arrow")
            self.paths[part] = path
            writer = self.writers[part] = pa.ipc.new_stream(path, schema)
        return writer

    def _flush(self, part: Partition) -> None:
        rows = self.buffers.pop(part, [])
        self.total -= self.sizes.get(part, 0)
        self.sizes[part] = 0
        if not rows:
            return
        schema = DOCUMENT_SCHEMA if part[0] == DOCUMENTS else REJECTED_SCHEMA
        self._writer(part, schema).write_batch(pa.RecordBatch.from_arrays([pa.array([r[i] for r in rows], type=f.type)
                                                       for i, f in enumerate(schema)], schema=schema))

    def close(self) -> dict[Partition, str]:
        for part in list(self.buffers):
            self._flush(part)
        for writer in self.writers.values():
            writer.close()
        return self.paths


def _spilled_batches(path: str) -> Iterator[pa.RecordBatch]:
    """The record batches of one spill file."""
    with pa.OSFile(path, "rb") as source:
        yield from pa.ipc.open_stream(source)


def _spilled_table(paths: list[str]) -> pa.Table:
    """The rows of several spill files of one partition as one table (schema from the first file)."""
    batches = [batch for path in paths for batch in _spilled_batches(path)]
    return pa.Table.from_batches(batches)


# --- worker state: what a worker process has set up for the step it is running ---------------------

#: What this worker process has set up (a step's stages, a model, a fates table), by key, and the step
#: (the driver's token) it belongs to.
_READY: dict[str, Any] = {}
_SCOPE: list[str] = [""]


def _ready(scope: str, key: str, make: Callable[[], Any]) -> Any:
    """`make()` once per worker process for `key` within step `scope`. The first task of another step
    releases everything the earlier step set up (its models: fastText, KenLM, spaCy, SentencePiece),
    so a worker holds one step's models at a time."""
    if _SCOPE[0] != scope:
        release()
        _SCOPE[0] = scope
    found = _READY.get(key)
    if found is None:
        found = _READY[key] = make()
    return found


def _started_worker(_: int) -> int:
    """A worker's first task: nothing, so that starting the pool starts every worker."""
    return os.getpid()


def release() -> None:
    """Drop what this worker set up for its current step, and collect it now (models hold hundreds of MB)."""
    _SCOPE[0] = ""
    if _READY:
        _READY.clear()
        gc.collect()


def _set_up(stages: list[Stage], rejected_map: Any) -> tuple[list[Stage], Any]:
    for stage in stages:
        stage.setup()
    if rejected_map is not None:
        rejected_map.setup()
    return stages, rejected_map


# --- phase 1: one task per input unit or shard ------------------------------------------------------

@dataclass
class _Task:
    """What one phase-1 task reads (`units` of the sources, or a shard `path`) and runs."""

    index: int
    token: str
    stages: list
    rejected_map: Any
    annotations: dict
    folder: str
    units: list | None = None
    sources: tuple[SourceSpec, ...] = ()
    path: str | None = None
    sink: ProgressSink | None = None
    sizes: dict = field(default_factory=dict)
    #: the dedup pass 2: the dedup spill files and this shard's position (see local_dedup.route_shard)
    dedup: tuple | None = None


def _run_task(task: _Task) -> tuple[Counts, dict, dict[Partition, str]]:
    """Phase 1 of a step for one unit or shard: documents → stages → rows spilled per partition.
    Returns the outcome counts, the annotation sums and the spill file of each partition."""
    stages, rejected_map = _ready(task.token, "stages", lambda: _set_up(task.stages, task.rejected_map))
    rejects: deque = deque()
    counts: Counts = {}
    notes: dict[str, dict] = {name: {} for name in task.annotations}
    if task.units is not None:
        docs = read_units(task.units, task.sources, rejects, counts, task.sink, task.sizes)
    else:
        docs = read_shard(task.path)
        if task.sink is not None and task.dedup is None:   # a dedup step's input was counted in pass 1
            docs = task.sink.track(docs)
        if task.dedup is not None:
            docs = route_shard(docs, task.dedup, rejects, counts)
    for stage in stages:
        docs = apply_stage_stream(stage, docs, rejects, counts)
    spill = _Spill(task.folder, f"p1-{task.index:06d}")

    def drain() -> None:
        while rejects:
            item = rejects.popleft()
            if rejected_map is not None:   # e.g. PII redaction, after the rejection was counted
                item = rejected_map(item)
            stage, row = rejected_row(item)
            spill.add((REJECTED, stage, row_lang(row)), row)

    for doc in docs:
        drain()
        for name, fn in task.annotations.items():
            for key, n in fn(doc).items():
                notes[name][key] = notes[name].get(key, 0) + n
        row = document_row(doc)
        spill.add((DOCUMENTS, "", row_lang(row)), row)
    drain()
    return counts, notes, spill.close()


# --- phase 2: one task per partition, then one per shard -------------------------------------------

def _route_partition(args: tuple) -> list[tuple[tuple, list[str]]]:
    """A partition's spill files → its shards: written here when it has one, else its rows routed to
    one spill file per shard (by `shard_of(id, N)`), returned for the shard tasks."""
    (kind, stage, lang), total, paths, root, fmt, folder = args
    release()   # phase 1 is over on every worker: the step's models are not needed again
    if total == 1:
        write_sorted_table((stage, lang, 0, total), _spilled_table(paths), root, kind, fmt)
        return []
    spill = _Spill(folder, f"p2-{uuid.uuid4().hex}")
    for path in paths:
        for batch in _spilled_batches(path):   # each batch split by shard, in Arrow: only the ids become Python
            shards = np.fromiter((shard_of(i, total) for i in batch.column(0).to_pylist()), np.int64, batch.num_rows)
            for index in np.unique(shards):
                spill.add_batch((kind, str(index), lang), batch.filter(pa.array(shards == index)))
    return [((stage, lang, int(index), total), [path]) for (_, index, _), path in sorted(spill.close().items())]


def _write_shard(args: tuple) -> str:
    """One shard from its spill files: rows sorted by id and written as Beam and Spark write them."""
    key, paths, root, kind, fmt = args
    release()
    return write_sorted_table(key, _spilled_table(paths), root, kind, fmt)[0]


# --- the driver --------------------------------------------------------------------------------------

class LocalEngine:
    """A pool of `workers` processes (forkserver: started clean, no driver threads inherited) and the
    run directory's spill folder; runs the steps' tasks on them. `preload`: calls the fork server runs
    once before forking the workers (see `preload_calls`), so that what they build (spaCy tokenizers)
    is built once per run, not once per worker."""

    def __init__(self, workers: int | None, run_dir: str, preload: list[Callable[[], Any]] | None = None,
                 modules: list[str] | None = None):
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.run_dir = run_dir
        start = time.perf_counter()
        self.pool = self._start_pool(preload, modules)
        log.debug("pool of %d workers started in %.1f s (%d preload calls)", self.workers,
                  time.perf_counter() - start, len(preload or []))

    def _start_pool(self, preload: list[Callable[[], Any]] | None, modules: list[str] | None) -> ProcessPoolExecutor:
        """The worker processes, all started before this returns. An executor rather than
        multiprocessing.Pool: a worker that dies (killed for memory) breaks the pool, which the driver
        hears of (BrokenProcessPool), where a Pool waits forever for the lost task."""
        methods = multiprocessing.get_all_start_methods()
        if "forkserver" not in methods:
            return self._started(ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn")))
        ctx = multiprocessing.get_context("forkserver")
        # Modules the workers import anyway, imported once in the fork server; then the preload calls.
        ctx.set_forkserver_preload(sorted(set(modules or [])) + [_PRELOAD_MODULE])
        with tempfile.TemporaryDirectory(prefix="roots-local-preload-") as tmp:
            path = os.path.join(tmp, "preload.pickle")
            with open(path, "wb") as fh:
                pickle.dump(list(preload or []), fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.environ[PRELOAD_ENV] = path   # read by the fork server at its start (the first pool's only)
            try:   # the fork server starts with the first worker, while the preload file exists
                return self._started(ProcessPoolExecutor(self.workers, mp_context=ctx))
            finally:
                del os.environ[PRELOAD_ENV]

    def _started(self, pool: ProcessPoolExecutor) -> ProcessPoolExecutor:
        """`pool` with its workers started (an executor starts them on demand): one no-op task each."""
        list(pool.map(_started_worker, range(self.workers)))
        return pool

    def spill_folder(self, name: str) -> str:
        """A fresh spill folder for one step (local even when the run directory is an object store)."""
        if fs.is_remote(self.run_dir):
            return tempfile.mkdtemp(prefix=f"roots-local-{name}-")
        path = os.path.join(self.run_dir, SPILL_DIR, f"{name}-{uuid.uuid4().hex[:8]}")
        os.makedirs(path)
        return path

    @staticmethod
    def remove_spill(folder: str) -> None:
        """Delete a step's spill folder, and the spill root once empty, so that the next step does not
        find (and report) it as a crashed run's half-written files."""
        shutil.rmtree(folder, ignore_errors=True)
        root = os.path.dirname(folder)
        if os.path.basename(root) == SPILL_DIR:   # not a system temp folder (object-store runs)
            try:
                os.rmdir(root)
            except OSError:   # another step's folder is still there
                pass

    def map(self, fn: Callable, items: list, costs: list[int] | None = None) -> list:
        """fn over items on the pool, results in input order; one item per task (load balanced).
        `costs` (e.g. input bytes): tasks are handed out largest first, so that no large task starts
        last while the other workers sit idle (longest-processing-time order); results do not change."""
        if not items:
            return []
        if costs is None or self.workers == 1:   # one worker: nothing to balance, the given order
            order: Any = range(len(items))
        else:
            order = sorted(range(len(items)), key=lambda i: (-costs[i], i))
        try:
            futures = {i: self.pool.submit(fn, items[i]) for i in order}
            return [futures[i].result() for i in range(len(items))]
        except BrokenProcessPool as err:
            raise RootsError(f"a worker process of the local engine died (killed by the system, out of memory?): "
                             f"{err}; rerun to resume, with fewer --workers or more memory") from None

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        spill = os.path.join(self.run_dir, SPILL_DIR)
        if not fs.is_remote(self.run_dir) and os.path.isdir(spill):
            shutil.rmtree(spill, ignore_errors=True)


def _task_cost(task: "_Task") -> int:
    """Bytes a phase-1 task reads: its input units' sizes, or its shard's size."""
    if task.path:
        return file_size(task.path)
    return sum(file_size(unit[2]) for unit in task.units or ())


def run_document_step(engine: LocalEngine, plan: DocumentStepPlan, config: RunConfig, manifest: Manifest,
                      final: bool, units: list[tuple[int, int, str]] | None = None,
                      progress: bool = True) -> StepResult:
    """One document step on the pool unless the manifest marks it complete; the same outputs, counts
    files and manifest entry as the Beam and Spark engines."""
    done = begin_step(plan, config, manifest)
    if done is not None:
        return done
    start = time.perf_counter()
    folder = engine.spill_folder(plan.name)
    try:
        with step_progress(plan, config, manifest, units, enabled=progress) as bar:
            order, tasks = _phase1_tasks(engine, plan, config, units, bar, folder)
            results = engine.map(_run_task, tasks, [_task_cost(t) for t in tasks])
            counts = sum_counts(r[0] for r in results)
            _phase2(engine, results, counts, order[-1], config, step_root(config.output, plan.name, final), folder)
    finally:
        engine.remove_spill(folder)
    items, annotations = _write_stats(plan, config, counts, [r[1] for r in results])
    return finish_step(plan, manifest, order, items, time.perf_counter() - start, annotations)


def _phase1_tasks(engine: LocalEngine, plan: DocumentStepPlan, config: RunConfig,
                  units: list[tuple[int, int, str]] | None, bar: Any, folder: str) -> tuple[list[str], list[_Task]]:
    """The step's stage order and its phase-1 tasks (for a dedup step, after dedup's pass 1)."""
    parts = list(plan.parts)
    dedup = None
    if parts and is_dedup(parts[0]):
        dedup = parts.pop(0)
    if any(is_dedup(p) for p in parts) or (dedup is not None and plan.after is None):
        raise ValueError(f"step {plan.name}: the local engine runs dedup only as the first part of a step "
                         "that reads another step's shards")
    token = uuid.uuid4().hex
    common = dict(token=token, stages=parts, rejected_map=plan.rejected_map, annotations=plan.annotations,
                  folder=folder, sink=bar.sink)
    order = [p.name for p in plan.parts]
    if plan.after is None:
        units = list_units(config.sources) if units is None else units
        tasks = [_Task(i, units=[unit], sources=config.sources, sizes={unit[0]: bar.unit_sizes.get(unit[0], 0)},
                       **common) for i, unit in enumerate(units)]
        return [INGEST] + order, tasks
    paths = list_shards(step_root(config.output, plan.after, False))
    if dedup is None:
        return order, [_Task(i, path=path, **common) for i, path in enumerate(paths)]
    specs = prepare_dedup(engine.map, paths, dedup.config, dedup.modes, os.path.join(folder, "dedup"), bar.sink)
    return order, [_Task(i, path=path, dedup=specs[i], **common) for i, path in enumerate(paths)]


def _phase2(engine: LocalEngine, results: list, counts: Counts, last_stage: str, config: RunConfig,
            docs_root: str, folder: str) -> None:
    """Shards from the phase-1 spill files: one task per partition, then one per shard of those with more."""
    sizes = partition_sizes(counts, last_stage)
    by_part: dict[Partition, list[str]] = {}
    for _, _, spilled in results:
        for part, path in spilled.items():
            by_part.setdefault(part, []).append(path)
    fmt, target = config.output_format, config.shard_target_mb
    jobs = []
    for (kind, stage, lang), paths in sorted(by_part.items()):
        root = docs_root if kind == DOCUMENTS else config.output
        total = shard_count(sizes[(stage, lang)], target)
        jobs.append(((kind, stage, lang), total, paths, root, fmt, folder))
    shards = engine.map(_route_partition, jobs, [sum(map(file_size, job[2])) for job in jobs])
    writes = [(key, paths, job[3], job[0][0], fmt) for job, found in zip(jobs, shards) for key, paths in found]
    engine.map(_write_shard, writes, [sum(map(file_size, w[1])) for w in writes])
    log.debug("wrote %d partitions (%d routed to %d shards)", len(jobs), sum(1 for s in shards if s), len(writes))


def _write_stats(plan: DocumentStepPlan, config: RunConfig, counts: Counts, notes: list[dict]) -> tuple[list, dict]:
    """Counts and annotations of a finished step, written to RUN/stats as the Beam runner writes them."""
    stats_prefix = os.path.join(config.output, STATS, plan.name)
    items = sorted((k, tuple(v)) for k, v in counts.items())
    write_json(f"{stats_prefix}.counts.json", [[list(k), list(v)] for k, v in items])
    summed: dict[str, dict] = {}
    for table in notes:
        for name, cells in table.items():
            cell = summed.setdefault(name, {})
            for key, n in cells.items():
                cell[key] = cell.get(key, 0) + n
    annotations = {name: [[list(k), v] for k, v in sorted(summed.get(name, {}).items())]
                   for name in sorted(plan.annotations)}
    for name, pairs in annotations.items():
        write_json(f"{stats_prefix}.{name}.json", pairs)
    return items, annotations


# --- the template-line step and the Megatron binaries -----------------------------------------------

def _template_task(args: tuple) -> Counter:
    """One unit's normalised lines (>= min_chars) counted per (source, digest)."""
    from roots.filters.cleaning import template_line_hashes
    from roots.filters.normalise import normalise_text

    unit, sources, min_chars = args
    spec = sources[unit[1]]
    found: Counter = Counter()
    for record in FORMATS[spec.format].records(spec, unit[2]):
        if not isinstance(record, Rejection):
            found.update((record.source, h) for h in template_line_hashes(normalise_text(record.text), min_chars))
    return found


def run_template_step(engine: LocalEngine, config: RunConfig, manifest: Manifest,
                      units: list[tuple[int, int, str]]) -> None:
    """The template-line counts that Cleaning needs (see runner.run_template_step), on the pool."""
    from roots.filters.cleaning import TemplateLines

    plan = template_plan(config, manifest, units)
    if plan is None:
        return
    total: Counter = Counter()
    for found in engine.map(_template_task, [(u, config.sources, plan.min_chars) for u in plan.units]):
        total.update(found)
    fixed: dict[str, set] = {}
    for (src, h), n in total.items():
        if n >= plan.min_count:
            fixed.setdefault(src, set()).add(h)
    TemplateLines(plan.min_chars, plan.min_count, fixed=fixed).save(plan.path)
    plan.complete(manifest)


def _encode_task(args: tuple) -> list[tuple[tuple[str, int], str]]:
    """One document shard encoded; each Megatron shard's chunk saved to a spill file."""
    from roots.pipelines.megatron import encode_unit, save_chunk

    unit, model_path, config, folder, scope = args
    sp, eod, dtype = _ready(scope, f"sp-{model_path}", lambda: _load_tokenizer(model_path))
    return [(key, save_chunk(folder, chunk)) for key, chunk in encode_unit(sp, eod, dtype, config, unit)]


def _load_tokenizer(model_path: str) -> tuple:
    from roots.megatron import dtype_for_vocab, eod_id
    from roots.tokenizer import load_sentencepiece

    sp = load_sentencepiece(model_path)
    return sp, eod_id(sp), dtype_for_vocab(sp.get_piece_size())


def _write_megatron_task(args: tuple) -> list[dict]:
    from roots.pipelines.megatron import load_chunk, write_chunks

    key, paths, model_path, out_dir, config, scope = args
    dtype = _ready(scope, f"sp-{model_path}", lambda: _load_tokenizer(model_path))[2]
    return list(write_chunks(out_dir, dtype, config, (key, [load_chunk(p) for p in paths])))


def tokenize_on_pool(engine: LocalEngine) -> Callable[..., list[dict]]:
    """The binarisation's engine part on the pool (see roots.pipelines.megatron.run_tokenize): document
    shards encoded in parallel tasks, chunks spilled to disk, each Megatron shard written by one task."""
    def run(units: list, model_path: str, out_dir: str, config) -> list[dict]:
        folder = engine.spill_folder("megatron")
        scope = uuid.uuid4().hex
        try:
            encoded = engine.map(_encode_task, [(u, model_path, config, folder, scope) for u in units],
                                 [file_size(u[1]) for u in units])
            by_key: dict[tuple[str, int], list[str]] = {}
            for found in encoded:
                for key, path in found:
                    by_key.setdefault(key, []).append(path)
            jobs = [(key, paths, model_path, out_dir, config, scope) for key, paths in sorted(by_key.items())]
            costs = [sum(map(file_size, job[1])) for job in jobs]
            return [record for records in engine.map(_write_megatron_task, jobs, costs) for record in records]
        finally:
            engine.remove_spill(folder)
    return run


def preload_calls(config: RunConfig, plans: list[DocumentStepPlan]) -> tuple[list[Callable[[], Any]], list[str]]:
    """What the fork server sets up before forking the workers: each stage's `preload(langs)` for the
    languages the sources declare (others are set up by each worker on first use), and the modules of
    the stages and of this engine."""
    langs = sorted({spec.lang for spec in config.sources if spec.lang})
    calls, modules = [], {__name__}
    for plan in plans:
        for stage in plan.parts:
            modules.add(type(stage).__module__)
            hook = getattr(stage, "preload", None)
            call = hook(langs) if callable(hook) else None
            if call is not None:
                calls.append(call)
    return calls, sorted(m for m in modules if m.startswith("roots."))


def run(config: RunConfig, workers: int | None = None, ingest_only: bool = False,
        plans: list[DocumentStepPlan] | None = None, on_step: StepCallback | None = None,
        progress: bool = True) -> Manifest:
    """Every step of `config` (or the `plans` given) on a pool of `workers` processes (default: one
    per core) into `config.output`, resuming a crashed or finished run as the Beam runner does."""
    plans = plan_steps(config, ingest_only) if plans is None else plans
    units = list_units(config.sources)
    fs.makedirs(config.output)
    with run_lock(config.output):   # a second run on this folder is refused, not mixed in
        manifest = open_manifest(config, plans)   # another config, inputs or models refused; changed language configs reset
        with main_not_reimported():   # a script calling roots.run at its top level is not re-run per worker
            engine = LocalEngine(workers, config.output, *preload_calls(config, plans))
            try:
                if not ingest_only:
                    run_template_step(engine, config, manifest, units)
                for i, plan in enumerate(plans):
                    result = run_document_step(engine, plan, config, manifest, final=i == len(plans) - 1,
                                               units=units if plan.after is None else None, progress=progress)
                    log.debug("step %s %s in %.1f s", result.name, "skipped" if result.skipped else "done",
                              result.seconds)
                    if on_step is not None:
                        on_step(result.name, manifest.steps[result.name], result.skipped)
                if not ingest_only:
                    run_tokenizer_steps(config, manifest, [], final_sizes(manifest, plans[-1].name),
                                        engine=tokenize_on_pool(engine), on_step=on_step)
                    remove_intermediate(config)
            finally:
                engine.close()
        finish_run(config, manifest, plans)
    return manifest
