"""The JSONL, Parquet, Hugging Face and plain-text readers, on files written here, bad input included."""
from __future__ import annotations

import gzip
import json

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from roots.document import (BROKEN_JSON, INVALID_UTF8, MISSING_FIELD, NOT_AN_OBJECT, SCHEMA_MISMATCH,
                            UNREADABLE_FILE, WRONG_TYPE, Document, Rejection)
from roots.io.base import SourceError, SourceSpec, expand_files
from roots.io.jsonl import read_jsonl
from roots.io.tables import expand_hf_dataset, read_hf_dataset, read_parquet
from roots.io.text import read_text_file

GOOD = [{"id": "a1", "text": "Habari ya asubuhi.", "url": "https://example.org/1"},
        {"id": "a2", "text": "Mvua imenyesha leo.", "url": "https://example.org/2"}]


def jsonl_bytes(rows) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in rows)


def spec(path, **kw) -> SourceSpec:
    return SourceSpec(name=kw.pop("name", "src"), path=str(path), format=kw.pop("format", "jsonl"), **kw)


@pytest.mark.parametrize("suffix,compress", [
    (".jsonl", lambda b: b),
    (".jsonl.gz", lambda b: gzip.compress(b, mtime=0)),
    (".jsonl.zst", lambda b: zstandard.ZstdCompressor().compress(b)),
])
def test_jsonl_plain_and_compressed(tmp_path, suffix, compress):
    path = tmp_path / f"data{suffix}"
    path.write_bytes(compress(jsonl_bytes(GOOD)))
    records = list(read_jsonl(spec(path, id_field="id", lang="sw"), str(path)))
    assert [type(r) for r in records] == [Document, Document]
    assert [r.text for r in records] == [g["text"] for g in GOOD]
    assert records[0].id == "src/a1" and records[0].lang == "sw" and records[0].source == "src"
    assert records[0].meta["url"] == "https://example.org/1"
    assert records[0].meta["file"] == f"data{suffix}" and records[0].meta["record"] == 1


def test_jsonl_bad_lines_each_become_one_rejection(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(jsonl_bytes(GOOD[:1]) + b'{"text": "cut off\n' + b'[1, 2]\n' + b'{"id": "x"}\n'
                     + b'{"text": 42}\n' + b'{"text": "caf\xe9"}\n' + b'\n' + jsonl_bytes(GOOD[1:]))
    records = list(read_jsonl(spec(path), str(path)))
    reasons = [r.reason if isinstance(r, Rejection) else "ok" for r in records]
    assert reasons == ["ok", BROKEN_JSON, NOT_AN_OBJECT, MISSING_FIELD, WRONG_TYPE, INVALID_UTF8, "ok"]
    assert records[1].detail.startswith(f"{path} record 2:")
    assert records[5].doc.text == '{"text": "caf\ufffd"}'       # kept, readable, with the bad byte marked
    assert records[-1].id == "src/bad.jsonl#8"                      # ids count lines as an editor does


def test_jsonl_empty_file_and_truncated_archive(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert list(read_jsonl(spec(empty), str(empty))) == []
    cut = tmp_path / "cut.jsonl.gz"
    rows = [{"text": f"line {i} " + "x" * (i % 97)} for i in range(3000)]
    cut.write_bytes(gzip.compress(jsonl_bytes(rows), mtime=0)[:2000])
    records = list(read_jsonl(spec(cut), str(cut)))
    assert isinstance(records[-1], Rejection) and records[-1].reason == UNREADABLE_FILE
    assert all(isinstance(r, Document) for r in records[:-1])


def test_missing_path_is_a_source_error(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        expand_files(spec(tmp_path / "nope.jsonl"))
    with pytest.raises(SourceError, match="no files match"):
        expand_files(spec(tmp_path / "*.jsonl"))


def test_glob_expands_sorted_and_ids_are_relative(tmp_path):
    for name in ("b.jsonl", "a.jsonl", "sub/c.jsonl"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(jsonl_bytes(GOOD[:1]))
    s = spec(tmp_path / "**" / "*.jsonl")
    units = expand_files(s)
    assert [u.split("/")[-1] for u in units] == ["a.jsonl", "b.jsonl", "c.jsonl"]
    assert next(read_jsonl(s, units[2])).id == "src/sub/c.jsonl#1"


def test_parquet_rows_and_other_schema(tmp_path):
    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"text": ["Un", "Deux", None], "title": ["t1", "t2", "t3"]}), good)
    records = list(read_parquet(spec(good, format="parquet"), str(good)))
    assert [r.text for r in records[:2]] == ["Un", "Deux"] and records[0].meta["title"] == "t1"
    assert isinstance(records[2], Rejection) and records[2].reason == WRONG_TYPE
    other = tmp_path / "other.parquet"
    pq.write_table(pa.table({"body": ["x", "y"]}), other)
    records = list(read_parquet(spec(other, format="parquet"), str(other)))
    assert [r.reason for r in records] == [SCHEMA_MISMATCH, SCHEMA_MISMATCH]
    assert "columns: body" in records[0].detail
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"not parquet at all")
    (rej,) = read_parquet(spec(junk, format="parquet"), str(junk))
    assert rej.reason == UNREADABLE_FILE and "junk.parquet" in rej.detail


def test_hf_dataset_and_dataset_dict(tmp_path):
    folder = tmp_path / "ds"
    datasets.Dataset.from_dict({"content": ["uno", "dos"], "id": ["u1", "u2"]}).save_to_disk(str(folder))
    s = spec(folder, format="hf_dataset", text_field="content", id_field="id")
    (unit,) = expand_hf_dataset(s)
    records = list(read_hf_dataset(s, unit))
    assert [(r.id, r.text) for r in records] == [("src/u1", "uno"), ("src/u2", "dos")]
    dd = tmp_path / "dd"
    datasets.DatasetDict({"train": datasets.Dataset.from_dict({"text": ["a"]}),
                          "test": datasets.Dataset.from_dict({"text": ["b"]})}).save_to_disk(str(dd))
    records = list(read_hf_dataset(spec(dd, format="hf_dataset"), str(dd)))
    assert [(r.id, r.text) for r in records] == [("src/dd#test/0", "b"), ("src/dd#train/0", "a")]
    with pytest.raises(SourceError):
        expand_hf_dataset(spec(tmp_path / "missing", format="hf_dataset"))
    (rej,) = read_hf_dataset(spec(tmp_path, format="hf_dataset"), str(tmp_path))
    assert rej.reason == UNREADABLE_FILE


def test_text_files_one_document_each(tmp_path):
    (tmp_path / "ok.txt").write_text("\ufeffJambo dunia", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("déjà vu".encode("latin-1"))
    s = spec(tmp_path, format="text", lang="sw")
    docs = {u.rsplit("/", 1)[-1]: list(read_text_file(s, u)) for u in expand_files(s)}
    (ok,) = docs["ok.txt"]
    assert ok.text == "Jambo dunia" and ok.id == "src/ok.txt#0"
    (bad,) = docs["latin1.txt"]
    assert bad.reason == INVALID_UTF8 and bad.doc.text == "d\ufffdj\ufffd vu"
