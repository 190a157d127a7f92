"""`roots run examples/sample.yaml` end to end: every language arrives, every planted defect is
rejected with its reason, nothing is lost, Hugging Face datasets reads the result, reruns are identical."""
from __future__ import annotations

import json
import os
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import pytest

from roots.config import load_config
from roots.languages import load_registry
from roots.pipelines.runner import run
from roots.rundir import folder_lang
from roots.stats import stage_counts, totals

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "sample.yaml"


def read_rows(run_dir: Path, kind: str) -> list[dict]:
    return [row for path in sorted((run_dir / kind).rglob("*.parquet")) for row in pq.read_table(path).to_pylist()]


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("sample") / "run"
    manifest = run(load_config(str(SAMPLE), output=str(out)))
    return out, manifest.steps


def test_every_language_arrives(sample_run):
    out, _ = sample_run
    registry = load_registry()
    langs = {folder_lang(str(p)) for p in (out / "documents").iterdir()}
    assert {c.code for c in registry.natural()} <= langs
    assert {c.code for c in registry.code_languages()} <= langs


def test_nothing_is_lost_and_counts_match_the_shards(sample_run):
    out, steps = sample_run
    counts = stage_counts(steps)
    stages = list(counts)
    # boilerplate runs on the web sources (sample-crawl is marked web: true; warc and wet are web by
    # format), which also get template-line removal by default: their pages repeat no line 10 times.
    # url_blocklist: the sample's own stage (examples/stages.py, `stages:` in sample.yaml), before dedup
    assert stages == ["ingest", "normalise", "cleaning", "boilerplate", "lid", "quality", "url_blocklist", "dedup", "pii"]
    assert set(steps) == {"templates", "curate", "dedup", "pii", "tokenizer", "megatron"}
    assert steps["templates"]["sources"] == {"sample-crawl": 1, "sample-warc": 0, "sample-wet": 0}
    assert steps["curate"]["boilerplate_lines"]["en"]["cookie"] >= 1
    for earlier, later in zip(stages, stages[1:]):
        assert totals(counts[later])["input"] == totals(counts[earlier])["kept"]
    kept, rejected = read_rows(out, "documents"), read_rows(out, "rejected")
    assert len(kept) == totals(counts[stages[-1]])["kept"]
    assert len(rejected) == sum(totals(counts[s])["rejected"] for s in stages)
    assert len(kept) + len(rejected) == totals(counts["ingest"])["input"]
    assert len({r["id"] for r in kept + rejected}) == len(kept) + len(rejected)
    for stage in counts.values():
        for lang, cell in stage.items():
            on_disk = [r for r in rejected if (r["lang"] or "und") == lang]
            assert cell["input"]["docs"] == cell["kept"]["docs"] + sum(v["docs"] for v in cell["rejected"].values())
            assert on_disk or not cell["rejected"]


@pytest.mark.parametrize("file_part,record,reason", [
    ("crawl/broken.jsonl", 3, "bad_input:broken_json"),
    ("crawl/broken.jsonl", 4, "bad_input:not_an_object"),
    ("crawl/broken.jsonl", 5, "bad_input:missing_field"),
    ("crawl/broken.jsonl", 6, "bad_input:wrong_type"),
    ("crawl/broken.jsonl", 7, "bad_input:empty_text"),
    ("crawl/broken.jsonl", 8, "bad_input:invalid_utf8"),
    ("crawl/broken.jsonl", 9, "bad_input:invalid_utf8"),
    ("crawl/broken.jsonl", 11, "bad_input:empty_text"),
    ("crawl/broken.jsonl", 12, "bad_input:not_an_object"),
    ("latin1.txt", None, "bad_input:invalid_utf8"),
    ("other_schema.parquet", None, "bad_input:schema_mismatch"),
    ("node_modules/leftpad/index.js", None, "bad_input:vendored_file"),
    ("assets/logo.bin", None, "bad_input:binary_file"),
    ("code/README.md", None, "bad_input:unknown_language"),
])
def test_planted_defects_are_rejected_with_their_reason(sample_run, file_part, record, reason):
    out, _ = sample_run
    rejected = read_rows(out, "rejected")
    hits = [r for r in rejected
            if file_part.split("/")[-1] in json.loads(r["meta"]).get("file", "")
            and (record is None or json.loads(r["meta"]).get("record") == record)]
    assert hits, f"no rejection for {file_part} record {record}"
    assert {h["reason"] for h in hits} == {reason}


