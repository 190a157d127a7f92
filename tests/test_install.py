"""A clean install, as a new user does it: the wheel built from the checkout, installed with its
`notebooks` extra into a fresh virtual environment outside the checkout, then `roots --version`,
`roots doctor`, `roots run` on a copy of the sample corpus, `roots datacard` and the overview notebook
through `jupyter nbconvert --execute`. Nothing is imported from the checkout: every command runs from
a temporary folder with the fresh environment's programs. Needs PyPI (pip's cache is fine)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.dataset as ds
import pytest

import roots

pytestmark = pytest.mark.skipif(os.environ.get("ROOTS_SLOW_TESTS") != "1",
                                reason="installs the wheel from PyPI into a fresh venv (minutes): set ROOTS_SLOW_TESTS=1")

ROOT = Path(__file__).resolve().parents[1]
#: What the wheel is built from (pyproject.toml's package-dir maps the folders into roots).
WHEEL_SOURCES = ("pyproject.toml", "README.md", "roots", "filters", "pipelines", "language_configs")


def sh(args: list[str], cwd: Path, env: dict[str, str], timeout: int = 900) -> subprocess.CompletedProcess:
    """Run a command; fail the test with its output's tail when it fails."""
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh venv (the interpreter's own pip, not upgraded) with the checkout's wheel and its notebooks extra."""
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"   # a copy, so that the build leaves no build/ or egg-info in the checkout
    src.mkdir()
    for name in WHEEL_SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
        else:
            shutil.copy2(ROOT / name, src / name)
    env = clean_env()
    sh([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"), str(src)], tmp, env)
    (wheel,) = (tmp / "dist").glob("roots_corpus-*.whl")
    assert wheel.name == f"roots_corpus-{roots.__version__}-py3-none-any.whl"
    home = tmp / "venv"
    sh([sys.executable, "-m", "venv", str(home)], tmp, env)
    sh([str(home / "bin" / "pip"), "install", "-q", f"{wheel}[notebooks]"], tmp, env)
    return home


def clean_env(venv: Path | None = None) -> dict[str, str]:
    """The environment without this test run's Python settings; the fresh venv's programs first on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    if venv is not None:
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(venv)
    return env


def test_a_fresh_install_runs_the_sample_and_writes_its_data_card(venv, tmp_path):
    work = tmp_path / "work"   # a copy of examples/, outside the checkout
    shutil.copytree(ROOT / "examples", work)
    env = clean_env(venv)
    bin_ = venv / "bin"

    # roots comes from the fresh venv, not from the checkout.
    where = sh([str(bin_ / "python"), "-c", "import roots, sys; print(roots.__file__); print(sys.prefix)"], work, env)
    module, prefix = where.stdout.split()
    assert Path(module).resolve().is_relative_to(venv.resolve()) and Path(prefix).resolve() == venv.resolve()
    assert not Path(module).resolve().is_relative_to(ROOT)

    assert sh([str(bin_ / "roots"), "--version"], work, env).stdout.strip() == f"roots {roots.__version__}"

    doctor = sh([str(bin_ / "roots"), "doctor"], work, env).stdout
    assert f"(pip: {roots.DISTRIBUTION})" in doctor
    state = {line.split("  ")[0].strip(): line for line in doctor.splitlines()[1:]}
    for piece in ("lid.176 model", "roots LID model", "spaCy tokenizers", "kenlm module", "matplotlib",
                  "nbconvert", "ipykernel"):
        assert re.search(r"\s+ok\s+", state[piece]), state[piece]
        assert "site-packages" not in state[piece] or str(venv) in state[piece], state[piece]

    # The whole pipeline on the sample corpus.
    run = work / "RUN"
    sh([str(bin_ / "roots"), "run", "sample.yaml", "--output", str(run)], work, env)
    manifest = json.loads((run / "manifest.json").read_text())
    assert {s: manifest["steps"][s]["status"] for s in manifest["steps"]} == {
        s: "complete" for s in ("templates", "curate", "dedup", "pii", "tokenizer", "megatron")}
    assert manifest["versions"][roots.DISTRIBUTION] == roots.__version__
    kept = ds.dataset(run / "documents", format="parquet", partitioning="hive").to_table(columns=["id", "lang"])
    counted = sum(cell["kept"]["docs"] for cell in manifest["steps"]["pii"]["counts"]["pii"].values())
    assert kept.num_rows == counted > 200
    languages = set(kept.column("lang").to_pylist())
    assert languages == set(manifest["steps"]["pii"]["counts"]["pii"]) and len(languages) > 50
    rejected = ds.dataset(run / "rejected", format="parquet", partitioning="hive").to_table(columns=["reason"])
    curate = manifest["steps"]["curate"]["counts"]
    n_input = sum(cell["input"]["docs"] for cell in curate["ingest"].values())
    assert kept.num_rows + rejected.num_rows == n_input   # every input record kept or rejected
    assert (run / "megatron" / "blend.txt").is_file() and (run / "tokenizer" / "spm.model").is_file()

    # The data card, with its plots.
    sh([str(bin_ / "roots"), "datacard", str(run)], work, env)
    card = (run / "datacard" / "README.md").read_text()
    plots = re.findall(r"\(([^)\s]+\.png)\)", card)
    assert "removal_waterfall.png" in plots and all((run / "datacard" / p).is_file() for p in plots)

    # The notebooks extra: the overview notebook headless with jupyter nbconvert, on this run.
    shutil.copy2(ROOT / "notebooks" / "corpus_overview.ipynb", work / "overview.ipynb")
    sh([str(bin_ / "jupyter"), "nbconvert", "--to", "notebook", "--execute", "overview.ipynb",
        "--output", "overview.out.ipynb"], work, {**env, "ROOTS_RUN_DIR": str(run)})
    book = json.loads((work / "overview.out.ipynb").read_text())
    outputs = [o for c in book["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
    assert outputs and not [o for o in outputs if o["output_type"] == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)
