"""Measured curation quality: which good documents a curation pipeline keeps (in the right language) and
which junk and wrong-language documents it rejects, per set, per language and per stage, for roots and
for datatrove 0.10.1's FineWeb-style filters, on the same documents in one run.

The documents are the labelled set `benchmarks/curation_labels.jsonl`: one row per document, holding only
a reference into `../shared/data` (never the text), its SHA-1 and a label read by a person:

| set | what a row points at | labels |
| --- | --- | --- |
| `oscar` | a line of `web/oscar2019_dummy.jsonl` (first occurrence of each distinct text) | good / junk / wrong_language |
| `wet` | a conversion record of `web/whirlwind.warc.wet.gz` | read by hand |
| `article` | a page of `web/article_extraction/`: `part: article` = its ground-truth text (good), `part: boilerplate` = the page's visible text minus the ground-truth lines (junk), see `article_parts` | good / junk |
| `flores` | `flores/flores200_dev.jsonl.gz`: sentences `first`..`first+n-1` of one FLORES code joined by spaces | good (our 46) / wrong_language (neighbours) |

Every document enters both pipelines as a web crawl would give it: no source language (`lang` empty), so
language ID decides (`--claimed-lang` gives OSCAR's claim and FLORES's code as the source language).

roots side: a run config (`--config`, else the default one below) whose sources are a temporary JSONL of
the documents; the stages are `roots.pipelines.runner.curate_stages(config)`, exactly those `roots run`
builds for its curate step (the template-line counts of `dedup_template` are gathered first as the
run's template step does), so stages added to `curate_stages` are measured without touching this file.
datatrove side (in `.venv-peers`, a subprocess): LanguageFilter (lid.176, languages = the lid.176 labels
of our 46, threshold 0.65), GopherRepetitionFilter, GopherQualityFilter, C4QualityFilter,
FineWebQualityFilter, in FineWeb's order, each built for the detected language (word tokenizer); the
English stop-word rule of GopherQuality only on English, as FineWeb-2 does not have per-language lists in
0.10.1. Its LID model is the lid.176.ftz roots uses (no download).

A document counts as "good kept" at a checkpoint when it is still in the pipeline there and, once
language ID has run, its language equals the label's; junk and wrong-language documents count as
"rejected" when they are out by then. Checkpoints are the pipeline's stages in its own order, grouped as
lid / boilerplate / quality (see `stage_group`); "final" is the output.

    .venv/bin/python benchmarks/curation_quality.py                 # both sides, tables to stdout
    .venv/bin/python benchmarks/curation_quality.py --skip datatrove --out runs/bench-curation
    .venv/bin/python benchmarks/curation_quality.py --half dev      # develop rules on one half (split_half)

Outputs under --out: `results.json` (every share, per set × language × checkpoint), `decisions.jsonl`
(per document and pipeline: where it was rejected and why, its final language) and `report.md`.
"""
from __future__ import annotations

import argparse
import collections
import gzip
import hashlib
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
LABELS = ROOT / "benchmarks" / "curation_labels.jsonl"
OSCAR = "web/oscar2019_dummy.jsonl"
WET = "web/whirlwind.warc.wet.gz"
ARTICLES = "web/article_extraction"
FLORES_DEV = "flores/flores200_dev.jsonl.gz"
FLORES_TRAIN = "flores/flores200_train.jsonl.gz"
LABEL_VALUES = ("good", "junk", "wrong_language")
SETS = ("oscar", "wet", "article", "flores")

log = logging.getLogger("curation_quality")


# --- resolving the labelled set ----------------------------------------------------------------------

def sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def read_labels(path: Path = LABELS) -> list[dict[str, Any]]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                row = json.loads(line)
                if row.get("label") not in LABEL_VALUES or row.get("set") not in SETS:
                    raise ValueError(f"{path}:{n}: label must be one of {LABEL_VALUES} and set one of {SETS}")
                rows.append(row)
    return rows


def doc_id(row: dict[str, Any]) -> str:
    s = row["set"]
    if s == "oscar":
        return f"oscar:{row['line']}"
    if s == "wet":
        return f"wet:{row['record']}"
    if s == "article":
        return f"article:{row['page'][:12]}:{row['part']}"
    return f"flores:{row['flores']}:{row['first']}"