def test_good_records_of_bad_files_are_kept(sample_run):
    out, _ = sample_run
    kept_ids = {r["id"] for r in read_rows(out, "documents")}
    assert {"sample-crawl/broken-001", "sample-crawl/broken-002", "sample-crawl/broken-013"} <= kept_ids


def test_hugging_face_datasets_reads_the_documents(sample_run):
    out, steps = sample_run
    files = sorted(str(p) for p in (out / "documents").rglob("*.parquet"))
    ds = datasets.load_dataset("parquet", data_files=files, split="train")
    counts = stage_counts(steps)
    assert ds.num_rows == totals(counts[list(counts)[-1]])["kept"]
    assert set(ds.column_names) == {"id", "text", "lang", "source", "meta"}


def test_rerun_is_byte_identical_and_resumes(sample_run, tmp_path):
    out, _ = sample_run
    again = tmp_path / "again"
    run(load_config(str(SAMPLE), output=str(again)))
    def shards(d: Path) -> dict[str, bytes]:
        names = ["part-*", "*_text_document_*", "spm.model", "spm.vocab", "train-*.txt", "tokenizer.json"]
        return {str(p.relative_to(d)): p.read_bytes() for name in names for p in sorted(d.rglob(name))}
    assert shards(out) == shards(again)
    stamp = os.stat(again / "manifest.json").st_mtime_ns
    run(load_config(str(SAMPLE), output=str(again)))                 # complete: nothing to do
    assert os.stat(again / "manifest.json").st_mtime_ns == stamp


def test_pii_is_redacted_and_counted(sample_run):
    out, steps = sample_run
    kept = {r["id"]: r for r in read_rows(out, "documents")}
    ticket = kept["sample-crawl/web-020"]
    for value in ("4111 1111 1111 1111", "GB82 WEST 1234 5698 7654 32", "81.2.69.160", "james.okoro@example.net"):
        assert value not in ticket["text"]
    assert "PI:CREDIT_CARD" in ticket["text"] and "PI:EMAIL" in ticket["text"]
    assert "192.168.1.254" in kept["sample-crawl/web-028"]["text"]  # a private address names no one
    notes = kept["sample-crawl/web-039"]["text"]
    for value in ("Version 2.10.4", "2024-03-15", "192 participants", "1,250,000"):
        assert value in notes
    spans = steps["pii"]["spans"]
    by_type: dict[str, int] = {}
    for per_lang in spans.values():
        for kind, n in per_lang.items():
            by_type[kind] = by_type.get(kind, 0) + n
    # (ROOTS's map before the quality filters already drops words holding ".com", "@"-less URLs and
    # over-long tokens, so some e-mails and keys are gone before the PII step sees them.)
    assert by_type["CREDIT_CARD"] >= 2 and by_type["IBAN"] >= 3 and by_type["PHONE"] >= 8
    planted = ("maria.lopez@example.com", "020 7946 0958", "(202) 555-0147", "5555 5555 5555 4444",
               "ES31 2085 4721 3503 3012 3456", "48291735S", "+33 6 39 98 45 21", "529.982.247-25",
               "sk_live_klZDOCj2ISaJiHkTj0rLGlko", "@MariaLopezSings", "2a00:1450:4001:82a::200e")
    for row in kept.values():
        for value in planted:
            assert value not in row["text"], (row["id"], value)
    assert sum(n for by_type in spans.values() for n in by_type.values()) == sum(
        len(json.loads(r["meta"])["pii"]) for r in kept.values())


def test_no_raw_pii_anywhere_under_the_run(sample_run):
    """The privacy boundary (issue 15): rejected shards at every stage are redacted like kept ones, meta
    strings too, and the documents between steps are gone."""
    out, steps = sample_run
    planted = ("maria.lopez@example.com", "020 7946 0958", "(202) 555-0147", "5555 5555 5555 4444",
               "ES31 2085 4721 3503 3012 3456", "48291735S", "+33 6 39 98 45 21", "4111 1111 1111 1111",
               "GB82 WEST 1234 5698 7654 32", "james.okoro@example.net", "81.2.69.160")
    rejected = read_rows(out, "rejected")
    assert rejected
    for row in rejected + read_rows(out, "documents"):
        for value in planted:
            assert value not in row["text"] and value not in row["meta"], (row["id"], value)
    assert not (out / "steps").exists()
    assert steps["pii"]["pii_policy"]["rejected"] == "redacted at every stage"


