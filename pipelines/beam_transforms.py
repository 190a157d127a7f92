"""The Beam building blocks of a run: read sources, apply a stage, count outcomes, write shards.

Each is a DoFn or a composite PTransform with one job. Documents travel as `Document` objects
between fused stages; before a shuffle they become plain tuples, which Beam encodes fast.
"""
from __future__ import annotations

import logging
from typing import Any, Iterable, Iterator

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics
import pyarrow as pa

from roots.document import (DOCUMENT_SCHEMA, REJECTED_SCHEMA, Document, Rejection, meta_to_json)
from roots.io.base import SourceSpec
from roots.io.formats import FORMATS
from roots.rundir import (DOCUMENTS, REJECTED, partition_dir, shard_count, shard_of, shard_path, write_shard)
from roots.stage import Stage
from roots.stats import KEPT, add_counts

log = logging.getLogger(__name__)

KEPT_TAG = "kept"
REJECTED_TAG = "rejected"
INGEST = "ingest"


def _nbytes(text: str) -> int:
    return len(text.encode("utf-8", errors="replace"))


def _count(stage: str, lang: str, outcome: str) -> None:
    """A Beam metric per stage, language and outcome, for the runner's monitoring UI."""
    Metrics.counter(f"{stage}:{lang}", outcome).inc()


class ReadUnit(beam.DoFn):
    """Reads one input unit (a file, or a saved dataset) of a source into documents and rejections."""

    def __init__(self, sources: tuple[SourceSpec, ...], total_units: int):
        self.sources, self.total_units = sources, total_units

    def process(self, element: tuple[int, int, str]) -> Iterator[Any]:
        position, index, unit = element
        spec = self.sources[index]
        n = 0
        for record in FORMATS[spec.format].read(spec, unit):
            n += 1
            if isinstance(record, Rejection):
                _count(INGEST, record.doc.lang_dir, record.reason.code)
                yield pvalue.TaggedOutput(REJECTED_TAG, (INGEST, record))
            else:
                _count(INGEST, record.lang_dir, KEPT)
                yield record
        log.info("read unit %d/%d (%s): %d records", position + 1, self.total_units, unit, n)


class ApplyStage(beam.DoFn):
    """Runs one stage on each document: the main output is kept documents, `rejected` the rest."""

    def __init__(self, stage: Stage):
        self.stage = stage

    def setup(self) -> None:
        self.stage.setup()

    def process(self, doc: Document) -> Iterator[Any]:
        outcome = self.stage(doc)
        if isinstance(outcome, Rejection):
            _count(self.stage.name, outcome.doc.lang_dir, outcome.reason.code)
            yield pvalue.TaggedOutput(REJECTED_TAG, (self.stage.name, outcome))
        else:
            _count(self.stage.name, outcome.lang_dir, KEPT)
            yield outcome


def kept_count(stage: str):
    """(count key, (1, bytes)) for a document a stage kept."""
    return lambda doc: ((stage, doc.lang_dir, KEPT), (1, _nbytes(doc.text)))


def rejected_count(item: tuple[str, Rejection]):
    stage, rej = item
    return (stage, rej.doc.lang_dir, rej.reason.code), (1, _nbytes(rej.doc.text))


def document_row(doc: Document) -> tuple:
    return doc.id, doc.text, doc.lang, doc.source, meta_to_json(doc.meta)


def rejected_row(item: tuple[str, Rejection]) -> tuple:
    stage, rej = item
    return stage, (*document_row(rej.doc), rej.reason.code, rej.detail)


