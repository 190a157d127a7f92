"""Exact and near-duplicate removal as one composite Beam transform, with no single-machine step.

    documents ─ Fingerprint (numpy, per batch) ─┬─ (exact key, doc) ───────────────────────────────┐
                                                └─ signature batches by partition                  │
      ExactGroups: best copy per exact key ─────── hot keys (side input) ──────────────────────────┤
        ├─ band rows (arrays) → GroupByKey(band, part) → bucket pairs                              │
        └─ node info (rank, shingles) ─→ two partitioned joins with the pairs: exact Jaccard ─┐    │
                                         large-star / small-star rounds → component labels ◄─┘    │
                                                                  Route: one kept per component ◄──┘

Everything but the documents themselves travels in batches (numpy arrays and lists) keyed by a
partition (`exact key mod P`, P from the document count and `partition_docs`), so Beam handles a few
elements per thousand documents instead of dozens per document. Exact groups are reduced while
streaming (memory per distinct key, whatever a group's size); an exact group larger than `hot_group`
is routed over several sub-shards, so no worker holds a million copies; a bucket larger than
`max_bucket` gives star edges to a few representatives instead of all pairs; grouped values are read
in at most two streaming passes.
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Iterator

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindows
import numpy as np

from roots.dedup.buckets import bucket_pairs, jaccard
from roots.dedup.components import large_star, small_star
from roots.dedup.config import DedupConfig
from roots.dedup.fingerprint import Fingerprinter
from roots.dedup.keep import EXACT as EXACT_FIELD, RECORD
from roots.dedup.reasons import EXACT, STAGE, URL, route_group
from roots.document import Document, Rejection

KEPT_TAG = "kept"
REJECTED_TAG = "rejected"
_SIGNATURES, _HOT, _BANDS, _INFO = "signatures", "hot", "bands", "info"
_CHUNK = 4096  # nodes or edges per batch element


class ComponentsNotConverged(RuntimeError):
    """The large-star / small-star rounds ran out before every component became a star."""


def _windowed(out: Any) -> Any:
    """An output of finish_bundle, which must carry its window."""
    if isinstance(out, pvalue.TaggedOutput):
        return pvalue.TaggedOutput(out.tag, GlobalWindows.windowed_value(out.value))
    return GlobalWindows.windowed_value(out)


def _node_part(node: Any, parts: int) -> int:
    """The partition of a graph node: its exact key (ranks) or itself (ints) mod the partitions."""
    return (node if isinstance(node, int) else node[EXACT_FIELD]) % parts


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
    """Documents → (exact key, ("D", rank, by_url, doc)) and, tagged, signature batches keyed by partition:
    (part, (exact keys, ranks, by_url, has shingles, band keys, packed shingle sets))."""

    def __init__(self, config: DedupConfig):
        self.config = config

    def setup(self) -> None:
        self.fingerprinter = Fingerprinter(self.config)
        self.fingerprinter.setup()
        self.n_bands = self.fingerprinter.bands

    def start_bundle(self) -> None:
        self.buffer: list[Document] = []

    def process(self, doc: Document, n_docs: int) -> Iterator[Any]:
        self.parts = self.config.partitions(n_docs)
        self.buffer.append(doc)
        if len(self.buffer) >= self.config.batch_size:
            yield from self._flush()

    def finish_bundle(self) -> Iterator[Any]:
        for out in self._flush():
            yield _windowed(out)

    def _flush(self) -> Iterator[Any]:
        batch, self.buffer = self.buffer, []
        if not batch:
            return
        fps = self.fingerprinter(batch)
        for doc, fp in zip(batch, fps):
            yield fp.exact_key, ("D", fp.rank, fp.by_url, doc)
        keys = np.array([fp.exact_key for fp in fps], dtype=np.int64)
        has = np.array([fp.bands is not None for fp in fps], dtype=bool)
        bands = np.zeros((len(fps), self.n_bands), dtype=np.uint64)
        if has.any():
            bands[has] = np.stack([fp.bands for fp in fps if fp.bands is not None])
        empty = np.zeros(0, dtype=np.uint64)
        part_of = keys % self.parts
        for part in np.unique(part_of).tolist():
            idx = np.flatnonzero(part_of == part)
            shingles, offsets = _packed([fps[i].shingles if fps[i].shingles is not None else empty for i in idx],
                                        np.uint64)
            yield pvalue.TaggedOutput(_SIGNATURES, (part, (
                keys[idx].tobytes(), [fps[i].rank for i in idx], [fps[i].by_url for i in idx],
                has[idx].tobytes(), bands[idx].tobytes(), shingles, offsets)))


class _ExactGroups(beam.DoFn):
    """One partition's signature batches → the best copy of each exact key (streaming: memory per
    distinct key). Emits hot keys' summaries, LSH band rows and node info (rank, shingle set)."""

    def __init__(self, config: DedupConfig, n_bands: int):
        self.config, self.n_bands = config, n_bands

    def process(self, item: tuple[int, Iterable[tuple]], n_docs: int) -> Iterator[Any]:
        part, batches = item
        best: dict[int, list] = {}
        for keys, ranks, by_url, has, bands, shingles, offsets in batches:
            keys = np.frombuffer(keys, dtype=np.int64).tolist()
            has = np.frombuffer(has, dtype=bool)
            bands = np.frombuffer(bands, dtype=np.uint64).reshape(len(keys), self.n_bands)
            sets = _unpacked(shingles, offsets, np.uint64)
            for i, key in enumerate(keys):
                entry = best.get(key)
                if entry is None:
                    best[key] = [1, ranks[i], by_url[i], bands[i].copy() if has[i] else None, sets[i].copy()]
                else:
                    entry[0] += 1
                    if ranks[i] < entry[1]:
                        entry[1:] = [ranks[i], by_url[i], bands[i].copy() if has[i] else None, sets[i].copy()]
        hot = self.config.hot_group
        nodes = []
        for key in sorted(best):
            count, rank, by_url, node_bands, node_set = best[key]
            if count > hot:
                yield pvalue.TaggedOutput(_HOT, (key, (math.ceil(count / hot), rank, count, by_url)))
            if node_bands is not None:
                nodes.append((key, rank, node_bands, node_set))
        band_parts = self.config.band_parts(n_docs)
        for start in range(0, len(nodes), _CHUNK):
            chunk = nodes[start:start + _CHUNK]
            keys = np.array([n[0] for n in chunk], dtype=np.int64)
            shingles, offsets = _packed([n[3] for n in chunk], np.uint64)
            yield pvalue.TaggedOutput(_INFO, (part, ("I", keys.tobytes(), [n[1] for n in chunk], shingles, offsets)))
            bands = np.stack([n[2] for n in chunk])
            part_of = (bands % np.uint64(band_parts)).astype(np.int64)
            for band in range(self.n_bands):
                for bpart in range(band_parts):
                    mask = part_of[:, band] == bpart
                    if mask.any():
                        yield pvalue.TaggedOutput(_BANDS, ((band, bpart), (bands[mask, band].tobytes(), keys[mask].tobytes())))


