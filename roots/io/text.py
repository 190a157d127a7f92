"""Plain text files: one document per file, strictly UTF-8 (a UTF-8 BOM is dropped)."""
from __future__ import annotations

from typing import Iterator

from roots.document import INVALID_UTF8, Document, Rejection
from roots.io.base import Format, Record, SourceSpec, base_meta, expand_files, record_id, unreadable
from roots.io.jsonl import open_binary


def read_text_file(spec: SourceSpec, unit: str) -> Iterator[Record]:
    """The whole file as one document; bytes that are not UTF-8 make it a rejection (decoded with replacement)."""
    try:
        with open_binary(unit) as fh:
            data = fh.read()
    except Exception as err:
        yield unreadable(spec, unit, err)
        return
    doc = Document(record_id(spec, unit, 0), "", spec.lang, spec.name, base_meta(spec, unit, size=len(data)))
    try:
        doc.text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        doc.text = data.decode("utf-8", errors="replace")
        yield Rejection(doc, INVALID_UTF8, f"{unit}: invalid UTF-8 at byte {err.start}")
        return
    yield doc


TEXT = Format("text", expand_files, read_text_file)