def test_tokenizer_and_megatron_binaries(sample_run):
    from roots.megatron import IndexedDataset
    from roots.tokenizer import load_sentencepiece

    out, steps = sample_run
    sp = load_sentencepiece(str(out / "tokenizer" / "spm.model"))
    assert sp.get_piece_size() == 8000
    kept = {}
    for row in read_rows(out, "documents"):
        kept.setdefault(row["lang"] or "und", []).append(row)
    assert set(steps["megatron"]["languages"]) == set(kept)
    eod = steps["megatron"]["tokenizer"]["eod"]
    for lang in ("sw", "zh-Hans", "code-rust"):
        (prefix,) = {p.with_suffix("") for p in (out / "megatron").glob(f"{lang}_text_document_*.idx")}
        data = IndexedDataset(str(prefix))
        texts = sorted((r["id"], r["text"]) for r in kept[lang])
        assert len(data) == len(texts)
        for i, (_, text) in enumerate(texts):
            assert data.document(i).tolist() == sp.encode(text) + [eod]
    blend = (out / "megatron" / "blend.txt").read_text().split()
    assert len(blend) == 2 * len(kept)


def test_junk_is_rejected_and_good_text_kept(sample_run):
    out, _ = sample_run
    reasons = {r["id"]: r["reason"] for r in read_rows(out, "rejected")}
    # web-036 repeats one line 24 times: the template step finds it, cleaning removes it, and what is
    # left ("Click here…", "Download now") is boilerplate that the boilerplate stage removes (or, were it
    # off, too little to be identified or kept).
    assert reasons["sample-crawl/web-036"].split(":")[0] in ("boilerplate", "lid", "quality")
    assert reasons["sample-crawl/web-023"] == "boilerplate:lone_line"       # "Page not found": one line, no sentence
    assert reasons["sample-crawl/web-055"] == "boilerplate:lone_line"       # a feed excerpt cut off with "..."
    assert reasons["sample-crawl/web-048"] == "quality:word_count"          # a 16-word order confirmation
    # web-025 (a table of numbers) is short lines without punctuation: the boilerplate stage's menu rule
    for junk in ("web-010", "web-018", "web-025", "web-030", "web-031", "web-040", "web-013"):
        assert reasons[f"sample-crawl/{junk}"].split(":")[0] in ("boilerplate", "lid", "quality"), junk
    # Good text passes language ID and the filters (it may then lose to a copy of itself in dedup).
    for lang in ("en", "sw", "hi", "zh-Hans", "yo", "fon", "ta", "ar"):
        for n in (1, 2, 3):
            doc_id = f"sample-text-{lang.lower()}/{lang}-00{n}"
            assert reasons.get(doc_id, "kept").split(":")[0] in ("kept", "dedup"), (doc_id, reasons.get(doc_id))
    statistics = [json.loads(r["meta"]) for r in read_rows(out, "documents") if r["lang"] == "en"]
    assert statistics and all("quality" in m and m["lid_score"] > 0.8 for m in statistics)


def test_the_sample_user_stage_blocks_the_mirror_before_dedup(sample_run):
    """web-016, the mirror's copy of web-002, goes to the config's UrlBlocklist, so dedup keeps web-002."""
    out, steps = sample_run
    rejected = {r["id"]: r for r in read_rows(out, "rejected")}
    assert rejected["sample-crawl/web-016"]["reason"] == "url_blocklist:blocked_domain"
    assert "mirror.example.net" in rejected["sample-crawl/web-016"]["detail"]
    assert "sample-crawl/web-002" in {r["id"] for r in read_rows(out, "documents")}
    assert totals(stage_counts(steps)["url_blocklist"])["rejected"] == 1


