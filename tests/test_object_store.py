"""A run whose inputs and run directory are object-store URLs (roots.fs over fsspec): the sample's
sources copied to fsspec's in-memory filesystem, run on Beam's in-process runner, give the same shards
and counts, byte for byte, as the same run on local paths. gs:// and s3:// take the same code path
with gcsfs or s3fs installed."""
from __future__ import annotations

import dataclasses
import io
import os
import re
from pathlib import Path

import fsspec
import pyarrow.parquet as pq
import pytest
import yaml

from roots import fs
from roots.config import ConfigError, parse_config
from roots.pipelines import runner
from roots.rundir import lang_folder, read_json

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FORMATS = {"jsonl", "parquet", "text", "warc", "wet"}   # code trees and HF datasets on disk are read locally


def sample_config(root: str, output: str):
    """The sample config's file sources under `root` (a folder or URL), without the binaries."""
    data = yaml.safe_load((EXAMPLES / "sample.yaml").read_text())
    data["sources"] = [dict(s, path=f"{root}/{s['path'].removeprefix('sample/')}") for s in data["sources"]
                       if s["format"] in FORMATS]
    for key in ("tokenizer", "megatron"):
        data.pop(key, None)
    return parse_config(data, str(EXAMPLES / "sample.yaml"), output)


def shards(root: str) -> dict[str, bytes]:
    found = {}
    base = fs.filesystem(root)[1]
    for kind in ("documents", "rejected", "steps"):
        for path in fs.glob(f"{root}/{kind}/**/part-*", recursive=True):
            with fs.open_file(path, "rb") as fh:
                found[fs.filesystem(path)[1][len(base):]] = fh.read()
    return found


@pytest.fixture()
def memory():
    mem = fsspec.filesystem("memory")
    for top in ("/sample", "/run"):
        if mem.exists(top):
            mem.rm(top, recursive=True)
    for path in (EXAMPLES / "sample").rglob("*"):
        if path.is_file():
            mem.pipe(f"/sample/{path.relative_to(EXAMPLES / 'sample').as_posix()}", path.read_bytes())
    yield mem
    for top in ("/sample", "/run"):
        if mem.exists(top):
            mem.rm(top, recursive=True)


@pytest.mark.skipif(os.environ.get("ROOTS_SLOW_TESTS") != "1",
                    reason="two sample runs (about 35 s): set ROOTS_SLOW_TESTS=1")
def test_a_run_on_urls_equals_the_local_run(memory, tmp_path):
    local = sample_config(str(EXAMPLES / "sample"), str(tmp_path / "run"))
    remote = sample_config("memory://sample", "memory://run")
    runner.run(local)
    runner.run(remote)
    ours, theirs = shards("memory://run"), shards(str(tmp_path / "run"))
    assert any(p.startswith("/documents/") for p in theirs) and any("stage=dedup" in p for p in theirs)
    assert sorted(ours) == sorted(theirs)
    differing = [p for p in theirs if ours[p] != theirs[p]]
    # only the rejection that names its file's path (an unreadable unit) may differ, by that path
    assert differing == [f"/rejected/stage=ingest/{lang_folder('und')}/part-00000-of-00001.parquet"]
    rows = lambda data: pq.read_table(io.BytesIO(data)).to_pylist()  # noqa: E731
    assert ([dict(r, detail=re.sub("memory:/+sample", str(EXAMPLES / "sample"), r["detail"])) for r in rows(ours[differing[0]])]
            == rows(theirs[differing[0]]))
    untimed = lambda steps: {k: {f: v for f, v in info.items() if f != "seconds"} for k, info in steps.items()}  # noqa: E731
    assert (untimed(read_json("memory://run/manifest.json")["steps"])
            == untimed(read_json(str(tmp_path / "run" / "manifest.json"))["steps"]))
    for name in ("templates.json", "dedup.counts.json", "pii.spans.json"):
        assert read_json(f"memory://run/stats/{name}") == read_json(str(tmp_path / "run" / "stats" / name)), name
    # a rerun finds the finished steps in the manifest on the object store
    again = runner.run(remote)
    assert all(info["status"] == "complete" for info in again.steps.values())


def test_an_object_store_output_refuses_the_local_only_steps():
    data = yaml.safe_load((EXAMPLES / "sample.yaml").read_text())
    with pytest.raises(ConfigError, match="tokenizer and megatron step"):
        parse_config(data, str(EXAMPLES / "sample.yaml"), "gs://bucket/run")


def test_a_missing_source_url_is_one_line_before_any_work(memory):
    from roots.io.base import SourceError

    config = sample_config("memory://nowhere", "memory://run")
    with pytest.raises(SourceError, match="does not exist|no files match"):
        runner.run(dataclasses.replace(config))
    assert not memory.exists("/run/manifest.json")
