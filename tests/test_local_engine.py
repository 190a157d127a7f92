"""The local engine (pipelines/local.py) against the Beam runner on small corpora written here: the same
documents/, rejected/, stats/ and Megatron files byte for byte and the same manifest counts, 1 and 2
workers alike, counts that add up, and a crashed run that resumes."""
from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from roots.config import load_config
from roots.pipelines import local, runner
from roots.rundir import lang_folder, read_json


def tree(run_dir: Path, *tops: str) -> dict[str, bytes]:
    return {str(p.relative_to(run_dir)): p.read_bytes()
            for p in sorted(run_dir.rglob("*")) if p.is_file() and p.parts[len(run_dir.parts)] in tops}


def megatron_files(run_dir: Path) -> dict[str, bytes]:
    # index.json and blend.txt name the absolute folder; the binaries must match byte for byte
    return {p.name: p.read_bytes() for p in sorted((run_dir / "megatron").iterdir())
            if p.name not in ("index.json", "blend.txt")}


def step_counts(run_dir: Path) -> dict:
    steps = read_json(str(run_dir / "manifest.json"))["steps"]
    return {name: {k: v for k, v in info.items() if k != "seconds"} for name, info in steps.items()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """Two languages in three formats with bad records, exact and near duplicates, e-mail addresses,
    and a tokenizer and Megatron section: every kind of step the local engine runs."""
    root = tmp_path_factory.mktemp("local")
    data = root / "data"
    (data / "docs").mkdir(parents=True)
    sw = [{"id": f"sw{i}", "text": f"Habari {i}: mvua ilinyesha sana katika kijiji chetu jana jioni, "
                                   f"andika kwa mtu{i}@mfano.org kuhusu shamba la {i % 5}."} for i in range(60)]
    sw += [dict(sw[3], id=f"copy{i}") for i in range(4)]                       # exact copies
    words = "mto mkubwa unapita katikati ya mji wetu na watoto wanacheza kando yake kila siku wiki".split()
    base = [f"{words[(i * 7) % len(words)]}{i}" for i in range(90)]              # 90 distinct words
    sw += [{"id": f"near{i}", "text": " ".join(base[:10 * i] + ["tena"] + base[10 * i + 1:])} for i in range(6)]
    (data / "sw.jsonl.gz").write_bytes(gzip.compress(b"".join(json.dumps(r).encode() + b"\n" for r in sw), mtime=0))
    (data / "fr.jsonl").write_bytes(
        b"".join(json.dumps({"text": f"Bonjour {i}, il fait beau aujourd'hui a Lyon pres du fleuve."}).encode() + b"\n"
                 for i in range(30))
        + b'{"text": "broken\n{"title": "no text"}\n{"text": "\\ud800 lone"}\n')
    (data / "docs" / "a.txt").write_text("Une page de texte en français.", encoding="utf-8")
    (data / "docs" / "b.txt").write_bytes("caf\xe9".encode("latin-1"))
    config = {
        "name": "t", "output": str(root / "beam"), "shard_target_mb": 0.002,
        "quality": {"enabled": False},
        "tokenizer": {"vocab_size": 400}, "megatron": {"shard_target_mb": 0.002},
        "sources": [
            {"name": "sw", "format": "jsonl", "path": "data/sw.jsonl.gz", "lang": "sw", "id_field": "id"},
            {"name": "fr", "format": "jsonl", "path": "data/*.jsonl", "lang": "fr"},
            {"name": "docs", "format": "text", "path": "data/docs", "lang": "fr"},
        ],
    }
    (root / "run.yaml").write_text(yaml.safe_dump(config))
    return root


@pytest.fixture(scope="module")
def runs(corpus) -> tuple[Path, Path, Path]:
    """The same config on Beam, on the local engine with 2 workers and with 1."""
    runner.run(load_config(str(corpus / "run.yaml")), progress=False)
    local.run(load_config(str(corpus / "run.yaml"), output=str(corpus / "local2")), workers=2, progress=False)
    local.run(load_config(str(corpus / "run.yaml"), output=str(corpus / "local1")), workers=1, progress=False)
    return corpus / "beam", corpus / "local2", corpus / "local1"


def test_outputs_are_byte_identical_to_beams(runs):
    beam, two, one = runs
    theirs = tree(beam, "documents", "rejected", "stats")
    assert any(p.startswith("rejected/stage=dedup/") for p in theirs)
    assert any(p.startswith("rejected/stage=ingest/") for p in theirs)
    assert sum(p.startswith("documents/") for p in theirs) > 2           # several shards
    for ours in (two, one):
        found = tree(ours, "documents", "rejected", "stats")
        assert sorted(found) == sorted(theirs)
        for path, data in theirs.items():
            assert found[path] == data, path
        assert megatron_files(ours) == megatron_files(beam) != {}
        assert not (ours / "steps").exists() and not (ours / ".tmp-local").exists()


def test_manifest_matches_beams(runs):
    beam, two, one = runs
    theirs = step_counts(beam)
    assert sorted(theirs) == ["curate", "dedup", "megatron", "pii", "tokenizer"]
    for ours in (two, one):
        found = step_counts(ours)
        for step in ("curate", "dedup", "pii", "megatron"):
            assert found[step] == theirs[step], step
        assert read_json(str(ours / "manifest.json"))["warnings"] == read_json(str(beam / "manifest.json"))["warnings"]


def test_dedup_and_pii_did_their_work_and_nothing_is_lost(runs):
    _, two, _ = runs
    steps = read_json(str(two / "manifest.json"))["steps"]
    dedup = steps["dedup"]["counts"]["dedup"]["sw"]["rejected"]
    assert dedup["dedup:exact"]["docs"] == 4 and dedup["dedup:near"]["docs"] >= 3
    rows = [r for p in sorted((two / "documents").rglob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    assert rows and not any("@mfano.org" in r["text"] for r in rows)
    for name, info in steps.items():   # every stage: its input is what it kept plus what it rejected
        for stage, cells in info.get("counts", {}).items():
            for lang, cell in cells.items():
                rejected = sum(c["docs"] for c in cell.get("rejected", {}).values())
                assert cell["input"]["docs"] == cell["kept"]["docs"] + rejected, (name, stage, lang)
    last = steps["pii"]["counts"]["pii"]
    assert len(rows) == sum(cell["kept"]["docs"] for cell in last.values())
    rejected = {}
    for p in (two / "rejected").rglob("*.parquet"):
        stage = p.parts[-3].split("=", 1)[1]
        rejected[stage] = rejected.get(stage, 0) + pq.read_metadata(p).num_rows
    for name, info in steps.items():
        for stage, cells in info.get("counts", {}).items():
            n = sum(c["docs"] for cell in cells.values() for c in cell.get("rejected", {}).values())
            assert rejected.get(stage, 0) == n, stage


def test_resume_after_a_crash_keeps_finished_shards(corpus, monkeypatch):
    config = load_config(str(corpus / "run.yaml"), output=str(corpus / "crashed"))
    with monkeypatch.context() as crashed:   # the process dies before the run's end removes steps/
        crashed.setattr(local, "remove_intermediate", lambda config: None)
        local.run(config, workers=2, progress=False)
    run_dir = corpus / "crashed"
    before = tree(run_dir, "documents", "rejected")
    manifest = read_json(str(run_dir / "manifest.json"))
    manifest["steps"]["pii"] = {"status": "running"}
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    victim, survivor = sorted((run_dir / "documents" / lang_folder("sw")).glob("*.parquet"))[:2]
    victim.unlink()
    half = victim.with_name(victim.name + ".tmp-deadbeef")
    half.write_bytes(b"half a shard")
    spill = run_dir / ".tmp-local" / "pii-dead" / "p1-000000-0000.arrow"   # a killed task's spill file
    spill.parent.mkdir(parents=True)
    spill.write_bytes(b"half a spill")
    survivor_mtime = os.stat(survivor).st_mtime_ns
    local.run(config, workers=2, progress=False)
    assert tree(run_dir, "documents", "rejected") == before and not half.exists()
    assert os.stat(survivor).st_mtime_ns == survivor_mtime
    assert not (run_dir / ".tmp-local").exists() and not (run_dir / "steps").exists()
    assert read_json(str(run_dir / "manifest.json"))["steps"]["pii"]["status"] == "complete"


def test_cli_runs_the_local_engine(corpus, capsys):
    from roots.cli import main

    out = corpus / "cli"
    data = yaml.safe_load((corpus / "run.yaml").read_text())
    data.pop("tokenizer"), data.pop("megatron")
    (corpus / "cli.yaml").write_text(yaml.safe_dump(data))
    assert main(["run", str(corpus / "cli.yaml"), "--output", str(out), "--engine", "local", "--workers", "2"]) == 0
    assert read_json(str(out / "manifest.json"))["steps"]["pii"]["status"] == "complete"
    assert "run directory" in capsys.readouterr().out


@pytest.mark.parametrize("config", [
    dict(subshards=8, max_bucket=16, partition_docs=100, band_group_rows=500, heads_chunk=16, pairs_chunk=8),
    dict(exact_key="url", keep_score="q", scope="all"),
    dict(verify=False, threshold=0.7),
], ids=["default", "url-score-all", "unverified"])
def test_dedup_passes_match_the_reference(tmp_path, config, monkeypatch):
    """Dedup's two passes (fingerprints per shard; ranks, groups, buckets, components and fates in spill
    files, several partitions of them; routing per shard) on the corpus
    the Spark dedup is tested on (chains, hot groups and buckets, URL keys, scores, identical records in
    different shards) against the in-process reference that the Beam transform matches."""
    from collections import deque

    from roots.dedup import DedupConfig, deduplicate_local
    from roots.document import documents_to_table
    from roots.rundir import write_shard
    from test_dedup import outcome_key
    from test_spark_parts import mixed_corpus

    from roots.pipelines import local_dedup
    config = dict(config)
    monkeypatch.setattr(local_dedup, "HEADS_CHUNK", config.pop("heads_chunk", local_dedup.HEADS_CHUNK))
    monkeypatch.setattr(local_dedup, "PAIRS_CHUNK", config.pop("pairs_chunk", local_dedup.PAIRS_CHUNK))
    cfg = DedupConfig(**config)
    docs = mixed_corpus()
    paths = []
    for k in range(3):   # identical records (the two "w") land in different shards
        path = str(tmp_path / f"part-{k}.parquet")
        write_shard(documents_to_table(sorted(docs[k::3], key=lambda d: d.id)), path, "parquet")
        paths.append(path)
    specs = local_dedup.prepare(lambda fn, items: [fn(i) for i in items], paths, cfg, None, str(tmp_path / "spill"))
    files = specs[0][0]
    assert (files.parts > 1, files.band_parts > 1) == ((True, True) if cfg.band_group_rows < 1000 else (False, False))
    kept, rejects, counts = [], deque(), {}
    for k, path in enumerate(paths):
        kept += local_dedup.route_shard(local.read_shard(path), specs[k], rejects, counts)
    rejected = [r for _, r in rejects]
    reference = deduplicate_local(docs, cfg)
    assert outcome_key(kept, rejected) == outcome_key(reference.kept, reference.rejected)
    assert sum(n for n, _ in counts.values()) == len(docs) == len(kept) + len(rejected)


def test_a_worker_holds_one_steps_models_at_a_time():
    """What a task sets up stays for the step's later tasks and is released by the first task of another
    step, or when the step's shards are written (phase 2)."""
    made = []

    def make(name):
        made.append(name)
        return object()

    first = local._ready("step-a", "model", lambda: make("a"))
    assert local._ready("step-a", "model", lambda: make("again")) is first and made == ["a"]
    local._ready("step-b", "other", lambda: make("b"))
    assert "model" not in local._READY and set(local._READY) == {"other"}
    local.release()
    assert local._READY == {}
    local._ready("step-b", "other", lambda: make("b2"))   # set up afresh after a release
    assert made == ["a", "b", "b2"]
    local.release()


def test_fork_server_preload_builds_the_declared_languages(tmp_path):
    """The quality stage asks for the spaCy tokenizers of the languages the sources declare (not those
    only LID may find); the fork server's preload module runs the calls and skips one that fails."""
    import pickle

    from roots.filters import words
    from roots.pipelines.local_preload import run_preload
    from roots.pipelines.plan import plan_steps

    data = tmp_path / "fr.jsonl"
    data.write_text('{"text": "Bonjour"}\n', encoding="utf-8")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"name": "t", "output": str(tmp_path / "run"), "sources": [
        {"name": "fr", "format": "jsonl", "path": str(data), "lang": "fr", "license": "CC0"},
        {"name": "crawl", "format": "jsonl", "path": str(data), "license": "CC0"}]}), encoding="utf-8")
    config = load_config(str(cfg))
    calls, modules = local.preload_calls(config, plan_steps(config, False))
    assert [call.args for call in calls] == [(["fr"],)]
    assert {"roots.filters.quality", "roots.pipelines.local"} <= set(modules)
    path = tmp_path / "preload.pickle"
    path.write_bytes(pickle.dumps(calls + [int.from_bytes]))   # the second call fails: skipped
    words._TOKENIZERS.pop("fr", None)
    assert run_preload(str(path)) == 1
    assert "fr" in words._TOKENIZERS
    assert words.SpacyWords("fr").tokenizer is words._TOKENIZERS["fr"]   # built once per process


def test_a_worker_that_dies_fails_the_step_with_one_line(tmp_path):
    """A worker killed mid-task (here it exits; in life the kernel's OOM killer) breaks the pool: the
    driver raises a RootsError saying so instead of waiting forever for the lost task."""
    import pytest

    from roots.errors import RootsError
    from roots.pipelines.local import LocalEngine

    engine = LocalEngine(2, str(tmp_path))
    try:
        assert engine.map(abs, [-1, -2, 3]) == [1, 2, 3]
        with pytest.raises(RootsError, match="worker process of the local engine died"):
            engine.map(os._exit, [3])
    finally:
        engine.close()
