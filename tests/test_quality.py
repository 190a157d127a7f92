"""The quality stage (filters/quality.py), its config, the cleaning maps and stage (filters/cleaning.py),
the language configs' `filters:` sections, and `roots filter` / `roots resources stopwords`."""
from __future__ import annotations

import dataclasses
import gzip
import json
import pickle
import time
from pathlib import Path

import pytest
import yaml

import roots.cli as cli
from roots.config import ConfigError
from roots.document import REASONS, Document, Rejection
from roots.filters.cleaning import (Cleaning, CleaningConfig, TemplateLines, remove_long_words, remove_url_words,
                                    uniform_whitespace)
from roots.filters.normalise import normalise_text
from roots.filters.params import parse_filters
from roots.filters.quality import NATURAL_ORDER, Quality, QualityConfig
from roots.filters.rules import NATURAL_RULES
from roots.languages import LanguageConfigError, load_registry

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
SAMPLE = ROOT / "examples" / "sample"

GOOD_EN = (
    "The town council met on Tuesday evening to discuss the new cycle path along the river. Most of the "
    "residents who came to the meeting said that they would use it to get to work and to school, and several "
    "shop owners hoped that more visitors would stop in the old market. The work should start in the spring "
    "if the weather allows it, and the path will be open before the summer holidays."
)


@pytest.fixture(scope="module")
def stage() -> Quality:
    q = Quality(QualityConfig())
    q.setup()
    return q


def run(stage: Quality, text: str, lang: str = "en", **meta) -> Document | Rejection:
    return stage(Document("t/1", text, lang, "test", dict(meta)))


def reason(outcome) -> str:
    return outcome.reason.code if isinstance(outcome, Rejection) else "kept"


def doc_of(outcome) -> Document:
    return outcome.doc if isinstance(outcome, Rejection) else outcome


# --- the stage ------------------------------------------------------------------------------------


def test_good_document_is_kept_with_every_statistic(stage):
    out = run(stage, GOOD_EN)
    assert reason(out) == "kept"
    q = out.meta["quality"]
    stored = {s.key for r in NATURAL_RULES for s in r.statistics if not s.in_meta}
    assert set(q) == stored   # every statistic, flagged words too (en ships ROOTS's list)
    assert q["flagged_words"] == 0.0
    assert {"words", "char_repetition", "dup_line_fraction", "top_2gram_char_fraction",
            "dup_10gram_char_fraction", "special_characters", "stopwords"} <= set(q)
    assert q["words"] == 74 and q["word_repetition"] == 0.0 and q["stopwords"] > 0.3


def test_rejected_documents_keep_their_statistics_too(stage):
    out = run(stage, "buy cheap pills now " * 30)
    assert reason(out) == "quality:char_repetition"
    # compute_all: the later statistics are computed although an earlier filter failed
    q = out.doc.meta["quality"]
    # 599 characters (stripped), period 20: 590 10-grams of 20 kinds, ten seen 30 times and ten 29 times;
    # k = floor(sqrt(20)) = 4: 4 x 30 / 590
    assert q["char_repetition"] == pytest.approx(120 / 590)
    assert q["word_repetition"] == 1.0 and "special_characters" in q
    assert "character n-gram repetition ratio 0.2034 > max_char_repetition" in out.detail


def test_filters_run_in_roots_order_and_the_first_failure_is_the_reason():
    text = "One, two; three! " * 2 + GOOD_EN  # fine for every default filter
    strict = QualityConfig(languages={"en": {"min_words": 1000, "max_special_characters": 0.01}})
    assert reason(Quality(strict)(Document("a", text, "en"))) == "quality:word_count"
    only_special = QualityConfig(languages={"en": {"max_special_characters": 0.01}})
    assert reason(Quality(only_special)(Document("a", text, "en"))) == "quality:special_characters"
    assert NATURAL_ORDER == ("word_count", "char_repetition", "word_repetition", "duplicate_lines",
                             "duplicate_paragraphs", "top_ngrams", "duplicate_ngrams", "special_characters",
                             "stopwords", "flagged_words", "lid_score", "perplexity")


def test_stop_at_first_failure_computes_less():
    q = Quality(QualityConfig(compute_all=False))
    out = q(Document("a", "tiny text", "en"))
    assert reason(out) == "quality:word_count"
    assert out.doc.meta["quality"] == {"words": 2}


def test_lid_score_from_the_lid_stage(stage):
    # Off by default: the LID stage applies its calibrated per-model minimum to the same score.
    assert reason(run(stage, GOOD_EN, lid_score=0.5)) == "kept"
    assert stage.report(["en"])["languages"]["en"]["filters"]["lid_score"] == {"on": False, "why": "min_lid_score is null"}
    assert "calibrated lid.min_score" in parse_filters(load_registry().get("en")).sources["min_lid_score"]
    strict = Quality(QualityConfig(languages={"en": {"min_lid_score": 0.8}}))   # a run that wants ROOTS's bound
    assert reason(run(strict, GOOD_EN, lid_score=0.5)) == "quality:lid_score"
    assert reason(run(strict, GOOD_EN, lid_score=0.95)) == "kept"
    assert reason(run(strict, GOOD_EN)) == "kept"  # no LID stage: the filter is skipped
    assert "LID stage" in strict.report(["en"])["languages"]["en"]["filters"]["lid_score"]["when"]


