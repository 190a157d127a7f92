"""The shipped word lists (language_configs/flagged_words/, language_configs/stopwords/) and the command
that builds stopword lists (`roots resources stopwords`, roots/resources.py).

Real text comes from FLORES-200 in ../shared/data (CC BY-SA 4.0); those tests skip when it is absent."""
from __future__ import annotations

import fnmatch
import gzip
import json
import re
import tomllib
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import pytest

import roots.cli as cli
from roots.document import Document, Rejection
from roots.filters import stats
from roots.filters.params import parse_filters
from roots.filters.quality import Quality
from roots.filters.words import normalise_word
from roots.languages import default_directory, load_registry
from roots.resources import ResourceError, frequency_stopwords, parse_select, read_documents, read_word_list

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
FLORES_DEV = DATA / "flores" / "flores200_dev.jsonl.gz"
FLORES_TRAIN = DATA / "flores" / "flores200_train.jsonl.gz"
CONFIGS = default_directory()
FLAGGED = sorted((CONFIGS / "flagged_words").glob("*.txt"))
STOPWORDS = sorted((CONFIGS / "stopwords").glob("*.txt"))
#: Languages with a ROOTS flagged-word list (ROOTS's `zh` gives both Chinese codes).
ROOTS_FLAGGED = {"ar", "bn", "ca", "en", "es", "eu", "fr", "hi", "id", "pt", "ur", "vi", "zh-Hans", "zh-Hant"}


def reason(outcome) -> str:
    return outcome.reason.code if isinstance(outcome, Rejection) else "kept"


@pytest.fixture(scope="module")
def quality() -> Quality:
    """The quality stage with the packaged configs and nothing else: the lists the yaml files name."""
    return Quality()


@lru_cache(maxsize=None)
def flores_dev_docs(flores: str, size: int = 8) -> tuple[str, ...]:
    """FLORES-200 dev sentences of one language in id order, joined `size` at a time (pseudo-documents)."""
    if not FLORES_DEV.is_file():
        pytest.skip("no ../shared/data (FLORES-200)")
    with gzip.open(FLORES_DEV, "rt", encoding="utf-8") as fh:
        rows = sorted((r["id"], r["text"]) for r in map(json.loads, fh) if r["flores"] == flores)
    sentences = [t for _, t in rows]
    return tuple(" ".join(sentences[i:i + size]) for i in range(0, len(sentences), size))


def natural_codes() -> list[str]:
    return [c.code for c in load_registry().natural()]


# --- every shipped list ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", FLAGGED + STOPWORDS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_shipped_list_parses_normalised_and_deduplicated(path: Path):
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# "), "a list starts with a header that says where it comes from"
    words = read_word_list(str(path))
    assert words, "an empty list"
    assert len(words) == len(set(words)), [w for w in words if words.count(w) > 1]
    assert all(normalise_word(w) == w for w in words), [w for w in words if normalise_word(w) != w]
    assert path.stem in load_registry(), f"{path.name} is not named after a registry code"


def test_lists_ship_where_expected():
    assert {p.stem for p in FLAGGED} == ROOTS_FLAGGED
    spacy_lacks = {"ak", "as", "bm", "fon", "ig", "ki", "ln", "nso", "ny", "or", "pa", "rn", "rw", "sn", "st", "sw",
                   "ts", "tum", "tw", "wo", "xh", "zu"}
    assert {p.stem for p in STOPWORDS} == spacy_lacks | {"ml", "te"}
    for folder in ("flagged_words", "stopwords"):
        sources = (CONFIGS / folder / "SOURCES.md").read_text(encoding="utf-8")
        assert "licen" in sources.lower() and "CC BY" in sources


def test_flagged_sources_record_origin_and_every_removal():
    sources = (CONFIGS / "flagged_words" / "SOURCES.md").read_text(encoding="utf-8")
    assert "bigscience-workshop/data-preparation" in sources and "26e70a3d083fa42b239b7d795c2d989b23baeb4f" in sources
    assert "Apache-2.0" in sources and "LDNOOBW" in sources and "CC BY 4.0" in sources
    for removed in ("口交", "卖比", "xxx", "جنس", "sexo"):
        assert f"| {removed} |" in sources
        assert removed not in read_word_list(str(CONFIGS / "flagged_words" / ("zh-Hans.txt" if removed in "口交卖比xxx" else
                                                                           "ar.txt" if removed == "جنس" else "pt.txt")))


