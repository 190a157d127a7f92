"""The notebooks run headless (nbclient) on the sample corpus run, so they cannot rot: the filter tuning
notebook plots, finds documents near thresholds and writes candidates to a temporary language-config
overlay (never the package); the corpus overview draws every plot and writes the data card. Both are stored
without outputs and take their parameters in their first cell."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sample_run import ROOT, sample_run_dir

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

NOTEBOOKS = ROOT / "notebooks"


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory) -> Path:
    return sample_run_dir(tmp_path_factory)


def execute(name: str, cwd: Path):
    book = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = nbclient.NotebookClient(book, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return book


def outputs(book) -> list[dict]:
    return [o for cell in book.cells if cell.cell_type == "code" for o in cell.outputs]


@pytest.mark.parametrize("name", ["filter_tuning", "corpus_overview"])
def test_notebooks_are_stored_clean_with_parameters_first(name):
    book = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(book)
    code = [c for c in book.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    first = book.cells[0]
    assert first.cell_type == "code" and "parameters" in first.metadata.get("tags", [])
    assert 'os.environ.get("ROOTS_RUN_DIR"' in first.source and "RUN_DIR" in first.source
    if name == "filter_tuning":
        assert "LANG =" in first.source


def test_filter_tuning_runs_and_writes_back_to_an_overlay(sample_run, tmp_path, monkeypatch):
    configs = tmp_path / "language_configs"   # the user's overlay folder, made by the write-back
    before = (ROOT / "language_configs" / "en.yaml").read_text(encoding="utf-8")
    monkeypatch.setenv("ROOTS_RUN_DIR", str(sample_run))
    monkeypatch.setenv("ROOTS_LANG", "en")
    monkeypatch.setenv("ROOTS_LANGUAGE_CONFIGS", str(configs))
    monkeypatch.setenv("ROOTS_CANDIDATES", json.dumps({"max_word_repetition": 0.25, "min_words": 30}))
    monkeypatch.setenv("ROOTS_WRITE_BACK", "1")
    book = execute("filter_tuning", tmp_path)
    outs = outputs(book)
    assert not [o for o in outs if o.output_type == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outs) >= 1
    markdown = "\n".join(o["data"]["text/markdown"] for o in outs if "text/markdown" in o.get("data", {}))
    assert "just outside" in markdown and "```diff" in markdown and "+  min_words: {value: 30" in markdown
    after = (configs / "en.yaml").read_text(encoding="utf-8")
    assert "max_word_repetition: {value: 0.25, source: \"tuned by hand on" in after and "min_words: {value: 30" in after
    assert (ROOT / "language_configs" / "en.yaml").read_text(encoding="utf-8") == before  # the real one untouched


@pytest.mark.skipif(os.environ.get("ROOTS_SLOW_TESTS") != "1",
                    reason="a second notebook kernel and the card's plots (about 28 s): set ROOTS_SLOW_TESTS=1")
def test_corpus_overview_runs_and_writes_the_card(sample_run, tmp_path, monkeypatch):
    card_dir = tmp_path / "card"
    monkeypatch.setenv("ROOTS_RUN_DIR", str(sample_run))
    monkeypatch.setenv("ROOTS_CARD_DIR", str(card_dir))
    book = execute("corpus_overview", tmp_path)
    outs = outputs(book)
    assert not [o for o in outs if o.output_type == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outs) >= 5  # waterfall, bytes, statistics
    assert (card_dir / "README.md").is_file() and (card_dir / "removal_waterfall.png").is_file()
    assert "### Quality filters" in (card_dir / "README.md").read_text(encoding="utf-8")   # the section is wired in
    assert (card_dir / "statistic_words.png").is_file()
