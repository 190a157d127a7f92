"""Locality-sensitive hashing of MinHash signatures: the bands × rows that give the wanted recall at
the threshold, and one 64-bit bucket key per band."""
from __future__ import annotations

import numpy as np

from roots.dedup.text import fmix64

_BAND_MULTIPLIERS = np.array([(0x9E3779B97F4A7C15 * (2 * k + 1)) & ((1 << 64) - 1) for k in range(256)],
                             dtype=np.uint64) | np.uint64(1)


def candidate_probability(similarity: float, bands: int, rows: int) -> float:
    """The chance that a pair of Jaccard similarity `similarity` shares at least one band."""
    return 1.0 - (1.0 - similarity ** rows) ** bands


def choose_bands(threshold: float, num_perm: int, target_recall: float = 0.995) -> tuple[int, int]:
    """(bands, rows) with bands*rows <= num_perm: the most rows per band (fewest false candidates) for
    which a pair exactly at the threshold is a candidate with probability >= target_recall.
    Pairs above the threshold are found more often still."""
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if candidate_probability(threshold, bands, rows) >= target_recall:
            return bands, rows
    return num_perm, 1


def band_keys(signatures: np.ndarray, bands: int, rows: int, salts: np.ndarray | None = None) -> np.ndarray:
    """uint64 keys of shape (documents, bands): band k of a document hashes its `rows` signature values
    with k and the document's salt (its scope, so languages never share buckets unless asked to)."""
    n = signatures.shape[0]
    if bands * rows > signatures.shape[1]:
        raise ValueError(f"{bands} bands × {rows} rows need {bands * rows} permutations, "
                         f"the signatures have {signatures.shape[1]}")
    if rows > len(_BAND_MULTIPLIERS):
        raise ValueError(f"at most {len(_BAND_MULTIPLIERS)} rows per band")
    x = signatures[:, :bands * rows].astype(np.uint64).reshape(n, bands, rows)
    acc = (x * _BAND_MULTIPLIERS[:rows]).sum(axis=2, dtype=np.uint64)
    acc += np.arange(1, bands + 1, dtype=np.uint64) * np.uint64(0xD6E8FEB86659FD93)
    if salts is not None:
        acc ^= fmix64(np.asarray(salts, dtype=np.uint64))[:, None]
    return fmix64(acc)