def test_duplicates_leave_one_document_each(sample_run):
    out, _ = sample_run
    kept = {r["id"] for r in read_rows(out, "documents")}
    rejected = {r["id"]: r for r in read_rows(out, "rejected")}
    groups = [("web-001", "web-012"), ("web-003", "web-017"), ("web-005", "web-026"),
              ("web-007", "web-021", "web-033"), ("web-008", "web-027"), ("web-011", "web-034")]
    for group in groups:
        ids = [f"sample-crawl/{g}" for g in group]
        assert sum(i in kept for i in ids) == 1, group
        for i in ids:
            if i not in kept:
                meta = json.loads(rejected[i]["meta"])
                assert rejected[i]["reason"] in ("dedup:exact", "dedup:near") and meta["dedup_kept"] in kept
    # the same article in another source (es-002 and its crawl copy web-045): one survives
    assert ("sample-crawl/web-045" in kept) != ("sample-text-es/es-002" in kept)


def test_web_pages_lose_their_boilerplate_lines_and_keep_their_prose(sample_run):
    """web-046: mojibake repaired; title, headline, affiliate notice, a pull quote repeating the article,
    the author box and the "…" teasers go.
    web-047: the hard-wrapped replies stay whole, the `name says:` headers go."""
    out, _ = sample_run
    rows = {r["id"]: r for r in read_rows(out, "documents") + read_rows(out, "rejected")}
    news, post = rows["sample-crawl/web-046"], rows["sample-crawl/web-047"]
    assert "reason" not in news or not news["reason"], news.get("reason")
    assert "children\u2019s books" in news["text"] and "\u00e2" not in news["text"]
    removed = json.loads(news["meta"])["boilerplate"]["lines_removed"]
    # the title and headline sit in a run with the notice, "More from the Gazette" in one with the teasers
    # (menu_run); the pull quote repeats the first paragraph
    assert removed == {"bio": 1, "menu_run": 3, "notice": 1, "repeated_line": 1, "teaser": 4}, removed
    assert news["text"].endswith("the week before the water came in.")
    assert "Tom Reyes is a staff reporter" not in news["text"] and "Council publishes" not in news["text"]
    assert "reason" not in post or not post["reason"], post.get("reason")
    assert "the tank\non the north side this morning and the level was\nlower" in post["text"]   # lines stay lines
    assert "says:" not in post["text"]
    assert json.loads(post["meta"])["boilerplate"]["lines_removed"] == {"comments": 2}


def test_spanish_news_page_loses_labels_notices_and_spam_lines(sample_run):
    """web-049: the related-story label, the look-alike-letter advert, the newsletter notice and the
    flattened sort menu go, each by its own rule; the three paragraphs stay, in Spanish."""
    out, _ = sample_run
    rows = {r["id"]: r for r in read_rows(out, "documents") + read_rows(out, "rejected")}
    page = rows["sample-crawl/web-049"]
    assert "reason" not in page or not page["reason"], page.get("reason")
    assert page["lang"] == "es"
    removed = json.loads(page["meta"])["boilerplate"]["lines_removed"]
    assert removed == {"homoglyph": 1, "notice": 1, "related": 1, "repeated_phrase": 1}, removed
    assert "Lea también" not in page["text"] and "Ordenar por" not in page["text"]
    assert page["text"].endswith("durante las horas de venta.")


def test_crawl_cleaning_removes_html_spans(sample_run):
    out, _ = sample_run
    page = next(r for r in read_rows(out, "documents") + read_rows(out, "rejected") if r["id"] == "sample-crawl/web-041")
    assert "<div" not in page["text"] and "<script" not in page["text"]


def test_news_page_loses_its_teaser_grid(sample_run):
    """web-050: the three headline + deck teasers under "More from the Valley Courier" go as a
    `teaser_list` (their heading as a menu run); the article's paragraphs stay."""
    out, _ = sample_run
    rows = {r["id"]: r for r in read_rows(out, "documents") + read_rows(out, "rejected")}
    page = rows["sample-crawl/web-050"]
    assert "reason" not in page or not page["reason"], page.get("reason")
    removed = json.loads(page["meta"])["boilerplate"]["lines_removed"]
    assert removed == {"menu_run": 1, "teaser_list": 6}, removed
    assert page["text"].endswith("the wireless network of the library reaches every bench.")
    assert "Ferry service" not in page["text"] and "Farmers market" not in page["text"]


