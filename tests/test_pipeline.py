"""The Beam curate step end to end on small data written here: counts add up, nothing is lost,
outputs are byte-identical across runs and worker counts, and a crashed run resumes."""
from __future__ import annotations

import gzip
import json
import os
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from roots.config import load_config
from roots.io.base import SourceError
from roots.pipelines.runner import run
from roots.rundir import lang_folder, read_json
from roots.stats import ManifestError, totals


def shard_files(run_dir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(run_dir)): p.read_bytes()
            for p in sorted(run_dir.rglob("*")) if p.is_file() and p.parts[len(run_dir.parts)] in ("documents", "rejected")}


def rows(run_dir: Path, kind: str) -> list[dict]:
    out = []
    for path in sorted((run_dir / kind).rglob("*.parquet")):
        out.extend(pq.read_table(path).to_pylist())
    return out


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    """Two languages across three formats, with every kind of bad record the issue names."""
    data = tmp_path / "data"
    data.mkdir()
    sw = [{"id": f"sw{i}", "text": f"Habari {i}: mvua ilinyesha sana katika kijiji chetu jana jioni."} for i in range(40)]
    (data / "sw.jsonl.gz").write_bytes(gzip.compress(
        b"".join(json.dumps(r).encode() + b"\n" for r in sw), mtime=0))
    (data / "fr.jsonl").write_bytes(
        b"".join(json.dumps({"text": f"Bonjour {i}, il fait beau aujourd'hui a Lyon."}).encode() + b"\n" for i in range(30))
        + b'{"text": "broken\n[1]\n{"title": "no text"}\n{"text": 3.5}\n{"text": "\\u0000 "}\n'
        + b'{"text": "\xff\xfe"}\n{"text": "\\ud800 lone"}\n')
    (data / "empty.jsonl").write_bytes(b"")
    (data / "docs").mkdir()
    (data / "docs" / "a.txt").write_text("Une page de texte en français.", encoding="utf-8")
    (data / "docs" / "b.txt").write_bytes("caf\xe9".encode("latin-1"))
    config = {
        "name": "t", "output": str(tmp_path / "run"), "shard_target_mb": 0.001,
        "quality": {"enabled": False},   # these tests are about the engine; the filters have their own
        "sources": [
            {"name": "sw", "format": "jsonl", "path": "data/sw.jsonl.gz", "lang": "sw", "id_field": "id"},
            {"name": "fr", "format": "jsonl", "path": "data/*.jsonl", "lang": "fr"},
            {"name": "docs", "format": "text", "path": "data/docs", "lang": "fr"},
        ],
    }
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(config))
    return tmp_path


def test_counts_add_up_and_match_the_shards(corpus):
    config = load_config(str(corpus / "run.yaml"))
    manifest = run(config)
    run_dir = corpus / "run"
    counts = manifest.steps["curate"]["counts"]
    assert list(counts) == ["ingest", "normalise"]
    ingest, norm = totals(counts["ingest"]), totals(counts["normalise"])
    # fr.jsonl: 30 good, 5 bad at ingest, 2 that only normalise rejects; docs/: one good, one Latin-1.
    assert ingest == {"input": 40 + 37 + 2, "kept": 40 + 30 + 2 + 1, "rejected": 5 + 1}
    assert norm == {"input": ingest["kept"], "kept": 71, "rejected": 2}
    for stage in counts.values():
        for cell in stage.values():
            assert cell["input"]["docs"] == cell["kept"]["docs"] + sum(r["docs"] for r in cell["rejected"].values())
    assert counts["ingest"]["fr"]["rejected"] == {
        "bad_input:broken_json": {"docs": 1, "bytes": 16}, "bad_input:invalid_utf8": {"docs": 2, "bytes": 18 + 6},
        "bad_input:missing_field": {"docs": 1, "bytes": 0}, "bad_input:not_an_object": {"docs": 1, "bytes": 3},
        "bad_input:wrong_type": {"docs": 1, "bytes": 3}}
    assert set(counts["normalise"]["fr"]["rejected"]) == {"bad_input:empty_text", "bad_input:invalid_utf8"}

    kept, rejected = rows(run_dir, "documents"), rows(run_dir, "rejected")
    assert len(kept) == 71 and len(rejected) == 6 + 2   # every record in exactly one place
    assert len({r["id"] for r in kept + rejected}) == len(kept) + len(rejected)
    # Small shards were asked for: several per language, each sorted by id, all of one count.
    sw_shards = sorted((run_dir / "documents" / lang_folder("sw")).glob("*.parquet"))
    assert len(sw_shards) > 1 and all(p.name.endswith(f"-of-{len(sw_shards):05d}.parquet") for p in sw_shards)
    assert not (run_dir / ".tmp-beam-runs").exists()   # the two-phase writer's run files went with the step
    for path in sw_shards:
        ids = pq.read_table(path).column("id").to_pylist()
        assert ids == sorted(ids)
    assert {p.name for p in (run_dir / "rejected").iterdir()} == {"stage=ingest", "stage=normalise"}
    meta = json.loads(next(r for r in kept if r["id"] == "sw/sw3")["meta"])
    assert meta == {"file": "sw.jsonl.gz", "record": 4, "pii": []}