def split_half(row: dict[str, Any]) -> str:
    """"dev" or "held-out", fixed by the SHA-1 of the document's id (an article page's two parts by the
    page's): develop rules on dev, report both, so a threshold tuned to one half shows on the other."""
    key = f"article:{row['page']}" if row["set"] == "article" else doc_id(row)
    return "dev" if int(hashlib.sha1(key.encode("utf-8")).hexdigest(), 16) % 2 == 0 else "held-out"


class Resolver:
    """Turns label rows into texts, reading each source file once."""

    def __init__(self, data: Path = DATA) -> None:
        self.data = data
        self._oscar: list[str] | None = None
        self._wet: list[str] | None = None
        self._truth: dict[str, Any] | None = None
        self._flores: dict[str, list[str]] | None = None
        self._articles: dict[str, tuple[str, str]] = {}

    def oscar(self) -> list[str]:
        if self._oscar is None:
            with open(self.data / OSCAR, encoding="utf-8") as fh:
                self._oscar = [json.loads(line)["text"] for line in fh]
        return self._oscar

    def wet(self) -> list[str]:
        if self._wet is None:
            from warcio.archiveiterator import ArchiveIterator
            texts = []
            with open(self.data / WET, "rb") as fh:
                for record in ArchiveIterator(fh):
                    if record.rec_type == "conversion":
                        texts.append(record.content_stream().read().decode("utf-8"))
            self._wet = texts
        return self._wet

    def truth(self) -> dict[str, Any]:
        if self._truth is None:
            with open(self.data / ARTICLES / "ground-truth.json", encoding="utf-8") as fh:
                self._truth = json.load(fh)
        return self._truth

    def flores(self) -> dict[str, list[str]]:
        if self._flores is None:
            by_code: dict[str, list[tuple[int, str]]] = collections.defaultdict(list)
            with gzip.open(self.data / FLORES_DEV, "rt", encoding="utf-8") as fh:
                for line in fh:
                    r = json.loads(line)
                    by_code[r["flores"]].append((int(r["id"]), r["text"]))
            self._flores = {code: [t for _, t in sorted(rows)] for code, rows in by_code.items()}
        return self._flores

    def article(self, page: str) -> tuple[str, str]:
        if page not in self._articles:
            with gzip.open(self.data / ARTICLES / "html" / f"{page}.html.gz", "rb") as fh:
                html = fh.read()
            self._articles[page] = article_parts(html, self.truth()[page]["articleBody"])
        return self._articles[page]

    def text(self, row: dict[str, Any]) -> str:
        s = row["set"]
        if s == "oscar":
            return self.oscar()[row["line"]]
        if s == "wet":
            return self.wet()[row["record"]]
        if s == "article":
            good, junk = self.article(row["page"])
            return good if row["part"] == "article" else junk
        sents = self.flores()[row["flores"]]
        return " ".join(sents[row["first"]:row["first"] + row["n"]])


# --- the article pages: ground truth (good) and the rest of the page (junk) --------------------------

_BLOCK_TAGS = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "table",
               "section", "article", "header", "footer", "nav", "aside", "form", "br", "blockquote", "pre",
               "figcaption", "figure", "dd", "dt", "dl", "main", "button", "option", "select", "label",
               "title", "body", "span_break"}
_DROP_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "head")
_WORDS = re.compile(r"\w+", re.UNICODE)
_SPACES = re.compile(r"\s+")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def visible_lines(html: bytes | str) -> list[str]:
    """The page's visible text, one line per block element (lxml; scripts, styles and <head> dropped,
    the <title> kept), whitespace collapsed, empty lines dropped. Deterministic for a given lxml. Bytes
    are decoded by lxml (a page without a declared charset may come out garbled); pass text decoded as
    `roots.io.warc.decode_html` does to read such pages as `roots run` would."""
    import lxml.html
    from lxml import etree

    if isinstance(html, str):   # lxml refuses text that still declares an encoding
        html = _XML_DECLARATION.sub("", html, count=1)
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return []
    title = root.findtext(".//title") or ""
    etree.strip_elements(root, *_DROP_TAGS, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    parts: list[str] = [title, "\n"]

    def walk(el: Any) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        block = tag.lower() in _BLOCK_TAGS
        if block:
            parts.append("\n")
        if el.text:
            parts.append(el.text)
        for child in el:
            walk(child)
        if block:
            parts.append("\n")
        if el.tail:
            parts.append(el.tail)

    walk(root)
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    return [line for line in lines if line]


def _shingles(words: list[str], n: int = 4) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(max(1, len(words) - n + 1))}


