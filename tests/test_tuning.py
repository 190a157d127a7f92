"""`roots.filters.tuning` on the sample corpus run: each language's statistics are the quality stage's
population, the stored statistics and thresholds reproduce the stage's decisions, near-threshold and
candidate shares are right, and thresholds are written to a temporary language-config overlay,
changing nothing but the `filters:` values asked for."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import yaml

from roots.filters import tuning
from roots.filters.params import parse_filters
from roots.languages import load_registry
from roots.rundir import read_json
from sample_run import ROOT, sample_run_dir


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory) -> Path:
    return sample_run_dir(tmp_path_factory)


@pytest.fixture(scope="module")
def manifest(sample_run) -> dict:
    return read_json(str(sample_run / "manifest.json"))


@pytest.fixture(scope="module")
def en(sample_run) -> tuning.StatTable:
    return tuning.load_statistics(sample_run, "en")


@pytest.fixture()
def configs(tmp_path) -> Path:
    """A user's language-config overlay folder, not made yet (the write-back never touches the package)."""
    yield tmp_path / "language_configs"
    load_registry.cache_clear()


# --- the statistics ------------------------------------------------------------------------------


def test_every_language_is_the_quality_stage_population_and_its_decisions_reproduce(sample_run, manifest):
    counts = manifest["steps"]["curate"]["counts"]["quality"]
    policy = manifest["steps"]["curate"]["quality_policy"]["languages"]
    checked = 0
    for lang, cell in counts.items():
        if lang not in policy:
            continue
        table = tuning.load_statistics(sample_run, lang)
        assert len(table) == cell["input"]["docs"]
        # The documents are read after PII redaction (RUN/steps is gone): a language with redacted spans
        # has slightly other byte counts than the quality stage saw.
        if lang in manifest["steps"]["pii"].get("spans", {}):
            assert abs(int(table.nbytes.sum()) - cell["input"]["bytes"]) <= 0.03 * cell["input"]["bytes"]
        else:
            assert int(table.nbytes.sum()) == cell["input"]["bytes"], lang
        assert table.reasons.count("") == cell["kept"]["docs"]
        for reason, v in cell["rejected"].items():
            assert table.reasons.count(reason) == v["docs"]
        assert table.ids == sorted(table.ids)
        # the stored statistics and the thresholds in force give back exactly the stage's decisions
        assert (tuning.verdicts(table) == table.removed).all(), lang
        checked += 1
    assert checked >= 59


def test_thresholds_are_those_in_force_with_their_sources(en, sample_run):
    words = en.threshold("words")
    assert words.values == {"min_words": 20, "max_words": 100000} and words.on
    assert "parameters_filtering_en (number_words_min_cutoff)" in words.sources["min_words"]
    ppl = en.threshold("perplexity")   # the sample ships an English model: its percentile cut-off, resolved
    assert ppl.on and ppl.values["max_perplexity"] > 100 and "99.5th percentile" in ppl.sources["max_perplexity"]
    sw = tuning.load_statistics(sample_run, "sw").threshold("perplexity")
    assert not sw.on and "no language model" in sw.why
    assert set(en.statistics) >= {"words", "char_repetition", "word_repetition", "special_characters", "stopwords",
                                  "lid_score"}
    code = tuning.load_statistics(sample_run, "code-python")
    assert code.kind == "code" and code.threshold("chars").values == {"min_chars": 100, "max_chars": 200000}
    assert code.threshold("chars").spec.exclusive
    with pytest.raises(tuning.TuningError, match="no document of language 'xx'"):
        tuning.load_statistics(sample_run, "xx")


def test_near_threshold_finds_the_documents_on_each_side(en):
    near = tuning.near_threshold(en, "words", k=2)
    assert [e.reason for e in near.outside] and all(e.value < 20 for e in near.outside)
    assert all(e.reason == "quality:word_count" for e in near.outside)
    assert all(e.value >= 20 for e in near.inside)
    x = en.values["words"]
    passing = np.sort(x[(x >= 20) & (x <= 100000)])
    assert [e.value for e in near.inside] == passing[:2].tolist()
    assert all(e.excerpt for e in near.inside + near.outside)
    md = near._repr_markdown_()
    assert "just inside" in md and near.outside[0].id in md
    # a candidate moves the line
    moved = tuning.near_threshold(en, "words", k=50, candidate={"min_words": 60})
    assert all(e.value < 60 for e in moved.outside) and len(moved.outside) == int((x < 60).sum())


