"""Candidate pairs from LSH band keys, vectorised: documents sharing a band key are candidates.
A bucket of up to `max_bucket` members gives all its pairs; a larger (hot) one links each member to
its `reps` smallest members only, so a million near-copies give a few million pairs, not 10^12."""
from __future__ import annotations

import numpy as np


def bucket_pairs(keys: np.ndarray, nodes: np.ndarray, max_bucket: int = 64, reps: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """(u, v) arrays of candidate pairs, u < v, unique, from parallel arrays of band keys and node ids
    (int64; a node may appear under several keys). Deterministic: depends on the values only."""
    keys = np.asarray(keys)
    nodes = np.asarray(nodes, dtype=np.int64)
    if len(keys) < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = np.lexsort((nodes, keys))
    keys, nodes = keys[order], nodes[order]
    boundary = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    starts = np.concatenate([[0], boundary])
    sizes = np.diff(np.concatenate([starts, [len(keys)]]))
    us, vs = [], []
    for size in np.unique(sizes[(sizes >= 2) & (sizes <= max_bucket)]).tolist():
        run_starts = starts[sizes == size]
        iu, ju = np.triu_indices(size, 1)
        us.append(nodes[run_starts[:, None] + iu].ravel())
        vs.append(nodes[run_starts[:, None] + ju].ravel())
    for s, size in zip(starts[sizes > max_bucket].tolist(), sizes[sizes > max_bucket].tolist()):
        members = nodes[s:s + size]
        k = min(reps, size)
        for r in range(k):  # every member (and every other representative) to representative r
            others = members[r + 1:]
            us.append(np.full(len(others), members[r], dtype=np.int64))
            vs.append(others)
    if not us:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    u, v = np.concatenate(us), np.concatenate(vs)
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    keep = lo != hi
    return unique_pairs(lo[keep], hi[keep])


def unique_pairs(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (u, v) pairs of two parallel int64 arrays, sorted by u then v."""
    order = np.lexsort((v, u))
    u, v = u[order], v[order]
    if len(u) > 1:
        keep = np.empty(len(u), dtype=bool)
        keep[0] = True
        keep[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
        u, v = u[keep], v[keep]
    return u, v


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard similarity of two sorted arrays of unique shingle hashes."""
    if len(a) == 0 and len(b) == 0:
        return 1.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)
