"""The local engine on a corpus larger than any of its processes may use (issue 17.2): a kernel-enforced
address-space limit (RLIMIT_AS) on the driver, the fork server and every worker, that binds (a run
below it fails), and a corpus larger than it that runs to the end with nothing lost
(benchmarks/bounded_memory.py; several minutes: slow)."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

pytestmark = pytest.mark.skipif(os.environ.get("ROOTS_SLOW_TESTS") != "1",
                                reason="an 800 MB corpus through the local engine (minutes): set ROOTS_SLOW_TESTS=1")

LIMIT_MB = 640
CORPUS_MB = 800


def test_a_corpus_larger_than_the_memory_limit_runs(tmp_path):
    import bounded_memory as bm

    corpus = tmp_path / "corpus.jsonl"
    docs = bm.generate(corpus, CORPUS_MB)
    assert corpus.stat().st_size > LIMIT_MB * bm.MB

    low = tmp_path / "low"   # the limit binds: far below what a process needs, the run fails
    bm.write_config(tmp_path / "low.json", corpus, low, 8)
    rc, _, _ = bm.run_limited(tmp_path / "low.json", low, 2, 200, tmp_path / "low.log", timeout=300)
    log = (tmp_path / "low.log").read_text()   # Python's MemoryError, or a library's own words for it
    assert rc != 0 and any(m in log for m in ("MemoryError", "Memory allocation", "Cannot allocate memory",
                                              "bad_alloc")), log[-2000:]

    out = tmp_path / "run"
    bm.write_config(tmp_path / "run.json", corpus, out, 8)
    rc, _, monitor = bm.run_limited(tmp_path / "run.json", out, 2, LIMIT_MB, tmp_path / "run.log", timeout=3600)
    assert rc == 0, (tmp_path / "run.log").read_text()[-2000:]
    assert bm.check(out, docs) == []
    assert 0 < monitor.overall.driver < LIMIT_MB * bm.MB and 0 < monitor.overall.worker < LIMIT_MB * bm.MB
    curate = json.loads((out / "stats" / "curate.counts.json").read_text())
    counts = json.loads((out / "stats" / "dedup.counts.json").read_text())
    outcomes = {outcome: n for (stage, _, outcome), (n, _) in counts if stage == "dedup"}
    assert sum(outcomes.values()) == sum(n for (stage, _, o), (n, _) in curate if stage == "normalise" and o == "kept")
    assert outcomes.get("dedup:exact", 0) > 0 and outcomes.get("dedup:near", 0) > 0
