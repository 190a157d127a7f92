"""Exact and near-duplicate removal on Spark, distributed end to end, by the same rules and with the
same output as the Beam transform (roots.pipelines.dedup.Deduplicate):

    documents ─ mapPartitions: fingerprints (numpy, per batch; tables built once per Python worker)
      ├─ ((exact key, sub-shard), ("D", rank, doc)) ─────────────────────────────────────────┐
      └─ (exact key, node) ─ reduceByKey: best copy per exact key ─┬─ group summaries ──┐    │
           ├─ DataFrame (band, band key, node) ─ groupBy(band, key) ─ bucket pairs      │    │
           │    ─ distinct ─ two joins with the heads' shingles: exact Jaccard ─ edges  │    │
           └─ large-star / small-star rounds on hash-partitioned numpy arrays,          │    │
              until every component is a star ─ labels ─ component's best rank ─→ Fates ─→ Route

Unlike Beam's unrolled graph, Spark checks convergence after each round and stops there; both give
the same labels (a converged star is left unchanged by further rounds). Nothing is gathered on the
driver but the counts."""
from __future__ import annotations

from typing import Any, Iterable, Iterator

import numpy as np

from roots.dedup.buckets import bucket_pairs, jaccard
from roots.dedup.components import large_star_arrays, small_star_arrays
from roots.dedup.config import DedupConfig
from roots.dedup.fates import component_labels, group_fates, route_values
from roots.dedup.fingerprint import Fingerprinter
from roots.dedup.keep import RECORD
from roots.dedup.reasons import STAGE
from roots.document import Document, Rejection
from roots.pipelines.plan import nbytes
from roots.stats import KEPT

#: fingerprinters already set up in this Python worker, by config (a reused worker builds them once)
_FINGERPRINTERS: dict[tuple, Fingerprinter] = {}


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


def _signed(values: np.ndarray) -> list[int]:
    """uint64 band keys as Spark LongType values."""
    return values.view(np.int64).tolist()


def _bucket_pairs(max_bucket: int, reps: int) -> Any:
    """mapPartitions over grouped buckets (nodes lists) → candidate pairs (u, v), u < v, vectorised
    over the partition's buckets as bucket_pairs does over one band group in Beam."""
    def run(rows: Iterator[Any]) -> Iterator[tuple[int, int]]:
        buckets = [np.asarray(row["nodes"], dtype=np.int64) for row in rows]
        if not buckets:
            return
        keys = np.repeat(np.arange(len(buckets), dtype=np.int64), [len(b) for b in buckets])
        u, v = bucket_pairs(keys, np.concatenate(buckets), max_bucket, reps)
        yield from zip(u.tolist(), v.tolist())
    return run


