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

import pyarrow as pa

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


@dataclass(frozen=True)
class Reason:
    """Why a stage rejected a document, written `stage:name` in the run directory."""

    stage: str
    name: str
    description: str

    @property
    def code(self) -> str:
        return f"{self.stage}:{self.name}"

    def __str__(self) -> str:
        return self.code


@dataclass
class Rejection:
    """A document a stage did not pass on, with the reason and a one-line human detail."""

    doc: Document
    reason: Reason
    detail: str = ""


# --- The reasons of ingestion and normalisation. Later stages declare theirs in their own modules. ---
BAD_INPUT = "bad_input"
INVALID_UTF8 = Reason(BAD_INPUT, "invalid_utf8", "the bytes are not valid UTF-8 (or hold lone surrogates)")
BROKEN_JSON = Reason(BAD_INPUT, "broken_json", "the line is not valid JSON")
NOT_AN_OBJECT = Reason(BAD_INPUT, "not_an_object", "the JSON value is not an object")
MISSING_FIELD = Reason(BAD_INPUT, "missing_field", "the record has no text field")
WRONG_TYPE = Reason(BAD_INPUT, "wrong_type", "the text field is not a string (or the id field is an object or array)")
EMPTY_TEXT = Reason(BAD_INPUT, "empty_text", "the text is empty or only whitespace and control characters")
TOO_LARGE = Reason(BAD_INPUT, "too_large", "the text is larger than the configured maximum")
UNREADABLE_FILE = Reason(BAD_INPUT, "unreadable_file", "the file could not be opened or decoded at all")
SCHEMA_MISMATCH = Reason(BAD_INPUT, "schema_mismatch", "the table has no column for the configured text field")
BINARY_FILE = Reason(BAD_INPUT, "binary_file", "the file holds binary data, not text")
UNKNOWN_LANGUAGE = Reason(BAD_INPUT, "unknown_language", "no registry language matches the file")
VENDORED_FILE = Reason(BAD_INPUT, "vendored_file", "the file lies in a vendored or generated folder")
NOT_A_DOCUMENT = Reason(BAD_INPUT, "not_a_document", "the record holds no document (a WARC request, metadata or info record)")
NO_EXTRACTED_TEXT = Reason(BAD_INPUT, "no_extracted_text", "HTML extraction found no main text")
BAD_FIELD = Reason(BAD_INPUT, "bad_field", "a field other than the text nests too deeply to be stored (over 255 levels)")
COMPRESSION_RATIO = Reason(BAD_INPUT, "compression_ratio", "the compressed file decompresses to more than "
                           "max_compression_ratio times its size (a decompression bomb): the rest of it is not read")
DUPLICATE_ID = Reason(BAD_INPUT, "duplicate_id", "an earlier record of the same input file has the same id")
BAD_LANG_FIELD = Reason(BAD_INPUT, "bad_lang_field", "the record's language (the source's lang_field) is missing, "
                        "not a string, or not a code of the language registry")

#: Every reason declared by the core, by code; stages register theirs with `register_reason`.
REASONS: dict[str, Reason] = {}


def register_reason(reason: Reason) -> Reason:
    """Add a reason to the table of known reasons (idempotent) and return it."""
    known = REASONS.setdefault(reason.code, reason)
    if known != reason:
        raise ValueError(f"reason {reason.code} is declared twice with different descriptions")
    return reason


for _r in (INVALID_UTF8, BROKEN_JSON, NOT_AN_OBJECT, MISSING_FIELD, WRONG_TYPE, EMPTY_TEXT, TOO_LARGE,
           UNREADABLE_FILE, SCHEMA_MISMATCH, BINARY_FILE, UNKNOWN_LANGUAGE, VENDORED_FILE,
           NOT_A_DOCUMENT, NO_EXTRACTED_TEXT, BAD_FIELD, COMPRESSION_RATIO, DUPLICATE_ID, BAD_LANG_FIELD):
    register_reason(_r)


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


def meta_to_json(meta: dict[str, Any]) -> str:
    """Serialise `meta` canonically (sorted keys, no spaces) so equal dicts give equal bytes."""
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