class _BucketPairs(beam.DoFn):
    """One band partition's arrays → candidate pairs (u, v) of exact keys, u < v, batched by u's partition."""

    def __init__(self, config: DedupConfig):
        self.config = config

    def setup(self) -> None:
        self.pairs = Metrics.counter(STAGE, "candidate_pairs")

    def process(self, item: tuple[tuple[int, int], Iterable[tuple[bytes, bytes]]], n_docs: int) -> Iterator[Any]:
        _, chunks = item
        keys, nodes = [], []
        for k, n in chunks:
            keys.append(np.frombuffer(k, dtype=np.uint64))
            nodes.append(np.frombuffer(n, dtype=np.int64))
        u, v = bucket_pairs(np.concatenate(keys), np.concatenate(nodes), self.config.max_bucket, self.config.bucket_reps)
        self.pairs.inc(len(u))
        part_of = u % self.config.partitions(n_docs)
        for part in np.unique(part_of).tolist():
            mask = part_of == part
            yield part, ("P", u[mask].tobytes(), v[mask].tobytes())


def _node_table(values: Iterable[tuple]) -> dict[int, tuple]:
    """Pass one over a partition's group: exact key → (rank, shingle set) from its "I" batches."""
    table = {}
    for value in values:
        if value[0] == "I":
            _, keys, ranks, shingles, offsets = value
            for key, rank, shingle_set in zip(np.frombuffer(keys, dtype=np.int64).tolist(), ranks,
                                              _unpacked(shingles, offsets, np.uint64)):
                table[key] = (rank, shingle_set)
    return table