def _arrays(rows: Iterable[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    pairs = np.array(list(rows), dtype=np.int64).reshape(-1, 2)
    return pairs[:, 0], pairs[:, 1]


def _large_star(rows: Iterator[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    larger, smallest = large_star_arrays(*_arrays(rows))
    return zip(larger.tolist(), smallest.tolist())


def _small_star(rows: Iterator[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    larger, smallest = small_star_arrays(*_arrays(rows))
    return zip(larger.tolist(), smallest.tolist())


def _star_flags(edge: tuple[int, int]) -> Iterator[tuple[int, tuple[int, int, int, bool]]]:
    """(child, parent) → per node (smallest parent, largest parent, is a child, is a parent)."""
    child, parent = edge
    yield child, (parent, parent, 1, False)
    yield parent, (1 << 63, -(1 << 63), 0, True)


def _merge_flags(a: tuple, b: tuple) -> tuple:
    return min(a[0], b[0]), max(a[1], b[1]), a[2] | b[2], a[3] or b[3]


def _not_star(flags: tuple) -> bool:
    """A node that breaks the star shape: a child with two parents, or both a child and a parent."""
    low, high, is_child, is_parent = flags
    return bool(is_child) and (low != high or is_parent)


def connected_components(edges, parts: int, max_rounds: int, cached: list | None = None):
    """Undirected edges (an RDD of (a, b) exact keys) → (node, label) pairs, each label the smallest
    node of its component: large-star + small-star rounds until every component is a star. The
    persisted final edges are appended to `cached`, for the caller to release."""
    from pyspark import StorageLevel

    current = (edges.filter(lambda e: e[0] != e[1]).map(lambda e: (max(e), min(e)))
               .distinct(parts).persist(StorageLevel.MEMORY_AND_DISK))
    for rounds in range(max_rounds + 1):
        if current.flatMap(_star_flags).reduceByKey(_merge_flags, parts).filter(lambda kv: _not_star(kv[1])).isEmpty():
            break
        if rounds == max_rounds:
            raise ComponentsNotConverged(f"dedup: connected components did not converge in {max_rounds} rounds; "
                                         "raise dedup.max_rounds")
        both = current.flatMap(lambda e: (e, (e[1], e[0])))
        large = both.partitionBy(parts).mapPartitions(_large_star)
        following = large.partitionBy(parts).mapPartitions(_small_star).persist(StorageLevel.MEMORY_AND_DISK)
        following.count()
        current.unpersist()
        current = following
    if cached is not None:
        cached.append(current)
    roots = current.values().distinct(parts).map(lambda p: (p, p))
    return current.union(roots)


def _route_partition(groups: Iterator[tuple[Any, Iterable[tuple]]]) -> Iterator[tuple]:
    """mapPartitions over route groups → ("D", doc), ("R", (stage, rejection)), then ("C", counts)."""
    counts: dict[tuple[str, str, str], list[int]] = {}
    for _, values in groups:
        for out in route_values(values):
            doc = out.doc if isinstance(out, Rejection) else out
            key = (STAGE, doc.lang_dir, out.reason.code if isinstance(out, Rejection) else KEPT)
            cell = counts.setdefault(key, [0, 0])
            cell[0] += 1
            cell[1] += nbytes(doc.text)
            yield ("R", (STAGE, out)) if isinstance(out, Rejection) else ("D", out)
    yield "C", counts


def deduplicate(spark, docs, config: DedupConfig, min_parts: int, modes: dict[str, int] | None = None):
    """An RDD of Documents → an RDD of ("D", kept document), ("R", ("dedup", Rejection)) and, one per
    partition, ("C", counts per (stage, lang, outcome)): the Beam transform's output, on Spark.
    Shuffles use at least `min_parts` partitions, more past `partition_docs` documents each; `modes` are
    the languages' shingle modes (the run's registry; None: the packaged one's)."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F
    from pyspark.sql.types import LongType, StructField, StructType

    # what carries documents or shingle sets is kept on local disk, not in the JVM heap
    fps = docs.mapPartitions(_fingerprint_partition(config, modes)).persist(StorageLevel.DISK_ONLY)
    parts = max(min_parts, config.partitions(fps.filter(lambda t: t[0] == "N").count()))
    groups = (fps.filter(lambda t: t[0] == "N").map(lambda t: (t[1], t[2]))
              .reduceByKey(_merge_nodes, parts).persist(StorageLevel.DISK_ONLY))
    fate_inputs = [groups.filter(lambda kv: kv[1][0] > 1)
                   .map(lambda kv: (kv[0], ("M", kv[1][1], kv[1][0], kv[1][2], kv[1][5])))]
    cached = [fps, groups]
    if config.near:
        heads = groups.filter(lambda kv: kv[1][3] is not None)
        n_bands = config.bands_rows()[0]
        band_rows = heads.flatMap(lambda kv: zip(range(n_bands), _signed(kv[1][3]), [kv[0]] * n_bands))
        schema = StructType([StructField("band", LongType(), False), StructField("key", LongType(), False),
                             StructField("node", LongType(), False)])
        buckets = (spark.createDataFrame(band_rows, schema)
                   .repartition(parts, "band", "key")   # so the group-by needs no exchange of its own
                   .groupBy("band", "key").agg(F.collect_list("node").alias("nodes"))
                   .where(F.size("nodes") > 1))
        pairs = buckets.rdd.mapPartitions(_bucket_pairs(config.max_bucket, config.bucket_reps)).distinct(parts)
        info = heads.map(lambda kv: (kv[0], (kv[1][1], kv[1][4])))   # key → (rank, shingle set)
        verify, threshold = config.verify, config.threshold
        checked = (pairs.join(info, parts)
                   .map(lambda kv: (kv[1][0], (kv[0], kv[1][1])))            # v → (u, (rank_u, set_u))
                   .join(info, parts)                                        # v → ((u, (rank_u, set_u)), (rank_v, set_v))
                   .filter(lambda kv: not verify or jaccard(kv[1][0][1][1], kv[1][1][1]) >= threshold)
                   .persist(StorageLevel.MEMORY_AND_DISK))
        cached.append(checked)
        edges = checked.map(lambda kv: (kv[1][0][0], kv[0]))
        ranks = checked.flatMap(lambda kv: ((kv[1][0][0], kv[1][0][1][0]), (kv[0], kv[1][1][0])))
        labels = connected_components(edges, parts, config.max_rounds, cached)
        subshards = config.subshards
        fate_inputs.append(
            labels.join(ranks.reduceByKey(lambda a, b: a, parts), parts)      # node → (label, rank)
            .map(lambda kv: kv[1]).groupByKey(parts)
            .flatMap(lambda kv: component_labels(list(kv[1]), subshards)))
    fates = (spark.sparkContext.union(fate_inputs).groupByKey(parts)
             .flatMap(lambda kv: group_fates(kv[0], kv[1])))
    documents = fps.filter(lambda t: t[0] == "D").map(lambda t: (t[1], t[2]))
    out = (documents.union(fates).groupByKey(parts).mapPartitions(_route_partition)
           .persist(StorageLevel.DISK_ONLY))
    out.count()
    for rdd in cached:
        rdd.unpersist()
    return out
