"""The bundled sample corpus run once per test session, shared by the data card, tuning and notebook
tests (each file's session fixture calls `sample_run_dir`; the first call runs the pipeline)."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "sample.yaml"
_RUNS: dict[str, Path] = {}


def sample_run_dir(tmp_path_factory) -> Path:
    """`roots run examples/sample.yaml` into the session's temporary folder (once); its run directory."""
    from roots.config import load_config
    from roots.pipelines.runner import run

    key = str(tmp_path_factory.getbasetemp())
    if key not in _RUNS:
        out = tmp_path_factory.mktemp("sample-corpus") / "run"
        run(load_config(str(SAMPLE), output=str(out)))
        _RUNS[key] = out
    return _RUNS[key]