def test_maps_remove_url_and_long_words_before_filtering(stage):
    text = GOOD_EN + "\u00a0 See https://example.org/x and www.example.com or " + "a" * 40 + "."
    out = run(stage, text)
    assert reason(out) == "kept"
    assert "example" not in out.text and "aaaa" not in out.text and "\u00a0" not in out.text
    assert out.meta["quality_maps"] == ["uniform_whitespace", "remove_url_words", "remove_long_words"]


# --- bad input ------------------------------------------------------------------------------------


def test_empty_text(stage):
    out = run(stage, "")
    assert reason(out) == "quality:word_count"
    assert out.doc.meta["quality"]["words"] == 0 and out.doc.meta["quality"]["special_characters"] == 0.0


def test_text_without_word_characters(stage):
    out = run(stage, "!!! ??? ... 123 456 ### $$$ %%% *** (( )) 789 ---")
    assert reason(out) == "quality:word_count"
    assert out.doc.meta["quality"]["words"] == 0
    assert out.doc.meta["quality"]["special_characters"] == 1.0


def test_one_enormous_line(stage):
    import random

    rng = random.Random(0)
    words = [w for w in GOOD_EN.lower().replace(".", "").replace(",", "").split()]
    text = " ".join(rng.choice(words) for _ in range(200_000))  # about 1 MB, no newline
    start = time.perf_counter()
    out = run(stage, text)
    assert time.perf_counter() - start < 20
    assert doc_of(out).meta["quality"]["words"] == 200_000
    # one enormous word: the long-word map removes it, nothing is left
    out = run(stage, "x" * 500_000)
    assert reason(out) == "quality:word_count" and out.doc.text == ""


def test_unknown_language_gets_roots_defaults(stage):
    out = run(stage, GOOD_EN, lang="")
    assert reason(out) == "kept"
    assert "stopwords" not in out.meta["quality"]  # no list for an unknown language
    report = stage.report([""])["languages"]["und"]
    assert report["words"] == "whitespace" and report["filters"]["stopwords"]["on"] is False


def test_language_without_stopwords_or_model_reports_the_filter_off(stage):
    report = stage.report(sources=True)["languages"]
    sw, ml = report["sw"], report["ml"]
    assert ml["filters"]["stopwords"] == {"on": False, "why": "min_stopwords is null"}   # agglutinative: off
    assert sw["filters"]["stopwords"]["on"] is True and sw["stopwords"].endswith("stopwords/sw.txt")
    assert sw["filters"]["perplexity"]["on"] is False and "roots lm train --lang sw" in sw["filters"]["perplexity"]["why"]
    assert sw["filters"]["flagged_words"]["on"] is False   # ROOTS had no list for sw
    assert report["en"]["filters"]["stopwords"]["on"] is True
    assert "spaCy" in report["en"]["filters"]["stopwords"]["source"]["min_stopwords"] or \
        "ROOTS" in report["en"]["filters"]["stopwords"]["source"]["min_stopwords"]
    assert report["zh-Hans"]["words"] == "characters" and "SentencePiece" in report["zh-Hans"]["words_note"]
    assert report["code-python"]["kind"] == "code"
    assert len(report) == 59


def test_stopwords_dir_turns_the_filter_on(tmp_path):
    (tmp_path / "sw.txt").write_text("# made by hand\nna\nya\nkwa\nwa\n", encoding="utf-8")
    q = Quality(QualityConfig(stopwords_dir=str(tmp_path)))
    text = ("Mvua ilinyesha sana katika kijiji chetu jana jioni na watoto walicheza nje kwa furaha kubwa "
            "wakati wazazi wao walikuwa wakipika chakula cha jioni ya familia")
    out = q(Document("a", text, "sw"))
    assert out.meta["quality"]["stopwords"] == pytest.approx(3 / 25)  # na, kwa, ya of 25 words
    assert q.report(["sw"])["languages"]["sw"]["filters"]["stopwords"]["on"] is True


def test_results_are_deterministic_and_the_stage_pickles(stage):
    a = run(stage, GOOD_EN + " " + GOOD_EN)
    b = run(stage, GOOD_EN + " " + GOOD_EN)
    assert json.dumps(doc_of(a).meta, sort_keys=True) == json.dumps(doc_of(b).meta, sort_keys=True)
    clone = pickle.loads(pickle.dumps(stage))  # as Beam ships it to workers, without loaded models
    clone.setup()
    assert doc_of(run(clone, GOOD_EN)).meta == doc_of(run(stage, GOOD_EN)).meta


def test_reasons_are_registered():
    for name in NATURAL_ORDER:
        assert f"quality:{name}" in REASONS
    assert "quality:code_minified" in REASONS and "cleaning:small_words" in REASONS


# --- code -----------------------------------------------------------------------------------------

PYTHON = '''"""Count words in a file."""
import sys
from collections import Counter


def count(path):
    with open(path, encoding="utf-8") as fh:
        return Counter(word for line in fh for word in line.split())


if __name__ == "__main__":
    for word, n in count(sys.argv[1]).most_common(10):
        print(f"{word}\\t{n}")
'''