@pytest.mark.parametrize("code", natural_codes())
def test_every_named_list_resolves_to_a_packaged_file(code: str):
    """What a config's `stopwords`/`flagged_words` names exists inside the package folder, and the
    package data globs of pyproject.toml ship it."""
    lang = load_registry().get(code)
    params = parse_filters(lang)
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"]["roots.language_configs"]
    for key in ("stopwords", "flagged_words"):
        value = getattr(params, key)
        if value is None or value == "spacy":
            continue
        path = Path(value)
        assert path.is_file(), f"{code}: filters.{key} names {value}, which does not exist"
        relative = path.resolve().relative_to(CONFIGS.resolve()).as_posix()
        assert any(fnmatch.fnmatch(relative, g) for g in globs), f"{relative} is not in the package data"
    assert params.stopwords is not None, f"{code} has no stopword list"
    assert (params.flagged_words is not None) == (code in ROOTS_FLAGGED)


def test_flagged_filter_is_on_by_default_where_a_list_ships(quality: Quality):
    report = quality.report()["languages"]
    for code in ROOTS_FLAGGED:
        assert report[code]["filters"]["flagged_words"]["on"] is True, code
    assert report["sw"]["filters"]["flagged_words"]["on"] is False  # ROOTS had no Swahili list
    assert report["sw"]["filters"]["stopwords"]["on"] is True


# --- the flagged-word filter on real text ------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(ROOTS_FLAGGED))
def test_clean_text_stays_far_under_the_flagged_threshold(quality: Quality, code: str):
    """FLORES-200 dev pseudo-documents (clean prose) score at most a tenth of `max_flagged_words`."""
    docs = flores_dev_docs(load_registry().get(code).flores)
    res = quality._resources(code)
    p = res.plan.params
    ratios = [stats.flagged_word_ratio(res.words.words(d), res.flagged, p.word_groups, p.word_group_join) for d in docs]
    assert max(ratios) <= p.max_flagged_words / 10, ratios


def test_a_flagged_english_document_is_rejected(quality: Quality):
    base = flores_dev_docs("eng_Latn")[0]
    spam = base + " Free porn videos, xxx milf and hentai, best porn site."
    assert reason(quality(Document("clean", base, "en"))) == "kept"
    out = quality(Document("spam", spam, "en"))
    assert reason(out) == "quality:flagged_words"
    assert out.doc.meta["quality"]["flagged_words"] > 0.01


def test_chinese_flagged_words_match_with_character_words(quality: Quality):
    """zh has no spaces: words are single Han characters (no SentencePiece model shipped; a Latin word is
    one word) and ROOTS's word groups of 2 make the two-character entries match."""
    res = quality._resources("zh-Hans")
    p = res.plan.params
    assert res.words.describe() == "characters" and tuple(p.word_groups) == (2,)

    def hits(text: str) -> list[str]:
        words = res.words.words(text)
        return [w for w in words + stats.augmented(words, p.word_groups, p.word_group_join) if w in res.flagged]

    assert hits("这个网站有肛交和乳交的内容。") == ["肛交", "乳交"]
    assert hits("今天早上，市中心的路口交通十分拥堵，出口交易额增长，买卖比例稳定。") == []  # removed entries
    assert hits("免费porn视频网站") == ["porn"]  # a Latin word is one word, so the English entries match
    assert hits("凡注明来源为“本网：XXX（署名）”的作品，转载时请注明出处。") == []  # the placeholder, removed
    assert "肛交" in quality._resources("zh-Hant").flagged and "賣淫" in quality._resources("zh-Hant").flagged


def test_vietnamese_two_syllable_entries_match(quality: Quality):
    res = quality._resources("vi")
    p = res.plan.params
    words = res.words.words("Xem phim sex miễn phí")
    assert "phim_sex" in [w for w in stats.augmented(words, p.word_groups, p.word_group_join) if w in res.flagged]


# --- stopwords ---------------------------------------------------------------------------------------


