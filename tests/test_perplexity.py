"""KenLM + SentencePiece perplexity (roots/perplexity.py): `roots lm train` on FLORES train sentences,
real sentences scoring far lower than the same sentences shuffled, deterministic models, the perplexity
filter and SentencePiece words in the quality stage. Skips without ../shared/data or without lmplz."""
from __future__ import annotations

import gzip
import importlib.util
import json
import math
import sys
import random
import statistics
from pathlib import Path

import pytest

import roots.cli as cli
import roots.perplexity as perplexity
from roots.document import Document, Rejection
from roots.filters.quality import Quality, QualityConfig
from roots.perplexity import PerplexityError, PerplexityModel, normalise_for_lm, perplexity_from_scores

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FLORES = DATA / "flores"


def test_normalisation_as_roots_and_ccnet():
    # non-printing characters go, digits become 0, Unicode punctuation becomes ASCII, spaces collapse
    assert normalise_for_lm("Le «chat» a 12 ans…\u0007  ok") == 'Le "chat" a 00 ans... ok'
    assert normalise_for_lm("你好，世界！") == "你好,世界!"
    assert normalise_for_lm("  two\tlines \n ٣ here ") == "two lines\n0 here"  # Arabic-Indic digit too
    assert normalise_for_lm("ABC", lowercase=True) == "abc"


def test_perplexity_formula():
    # 10 ** (-sum(log10 p) / sum(pieces + 1)): log10 sum -6 over 3 tokens -> 10 ** 2
    assert perplexity_from_scores(-6.0, 3) == 100.0
    assert perplexity_from_scores(-1.0, 4) == round(10 ** 0.25, 1)


def test_missing_lmplz_is_a_one_line_error(monkeypatch, tmp_path):
    monkeypatch.setattr(perplexity.shutil, "which", lambda *a, **k: None)
    with pytest.raises(PerplexityError, match=r"lmplz not found .*tools/build_kenlm\.sh"):
        perplexity.train(["some text"], str(tmp_path / "lm"), perplexity.LMSettings("en"))


def test_missing_model_folder_is_a_one_line_error(tmp_path):
    with pytest.raises(PerplexityError, match=r"lm\.json: no language model here"):
        PerplexityModel(tmp_path)


def _sentences(split: str, flores: str) -> list[str]:
    path = FLORES / f"flores200_{split}.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [r["text"] for r in map(json.loads, fh) if r["flores"] == flores]


@pytest.fixture(scope="module")
def lm_dir(tmp_path_factory) -> Path:
    """English and Simplified Chinese models trained by `roots lm train` on FLORES train sentences."""
    if not FLORES.is_dir():
        pytest.skip("no ../shared/data")
    try:
        perplexity.find_program("lmplz")
        perplexity.find_program("build_binary")
    except PerplexityError:
        pytest.skip("lmplz/build_binary not built (tools/build_kenlm.sh)")
    root = tmp_path_factory.mktemp("lm")
    for code, flores, vocab in (("en", "eng_Latn", "2000"), ("zh-Hans", "zho_Hans", "3000")):
        text = root / f"{code}.txt"
        text.write_text("\n".join(_sentences("train", flores)) + "\n", encoding="utf-8")
        assert cli.main(["lm", "train", "--lang", code, "--input", str(text), "--output",
                         str(root / "models" / code), "--vocab-size", vocab, "--memory", "200M"]) == 0
    return root / "models"


def _shuffled(sentence: str, rng: random.Random) -> str:
    words = sentence.split()
    rng.shuffle(words)
    return " ".join(words)


def test_real_sentences_score_far_lower_than_shuffled(lm_dir):
    model = PerplexityModel(lm_dir / "en")
    rng = random.Random(0)
    for split in ("train", "dev"):  # the sentences it learnt from, and held-out ones
        real = _sentences(split, "eng_Latn")[:200]
        shuffled = [_shuffled(s, rng) for s in real]
        a, b = model.score_many(real), model.score_many(shuffled)
        lower = sum(x < y for x, y in zip(a, b)) / len(a)
        assert lower >= 0.95, split
        assert statistics.median(b) / statistics.median(a) >= (5 if split == "train" else 1.5), split


