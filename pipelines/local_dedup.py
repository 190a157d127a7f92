"""The local engine's dedup, in memory that does not follow the corpus: every table that grows with
the documents (fingerprints, ranks, exact groups, band keys, candidate pairs, edges, fates) lives in
Arrow or numpy files in the step's spill folder; tasks read one partition of them at a time.

    shards ─ fingerprint (one task per shard) ─┬─ fp-F: band keys, shingle sets (the shard's order)
                                               └─ run-F: the shard's ranks, sorted
    driver: k-way merge of the runs → R, each document's integer rank (0 = kept first)
            ├─ ranks: id, record, shard, row, by_url (in R order: R is a row number)
            └─ ex-P: (exact key, R) by key mod P
    exact groups (one task per P) → the groups' best copies' band rows (band, key, exact key, R) by Q
    buckets (one task per Q): candidate pairs as Beam and Spark find them, exact Jaccard → edges-Q
    driver: union-find over R in one int64 array (8 bytes per document) → labels
    fates (one task per P): each document of a group with copies or near duplicates → its fate, by shard
    pass 2 (one task per shard, in the step's phase 1): each document routed by its fate.

An exact group's best copy is its smallest R, and a component's label its smallest R; the rank order
is the tuple order of roots.dedup.keep, so outcomes are those of the Beam transform, byte for byte.
What a process holds: the driver, one batch per shard during the merge and the union-find array;
a task, one partition (`partition_docs` documents, `band_group_rows` band rows) or one shard.
"""
from __future__ import annotations

import heapq
import os
from array import array
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np
import pyarrow as pa

from roots.dedup.buckets import bucket_pairs, jaccard, unique_pairs
from roots.dedup.config import DedupConfig
from roots.dedup.fingerprint import Fingerprinter
from roots.dedup.keep import cluster_name
from roots.dedup.reasons import EXACT, STAGE as DEDUP_STAGE, URL, decide
from roots.document import Document
from roots.pipelines.plan import Counts, read_shard, route_outcome
from roots.progress import ProgressSink

#: Rank rows the driver's merge holds over all runs at once (each run is read this many / shards at a time).
MERGE_ROWS = 1 << 16
#: Rows the driver writes to the ranks file and the exact partitions at a time.
CHUNK = 1 << 14
#: Best copies whose band rows a task builds and writes at a time.
HEADS_CHUNK = 1 << 14
#: Candidate pairs verified at a time (the shingle sets of their documents are read for each chunk).
PAIRS_CHUNK = 1 << 12

_RUN_SCHEMA = pa.schema([("no_score", pa.int8()), ("neg_score", pa.float64()), ("id", pa.string()),
                         ("record", pa.int64()), ("key", pa.int64()), ("row", pa.int64()), ("by_url", pa.bool_())])
_RANKS_SCHEMA = pa.schema([("id", pa.string()), ("record", pa.int64()), ("shard", pa.int32()),
                           ("row", pa.int64()), ("by_url", pa.bool_())])
_EXACT_SCHEMA = pa.schema([("key", pa.int64()), ("r", pa.int64())])
_BANDS_SCHEMA = pa.schema([("band", pa.int32()), ("bandkey", pa.uint64()), ("key", pa.int64()), ("r", pa.int64())])
_FATE_SCHEMA = pa.schema([("row", pa.int64()), ("is_head", pa.bool_()), ("size", pa.int64()), ("by_url", pa.bool_()),
                          ("labelled", pa.bool_()), ("elsewhere", pa.bool_()), ("kept_id", pa.string()),
                          ("kept_record", pa.int64())])