class WriteShards(beam.PTransform):
    """Writes rows of one kind (`documents` or `rejected`) to their partition's shards.

    Each row goes to shard `stable_hash(id) mod N` of its partition, N from the partition's bytes
    (a side input), and one worker writes each shard sorted by id: byte-identical on any runner.
    """

    def __init__(self, out_dir: str, kind: str, fmt: str, target_mb: float):
        super().__init__()
        self.out_dir, self.kind, self.fmt, self.target_mb = out_dir, kind, fmt, target_mb

    def _partition(self, row_with_stage: tuple[str, tuple]) -> tuple[str, str]:
        stage, row = row_with_stage
        return stage, row[2] or "und"

    def expand(self, rows):
        sizes = (rows
                 | "PartitionBytes" >> beam.Map(lambda r: (self._partition(r), len(r[1][1].encode("utf-8", "replace"))))
                 | "SumPartitionBytes" >> beam.CombinePerKey(sum))
        return (rows
                | "AssignShard" >> beam.Map(self._assign, beam.pvalue.AsDict(sizes))
                | "GroupShards" >> beam.GroupByKey()
                | "WriteShard" >> beam.Map(self._write))

    def _assign(self, row_with_stage: tuple[str, tuple], sizes: dict) -> tuple[tuple, tuple]:
        part = self._partition(row_with_stage)
        total = shard_count(sizes[part], self.target_mb)
        row = row_with_stage[1]
        return (part[0], part[1], shard_of(row[0], total), total), row

    def _write(self, keyed: tuple[tuple, Iterable[tuple]]) -> str:
        (stage, lang, index, total), rows = keyed
        rows = sorted(rows, key=lambda r: r[0])
        schema = DOCUMENT_SCHEMA if self.kind == DOCUMENTS else REJECTED_SCHEMA
        table = pa.table({name: [r[i] for r in rows] for i, name in enumerate(schema.names)}, schema=schema)
        path = shard_path(partition_dir(self.out_dir, self.kind, lang, stage or None), index, total, self.fmt)
        if write_shard(table, path, self.fmt):
            log.info("wrote %s (%d rows)", path, len(rows))
        else:
            log.info("kept finished shard %s", path)
        return path


class Curate(beam.PTransform):
    """Sources → read → each per-document stage in order → kept documents and rejections, written to
    the run directory, plus the outcome counts (a PCollection of (count key, (docs, bytes)))."""

    def __init__(self, units: list[tuple[int, int, str]], sources: tuple[SourceSpec, ...], stages: list[Stage],
                 out_dir: str, fmt: str, target_mb: float):
        super().__init__()
        self.units, self.sources, self.stages = units, sources, stages
        self.out_dir, self.fmt, self.target_mb = out_dir, fmt, target_mb

    def expand(self, pbegin):
        read = (pbegin
                | "ListUnits" >> beam.Create(self.units)
                | "SpreadUnits" >> beam.Reshuffle()
                | "ReadUnits" >> beam.ParDo(ReadUnit(self.sources, len(self.units))).with_outputs(REJECTED_TAG, main=KEPT_TAG))
        kept = read[KEPT_TAG]
        rejected = [read[REJECTED_TAG]]
        counts = [kept | "CountKept:ingest" >> beam.Map(kept_count(INGEST))]
        for stage in self.stages:
            out = kept | f"Stage:{stage.name}" >> beam.ParDo(ApplyStage(stage)).with_outputs(REJECTED_TAG, main=KEPT_TAG)
            kept = out[KEPT_TAG]
            rejected.append(out[REJECTED_TAG])
            counts.append(kept | f"CountKept:{stage.name}" >> beam.Map(kept_count(stage.name)))
        all_rejected = rejected | "FlattenRejected" >> beam.Flatten()
        counts.append(all_rejected | "CountRejected" >> beam.Map(rejected_count))
        (kept
         | "DocumentRows" >> beam.Map(lambda d: ("", document_row(d)))
         | "WriteDocuments" >> WriteShards(self.out_dir, DOCUMENTS, self.fmt, self.target_mb))
        (all_rejected
         | "RejectedRows" >> beam.Map(rejected_row)
         | "WriteRejected" >> WriteShards(self.out_dir, REJECTED, self.fmt, self.target_mb))
        return counts | "FlattenCounts" >> beam.Flatten() | "SumCounts" >> beam.CombinePerKey(add_counts_combine)


def add_counts_combine(values: Iterable[tuple[int, int]]) -> tuple[int, int]:
    """CombinePerKey's function: the sum of (documents, bytes) pairs."""
    total = (0, 0)
    for v in values:
        total = add_counts(total, v)
    return total


def write_counts(counts, path: str):
    """Gathers the outcome counts into one list and writes them as JSON (read back by the driver)."""
    from roots.rundir import write_json

    return (counts
            | "GatherCounts" >> beam.combiners.ToList()
            | "WriteCounts" >> beam.Map(lambda items: write_json(path, [[list(k), list(v)] for k, v in sorted(items)])))