def test_code_filters(stage):
    good = run(stage, PYTHON, "code-python")
    assert reason(good) == "kept"
    assert set(good.meta["quality"]) == {"chars", "max_line_length", "non_alphanumeric", "autogenerated", "minified"}
    assert reason(run(stage, "x = 1\n", "code-python")) == "quality:code_size"
    assert reason(run(stage, "var a = 1;" * 200, "code-javascript")) == "quality:code_line_length"
    generated = "# Code generated by a tool. DO NOT EDIT.\n" + PYTHON
    assert reason(run(stage, generated, "code-python")) == "quality:code_autogenerated"
    minified = ("function f(a,b){return a+b};" * 30 + "\n") * 5  # 870-character lines, mean over 200
    assert reason(run(stage, minified, "code-javascript")) == "quality:code_minified"
    symbols = "{}[]();:<>=+-*/" * 20 + "\nx\n"
    assert reason(run(stage, symbols, "code-c")) == "quality:code_non_alphanumeric"


# --- config errors --------------------------------------------------------------------------------


def _registry_with(tmp_path: Path, code: str, old: str, new: str) -> Path:
    directory = tmp_path / "configs"
    directory.mkdir()
    src = ROOT / "language_configs" / f"{code}.yaml"
    text = src.read_text(encoding="utf-8")
    assert old in text
    (directory / f"{code}.yaml").write_text(text.replace(old, new), encoding="utf-8")
    return directory


def test_threshold_of_the_wrong_type_names_file_and_key(tmp_path):
    directory = _registry_with(tmp_path, "en", "max_word_repetition: {value: 0.19,", 'max_word_repetition: {value: "0.19",')
    with pytest.raises(LanguageConfigError, match=r"en\.yaml: key 'filters\.max_word_repetition' must be a number from 0 to 1 or null, got str"):
        Quality(QualityConfig(), registry_dir=str(directory))


def test_unknown_filter_key_names_file_and_key(tmp_path):
    directory = _registry_with(tmp_path, "en", "  min_words:", "  min_wrods:")
    with pytest.raises(LanguageConfigError, match=r"en\.yaml: key 'filters\.min_wrods' is not a filter setting"):
        Quality(QualityConfig(), registry_dir=str(directory))


def test_every_shipped_language_config_parses_with_sources():
    registry = load_registry()
    for lang in registry:
        params = parse_filters(lang)
        section = lang.sections["filters"]
        for key, entry in section.items():
            assert isinstance(entry, dict) and entry.get("source"), f"{lang.code}: {key} has no source"
        absent = [k for k, src in params.sources.items() if "key absent" in src]
        # only keys whose registered default says where it comes from (Gopher's maxima) may be absent
        assert all("ROOTS" not in params.sources[k] for k in absent), (lang.code, absent)
    assert parse_filters(registry.get("en")).max_word_repetition == 0.19  # ROOTS parameters_filtering_en
    assert parse_filters(registry.get("en")).max_char_repetition == 0.13  # recalibrated on clean prose
    assert parse_filters(registry.get("en")).max_dup_5gram_char_fraction == 0.15  # Gopher's default
    assert parse_filters(registry.get("ur")).word_repetition_n == 7
    assert parse_filters(registry.get("zh-Hans")).char_repetition_n == 3
    assert parse_filters(registry.get("sw")).min_words == 10  # ROOTS's default


def test_quality_config_from_dict(tmp_path):
    where = "run.yaml: quality"
    assert QualityConfig.from_dict(None, where) == QualityConfig()
    with pytest.raises(ConfigError, match=r"run\.yaml: quality: key 'compute_al' is not a known key \(did you mean 'compute_all'\?\)"):
        QualityConfig.from_dict({"compute_al": True}, where)
    with pytest.raises(ConfigError, match=r"run\.yaml: quality: key 'batch_size' must be a positive integer"):
        QualityConfig.from_dict({"batch_size": "10"}, where)
    with pytest.raises(ConfigError, match=r"run\.yaml: quality: key 'lm_dir': folder .* does not exist"):
        QualityConfig.from_dict({"lm_dir": "no/such/folder"}, where, str(tmp_path))
    # The overrides are the filters' settings: checked when the stage is built (before any work in a run,
    # roots.pipelines.api.check), not by the section's schema.
    with pytest.raises(LanguageConfigError, match=r"run\.yaml: quality: languages: en: key 'max_perplexty' is not a filter setting"):
        Quality(QualityConfig.from_dict({"languages": {"en": {"max_perplexty": 10}}}, where))
    with pytest.raises(LanguageConfigError, match=r"key 'filters\.max_perplexity' must be a non-negative number or null, got str"):
        Quality(QualityConfig.from_dict({"languages": {"en": {"max_perplexity": "high"}}}, where))
    config = QualityConfig.from_dict({"compute_all": False, "stopwords_dir": "."}, where, str(tmp_path))
    assert config.compute_all is False and config.stopwords_dir == str(tmp_path)
    assert "path" not in dataclasses.asdict(config)  # the config hash does not depend on where it was read


# --- cleaning -------------------------------------------------------------------------------------