def article_parts(html: bytes, truth: str) -> tuple[str, str]:
    """(good, junk) of one benchmark page: good is the ground-truth article text; junk is the page's
    visible lines that are not article text. A line is article text when its lowercased words are a
    run inside the ground truth, or when half of its word 4-grams are the ground truth's (a paragraph the
    ground truth shortened or re-spaced). Lines repeated on the page are kept once."""
    good = "\n".join(line.strip() for line in truth.split("\n") if line.strip())
    truth_words = _WORDS.findall(truth.lower())
    truth_joined = " " + " ".join(truth_words) + " "
    truth_sh = _shingles(truth_words)
    junk, seen = [], set()
    for line in visible_lines(html):
        words = _WORDS.findall(line.lower())
        if not words:
            continue
        if (" " + " ".join(words) + " ") in truth_joined:
            continue
        sh = _shingles(words)
        if len(words) >= 4 and len(sh & truth_sh) >= 0.5 * len(sh):
            continue
        if line in seen:
            continue
        seen.add(line)
        junk.append(line)
    return good, "\n".join(junk)


# --- documents and outcomes --------------------------------------------------------------------------

@dataclass
class Item:
    id: str
    set: str
    label: str
    lang: str          # the true language (registry code for our 46), "" when none
    text: str
    claimed: str = ""  # the source's claim (OSCAR's label, FLORES's code mapped), for --claimed-lang
    ref: dict = field(default_factory=dict)


@dataclass
class Trace:
    """One document through one pipeline: the outcome after each stage (None: not reached)."""

    stages: list[str]
    kept: list[bool | None]
    lang: list[str]
    reason: str = ""
    #: Characters of the document's text in the output (kept documents; line removal shortens them).
    chars_out: int = 0
    #: The kept document's output text (the roots side; "" when rejected).
    text_out: str = ""

    @property
    def final_kept(self) -> bool:
        return bool(self.kept and self.kept[-1])


def load_items(rows: list[dict[str, Any]], resolver: Resolver, check: bool = True) -> list[Item]:
    from roots.languages import load_registry
    codes = set(load_registry().codes)
    flores_map = {cfg.flores: cfg.code for cfg in load_registry() if cfg.flores}
    items = []
    for row in rows:
        text = resolver.text(row)
        if check and sha1(text) != row["sha1"]:
            raise ValueError(f"{LABELS.name}: {doc_id(row)}: text does not match its sha1 (data changed?)")
        claimed = row.get("claimed", "")
        if row["set"] == "flores":
            claimed = flores_map.get(row["flores"], "")
        items.append(Item(doc_id(row), row["set"], row["label"], row.get("lang", ""), text,
                          claimed if claimed in codes else "", row))
    return items


# --- the roots side ----------------------------------------------------------------------------------

#: Stages whose group their name does not tell: datatrove's C4 filter removes lines (boilerplate) before
#: judging the document; FineWeb's judges it.
GROUPS = {"c4qualityfilter": "boilerplate", "finewebqualityfilter": "quality"}


def stage_group(name: str) -> str:
    """Which checkpoint group a stage belongs to: lid, boilerplate (stages that clean or cut lines) or
    quality (everything that judges the document); normalise is 'input'."""
    n = name.lower()
    if n in ("normalise", "normalize", "ingest"):
        return "input"
    if n.startswith("lid") or "language" in n:
        return "lid"
    if n in GROUPS:
        return GROUPS[n]
    if any(k in n for k in ("boiler", "clean", "template", "web", "lines")):
        return "boilerplate"
    return "quality"


