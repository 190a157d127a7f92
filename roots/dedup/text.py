"""Text to shingles for dedup, vectorised over a whole batch of documents with numpy.

One pass over a batch's code points gives, per document, the 64-bit exact key of its normalised text
and its shingle hashes: word n-grams for spaced scripts, character n-grams for unspaced ones (Chinese),
token n-grams for code. Words are runs of letters, digits and combining marks (plus ZWJ/ZWNJ), decided
per code point by a table built once from Unicode categories, so Indic viramas and vowel signs and
Vietnamese tone marks stay inside their words instead of splitting them or being stripped. Each token
is hashed once (a polynomial over its code points from one prefix sum), and n-gram hashes are built
from shifted slices of the batch's token-hash array.

Normalised text, for exact dedup, is the sequence of tokens (words, and each punctuation or symbol
character) after Unicode case folding (not for code): two texts that differ only in case or in
whitespace are exact duplicates.
"""
from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from typing import Sequence

import numpy as np

#: How a document is cut into shingles.
WORDS, CHARS, CODE = 0, 1, 2
MODE_NAMES = {WORDS: "words", CHARS: "chars", CODE: "code"}

#: Code-point classes: separators (whitespace, controls, unassigned), word characters, symbols.
_SEP, _WORD, _SYMBOL = 0, 1, 2
_ZERO_WIDTH_JOINERS = (0x200C, 0x200D)  # ZWNJ and ZWJ: part of Indic and Persian words

_U64 = np.uint64
_BASE = _U64(0x100000001B3)  # odd multiplier of the polynomial hashes
_BASE_INVERSE = _U64(pow(int(_BASE), -1, 1 << 64))
#: Odd multipliers for the position of a token inside an n-gram (so "a b" and "b a" differ).
_POSITION_MULTIPLIERS = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                                  0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53,
                                  0x94D049BB133111EB, 0xBF58476D1CE4E5B9, 0x2545F4914F6CDD1D,
                                  0x9FB21C651E98DF25, 0x5851F42D4C957F2D, 0x14057B7EF767814F,
                                  0x27BB2EE687B0B0FD, 0x4F1BBCDCBFA53E0B, 0x3C6EF372FE94F82B,
                                  0xA54FF53A5F1D36F1], dtype=np.uint64)
MAX_NGRAM = len(_POSITION_MULTIPLIERS)
_WINDOW = 1 << 20  # characters hashed from one prefix sum
_CLASS_SHIFT = 24
_CP_MASK = np.uint32((1 << 21) - 1)


@functools.lru_cache(maxsize=1)
def codepoint_table() -> np.ndarray:
    """For every code point, its case fold (when that is one code point, else itself) in the low 21
    bits and its class (separator, word, symbol) above bit 24. Built once per process (~0.4 s)."""
    table = np.arange(0x110000, dtype=np.uint32)
    for cp in range(0x110000):
        ch = chr(cp)
        major = unicodedata.category(ch)
        if major[0] in "LNM" or major == "Pc":
            folded = ch.casefold()
            if folded != ch:
                folded = folded if len(folded) == 1 else ch.lower()
                if len(folded) == 1:
                    table[cp] = ord(folded)
            table[cp] |= _WORD << _CLASS_SHIFT
        elif major[0] in "PS":
            table[cp] |= _SYMBOL << _CLASS_SHIFT
    for cp in _ZERO_WIDTH_JOINERS:
        table[cp] |= _WORD << _CLASS_SHIFT
    return table


@dataclass
class Shingles:
    """What a batch of texts becomes: per document an exact key and a run of shingle hashes
    (`hashes[offsets[i]:offsets[i+1]]`, in text order, repeats kept)."""

    exact: np.ndarray    # uint64 per document: hash of its normalised token sequence
    hashes: np.ndarray   # uint64
    offsets: np.ndarray  # int64, documents + 1

    def of(self, i: int) -> np.ndarray:
        return self.hashes[self.offsets[i]:self.offsets[i + 1]]


def fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser, element-wise (a bijection that spreads every input bit)."""
    h = h ^ (h >> _U64(33))
    h = h * _U64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> _U64(33))
    h = h * _U64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> _U64(33))


def shingle_batch(texts: Sequence[str], modes: Sequence[int], ngram: int = 5, char_ngram: int = 5) -> Shingles:
    """Exact keys and shingle hashes of a batch of texts, `modes[i]` saying how text i is cut.
    A text with fewer tokens than the n-gram size gives one shingle of all its tokens; a text with
    no word characters gives none (its exact key still exists)."""
    if not 1 <= ngram <= MAX_NGRAM or not 1 <= char_ngram <= MAX_NGRAM:
        raise ValueError(f"n-gram sizes must be between 1 and {MAX_NGRAM}")
    n = len(texts)
    modes = np.asarray(modes, dtype=np.int8).reshape(n)
    raw = _codepoints(texts)
    lengths = np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=n)
    doc_starts = np.zeros(n, dtype=np.int64)
    np.cumsum(lengths[:-1], out=doc_starts[1:])
    looked_up = np.take(codepoint_table(), raw)
    cls = (looked_up >> np.uint32(_CLASS_SHIFT)).astype(np.uint8)
    is_code = modes == CODE
    if is_code.all():
        cps = raw
    elif not is_code.any():
        cps = looked_up & _CP_MASK
    else:
        cps = np.where(np.repeat(is_code, lengths)[:len(raw)], raw, looked_up & _CP_MASK)

    # tokens: runs of word characters, and each symbol character alone
    word = cls == _WORD
    prev_word = np.empty_like(word)
    prev_word[0] = False
    prev_word[1:] = word[:-1]
    next_word = np.empty_like(word)
    next_word[-1:] = False
    next_word[:-1] = word[1:]
    symbol = cls == _SYMBOL
    starts = np.flatnonzero((word & ~prev_word) | symbol)
    ends = np.flatnonzero((word & ~next_word) | symbol) + 1
    tokens = _token_hashes(cps, starts, ends)
    token_doc = np.searchsorted(doc_starts, starts, side="right") - 1
    exact = _sequence_hashes(tokens, token_doc, n)

    hashes = np.zeros(0, dtype=np.uint64)
    offsets = np.zeros(n + 1, dtype=np.int64)
    parts = []
    token_mode = modes[token_doc]
    keep = (token_mode == CODE) | ((token_mode == WORDS) & word[starts])
    if keep.any():
        parts.append(_ngrams(tokens[keep], token_doc[keep], n, ngram))
    if (modes == CHARS).any():
        char_pos = np.flatnonzero(word)
        char_doc = np.searchsorted(doc_starts, char_pos, side="right") - 1
        chosen = modes[char_doc] == CHARS
        parts.append(_ngrams(fmix64(cps[char_pos[chosen]].astype(np.uint64)), char_doc[chosen], n, char_ngram))
    if len(parts) == 1:
        hashes, offsets = parts[0]
    elif parts:
        hashes, offsets = _merge(parts, n)
    return Shingles(exact=exact, hashes=hashes, offsets=offsets)


def words(text: str, casefold: bool = True) -> list[str]:
    """The words of a text as the shingler sees them (for tests and the accuracy benchmark)."""
    raw = _codepoints([text])
    looked_up = np.take(codepoint_table(), raw)
    cps = looked_up & _CP_MASK if casefold else raw
    word = (looked_up >> np.uint32(_CLASS_SHIFT)) == _WORD
    padded = np.zeros(len(word) + 2, dtype=np.int8)
    padded[1:-1] = word
    edges = np.diff(padded)
    folded = cps.astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    return [folded[s:e] for s, e in zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist())]


def _codepoints(texts: Sequence[str]) -> np.ndarray:
    joined = "\n".join(texts)  # a separator: no token crosses documents
    return np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


@functools.lru_cache(maxsize=4)
def _powers_cached(size: int) -> tuple[np.ndarray, np.ndarray]:
    return _powers_table(size)


def _powers_table(size: int) -> tuple[np.ndarray, np.ndarray]:
    """(B^j, B^-j) mod 2^64 for j < size (a power of two >= 4096), as outer products of two short
    running products (a long np.cumprod is slow)."""
    def table(base: np.uint64) -> np.ndarray:
        low = np.full(4096, base, dtype=np.uint64)
        low[0] = 1
        low = np.cumprod(low, dtype=np.uint64)
        step = np.uint64((int(low[-1]) * int(base)) & 0xFFFFFFFFFFFFFFFF)  # base^4096
        high = np.full(size // 4096, step, dtype=np.uint64)
        high[0] = 1
        return np.multiply.outer(np.cumprod(high, dtype=np.uint64), low).ravel()

    return table(_BASE), table(_BASE_INVERSE)


def _powers(length: int) -> tuple[np.ndarray, np.ndarray]:
    """B^j and B^-j mod 2^64 for j < length (at least); sizes are powers of two, those of ordinary
    batches cached (a single huge document's are not kept)."""
    size = 1 << max(16, (length - 1).bit_length())
    return _powers_cached(size) if size <= 1 << 22 else _powers_table(size)


def _token_hashes(cps: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each token cps[start:end]: the polynomial sum(c_j * B^j) mod 2^64 over its code
    points, plus its length, then fmix64. Tokens are hashed from one prefix sum per window of about
    2^20 characters: (H[end] - H[start]) * B^-start, B odd so it has an inverse mod 2^64; windows keep
    the power tables small whatever a document's size."""
    out = np.empty(len(starts), dtype=np.uint64)
    first = 0
    while first < len(starts):
        base = int(starts[first])
        last = max(first + 1, int(np.searchsorted(starts, base + _WINDOW, side="left")))
        stop = int(ends[last - 1])
        window = cps[base:stop].astype(np.uint64)
        powers, inverses = _powers(len(window) + 1)
        prefix = np.zeros(len(window) + 1, dtype=np.uint64)
        np.cumsum(window * powers[:len(window)], out=prefix[1:])
        s, e = starts[first:last] - base, ends[first:last] - base
        out[first:last] = (prefix[e] - prefix[s]) * inverses[s] + (e - s).astype(np.uint64)
        first = last
    return fmix64(out)


def _sequence_hashes(tokens: np.ndarray, token_doc: np.ndarray, n_docs: int) -> np.ndarray:
    """Per document, a polynomial hash of its token-hash sequence (and its length), then fmix64."""
    counts = np.bincount(token_doc, minlength=n_docs) if len(token_doc) else np.zeros(n_docs, dtype=np.int64)
    first = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(counts, out=first[1:])
    powers, inverses = _powers(len(tokens) + 1)
    prefix = np.zeros(len(tokens) + 1, dtype=np.uint64)
    np.cumsum(tokens * powers[:len(tokens)], out=prefix[1:])
    sums = (prefix[first[1:]] - prefix[first[:-1]]) * inverses[first[:-1]]
    return fmix64(sums ^ counts.astype(np.uint64))


def _ngrams(tokens: np.ndarray, doc_of: np.ndarray, n_docs: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """N-gram hashes from token hashes (documents contiguous, `doc_of` sorted): every window of n
    tokens inside one document, plus one shingle of all tokens for a document shorter than n."""
    counts = np.bincount(doc_of, minlength=n_docs) if len(doc_of) else np.zeros(n_docs, dtype=np.int64)
    total = len(tokens)
    if total >= n:
        windows = total - n + 1
        acc = tokens[:windows] * _POSITION_MULTIPLIERS[0]
        for k in range(1, n):
            acc += tokens[k:k + windows] * _POSITION_MULTIPLIERS[k]
        valid = doc_of[:windows] == doc_of[n - 1:]
        grams, gram_doc = acc[valid], doc_of[:windows][valid]
    else:
        grams, gram_doc = np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    short = np.flatnonzero((counts > 0) & (counts < n))
    if len(short):
        first = np.zeros(n_docs + 1, dtype=np.int64)
        np.cumsum(counts, out=first[1:])
        extra = np.empty(len(short), dtype=np.uint64)
        for j, d in enumerate(short.tolist()):
            seg = tokens[first[d]:first[d + 1]]
            extra[j] = np.sum(seg * _POSITION_MULTIPLIERS[:len(seg)], dtype=np.uint64)
        grams = np.concatenate([grams, extra])
        gram_doc = np.concatenate([gram_doc, short])
        order = np.argsort(gram_doc, kind="stable")
        grams, gram_doc = grams[order], gram_doc[order]
    per_doc = np.bincount(gram_doc, minlength=n_docs) if len(gram_doc) else np.zeros(n_docs, dtype=np.int64)
    offsets = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(per_doc, out=offsets[1:])
    return fmix64(grams), offsets


def _merge(parts: list[tuple[np.ndarray, np.ndarray]], n_docs: int) -> tuple[np.ndarray, np.ndarray]:
    """Shingle runs of disjoint sets of documents merged into one run per document, in document order."""
    lengths = sum(np.diff(offsets) for _, offsets in parts)
    offsets = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    out = np.empty(int(offsets[-1]), dtype=np.uint64)
    for hashes, own in parts:
        own_lengths = np.diff(own)
        dest = np.repeat(offsets[:-1] - own[:-1], own_lengths) + np.arange(len(hashes), dtype=np.int64)
        out[dest] = hashes
    return out, offsets
