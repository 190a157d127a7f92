"""benchmarks/e2e.py keeps working: its smallest run (roots, and datatrove when .venv-peers exists) checks
its own outputs and exits 0; its profile summary charges library calls to the roots code calling them."""
from __future__ import annotations

import cProfile
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT / ".venv-peers" / "bin" / "python"
sys.path.insert(0, str(ROOT / "benchmarks"))

import e2e  # noqa: E402
import pytest  # noqa: E402


@pytest.mark.skipif(os.environ.get("ROOTS_SLOW_TESTS") != "1",
                    reason="a whole benchmark run (about a minute, two with datatrove): set ROOTS_SLOW_TESTS=1")
def test_smallest_run_of_both_sides(tmp_path):
    out = tmp_path / "e2e.md"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "e2e.py"), "--sizes", "1", "--base-docs", "120",
                           "--workers", "1", "--roots-engines", "beam1", "--vocab", "3000", "--timeout", "600",
                           "--out", str(out)], capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = out.read_text()
    rows = [cells for cells in (line.split(" | ") for line in report.splitlines()
                                if line.startswith(("| roots |", "| datatrove |"))) if len(cells) == 13]   # the runs table
    sides = [r[0].strip("| ") for r in rows]
    assert sides == (["roots", "datatrove"] if PEERS.exists() else ["roots"])
    for row in rows:
        assert row[-1] == "yes |"                          # the run checked its own outputs
        kept, tokens = int(row[-3].replace(",", "")), int(row[-2].replace(",", ""))
        assert 0 < kept < 120 and tokens > kept            # junk and duplicates went; every kept doc has tokens
        assert float(row[6].replace(",", "")) > 0          # documents per CPU-second
    if PEERS.exists():
        assert "| 1× | 1 |" in report                       # the roots / datatrove ratio row
    assert not (tmp_path / "roots-e2e").exists()          # the temporary work folder is gone


def test_profile_buckets_charge_library_calls_to_their_caller(tmp_path):
    """Self time of built-ins and the standard library called by the normalise stage counts as normalise."""
    from roots.document import Document
    from roots.filters.normalise import Normalise

    stage = Normalise()
    stage.setup()
    docs = [Document(id=f"d{i}", text=f"Line {i} with\r\nspaces and \x07 bells\u0301 " * 50, source="s", lang="en")
            for i in range(2000)]
    profiler = cProfile.Profile(time.process_time)
    profiler.runcall(lambda: [stage(d) for d in docs])
    prof = tmp_path / "p.prof"
    profiler.dump_stats(str(prof))
    import pstats

    stats = pstats.Stats(str(prof)).stats
    shares = e2e.bucket_shares(stats)
    builtins = [f for f in stats if f[0] == "~" and any(c[0].endswith("/filters/normalise.py") for c in stats[f][4])]
    assert builtins, "the normalise stage called no built-in"
    only_normalise = [f for f in builtins if {e2e.direct_bucket(c) for c in stats[f][4]} == {"normalise"}]
    assert only_normalise, builtins
    for func in only_normalise:
        assert shares[func] == {"normalise": 1.0}, func
    total = sum(v[2] for v in stats.values())
    normalise = sum(v[2] * shares[f].get("normalise", 0.0) for f, v in stats.items())
    assert normalise > 0.5 * total