def test_training_is_deterministic(lm_dir, tmp_path):
    text = tmp_path / "en.txt"
    text.write_text("\n".join(_sentences("train", "eng_Latn")) + "\n", encoding="utf-8")
    settings = perplexity.LMSettings("en", vocab_size=2000, memory="200M")
    perplexity.train(perplexity.read_training_text([str(text)]), str(tmp_path / "again"), settings)
    for name in ("sp.model", "lm.binary", "lm.json"):
        assert (tmp_path / "again" / name).read_bytes() == (lm_dir / "en" / name).read_bytes(), name


def test_perplexity_filter_in_the_quality_stage(lm_dir):
    rng = random.Random(1)
    dev = _sentences("dev", "eng_Latn")
    real = [" ".join(dev[i:i + 5]) for i in range(0, 50, 5)]
    shuffled = [_shuffled(t, rng) for t in real]
    model = PerplexityModel(lm_dir / "en")
    # a cut-off between the two medians (geometric mean), as one would tune it on held-out text
    cut = round((statistics.median(model.score_many(real)) * statistics.median(model.score_many(shuffled))) ** 0.5)
    stage = Quality(QualityConfig(lm_dir=str(lm_dir), languages={"en": {"max_perplexity": cut}}))
    stage.setup()
    outcomes = stage.process_batch([Document(f"r{i}", t, "en") for i, t in enumerate(real)]
                                   + [Document(f"s{i}", t, "en") for i, t in enumerate(shuffled)])
    kinds = [o.reason.code if isinstance(o, Rejection) else "kept" for o in outcomes]
    assert kinds[:10].count("kept") >= 7
    assert kinds[10:].count("quality:perplexity") >= 8
    assert all((o.doc if isinstance(o, Rejection) else o).meta["perplexity"] > 0 for o in outcomes)
    report = stage.report(["en"])["languages"]["en"]
    assert report["filters"]["perplexity"]["on"] and report["perplexity_model"] == str(lm_dir / "en")


def test_chinese_words_are_sentencepiece_pieces(lm_dir):
    stage = Quality(QualityConfig(lm_dir=str(lm_dir)))
    stage.setup()
    sentence = _sentences("dev", "zho_Hans")[0]
    out = stage(Document("z", sentence, "zh-Hans"))
    words = stage._loaded["zh-Hans"].words.words(sentence)
    assert any(len(w) > 1 for w in words)  # pieces, not single characters
    assert (out.doc if isinstance(out, Rejection) else out).meta["quality"]["words"] == len(words)
    assert stage.report(["zh-Hans"])["languages"]["zh-Hans"]["words"].startswith("sentencepiece:")


