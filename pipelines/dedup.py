"""Exact and near-duplicate removal as one composite Beam transform, with no single-machine step.

    documents ─ Fingerprint (numpy, per batch) ─┬─ run files of the documents (text, rank, route key) ─┐
                                                │   only (path, rows) travel on → split by partition │
                                                └─ signature batches → partitions                     │
      ExactGroups: best copy per exact key ─┬─ summaries of groups with copies ──────┐                │
        ├─ band rows (arrays) → GroupByKey(band, part) → bucket pairs               │                │
        └─ node info (rank, shingles) → two partitioned joins with the pairs:       │                │
           exact Jaccard → large-star / small-star rounds → component labels ──→ Fates ─→ Route ◄────┘
                                                                                  one kept per component

What crosses each shuffle: signature batches (exact keys, ranks, band keys, shingle sets as numpy
arrays), band rows, pairs, node info, edges, labels, ranks and fates, all keyed by a partition
(`exact key mod P`, P from the document count and `partition_docs`), so Beam handles a few elements
per thousand documents instead of dozens per document. The documents themselves never cross one: the
Fingerprint bundle writes them, with their rank and route key (exact key, sub-shard), to sorted run
files (roots.pipelines.runs, Arrow IPC, named by their content) under the step's run folder; a run
whose partition count P > 1 is split into one sorted sub-run per partition; GroupRoute carries only
(partition, run path) and the partition's fates, and the Route task merges its runs (streaming, in
route-key order) and decides each sub-shard of an exact group with its fate. The run files go when the
step ends, with the shard writer's (runner.run_document_step, run_dedup_files).
Exact groups are reduced while streaming (memory per distinct key, whatever a group's size); each
group's copies are spread over up to `subshards` route groups by their record hash, so a million
copies are never decided at once; a bucket larger than `max_bucket` gives star edges to a few
representatives instead of all pairs; grouped values are read in at most two streaming passes.
"""
from __future__ import annotations

import heapq
import itertools
import json
import os
import time
from functools import partial
from typing import Any, Iterable, Iterator

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindows
import numpy as np
import pyarrow as pa

from roots import fs
from roots.dedup.buckets import bucket_pairs, jaccard, unique_pairs
from roots.dedup.components import large_star_arrays, small_star_arrays
from roots.dedup.config import DedupConfig
from roots.dedup.fates import component_labels, group_fates, route_values
from roots.dedup.fingerprint import Fingerprinter
from roots.dedup.keep import EXACT as EXACT_FIELD, RECORD
from roots.dedup.reasons import STAGE
from roots.document import DOCUMENT_SCHEMA, Document, Rejection, meta_to_json
from roots.pipelines.beam_transforms import WriteShards
from roots.pipelines.plan import DedupPart, document_row, nbytes, rejected_row, row_lang
from roots.pipelines.runs import RUN_BYTES, read_run, split_run, write_run
from roots.rundir import DOCUMENTS, REJECTED, lang_folder, shard_path

KEPT_TAG = "kept"
REJECTED_TAG = "rejected"
_SIGNATURES, _SUMMARY, _BANDS, _INFO, _RANKS = "signatures", "summary", "bands", "info", "ranks"
_CHUNK = 4096  # nodes or edges per batch element

#: A document in a route run file: its route key (exact key, sub-shard), its rank but the exact key
#: (no score, -score, id, record hash) and its row but the id; sorted rows are in route-key order.
ROUTE_SCHEMA = pa.schema([pa.field("exact_key", pa.int64(), nullable=False),
                          pa.field("subshard", pa.int64(), nullable=False),
                          pa.field("no_score", pa.int64(), nullable=False),
                          pa.field("neg_score", pa.float64(), nullable=False)]
                         + [DOCUMENT_SCHEMA.field("id"),
                            pa.field("record", pa.int64(), nullable=False)]
                         + [DOCUMENT_SCHEMA.field(name) for name in ("text", "lang", "source", "meta")])


class ComponentsNotConverged(RuntimeError):
    """The large-star / small-star rounds ran out before every component became a star."""


def _windowed(out: Any) -> Any:
    """An output of finish_bundle, which must carry its window."""
    if isinstance(out, pvalue.TaggedOutput):
        return pvalue.TaggedOutput(out.tag, GlobalWindows.windowed_value(out.value))
    return GlobalWindows.windowed_value(out)


