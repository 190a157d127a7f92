"""The Beam building blocks of a run: read sources, apply a stage, count outcomes, write shards.

Each is a DoFn or a composite PTransform with one job. Documents travel as `Document` objects
between fused stages; before a shuffle they become plain tuples, which Beam encodes fast.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Callable, Iterable, Iterator

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindows
from roots import fs
from roots.document import Document, Rejection
from roots.io.base import SourceSpec, clean_str
from roots.io.formats import FORMATS
# Byte counting, rows, shard assignment and writing are the engines' shared ones (plan.py).
from roots.pipelines.plan import (INGEST, document_row, nbytes as _nbytes, partition_bytes,  # noqa: F401
                                  read_shard, rejected_row)
from roots.pipelines.runs import RunBuffer, RunRecord, merge_runs, shard_runs
from roots.progress import ProgressSink
from roots.rundir import DOCUMENTS, REJECTED, write_json
from roots.stage import Stage, is_batched
from roots.stats import KEPT, add_counts

log = logging.getLogger(__name__)

#: Where a step's run files lie under the run directory until the step ends (a `.tmp-` name: a
#: crashed step's are removed when the next attempt starts).
RUNS_DIR = ".tmp-beam-runs"
KEPT_TAG = "kept"
REJECTED_TAG = "rejected"


class _Counters:
    """Beam metrics per stage, language and outcome (for the runner's monitoring UI), each counter
    object made once per DoFn instance rather than once per document."""

    def __init__(self) -> None:
        self._made: dict[tuple[str, str, str], Any] = {}

    def inc(self, stage: str, lang: str, outcome: str) -> None:
        key = (stage, lang, outcome)
        counter = self._made.get(key)
        if counter is None:
            counter = self._made[key] = Metrics.counter(f"{stage}:{lang}", outcome)
        counter.inc()


class ReadUnit(beam.DoFn):
    """Reads one input unit (a file, or a saved dataset) of a source into documents and rejections."""

    def __init__(self, sources: tuple[SourceSpec, ...], units: list[tuple[int, int, str]], total_units: int,
                 progress: ProgressSink | None = None, sizes: dict[int, int] | None = None):
        # The units travel with the DoFn (pickled), only their positions through Beam's coders: a file
        # name that is not UTF-8 (a str holding surrogate escapes) cannot pass Beam's string coder.
        self.sources, self.total_units = sources, total_units
        self.units = {position: (index, unit) for position, index, unit in units}
        self.progress, self.sizes = progress, sizes or {}

    def setup(self) -> None:
        self.counters = _Counters()

    def process(self, position: int) -> Iterator[Any]:
        index, unit = self.units[position]
        spec = self.sources[index]
        n = 0
        records = FORMATS[spec.format].records(spec, unit)
        if self.progress is not None:
            records = self.progress.track(records, self.sizes.get(position, 0))
        for record in records:
            n += 1
            if isinstance(record, Rejection):
                self.counters.inc(INGEST, record.doc.lang_dir, record.reason.code)
                yield pvalue.TaggedOutput(REJECTED_TAG, (INGEST, record))
            else:
                self.counters.inc(INGEST, record.lang_dir, KEPT)
                yield record
        log.debug("read unit %d/%d (%s): %d records", position + 1, self.total_units, clean_str(unit), n)


class MapRejected(beam.DoFn):
    """A map over (stage, rejection) pairs whose resources load once per worker (see DocumentStepPlan)."""

    def __init__(self, fn: Any):
        self.fn = fn

    def setup(self) -> None:
        self.fn.setup()

    def process(self, item: tuple[str, Rejection]) -> Iterator[tuple[str, Rejection]]:
        stage, rejection = item
        # Copied: the element is also read by the rejected count, a fused sibling branch.
        yield self.fn((stage, Rejection(replace(rejection.doc, meta=dict(rejection.doc.meta)),
                                        rejection.reason, rejection.detail)))


class ApplyStage(beam.DoFn):
    """Runs one stage on each document: the main output is kept documents, `rejected` the rest.
    A batched stage (see roots.stage.Stage) gets up to `batch_size` documents at a time."""

    def __init__(self, stage: Stage):
        self.stage = stage

    def setup(self) -> None:
        self.stage.setup()
        self.counters = _Counters()
        self.batched = is_batched(self.stage)

    def start_bundle(self) -> None:
        self.buffer: list[Document] = []

    def process(self, doc: Document) -> Iterator[Any]:
        # Stages may change a document in place; the element Beam handed us is also read by the
        # previous stage's count (a fused sibling branch), so each stage works on its own copy.
        doc = replace(doc, meta=dict(doc.meta))
        if not self.batched:
            yield self._route(self.stage(doc))
            return
        self.buffer.append(doc)
        if len(self.buffer) >= self.stage.batch_size:
            yield from self._flush()

    def finish_bundle(self) -> Iterator[Any]:
        for out in self._flush():
            if isinstance(out, pvalue.TaggedOutput):
                yield pvalue.TaggedOutput(out.tag, GlobalWindows.windowed_value(out.value))
            else:
                yield GlobalWindows.windowed_value(out)

    def _flush(self) -> Iterator[Any]:
        batch, self.buffer = self.buffer, []
        if batch:
            for outcome in self.stage.process_batch(batch):
                yield self._route(outcome)

    def _route(self, outcome: Document | Rejection) -> Any:
        if isinstance(outcome, Rejection):
            self.counters.inc(self.stage.name, outcome.doc.lang_dir, outcome.reason.code)
            return pvalue.TaggedOutput(REJECTED_TAG, (self.stage.name, outcome))
        self.counters.inc(self.stage.name, outcome.lang_dir, KEPT)
        return outcome


def kept_count(stage: str):
    """(count key, (1, bytes)) for a document a stage kept."""
    return lambda doc: ((stage, doc.lang_dir, KEPT), (1, _nbytes(doc.text)))


def rejected_count(item: tuple[str, Rejection]):
    stage, rej = item
    return (stage, rej.doc.lang_dir, rej.reason.code), (1, _nbytes(rej.doc.text))


class WriteRuns(beam.DoFn):
    """Phase 1 of writing shards: (stage or "", row) pairs → sorted run files per partition under
    `folder` (roots.pipelines.runs), written as the bundle goes and at its end; only (partition, path,
    rows) records go on, never the text."""

    def __init__(self, folder: str, kind: str):
        self.folder, self.kind = folder, kind

    def setup(self) -> None:
        fs.makedirs(self.folder)

    def start_bundle(self) -> None:
        self.buffer = RunBuffer(self.folder, self.kind)

    def process(self, item: tuple[str, tuple]) -> Iterator[RunRecord]:
        yield from self.buffer.add(*item)

    def finish_bundle(self) -> Iterator[Any]:
        for record in self.buffer.flush():
            yield GlobalWindows.windowed_value(record)


class WriteShards(beam.PTransform):
    """Writes rows of one kind (`documents` or `rejected`) to their partition's shards, in two phases.

    Each row goes to shard `stable_hash(id) mod N` of its partition, N from the partition's bytes
    (`sizes`, a PCollection of ((stage, lang), bytes) used as a side input). Phase 1 writes each
    bundle's rows as sorted runs under `runs_dir` (no side input, so it fuses with the stages); phase 2
    splits each run by shard and groups the run paths by shard, and one worker merges each shard's runs
    (roots.pipelines.runs.merge_runs): byte-identical on any runner and any number of workers, and only
    file names cross the GroupByKey. The run files go with the step (runner.run_document_step).
    `shard_path`: a shard key → its file, where the layout is not the run directory's (`roots dedup`).
    """

    def __init__(self, out_dir: str, kind: str, fmt: str, target_mb: float, sizes, runs_dir: str,
                 shard_path: Callable[[tuple], str] | None = None):
        super().__init__()
        self.out_dir, self.kind, self.fmt, self.target_mb, self.sizes = out_dir, kind, fmt, target_mb, sizes
        self.runs_dir, self.shard_path = runs_dir, shard_path

    def expand(self, rows):
        return (rows
                | "WriteRuns" >> beam.ParDo(WriteRuns(self.runs_dir, self.kind))
                | "ShardRuns" >> beam.FlatMap(shard_runs, beam.pvalue.AsDict(self.sizes), self.target_mb,
                                              self.kind, self.runs_dir)
                | "GroupShards" >> beam.GroupByKey()
                | "WriteShard" >> beam.Map(self._write))

    def _write(self, keyed: tuple[tuple, Iterable[str]]) -> str:
        key, paths = keyed
        path, written, n = merge_runs(key, paths, self.out_dir, self.kind, self.fmt,
                                      None if self.shard_path is None else self.shard_path(key))
        if written:
            log.debug("wrote %s (%d rows)", path, n)
        else:
            log.debug("kept finished shard %s", path)
        return path


class ReadSources(beam.PTransform):
    """Every input unit of every source → documents (`kept`) and (stage, rejection) pairs (`rejected`)."""

    name = INGEST

    def __init__(self, units: list[tuple[int, int, str]], sources: tuple[SourceSpec, ...],
                 progress: ProgressSink | None = None, sizes: dict[int, int] | None = None):
        super().__init__()
        self.units, self.sources, self.progress, self.sizes = units, sources, progress, sizes

    def expand(self, pbegin):
        read = (pbegin
                | "ListUnits" >> beam.Create([position for position, _, _ in self.units])
                | "SpreadUnits" >> beam.Reshuffle()
                | "ReadUnits" >> beam.ParDo(ReadUnit(self.sources, self.units, len(self.units), self.progress, self.sizes))
                .with_outputs(REJECTED_TAG, main=KEPT_TAG))
        return {KEPT_TAG: read[KEPT_TAG], REJECTED_TAG: read[REJECTED_TAG]}


class ReadShards(beam.PTransform):
    """The documents of a previous step's shards (Parquet or JSONL files of DOCUMENT_SCHEMA)."""

    def __init__(self, paths: list[str], progress: ProgressSink | None = None):
        super().__init__()
        self.paths, self.progress = paths, progress

    def expand(self, pbegin):
        progress = self.progress
        read = read_shard if progress is None else (lambda path: progress.track(read_shard(path)))
        return (pbegin
                | "ListShards" >> beam.Create(self.paths)
                | "SpreadShards" >> beam.Reshuffle()
                | "ReadShard" >> beam.FlatMap(read))


class DocumentStep(beam.PTransform):
    """One step of a run: input documents → each part in order (a per-document `Stage`, or a
    PTransform with a `name` that returns {kept, rejected}) → kept documents written under
    `docs_root/documents`, rejections under `run_dir/rejected` (through run files under `runs_dir`,
    default RUN/.tmp-beam-runs), and the outcome counts returned
    (a PCollection of ((stage, lang, outcome), (docs, bytes)))."""

    def __init__(self, read: beam.PTransform, parts: list, run_dir: str, docs_root: str, fmt: str, target_mb: float,
                 annotations: dict[str, Any] | None = None, stats_prefix: str = "", rejected_map: Any = None,
                 runs_dir: str | None = None):
        super().__init__()
        self.read, self.parts = read, parts
        self.runs_dir = runs_dir or fs.join(run_dir, RUNS_DIR)
        self.run_dir, self.docs_root, self.fmt, self.target_mb = run_dir, docs_root, fmt, target_mb
        self.counted, self.stats_prefix = annotations or {}, stats_prefix
        self.rejected_map = rejected_map

    def expand(self, pbegin):
        read = pbegin | "Read" >> self.read
        rejected, counts = [], []
        if isinstance(read, dict):  # sources: reading itself keeps or rejects (the "ingest" stage)
            kept = read[KEPT_TAG]
            rejected.append(read[REJECTED_TAG])
            counts.append(kept | "CountKept:ingest" >> beam.Map(kept_count(INGEST)))
            last = INGEST
        else:
            kept = read
        for part in self.parts:
            if isinstance(part, beam.PTransform):
                out = kept | f"Step:{part.name}" >> part
            else:
                out = kept | f"Stage:{part.name}" >> beam.ParDo(ApplyStage(part)).with_outputs(REJECTED_TAG, main=KEPT_TAG)
            kept = out[KEPT_TAG]
            rejected.append(out[REJECTED_TAG])
            counts.append(kept | f"CountKept:{part.name}" >> beam.Map(kept_count(part.name)))
            last = part.name
        all_rejected = rejected | "FlattenRejected" >> beam.Flatten()
        counts.append(all_rejected | "CountRejected" >> beam.Map(rejected_count))
        summed = counts | "FlattenCounts" >> beam.Flatten() | "SumCounts" >> beam.CombinePerKey(add_counts_combine)
        sizes = summed | "PartitionBytes" >> beam.FlatMap(partition_bytes, last) | "SumPartitionBytes" >> beam.CombinePerKey(sum)
        (kept
         | "DocumentRows" >> beam.Map(lambda d: ("", document_row(d)))
         | "WriteDocuments" >> WriteShards(self.docs_root, DOCUMENTS, self.fmt, self.target_mb, sizes, self.runs_dir))
        if self.rejected_map is not None:   # e.g. PII redaction of rejected documents, after they are counted
            all_rejected = all_rejected | f"Rejected:{self.rejected_map.name}" >> beam.ParDo(MapRejected(self.rejected_map))
        (all_rejected
         | "RejectedRows" >> beam.Map(rejected_row)
         | "WriteRejected" >> WriteShards(self.run_dir, REJECTED, self.fmt, self.target_mb, sizes, self.runs_dir))
        for name, count_fn in sorted(self.counted.items()):
            # Counts a stage annotates on the kept documents (e.g. PII spans per language and type).
            (kept
             | f"Annotate:{name}" >> beam.FlatMap(lambda d, f=count_fn: f(d).items())
             | f"Sum:{name}" >> beam.CombinePerKey(sum)
             | f"Write:{name}" >> write_pairs(f"{self.stats_prefix}.{name}.json"))
        return summed


def add_counts_combine(values: Iterable[tuple[int, int]]) -> tuple[int, int]:
    """CombinePerKey's function: the sum of (documents, bytes) pairs."""
    total = (0, 0)
    for v in values:
        total = add_counts(total, v)
    return total


class write_pairs(beam.PTransform):
    """Gathers (tuple key, value) pairs into one sorted list and writes it as JSON (read by the driver)."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path

    def expand(self, pairs):
        path = self.path
        return (pairs
                | "Gather" >> beam.combiners.ToList()
                | "Write" >> beam.Map(lambda items: write_json(path, [[list(k), _plain(v)] for k, v in sorted(items)])))


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def write_counts(counts, path: str):
    """Writes the outcome counts as JSON (read back by the driver)."""
    return counts | "WriteCounts" >> write_pairs(path)