def test_byte_identical_across_runs_and_workers(corpus):
    first = load_config(str(corpus / "run.yaml"))
    run(first)
    second = load_config(str(corpus / "run.yaml"), output=str(corpus / "run2"))
    run(second, ["--direct_num_workers", "2", "--direct_running_mode", "multi_processing"])
    a, b = shard_files(corpus / "run"), shard_files(corpus / "run2")
    assert a and a == b


def test_resume_after_a_crash_keeps_finished_shards(corpus, monkeypatch):
    import roots.pipelines.runner as runner

    config = load_config(str(corpus / "run.yaml"))
    with monkeypatch.context() as crashed:   # the process dies before the run's end removes steps/
        crashed.setattr(runner, "remove_intermediate", lambda config: None)
        run(config)
    run_dir = corpus / "run"
    before = shard_files(run_dir)
    # Simulate a crash mid-step: the step is marked running, one shard is missing, a half file is left.
    manifest = read_json(str(run_dir / "manifest.json"))
    last = list(manifest["steps"])[-1]
    manifest["steps"][last] = {"status": "running"}
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    victim, survivor = sorted((run_dir / "documents" / lang_folder("sw")).glob("*.parquet"))[:2]
    victim.unlink()
    half = victim.with_name(victim.name + ".tmp-deadbeef")
    half.write_bytes(b"half a shard")
    survivor_mtime = os.stat(survivor).st_mtime_ns
    run(config)
    assert shard_files(run_dir) == before and not half.exists()
    assert os.stat(survivor).st_mtime_ns == survivor_mtime          # finished shards were not rewritten
    assert read_json(str(run_dir / "manifest.json"))["steps"][last]["status"] == "complete"
    assert not (run_dir / "steps").exists()                         # the finished run removed them


