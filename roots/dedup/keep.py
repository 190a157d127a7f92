"""Which copy of a duplicate group is kept: every document gets a rank, a tuple whose order is the
keep rule, and each group or component keeps its smallest rank. The rank also names the document
uniquely (ids may repeat), so it serves as the node of the duplicate graph."""
from __future__ import annotations

import math
from typing import Any

import xxhash

from roots.document import Document, meta_to_json

#: rank = (no_score, -score, id, record_hash, exact_key): best score first, then smallest id; the
#: record hash separates records that share an id, the exact key says which exact group it is in.
Rank = tuple[int, float, str, int, int]
ID, RECORD, EXACT = 2, 3, 4


def signed64(value: int) -> int:
    """A 64-bit hash as a signed int, which Beam encodes as a varint (not a pickled big int)."""
    return value - (1 << 64) if value >= 1 << 63 else value


def record_hash(doc: Document) -> int:
    """A hash of the whole record (id, text, source, meta): equal only for identical records."""
    h = xxhash.xxh3_64()
    for part in (doc.id, doc.source, meta_to_json(doc.meta), doc.text):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return signed64(h.intdigest())


def score_of(doc: Document, key: str) -> float | None:
    """The document's quality score under meta[key], when it is a finite number."""
    if not key:
        return None
    value: Any = doc.meta.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def rank(doc: Document, exact_key: int, keep_score: str = "") -> Rank:
    """The document's place in the keep order (smaller is kept) inside exact group `exact_key`."""
    score = score_of(doc, keep_score)
    head = (1, 0.0) if score is None else (0, -score)
    return (*head, doc.id, record_hash(doc), exact_key)


def cluster_id(kept: Rank) -> str:
    """The name of a duplicate cluster: a hash of the kept document's id and record."""
    return cluster_name(kept[ID], kept[RECORD])


def cluster_name(doc_id: str, record: int) -> str:
    """cluster_id from the kept document's id and record hash alone (what an engine keeps of a rank)."""
    return format(xxhash.xxh3_64_intdigest(f"{doc_id}\x00{record}".encode("utf-8", "surrogatepass")), "016x")