def _packed(chunks: list[np.ndarray], dtype) -> tuple[bytes, bytes]:
    """Arrays of varying length as (concatenation, int64 offsets), both as bytes."""
    lengths = np.array([len(c) for c in chunks], dtype=np.int64)
    offsets = np.zeros(len(chunks) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    data = np.concatenate(chunks).astype(dtype, copy=False) if chunks else np.zeros(0, dtype=dtype)
    return data.tobytes(), offsets.tobytes()


def _unpacked(data: bytes, offsets: bytes, dtype) -> list[np.ndarray]:
    values, offs = np.frombuffer(data, dtype=dtype), np.frombuffer(offsets, dtype=np.int64)
    return [values[offs[i]:offs[i + 1]] for i in range(len(offs) - 1)]


class _Fingerprint(beam.DoFn):
    """Documents → route run files of `folder` (the documents, sorted by route key; only (path, rows)
    go on, written as the bundle goes and at its end) and, tagged, one signature batch per batch of
    documents: (exact keys, ranks, by_url, has shingles, band keys, packed shingle sets)."""

    def __init__(self, config: DedupConfig, modes: dict[str, int] | None, folder: str):
        self.config, self.modes, self.folder = config, modes, folder

    def setup(self) -> None:
        self.fingerprinter = Fingerprinter(self.config, self.modes)
        self.fingerprinter.setup()
        self.n_bands = self.fingerprinter.bands
        fs.makedirs(self.folder)

    def start_bundle(self) -> None:
        self.buffer: list[Document] = []
        self.rows: list[tuple] = []
        self.row_bytes = 0

    def process(self, doc: Document) -> Iterator[Any]:
        self.buffer.append(doc)
        if len(self.buffer) >= self.config.batch_size:
            yield from self._flush()

    def finish_bundle(self) -> Iterator[Any]:
        for out in itertools.chain(self._flush(), self._write_run()):
            yield _windowed(out)

    def _write_run(self) -> Iterator[tuple[str, int]]:
        """The buffered documents as one sorted run file: (its path, its rows)."""
        if self.rows:
            rows, self.rows, self.row_bytes = self.rows, [], 0
            yield write_run(rows, self.folder, ROUTE_SCHEMA), len(rows)

    def _flush(self) -> Iterator[Any]:
        batch, self.buffer = self.buffer, []
        if not batch:
            return
        fps = self.fingerprinter(batch)
        subshards = self.config.subshards
        for doc, fp in zip(batch, fps):
            no_score, neg_score, doc_id, record, _ = fp.rank
            self.rows.append((fp.exact_key, record % subshards, no_score, neg_score, doc_id, record,
                              doc.text, doc.lang, doc.source, meta_to_json(doc.meta)))
            self.row_bytes += len(doc.text)
        if self.row_bytes >= RUN_BYTES:
            yield from self._write_run()
        keys = np.array([fp.exact_key for fp in fps], dtype=np.int64)
        has = np.array([fp.bands is not None for fp in fps], dtype=bool)
        bands = np.zeros((len(fps), self.n_bands), dtype=np.uint64)
        if has.any():
            bands[has] = np.stack([fp.bands for fp in fps if fp.bands is not None])
        empty = np.zeros(0, dtype=np.uint32)
        shingles, offsets = _packed([fp.shingles if fp.shingles is not None else empty for fp in fps], np.uint32)
        yield pvalue.TaggedOutput(_SIGNATURES, (
            keys.tobytes(), [fp.rank for fp in fps], [fp.by_url for fp in fps], has.tobytes(), bands.tobytes(),
            shingles, offsets))


def _key_partition(exact_key: int, parts: int) -> int:
    """The partition of an exact key (as every other shuffle of the transform keys it)."""
    return exact_key % parts


def _route_runs(run: tuple[str, int], n_docs: int, config: DedupConfig, folder: str) -> Iterator[tuple[int, tuple]]:
    """A route run file → (partition, ("R", path)) for each partition its documents are in: the run
    as it is when there is one partition, else one sorted sub-run per partition (the text read once)."""
    path, _ = run
    parts = config.partitions(n_docs)
    if parts == 1:
        yield 0, ("R", path)
        return
    for part, sub in split_run(path, ROUTE_SCHEMA, parts, folder, of=_key_partition):
        yield part, ("R", sub)


def _fate_partition(item: tuple[tuple[int, int], tuple], n_docs: int, config: DedupConfig) -> tuple[int, tuple]:
    """((exact key, sub-shard), fate) → (its partition, ("F", route key, fate))."""
    route_key, fate = item
    return _key_partition(route_key[0], config.partitions(n_docs)), ("F", route_key, fate)


def _routed_docs(paths: list[str]) -> Iterator[tuple[tuple[int, int], list[tuple]]]:
    """The documents of a partition's route runs, merged in route-key order: per route key, its
    ("D", rank, document) values (one sub-shard of one exact group at a time)."""
    rows = heapq.merge(*(read_run(path) for path in sorted(paths)))
    for route_key, group in itertools.groupby(rows, key=lambda row: (row[0], row[1])):
        yield route_key, [("D", (no_score, neg_score, doc_id, record, key),
                           Document(doc_id, text, lang, source, json.loads(meta)))
                          for key, _, no_score, neg_score, doc_id, record, text, lang, source, meta in group]


def _split_batch(batch: tuple, n_docs: int, config: DedupConfig, n_bands: int) -> Iterator[tuple[int, tuple]]:
    """A signature batch → one piece per partition (exact key mod P) it touches."""
    parts = config.partitions(n_docs)
    if parts == 1:
        yield 0, batch
        return
    keys_b, ranks, by_url, has_b, bands_b, shingles_b, offsets_b = batch
    keys = np.frombuffer(keys_b, dtype=np.int64)
    has = np.frombuffer(has_b, dtype=bool)
    bands = np.frombuffer(bands_b, dtype=np.uint64).reshape(len(keys), n_bands)
    sets = _unpacked(shingles_b, offsets_b, np.uint32)
    part_of = keys % parts
    for part in np.unique(part_of).tolist():
        idx = np.flatnonzero(part_of == part)
        shingles, offsets = _packed([sets[i] for i in idx], np.uint32)
        yield part, (keys[idx].tobytes(), [ranks[i] for i in idx], [by_url[i] for i in idx], has[idx].tobytes(),
                     bands[idx].tobytes(), shingles, offsets)


def _batch_size(batch: tuple) -> int:
    return len(batch[1])


class _ExactGroups(beam.DoFn):
    """One partition's signature batches → the best copy of each exact key (streaming: memory per
    distinct key). Emits a summary of each group with copies (its best rank, size and the sub-shards
    its documents are in), LSH band rows and node info (rank, shingle set)."""

    def __init__(self, config: DedupConfig, n_bands: int):
        self.config, self.n_bands = config, n_bands

    def process(self, item: tuple[int, Iterable[tuple]], n_docs: int) -> Iterator[Any]:
        part, batches = item
        subshards = self.config.subshards
        best: dict[int, list] = {}
        for keys, ranks, by_url, has, bands, shingles, offsets in batches:
            keys = np.frombuffer(keys, dtype=np.int64).tolist()
            has = np.frombuffer(has, dtype=bool)
            bands = np.frombuffer(bands, dtype=np.uint64).reshape(len(keys), self.n_bands)
            sets = _unpacked(shingles, offsets, np.uint32)
            for i, key in enumerate(keys):
                rank = ranks[i]
                entry = best.get(key)
                if entry is None:
                    best[key] = [1, rank, by_url[i], bands[i].copy() if has[i] else None, sets[i].copy(), None]
                    continue
                if entry[5] is None:
                    entry[5] = {entry[1][RECORD] % subshards}
                entry[5].add(rank[RECORD] % subshards)
                entry[0] += 1
                if rank < entry[1]:
                    entry[1:5] = [rank, by_url[i], bands[i].copy() if has[i] else None, sets[i].copy()]
        nodes = []
        for key in sorted(best):
            count, rank, by_url, node_bands, node_set, subs = best[key]
            if count > 1:
                yield pvalue.TaggedOutput(_SUMMARY, (key, ("M", rank, count, by_url, tuple(sorted(subs)))))
            if node_bands is not None:
                nodes.append((key, rank, node_bands, node_set))
        band_parts = self.config.band_parts(n_docs)
        for start in range(0, len(nodes), _CHUNK):
            chunk = nodes[start:start + _CHUNK]
            keys = np.array([n[0] for n in chunk], dtype=np.int64)
            shingles, offsets = _packed([n[3] for n in chunk], np.uint32)
            yield pvalue.TaggedOutput(_INFO, (part, ("I", keys.tobytes(), [n[1] for n in chunk], shingles, offsets)))
            bands = np.stack([n[2] for n in chunk])
            part_of = (bands % np.uint64(band_parts)).astype(np.int64)
            for band in range(self.n_bands):
                for bpart in range(band_parts):
                    mask = part_of[:, band] == bpart
                    if mask.any():
                        yield pvalue.TaggedOutput(_BANDS, ((band, bpart), (bands[mask, band].tobytes(), keys[mask].tobytes())))


class _BucketPairs(beam.DoFn):
    """One band partition's arrays → candidate pairs (u, v) of exact keys, u < v, batched by u's
    partition, and the second nodes v batched by theirs."""

    def __init__(self, config: DedupConfig):
        self.config = config

    def setup(self) -> None:
        self.pairs = Metrics.counter(STAGE, "band_pairs")  # a pair sharing several bands counts in each

    def process(self, item: tuple[tuple[int, int], Iterable[tuple[bytes, bytes]]], n_docs: int) -> Iterator[Any]:
        _, chunks = item
        keys, nodes = [], []
        for k, n in chunks:
            keys.append(np.frombuffer(k, dtype=np.uint64))
            nodes.append(np.frombuffer(n, dtype=np.int64))
        u, v = bucket_pairs(np.concatenate(keys), np.concatenate(nodes), self.config.max_bucket, self.config.bucket_reps)
        self.pairs.inc(len(u))
        parts = self.config.partitions(n_docs)
        for part, (us, vs) in _by_partition(u, parts, u, v):
            yield part, ("P", us, vs)
        for part, (vs,) in _by_partition(v, parts, v):  # the second nodes, whose info the check needs
            yield part, ("V", vs)


def _node_table(values: Iterable[tuple]) -> dict[int, tuple]:
    """Pass one over a partition's group: exact key → (rank, shingle set) from its "I" batches."""
    table = {}
    for value in values:
        if value[0] == "I":
            _, keys, ranks, shingles, offsets = value
            for key, rank, shingle_set in zip(np.frombuffer(keys, dtype=np.int64).tolist(), ranks,
                                              _unpacked(shingles, offsets, np.uint32)):
                table[key] = (rank, shingle_set)
    return table


class _JoinFirst(beam.DoFn):
    """A partition's node info and the pairs whose first node u is in it → each pair with u's rank and
    shingles, sent to v's partition ("Q"); and the info of this partition's nodes that are second
    nodes of some pair ("I"), kept in this partition for the check. Only the info the check needs
    travels on."""

    def __init__(self, config: DedupConfig):
        self.config = config

    def process(self, item: tuple[int, Iterable[tuple]], n_docs: int) -> Iterator[Any]:
        part, values = item
        table = _node_table(values)
        us, vs, seconds = [], [], []
        for value in values:
            if value[0] == "P":
                us.append(np.frombuffer(value[1], dtype=np.int64))
                vs.append(np.frombuffer(value[2], dtype=np.int64))
            elif value[0] == "V":
                seconds.append(np.frombuffer(value[1], dtype=np.int64))
        if seconds:
            needed = np.unique(np.concatenate(seconds))
            for start in range(0, len(needed), _CHUNK):
                chunk = needed[start:start + _CHUNK]
                infos = [table[key] for key in chunk.tolist()]
                shingles, offsets = _packed([i[1] for i in infos], np.uint32)
                yield part, ("I", chunk.tobytes(), [i[0] for i in infos], shingles, offsets)
        if us:
            u, v = unique_pairs(np.concatenate(us), np.concatenate(vs))
            Metrics.counter(STAGE, "candidate_pairs").inc(len(u))
            pairs = np.stack([u, v], axis=1)
            part_of = pairs[:, 1] % self.config.partitions(n_docs)
            for dest in np.unique(part_of).tolist():
                chosen = pairs[part_of == dest]
                for start in range(0, len(chosen), _CHUNK):
                    chunk = chosen[start:start + _CHUNK]
                    firsts = [table[key] for key in chunk[:, 0].tolist()]
                    shingles, offsets = _packed([f[1] for f in firsts], np.uint32)
                    yield dest, ("Q", chunk[:, 1].tobytes(), [f[0] for f in firsts], shingles, offsets)


class _JoinSecond(beam.DoFn):
    """Partition of the pairs' second nodes: exact Jaccard of each pair → verified edges (arrays of
    exact keys) and, tagged, the ranks of their endpoints keyed by partition."""

    def __init__(self, config: DedupConfig):
        self.config = config

    def setup(self) -> None:
        self.verified = Metrics.counter(STAGE, "verified_pairs")
        self.false_positives = Metrics.counter(STAGE, "lsh_false_positives")

    def process(self, item: tuple[int, Iterable[tuple]], n_docs: int) -> Iterator[Any]:
        _, values = item
        table = _node_table(values)
        verify, threshold = self.config.verify, self.config.threshold
        parts = self.config.partitions(n_docs)
        for value in values:
            if value[0] != "Q":
                continue
            _, seconds, first_ranks, shingles, offsets = value
            us, vs, ranks = [], [], {}
            for v, rank_u, set_u in zip(np.frombuffer(seconds, dtype=np.int64).tolist(), first_ranks,
                                        _unpacked(shingles, offsets, np.uint32)):
                rank_v, set_v = table[v]
                if verify and jaccard(set_u, set_v) < threshold:
                    self.false_positives.inc()
                    continue
                us.append(rank_u[EXACT_FIELD])
                vs.append(v)
                ranks[rank_u[EXACT_FIELD]], ranks[v] = rank_u, rank_v
            self.verified.inc(len(us))
            if us:
                yield np.array(us, dtype=np.int64).tobytes(), np.array(vs, dtype=np.int64).tobytes()
                by_part: dict[int, tuple[list, list]] = {}
                for key, rank in ranks.items():
                    keys, rs = by_part.setdefault(key % parts, ([], []))
                    keys.append(key)
                    rs.append(rank)
                for part, (keys, rs) in by_part.items():
                    yield pvalue.TaggedOutput(_RANKS, (part, ("R", np.array(keys, dtype=np.int64).tobytes(), rs)))


def _arrays(values: Iterable[tuple[bytes, bytes]]) -> tuple[np.ndarray, np.ndarray]:
    firsts, seconds = [], []
    for a, b in values:
        firsts.append(np.frombuffer(a, dtype=np.int64))
        seconds.append(np.frombuffer(b, dtype=np.int64))
    if not firsts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(firsts), np.concatenate(seconds)


def _by_partition(keys: np.ndarray, parts: int, *columns: np.ndarray) -> Iterator[tuple[int, tuple]]:
    """Rows split by `keys mod parts`: (partition, (column bytes, ...)) for each partition present."""
    part_of = keys % parts
    for part in np.unique(part_of).tolist():
        mask = part_of == part
        yield part, tuple(c[mask].tobytes() for c in columns)


def _scatter_both(batch: tuple[bytes, bytes], n_docs: int, config: DedupConfig) -> Iterator[tuple[int, tuple]]:
    """An edge batch → (node, neighbour) rows both ways, keyed by the node's partition (large-star)."""
    a, b = _arrays([batch])
    nodes, neighbours = np.concatenate([a, b]), np.concatenate([b, a])
    yield from _by_partition(nodes, config.partitions(n_docs), nodes, neighbours)


class _LargeStar(beam.DoFn):
    """One partition of nodes and their neighbours → large-star edges, keyed by the larger node's partition."""

    def __init__(self, config: DedupConfig):
        self.config = config

    def process(self, item: tuple[int, Iterable[tuple]], n_docs: int) -> Iterator[tuple[int, tuple]]:
        larger, smallest = large_star_arrays(*_arrays(item[1]))
        yield from _by_partition(larger, self.config.partitions(n_docs), larger, smallest)


def _small_star(item: tuple[int, Iterable[tuple]]) -> Iterator[tuple[bytes, bytes]]:
    """One partition of nodes and their smaller neighbours → a batch of small-star edges."""
    larger, smallest = small_star_arrays(*_arrays(item[1]))
    if len(larger):
        yield larger.tobytes(), smallest.tobytes()


def _parent_links(batch: tuple[bytes, bytes], n_docs: int, config: DedupConfig) -> Iterator[tuple[int, tuple]]:
    """Final edges (child, parent) → ("up", child, parent) at the child's partition, ("down", parent)
    at the parent's."""
    child, parent = _arrays([batch])
    parts = config.partitions(n_docs)
    for part, (c, p) in _by_partition(child, parts, child, parent):
        yield part, ("up", c, p)
    for part, (p,) in _by_partition(parent, parts, parent):
        yield part, ("down", p, b"")


class _Labels(beam.DoFn):
    """Final check and labels: each node → the smallest node of its component, as ("C", nodes, labels)
    arrays. Raises when a node is both a child and a parent, or has two parents: the rounds did not
    converge."""

    def __init__(self, rounds: int):
        self.rounds = rounds

    def process(self, item: tuple[int, Iterable[tuple]]) -> Iterator[tuple[int, tuple]]:
        part, links = item
        children, parents, roots = [], [], []
        for kind, a, b in links:
            if kind == "up":
                children.append(np.frombuffer(a, dtype=np.int64))
                parents.append(np.frombuffer(b, dtype=np.int64))
            else:
                roots.append(np.frombuffer(a, dtype=np.int64))
        child, parent = (np.concatenate(children), np.concatenate(parents)) if children else (np.zeros(0, np.int64),) * 2
        root = np.unique(np.concatenate(roots)) if roots else np.zeros(0, dtype=np.int64)
        child, parent = unique_pairs(child, parent)
        bad = np.concatenate([child[1:][child[1:] == child[:-1]], np.intersect1d(child, root)])
        if len(bad):
            raise ComponentsNotConverged(
                f"dedup: connected components did not converge in {self.rounds} rounds (e.g. at exact key "
                f"{int(bad[0])}); raise dedup.max_rounds")
        yield part, ("C", np.concatenate([child, root]).tobytes(), np.concatenate([parent, root]).tobytes())


class ConnectedComponents(beam.PTransform):
    """Batches of undirected edges (two int64 arrays as bytes) → ("C", nodes, labels) batches keyed by
    the nodes' partition, each label the smallest node of the component. `max_rounds` unrolled
    large-star + small-star rounds over partitioned numpy arrays, then a check that fails loudly if
    they did not suffice (O(log² n) rounds always do; a path of 10,000 nodes needs 14)."""

    def __init__(self, config: DedupConfig, n_docs):
        super().__init__()
        self.config, self.n_docs = config, n_docs

    def expand(self, edges):
        config, n_docs = self.config, self.n_docs
        current = edges | "Orient" >> beam.Map(_oriented)
        for r in range(config.max_rounds):
            current = (current
                       | f"Scatter{r}" >> beam.FlatMap(_scatter_both, n_docs, config)
                       | f"GroupLarge{r}" >> beam.GroupByKey()
                       | f"LargeStar{r}" >> beam.ParDo(_LargeStar(config), n_docs)
                       | f"GroupSmall{r}" >> beam.GroupByKey()
                       | f"SmallStar{r}" >> beam.FlatMap(_small_star))
        return (current
                | "ParentLinks" >> beam.FlatMap(_parent_links, n_docs, config)
                | "GroupLinks" >> beam.GroupByKey()
                | "Labels" >> beam.ParDo(_Labels(config.max_rounds)))


def _oriented(batch: tuple[bytes, bytes]) -> tuple[bytes, bytes]:
    a, b = _arrays([batch])
    keep = a != b
    return np.maximum(a, b)[keep].tobytes(), np.minimum(a, b)[keep].tobytes()


class _RanksByLabel(beam.DoFn):
    """One partition's labels and ranks → (label partition, [(label, node rank), ...])."""

    def __init__(self, config: DedupConfig):
        self.config = config

    def process(self, item: tuple[int, Iterable[tuple]], n_docs: int) -> Iterator[tuple[int, list]]:
        _, values = item
        ranks = {}
        for value in values:
            if value[0] == "R":
                ranks.update(zip(np.frombuffer(value[1], dtype=np.int64).tolist(), value[2]))
        parts = self.config.partitions(n_docs)
        out: dict[int, list] = {}
        for value in values:
            if value[0] == "C":
                for node, label in zip(np.frombuffer(value[1], dtype=np.int64).tolist(),
                                       np.frombuffer(value[2], dtype=np.int64).tolist()):
                    out.setdefault(label % parts, []).append((label, ranks[node]))
        yield from out.items()


def _best_of_components(item: tuple[int, Iterable[list]], subshards: int) -> Iterator[tuple[int, tuple]]:
    """One partition of (component, member rank) → each member's ("L", ...) label (roots.dedup.fates)."""
    _, batches = item
    members: dict[int, list] = {}
    for batch in batches:
        for label, rank in batch:
            members.setdefault(label, []).append(rank)
    for ranks in members.values():
        yield from component_labels(ranks, subshards)


def _fates(item: tuple[int, Iterable[tuple]]) -> Iterator[tuple]:
    return group_fates(*item)


class _Route(beam.DoFn):
    """One partition: its fates and the paths of its route runs → per sub-shard of an exact group, its
    documents (read from the runs) and, when the group has copies or near duplicates, its fate →
    kept documents and ("dedup", Rejection) pairs."""

    def setup(self) -> None:
        self.counters: dict[tuple[str, str], Any] = {}

    def _count(self, lang: str, outcome: str) -> None:
        counter = self.counters.get((lang, outcome))
        if counter is None:
            counter = self.counters[(lang, outcome)] = Metrics.counter(f"{STAGE}:{lang}", outcome)
        counter.inc()

    def process(self, item: tuple[int, Iterable[tuple]]) -> Iterator[Any]:
        fates, paths = {}, []
        for value in item[1]:
            if value[0] == "F":
                fates[value[1]] = value[2]
            else:
                paths.append(value[1])
        for route_key, values in _routed_docs(paths):
            fate = fates.get(route_key)
            for out in route_values(values if fate is None else values + [fate]):
                if isinstance(out, Rejection):
                    self._count(out.doc.lang_dir, out.reason.code)
                    yield pvalue.TaggedOutput(REJECTED_TAG, (STAGE, out))
                else:
                    self._count(out.lang_dir, "kept")
                    yield out


class Deduplicate(beam.PTransform):
    """A PCollection of Documents → {"kept": Documents, "rejected": ("dedup", Rejection) pairs}.

    Exact duplicates (same normalised text, or URL) are rejected as `dedup:exact` (`dedup:url`), near
    duplicates as `dedup:near`; each rejection's meta names its cluster (`dedup_cluster`) and the
    document finally kept (`dedup_kept`). Per language unless `scope: all`; always across sources."""

    #: the stage name its rejections and counts carry (a part of roots.pipelines.beam_transforms.DocumentStep)
    name = STAGE

    def __init__(self, config: DedupConfig | None = None, modes: dict[str, int] | None = None, *, folder: str):
        super().__init__()
        self.config = config or DedupConfig()
        #: each language's shingle mode (roots.dedup.fingerprint.shingle_modes of the run's registry,
        #: overlay included); None: the packaged registry's, built on the worker
        self.modes = modes
        #: where the documents' route run files go (a step's run folder, removed when the step ends)
        self.folder = folder

    def report(self) -> dict[str, Any]:
        """How this run decides (for the manifest): the plan's DedupPart report."""
        return DedupPart(self.config).report()

    def expand(self, docs):
        config = self.config
        n_bands = config.bands_rows()[0]
        fp = (docs | "Fingerprint" >> beam.ParDo(_Fingerprint(config, self.modes, self.folder))
              .with_outputs(_SIGNATURES, main="runs"))
        n_docs = pvalue.AsSingleton(fp[_SIGNATURES]
                                    | "BatchSizes" >> beam.Map(_batch_size)
                                    | "CountDocs" >> beam.CombineGlobally(sum))
        groups = (fp[_SIGNATURES]
                  | "SplitBatches" >> beam.FlatMap(_split_batch, n_docs, config, n_bands)
                  | "GroupSignatures" >> beam.GroupByKey()
                  | "ExactGroups" >> beam.ParDo(_ExactGroups(config, n_bands), n_docs).with_outputs(_SUMMARY, _BANDS, _INFO))
        fate_inputs = [groups[_SUMMARY]]
        if config.near:
            pairs = (groups[_BANDS]
                     | "GroupBands" >> beam.GroupByKey()
                     | "BucketPairs" >> beam.ParDo(_BucketPairs(config), n_docs))
            first = ((groups[_INFO], pairs)
                     | "FlattenFirst" >> beam.Flatten()
                     | "GroupFirst" >> beam.GroupByKey()
                     | "JoinFirst" >> beam.ParDo(_JoinFirst(config), n_docs))
            edges = (first
                     | "GroupSecond" >> beam.GroupByKey()
                     | "JoinSecond" >> beam.ParDo(_JoinSecond(config), n_docs).with_outputs(_RANKS, main="edges"))
            labels = edges["edges"] | "Components" >> ConnectedComponents(config, n_docs)
            fate_inputs.append(
                (labels, edges[_RANKS])
                | "FlattenLabelRanks" >> beam.Flatten()
                | "GroupLabelRanks" >> beam.GroupByKey()
                | "RanksByLabel" >> beam.ParDo(_RanksByLabel(config), n_docs)
                | "GroupComponents" >> beam.GroupByKey()
                | "BestOfComponents" >> beam.FlatMap(_best_of_components, config.subshards))
        fates = (fate_inputs
                 | "FlattenFates" >> beam.Flatten()
                 | "GroupFates" >> beam.GroupByKey()
                 | "Fates" >> beam.FlatMap(_fates)
                 | "FatePartitions" >> beam.Map(_fate_partition, n_docs, config))
        runs = fp["runs"] | "RouteRuns" >> beam.FlatMap(_route_runs, n_docs, config, self.folder)
        out = ((runs, fates)
               | "FlattenRoute" >> beam.Flatten()
               | "GroupRoute" >> beam.GroupByKey()
               | "Route" >> beam.ParDo(_Route()).with_outputs(REJECTED_TAG, main=KEPT_TAG))
        return {KEPT_TAG: out[KEPT_TAG], REJECTED_TAG: out[REJECTED_TAG]}


# --- `roots dedup`: document files in, kept and rejected shards out --------------------------------

def _read_file(path: str) -> Iterator[Any]:
    from roots.dedup.files import read_documents

    for record in read_documents(path):
        if isinstance(record, Rejection):
            Metrics.counter(f"{STAGE}:{record.doc.lang_dir}", record.reason.code).inc()
            yield pvalue.TaggedOutput(REJECTED_TAG, ("read", record))
        else:
            yield record


def _flat_shard_path(key: tuple, root: str, fmt: str) -> str:
    """`roots dedup`'s layout: ROOT/language=XX/part-*, for kept and rejected documents alike."""
    _, lang, index, total = key
    return shard_path(os.path.join(root, lang_folder(lang)), index, total, fmt)


def _row_bytes(item: tuple[str, tuple]) -> tuple[tuple[str, str], int]:
    stage, row = item
    return (stage, row_lang(row)), nbytes(row[1])


def runs_folder(output: str) -> str:
    """Where `roots dedup` keeps its run files until it ends: next to OUTPUT (a `.tmp-` name)."""
    return fs.join(os.path.dirname(output.rstrip("/")) or ".", f".tmp-dedup-runs-{os.path.basename(output.rstrip('/'))}")


def build_dedup_files(pipeline, inputs: list[str], output: str, rejected: str, config: DedupConfig,
                      fmt: str = "parquet", target_mb: float = 256.0, runs_dir: str | None = None):
    """Adds read → Deduplicate → write to `pipeline`: kept documents to OUTPUT/language=XX/part-*, rejections
    (dedup's and unreadable rows) to REJECTED/language=XX/part-*, in the run directory's schemas, by the
    run graph's two-phase shard writer (beam_transforms.WriteShards): only run file names cross a
    shuffle. The run files lie under `runs_dir` (default runs_folder(output)); the caller removes it
    once the pipeline has run (run_dedup_files does)."""
    runs_dir = runs_dir or runs_folder(output)
    read = (pipeline
            | "ListFiles" >> beam.Create(inputs)
            | "SpreadFiles" >> beam.Reshuffle()
            | "ReadFiles" >> beam.FlatMap(_read_file).with_outputs(REJECTED_TAG, main=KEPT_TAG))
    out = read[KEPT_TAG] | "Deduplicate" >> Deduplicate(config, folder=fs.join(runs_dir, "route"))
    kept_rows = out[KEPT_TAG] | "KeptRows" >> beam.Map(lambda d: ("", document_row(d)))
    rejected_rows = ((out[REJECTED_TAG], read[REJECTED_TAG])
                     | "AllRejected" >> beam.Flatten()
                     | "RejectedRows" >> beam.Map(lambda item: ("", rejected_row(item)[1])))
    written = []
    for kind, rows, root in ((DOCUMENTS, kept_rows, output), (REJECTED, rejected_rows, rejected)):
        sizes = (rows
                 | f"RowBytes:{kind}" >> beam.Map(_row_bytes)
                 | f"SumBytes:{kind}" >> beam.CombinePerKey(sum))
        written.append(rows | f"Write:{kind}" >> WriteShards(root, kind, fmt, target_mb, sizes, fs.join(runs_dir, kind),
                                                             partial(_flat_shard_path, root=root, fmt=fmt)))
    return written | "AllShards" >> beam.Flatten()


def run_dedup_files(inputs: list[str], output: str, rejected: str, config, fmt: str = "parquet",
                    target_mb: float = 256.0, workers: int = 1) -> tuple[dict[str, dict[str, int]], dict[str, int], float]:
    """`roots dedup`'s pipeline: build_dedup_files on the FnApiRunner, its run files next to `output` until
    it ends; returns ({lang: {outcome: documents}}, {pair counter: value}, seconds)."""
    from apache_beam.options.pipeline_options import PipelineOptions

    options = ["--runner=FnApiRunner"]
    if workers > 1:
        options += [f"--direct_num_workers={workers}", "--direct_running_mode=multi_processing"]
    start = time.perf_counter()
    runs = runs_folder(output)
    try:
        pipeline = beam.Pipeline(options=PipelineOptions(options))
        build_dedup_files(pipeline, inputs, output, rejected, config, fmt, target_mb, runs)
        result = pipeline.run()
        result.wait_until_finish()
    finally:   # the documents' run files: the shards are written (or the run failed and starts afresh)
        if fs.exists(runs):
            fs.remove_tree(runs)
    counts: dict[str, dict[str, int]] = {}
    pairs: dict[str, int] = {}
    for metric in result.metrics().query()["counters"]:
        namespace, name = metric.key.metric.namespace, metric.key.metric.name
        if namespace.startswith("dedup:"):
            lang = namespace.split(":", 1)[1]
            counts.setdefault(lang, {})[name] = counts.get(lang, {}).get(name, 0) + metric.committed
        elif namespace == "dedup":
            pairs[name] = pairs.get(name, 0) + metric.committed
    return counts, pairs, time.perf_counter() - start