def test_removal_shares_of_candidates(en):
    x = en.values["word_repetition"]
    assert tuning.share_removed(en, "max_word_repetition", 0.0) == pytest.approx(float((x > 0).mean()))
    assert tuning.share_removed(en, "min_words", 20) == pytest.approx(float((en.values["words"] < 20).mean()))
    value = tuning.threshold_for_share(en, "min_words", 0.25)
    assert isinstance(value, int) and abs(tuning.share_removed(en, "min_words", value) - 0.25) < 0.1
    same = tuning.removal(en, {})
    assert same.removed_now == same.removed_then == int(en.removed.sum()) and not same.newly_removed
    stricter = tuning.removal(en, {"min_words": 100})
    assert set(stricter.newly_removed) == {i for i, w, r in zip(en.ids, en.values["words"], en.removed) if w < 100 and not r}
    assert stricter.removed_then == stricter.removed_now + len(stricter.newly_removed)
    assert "min_words" in str(stricter) and "100" in str(stricter)
    with pytest.raises(tuning.TuningError, match="not a threshold"):
        tuning.removal(en, {"max_foo": 1})
    assert "removes 5%" in tuning.share_table(en)
    assert "**en**" in tuning.summary(en)


def test_plots_are_figures(en):
    pytest.importorskip("matplotlib")
    fig = tuning.plot_distribution(en, "words", candidate={"min_words": 40})
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "min_words = 20" in labels and "candidate min_words = 40" in labels
    buf = io.BytesIO()
    tuning.plot_statistics(en, {"max_word_repetition": 0.2}).savefig(buf, format="png")
    assert len(buf.getvalue()) > 10_000
    d = tuning.distribution(en, "special_characters")
    assert d.total + d.missing == len(en)


def test_a_sample_of_a_source_filtered_by_roots_filter(tmp_path):
    from roots import cli

    kept, rejected, report = tmp_path / "kept.jsonl", tmp_path / "rejected.jsonl", tmp_path / "report.json"
    src = ROOT / "examples" / "sample" / "crawl" / "web.jsonl"
    assert cli.main(["filter", "--lang", "en", "--input", str(src), "--output", str(kept), "--rejected", str(rejected),
                     "--report", str(report)]) == 0
    table = tuning.load_filter_output(str(kept), str(rejected), "en", str(report))
    assert len(table) == sum(1 for _ in kept.open()) + sum('"stage": "quality"' in line for line in rejected.open())
    assert (tuning.verdicts(table) == table.removed).all()
    assert table.threshold("words").values["min_words"] == 20


# --- the write-back ------------------------------------------------------------------------------


def _changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    a, b = before.splitlines(), after.splitlines()
    assert len(a) == len(b)
    return [(x, y) for x, y in zip(a, b) if x != y]


