"""Exact and near-duplicate removal on Spark, distributed end to end, by the same rules and with the
same output as the Beam transform (roots.pipelines.dedup.Deduplicate), in few and large Spark jobs:

    documents ─ mapPartitions: fingerprints (numpy, per batch; tables built once per Python worker)
      ├─ ((exact key, sub-shard), ("D", rank, doc)) ──────────────────────────────────────────────┐
      └─ (exact key, node) ─ reduceByKey: the exact groups (persisted, partitioned by key)         │
           ├─ band rows, numpy batches per bucket partition ─ bucket pairs (u, v)                  │
           │    ─ cogroup by u with the heads' (rank, shingles) ─ cogroup by v: exact Jaccard      │
           │    ─ edges ─ large-star / small-star rounds until every component is a star           │
           └─ cogroup with the stars: each group's component ─ groupByKey(component) ─ Fates ─→ Route

The exact groups are hash-partitioned by key (PySpark's portable_hash, `parts` partitions) and the
candidate pairs, verified candidates and star marks are shuffled to the same partitioner, so the
cogroups with the groups are narrow: only pairs and edges move, never the groups' shingle sets.
Jobs: the first round's action runs everything from the documents to the first round's stars; each
further round is one job whose large-star stage also counts the star violations of its input (an
accumulator), so convergence needs no job of its own; the last job labels the components, routes the
documents and collects the counts. Unlike Beam's unrolled graph, Spark stops after the first round
whose input was already a star; both give the same labels (a star is left unchanged by a round).
Nothing is gathered on the driver but the counts."""
from __future__ import annotations

from typing import Any, Iterable, Iterator

import numpy as np

from roots.dedup.buckets import bucket_pairs, jaccard
from roots.dedup.components import large_star_arrays, small_star_arrays, star_violations
from roots.dedup.config import DedupConfig
from roots.dedup.fates import group_fates, route_values
from roots.dedup.fingerprint import Fingerprinter
from roots.dedup.keep import EXACT as EXACT_FIELD, RECORD
from roots.dedup.reasons import STAGE
from roots.document import Document, Rejection
from roots.stats import KEPT, nbytes

#: fingerprinters already set up in this Python worker, by config (a reused worker builds them once)
_FINGERPRINTERS: dict[tuple, Fingerprinter] = {}

#: (stage, lang, outcome) → [documents, text bytes], as the engines count
Counts = dict[tuple[str, str, str], list[int]]


class ComponentsNotConverged(RuntimeError):
    """The large-star / small-star rounds ran out before every component became a star."""


def _fingerprinter(config: DedupConfig, modes: dict[str, int] | None = None) -> Fingerprinter:
    key = (config, tuple(sorted(modes.items())) if modes is not None else None)
    found = _FINGERPRINTERS.get(key)
    if found is None:
        found = _FINGERPRINTERS[key] = Fingerprinter(config, modes)
        found.setup()
    return found


def _fingerprint_partition(config: DedupConfig, modes: dict[str, int] | None = None) -> Any:
    """mapPartitions: documents → ("D", (key, sub), ("D", rank, doc)) and ("N", key, node), where a
    node is (copies, best rank, by_url, band keys or None, shingle set or None, sub-shards)."""
    def run(docs: Iterator[Document]) -> Iterator[tuple]:
        fingerprinter = _fingerprinter(config, modes)
        subshards = config.subshards
        batch: list[Document] = []

        def flush() -> Iterator[tuple]:
            for doc, fp in zip(batch, fingerprinter(batch)):
                sub = fp.rank[RECORD] % subshards
                yield "D", (fp.exact_key, sub), ("D", fp.rank, doc)
                yield "N", fp.exact_key, (1, fp.rank, fp.by_url, fp.bands, fp.shingles, (sub,))

        for doc in docs:
            batch.append(doc)
            if len(batch) >= config.batch_size:
                yield from flush()
                batch = []
        if batch:
            yield from flush()
    return run


def _merge_nodes(a: tuple, b: tuple) -> tuple:
    """Two partial exact groups → one: copies summed, the best rank's fields, sub-shards united."""
    best = a if a[1] <= b[1] else b
    subs = a[5] if a[5] == b[5] else tuple(sorted(set(a[5]) | set(b[5])))
    return a[0] + b[0], best[1], best[2], best[3], best[4], subs


# --- candidate pairs -------------------------------------------------------------------------------

def _band_batches(n_bands: int, parts: int) -> Any:
    """mapPartitions over exact groups → (bucket partition, (bands, band keys, nodes)): the heads' band
    rows as one batch of numpy arrays per target partition, not one record per row."""
    def run(groups: Iterator[tuple[int, tuple]]) -> Iterator[tuple[int, tuple]]:
        keys, nodes = [], []
        for key, node in groups:
            if node[3] is not None:
                keys.append(node[3])
                nodes.append(key)
        if not nodes:
            return
        band_keys = np.stack(keys).astype(np.uint64).ravel()          # row i·n_bands + b: band b of head i
        bands = np.tile(np.arange(n_bands, dtype=np.int64), len(nodes))
        node_ids = np.repeat(np.asarray(nodes, dtype=np.int64), n_bands)
        target = (band_keys % np.uint64(parts)).astype(np.int64)     # a bucket lies in one partition
        order = np.argsort(target, kind="stable")
        target, bands, band_keys, node_ids = target[order], bands[order], band_keys[order], node_ids[order]
        cuts = np.flatnonzero(np.diff(target)) + 1
        for rows in np.split(np.arange(len(target)), cuts):
            yield int(target[rows[0]]), (bands[rows], band_keys[rows], node_ids[rows])
    return run