def test_roots_maps():
    assert uniform_whitespace("  a\u00a0 b \n\n\n\nc\t d  ") == "a b\n\nc d"
    assert uniform_whitespace("already clean\n\ntext") == "already clean\n\ntext"
    assert remove_url_words("see http://x.com now\nwww.a.org\n\nplain") == "see now\n\nplain"
    assert remove_url_words("no links here") == "no links here"
    assert remove_long_words("a " + "x" * 30 + " b (" + "y" * 25 + ").", 25) == "a b (" + "y" * 25 + ")."


def test_cleaning_operations_per_source():
    config = CleaningConfig.from_dict({
        "default": ["remove_empty_docs"],
        "sources": {"forum": ["remove_html_spans", "remove_lines_with_code", "filter_small_docs"],
                    "subtitles": ["replace_newlines", "filter_small_docs_bytes"]},
        "min_words": 5, "min_bytes": 40}, "run.yaml")
    stage = Cleaning(config)
    stage.setup()
    html = "<div class='nav'>Home</div>\nThe meeting starts at seven in the hall.\nif (x) { run(); }"
    out = stage(Document("f/1", html, "en", "forum"))
    assert out.text == "The meeting starts at seven in the hall." and out.meta["cleaning"] == ["remove_html_spans", "remove_lines_with_code"]
    assert stage(Document("f/2", "<span>only markup</span>", "en", "forum")).reason.code == "cleaning:empty"
    assert stage(Document("f/3", "too short", "en", "forum")).reason.code == "cleaning:small_words"
    assert stage(Document("s/1", "one\ntwo", "en", "subtitles")).reason.code == "cleaning:small_bytes"
    out = stage(Document("s/2", "a line of subtitles\nand the next line here", "en", "subtitles"))
    assert out.text == "a line of subtitles and the next line here"
    assert stage(Document("x/1", "   ", "en", "other")).reason.code == "cleaning:empty"
    assert stage(Document("x/2", "kept as is", "en", "other")).text == "kept as is"


def test_template_dedup_removes_lines_seen_ten_times_in_the_source(tmp_path):
    footer = "Copyright 2024 Example News, all rights reserved."
    docs = [Document(f"n/{i}", f"Story number {i} about the harbour.\n{footer}\nShort", "en", "news") for i in range(10)]
    docs.append(Document("o/1", f"Another site.\n{footer}", "en", "other"))
    templates = TemplateLines().fit(docs)
    config = CleaningConfig.from_dict({"sources": {"news": ["dedup_template"], "other": ["dedup_template"]}}, "r")
    saved = tmp_path / "templates.json"
    templates.save(str(saved))  # what a counting step leaves for the cleaning step's workers
    for stage in (Cleaning(config, templates), Cleaning(config, templates_path=str(saved))):
        stage.setup()
        out = stage(Document("n/0", docs[0].text, "en", "news"))
        assert out.text == "Story number 0 about the harbour.\nShort"  # "Short" is under 15 characters
        assert stage(Document("o/1", docs[-1].text, "en", "other")).text == f"Another site.\n{footer}"  # once in its source
        assert "counts given" in stage.report()["dedup_template"]


def test_cleaning_config_errors():
    with pytest.raises(ConfigError, match=r"r\.yaml: cleaning: key 'sources\.web': 'remove_htm' is not an operation"):
        CleaningConfig.from_dict({"sources": {"web": ["remove_htm"]}}, "r.yaml: cleaning")
    with pytest.raises(ConfigError, match=r"r\.yaml: cleaning: key 'min_words' must be a non-negative integer"):
        CleaningConfig.from_dict({"min_words": 1.5}, "r.yaml: cleaning")


# --- the sample corpus ----------------------------------------------------------------------------

#: Planted documents of examples/sample/crawl/web.jsonl (see its README), with the language LID would give.
CRAWL = {
    "web-001": ("en", "kept"), "web-003": ("fr", "kept"), "web-005": ("es", "kept"), "web-019": ("ar", "kept"),
    "web-024": ("id", "kept"), "web-029": ("vi", "kept"), "web-008": ("zh-Hans", "kept"), "web-015": ("hi", "kept"),
    "web-039": ("en", "kept"),
    "web-010": ("en", "quality:char_repetition"),   # keyword spam
    "web-036": ("en", "quality:char_repetition"),   # the same lines over and over
    "web-018": ("en", "quality:word_count"),        # runs of repeated characters: no words left
    "web-025": ("en", "quality:word_count"),        # a table of numbers and symbols
    "web-040": ("en", "quality:stopwords"),         # keyboard mash
    "web-013": ("en", "quality:word_count"), "web-023": ("en", "quality:word_count"),
    "web-031": ("en", "quality:word_count"), "web-038": ("fr", "quality:word_count"),
    "web-043": ("en", "quality:word_count"),
}


