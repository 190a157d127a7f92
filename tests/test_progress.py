"""Progress a person can follow: workers' counts reach the driver's bar, the bar ends at the inputs'
size, each step's table is told in pipeline order (also on resume), and a run's warnings (a source
from which nothing survived) reach the manifest and `--strict`'s exit status."""
from __future__ import annotations

import gzip
import io
import json
import pickle
from pathlib import Path

import apache_beam as beam
import pytest
import yaml

from roots.config import load_config
from roots.pipelines.runner import CURATE, DocumentStepPlan, beam_options, build_document_step, curate_stages, run, step_progress
from roots.progress import ProgressSink, describe, read_counts
from roots.stats import Manifest


def test_sinks_in_other_processes_add_up(tmp_path: Path) -> None:
    """Each unpickled copy (a worker) writes its own file; the driver sums them; input bytes reach
    exactly the unit's size even when its text is larger (a compressed file) or smaller."""
    sink = ProgressSink(str(tmp_path))
    a, b = pickle.loads(pickle.dumps(sink)), pickle.loads(pickle.dumps(sink))
    texts = [type("D", (), {"text": "héllo wörld"})() for _ in range(10)]   # 13 bytes each
    assert list(a.track(iter(texts), input_bytes=50)) == texts
    list(b.track(iter(texts[:3]), input_bytes=1000))
    docs, text, read = read_counts(str(tmp_path))
    assert (docs, text, read) == (13, 13 * 13, 1050)


def test_describe_says_rate_and_eta() -> None:
    line = describe("curate", 1200, 25_000_000, 100_000_000, 10.0)
    assert line == "curate: 1,200 documents, 25.0 MB of 100.0 MB (25%), 2.5 MB/s, ETA 0:00:30"


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    rows = [{"id": f"sw{i}", "text": f"Habari {i}: mvua ilinyesha sana katika kijiji chetu jana jioni."} for i in range(60)]
    (data / "sw.jsonl.gz").write_bytes(gzip.compress(b"".join(json.dumps(r).encode() + b"\n" for r in rows), mtime=0))
    (data / "fr.jsonl").write_bytes(b"".join(json.dumps({"body": f"Bonjour {i}, il fait beau."}).encode() + b"\n"
                                             for i in range(5)))
    config = {"name": "t", "output": str(tmp_path / "run"), "quality": {"enabled": False},
              "sources": [{"name": "sw", "format": "jsonl", "path": "data/sw.jsonl.gz", "lang": "sw", "id_field": "id"},
                          {"name": "fr", "format": "jsonl", "path": "data/fr.jsonl", "lang": "fr"}]}
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(config))
    return tmp_path


def test_the_bar_of_a_real_beam_step_ends_at_the_inputs_size(corpus: Path) -> None:
    config = load_config(corpus / "run.yaml")
    manifest = Manifest(str(corpus / "manifest.json"), {}, "h")
    plan = DocumentStepPlan(CURATE, curate_stages(config))
    out = io.StringIO()
    with step_progress(plan, config, manifest, None, enabled=True, file=out) as bar:
        with beam.Pipeline(options=beam_options([])) as pipeline:
            build_document_step(pipeline, plan, config, final=True, progress=bar)
    sizes = [(corpus / "data" / name).stat().st_size for name in ("sw.jsonl.gz", "fr.jsonl")]
    assert bar.total == sum(sizes)
    assert (bar.documents, bar.bytes) == (65, sum(sizes))   # every record read, every input byte accounted
    shown = out.getvalue().replace("\r", "\n").strip().splitlines()[-1]
    assert shown.startswith("curate: 100%") and "65 docs" in shown


def test_tables_in_pipeline_order_and_warnings(corpus: Path) -> None:
    """`on_step` hears the steps in order, also when resumed; the source whose records all lack the
    text field is a warning naming the reason and the field."""
    config = load_config(corpus / "run.yaml")
    heard: list[tuple[str, bool]] = []
    manifest = run(config, on_step=lambda name, info, skipped: heard.append((name, skipped)))
    assert heard == [("curate", False), ("dedup", False), ("pii", False)]
    assert manifest.warnings == ["source 'fr': nothing survived of 5 records: bad_input:missing_field 5 "
                                 "(is text_field 'text' the records' text field?)"]
    saved = json.loads(Path(manifest.path).read_text())
    assert saved["warnings"] == manifest.warnings and saved["steps"]["pii"]["sources"] == {"sw": 60}
    heard.clear()
    run(config, on_step=lambda name, info, skipped: heard.append((name, skipped)))
    assert heard == [("curate", True), ("dedup", True), ("pii", True)]


def test_strict_exits_2_on_warnings(corpus: Path, capsys) -> None:
    from roots.cli import main

    assert main(["run", str(corpus / "run.yaml"), "--strict"]) == 2
    err = capsys.readouterr().err
    assert "warning: source 'fr': nothing survived" in err and "--strict" in err
    assert main(["run", str(corpus / "run.yaml")]) == 0   # resumed, the same warning, no --strict
