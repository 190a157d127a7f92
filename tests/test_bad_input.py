"""Readers that never stop and never lose (issue 15): every bad record is rejected with a reason and
reading goes on; no line is held whole in memory past the source's cap."""
from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import yaml

from roots.config import load_config
from roots.io.jsonl import read_lines
from roots.pipelines.runner import run
from roots.stats import totals


def _rows(run_dir: Path, kind: str) -> list[dict]:
    return [r for p in sorted((run_dir / kind).rglob("*.parquet")) for r in pq.read_table(p).to_pylist()]


def test_bad_records_are_rejected_one_by_one_and_reading_goes_on(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    good = [json.dumps({"id": f"g{i}", "text": f"Ujumbe mzuri namba {i} kwa wote."}).encode() for i in range(5)]
    lines = [
        b"[" * 100_000 + b"]" * 100_000,                                    # nested past any stack
        json.dumps({"id": "n1", "text": "ok", "tags": json.loads("[" * 900 + "]" * 900)}).encode(),
        b'{"id": "bad\\ud800id", "text": "an id with a lone surrogate"}',
        b'{"id": "m1", "text": "a meta field with one", "author": "x\\udfffy"}',
        b'{"id": "big", "text": "' + b"a" * 400_000 + b'"}',                   # over this source's cap
        *good,
    ]
    (data / "in.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    odd_name = os.fsencode(str(data)) + b"/caf\xe9.jsonl"                    # a file name that is not UTF-8
    with open(odd_name, "wb") as fh:
        fh.write(json.dumps({"id": "odd", "text": "Habari kutoka faili la jina geni."}).encode() + b"\n")
    config = {"name": "t", "output": str(tmp_path / "run"), "quality": {"enabled": False},
              "sources": [{"name": "s", "format": "jsonl", "path": "data/*.jsonl", "lang": "sw", "id_field": "id",
                           "options": {"max_record_bytes": 300_000}}]}
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(config))
    manifest = run(load_config(str(tmp_path / "run.yaml")), ingest_only=True)

    ingest = manifest.steps["ingest"]["counts"]["ingest"]["sw"]
    assert totals({"sw": ingest}) == {"input": 11, "kept": 6, "rejected": 5}
    assert {k: v["docs"] for k, v in ingest["rejected"].items()} == {
        "bad_input:broken_json": 1, "bad_input:bad_field": 1, "bad_input:invalid_utf8": 2, "bad_input:too_large": 1}
    kept = {r["id"]: r for r in _rows(tmp_path / "run", "documents")}
    assert {f"s/g{i}" for i in range(5)} <= set(kept)                        # the lines after the bad ones
    assert "s/odd" in kept and json.loads(kept["s/odd"]["meta"])["file"] == "caf\\xe9.jsonl"
    rejected = {r["id"]: r for r in _rows(tmp_path / "run", "rejected")}
    assert rejected["s/bad\\xed\\xa0\\x80id"]["detail"].endswith("lone surrogate in field id")
    assert rejected["s/m1"]["detail"].endswith("lone surrogate in field meta.author")
    assert "nested too deeply" in rejected["s/n1"]["detail"]
    assert "max_record_bytes 300000" in rejected["s/in.jsonl#5"]["detail"]


def test_an_over_long_line_is_skipped_in_chunks_not_held():
    fh = io.BytesIO(b"short\n" + b"x" * 10_000 + b"\nafter\n" + b"y" * 50)
    assert list(read_lines(fh, limit=100)) == [(b"short", 6), (b"", 10_001), (b"after", 6), (b"y" * 50, 50)]