def _bucket_pairs(max_bucket: int, reps: int) -> Any:
    """mapPartitions over band batches → candidate pairs (u, v), u < v: the buckets are the distinct
    (band, band key), paired by bucket_pairs as Beam pairs each band group."""
    def run(items: Iterator[tuple[int, tuple]]) -> Iterator[tuple[int, int]]:
        batches = [batch for _, batch in items]
        if not batches:
            return
        bands, keys, nodes = (np.concatenate([b[i] for b in batches]) for i in range(3))
        order = np.lexsort((keys, bands))
        bands, keys, nodes = bands[order], keys[order], nodes[order]
        new = np.ones(len(bands), dtype=bool)
        new[1:] = (bands[1:] != bands[:-1]) | (keys[1:] != keys[:-1])
        u, v = bucket_pairs(np.cumsum(new), nodes, max_bucket, reps)
        yield from zip(u.tolist(), v.tolist())
    return run


def _to_second(group: tuple[int, tuple[Iterable[int], Iterable[tuple]]]) -> Iterator[tuple[int, tuple]]:
    """A head u with its candidates v and its (rank, shingles) → (v, (u, (rank, shingles))) per distinct v."""
    u, (vs, infos) = group
    for info in infos:   # one: u is a head
        for v in sorted(set(vs)):
            yield v, (u, info)


def _verified(verify: bool, threshold: float) -> Any:
    """A head v with its candidates (u, info) and its own info → (v, u) edges (child > parent) whose
    exact Jaccard reaches the threshold (every candidate when not verifying)."""
    def run(group: tuple[int, tuple[Iterable[tuple], Iterable[tuple]]]) -> Iterator[tuple[int, int]]:
        v, (candidates, infos) = group
        for info_v in infos:
            for u, info_u in candidates:
                if not verify or jaccard(info_u[1], info_v[1]) >= threshold:
                    yield v, u
    return run


# --- connected components ---------------------------------------------------------------------------