class _JoinFirst(beam.DoFn):
    """Partition of the pairs' first nodes: attach u's rank and shingles, send each pair to v's partition."""

    def __init__(self, config: DedupConfig):
        self.config = config

    def process(self, item: tuple[int, Iterable[tuple]], n_docs: int) -> Iterator[Any]:
        _, values = item
        table = _node_table(values)
        us, vs = [], []
        for value in values:
            if value[0] == "P":
                us.append(np.frombuffer(value[1], dtype=np.int64))
                vs.append(np.frombuffer(value[2], dtype=np.int64))
        if not us:
            return
        pairs = np.unique(np.stack([np.concatenate(us), np.concatenate(vs)], axis=1), axis=0)
        part_of = pairs[:, 1] % self.config.partitions(n_docs)
        for part in np.unique(part_of).tolist():
            chosen = pairs[part_of == part]
            for start in range(0, len(chosen), _CHUNK):
                chunk = chosen[start:start + _CHUNK]
                firsts = [table[u] for u in chunk[:, 0].tolist()]
                shingles, offsets = _packed([f[1] for f in firsts], np.uint64)
                yield part, ("Q", chunk[:, 1].tobytes(), [f[0] for f in firsts], shingles, offsets)


class _JoinSecond(beam.DoFn):
    """Partition of the pairs' second nodes: exact Jaccard of each pair → a batch of verified edges
    (larger rank, smaller rank)."""

    def __init__(self, config: DedupConfig):
        self.config = config

    def setup(self) -> None:
        self.verified = Metrics.counter(STAGE, "verified_pairs")
        self.false_positives = Metrics.counter(STAGE, "lsh_false_positives")

    def process(self, item: tuple[int, Iterable[tuple]]) -> Iterator[list]:
        _, values = item
        table = _node_table(values)
        verify, threshold = self.config.verify, self.config.threshold
        for value in values:
            if value[0] != "Q":
                continue
            _, seconds, first_ranks, shingles, offsets = value
            edges = []
            for v, rank_u, set_u in zip(np.frombuffer(seconds, dtype=np.int64).tolist(), first_ranks,
                                        _unpacked(shingles, offsets, np.uint64)):
                rank_v, set_v = table[v]
                if verify and jaccard(set_u, set_v) < threshold:
                    self.false_positives.inc()
                    continue
                edges.append((rank_u, rank_v) if rank_u > rank_v else (rank_v, rank_u))
            self.verified.inc(len(edges))
            if edges:
                yield edges


def _scatter(edges: list, parts: int, both: bool) -> Iterator[tuple[int, list]]:
    """Edge batches → (partition, [(node, neighbour), ...]) keyed by the first node's partition
    (and, when `both`, each edge also the other way round)."""
    out: dict[int, list] = {}
    for a, b in edges:
        out.setdefault(_node_part(a, parts), []).append((a, b))
        if both:
            out.setdefault(_node_part(b, parts), []).append((b, a))
    yield from out.items()


def _adjacency(batches: Iterable[list]) -> dict[Any, set]:
    adjacency: dict[Any, set] = {}
    for batch in batches:
        for node, other in batch:
            adjacency.setdefault(node, set()).add(other)
    return adjacency


