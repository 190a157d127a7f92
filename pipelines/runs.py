"""Sorted runs: the files of the two-phase shard writer, engine-free (no Beam, no Spark here).

Phase 1: a worker buffers the rows it produces per output partition (stage or "", language) and
writes each buffer, sorted, as one run file (Arrow IPC) named by the hash of its content, so a retried
bundle writes the same names or files that nothing refers to; only (partition, path, rows) travel on.
Phase 2: once the partitions' sizes (hence their shard counts N) are known, a run of a partition with
N > 1 is split into sorted sub-runs per shard (`shard_of(id, N)`), and one task per shard merges its
runs into the shard with plan.write_rows: the same rows in the same order as writing them at once, so
the shards are byte-identical to a one-shot writer's, and document text never crosses a shuffle.
"""
from __future__ import annotations

import hashlib
import heapq
from typing import Callable, Iterable, Iterator

import pyarrow as pa

from roots import fs
from roots.document import DOCUMENT_SCHEMA, REJECTED_SCHEMA
from roots.pipelines.plan import row_lang, shard_file, write_rows
from roots.rundir import DOCUMENTS, shard_count, shard_of, write_bytes

#: Text bytes a phase-1 writer buffers (over all its partitions) before it writes runs.
RUN_BYTES = 32 << 20
#: Rows per record batch of a run file (the unit a merge reads at a time).
RUN_BATCH = 1024

#: An output partition of a kind: (stage or "" for kept documents, language folder).
Partition = tuple[str, str]
#: What phase 1 hands on for one run file: its partition, its path and its row count.
RunRecord = tuple[Partition, str, int]


def _schema(kind: str | pa.Schema) -> pa.Schema:
    """A kind's schema; a schema given stands for itself (run files of other rows, e.g. dedup's)."""
    if isinstance(kind, pa.Schema):
        return kind
    return DOCUMENT_SCHEMA if kind == DOCUMENTS else REJECTED_SCHEMA


def write_run(rows: list[tuple], folder: str, kind: str | pa.Schema) -> str:
    """`rows` sorted (as write_rows sorts them) into one run file under `folder`, named by the hash of
    its bytes: the same rows always give the same file, so a retried task overwrites its own. `kind`:
    documents, rejected, or the schema of the rows."""
    rows = sorted(rows)
    schema = _schema(kind)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema) as writer:
        for start in range(0, len(rows), RUN_BATCH):
            part = rows[start:start + RUN_BATCH]
            writer.write_batch(pa.RecordBatch.from_arrays(
                [pa.array([r[i] for r in part], type=f.type) for i, f in enumerate(schema)], schema=schema))
    data = sink.getvalue()
    path = fs.join(folder, f"run-{hashlib.sha256(data).hexdigest()[:40]}.arrow")
    write_bytes(path, data.to_pybytes())
    return path


def read_run(path: str) -> Iterator[tuple]:
    """The rows of a run file in its (sorted) order, a record batch at a time."""
    with fs.open_file(path, "rb") as fh:
        for batch in pa.ipc.open_stream(fh):
            yield from zip(*(column.to_pylist() for column in batch.columns))


class RunBuffer:
    """Phase 1's buffer of one worker: rows per partition of one kind, written as sorted runs once
    `limit` text bytes are buffered (the largest partitions first, until half of it is left) and at
    the end (`flush`). Each write returns the RunRecords to hand on."""

    def __init__(self, folder: str, kind: str, limit: int | None = None):
        self.folder, self.kind = folder, kind
        self.limit = RUN_BYTES if limit is None else limit
        self.rows: dict[Partition, list[tuple]] = {}
        self.bytes: dict[Partition, int] = {}
        self.total = 0

    def add(self, stage: str, row: tuple) -> list[RunRecord]:
        """Buffer one row of partition (stage, its language); the runs this made room with, if any."""
        part = (stage, row_lang(row))
        self.rows.setdefault(part, []).append(row)
        n = len(row[1])
        self.bytes[part] = self.bytes.get(part, 0) + n
        self.total += n
        if self.total < self.limit:
            return []
        written = []
        while self.total > self.limit // 2:
            written.append(self._write(max(self.bytes, key=lambda p: (self.bytes[p], p))))
        return written

    def flush(self) -> list[RunRecord]:
        """Every buffered partition written as a run (the end of a bundle)."""
        return [self._write(part) for part in sorted(self.rows)]

    def _write(self, part: Partition) -> RunRecord:
        rows = self.rows.pop(part)
        self.total -= self.bytes.pop(part)
        return part, write_run(rows, self.folder, self.kind), len(rows)


def split_run(path: str, kind: str | pa.Schema, total: int, folder: str,
              of: Callable[[object, int], int] = shard_of) -> list[tuple[int, str]]:
    """A run of a partition with `total` shards → (shard index, sub-run path) per shard it feeds, each
    sub-run in the run's sorted order (a run holds at most about RUN_BYTES of text, read once). `of`:
    a row's shard from its first column and `total` (by default shard_of an id)."""
    by_shard: dict[int, list[tuple]] = {}
    for row in read_run(path):
        by_shard.setdefault(of(row[0], total), []).append(row)
    return [(index, write_run(by_shard.pop(index), folder, kind)) for index in sorted(by_shard)]


def shard_runs(record: RunRecord, sizes: dict, target_mb: float, kind: str, folder: str) -> list[tuple[tuple, str]]:
    """Phase 2's routing of one run: (shard key as plan.shard_key gives it, run path) for each shard
    its rows go to; a partition of one shard takes the run as it is."""
    (stage, lang), path, _ = record
    total = shard_count(sizes[(stage, lang)], target_mb)
    if total == 1:
        return [((stage, lang, 0, 1), path)]
    return [((stage, lang, index, total), sub) for index, sub in split_run(path, kind, total, folder)]


def merge_runs(key: tuple, paths: Iterable[str], root: str, kind: str, fmt: str,
               path: str | None = None) -> tuple[str, bool, int]:
    """One shard from its sorted runs, merged and written by plan.write_rows (returns what it returns).
    A shard finished by an earlier run is kept without reading its runs. `path`: the shard's file when
    it is not the run directory's (plan.shard_file), e.g. `roots dedup`'s OUTPUT/language=XX/."""
    path = path or shard_file(key, root, kind, fmt)
    if fs.exists(path):
        return path, False, 0
    return write_rows(key, heapq.merge(*(read_run(p) for p in sorted(paths))), root, kind, fmt, path)