def test_frequency_stopwords_prefers_widespread_words_across_groups():
    docs = [["na", "ya", "safari"], ["na", "safari"], ["na", "ya", "safari"], ["ya", "kwa"], ["na", "kwa"]]
    groups = ["travel", "travel", "travel", "politics", "health"]
    plain = frequency_stopwords(docs, "sw", top=10, min_doc_share=0.4)
    assert plain.words == ["na", "safari", "ya", "kwa"]  # df 4, 3 (tf 3), 3 (tf 3): alphabetical; then 2
    spread = frequency_stopwords(docs, "sw", top=10, min_doc_share=0.4, groups=groups, min_group_share=0.6)
    assert spread.words == ["na", "ya", "kwa"]  # safari is in one of 3 topics
    assert "in at least 0.6 of the 3 groups" in spread.to_text("cmd").splitlines()[0]
    assert frequency_stopwords([["1999", "a"], ["1999", "a"]], "sw").words == ["a"]  # no numbers
    with pytest.raises(ResourceError):
        frequency_stopwords([], "sw")


def test_select_reads_one_language_of_a_multilingual_file(tmp_path):
    path = tmp_path / "f.jsonl"
    rows = [{"flores": "swh_Latn", "topic": "t1", "text": "na ya"}, {"flores": "eng_Latn", "topic": "t1", "text": "the"},
            {"flores": "swh_Latn", "topic": "t2", "text": "kwa"}]
    path.write_text("\n".join(map(json.dumps, rows)) + "\n", encoding="utf-8")
    assert list(read_documents([str(path)], select=parse_select(["flores=swh_Latn"]), group_field="topic")) == [
        ("na ya", "t1"), ("kwa", "t2")]
    assert list(read_documents([str(path)])) == [("na ya", ""), ("the", ""), ("kwa", "")]
    with pytest.raises(ResourceError, match="FIELD=VALUE"):
        parse_select(["flores"])
    text = tmp_path / "f.txt"
    text.write_text("a\n", encoding="utf-8")
    with pytest.raises(ResourceError, match="JSON Lines"):
        list(read_documents([str(text)], select={"flores": "x"}))


@pytest.mark.parametrize("code", ["sw", "xh", "te"])
def test_shipped_stopword_list_is_rebuilt_byte_for_byte_by_our_command(tmp_path, code: str):
    """Each list's header holds the command that built it; rerun on FLORES-200 train, same bytes."""
    if not FLORES_TRAIN.is_file():
        pytest.skip("no ../shared/data (FLORES-200)")
    shipped = CONFIGS / "stopwords" / f"{code}.txt"
    command = shipped.read_text(encoding="utf-8").splitlines()[1]
    match = re.fullmatch(r"# built by: roots resources stopwords (.*)", command)
    assert match, command
    args = match.group(1).replace(f"--input {FLORES_TRAIN.name}", f"--input {FLORES_TRAIN}").split()
    out = tmp_path / f"{code}.txt"
    assert cli.main(["resources", "stopwords", *args, "--output", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == shipped.read_text(encoding="utf-8")


def test_clean_swahili_passes_the_stopword_filter_by_default(quality: Quality):
    """With the shipped list and no run config, clean held-out Swahili (FLORES dev) is kept, and its
    stopword ratio is where RATIOS.md says (documents of 8 sentences: minimum 0.370, median 0.449)."""
    docs = flores_dev_docs("swh_Latn")
    outcomes = quality.process_batch([Document(str(i), d, "sw") for i, d in enumerate(docs)])
    assert [reason(o) for o in outcomes] == ["kept"] * len(docs)
    ratios = sorted(o.meta["quality"]["stopwords"] for o in outcomes)
    assert ratios[0] == pytest.approx(0.370, abs=5e-4) and ratios[len(ratios) // 2] == pytest.approx(0.449, abs=5e-4)


def test_stopword_lists_separate_the_language_from_english(quality: Quality):
    """A list built from a language's text finds few stopwords in English prose of the same content."""
    english = flores_dev_docs("eng_Latn")
    for code in ("sw", "zu", "as"):
        res = quality._resources(code)
        own = [stats.stopword_ratio(res.words.words(d), res.stopwords) for d in flores_dev_docs(load_registry().get(code).flores)]
        other = [stats.stopword_ratio(res.words.words(d), res.stopwords) for d in english]
        assert max(other) < min(own), (code, max(other), min(own))


def test_ratios_table_covers_every_natural_language():
    table = (CONFIGS / "stopwords" / "RATIOS.md").read_text(encoding="utf-8")
    rows = defaultdict(str)
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) > 5:
            rows[cells[0]] = line
    assert set(natural_codes()) <= set(rows)