class _Star(beam.DoFn):
    """One partition of one half-round: each node's (deduplicated) neighbours → large-star or
    small-star edges, batched."""

    def __init__(self, large: bool, config: DedupConfig):
        self.large, self.config = large, config

    def process(self, item: tuple[int, Iterable[list]], n_docs: int) -> Iterator[Any]:
        _, batches = item
        star = large_star if self.large else small_star
        edges = [e for node, others in sorted(_adjacency(batches).items()) for e in star(node, sorted(others))]
        if self.large:  # small-star groups by the larger node
            yield from _scatter(edges, self.config.partitions(n_docs), both=False)
        elif edges:
            yield edges


class _Labels(beam.DoFn):
    """Final check and labels: each node → the smallest node of its component. Raises when a node is
    both a child and a parent, or has two parents: the rounds did not converge."""

    def __init__(self, rounds: int):
        self.rounds = rounds

    def process(self, item: tuple[int, Iterable[list]]) -> Iterator[tuple]:
        _, batches = item
        parents: dict[Any, set] = {}
        is_parent: set = set()
        for batch in batches:
            for node, kind, other in batch:
                if kind == "up":
                    parents.setdefault(node, set()).add(other)
                else:
                    is_parent.add(node)
        for node in is_parent - parents.keys():
            yield node, node
        for node, ups in parents.items():
            if len(ups) > 1 or node in is_parent:
                raise ComponentsNotConverged(
                    f"dedup: connected components did not converge in {self.rounds} rounds (node "
                    f"{node[2] if isinstance(node, tuple) else node!r}); raise dedup.max_rounds")
            yield node, next(iter(ups))


def _parent_links(edges: list, parts: int) -> Iterator[tuple[int, list]]:
    out: dict[int, list] = {}
    for child, parent in edges:
        out.setdefault(_node_part(child, parts), []).append((child, "up", parent))
        out.setdefault(_node_part(parent, parts), []).append((parent, "down", None))
    yield from out.items()


class ConnectedComponents(beam.PTransform):
    """Batches of undirected edges (lists of (a, b)) → (node, smallest node of its component), by
    `rounds` unrolled large-star + small-star rounds over partitioned adjacency, then a check that
    fails loudly if they did not suffice (O(log² n) rounds always do; a path of 10,000 nodes needs 14).
    Nodes are ints or dedup ranks; `n_docs` (a singleton side input) sets the partitions."""

    def __init__(self, config: DedupConfig, n_docs):
        super().__init__()
        self.config, self.n_docs = config, n_docs

    def expand(self, edges):
        config, n_docs = self.config, self.n_docs
        parts = lambda n: config.partitions(n)  # noqa: E731
        current = edges
        for r in range(config.max_rounds):
            current = (current
                       | f"Scatter{r}" >> beam.FlatMap(lambda e, n: _scatter(e, parts(n), both=True), n_docs)
                       | f"GroupLarge{r}" >> beam.GroupByKey()
                       | f"LargeStar{r}" >> beam.ParDo(_Star(True, config), n_docs)
                       | f"GroupSmall{r}" >> beam.GroupByKey()
                       | f"SmallStar{r}" >> beam.ParDo(_Star(False, config), n_docs))
        return (current
                | "ParentLinks" >> beam.FlatMap(lambda e, n: _parent_links(e, parts(n)), n_docs)
                | "GroupLinks" >> beam.GroupByKey()
                | "Labels" >> beam.ParDo(_Labels(config.max_rounds)))