def default_config(web_path: str, flores_path: str, lid_model: str | None) -> dict[str, Any]:
    """The run config of the roots side when --config is not given: the documents as two sources (the
    web ones as a crawl, FLORES as a curated corpus), ROOTS's web cleaning, LID with lid.176 and our
    FLORES-trained model, default quality filters."""
    from roots import config as roots_config
    web = {"name": "web", "format": "jsonl", "path": web_path, "text_field": "text", "id_field": "id"}
    if "web" in getattr(roots_config, "_SOURCE_KEYS", ()):   # the web-source switch, once it exists
        web["web"] = True
    flores = {"name": "flores", "format": "jsonl", "path": flores_path, "text_field": "text", "id_field": "id"}
    lid: dict[str, Any] = {"lid176": True}
    if lid_model:
        lid["model"] = lid_model
    quality: dict[str, Any] = {}
    if (ROOT / "examples" / "models" / "lm").is_dir():   # the sample's perplexity model (English)
        quality["lm_dir"] = str(ROOT / "examples" / "models" / "lm")
    return {
        "name": "bench-curation",
        "sources": [web, flores],
        "cleaning": {"sources": {"web": ["remove_empty_docs", "dedup_template", "remove_html_spans",
                                         "remove_lines_with_code"]}},
        "lid": lid,
        "quality": quality,
    }