def test_sample_corpus_keeps_good_documents_and_rejects_junk(stage):
    if not SAMPLE.is_dir():
        pytest.skip("no examples/sample")
    docs = []
    for path in sorted((SAMPLE / "text").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            docs.append(Document(record["id"], normalise_text(record["text"]), path.stem, "text"))
    outcomes = stage.process_batch(docs)
    rejected = {doc_of(o).id: reason(o) for o in outcomes if isinstance(o, Rejection)}
    assert rejected == {} and len(outcomes) == 204
    crawl = [json.loads(line) for line in (SAMPLE / "crawl" / "web.jsonl").read_text(encoding="utf-8").splitlines()]
    docs = [Document(r["id"], normalise_text(r["text"]), CRAWL[r["id"]][0], "crawl") for r in crawl if r["id"] in CRAWL]
    got = {doc_of(o).id: reason(o) for o in stage.process_batch(docs)}
    assert got == {k: v[1] for k, v in CRAWL.items()}


# --- the commands ---------------------------------------------------------------------------------


@pytest.fixture()
def roots_main():
    return cli.main


def test_roots_filter_command(tmp_path, roots_main, capsys):
    src = tmp_path / "in.jsonl"
    records = [{"id": "good", "text": GOOD_EN}, {"id": "spam", "text": "buy cheap pills now " * 30},
               {"id": "num", "text": 5}]
    src.write_text("\n".join(json.dumps(r) for r in records) + "\nnot json\n", encoding="utf-8")
    out, rej, report = tmp_path / "kept.jsonl", tmp_path / "rejected.jsonl", tmp_path / "report.json"
    code = roots_main(["filter", "--lang", "en", "--input", str(src), "--output", str(out), "--rejected", str(rej),
                       "--id-field", "id", "--report", str(report), "--set", "max_perplexity=900"])
    assert code == 0
    kept = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    rejected = [json.loads(line) for line in rej.read_text(encoding="utf-8").splitlines()]
    assert [k["id"] for k in kept] == ["in.jsonl/good"] and kept[0]["meta"]["quality"]["words"] == 74
    assert sorted(r["reason"] for r in rejected) == ["bad_input:broken_json", "bad_input:wrong_type", "quality:char_repetition"]
    assert json.loads(report.read_text())["counts"]["kept"] == 1
    assert "1 kept, 3 rejected" in capsys.readouterr().out
    assert roots_main(["filter", "--lang", "xx", "--input", str(src), "--output", str(out), "--rejected", str(rej)]) == 2
    assert "unknown language 'xx'" in capsys.readouterr().err


def test_roots_filter_web_and_lid_use_the_boilerplate_and_lid_stages(tmp_path, roots_main, capsys):
    """`roots filter --web --lid`: menu lines go before quality sees the page, junk goes as lid:noise, a
    page in another language as lid:wrong_language, and ids come from the records' `id` by default."""
    page = "\n".join(["Home | News | Sport | Weather | Contact", "Skip to main content", GOOD_EN,
                      "Copyright © 2024 Example News. All rights reserved.", "Share on Facebook"])
    records = [{"id": "page", "text": page}, {"id": "junk", "text": "hughughug " * 60},
               {"id": "fr", "text": "Le conseil municipal a voté hier soir le budget de la ville pour l'année "
                                    "prochaine, après un long débat sur les écoles, les routes et les transports."}]
    src = tmp_path / "web.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    out, rej = tmp_path / "kept.jsonl", tmp_path / "rejected.jsonl"
    assert roots_main(["filter", "--lang", "en", "--web", "--lid", "--input", str(src), "--output", str(out),
                       "--rejected", str(rej)]) == 0
    kept = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    rejected = {r["id"]: r["reason"] for r in map(json.loads, rej.read_text(encoding="utf-8").splitlines())}
    assert set(kept) == {"web.jsonl/page"}
    text = kept["web.jsonl/page"]["text"]
    assert "Sport" not in text and "rights reserved" not in text and "Share on" not in text and "cycle path" in text
    assert kept["web.jsonl/page"]["meta"]["boilerplate"]["lines_removed"]
    assert rejected == {"web.jsonl/junk": "lid:noise", "web.jsonl/fr": "lid:wrong_language"}


def test_roots_resources_stopwords_from_flores(tmp_path, roots_main):
    path = DATA / "flores" / "flores200_train.jsonl.gz"
    if not path.exists():
        pytest.skip("no ../shared/data")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        sentences = [r["text"] for r in map(json.loads, fh) if r["flores"] == "swh_Latn"]
    corpus = tmp_path / "sw.txt"
    corpus.write_text("\n".join(sentences) + "\n", encoding="utf-8")
    lists = tmp_path / "stopwords"
    assert roots_main(["resources", "stopwords", "--lang", "sw", "--input", str(corpus),
                       "--output", str(lists / "sw.txt"), "--top", "50"]) == 0
    words = [w for w in (lists / "sw.txt").read_text(encoding="utf-8").splitlines() if not w.startswith("#")]
    assert len(words) == 50 and {"na", "ya", "wa", "kwa"} <= set(words[:10])
    q = Quality(QualityConfig(stopwords_dir=str(lists)))
    docs = [Document(str(i), " ".join(sentences[i:i + 8]), "sw") for i in range(0, 80, 8)]
    assert all(reason(o) == "kept" for o in q.process_batch(docs))
    assert all(o.meta["quality"]["stopwords"] > 0.2 for o in q.process_batch(
        [Document(str(i), " ".join(sentences[i:i + 8]), "sw") for i in range(0, 80, 8)]))


# --- in the Beam curate step ----------------------------------------------------------------------


def test_stages_run_in_the_beam_curate_step(tmp_path):
    """Cleaning and quality as the curate step runs them: pickled to workers, set up there, batched;
    counts add up, statistics reach the Parquet shards, the stage report reaches the manifest."""
    import pyarrow.parquet as pq

    from roots.config import load_config
    from roots.filters.normalise import Normalise
    from roots.pipelines.runner import run_curate
    from roots.stats import Manifest, totals

    records = [{"id": f"good{i}", "text": f"<div>menu</div>\nStory {i}. " + GOOD_EN} for i in range(6)]
    records += [{"id": "spam", "text": "buy cheap pills now " * 30}, {"id": "short", "text": "Hello world"}]
    (tmp_path / "web.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    (tmp_path / "run.yaml").write_text(yaml.safe_dump({
        "name": "q", "output": str(tmp_path / "run"),
        "sources": [{"name": "web", "format": "jsonl", "path": "web.jsonl", "lang": "en", "id_field": "id"}]}))
    config = load_config(str(tmp_path / "run.yaml"))
    manifest = Manifest.open(config.output, config.to_dict(), config.hash())
    cleaning = Cleaning(CleaningConfig(sources={"web": ("remove_html_spans",)}))
    result = run_curate(config, manifest, [], stages=[Normalise(), cleaning, Quality(QualityConfig())])
    quality = totals(result.counts["quality"])
    assert quality == {"input": 8, "kept": 6, "rejected": 2}
    assert set(result.counts["quality"]["en"]["rejected"]) == {"quality:char_repetition", "quality:word_count"}
    kept = [r for p in sorted((tmp_path / "run" / "documents").rglob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    assert len(kept) == 6 and all("<div>" not in r["text"] for r in kept)
    assert all(json.loads(r["meta"])["quality"]["words"] >= 74 for r in kept)
    policy = manifest.steps["curate"]["quality_policy"]["languages"]["ml"]["filters"]["stopwords"]
    assert policy["on"] is False


# --- the rules registry, Gopher's repetition rules and recalibrated thresholds on real text -------

OSCAR = DATA / "web" / "oscar2019_dummy.jsonl"
ARTICLES = DATA / "web" / "article_extraction" / "ground-truth.json"
FLORES_TRAIN = DATA / "flores" / "flores200_train.jsonl.gz"


def test_registry_is_the_one_list_of_rules():
    from roots.filters.params import CodeFilters, NaturalFilters
    from roots.filters.rules import RULES, params_of
    import roots.filters.tuning as tuning

    for rule in RULES:
        assert rule.reason in REASONS
        for statistic in rule.statistics:
            assert tuning.SPECS[statistic.key].filter == rule.name
    assert [f.name for f in dataclasses.fields(NaturalFilters) if f.name != "sources"] == [p.key for p in params_of("natural")]
    assert [f.name for f in dataclasses.fields(CodeFilters) if f.name != "sources"] == [p.key for p in params_of("code")]
    report = Quality(QualityConfig()).report(["en", "code-python"], sources=True)["languages"]
    assert list(report["en"]["filters"]) == list(NATURAL_ORDER)
    assert report["en"]["filters"]["duplicate_ngrams"]["max_dup_5gram_char_fraction"] == 0.15
    assert "Gopher" in report["en"]["filters"]["duplicate_ngrams"]["source"]["max_dup_5gram_char_fraction"]
    assert report["en"]["filters"]["perplexity"] == {"on": False, "why": "no language model for en (train one with "
                                                     "`roots lm train --lang en` into quality.lm_dir/en)"}


def _oscar(*lines: int) -> list[str]:
    rows = OSCAR.read_text(encoding="utf-8").split("\n")
    return [json.loads(rows[i])["text"] for i in lines]


@pytest.mark.skipif(not OSCAR.exists(), reason="no ../shared/data")
def test_gopher_rules_remove_real_and_constructed_repetition(stage):
    menu, repeated_comment = _oscar(562, 235)  # a shop's category menu; one paragraph pasted 9 times
    assert reason(run(stage, menu, "pt")) == "quality:duplicate_lines"
    assert reason(run(stage, repeated_comment, "pt")) == "quality:duplicate_ngrams"
    paragraphs = [GOOD_EN, "Opening hours: Monday to Friday, nine to five, closed on public holidays.",
                  "A second, different paragraph about the market square and its fountain, which was restored."]
    out = run(stage, "\n\n".join(paragraphs + paragraphs[1:] * 3))
    assert reason(out) == "quality:word_repetition"  # ROOTS's rule comes first; Gopher's would reject too
    q = doc_of(out).meta["quality"]
    assert q["dup_line_fraction"] == q["dup_paragraph_fraction"] == 6 / 9 and q["dup_10gram_char_fraction"] > 0.3
    spam = GOOD_EN + " " + " ".join(["Best price cheap flights Paris. Book cheap flights Paris today."] * 4)
    assert reason(run(stage, spam)) == "quality:char_repetition"
    gopher_only = Quality(QualityConfig(languages={"en": {"max_char_repetition": None, "max_word_repetition": None}}))
    assert reason(gopher_only(Document("s", spam, "en"))) == "quality:top_ngrams"  # "cheap flights paris", 8 times
    assert reason(gopher_only(Document("s", "\n\n".join(paragraphs + paragraphs[1:] * 3), "en"))) == "quality:duplicate_lines"
    assert reason(gopher_only(Document("s", GOOD_EN, "en"))) == "kept"
    # Chinese: words are characters (no SentencePiece model); n-grams span round(1.8 n) of them
    zh = "天天中彩票是假的吗？为什么还存在，天天中彩票派奖中多久。"
    zh_prose = ("北京市政府星期二宣布，将在明年春天开放沿河的新自行车道。多数居民表示会骑车上班和上学，"
                "商店老板们也希望更多游客在老市场停留。")
    out = run(stage, zh_prose + zh * 6, "zh-Hans")
    assert reason(out) != "kept" and doc_of(out).meta["quality"]["dup_5gram_char_fraction"] > 0.5
    assert reason(run(stage, zh_prose * 1 + "工程将在天气允许时开始，并在暑假前完工。", "zh-Hans")) == "kept"


#: A Chinese news report written for this test: the conference's and the institutes' names recur, as
#: names do in real Chinese news (Gopher's n-gram rules count words; a 5-gram of characters is 2-3 words).
ZH_NEWS = (
    "本报讯 十月十二日，第五届长江流域湿地保护学术研讨会在武汉市东湖宾馆开幕。本届长江流域湿地保护学术研讨会由"
    "湖北省生态学会主办，武汉大学生命科学学院和华中农业大学资源与环境学院承办，来自全国四十余所高校和研究所的"
    "三百多名专家学者参加了会议。\n"
    "湖北省生态学会理事长在开幕式上致辞。他说，长江流域湿地是候鸟迁徙的重要通道，近十年来长江流域湿地面积"
    "总体稳定，但部分湖泊的水质仍然不容乐观。他希望与会专家围绕长江流域湿地保护中的难题开展深入讨论。\n"
    "武汉大学生命科学学院院长介绍了学院在洪湖和梁子湖开展的长期观测。观测数据显示，越冬水鸟的数量比五年前增加"
    "了三成，其中小天鹅和白琵鹭的增幅最大。华中农业大学资源与环境学院的研究团队则报告了退田还湖以后土壤有机碳的变化。\n"
    "在分组讨论中，专家们就湿地生态补偿、渔民转产安置和城市雨水利用等问题交换了意见。有学者指出，湿地保护"
    "不能只靠划定保护区，还要让周边村民从生态旅游和绿色农业中得到实实在在的收益。\n"
    "闭幕式上，湖北省生态学会宣布，第六届长江流域湿地保护学术研讨会将于后年在江西省南昌市举行，"
    "届时将邀请鄱阳湖沿岸的基层保护站工作人员一同参加。")


def test_chinese_ngrams_span_words_not_characters(stage):
    from roots.filters import stats
    from roots.filters.rules import ngram_lengths
    from roots.filters.words import CharacterWords

    words = CharacterWords().words(ZH_NEWS)
    per_character = stats.gopher_ngram_fractions(words, len(ZH_NEWS), (), (5,))
    assert per_character["dup_5gram_char_fraction"] > 0.15  # what rejected such reports before
    assert ngram_lengths(True, 1.8)[5] == 9 and ngram_lengths(False, 1.8)[5] == 5
    out = run(stage, ZH_NEWS, "zh-Hans")
    assert reason(out) == "kept" and doc_of(out).meta["quality"]["dup_5gram_char_fraction"] < 0.15
    spam = ZH_NEWS + "\n" + "天天中彩票是假的吗？为什么还存在，天天中彩票派奖中多久。" * 4
    assert reason(run(stage, spam, "zh-Hans")) in ("quality:char_repetition", "quality:duplicate_ngrams")
    gopher_only = Quality(QualityConfig(languages={"zh-Hans": {"max_char_repetition": None}}))
    assert reason(gopher_only(Document("s", spam, "zh-Hans"))) == "quality:duplicate_ngrams"
    # a Latin word or a number inside Chinese text is one word, not one word per letter
    assert CharacterWords().words("三星发布 Galaxy S20 Ultra，售价 1399 美元。") == [
        "三", "星", "发", "布", "galaxy", "s", "ultra", "售", "价", "美", "元"]


@pytest.mark.skipif(not OSCAR.exists(), reason="no ../shared/data")
def test_special_characters_no_longer_count_spaces(stage):
    urdu, phone_list = _oscar(294, 224)  # Urdu religious commentary (0.27 with spaces); a Punjabi masthead
    out = run(stage, urdu, "ur")
    assert reason(out) == "kept" and doc_of(out).meta["quality"]["special_characters"] < 0.1
    assert reason(run(stage, phone_list, "pa")) == "quality:special_characters"


def _flores_docs(codes: dict[str, str], sizes=(10, 30, 80)) -> dict[str, list[str]]:
    rows: dict[str, list[tuple[int, str]]] = {f: [] for f in codes}
    with gzip.open(FLORES_TRAIN, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if r["flores"] in rows:
                rows[r["flores"]].append((int(r["id"]), r["text"]))
    out = {}
    for flores, code in codes.items():
        sentences = [t for _, t in sorted(rows[flores])]
        join = "" if code.startswith("zh") else " "
        docs, start = [], 0
        for size in sizes:
            chunk = sentences[start:start + size]
            docs.append("\n\n".join(join.join(chunk[i:i + 4]) for i in range(0, len(chunk), 4)))
            start += size
        out[code] = docs
    return out


@pytest.mark.skipif(not FLORES_TRAIN.exists(), reason="no ../shared/data")
def test_clean_flores_documents_pass_in_every_language(stage):
    registry = load_registry()
    codes = {registry.get(c).flores: c for c in registry.codes if registry.get(c).is_natural}
    failed = {}
    for code, docs in _flores_docs(codes).items():
        for i, out in enumerate(stage.process_batch([Document(f"{code}/{i}", t, code, "flores") for i, t in enumerate(docs)])):
            if isinstance(out, Rejection):
                failed[out.doc.id] = out.detail
    assert failed == {}


@pytest.mark.skipif(not ARTICLES.exists(), reason="no ../shared/data")
def test_clean_news_articles_pass(stage):
    from roots.lid import lid176_path, load_model, prepare_text

    model = load_model(lid176_path())
    data = json.loads(ARTICLES.read_text(encoding="utf-8"))
    english = [v["articleBody"] for _, v in sorted(data.items())
               if model.predict(prepare_text(v["articleBody"]))[0][0] == "__label__en"]
    assert len(english) == 161
    outcomes = stage.process_batch([Document(f"a/{i}", t, "en", "news") for i, t in enumerate(english)])
    rejected = {o.doc.id: o.detail for o in outcomes if isinstance(o, Rejection)}
    # ROOTS's thresholds rejected 9 (3 by character repetition at 0.106, 6 by stopwords at 0.30). Left:
    # a meal plan of a dozen identical day blocks, an affiliate list repeating "Buy Now" blocks, and a
    # basketball box score (a table of names and numbers).
    assert len(rejected) <= 3, rejected


def test_perplexity_percentile_key(tmp_path, monkeypatch):
    import roots.perplexity as perplexity

    configs = tmp_path / "configs"
    configs.mkdir()
    src = (ROOT / "language_configs" / "en.yaml").read_text(encoding="utf-8")
    (configs / "en.yaml").write_text(src.replace("max_perplexity_percentile: {value: 99.5",
                                                 "max_perplexity_percentile: {value: 150"), encoding="utf-8")
    with pytest.raises(LanguageConfigError, match=r"en\.yaml: key 'filters\.max_perplexity_percentile' must be a number "
                                                  r"from 0 to 100"):
        parse_filters(load_registry(configs).get("en"))
    load_registry.cache_clear()
    (configs / "en.yaml").write_text(src.replace("max_perplexity: {value: null", "max_perplexity: {value: 900"),
                                     encoding="utf-8")
    with pytest.raises(LanguageConfigError, match=r"en\.yaml: keys 'filters\.max_perplexity' and "
                                                  r"'filters\.max_perplexity_percentile' are both set"):
        parse_filters(load_registry(configs).get("en"))
    load_registry.cache_clear()
    en = load_registry().get("en")
    assert parse_filters(en).max_perplexity is None and parse_filters(en).max_perplexity_percentile == 99.5
    over = parse_filters(en, {"max_perplexity": 1200}, "run.yaml: quality.languages")
    assert over.max_perplexity == 1200 and over.max_perplexity_percentile is None  # a run config's choice wins

    class FakeModel:  # a model whose reference text has its 99.5th percentile at 300
        def __init__(self, directory):
            self.directory = directory

        def cutoff(self, percentile: float) -> float:
            return 300.0 if percentile == 99.5 else 0.0

        def score_many(self, texts):
            return [100.0 if "council" in t else 5000.0 for t in texts]

    lm = tmp_path / "lm" / "en"
    lm.mkdir(parents=True)
    monkeypatch.setattr(perplexity, "model_exists", lambda d: True)
    monkeypatch.setattr(perplexity, "read_manifest", lambda d: {"reference_percentiles": {"99.5": 300.0}})
    monkeypatch.setattr(perplexity, "PerplexityModel", FakeModel)
    stage = Quality(QualityConfig(lm_dir=str(tmp_path / "lm")))
    assert stage.report(["en"])["languages"]["en"]["filters"]["perplexity"] == {   # the cut-off resolved
        "on": True, "max_perplexity": 300.0, "max_perplexity_percentile": 99.5}
    good = stage(Document("p/1", GOOD_EN, "en"))
    bad = stage(Document("p/2", GOOD_EN.replace("council", "board"), "en"))
    assert reason(good) == "kept" and reason(bad) == "quality:perplexity"
    assert bad.detail == "p/2: KenLM perplexity 5000.0000 > max_perplexity 300 (the 99.5th percentile of the model's reference text)"
    monkeypatch.setattr(perplexity, "read_manifest", lambda d: {})
    off = Quality(QualityConfig(lm_dir=str(tmp_path / "lm"))).report(["en"])["languages"]["en"]["filters"]["perplexity"]
    assert not off["on"] and "stores no reference perplexities" in off["why"]
