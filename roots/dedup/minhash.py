"""MinHash signatures of whole batches with numpy, in datasketch 2.0's hash family (scheme
`affine32`): each 32-bit shingle hash is pre-mixed with MurmurHash3's 32-bit finaliser and permuted
by `a*h + b mod 2^32` with the `(a, b)` datasketch draws from `RandomState(seed)`, so our signatures
equal `datasketch.MinHash(num_perm, seed, hashfunc=...)` fed the same 32-bit hashes."""
from __future__ import annotations

import functools

import numpy as np

_U32 = np.uint32
EMPTY = np.uint32(0xFFFFFFFF)  # datasketch's value for a permutation that saw nothing
#: How many shingles are permuted at once (a 128 × this uint32 block stays in cache).
_CHUNK_SHINGLES = 16384


@functools.lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """datasketch 2.0's affine32 permutation parameters: odd `a`, any `b`, from RandomState(seed)."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * _U32(2) + _U32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser, as datasketch applies it before permuting."""
    h = h ^ (h >> _U32(16))
    h = h * _U32(0x85EBCA6B)
    h = h ^ (h >> _U32(13))
    h = h * _U32(0xC2B2AE35)
    return h ^ (h >> _U32(16))


def signatures(hashes: np.ndarray, offsets: np.ndarray, num_perm: int = 128, seed: int = 1) -> np.ndarray:
    """MinHash signatures, uint32 of shape (documents, num_perm), of the shingle hashes of each document
    (`hashes[offsets[i]:offsets[i+1]]`, 64-bit: their low 32 bits are the input hash). A document
    without shingles gets all EMPTY. Permutes chunks of whole documents and reduces with
    `np.minimum.reduceat` over document offsets."""
    n = len(offsets) - 1
    a, b = permutations(num_perm, seed)
    out = np.full((num_perm, n), EMPTY, dtype=np.uint32)
    if n == 0 or len(hashes) == 0:
        return out.T.copy()
    h32 = fmix32((hashes & np.uint64(0xFFFFFFFF)).astype(np.uint32))
    nonempty = np.flatnonzero(np.diff(offsets) > 0)
    starts = offsets[nonempty]
    a_col, b_col = a[:, None], b[:, None]
    total = len(h32)
    buf = np.empty(num_perm * min(_CHUNK_SHINGLES, total), dtype=np.uint32)
    for lo in range(0, total, _CHUNK_SHINGLES):
        hi = min(total, lo + _CHUNK_SHINGLES)
        # the non-empty documents with shingles in [lo, hi): their runs clipped to the chunk
        first = int(np.searchsorted(starts, lo, side="right")) - 1
        last = int(np.searchsorted(starts, hi, side="left"))
        docs = nonempty[max(first, 0):last]
        block = buf[:num_perm * (hi - lo)].reshape(num_perm, hi - lo)
        np.multiply(a_col, h32[None, lo:hi], out=block)
        block += b_col
        mins = np.minimum.reduceat(block, np.maximum(offsets[docs], lo) - lo, axis=1)
        out[:, docs] = np.minimum(out[:, docs], mins)
    return out.T.copy()