@dataclass(frozen=True)
class Files:
    """Where one dedup step's spill files are, and how many shards (F), exact partitions (P) and
    band partitions (Q) it has."""

    folder: str
    shards: int
    parts: int = 1
    band_parts: int = 1

    def fp(self, f: int) -> str:
        return os.path.join(self.folder, f"fp-{f:06d}.arrow")

    def run(self, f: int) -> str:
        return os.path.join(self.folder, f"run-{f:06d}.arrow")

    def exact(self, p: int) -> str:
        return os.path.join(self.folder, f"ex-{p:06d}.arrow")

    def bands(self, p: int) -> str:
        return os.path.join(self.folder, f"bk-{p:06d}.arrow")

    def edges(self, q: int) -> str:
        return os.path.join(self.folder, f"edges-{q:06d}.npy")

    def fates(self, p: int) -> str:
        return os.path.join(self.folder, f"fate-{p:06d}.arrow")

    @property
    def ranks(self) -> str:
        return os.path.join(self.folder, "ranks.arrow")

    @property
    def labels(self) -> str:
        return os.path.join(self.folder, "labels.npy")


# --- reading spill files ------------------------------------------------------------------------------

def _batch(path: str, index: int) -> pa.RecordBatch:
    """Batch `index` of an Arrow IPC file (one per partition or shard)."""
    return _reader(path).get_batch(index)


def _reader(path: str) -> pa.ipc.RecordBatchFileReader:
    """An Arrow IPC file opened for reading batches by index: each batch is read (only its bytes),
    not mapped; a memory map of the whole file would count its size against the address space."""
    return pa.ipc.open_file(pa.OSFile(path, "rb"))


def _np(column: Any, dtype: Any) -> np.ndarray:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks else pa.array([], type=column.type)
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=dtype)


def _lookup(files: Files, ranks: np.ndarray, columns: list[str]) -> pa.Table:
    """Rows `ranks` (R values) of the ranks file."""
    return _take(files.ranks, ranks, columns, CHUNK)


def _take(path: str, rows: np.ndarray, columns: list[str], batch_rows: int) -> pa.Table:
    """Rows `rows` of an IPC file whose batches hold `batch_rows` rows each (the last one fewer): each
    batch that holds some is read and taken from (a take over the whole file
    would first concatenate it in memory)."""
    rows = np.asarray(rows, dtype=np.int64)
    reader = _reader(path)
    order = np.argsort(rows, kind="stable")
    ordered = rows[order]
    blocks = ordered // batch_rows
    pieces = []
    for b in np.unique(blocks).tolist():
        lo, hi = np.searchsorted(blocks, [b, b + 1])
        batch = reader.get_batch(b)
        picked = pa.array(ordered[lo:hi] - b * batch_rows, type=pa.int64())
        pieces.append(pa.RecordBatch.from_arrays([batch.column(c).take(picked) for c in columns], names=columns))
    schema = pa.schema([reader.schema.field(c) for c in columns])
    found = pa.Table.from_batches(pieces, schema=schema).combine_chunks()
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    return found.take(pa.array(inverse, type=pa.int64()))


def _write_parts(path: str, schema: pa.Schema, columns: list[np.ndarray | list], part: np.ndarray, n_parts: int) -> None:
    """An IPC file of `n_parts` batches, batch k holding the rows whose `part` is k (in their order)."""
    with pa.ipc.new_file(path, schema) as writer:
        _write_part_batches(writer, schema, columns, part, n_parts)


def _write_part_batches(writer: Any, schema: pa.Schema, columns: list[np.ndarray | list], part: np.ndarray,
                        n_parts: int) -> None:
    """`n_parts` batches to `writer`, batch k holding the rows whose `part` is k (in their order)."""
    order = np.argsort(part, kind="stable")
    bounds = np.searchsorted(part[order], np.arange(n_parts + 1))
    arrays = [(c if isinstance(c, pa.Array) else pa.array(c, type=f.type)).take(pa.array(order, type=pa.int64()))
              for c, f in zip(columns, schema)]
    for k in range(n_parts):
        lo, hi = int(bounds[k]), int(bounds[k + 1])
        writer.write_batch(pa.RecordBatch.from_arrays([a.slice(lo, hi - lo) for a in arrays], schema=schema))


# --- pass 1: fingerprints and sorted ranks per shard ---------------------------------------------------