class _Route(beam.DoFn):
    """One exact group (or sub-shard of one): its documents and its component label → kept documents
    and ("dedup", Rejection) pairs. A hot group's best rank and size come from the side input."""

    def setup(self) -> None:
        self.counters: dict[tuple[str, str], Any] = {}

    def _count(self, lang: str, outcome: str) -> None:
        counter = self.counters.get((lang, outcome))
        if counter is None:
            counter = self.counters[(lang, outcome)] = Metrics.counter(f"{STAGE}:{lang}", outcome)
        counter.inc()

    def process(self, item: tuple[tuple[int, int], Iterable[tuple]], hot: dict[int, tuple]) -> Iterator[Any]:
        (key, _), values = item
        label, group_min, by_url, count = None, None, False, 0
        for value in values:
            if value[0] == "L":
                label = value[1]
                continue
            count += 1
            if group_min is None or value[1] < group_min:
                group_min, by_url = value[1], value[2]
        if key in hot:
            _, group_min, count, by_url = hot[key]
        docs = ((v[1], v[3]) for v in values if v[0] == "D")
        # (a group of only a label has its documents in another sub-shard: nothing to route here)
        for out in route_group(docs, group_min, count, label, URL if by_url else EXACT) if count else ():
            if isinstance(out, Rejection):
                self._count(out.doc.lang_dir, out.reason.code)
                yield pvalue.TaggedOutput(REJECTED_TAG, (STAGE, out))
            else:
                self._count(out.lang_dir, "kept")
                yield out


def _key_doc(item: tuple[int, tuple], hot: dict[int, tuple]) -> tuple:
    key, value = item
    summary = hot.get(key)
    return (key, value[1][RECORD] % summary[0] if summary else 0), value


def _key_label(item: tuple, hot: dict[int, tuple]) -> Iterator[tuple]:
    node, label = item
    key = node[EXACT_FIELD]
    summary = hot.get(key)
    for sub in range(summary[0] if summary else 1):
        yield (key, sub), ("L", label)


class Deduplicate(beam.PTransform):
    """A PCollection of Documents → {"kept": Documents, "rejected": ("dedup", Rejection) pairs}.

    Exact duplicates (same normalised text, or URL) are rejected as `dedup:exact` (`dedup:url`), near
    duplicates as `dedup:near`; each rejection's meta names its cluster (`dedup_cluster`) and the
    document finally kept (`dedup_kept`). Per language unless `scope: all`; always across sources."""

    def __init__(self, config: DedupConfig | None = None):
        super().__init__()
        self.config = config or DedupConfig()

    def expand(self, docs):
        config = self.config
        n_bands = config.bands_rows()[0]
        n_docs = pvalue.AsSingleton(docs | "CountDocs" >> beam.combiners.Count.Globally())
        fp = docs | "Fingerprint" >> beam.ParDo(_Fingerprint(config), n_docs).with_outputs(_SIGNATURES, main="docs")
        groups = (fp[_SIGNATURES]
                  | "GroupSignatures" >> beam.GroupByKey()
                  | "ExactGroups" >> beam.ParDo(_ExactGroups(config, n_bands), n_docs).with_outputs(_HOT, _BANDS, _INFO))
        hot = pvalue.AsDict(groups[_HOT])
        routed = [fp["docs"] | "KeyDocs" >> beam.Map(_key_doc, hot)]
        if config.near:
            pairs = (groups[_BANDS]
                     | "GroupBands" >> beam.GroupByKey()
                     | "BucketPairs" >> beam.ParDo(_BucketPairs(config), n_docs))
            first = ((groups[_INFO], pairs)
                     | "FlattenFirst" >> beam.Flatten()
                     | "GroupFirst" >> beam.GroupByKey()
                     | "JoinFirst" >> beam.ParDo(_JoinFirst(config), n_docs))
            edges = ((groups[_INFO], first)
                     | "FlattenSecond" >> beam.Flatten()
                     | "GroupSecond" >> beam.GroupByKey()
                     | "JoinSecond" >> beam.ParDo(_JoinSecond(config)))
            labels = edges | "Components" >> ConnectedComponents(config, n_docs)
            routed.append(labels | "KeyLabels" >> beam.FlatMap(_key_label, hot))
        out = (routed
               | "FlattenRoute" >> beam.Flatten()
               | "GroupRoute" >> beam.GroupByKey()
               | "Route" >> beam.ParDo(_Route(), hot).with_outputs(REJECTED_TAG, main=KEPT_TAG))
        return {KEPT_TAG: out[KEPT_TAG], REJECTED_TAG: out[REJECTED_TAG]}