def test_lm_score_command(lm_dir, tmp_path, capsys, monkeypatch):
    src = tmp_path / "docs.jsonl"
    src.write_text(json.dumps({"text": "The cat sat on the mat."}) + "\n" + json.dumps({"text": "  "}) + "\n")
    assert cli.main(["lm", "score", "--model", str(lm_dir / "en"), "--input", str(src)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and float(lines[0]) > 1 and lines[1] == "-"


def test_percentile_interpolation():
    values = [10.0, 20.0, 30.0, 40.0, 50.0]
    assert perplexity.percentile(values, 0) == 10.0 and perplexity.percentile(values, 100) == 50.0
    assert perplexity.percentile(values, 50) == 30.0
    assert perplexity.percentile(values, 90) == 46.0  # between 40 and 50, as numpy's default
    assert perplexity.percentile([7.0], 99.9) == 7.0


def test_held_back_distribution_and_cutoff(lm_dir):
    manifest = perplexity.read_manifest(lm_dir / "en")
    ref, pct = manifest["reference"], manifest["reference_percentiles"]
    assert ref["documents"] == 70 and "every 10th" in ref["text"]  # 701 sentences: the 10th, 20th, ... 700th
    assert manifest["training"]["lines"] == 631
    assert set(pct) == {f"{p:g}" for p in perplexity.REFERENCE_PERCENTILES}
    values = [pct[f"{p:g}"] for p in perplexity.REFERENCE_PERCENTILES]
    assert values == sorted(values) and values[0] > 1
    model = PerplexityModel(lm_dir / "en")
    assert model.cutoff(95) == pct["95"] and model.cutoff(50) == ref["median"]
    assert pct["95"] <= model.cutoff(95.5) <= pct["96"]
    fit = manifest["reference_log"]   # the log-normal that thin tails are read from
    assert abs(math.exp(fit["mean"]) - ref["median"]) / ref["median"] < 0.15 and 0 < fit["sd"] < 1
    assert model.cutoff(99.5) > pct["99.5"]   # 70 documents: 0.35 of one lies beyond the 99.5th
    with pytest.raises(PerplexityError, match="outside the stored 0..100"):
        model.cutoff(101)


def test_thin_tail_cutoff_reads_a_log_normal_fit():
    """A percentile beyond which fewer than two reference documents lie is not the sample's maximum:
    the cut-off is then the log-normal quantile when that is larger (70 documents: the 99.5th is
    their largest, which keeps 98.6% of such text in expectation); thicker tails are read off the
    sample as before, and a manifest without `reference_log` is fitted from its stored percentiles."""
    rng = random.Random(1)
    scores = sorted(math.exp(rng.gauss(5.0, 0.4)) for _ in range(70))
    manifest = {"reference": {"samples": 70},
                "reference_percentiles": {f"{p:g}": perplexity.percentile(scores, p) for p in perplexity.REFERENCE_PERCENTILES},
                "reference_log": perplexity.log_normal_fit(scores)}
    fit = manifest["reference_log"]
    assert abs(fit["mean"] - 5.0) < 0.15 and abs(fit["sd"] - 0.4) < 0.1
    empirical = perplexity.reference_cutoff(manifest["reference_percentiles"], 99.5)
    expected = round(math.exp(fit["mean"] + 2.5758 * fit["sd"]), 1)
    assert abs(perplexity.manifest_cutoff(manifest, 99.5) - expected) <= 0.2 and expected > empirical
    assert perplexity.manifest_cutoff(manifest, 95) == perplexity.reference_cutoff(manifest["reference_percentiles"], 95)
    cuts = [perplexity.manifest_cutoff(manifest, p) for p in (90, 95, 97, 99, 99.5, 99.9, 100)]
    assert cuts == sorted(cuts)   # never falls as the percentile rises (the 100th is read as the 99.9th)
    big = {**manifest, "reference": {"samples": 100_000}}   # a large reference: its own tail
    assert perplexity.manifest_cutoff(big, 99.5) == empirical
    older = {k: v for k, v in manifest.items() if k != "reference_log"}
    assert abs(perplexity.manifest_cutoff(older, 99.5) - expected) / expected < 0.05


def test_model_without_distribution_has_no_cutoff(lm_dir, tmp_path):
    """A model trained by an older version (no `reference_percentiles`): a one-line error naming it."""
    old = tmp_path / "old"
    old.mkdir()
    for name in ("sp.model", "lm.binary"):
        (old / name).write_bytes((lm_dir / "en" / name).read_bytes())
    manifest = perplexity.read_manifest(lm_dir / "en")
    del manifest["reference_percentiles"], manifest["reference"]
    (old / "lm.json").write_text(json.dumps(manifest))
    model = PerplexityModel(old)  # still loads and scores
    assert model.score("The cat sat on the mat.") > 1
    with pytest.raises(PerplexityError, match=f"{old}: the model stores no reference perplexities"):
        model.cutoff(95)


def test_heldout_file_and_group(lm_dir, tmp_path):
    train_txt, dev_txt = tmp_path / "train.txt", tmp_path / "dev.txt"
    train_txt.write_text("\n".join(_sentences("train", "eng_Latn")) + "\n", encoding="utf-8")
    dev_txt.write_text("\n".join(_sentences("dev", "eng_Latn")) + "\n", encoding="utf-8")
    out = tmp_path / "m"
    assert cli.main(["lm", "train", "--lang", "en", "--input", str(train_txt), "--heldout", str(dev_txt),
                     "--group", "3", "--output", str(out), "--vocab-size", "2000", "--memory", "100M"]) == 0
    manifest = perplexity.read_manifest(out)
    assert manifest["training"]["lines"] == 701  # nothing held back from --input
    ref = manifest["reference"]
    assert ref["documents"] == 99 and ref["group"] == 3 and ref["samples"] == perplexity.GROUP_SAMPLES
    assert "--heldout" in manifest["reference"]["text"]


def _benchmark():
    """benchmarks/perplexity.py, for its evaluation sets (article boilerplate, OSCAR labels, our junk)."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "perplexity.py"
    spec = importlib.util.spec_from_file_location("roots_benchmark_perplexity", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def _kept(scores, cut):
    return sum(s <= cut for s in scores) / len(scores)


@pytest.mark.skipif(not (DATA / "web" / "article_extraction").is_dir(), reason="no ../shared/data")
def test_english_cutoff_rejects_boilerplate_and_keeps_articles(lm_dir):
    """The 95th percentile of the held-back FLORES sentences (ROOTS's 1500 would keep everything here):
    held-out FLORES dev at about 95%, real news articles (long prose of another domain) at 85%+, while
    the non-article text of the same pages (menus, share bars, footers, teasers; never trained on)
    and boilerplate we wrote are rejected."""
    bench = _benchmark()
    model = PerplexityModel(lm_dir / "en")
    cut = model.cutoff(95)
    assert 150 < cut < 500
    assert 0.88 <= _kept(model.score_many(_sentences("dev", "eng_Latn")), cut) <= 1.0
    pages = bench.article_pages("en", DATA)
    assert len(pages) >= 150
    assert _kept(model.score_many([p.article for p in pages]), cut) >= 0.85
    boilerplate = model.score_many(["\n".join(p.boilerplate) for p in pages if p.boilerplate])
    assert 1 - _kept(boilerplate, cut) >= 0.9
    menu, cookies, share = bench.OWN_JUNK["en"][:3]
    assert all(s > cut for s in model.score_many([menu, cookies, share]))


def test_non_latin_cutoff_with_grouped_reference(tmp_path):
    """Arabic, reference documents of 5 held-back sentences (`--group 5`), cut at their 95th
    percentile: FLORES dev in 5-sentence documents kept, while an OSCAR page that lists sura names,
    our menu and cookie banner, and dev documents with their words shuffled are rejected."""
    if not FLORES.is_dir():
        pytest.skip("no ../shared/data")
    try:
        perplexity.find_program("lmplz")
    except PerplexityError:
        pytest.skip("lmplz/build_binary not built (tools/build_kenlm.sh)")
    bench = _benchmark()
    text = tmp_path / "ar.txt"
    text.write_text("\n".join(_sentences("train", "arb_Arab")) + "\n", encoding="utf-8")
    assert cli.main(["lm", "train", "--lang", "ar", "--input", str(text), "--output", str(tmp_path / "ar"),
                     "--vocab-size", "2000", "--group", "5", "--memory", "200M"]) == 0
    model = PerplexityModel(tmp_path / "ar")
    cut = model.cutoff(95)
    dev = bench.grouped(_sentences("dev", "arb_Arab"), 5)
    assert _kept(model.score_many(dev), cut) >= 0.9
    junk = [t for label, t in bench.oscar("ar", DATA).values() if label == "junk"]
    menu, cookies = bench.OWN_JUNK["ar"][:2]
    assert len(junk) == 1 and all(s > cut for s in model.score_many(junk + [menu, cookies]))
    rng = random.Random(0)
    salad = model.score_many([bench.shuffled_words(d, rng) for d in dev])
    assert 1 - _kept(salad, cut) >= 0.8