_FINGERPRINTER: dict[Any, Fingerprinter] = {}


def _fingerprinter(config: DedupConfig, modes: dict[str, int] | None) -> Fingerprinter:
    key = (config, tuple(sorted(modes.items())) if modes is not None else None)
    found = _FINGERPRINTER.get(key)
    if found is None:
        _FINGERPRINTER.clear()
        found = _FINGERPRINTER[key] = Fingerprinter(config, modes)
        found.setup()
    return found


def _fp_schema(n_bands: int, shingles: bool) -> pa.Schema:
    fields = [pa.field("bands", pa.binary(8 * n_bands))]
    if shingles:
        fields.append(pa.field("shingles", pa.list_(pa.uint32())))
    return pa.schema(fields)


def fingerprint_task(args: tuple) -> int:
    """One shard → fp-F (band keys and shingle sets, in the shard's order) and run-F (its documents'
    ranks, sorted as the keep order sorts them). No text is kept. Returns the number of documents."""
    f, path, config, modes, files, sink, run_batch = args
    fingerprinter = _fingerprinter(config, modes)
    schema = _fp_schema(fingerprinter.bands, config.near and config.verify)
    docs = read_shard(path) if sink is None else sink.track(read_shard(path))
    ranks: list[tuple] = []
    with pa.ipc.new_file(files.fp(f), schema) as writer:
        batch: list[Document] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= config.batch_size:
                writer.write_batch(_fp_batch(fingerprinter, batch, schema, ranks))
                batch = []
        if batch:
            writer.write_batch(_fp_batch(fingerprinter, batch, schema, ranks))
    ranks.sort()
    with pa.ipc.new_file(files.run(f), _RUN_SCHEMA) as writer:
        for start in range(0, len(ranks), run_batch):
            rows = ranks[start:start + run_batch]
            writer.write_batch(pa.RecordBatch.from_arrays(
                [pa.array([r[i] for r in rows], type=field.type) for i, field in enumerate(_RUN_SCHEMA)],
                schema=_RUN_SCHEMA))
    return len(ranks)


def _fp_batch(fingerprinter: Fingerprinter, docs: list[Document], schema: pa.Schema, ranks: list[tuple]) -> pa.RecordBatch:
    fps = fingerprinter(docs)
    for fp in fps:   # (rank..., row, by_url): the rank tuple already ends with the exact key
        ranks.append((*fp.rank, len(ranks), fp.by_url))
    # a document without shingles has no band keys: a null
    columns = [[None if fp.bands is None else fp.bands.astype(np.uint64).tobytes() for fp in fps]]
    if len(schema) > 1:
        columns.append([fp.shingles for fp in fps])
    return pa.RecordBatch.from_arrays([pa.array(c, type=f.type) for c, f in zip(columns, schema)], schema=schema)


# --- the driver's merge: integer ranks -----------------------------------------------------------------

def _run_rows(path: str, f: int) -> Iterator[tuple]:
    """A run file's rows, a batch at a time: (no_score, neg_score, id, record, key, shard, row, by_url)."""
    reader = _reader(path)
    for i in range(reader.num_record_batches):
        batch = reader.get_batch(i)
        no, neg, ids, rec, key, row, url = (c.to_pylist() for c in batch.columns)
        yield from zip(no, neg, ids, rec, key, [f] * len(row), row, url)


