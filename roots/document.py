"""The document record that flows from raw sources to training binaries, its Arrow schemas,
and the rejection reasons every stage may give (ARCHITECTURE.md §1).

Reasons are data: each is a `Reason` constant declared here (or by a later stage's module through
`Reason`), never a string typed at the place of rejection, so the manifest, the data card and the
tests all speak of the same reasons.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import orjson
import pyarrow as pa

from roots.reasons import BAD_INPUT, REASONS, Reason, register_reason  # noqa: F401 - the record's reasons, re-exported

#: The language value of a document whose language is not known yet (`language=und` in the run directory).
UNKNOWN_LANG = ""
#: How an unknown language is spelled in partition folders and manifests.
UNKNOWN_LANG_DIR = "und"


@dataclass
class Document:
    """One document: `meta` holds what the source gave plus what stages annotate."""

    id: str
    text: str
    lang: str = UNKNOWN_LANG
    source: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def lang_dir(self) -> str:
        """The language as used in partition folders and counts (`und` when unknown)."""
        return self.lang or UNKNOWN_LANG_DIR


@dataclass
class Rejection:
    """A document a stage did not pass on, with the reason and a one-line human detail."""

    doc: Document
    reason: Reason
    detail: str = ""


# --- The reasons of ingestion and normalisation (declared with every other in roots.reasons). ---
INVALID_UTF8 = REASONS["bad_input:invalid_utf8"]
BROKEN_JSON = REASONS["bad_input:broken_json"]
NOT_AN_OBJECT = REASONS["bad_input:not_an_object"]
MISSING_FIELD = REASONS["bad_input:missing_field"]
WRONG_TYPE = REASONS["bad_input:wrong_type"]
EMPTY_TEXT = REASONS["bad_input:empty_text"]
TOO_LARGE = REASONS["bad_input:too_large"]
UNREADABLE_FILE = REASONS["bad_input:unreadable_file"]
SCHEMA_MISMATCH = REASONS["bad_input:schema_mismatch"]
BINARY_FILE = REASONS["bad_input:binary_file"]
UNKNOWN_LANGUAGE = REASONS["bad_input:unknown_language"]
VENDORED_FILE = REASONS["bad_input:vendored_file"]
NOT_A_DOCUMENT = REASONS["bad_input:not_a_document"]
NO_EXTRACTED_TEXT = REASONS["bad_input:no_extracted_text"]
BAD_FIELD = REASONS["bad_input:bad_field"]
COMPRESSION_RATIO = REASONS["bad_input:compression_ratio"]
DUPLICATE_ID = REASONS["bad_input:duplicate_id"]
BAD_LANG_FIELD = REASONS["bad_input:bad_lang_field"]


# --- Arrow schemas: `meta` is a JSON string so shard schemas never drift. ---
DOCUMENT_SCHEMA = pa.schema([
    pa.field("id", pa.string(), nullable=False),
    pa.field("text", pa.string(), nullable=False),
    pa.field("lang", pa.string(), nullable=False),
    pa.field("source", pa.string(), nullable=False),
    pa.field("meta", pa.string(), nullable=False),
])

REJECTED_SCHEMA = pa.schema(list(DOCUMENT_SCHEMA) + [
    pa.field("reason", pa.string(), nullable=False),
    pa.field("detail", pa.string(), nullable=False),
])


_LAST_SIZE: tuple[str, int] = ("", 0)


def utf8_size(text: str) -> int:
    """UTF-8 bytes of `text` (UnicodeEncodeError on a lone surrogate). The last answer is kept for the
    same string object: a document's text is measured by reading's count, the normalise stage and its
    count in a row, and is encoded once instead of three times."""
    global _LAST_SIZE
    last = _LAST_SIZE
    if last[0] is text:
        return last[1]
    size = len(text.encode("utf-8"))
    _LAST_SIZE = (text, size)
    return size


#: Value types whose JSON orjson writes exactly as `json.dumps` below does (not floats: `1e-05` vs `1e-5`).
_FLAT_TYPES = frozenset({str, int, bool, type(None)})


def meta_to_json(meta: dict[str, Any]) -> str:
    """Serialise `meta` canonically (sorted keys, no spaces) so equal dicts give equal bytes. A flat
    meta of strings, integers, booleans and nulls (what readers give) goes through orjson, which writes
    the same text several times faster; anything else, or what orjson refuses (a lone surrogate, an
    integer over 64 bits), through the standard library."""
    if all(type(k) is str and type(v) in _FLAT_TYPES for k, v in meta.items()):
        try:
            return orjson.dumps(meta, option=orjson.OPT_SORT_KEYS).decode("utf-8")
        except orjson.JSONEncodeError:
            pass
    return json.dumps(meta, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def documents_to_table(docs: list[Document]) -> pa.Table:
    """Documents as a table of DOCUMENT_SCHEMA, in the order given."""
    return pa.table({
        "id": [d.id for d in docs],
        "text": [d.text for d in docs],
        "lang": [d.lang for d in docs],
        "source": [d.source for d in docs],
        "meta": [meta_to_json(d.meta) for d in docs],
    }, schema=DOCUMENT_SCHEMA)


def table_to_documents(table: pa.Table) -> list[Document]:
    """The inverse of `documents_to_table` (extra columns are ignored)."""
    cols = {name: table.column(name).to_pylist() for name in ("id", "text", "lang", "source", "meta")}
    return [Document(id=i, text=t, lang=l, source=s, meta=json.loads(m))
            for i, t, l, s, m in zip(cols["id"], cols["text"], cols["lang"], cols["source"], cols["meta"])]
