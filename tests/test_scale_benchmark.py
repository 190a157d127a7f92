"""benchmarks/scale.py keeps working: the smallest run of it, on Beam and Spark, checks its own outputs
(manifest complete, binaries written, counts and shard bytes equal across engines) and exits 0."""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.skipif(os.environ.get("ROOTS_SLOW_TESTS") != "1", reason="about 80 s: set ROOTS_SLOW_TESTS=1"),
    pytest.mark.skipif(importlib.util.find_spec("pyspark") is None or shutil.which("java") is None,
                       reason="pyspark or java is not installed"),
]


def test_scale_benchmark_smallest_run(tmp_path):
    out = tmp_path / "scale.md"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "scale.py"), "--sizes", "1", "--base-docs", "300",
                           "--engines", "beam1,spark", "--timeout", "600", "--out", str(out)],
                          capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = out.read_text()
    assert "| 1× | beam1, spark | yes |" in report and report.rstrip().endswith("| yes |")
