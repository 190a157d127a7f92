"""The run directory's one shard reader (roots/rundir.py): the same documents, columns and tables from a
Parquet and a JSONL shard, locally and on an object store, and one clear line for a broken shard."""
from __future__ import annotations

import os
import uuid

import pyarrow as pa
import pytest

from roots.document import REJECTED_SCHEMA, Document, documents_to_table
from roots.rundir import (DOCUMENTS, REJECTED, ShardReadError, column_bytes, find_shards, iter_batches, partition_dir,
                          read_documents, read_table, shard_path, shards_by_language, write_shard)

DOCS = [Document(f"d{i:03d}", f"text {i} ünïcode " * (i % 5 + 1), "fr", f"src{i % 3}",
                 {"quality": {"words": i}, "big": 2**70, "url": f"https://x/{i}"}) for i in range(50)]


def _write(root: str, fmt: str) -> None:
    docs = documents_to_table(DOCS)
    write_shard(docs.slice(0, 30), shard_path(partition_dir(root, DOCUMENTS, "fr"), 0, 2, fmt), fmt)
    write_shard(docs.slice(30), shard_path(partition_dir(root, DOCUMENTS, "fr"), 1, 2, fmt), fmt)
    write_shard(docs.slice(0, 5), shard_path(partition_dir(root, DOCUMENTS, "en"), 0, 1, fmt), fmt)
    rejected = docs.slice(0, 4).append_column("reason", pa.array(["quality:words"] * 4)) \
                               .append_column("detail", pa.array(["too short"] * 4)).cast(REJECTED_SCHEMA)
    write_shard(rejected, shard_path(partition_dir(root, REJECTED, "fr", "quality"), 0, 1, fmt), fmt)


@pytest.fixture(params=["parquet", "jsonl"])
def run_dir(request, tmp_path) -> tuple[str, str]:
    root = str(tmp_path / "run")
    _write(root, request.param)
    return root, request.param


def test_finds_the_finished_shards_by_kind_language_and_stage(run_dir):
    root, fmt = run_dir
    open(f"{shard_path(partition_dir(root, DOCUMENTS, 'fr'), 0, 2, fmt)}.tmp-abc", "w").close()   # a half-written shard is never read
    assert [p.rsplit("/", 2)[-2:] for p in find_shards(root)] == [
        ["language=en", f"part-00000-of-00001.{fmt}"], ["language=fr", f"part-00000-of-00002.{fmt}"],
        ["language=fr", f"part-00001-of-00002.{fmt}"]]
    assert len(find_shards(root, DOCUMENTS, "fr")) == 2
    assert len(find_shards(root, REJECTED, stage="*")) == len(find_shards(root, REJECTED, "fr", "quality")) == 1
    assert find_shards(root, REJECTED, stage="dedup") == []
    by_lang = shards_by_language(f"{root}/{DOCUMENTS}")
    assert sorted(by_lang) == ["en", "fr"] and by_lang["fr"] == find_shards(root, DOCUMENTS, "fr")


def test_documents_and_tables_are_the_same_in_both_formats(run_dir):
    root, _ = run_dir
    paths = find_shards(root, DOCUMENTS, "fr")
    assert [d for p in paths for d in read_documents(p)] == DOCS   # meta's dict, big integers included
    whole = pa.concat_tables(read_table(p) for p in paths)
    assert whole.equals(documents_to_table(DOCS))                   # meta as the JSON string Parquet holds
    picked = read_table(paths[0], ["id", "reason", "source"], ids=["d002", "d007", "d040"])
    assert picked.column_names == ["id", "source"]                  # a kept shard has no reason
    assert picked.to_pydict() == {"id": ["d002", "d007"], "source": ["src2", "src1"]}
    rejected = read_table(find_shards(root, REJECTED, "fr", "quality")[0], ["source", "reason"])
    assert rejected.to_pydict() == {"source": ["src0", "src1", "src2", "src0"], "reason": ["quality:words"] * 4}


def test_batches_are_bounded_and_in_file_order(run_dir):
    root, _ = run_dir
    path = find_shards(root, DOCUMENTS, "fr")[0]
    batches = list(iter_batches(path, ["id", "text"], 7))
    assert max(b.num_rows for b in batches) <= 7 and sum(b.num_rows for b in batches) == 30
    assert [i for b in batches for i in b.column("id").to_pylist()] == [d.id for d in DOCS[:30]]
    assert batches[0].column_names == ["id", "text"]


def test_text_bytes_from_parquet_metadata_or_the_jsonl_size(run_dir):
    root, fmt = run_dir
    path = find_shards(root, DOCUMENTS, "fr")[0]
    n = column_bytes(path, "text")
    exact = sum(len(d.text.encode()) for d in DOCS[:30])
    if fmt == "jsonl":
        assert n == os.path.getsize(path) > exact
    else:
        assert 0 < n and column_bytes(path, "nothing") == 0


def test_reads_an_object_store_run_like_a_local_one(tmp_path):
    local, remote = str(tmp_path / "run"), f"memory://reader-{uuid.uuid4().hex}"
    _write(local, "parquet")
    _write(remote, "parquet")
    ours, theirs = find_shards(remote), find_shards(local)
    assert [p.split("/documents/")[1] for p in ours] == [p.split("/documents/")[1] for p in theirs]
    assert list(read_documents(ours[1])) == list(read_documents(theirs[1]))
    assert read_table(ours[1], ["id"], ids=["d001"]).equals(read_table(theirs[1], ["id"], ids=["d001"]))
    assert column_bytes(ours[1]) == column_bytes(theirs[1])


@pytest.mark.parametrize("name,content", [("part-00000-of-00001.parquet", b"PAR1 not a parquet file"),
                                          ("part-00000-of-00001.jsonl", b'{"id": "a", "text": "x"}\n{"id": \n')])
def test_a_broken_shard_is_one_line_naming_the_file(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    for read in (lambda: read_table(str(path), ["id"]), lambda: list(read_documents(str(path))),
                 lambda: list(iter_batches(str(path), ["id"], 10))):
        with pytest.raises(ShardReadError) as err:
            read()
        assert str(err.value).startswith(f"{path}: cannot read") and "\n" not in str(err.value)
