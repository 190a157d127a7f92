"""Documents to dedup fingerprints, a batch at a time: the exact key of each document's normalised
text (or URL), its rank in the keep order, its LSH band keys and its shingle set for verification."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import xxhash

from roots.dedup.config import DedupConfig
from roots.dedup.keep import Rank, rank, record_hash, signed64
from roots.dedup.lsh import band_keys
from roots.dedup.minhash import signatures
from roots.dedup.text import CHARS, CODE, WORDS, codepoint_table, fmix64, shingle_batch
from roots.document import Document

#: Scripts written without spaces between words (Han, kana, Thai, Lao, Myanmar, Khmer): a document of
#: unknown language mostly in them is shingled by characters.
_UNSPACED = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0eff"
                       "\u1000-\u109f\u1780-\u17ff\U00020000-\U0002fa1f]")
_SNIFF_CHARS = 2000
#: At most this many characters are shingled at once (a batch of huge documents is split further).
BATCH_CHARS = 1 << 22


@dataclass
class Fingerprint:
    """What dedup needs of one document; bands and shingles are None when it has no shingles."""

    rank: Rank
    exact_key: int          # signed 64-bit
    by_url: bool            # grouped by its URL rather than its text
    bands: np.ndarray | None      # uint64, one key per band
    shingles: np.ndarray | None   # sorted unique 32-bit shingle hashes, the MinHash input (when verifying)


def shingle_modes(registry=None) -> dict[str, int]:
    """How each registry language is shingled: code by tokens, unspaced scripts by characters."""
    if registry is None:
        from roots.languages import load_registry
        registry = load_registry()
    modes = {}
    for lang in registry:
        if lang.is_code:
            modes[lang.code] = CODE
        else:
            modes[lang.code] = WORDS if lang.spaces else CHARS
    return modes


def guess_mode(text: str) -> int:
    """The shingle mode of a text of unknown language: characters when mostly in an unspaced script."""
    sample = text[:_SNIFF_CHARS]
    letters = len(sample) - sample.count(" ") - sample.count("\n")
    return CHARS if letters and len(_UNSPACED.findall(sample)) > 0.3 * letters else WORDS


def normalise_url(url: str) -> str:
    """A URL as a dedup key: trimmed, scheme and host lower-cased, fragment dropped."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


class Fingerprinter:
    """Fingerprints batches of documents under one DedupConfig; `setup()` builds the tables once."""

    def __init__(self, config: DedupConfig, modes: dict[str, int] | None = None):
        self.config = config
        self.modes = modes
        self.bands, self.rows = config.bands_rows()

    def setup(self) -> None:
        if self.modes is None:
            self.modes = shingle_modes()
        codepoint_table()

    def mode_of(self, doc: Document) -> int:
        if doc.lang.startswith("code-"):
            return CODE
        mode = (self.modes or {}).get(doc.lang)
        return guess_mode(doc.text) if mode is None else mode

    def scope_of(self, doc: Document) -> str:
        return doc.lang if self.config.scope == "lang" else ""

    def __call__(self, docs: Sequence[Document]) -> list[Fingerprint]:
        """Fingerprints of `docs`, in order."""
        if self.modes is None:
            self.setup()
        out: list[Fingerprint] = []
        batch: list[Document] = []
        chars = 0
        for doc in docs:
            if batch and (len(batch) >= self.config.batch_size or chars + len(doc.text) > BATCH_CHARS):
                out.extend(self._batch(batch))
                batch, chars = [], 0
            batch.append(doc)
            chars += len(doc.text)
        if batch:
            out.extend(self._batch(batch))
        return out

    def _batch(self, docs: Sequence[Document]) -> list[Fingerprint]:
        config = self.config
        modes = [self.mode_of(d) for d in docs]
        shingled = shingle_batch([d.text for d in docs], modes, config.ngram, config.char_ngram)
        scopes = [self.scope_of(d) for d in docs]
        salts = np.array([xxhash.xxh3_64_intdigest(s.encode("utf-8", "surrogatepass")) for s in scopes], dtype=np.uint64)
        exact = fmix64(shingled.exact ^ fmix64(salts)).view(np.int64).tolist()
        by_url = [False] * len(docs)
        if config.exact_key == "url":
            for i, doc in enumerate(docs):
                url = doc.meta.get(config.url_field)
                if isinstance(url, str) and url.strip():
                    key = f"{scopes[i]}\x00url\x00{normalise_url(url)}".encode("utf-8", "surrogatepass")
                    exact[i], by_url[i] = signed64(xxhash.xxh3_64_intdigest(key)), True
        if not config.exact:  # every distinct record its own group
            exact = [record_hash(d) for d in docs]
        ranks = [rank(d, exact[i], config.keep_score) for i, d in enumerate(docs)]
        keys = None
        if config.near:
            sigs = signatures(shingled.hashes, shingled.offsets, config.num_perm, config.seed)
            keys = band_keys(sigs, self.bands, self.rows, salts)
        lengths = np.diff(shingled.offsets)
        sets = shingle_sets(shingled.hashes, shingled.offsets) if config.near and config.verify else None
        out = []
        for i in range(len(docs)):
            has = config.near and lengths[i] > 0
            out.append(Fingerprint(ranks[i], exact[i], by_url[i], keys[i] if has else None,
                                   sets[i] if has and sets is not None else None))
        return out


def shingle_sets(hashes: np.ndarray, offsets: np.ndarray) -> list[np.ndarray]:
    """Per document, the sorted set of its 32-bit shingle hashes (the values MinHash permutes), for
    exact-Jaccard verification: one sort of (document << 32 | hash) for the whole batch."""
    n = len(offsets) - 1
    doc_of = np.repeat(np.arange(n, dtype=np.uint64), np.diff(offsets))
    combined = np.sort((doc_of << np.uint64(32)) | (hashes & np.uint64(0xFFFFFFFF)))
    if len(combined):
        keep = np.empty(len(combined), dtype=bool)
        keep[0] = True
        np.not_equal(combined[1:], combined[:-1], out=keep[1:])
        combined = combined[keep]
    bounds = np.searchsorted(combined, np.arange(n + 1, dtype=np.uint64) << np.uint64(32))
    low = combined.astype(np.uint32)
    return [low[bounds[i]:bounds[i + 1]] for i in range(n)]
