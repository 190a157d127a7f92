"""benchmarks/curation_quality.py: its labelled set resolves against the shared data (every reference
exists and its text has the recorded SHA-1), and both sides run on a handful of its documents."""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
PEERS = ROOT / ".venv-peers" / "bin" / "python"

pytestmark = pytest.mark.skipif(not (DATA / "web" / "oscar2019_dummy.jsonl").exists(), reason=f"no shared data at {DATA}")


@pytest.fixture(scope="module")
def cq():
    spec = importlib.util.spec_from_file_location("curation_quality", ROOT / "benchmarks" / "curation_quality.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["curation_quality"] = module
    spec.loader.exec_module(module)
    return module


def test_labelled_set_resolves(cq):
    rows = cq.read_labels()
    assert len(rows) > 800
    assert {r["set"] for r in rows} == set(cq.SETS)
    ids = [cq.doc_id(r) for r in rows]
    assert len(ids) == len(set(ids)), "a document is labelled twice"
    items = cq.load_items(rows, cq.Resolver(DATA), check=True)   # raises on a missing reference or SHA-1
    from roots.languages import load_registry
    codes = set(load_registry().codes)
    for row, item in zip(rows, items):
        assert item.text.strip() or row["label"] == "junk", cq.doc_id(row)
        if row["label"] != "wrong_language" and row["lang"]:
            assert row["lang"] in codes, f"{cq.doc_id(row)}: {row['lang']} is not a registry code"
        if row["label"] == "wrong_language":
            assert row["lang"] not in codes, f"{cq.doc_id(row)}: labelled wrong_language but {row['lang']} is ours"


def test_article_parts_are_deterministic_and_disjoint(cq):
    resolver = cq.Resolver(DATA)
    page = sorted(resolver.truth())[0]
    good, junk = resolver.article(page)
    again = cq.article_parts(__import__("gzip").open(DATA / cq.ARTICLES / "html" / f"{page}.html.gz").read(),
                             resolver.truth()[page]["articleBody"])
    assert (good, junk) == again
    first_paragraph = next(p for p in good.split("\n") if len(p) > 80)
    assert first_paragraph not in junk


def test_halves_are_fixed_and_keep_a_page_together(cq):
    """The dev / held-out split depends on the document id only (an article page's two parts on the
    page), so it does not move when rows are added or reordered; every set and label is in both."""
    rows = cq.read_labels()
    halves = [cq.split_half(r) for r in rows]
    assert halves == [cq.split_half(dict(r)) for r in reversed(rows)][::-1]
    by_page: dict[str, set[str]] = {}
    for row, half in zip(rows, halves):
        if row["set"] == "article":
            by_page.setdefault(row["page"], set()).add(half)
    assert all(len(h) == 1 for h in by_page.values())
    for key in {(r["set"], r["label"]) for r in rows if r["set"] != "wet"}:
        got = {h for r, h in zip(rows, halves) if (r["set"], r["label"]) == key}
        assert got == {"dev", "held-out"}, key
    assert 0.4 < halves.count("dev") / len(rows) < 0.6


def _handful(cq, tmp_path) -> Path:
    rows = cq.read_labels()
    picked, seen = [], set()
    for row in rows:                      # one of each (set, label)
        key = (row["set"], row["label"])
        if key not in seen:
            seen.add(key)
            picked.append(row)
    path = tmp_path / "labels.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in picked), encoding="utf-8")
    return path


def test_roots_side_runs_on_a_handful(cq, tmp_path):
    labels = _handful(cq, tmp_path)
    out = tmp_path / "out"
    assert cq.main(["--labels", str(labels), "--skip", "datatrove", "--no-lid-model", "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())["results"]["roots"]
    assert results["checkpoints"][-1] == "final"
    assert any(c.startswith("lid:") for c in results["checkpoints"])
    decisions = [json.loads(line) for line in (out / "decisions.jsonl").read_text().splitlines()]
    assert len(decisions) == len(labels.read_text().splitlines())
    assert all("kept" in d["roots"] for d in decisions)
    left, total = json.loads((out / "results.json").read_text())["junk_chars_left"]["roots"]
    assert total > 0 and 0 <= left <= total
    kept, total = json.loads((out / "results.json").read_text())["good_chars_kept"]["roots"]
    assert total > 0 and 0 <= kept <= total


def test_junk_characters_left_count_what_kept_junk_keeps(cq):
    """Junk text left in the output: the kept junk documents' output characters over the input characters
    of all junk documents; good and wrong-language documents do not count."""
    items = [cq.Item("a", "oscar", "junk", "", "x" * 100), cq.Item("b", "oscar", "junk", "", "y" * 50),
             cq.Item("c", "oscar", "wrong_language", "", "z" * 50), cq.Item("d", "oscar", "good", "en", "w" * 70)]
    traces = {"a": cq.Trace(["s"], [True], ["en"], chars_out=40), "b": cq.Trace(["s"], [False], [""]),
              "c": cq.Trace(["s"], [True], ["fr"], chars_out=50), "d": cq.Trace(["s"], [True], ["en"], chars_out=70)}
    assert cq.junk_chars(items, traces) == [40, 150]


def test_good_characters_kept_count_the_right_language_only(cq):
    """Good text kept: the kept good documents' output characters (capped at their input) in the right
    language, over the input characters of all good documents."""
    items = [cq.Item("a", "oscar", "good", "en", "x" * 100), cq.Item("b", "oscar", "good", "fr", "y" * 50),
             cq.Item("c", "oscar", "good", "sw", "z" * 30), cq.Item("d", "oscar", "good", "en", "w" * 20),
             cq.Item("e", "oscar", "junk", "", "v" * 70)]
    traces = {"a": cq.Trace(["s"], [True], ["en"], chars_out=60),   # lines removed: 60 of 100 stay
              "b": cq.Trace(["s"], [True], ["es"], chars_out=50),   # kept in the wrong language
              "c": cq.Trace(["s"], [False], [""]),                   # rejected
              "d": cq.Trace(["s"], [True], ["en"], chars_out=21),   # normalisation lengthened it
              "e": cq.Trace(["s"], [True], ["en"], chars_out=70)}
    assert cq.good_chars(items, traces) == [80, 200]


@pytest.mark.skipif(not PEERS.exists(), reason="no .venv-peers (pip install -r benchmarks/peers.txt)")
def test_datatrove_side_runs_on_a_handful(cq, tmp_path):
    labels = _handful(cq, tmp_path)
    out = tmp_path / "out"
    assert cq.main(["--labels", str(labels), "--skip", "roots", "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())["results"]["datatrove"]
    assert results["checkpoints"][0] == "lid:LanguageFilter"