def _arrays(rows: Iterable[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    pairs = np.array(list(rows), dtype=np.int64).reshape(-1, 2)
    return pairs[:, 0], pairs[:, 1]


def _checked_large_star(violations: Any) -> Any:
    """Large-star over a partition of (node, neighbour) rows, adding the star violations of its input
    (nodes with two parents, or both child and parent) to the accumulator `violations`."""
    def run(rows: Iterator[tuple[int, int]]) -> Iterator[tuple[int, int]]:
        nodes, neighbours = _arrays(rows)
        violations.add(star_violations(nodes, neighbours))
        larger, smallest = large_star_arrays(nodes, neighbours)
        return zip(larger.tolist(), smallest.tolist())
    return run


def _small_star(rows: Iterator[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    larger, smallest = small_star_arrays(*_arrays(rows))
    return zip(larger.tolist(), smallest.tolist())


def _both_ways(edge: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    return edge, (edge[1], edge[0])


def connected_components(sc, edges, parts: int, max_rounds: int, cached: list):
    """(child, parent) edges, child > parent, an RDD → star edges (node, smallest node of its component):
    a large-star + small-star round per job until a round's input was already a star (then its output
    is that star). The persisted result is appended to `cached`, for the caller to release."""
    from pyspark import StorageLevel

    current = edges
    for rounds in range(max_rounds + 1):
        violations = sc.accumulator(0)
        large = current.flatMap(_both_ways).partitionBy(parts).mapPartitions(_checked_large_star(violations))
        following = large.partitionBy(parts).mapPartitions(_small_star).persist(StorageLevel.MEMORY_AND_DISK)
        following.count()
        if rounds:
            current.unpersist()
        current = following
        if violations.value == 0:
            cached.append(current)
            return current
        if rounds == max_rounds:
            current.unpersist()
            raise ComponentsNotConverged(f"dedup: connected components did not converge in {max_rounds} rounds; "
                                         "raise dedup.max_rounds")
    raise AssertionError("unreachable")


# --- fates and routing ------------------------------------------------------------------------------

def _marks(edge: tuple[int, int]) -> tuple[tuple[int, tuple], tuple[int, tuple]]:
    """A star edge → (child, (its root, False)) and (root, (None, True))."""
    child, root = edge
    return (child, (root, False)), (root, (None, True))


def _merge_marks(a: tuple, b: tuple) -> tuple:
    return (a[0] if a[0] is not None else b[0]), a[1] or b[1]


def _labelled(group: tuple[int, tuple[Iterable[tuple], Iterable[tuple]]]) -> Iterator[tuple[int, tuple]]:
    """An exact group with its star marks → (its component's root, (rank, copies, by_url, subs, True));
    a group with copies and no near duplicate → (its own key, (..., False)); a lone document: nothing."""
    key, (marks, members) = group
    mark = next(iter(marks), None)
    for rank, copies, by_url, subs in members:   # one: the group
        if mark is not None:
            yield (key if mark[0] is None else mark[0]), (rank, copies, by_url, subs, True)
        elif copies > 1:
            yield key, (rank, copies, by_url, subs, False)


def _component_fates(subshards: int) -> Any:
    """A component's groups (or one group with copies and no component) → their fates per sub-shard,
    from the messages group_fates reads: the group's summary when it has copies, its component label."""
    def run(group: tuple[int, Iterable[tuple]]) -> Iterator[tuple[tuple[int, int], tuple]]:
        members = list(group[1])
        best = min(m[0] for m in members)
        for rank, copies, by_url, subs, linked in members:
            values = [("M", rank, copies, by_url, subs)] if copies > 1 else []
            if linked:
                values.append(("L", best, rank, rank[RECORD] % subshards))
            yield from group_fates(rank[EXACT_FIELD], values)
    return run


def _exact_fates(group: tuple[int, tuple]) -> Iterator[tuple[tuple[int, int], tuple]]:
    """Exact dedup alone: a group with copies → its fates per sub-shard."""
    key, node = group
    if node[0] > 1:
        yield from group_fates(key, [("M", node[1], node[0], node[2], node[5])])


def _route_partition(groups: Iterator[tuple[Any, Iterable[tuple]]]) -> Iterator[tuple]:
    """mapPartitions over route groups → ("D", doc), ("R", (stage, rejection)), then ("C", counts)."""
    counts: Counts = {}
    for _, values in groups:
        for out in route_values(values):
            doc = out.doc if isinstance(out, Rejection) else out
            key = (STAGE, doc.lang_dir, out.reason.code if isinstance(out, Rejection) else KEPT)
            cell = counts.setdefault(key, [0, 0])
            cell[0] += 1
            cell[1] += nbytes(doc.text)
            yield ("R", (STAGE, out)) if isinstance(out, Rejection) else ("D", out)
    yield "C", counts


def deduplicate(spark, docs, config: DedupConfig, min_parts: int, modes: dict[str, int] | None = None,
                n_docs: int | None = None) -> tuple[Any, list[Counts]]:
    """An RDD of Documents → (an RDD of ("D", kept document), ("R", ("dedup", Rejection)) and, one per
    partition, ("C", counts per (stage, lang, outcome)), persisted; and those counts, collected): the
    Beam transform's output, on Spark. Shuffles use at least `min_parts` partitions, more past
    `partition_docs` documents each (`n_docs`, when the caller knows it, saves a job that counts them);
    `modes` are the languages' shingle modes (the run's registry; None: the packaged one's)."""
    from pyspark import StorageLevel

    sc = spark.sparkContext
    # what carries documents or shingle sets is kept on local disk, not in the JVM heap
    fps = docs.mapPartitions(_fingerprint_partition(config, modes)).persist(StorageLevel.DISK_ONLY)
    if n_docs is None:
        n_docs = fps.filter(lambda t: t[0] == "N").count()
    parts = max(min_parts, config.partitions(n_docs))
    groups = (fps.filter(lambda t: t[0] == "N").map(lambda t: (t[1], t[2]))
              .reduceByKey(_merge_nodes, parts).persist(StorageLevel.DISK_ONLY))
    cached = [fps, groups]
    if config.near:
        n_bands = config.bands_rows()[0]
        pairs = (groups.mapPartitions(_band_batches(n_bands, parts)).partitionBy(parts)
                 .mapPartitions(_bucket_pairs(config.max_bucket, config.bucket_reps)))
        # groups, filter and mapValues keep their partitioner: the cogroups below shuffle the pairs only
        info = groups.filter(lambda kv: kv[1][3] is not None).mapValues(lambda n: (n[1], n[4]))
        edges = (pairs.partitionBy(parts).cogroup(info, parts).flatMap(_to_second)
                 .partitionBy(parts).cogroup(info, parts).flatMap(_verified(config.verify, config.threshold)))
        stars = connected_components(sc, edges, parts, config.max_rounds, cached)
        members = groups.mapValues(lambda n: (n[1], n[0], n[2], n[5]))   # rank, copies, by_url, sub-shards
        fates = (stars.flatMap(_marks).reduceByKey(_merge_marks, parts).cogroup(members, parts)
                 .flatMap(_labelled).groupByKey(parts).flatMap(_component_fates(config.subshards)))
    else:
        fates = groups.flatMap(_exact_fates)
    # each side partitioned before the union (which is then narrow): documents cross one Python worker
    # on their way to the shuffle, not two
    documents = fps.filter(lambda t: t[0] == "D").map(lambda t: (t[1], t[2])).partitionBy(parts)
    out = (documents.union(fates.partitionBy(parts)).groupByKey(parts).mapPartitions(_route_partition)
           .persist(StorageLevel.DISK_ONLY))
    counts = [t[1] for t in out.filter(lambda t: t[0] == "C").collect()]
    for rdd in cached:
        rdd.unpersist()
    return out, counts
