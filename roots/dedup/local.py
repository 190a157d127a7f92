"""Dedup of a list of documents in one process: the same fingerprints, buckets, verification and
keep rule as the Beam transform, with union-find for the components. For notebooks, tests (as the
reference the Beam transform must match) and the per-core benchmark."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from roots.dedup.buckets import bucket_pairs, jaccard
from roots.dedup.components import union_find_components
from roots.dedup.config import DedupConfig
from roots.dedup.fingerprint import Fingerprint, Fingerprinter
from roots.dedup.keep import Rank
from roots.dedup.reasons import EXACT, URL, route_group
from roots.document import Document, Rejection


@dataclass
class LocalResult:
    """Kept documents and rejections (each in input order), and the pair counts along the way."""

    kept: list[Document] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    candidate_pairs: int = 0
    verified_pairs: int = 0
    pairs: list[tuple[Rank, Rank]] = field(default_factory=list)  # the duplicate edges found


def near_pairs(fps: Sequence[Fingerprint], config: DedupConfig) -> tuple[list[tuple[int, int]], int]:
    """Pairs of indices into `fps` whose documents share an LSH bucket (and, when verifying, have exact
    Jaccard >= threshold), and the number of candidate pairs before verification."""
    with_bands = [i for i, fp in enumerate(fps) if fp.bands is not None]
    if len(with_bands) < 2:
        return [], 0
    bands = np.stack([fps[i].bands for i in with_bands])
    nodes = np.repeat(np.asarray(with_bands, dtype=np.int64), bands.shape[1])
    u, v = bucket_pairs(bands.ravel(), nodes, config.max_bucket, config.bucket_reps)
    pairs = list(zip(u.tolist(), v.tolist()))
    if not config.verify:
        return pairs, len(pairs)
    return [(a, b) for a, b in pairs if jaccard(fps[a].shingles, fps[b].shingles) >= config.threshold], len(pairs)


def deduplicate_local(docs: Sequence[Document], config: DedupConfig, fingerprinter: Fingerprinter | None = None) -> LocalResult:
    """Exact then near dedup of `docs` in memory, by the same rules as pipelines.dedup.Deduplicate."""
    fingerprinter = fingerprinter or Fingerprinter(config)
    fps = fingerprinter(docs)
    members: dict[int, list[int]] = {}
    for i, fp in enumerate(fps):
        members.setdefault(fp.exact_key, []).append(i)
    heads = {key: min(idx, key=lambda i: fps[i].rank) for key, idx in members.items()}
    result = LocalResult()
    labels: dict[Rank, Rank] = {}
    if config.near:
        head_list = sorted(heads.values())
        pairs, result.candidate_pairs = near_pairs([fps[i] for i in head_list], config)
        edges = [(fps[head_list[a]].rank, fps[head_list[b]].rank) for a, b in pairs]
        result.verified_pairs, result.pairs = len(edges), edges
        labels = union_find_components(edges)
    outcome: dict[int, Document | Rejection] = {}
    for key, idx in members.items():
        head = fps[heads[key]]
        reason = URL if head.by_url else EXACT
        routed = route_group(((fps[i].rank, docs[i]) for i in idx), head.rank, len(idx), labels.get(head.rank), reason)
        for i, out in zip(idx, routed):
            outcome[i] = out
    for i in range(len(docs)):
        out = outcome[i]
        (result.rejected if isinstance(out, Rejection) else result.kept).append(out)
    return result
