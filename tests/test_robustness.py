"""Issue 15's remaining robustness items: files of the tokenizer steps written atomically and the
temporary files of killed steps removed on resume; the decompression-ratio guard of the JSONL reader;
a repeated id within one input file rejected."""
from __future__ import annotations

import errno
import os

import pytest

from roots import rundir
from roots.rundir import copy_file, remove_temporary_files, write_bytes
from roots.sampling import _ShardWriter


def _disk_full(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


# --- 1. atomic files of the tokenizer steps; temporary files removed on resume -----------------


def test_remove_temporary_files_takes_hidden_folders_and_every_step_s_leftovers(tmp_path):
    keep = tmp_path / "documents" / "language=en" / "part-00000-of-00001.parquet"
    tok = tmp_path / "tokenizer"
    leftovers = [tmp_path / "documents" / "language=en" / "part-00000-of-00001.parquet.tmp-ab12",
                 tok / "train-en-00000.txt.tmp-cd34", tok / "tokenizer.json.tmp-ef56",
                 tmp_path / "megatron" / "en_text_document.bin.tmp-0a"]
    for path in [keep, tok / "spm.model", tok / ".tmp-spm-x1y2" / "spm.model", *leftovers]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    assert remove_temporary_files(str(tmp_path)) == len(leftovers) + 1   # + the .tmp-spm- folder
    assert not (tok / ".tmp-spm-x1y2").exists()
    assert not any(p.exists() for p in leftovers)
    assert keep.exists() and (tok / "spm.model").exists()
    assert remove_temporary_files(str(tmp_path)) == 0


def test_write_bytes_on_a_full_disk_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "tokenizer.json"
    target.write_bytes(b"old")
    monkeypatch.setattr(rundir.os, "replace", _disk_full)
    with pytest.raises(OSError):
        write_bytes(str(target), b"new and longer")
    with pytest.raises(OSError):
        copy_file(str(target), str(tmp_path / "spm.model"))
    assert sorted(os.listdir(tmp_path)) == ["tokenizer.json"] and target.read_bytes() == b"old"


def test_hf_tokenizer_files_are_written_under_a_temporary_name(tmp_path, monkeypatch):
    from roots.tokenizer import TokenizerConfig, train_tokenizer, write_hf_tokenizer

    text = tmp_path / "train-en-00000.txt"
    text.write_text("\n".join(f"line {i} of the small training text, word{i % 37}" for i in range(400)) + "\n")
    out = tmp_path / "tok"
    (out / ".tmp-spm-killed").mkdir(parents=True)   # what a killed training leaves
    train_tokenizer([str(text)], str(out), TokenizerConfig(vocab_size=320, hf=False))
    assert sorted(os.listdir(out)) == ["spm.model", "spm.vocab", "train.json"]
    writes: list[str] = []
    real_open = open

    def spy_open(path, *args, **kwargs):
        writes.append(os.path.basename(str(path)))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", spy_open)
    write_hf_tokenizer(str(out / "spm.model"), str(out))
    written = [w for w in writes if w.startswith(("tokenizer", "special"))]
    assert written and all(rundir._TMP_MARK in w for w in written)
    assert (out / "tokenizer.json").stat().st_size > 0
    assert not [n for n in os.listdir(out) if rundir._TMP_MARK in n]


def test_a_failed_sample_write_leaves_no_truncated_training_shard(tmp_path):
    writer = _ShardWriter(str(tmp_path), "en", 1e9)
    writer.write("a line")
    writer.abort()
    assert os.listdir(tmp_path) == []
    writer = _ShardWriter(str(tmp_path), "en", 1e9)
    writer.write("a line")
    writer.close()
    assert os.listdir(tmp_path) == ["train-en-00000.txt"]



def test_the_tokenizer_step_resumes_without_a_killed_attempt_s_files(tmp_path, monkeypatch):
    from roots.pipelines import runner

    tok = tmp_path / "tokenizer"
    killed = [tok / ".tmp-spm-abc" / "spm.model", tok / "train-en-00000.txt.tmp-1", tok / "tokenizer.json.tmp-2"]
    for path in killed:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half")
    seen: list[list[str]] = []

    def build(documents_dir, output_dir, config, registry):
        seen.append(sorted(os.listdir(output_dir)))
        return {"files": []}

    class Config:
        output = str(tmp_path)

        def section(self, name):
            return {} if name == runner.TOKENIZER else None

        def registry(self):
            return None

    class Manifest:
        def is_complete(self, name): return False
        def start(self, name): pass
        def complete(self, name, info): pass

    monkeypatch.setattr("roots.tokenizer.build_tokenizer_in_child", build)
    runner.run_tokenizer_steps(Config(), Manifest(), [], {})
    assert seen == [[]]

# --- 2. the decompression-ratio guard ------------------------------------------------------------


def _records(spec, path):
    from roots.io.formats import FORMATS

    return list(FORMATS[spec.format].records(spec, str(path)))


def test_a_decompression_bomb_is_read_no_further(tmp_path):
    import zstandard

    from roots.document import COMPRESSION_RATIO, Document, Rejection
    from roots.io.base import SourceSpec

    good = b"".join(b'{"text": "line %d"}\n' % i for i in range(3))
    bomb = tmp_path / "bomb.jsonl.zst"
    # 3 good lines, then 64 MB of one repeated line: zstd compresses it about 30,000-fold
    payload = good + b'{"text": "' + b"a" * (64 * 1024 * 1024) + b'"}\n'
    bomb.write_bytes(zstandard.ZstdCompressor(level=3).compress(payload))
    spec = SourceSpec("s", str(bomb), "jsonl", options={"max_record_bytes": 128 * 1024 * 1024})
    records = _records(spec, bomb)
    assert [type(r) for r in records] == [Document] * 3 + [Rejection]
    assert [r.text for r in records[:3]] == ["line 0", "line 1", "line 2"]
    last = records[-1]
    assert last.reason == COMPRESSION_RATIO and str(last.reason) == "bad_input:compression_ratio"
    assert "bomb.jsonl.zst" in last.detail and "max_compression_ratio 1000" in last.detail
    assert "stopped after line 3" in last.detail and "\n" not in last.detail


def test_the_ratio_is_a_source_option_and_ordinary_files_pass(tmp_path):
    import gzip

    from roots.document import COMPRESSION_RATIO, Document
    from roots.io.base import SourceSpec

    lines = b"".join(b'{"text": "%s"}\n' % (b"word " * 50) for _ in range(12_000))   # ~3 MB
    path = tmp_path / "repetitive.jsonl.gz"
    path.write_bytes(gzip.compress(lines))
    ratio = len(lines) / path.stat().st_size
    loose = SourceSpec("s", str(path), "jsonl", options={"max_compression_ratio": 0})
    assert all(isinstance(r, Document) for r in _records(loose, path))
    strict = SourceSpec("s", str(path), "jsonl", options={"max_compression_ratio": ratio / 2})
    records = _records(strict, path)
    assert records[-1].reason == COMPRESSION_RATIO
    assert 0 < len(records) - 1 < 12_000 and all(isinstance(r, Document) for r in records[:-1])
    small = tmp_path / "small.jsonl.gz"   # under the 1 MB floor no file is a bomb, whatever its ratio
    small.write_bytes(gzip.compress(b"".join(lines.splitlines(keepends=True)[:3000])))   # ~0.8 MB
    assert all(isinstance(r, Document) for r in _records(strict, small))


# --- 3. a repeated id within one input file -------------------------------------------------------


def test_a_repeated_id_in_a_jsonl_file_is_rejected_the_first_kept(tmp_path):
    from roots.document import DUPLICATE_ID, Document, Rejection
    from roots.io.base import SourceSpec

    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "x", "text": "first"}\n{"id": "y", "text": "other"}\n'
                    '{"id": "x", "text": "second"}\n{"id": 7, "text": "int"}\n{"id": "7", "text": "str"}\n')
    records = _records(SourceSpec("s", str(path), "jsonl", id_field="id"), path)
    assert [type(r) for r in records] == [Document, Document, Rejection, Document, Rejection]
    assert records[0].text == "first" and records[2].doc.text == "second"
    assert records[2].reason == DUPLICATE_ID and str(DUPLICATE_ID) == "bad_input:duplicate_id"
    assert "a.jsonl record 3" in records[2].detail and "'s/x'" in records[2].detail
    # without an id_field ids are positions: the same records all pass
    assert all(isinstance(r, Document) for r in _records(SourceSpec("s", str(path), "jsonl"), path))