def test_write_back_changes_only_the_filters_values_asked_for(configs, sample_run):
    path = configs / "en.yaml"
    packaged = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "language_configs").glob("*.yaml")}
    proposal = tuning.propose_thresholds("en", {"max_word_repetition": np.float64(0.25), "min_words": 30},
                                         str(configs), run_dir=str(sample_run), today="2026-11-26")
    assert not path.exists() and proposal.old_text == ""  # nothing written before apply
    diff = proposal.diff
    assert diff.startswith(f"--- {path}") and diff.count("\n-") == 0 and diff.count("\n+  ") == 2
    assert "```diff" in proposal._repr_markdown_()
    assert "wrote" in tuning.apply_thresholds(proposal)
    after = path.read_text(encoding="utf-8")
    data = yaml.safe_load(after)
    assert list(data) == ["filters"] and list(data["filters"]) == ["min_words", "max_word_repetition"]
    assert [p.name for p in configs.iterdir()] == ["en.yaml"]
    assert {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "language_configs").glob("*.yaml")} == packaged
    load_registry.cache_clear()
    params = parse_filters(load_registry(overlay=configs).get("en"))
    assert params.max_word_repetition == 0.25 and params.min_words == 30 and params.max_words == 100000
    source = params.sources["max_word_repetition"]
    assert source.startswith("tuned by hand on 2026-11-26 with roots.filters.tuning on run sample")
    assert ("before: 0.19 from ROOTS parameters_filtering.py, parameters_filtering_en (word_repetition_max_cutoff); "
            "checked by benchmarks/filter_calibration.py") in source

    # a retune edits the overlay's line in place and keeps what the value was before any hand tuning
    again = tuning.propose_thresholds("en", {"max_word_repetition": 0.22}, str(configs), today="2026-12-01")
    tuning.apply_thresholds(again)
    assert [old.split(":")[0] for old, _ in _changed_lines(after, path.read_text(encoding="utf-8"))] == ["  max_word_repetition"]
    load_registry.cache_clear()
    source = parse_filters(load_registry(overlay=configs).get("en")).sources["max_word_repetition"]
    assert source.startswith("tuned by hand on 2026-12-01 with roots.filters.tuning; before: 0.19 from ROOTS parameters_filtering.py, "
                             "parameters_filtering_en (word_repetition_max_cutoff); checked by")

    # a run's thresholds keep the sources the run recorded, whatever the config says now
    policy = read_json(str(sample_run / "manifest.json"))["steps"]["curate"]["quality_policy"]
    words = tuning.thresholds_from_policy("en", policy, str(configs))["words"]
    assert words.values["min_words"] == 20 and words.sources["min_words"].startswith("ROOTS parameters_filtering.py")


def test_write_back_refuses_bad_values_and_stale_diffs(configs):
    with pytest.raises(tuning.TuningError, match=r"en\.yaml: .*filters\.max_word_repetition.*from 0 to 1"):
        tuning.propose_thresholds("en", {"max_word_repetition": 2}, str(configs))
    with pytest.raises(tuning.TuningError, match="'filters.max_foo' is not a filter setting"):
        tuning.propose_thresholds("en", {"max_foo": 1}, str(configs))
    with pytest.raises(tuning.TuningError, match="unknown language"):
        tuning.propose_thresholds("xx", {"min_words": 1}, str(configs))
    same = tuning.propose_thresholds("en", {"min_words": 20}, str(configs))
    assert same.diff == "" and tuning.apply_thresholds(same).endswith("no change")
    proposal = tuning.propose_thresholds("en", {"min_words": 25}, str(configs))
    assert "not written" in tuning.apply_thresholds(proposal, confirm=False)
    assert not (configs / "en.yaml").exists()
    configs.mkdir()
    (configs / "en.yaml").write_text("# a note\n", encoding="utf-8")  # someone else writes the file meanwhile
    with pytest.raises(tuning.TuningError, match="changed since the diff"):
        tuning.apply_thresholds(proposal)


def test_write_back_adds_a_missing_key_inside_the_filters_section(configs):
    configs.mkdir()
    path = configs / "sw.yaml"
    path.write_text("filters:\n  min_words: {value: 8, source: mine}\n"
                    "sampling:  # another section after ours\n  tokenizer_weight: 2.0\n", encoding="utf-8")
    load_registry.cache_clear()
    proposal = tuning.propose_thresholds("sw", {"min_lid_score": 0.5, "max_perplexity": None}, str(configs),
                                         today="2026-11-26")
    tuning.apply_thresholds(proposal)
    after = path.read_text(encoding="utf-8")
    new_line = [line for line in after.splitlines() if line.startswith("  min_lid_score:")]
    assert len(new_line) == 1 and "before: null from off: the LID stage" in new_line[0]
    assert after.index("  min_lid_score:") < after.index("sampling:")
    assert after.startswith("filters:\n  min_words: {value: 8, source: mine}\n")
    assert after.endswith("sampling:  # another section after ours\n  tokenizer_weight: 2.0\n")
    load_registry.cache_clear()
    config = load_registry(overlay=configs).get("sw")
    assert config.sections["sampling"] == {"tokenizer_weight": 2.0}
    params = parse_filters(config)
    assert params.min_lid_score == 0.5 and params.max_perplexity is None and params.min_words == 8
