"""Reading documents for `roots dedup`: Parquet or JSON Lines files in the run directory's schema
(id, text, lang, source, meta), as `roots run` writes them; a bad row becomes a rejection."""
from __future__ import annotations

import glob
import json
import os
from typing import Any, Iterator

import orjson
import pyarrow.parquet as pq

from roots.document import (BROKEN_JSON, MISSING_FIELD, NOT_AN_OBJECT, UNREADABLE_FILE, WRONG_TYPE, Document,
                            Reason, Rejection)
from roots.errors import RootsError

SUFFIXES = (".parquet", ".jsonl", ".jsonl.gz", ".jsonl.zst", ".json", ".json.gz")
_FIELDS = ("id", "text", "lang", "source", "meta")


class InputError(RootsError):
    """An input path of `roots dedup` that names no document files."""


def expand_inputs(path: str) -> list[str]:
    """The document files a path names (a file, a folder searched recursively, or a glob), sorted."""
    if any(ch in path for ch in "*?["):
        found = glob.glob(path, recursive=True)
    elif os.path.isdir(path):
        found = [os.path.join(d, f) for d, _, files in os.walk(path) for f in files]
    elif os.path.isfile(path):
        return [path]
    else:
        raise InputError(f"{path}: no such file or folder")
    files = sorted(f for f in found if os.path.isfile(f) and f.endswith(SUFFIXES) and ".tmp-" not in f)
    if not files:
        raise InputError(f"{path}: no document files ({', '.join(SUFFIXES)}) found")
    return files


def document_from_row(row: Any, path: str, position: int) -> Document | Rejection:
    """A row of the document schema as a Document; other columns go into meta; a row without a string
    text is a rejection."""
    fallback_id = f"{os.path.basename(path)}#{position}"
    if not isinstance(row, dict):
        return Rejection(Document(fallback_id, "", meta={"file": path}), NOT_AN_OBJECT,
                         f"{path} record {position}: expected an object, got {type(row).__name__}")
    meta = row.get("meta")
    if isinstance(meta, str):
        try:
            meta = json.loads(meta)
        except ValueError:
            meta = {"meta": meta}
    meta = dict(meta) if isinstance(meta, dict) else {}
    meta.update({k: v for k, v in row.items() if k not in _FIELDS})
    rid = row.get("id")
    rid = rid if isinstance(rid, str) and rid else (str(rid) if rid is not None else fallback_id)
    lang = row.get("lang") if isinstance(row.get("lang"), str) else ""
    source = row.get("source") if isinstance(row.get("source"), str) else ""
    text = row.get("text")

    def reject(reason: Reason, detail: str) -> Rejection:
        return Rejection(Document(rid, "", lang, source, meta), reason, f"{path} record {position}: {detail}")

    if "text" not in row:
        return reject(MISSING_FIELD, "no field 'text'")
    if not isinstance(text, str):
        return reject(WRONG_TYPE, f"field 'text' is {type(text).__name__}, not a string")
    return Document(rid, text, lang, source, meta)


def read_documents(path: str) -> Iterator[Document | Rejection]:
    """Every row of one Parquet or JSON Lines file; an unreadable file is one rejection."""
    position = 0
    try:
        if path.endswith(".parquet"):
            pfile = pq.ParquetFile(path)
            for batch in pfile.iter_batches(batch_size=4096):
                for row in batch.to_pylist():
                    yield document_from_row(row, path, position)
                    position += 1
            return
        from roots.io.jsonl import open_binary

        with open_binary(path) as fh:
            for raw in fh:
                line = raw.strip()
                if not line:
                    continue
                try:
                    row = orjson.loads(line)
                except orjson.JSONDecodeError as err:
                    yield Rejection(Document(f"{os.path.basename(path)}#{position}", line.decode("utf-8", "replace")),
                                    BROKEN_JSON, f"{path} record {position}: {err}")
                else:
                    yield document_from_row(row, path, position)
                position += 1
    except Exception as err:  # a truncated or unreadable file: keep what was read
        yield Rejection(Document(f"{os.path.basename(path)}#file", "", meta={"file": path}), UNREADABLE_FILE,
                        f"{path}: after record {position}: {type(err).__name__}: {err}"[:500])