def test_an_id_that_is_a_structure_is_rejected_not_the_file(tmp_path):
    from roots.document import WRONG_TYPE, Document
    from roots.io.base import SourceSpec

    path = tmp_path / "a.jsonl"   # a 1,000-deep id once stopped the reading of the whole file
    path.write_bytes(b'{"id": ' + b"[" * 1000 + b"]" * 1000 + b', "text": "x"}\n{"id": {"a": 1}, "text": "y"}\n'
                     b'{"id": "ok", "text": "z"}\n')
    records = _records(SourceSpec("s", str(path), "jsonl", id_field="id"), path)
    assert [getattr(r, "reason", None) for r in records] == [WRONG_TYPE, WRONG_TYPE, None]
    assert "field 'id' (the id) is list" in records[0].detail and isinstance(records[2], Document)

def test_a_repeated_id_in_a_parquet_file_is_rejected_and_other_files_are_independent(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from roots.document import DUPLICATE_ID, REASONS
    from roots.io.base import SourceSpec

    for name in ("a", "b"):
        pq.write_table(pa.table({"id": ["x", "y", "x"], "text": ["1", "2", "3"]}), tmp_path / f"{name}.parquet")
    spec = SourceSpec("s", str(tmp_path), "parquet", id_field="id")
    for name in ("a", "b"):
        records = _records(spec, tmp_path / f"{name}.parquet")
        assert [getattr(r, "reason", None) for r in records] == [None, None, DUPLICATE_ID]
    assert REASONS["bad_input:duplicate_id"] is DUPLICATE_ID