def merge_ranks(files: Files) -> int:
    """The shards' sorted runs merged: each document's R (its place in the keep order; identical records
    apart by shard and row) → the ranks file, in R order, and (exact key, R) to each exact partition.
    Returns the number of documents."""
    n = 0
    writers = [pa.ipc.new_stream(files.exact(p), _EXACT_SCHEMA) for p in range(files.parts)]
    try:
        with pa.ipc.new_file(files.ranks, _RANKS_SCHEMA) as ranks:
            buffer: list[tuple] = []

            def flush() -> None:
                nonlocal n
                cols = list(zip(*buffer))
                ranks.write_batch(pa.RecordBatch.from_arrays(
                    [pa.array(cols[i], type=t) for i, t in ((2, pa.string()), (3, pa.int64()), (5, pa.int32()),
                                                             (6, pa.int64()), (7, pa.bool_()))], schema=_RANKS_SCHEMA))
                keys = np.array(cols[4], dtype=np.int64)
                r = np.arange(n, n + len(buffer), dtype=np.int64)
                part = keys % files.parts
                for p in np.unique(part).tolist():
                    mask = part == p
                    writers[p].write_batch(pa.RecordBatch.from_arrays([pa.array(keys[mask]), pa.array(r[mask])],
                                                                      schema=_EXACT_SCHEMA))
                n += len(buffer)
                buffer.clear()

            for item in heapq.merge(*(_run_rows(files.run(f), f) for f in range(files.shards))):
                buffer.append(item)
                if len(buffer) >= CHUNK:
                    flush()
            if buffer:
                flush()
    finally:
        for writer in writers:
            writer.close()
    return n


# --- exact groups and band rows, one task per exact partition ---------------------------------------

def _groups(files: Files, p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One exact partition's documents grouped: (exact keys and R, sorted by key then R; group starts;
    group sizes). A group's best copy is its first row."""
    with pa.OSFile(files.exact(p), "rb") as source:
        table = pa.ipc.open_stream(source).read_all()
    key, r = _np(table.column("key"), np.int64), _np(table.column("r"), np.int64)
    order = np.lexsort((r, key))
    key, r = key[order], r[order]
    if not len(key):
        return key, r, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    return key, r, starts, np.diff(np.concatenate([starts, [len(key)]]))


def bands_task(args: tuple) -> int:
    """Exact partition P → the band rows (band, band key, exact key, R) of its groups' best copies, as
    bk-P: for each HEADS_CHUNK of them, one batch per band partition (band key mod Q), so batch b holds
    band partition b mod Q. Returns the number of best copies with bands."""
    p, files, n_bands, batch_rows = args
    key, r, starts, _ = _groups(files, p)
    heads, key_of = r[starts], key[starts]
    found = 0
    with pa.ipc.new_file(files.bands(p), _BANDS_SCHEMA) as writer:
        for lo in range(0, len(heads), HEADS_CHUNK):
            keys, rs, bands = _head_bands(files, heads[lo:lo + HEADS_CHUNK], key_of[lo:lo + HEADS_CHUNK],
                                          n_bands, batch_rows)
            flat = bands.ravel()
            band = np.tile(np.arange(n_bands, dtype=np.int32), len(rs))
            part = (flat % np.uint64(files.band_parts)).astype(np.int64)
            _write_part_batches(writer, _BANDS_SCHEMA, [band, flat, np.repeat(keys, n_bands), np.repeat(rs, n_bands)],
                                part, files.band_parts)
            found += len(rs)
    return found