def test_rerun_of_a_complete_run_does_nothing_and_another_config_is_refused(corpus):
    config = load_config(str(corpus / "run.yaml"))
    run(config)
    stamp = os.stat(corpus / "run" / "manifest.json").st_mtime_ns
    run(config)
    assert os.stat(corpus / "run" / "manifest.json").st_mtime_ns == stamp
    data = yaml.safe_load((corpus / "run.yaml").read_text())
    data["shard_target_mb"] = 5
    (corpus / "other.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(ManifestError, match="holds another run .its config changed since"):
        run(load_config(str(corpus / "other.yaml")))


def test_a_changed_input_is_refused_not_mixed(corpus):
    """Issue 15: inputs or thresholds changed between a crash and the rerun once mixed two runs' shards.
    (Changed language configs recompute the steps that read them: tests/test_overlay.py.)"""
    config = load_config(str(corpus / "run.yaml"))
    run(config)
    source = sorted(p for p in (corpus / "data").rglob("*") if p.is_file())[0]
    source.write_bytes(source.read_bytes() + b"\n")                  # same config, one input changed
    with pytest.raises(ManifestError, match="its inputs changed since"):
        run(config)


def test_missing_source_path_fails_before_any_work(corpus):
    data = yaml.safe_load((corpus / "run.yaml").read_text())
    data["sources"].append({"name": "gone", "format": "jsonl", "path": "data/nothing-here/*.jsonl"})
    (corpus / "bad.yaml").write_text(yaml.safe_dump(data))
    config = load_config(str(corpus / "bad.yaml"), output=str(corpus / "bad-run"))
    with pytest.raises(SourceError, match="source 'gone': no files match"):
        run(config)
    assert not (corpus / "bad-run" / "documents").exists()


class ShortTextFilter:
    """A batched stage written for this test: rejects texts under 50 characters, records batch sizes."""

    name = "short"
    batch_size = 7

    def setup(self) -> None:
        self.sizes: list[int] = []

    def process_batch(self, docs):
        from roots.document import Rejection
        self.sizes.append(len(docs))
        return [Rejection(d, REASON, "short") if len(d.text) < 50 else d for d in docs]

    def __call__(self, doc):
        return self.process_batch([doc])[0]


from roots.document import Reason, register_reason  # noqa: E402

REASON = register_reason(Reason("quality", "test_short", "shorter than 50 characters (test stage)"))


def test_batched_stage_in_beam_and_locally(corpus):
    from roots.filters.normalise import Normalise
    from roots.pipelines.runner import run_curate
    from roots.stage import run_stages
    from roots.stats import Manifest
    from roots.io.formats import FORMATS

    config = load_config(str(corpus / "run.yaml"))
    manifest = Manifest.open(config.output, config.to_dict(), config.hash())
    result = run_curate(config, manifest, [], stages=[Normalise(), ShortTextFilter()])
    short = totals(result.counts["short"])
    assert short["input"] == 71 and short["rejected"] > 0 and short["kept"] + short["rejected"] == 71
    kept = rows(corpus / "run", "documents")
    assert len(kept) == short["kept"] and all(len(r["text"]) >= 50 for r in kept)
    # The local engine gives the same split.
    records = (r for spec in config.sources for u in FORMATS[spec.format].expand(spec)
               for r in FORMATS[spec.format].read(spec, u))
    outcomes = list(run_stages([Normalise(), ShortTextFilter()], records))
    assert sorted(d.id for stage, d in outcomes if stage == "") == sorted(r["id"] for r in kept)
    assert sum(1 for stage, _ in outcomes if stage == "short") == short["rejected"]


def test_two_steps_hand_over_through_shards(corpus):
    from roots.filters.normalise import Normalise
    from roots.pipelines.runner import DocumentStepPlan

    config = load_config(str(corpus / "run.yaml"))
    plans = [DocumentStepPlan("first", [Normalise()]), DocumentStepPlan("second", [ShortTextFilter()], after="first")]
    manifest = run(config, plans=plans)
    run_dir = corpus / "run"
    first = manifest.steps["first"]["counts"]
    second = manifest.steps["second"]["counts"]
    assert list(second) == ["short"]
    assert totals(second["short"])["input"] == totals(first["normalise"])["kept"] == 71
    assert not (run_dir / "steps").exists()   # the documents between steps go once the run completes
    kept = rows(run_dir, "documents")
    assert len(kept) == totals(second["short"])["kept"] and all(len(r["text"]) >= 50 for r in kept)
    assert {p.name for p in (run_dir / "rejected").iterdir()} == {"stage=ingest", "stage=normalise", "stage=short"}


def test_template_lines_are_counted_per_source_then_removed(tmp_path):
    footer = "Tous droits réservés, Journal de Lyon 2024"
    records = [{"text": f"Article {i}: le marché de la place {i} ouvre à huit heures.\n{footer}"} for i in range(12)]
    (tmp_path / "news.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                                         encoding="utf-8")
    (tmp_path / "other.jsonl").write_text(json.dumps({"text": f"Un seul texte.\n{footer}"}, ensure_ascii=False) + "\n",
                                          encoding="utf-8")
    (tmp_path / "run.yaml").write_text(yaml.safe_dump({
        "name": "t", "output": str(tmp_path / "run"), "quality": {"enabled": False},
        "cleaning": {"sources": {"news": ["dedup_template"]}},
        "sources": [{"name": "news", "format": "jsonl", "path": "news.jsonl", "lang": "fr"},
                    {"name": "other", "format": "jsonl", "path": "other.jsonl", "lang": "fr"}]}))
    manifest = run(load_config(str(tmp_path / "run.yaml")))
    assert manifest.steps["templates"]["sources"] == {"news": 1}
    kept = rows(tmp_path / "run", "documents")
    texts = {r["source"]: r["text"] for r in kept}
    assert all(footer not in r["text"] for r in kept if r["source"] == "news")
    assert texts["other"].endswith(footer)                      # only the source that asked for it
    assert len([r for r in kept if r["source"] == "news"]) == 12
