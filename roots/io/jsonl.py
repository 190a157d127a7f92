"""JSON Lines reader (plain, `.gz`, `.zst`): one document per line, every bad line a rejection."""
from __future__ import annotations

import io
import json
from typing import Any, Iterator

import fsspec
import orjson

from roots.document import (BROKEN_JSON, INVALID_UTF8, MISSING_FIELD, NOT_AN_OBJECT, WRONG_TYPE,
                            Document, Reason, Rejection)
from roots.io.base import Format, Record, SourceSpec, base_meta, expand_files, record_id, unreadable


def open_binary(path: str):
    """Open a local or remote file for reading bytes, decompressing `.gz`, `.zst`, `.bz2`, `.xz` by suffix."""
    fh = fsspec.open(path, "rb", compression="infer").open()
    # zstandard's reader has no readline: buffer it so every format iterates by lines.
    return io.BufferedReader(fh) if type(fh).__module__.startswith("zstandard") else fh


def record_from_object(spec: SourceSpec, unit: str, position: int, obj: Any) -> Record:
    """Turn one decoded JSON value (or table row) into a document, or a rejection naming what is wrong."""
    rid = record_id(spec, unit, position)
    meta = base_meta(spec, unit, record=position)

    def reject(reason: Reason, detail: str, text: str = "") -> Rejection:
        return Rejection(Document(rid, text, spec.lang, spec.name, meta), reason, f"{unit} record {position}: {detail}")

    if not isinstance(obj, dict):
        return reject(NOT_AN_OBJECT, f"expected a JSON object, got {type(obj).__name__}", json.dumps(obj, ensure_ascii=False)[:10_000])
    if spec.text_field not in obj:
        meta["fields"] = sorted(obj)
        return reject(MISSING_FIELD, f"no field {spec.text_field!r} (fields: {', '.join(sorted(obj)) or 'none'})")
    text = obj[spec.text_field]
    if not isinstance(text, str):
        return reject(WRONG_TYPE, f"field {spec.text_field!r} is {type(text).__name__}, not a string", json.dumps(text, default=str)[:10_000])
    if spec.id_field and obj.get(spec.id_field) is not None:
        rid = f"{spec.name}/{obj[spec.id_field]}"
    meta.update({k: v for k, v in obj.items() if k not in (spec.text_field, spec.id_field)})
    return Document(rid, text, spec.lang, spec.name, meta)


def parse_line(spec: SourceSpec, unit: str, position: int, line: bytes) -> Record:
    """Decode and parse one JSONL line (bytes, without the newline): orjson for speed; the standard
    library classifies what orjson refuses (invalid UTF-8, broken JSON, or lone surrogates and NaN,
    which `json` accepts and the normalise stage then judges)."""
    try:
        return record_from_object(spec, unit, position, orjson.loads(line))
    except orjson.JSONDecodeError:
        pass
    try:
        decoded = line.decode("utf-8")
    except UnicodeDecodeError as err:
        doc = Document(record_id(spec, unit, position), line.decode("utf-8", errors="replace"), spec.lang,
                       spec.name, base_meta(spec, unit, record=position))
        return Rejection(doc, INVALID_UTF8, f"{unit} record {position}: invalid UTF-8 at byte {err.start}")
    try:
        obj = json.loads(decoded)
    except json.JSONDecodeError as err:
        doc = Document(record_id(spec, unit, position), decoded, spec.lang, spec.name,
                       base_meta(spec, unit, record=position))
        return Rejection(doc, BROKEN_JSON, f"{unit} record {position}: {err.msg} at column {err.colno}")
    return record_from_object(spec, unit, position, obj)


def read_jsonl(spec: SourceSpec, unit: str) -> Iterator[Record]:
    """Every non-blank line of one JSONL file, numbered from 1 as an editor shows it."""
    lineno = 0
    try:
        with open_binary(unit) as fh:
            for lineno, raw in enumerate(fh, start=1):
                line = raw.rstrip(b"\r\n")
                if line.strip():
                    yield parse_line(spec, unit, lineno, line)
    except Exception as err:  # a truncated archive or unreadable file: keep what was read, reject the rest
        yield unreadable(spec, unit, err if lineno == 0 else RuntimeError(f"after line {lineno}: {err}"))


JSONL = Format("jsonl", expand_files, read_jsonl)