# --- `roots dedup`: document files in, kept and rejected shards out --------------------------------

def _nbytes(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _read_file(path: str) -> Iterator[Any]:
    from roots.dedup.files import read_documents

    for record in read_documents(path):
        if isinstance(record, Rejection):
            yield pvalue.TaggedOutput(REJECTED_TAG, ("read", record))
        else:
            yield record


def _shard_key(item: tuple[str, tuple], sizes: dict, target_mb: float) -> tuple:
    from roots.rundir import shard_count, shard_of

    kind, row = item
    lang = row[2] or "und"
    total = shard_count(sizes.get((kind, lang), 0), target_mb)
    return (kind, lang, shard_of(row[0], total), total), row


class _WriteShard(beam.DoFn):
    """Writes one shard: rows sorted by their full content (ids may repeat), temp name then rename."""

    def __init__(self, roots_by_kind: dict[str, str], fmt: str):
        self.roots_by_kind, self.fmt = roots_by_kind, fmt

    def process(self, item: tuple[tuple, Iterable[tuple]]) -> Iterator[str]:
        import os

        import pyarrow as pa

        from roots.document import DOCUMENT_SCHEMA, REJECTED_SCHEMA
        from roots.rundir import shard_path, write_shard

        (kind, lang, index, total), rows = item
        rows = sorted(rows)
        schema = DOCUMENT_SCHEMA if kind == KEPT_TAG else REJECTED_SCHEMA
        table = pa.table({name: [r[i] for r in rows] for i, name in enumerate(schema.names)}, schema=schema)
        path = shard_path(os.path.join(self.roots_by_kind[kind], f"lang={lang}"), index, total, self.fmt)
        write_shard(table, path, self.fmt)
        yield path


def build_dedup_files(pipeline, inputs: list[str], output: str, rejected: str, config: DedupConfig,
                      fmt: str = "parquet", target_mb: float = 256.0):
    """Adds read → Deduplicate → write to `pipeline`: kept documents to OUTPUT/lang=XX/part-*, rejections
    (dedup's and unreadable rows) to REJECTED/lang=XX/part-*, in the run directory's schemas."""
    from roots.document import meta_to_json

    read = (pipeline
            | "ListFiles" >> beam.Create(inputs)
            | "SpreadFiles" >> beam.Reshuffle()
            | "ReadFiles" >> beam.FlatMap(_read_file).with_outputs(REJECTED_TAG, main=KEPT_TAG))
    out = read[KEPT_TAG] | "Deduplicate" >> Deduplicate(config)
    kept_rows = out[KEPT_TAG] | "KeptRows" >> beam.Map(
        lambda d: (KEPT_TAG, (d.id, d.text, d.lang, d.source, meta_to_json(d.meta))))
    rejected_rows = ((out[REJECTED_TAG], read[REJECTED_TAG])
                     | "AllRejected" >> beam.Flatten()
                     | "RejectedRows" >> beam.Map(lambda item: (REJECTED_TAG, (
                         item[1].doc.id, item[1].doc.text, item[1].doc.lang, item[1].doc.source,
                         meta_to_json(item[1].doc.meta), item[1].reason.code, item[1].detail))))
    rows = (kept_rows, rejected_rows) | "AllRows" >> beam.Flatten()
    sizes = beam.pvalue.AsDict(
        rows
        | "RowBytes" >> beam.Map(lambda kr: ((kr[0], kr[1][2] or "und"), _nbytes(kr[1][1])))
        | "SumBytes" >> beam.CombinePerKey(sum))
    return (rows
            | "AssignShards" >> beam.Map(_shard_key, sizes, target_mb)
            | "GroupShards" >> beam.GroupByKey()
            | "WriteShards" >> beam.ParDo(_WriteShard({KEPT_TAG: output, REJECTED_TAG: rejected}, fmt)))