def test_recipe_post_loses_its_reader_comments(sample_run):
    """web-051: the two reader comments (one under a dated "said:" header, one closed by a "Reply"
    link) go as `comment`; the recipe's paragraphs stay."""
    out, _ = sample_run
    rows = {r["id"]: r for r in read_rows(out, "documents") + read_rows(out, "rejected")}
    page = rows["sample-crawl/web-051"]
    assert "reason" not in page or not page["reason"], page.get("reason")
    removed = json.loads(page["meta"])["boilerplate"]["lines_removed"]
    assert removed["comment"] == 2, removed
    assert "windfall" not in page["text"] and "honey" not in page["text"]
    assert page["text"].endswith("Unopened jars keep for a year in a dark cupboard.")


def test_french_page_loses_the_blurb_between_its_menus(sample_run):
    """web-052: the sentence about the paper, alone between the site menu and the copyright line, goes
    as an `island`; the article's three paragraphs stay, in French."""
    out, _ = sample_run
    rows = {r["id"]: r for r in read_rows(out, "documents") + read_rows(out, "rejected")}
    page = rows["sample-crawl/web-052"]
    assert "reason" not in page or not page["reason"], page.get("reason")
    assert page["lang"] == "fr"
    removed = json.loads(page["meta"])["boilerplate"]["lines_removed"]
    assert removed == {"copyright": 1, "island": 1, "menu_run": 3, "navigation": 1}, removed
    assert page["text"].endswith("promis que les bancs seraient repeints avant l'automne.")


def test_chinese_page_keeps_its_report_and_an_english_page_its_wrapped_lines(sample_run):
    """web-053: a report whose names recur passes Gopher's n-gram rules (spans of words, not characters);
    the headline inside the title, the menu bar and the keyword list go. web-054: a language switcher
    with "简体中文" leaves an English page English: its hard-wrapped paragraphs stay, the headlines listed
    after its last sentence go (`headline_tail`)."""
    out, _ = sample_run
    rows = {r["id"]: r for r in read_rows(out, "documents") + read_rows(out, "rejected")}
    news, letter = rows["sample-crawl/web-053"], rows["sample-crawl/web-054"]
    assert "reason" not in news or not news["reason"], news.get("reason")
    assert news["lang"] == "zh-Hans"
    meta = json.loads(news["meta"])
    assert meta["boilerplate"]["lines_removed"] == {"copyright": 1, "link_list": 2, "repeated_line": 1}
    assert meta["quality"]["dup_5gram_char_fraction"] < 0.15 and "热门搜索" not in news["text"]
    assert news["text"].endswith("孩子也更愿意来看书了。")
    assert "reason" not in letter or not letter["reason"], letter.get("reason")
    assert letter["lang"] == "en" and "简体中文" not in letter["text"]
    assert "two weeks\nlater than planned" in letter["text"]
    assert letter["text"].endswith("since the spring regatta.")   # the "Latest from the club" list went
    assert json.loads(letter["meta"])["boilerplate"]["lines_removed"]["headline_tail"] == 4


def test_comment_thread_goes_and_the_recipe_stays(sample_run):
    """web-056: three WordPress-style comments ("Oskar says:", a date line, the comment) without reply
    links go as `comment`; the recipe's paragraphs stay. web-057: a comment section under "2 thoughts on
    “…”" whose commenters' names carry no "says:" goes up to the comment form; the article stays."""
    out, _ = sample_run
    rows = {r["id"]: r for r in read_rows(out, "documents") + read_rows(out, "rejected")}
    page = rows["sample-crawl/web-057"]
    assert page["lang"] == "en" and "voles" not in page["text"] and "Ruth Ambler" not in page["text"]
    assert page["text"].endswith("as good as it ever was.")
    page = rows["sample-crawl/web-056"]
    assert "reason" not in page or not page["reason"], page.get("reason")
    assert page["lang"] == "en" and "damsons" not in page["text"] and "says:" not in page["text"]
    assert page["text"].startswith("Every September") and page["text"].endswith("within a month.")
    assert json.loads(page["meta"])["boilerplate"]["lines_removed"]["comment"] == 3