def _head_bands(files: Files, heads: np.ndarray, key_of: np.ndarray, n_bands: int,
                batch_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(exact keys, R, band keys) of those of the best copies `heads` that have band keys."""
    found_keys, found_r, found_bands = [], [], []
    where = _lookup(files, heads, ["shard", "row"])
    shard, row = _np(where.column("shard"), np.int64), _np(where.column("row"), np.int64)
    for f in np.unique(shard).tolist():
        mask = shard == f
        picked = _take(files.fp(f), row[mask], ["bands"], batch_rows).column("bands").combine_chunks()
        valid = _np(picked.is_valid(), bool)
        if valid.any():
            data = b"".join(picked.filter(pa.array(valid)).to_pylist())
            found_bands.append(np.frombuffer(data, dtype=np.uint64).reshape(-1, n_bands))
            found_keys.append(key_of[mask][valid])
            found_r.append(heads[mask][valid])
    if not found_r:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, n_bands), np.uint64)
    return np.concatenate(found_keys), np.concatenate(found_r), np.concatenate(found_bands)


# --- buckets: candidate pairs and their exact Jaccard, one task per band partition -----------------

def bucket_task(args: tuple) -> tuple[int, int]:
    """Band partition Q → candidate pairs (per band, by the band key: Beam's and Spark's buckets, over
    exact keys as nodes), verified on their exact Jaccard when asked; edges (R, R) to edges-Q.
    Returns (candidate pairs, edges)."""
    q, files, config = args
    parts = []
    for p in range(files.parts):
        reader = _reader(files.bands(p))
        parts += [reader.get_batch(b) for b in range(q, reader.num_record_batches, files.band_parts)]
    table = pa.Table.from_batches(parts, schema=_BANDS_SCHEMA)
    band, bandkey = _np(table.column("band"), np.int32), _np(table.column("bandkey"), np.uint64)
    key, r = _np(table.column("key"), np.int64), _np(table.column("r"), np.int64)
    us, vs = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for b in np.unique(band).tolist():
        mask = band == b
        u, v = bucket_pairs(bandkey[mask], key[mask], config.max_bucket, config.bucket_reps)
        us.append(u)
        vs.append(v)
    u, v = unique_pairs(np.concatenate(us), np.concatenate(vs))
    nodes, first = np.unique(key, return_index=True)
    ru, rv = r[first][np.searchsorted(nodes, u)], r[first][np.searchsorted(nodes, v)]
    candidates = len(ru)
    if config.verify and candidates:
        keep = np.zeros(candidates, dtype=bool)
        for lo in range(0, candidates, PAIRS_CHUNK):   # the shingle sets of a chunk's documents at a time
            a, b = ru[lo:lo + PAIRS_CHUNK], rv[lo:lo + PAIRS_CHUNK]
            shingles = _shingles(files, np.unique(np.concatenate([a, b])), config.batch_size)
            keep[lo:lo + len(a)] = [jaccard(shingles[x], shingles[y]) >= config.threshold
                                    for x, y in zip(a.tolist(), b.tolist())]
            del shingles
        ru, rv = ru[keep], rv[keep]
    np.save(files.edges(q), np.stack([ru, rv]))
    return candidates, len(ru)


def _shingles(files: Files, nodes: np.ndarray, batch_rows: int) -> dict[int, np.ndarray]:
    """R → shingle set of the given documents (the best copies in candidate pairs), from their shards' fp files."""
    where = _lookup(files, nodes, ["shard", "row"])
    shard, row = _np(where.column("shard"), np.int64), _np(where.column("row"), np.int64)
    out: dict[int, np.ndarray] = {}
    for f in np.unique(shard).tolist():
        mask = shard == f
        picked = _take(files.fp(f), row[mask], ["shingles"], batch_rows).column("shingles").combine_chunks()
        offsets, values = _np(picked.offsets, np.int64), _np(picked.values, np.uint32)
        for i, node in enumerate(nodes[mask].tolist()):
            out[node] = values[offsets[i]:offsets[i + 1]]
    return out


# --- the driver's components: union-find over R ------------------------------------------------------

def components(files: Files, n_docs: int) -> int:
    """Union-find over the edge files in one int64 array indexed by R (-1: in no edge), each root the
    smallest R of its component; every node's label (its root) written to labels.npy. Returns the
    number of documents in components."""
    parent = array("q", bytes(8 * n_docs))
    labels = np.frombuffer(parent, dtype=np.int64) if n_docs else np.zeros(0, np.int64)
    labels.fill(-1)

    def find(x: int) -> int:
        if parent[x] < 0:
            parent[x] = x
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for q in range(files.band_parts):
        edges = np.load(files.edges(q))
        for a, b in zip(edges[0].tolist(), edges[1].tolist()):
            ra, rb = find(a), find(b)
            if ra != rb:
                if rb < ra:
                    ra, rb = rb, ra
                parent[rb] = ra
        del edges
    nodes = np.flatnonzero(labels >= 0)
    while len(nodes):   # pointer jumping: every node straight to its root
        up = labels[labels[nodes]]
        if np.array_equal(up, labels[nodes]):
            break
        labels[nodes] = up
    np.save(files.labels, labels)
    return len(nodes)


# --- fates, one task per exact partition ------------------------------------------------------------

def fate_task(args: tuple) -> int:
    """Exact partition P → the fate of each document of a group with copies or near duplicates (is it
    the best copy, group size, by URL, labelled, kept in another group, the kept document's id and
    record), as fate-P with one batch per shard. Returns the number of such documents."""
    p, files, labelled = args
    _, r, starts, sizes = _groups(files, p)
    heads = r[starts]
    lab = np.load(files.labels, mmap_mode="r")[heads] if labelled and len(heads) else np.full(len(heads), -1, np.int64)
    group_of = np.repeat(np.arange(len(starts)), sizes)
    need = ((sizes > 1) | (lab >= 0))[group_of]
    members, group = r[need], group_of[need]
    head, size, label = heads[group], sizes[group], lab[group]
    final = np.where(label >= 0, label, head)
    where = _lookup(files, members, ["shard", "row"])
    by_url = _np(_lookup(files, head, ["by_url"]).column("by_url"), bool)
    kept = _lookup(files, final, ["id", "record"])
    columns = [_np(where.column("row"), np.int64), members == head, size, by_url, label >= 0,
               (label >= 0) & (label != head), kept.column("id").combine_chunks(), _np(kept.column("record"), np.int64)]
    _write_parts(files.fates(p), _FATE_SCHEMA, columns, _np(where.column("shard"), np.int64), files.shards)
    return len(members)


# --- the whole of it, and pass 2 ----------------------------------------------------------------------

def prepare(map_fn: Callable[[Callable, list], list], paths: list[str], config: DedupConfig,
            modes: dict[str, int] | None, folder: str, sink: ProgressSink | None = None) -> list[tuple[Files, int]]:
    """Dedup's first pass and the work between the passes, over `paths` (the previous step's shards)
    with `map_fn` (the engine's pool map): what `route_shard` needs for each shard, in order."""
    os.makedirs(folder, exist_ok=True)
    files = Files(folder, len(paths))
    run_batch = max(64, MERGE_ROWS // max(1, len(paths)))
    n_docs = sum(map_fn(fingerprint_task, [(f, path, config, modes, files, sink, run_batch)
                                           for f, path in enumerate(paths)]))
    n_bands = config.bands_rows()[0]
    files = Files(folder, len(paths), config.partitions(n_docs),
                  max(1, -(-n_docs * n_bands // config.band_group_rows)) if config.near else 1)
    merge_ranks(files)
    if config.near:
        map_fn(bands_task, [(p, files, n_bands, config.batch_size) for p in range(files.parts)])
        map_fn(bucket_task, [(q, files, config) for q in range(files.band_parts)])
        components(files, n_docs)
    map_fn(fate_task, [(p, files, config.near) for p in range(files.parts)])
    return [(files, f) for f in range(len(paths))]


def route_shard(docs: Iterator[Document], spec: tuple[Files, int], rejects: deque, counts: Counts) -> Iterator[Document]:
    """Pass 2 for one shard: its documents (in the order fingerprinted) routed by their fates, as the
    Beam transform routes them; rejections to `rejects`, both counted."""
    files, f = spec
    fates: dict[int, tuple] = {}
    for p in range(files.parts):
        batch = _batch(files.fates(p), f)
        for fate in zip(*(c.to_pylist() for c in batch.columns)):
            fates[fate[0]] = fate
    for row, doc in enumerate(docs):
        fate = fates.get(row)
        if fate is None:   # a lone document: no copy, no near duplicate
            outcome = doc
        else:
            _, is_head, size, by_url, labelled, elsewhere, kept_id, kept_record = fate
            outcome = decide(doc, is_head, size, labelled, elsewhere, cluster_name(kept_id, kept_record), kept_id,
                             URL if by_url else EXACT)
        yield from route_outcome(DEDUP_STAGE, outcome, rejects, counts)