def build_roots_config(args: argparse.Namespace, work: Path, items: list[Item]):
    """(run config, name of the source the web documents are read as). With --config, the file's stage
    sections are used as they are, and the web documents take the place of one of its sources
    (--web-source, else the first with `web: true`, else the first without a language), keeping that
    source's settings, so its per-source cleaning applies to them."""
    import yaml
    from roots.config import parse_config

    web_path, flores_path = work / "web.jsonl", work / "flores.jsonl"
    for path, wanted in ((web_path, lambda it: it.set != "flores"), (flores_path, lambda it: it.set == "flores")):
        with open(path, "w", encoding="utf-8") as fh:
            for it in items:
                if wanted(it):
                    fh.write(json.dumps({"id": it.id, "text": it.text}, ensure_ascii=False) + "\n")
    ours = default_config(str(web_path), str(flores_path), args.lid_model)
    web_name = "web"
    if args.config:
        with open(args.config, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
        sources = data.get("sources") or []
        chosen = ([s for s in sources if s.get("name") == args.web_source] if args.web_source else
                  [s for s in sources if s.get("web")] or [s for s in sources if not s.get("lang")])
        web = dict(ours["sources"][0])
        if chosen:
            web_name = chosen[0]["name"]
            web.update({k: v for k, v in chosen[0].items() if k in ("web", "license")}, name=web_name)
        flores = ours["sources"][1]
        if flores["name"] == web_name:
            flores = {**flores, "name": "flores-bench"}
        data["sources"] = [web, flores]
        data.setdefault("name", "bench-curation")
        for key in ("tokenizer", "megatron", "dedup", "pii"):
            data.pop(key, None)
        path = os.path.join(os.path.dirname(os.path.abspath(args.config)), ".bench-curation.yaml")
    else:
        data = ours
        path = str(work / "run.yaml")
    data["output"] = str(work / "run")
    return parse_config(data, path), web_name


def run_roots(args: argparse.Namespace, items: list[Item], work: Path) -> tuple[list[str], dict[str, Trace], float]:
    from roots.document import Document, Rejection
    from roots.filters.cleaning import TemplateLines
    from roots.filters.normalise import normalise_text
    from roots.pipelines.runner import curate_stages, templates_path
    from roots.stage import apply_stage

    config, web_name = build_roots_config(args, work, items)
    flores_name = config.sources[1].name
    source_of = {it.id: (flores_name if it.set == "flores" else web_name) for it in items}
    cleaning = config.section("cleaning")
    if cleaning.needs_template_counts:   # what `roots run`'s template step does before the curate step
        tl = TemplateLines(cleaning.template_min_chars, cleaning.template_min_count)
        for it in items:
            if "dedup_template" in cleaning.operations(source_of[it.id]):
                tl.add(source_of[it.id], normalise_text(it.text))
        path = templates_path(config)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tl.save(path)
    stages = curate_stages(config)
    names = [getattr(s, "name", type(s).__name__) for s in stages]
    log.info("roots stages: %s", ", ".join(names))
    t0 = time.perf_counter()
    for s in stages:
        s.setup()
    docs = []
    for it in items:
        lang = it.claimed if args.claimed_lang else ""
        docs.append(Document(id=it.id, text=it.text, lang=lang, source=source_of[it.id], meta={}))
    traces = {d.id: Trace(names, [None] * len(stages), [""] * len(stages)) for d in docs}
    alive = docs
    for k, stage in enumerate(stages):
        passed = []
        for start in range(0, len(alive), 256):
            batch = alive[start:start + 256]
            for doc, out in zip(batch, apply_stage(stage, batch)):
                tr = traces[doc.id]
                if isinstance(out, Rejection):
                    tr.kept[k] = False
                    tr.lang[k] = out.doc.lang
                    tr.reason = str(out.reason)
                    if out.doc.meta.get("lid_pred"):
                        tr.reason += f" (said {out.doc.meta['lid_pred']})"
                else:
                    tr.kept[k] = True
                    tr.lang[k] = out.lang
                    passed.append(out)
        alive = passed
    for doc in alive:
        traces[doc.id].chars_out = len(doc.text)
        traces[doc.id].text_out = doc.text
    return names, traces, time.perf_counter() - t0


# --- the datatrove side (runs in the peers' environment) ---------------------------------------------

DATATROVE_SCRIPT = r'''
import json, sys, time, warnings
warnings.filterwarnings("ignore")
from loguru import logger
logger.remove()
from fasttext.FastText import _FastText
from datatrove.data import Document
from datatrove.pipeline.filters import (LanguageFilter, GopherRepetitionFilter, GopherQualityFilter,
                                        C4QualityFilter, FineWebQualityFilter)
docs_path, model_path, languages_json, out_path = sys.argv[1:5]
languages = json.loads(languages_json)
lid = LanguageFilter(languages=languages, language_threshold=0.65)
lid.model._model = _FastText(model_path)     # the local lid.176.ftz instead of a download
STAGES = ["LanguageFilter", "GopherRepetitionFilter", "GopherQualityFilter", "C4QualityFilter", "FineWebQualityFilter"]
cache = {}
def filters_for(lang):
    if lang not in cache:
        def make(cls, **kw):
            try:
                f = cls(language=lang, **kw)
                f.tokenizer  # the word tokenizer of that language, if datatrove has one
                return f
            except Exception:
                return cls(**kw)
        gq = {} if lang == "en" else {"min_stop_words": None}
        cache[lang] = [make(GopherRepetitionFilter), make(GopherQualityFilter, **gq), make(C4QualityFilter),
                       make(FineWebQualityFilter)]
    return cache[lang]
t0 = time.perf_counter()
with open(docs_path) as fh, open(out_path, "w") as out:
    for line in fh:
        d = json.loads(line)
        doc = Document(text=d["text"], id=d["id"], metadata={})
        kept, reason = [], ""
        ok = lid.filter(doc)
        lang = doc.metadata.get("language", "")
        kept.append(bool(ok))
        if not ok:
            reason = "LanguageFilter"
        else:
            for f, name in zip(filters_for(lang), STAGES[1:]):
                try:
                    r = f.filter(doc)
                except Exception as err:
                    r = (False, "error:" + type(err).__name__)
                if isinstance(r, tuple):
                    r, why = r
                else:
                    why = ""
                kept.append(bool(r))
                if not r:
                    reason = name + ":" + str(why)
                    break
        out.write(json.dumps({"id": d["id"], "kept": kept, "lang": lang, "reason": reason,
                              "score": doc.metadata.get("language_score"), "chars": len(doc.text)}) + "\n")
print(json.dumps({"seconds": time.perf_counter() - t0}))
'''
DATATROVE_STAGES = ["LanguageFilter", "GopherRepetitionFilter", "GopherQualityFilter", "C4QualityFilter",
                    "FineWebQualityFilter"]


def lid176_path() -> str:
    """The lid.176.ftz roots uses (shipped in the package): datatrove gets the same file."""
    from roots.lid import lid176_path as ours

    return ours()


def lid176_languages() -> tuple[list[str], dict[str, str]]:
    """The lid.176 labels of our natural languages, and label → registry code (zh: decided by script)."""
    import fasttext
    from roots.languages import load_registry

    model = fasttext.load_model(lid176_path())
    labels = {label.replace("__label__", "") for label in model.get_labels()}
    mapping: dict[str, str] = {}
    for cfg in load_registry().natural():
        for label in cfg.sections.get("lid", {}).get("labels", [cfg.code]) + [cfg.code]:
            if label in labels:
                mapping.setdefault(label, cfg.code)
    return sorted(mapping), mapping


def run_datatrove(args: argparse.Namespace, items: list[Item], work: Path) -> tuple[list[str], dict[str, Trace], float]:
    from roots.hanzi import chinese_script

    languages, mapping = lid176_languages()
    docs_path, out_path = work / "datatrove-in.jsonl", work / "datatrove-out.jsonl"
    with open(docs_path, "w", encoding="utf-8") as fh:
        for it in items:
            fh.write(json.dumps({"id": it.id, "text": it.text}, ensure_ascii=False) + "\n")
    proc = subprocess.run([args.peers_python, "-c", DATATROVE_SCRIPT, str(docs_path), lid176_path(),
                           json.dumps(languages), str(out_path)],
                          capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if proc.returncode != 0:
        raise SystemExit(f"datatrove side failed:\n{proc.stderr[-3000:]}")
    seconds = json.loads(proc.stdout.strip().splitlines()[-1])["seconds"]
    text_of = {it.id: it.text for it in items}
    traces = {}
    with open(out_path, encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            label = r["lang"]
            code = mapping.get(label, label)
            if label == "zh":
                code = "zh-" + chinese_script(text_of[r["id"]])
            kept = r["kept"] + [None] * (len(DATATROVE_STAGES) - len(r["kept"]))
            traces[r["id"]] = Trace(DATATROVE_STAGES, kept, [code] * len(DATATROVE_STAGES), r["reason"])
            if traces[r["id"]].final_kept:
                traces[r["id"]].chars_out = r["chars"]
    return DATATROVE_STAGES, traces, seconds


# --- scoring -----------------------------------------------------------------------------------------

def checkpoints(names: list[str]) -> list[tuple[str, int]]:
    """(column, index of the stage after which it is read) for the pipeline's stages in order: one
    column per stage named `group:stage`, and `final`."""
    cols = [(f"{stage_group(n)}:{n}", k) for k, n in enumerate(names) if stage_group(n) != "input"]
    return cols + [("final", len(names) - 1)]


def state_at(tr: Trace, k: int) -> tuple[bool, bool, str]:
    """(still in the pipeline after stage k, language ID has run by then, language then)."""
    for j in range(k + 1):
        if tr.kept[j] is False or tr.kept[j] is None:
            lid_ran = any(stage_group(tr.stages[i]) == "lid" for i in range(j + 1))
            return False, lid_ran, tr.lang[j]
    lid_ran = any(stage_group(tr.stages[i]) == "lid" for i in range(k + 1))
    return True, lid_ran, tr.lang[k]


def score(items: list[Item], names: list[str], traces: dict[str, Trace]) -> dict[str, Any]:
    """Shares per (set, language) group and checkpoint: good kept in the right language, junk
    rejected, wrong-language rejected, with counts."""
    cps = checkpoints(names)
    groups: dict[tuple[str, str], list[Item]] = collections.defaultdict(list)
    for it in items:
        lang = it.lang or "(none)"
        for key in ((it.set, lang), (it.set, "ALL"), ("ALL", lang), ("ALL", "ALL")):
            groups[key].append(it)
    out: dict[str, Any] = {"checkpoints": [c for c, _ in cps], "groups": {}}
    for (s, lang), members in sorted(groups.items()):
        row: dict[str, Any] = {}
        for col, k in cps:
            cell = {}
            for label in LABEL_VALUES:
                docs = [it for it in members if it.label == label]
                if not docs:
                    continue
                hits = 0
                for it in docs:
                    alive, lid_ran, got = state_at(traces[it.id], k)
                    if label == "good":
                        hits += alive and (not lid_ran or got == it.lang)
                    else:
                        hits += not alive
                cell[label] = [hits, len(docs)]
            row[col] = cell
        out["groups"][f"{s}|{lang}"] = row
    return out


def junk_chars(items: list[Item], traces: dict[str, Trace]) -> list[int]:
    """[characters of junk text left in the output, characters of junk in the input]: what a curator
    finds in the corpus, which line removal shrinks even where a junk document is kept."""
    bad = [it for it in items if it.label == "junk"]
    return [sum(traces[it.id].chars_out for it in bad if traces[it.id].final_kept), sum(len(it.text) for it in bad)]


def good_chars(items: list[Item], traces: dict[str, Trace]) -> list[int]:
    """[characters of good text in the output, in the right language, characters of good text in the
    input]: what line removal costs inside the good documents it keeps, which the document counts
    ("good kept") do not show. A kept document counts at most its input length (normalisation may
    lengthen a text by a character or two)."""
    good = [it for it in items if it.label == "good"]
    kept = sum(min(traces[it.id].chars_out, len(it.text)) for it in good
               if traces[it.id].final_kept and traces[it.id].lang[-1] == it.lang)
    return [kept, sum(len(it.text) for it in good)]


def share(cell: list[int] | None) -> str:
    if not cell:
        return "–"
    hits, n = cell
    return f"{hits / n:.2f} ({hits}/{n})"


def markdown(results: dict[str, Any], counts: dict[str, Any], per_lang: bool = True) -> str:
    lines = []
    for side, res in results.items():
        lines.append(f"\n### {side}: stages {', '.join(res['checkpoints'])}\n")
        cols = res["checkpoints"]
        lines.append("| set | language | metric | " + " | ".join(cols) + " |")
        lines.append("| --- | --- | --- | " + " | ".join("---" for _ in cols) + " |")
        for key, row in res["groups"].items():
            s, lang = key.split("|")
            if lang != "ALL":
                continue
            for label, metric in (("good", "good kept, right lang"), ("junk", "junk rejected"),
                                  ("wrong_language", "wrong lang rejected")):
                if label in row[cols[-1]]:
                    lines.append(f"| {s} | all | {metric} | " + " | ".join(share(row[c].get(label)) for c in cols) + " |")
    if per_lang:
        sides = list(results)
        lid_col = {side: next((c for c in results[side]["checkpoints"] if c.startswith("lid:")), "final") for side in sides}
        lines.append("\n### Per language (all sets): good kept in the right language after LID and at the end; junk rejected at the end\n")
        lines.append("| language | good docs | " + " | ".join(f"{s}: after LID | {s}: final" for s in sides)
                     + " | junk docs | " + " | ".join(f"{s}: junk rejected" for s in sides) + " |")
        lines.append("| --- | --- | " + " | ".join("--- | ---" for _ in sides) + " | --- | "
                     + " | ".join("---" for _ in sides) + " |")
        first = results[sides[0]]
        for key in first["groups"]:
            s, lang = key.split("|")
            if s != "ALL" or lang == "ALL":
                continue
            final = {side: results[side]["groups"][key]["final"] for side in sides}
            g = final[sides[0]].get("good")
            j = final[sides[0]].get("junk")
            if not g and not j:
                continue
            lines.append(f"| {lang} | {g[1] if g else 0} | "
                         + " | ".join(share(results[x]["groups"][key][lid_col[x]].get("good")) + " | "
                                      + share(final[x].get("good")) for x in sides)
                         + f" | {j[1] if j else 0} | " + " | ".join(share(final[x].get("junk")) for x in sides) + " |")
    return "\n".join(lines)


def label_counts(items: list[Item]) -> str:
    c = collections.Counter((it.set, it.label) for it in items)
    lines = ["| set | good | junk | wrong_language | total |", "| --- | --- | --- | --- | --- |"]
    for s in SETS:
        row = [c[(s, label)] for label in LABEL_VALUES]
        lines.append(f"| {s} | " + " | ".join(map(str, row)) + f" | {sum(row)} |")
    tot = [sum(c[(s, label)] for s in SETS) for label in LABEL_VALUES]
    lines.append("| all | " + " | ".join(map(str, tot)) + f" | {sum(tot)} |")
    return "\n".join(lines)


def mistakes(items: list[Item], traces: dict[str, Trace], limit: int = 12) -> str:
    """The wrong final decisions, most common kind first, with examples by reference."""
    kinds: dict[str, list[str]] = collections.defaultdict(list)
    for it in items:
        tr = traces[it.id]
        kept, lang = tr.final_kept, next((l for l in reversed(tr.lang) if l), "")
        if it.label == "good" and not kept:
            kinds[f"good rejected by {tr.reason or '?'}"].append(f"{it.id} ({it.lang})")
        elif it.label == "good" and kept and lang != it.lang:
            kinds[f"good kept as {lang or '?'} (true {it.lang})"].append(it.id)
        elif it.label == "junk" and kept:
            kinds[f"junk kept ({lang})"].append(it.id)
        elif it.label == "wrong_language" and kept:
            kinds[f"wrong language kept as {lang}"].append(f"{it.id} ({it.lang})")
    rows = sorted(kinds.items(), key=lambda kv: -len(kv[1]))[:limit]
    return "\n".join(f"- {len(v)} × {k}: {', '.join(v[:6])}{' …' if len(v) > 6 else ''}" for k, v in rows)


def ensure_lid_model(args: argparse.Namespace, work: Path, data: Path = DATA) -> None:
    """Our LID model (the `roots` role): --lid-model, else the one shipped in the package (a run
    config's default), or none with --no-lid-model."""
    if args.no_lid_model and not args.config:
        args.lid_model = "none"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", default=str(LABELS))
    parser.add_argument("--data", default=str(DATA))
    parser.add_argument("--config", help="a run config whose stage sections the roots side uses "
                        "(its sources are replaced by the benchmark's documents)")
    parser.add_argument("--web-source", help="with --config: the config's source the web documents stand for")
    parser.add_argument("--lid-model", help="our LID model (roots lid train); default: trained once into --out")
    parser.add_argument("--no-lid-model", action="store_true", help="lid.176 only on the roots side")
    parser.add_argument("--claimed-lang", action="store_true",
                        help="give the roots side OSCAR's claimed language and FLORES's code as source language")
    parser.add_argument("--peers-python", default=str(ROOT / ".venv-peers" / "bin" / "python"))
    parser.add_argument("--skip", nargs="*", default=[], choices=["roots", "datatrove"])
    parser.add_argument("--sets", nargs="*", default=list(SETS), choices=SETS)
    parser.add_argument("--half", choices=["dev", "held-out"],
                        help="only one half of the labelled set (split_half: by the SHA-1 of the document id)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N labelled documents (smoke tests)")
    parser.add_argument("--out", default=str(ROOT / "runs" / "bench-curation"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    data = Path(args.data)

    rows = [r for r in read_labels(Path(args.labels)) if r["set"] in args.sets]
    if args.half:
        rows = [r for r in rows if split_half(r) == args.half]
    if args.limit:
        rows = rows[:args.limit]
    items = load_items(rows, Resolver(data))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ensure_lid_model(args, out, data)
    results, all_traces, seconds = {}, {}, {}
    with tempfile.TemporaryDirectory(prefix="bench-curation-") as tmp:
        work = Path(tmp)
        if "roots" not in args.skip:
            names, traces, secs = run_roots(args, items, work)
            results["roots"], all_traces["roots"], seconds["roots"] = score(items, names, traces), traces, secs
        if "datatrove" not in args.skip:
            if not Path(args.peers_python).exists():
                log.warning("no peers environment at %s: datatrove skipped", args.peers_python)
            else:
                names, traces, secs = run_datatrove(args, items, work)
                results["datatrove"], all_traces["datatrove"], seconds["datatrove"] = score(items, names, traces), traces, secs
    left = {side: junk_chars(items, traces) for side, traces in all_traces.items()}
    good_left = {side: good_chars(items, traces) for side, traces in all_traces.items()}
    report = ["## Labelled set\n", label_counts(items), markdown(results, {}),
              "\nJunk text left in the output (characters of the junk documents): "
              + ", ".join(f"{side} {share(cell)}" for side, cell in left.items()),
              "\nGood text kept in the output, in the right language (characters of the good documents): "
              + ", ".join(f"{side} {share(cell)}" for side, cell in good_left.items())]
    for side, traces in all_traces.items():
        report.append(f"\n### Most common wrong decisions: {side}\n")
        report.append(mistakes(items, traces))
    report.append("\n" + ", ".join(f"{k}: {v:.1f} s" for k, v in seconds.items()))
    text = "\n".join(report)
    print(text)
    (out / "report.md").write_text(text + "\n", encoding="utf-8")
    summary = {"results": results, "junk_chars_left": left, "good_chars_kept": good_left, "seconds": seconds}
    (out / "results.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    with open(out / "decisions.jsonl", "w", encoding="utf-8") as fh:
        for it in items:
            rec: dict[str, Any] = {"id": it.id, "set": it.set, "label": it.label, "lang": it.lang}
            for side, traces in all_traces.items():
                tr = traces[it.id]
                rec[side] = {"kept": tr.final_kept, "lang": next((l for l in reversed(tr.lang) if l), ""),
                             "reason": tr.reason}
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
