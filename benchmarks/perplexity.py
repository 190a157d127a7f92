"""Does the perplexity filter separate clean text from web junk, with cut-offs taken from the model's
own held-back distribution (`PerplexityModel.cutoff`)?

For each language, `roots lm train` on FLORES-200 train (701 sentences; every 10th held back and
scored, grouped `--group` at a time, as the stored reference), then:

- **clean kept**: the share of FLORES dev documents (99 sentences in documents of `--group`
  consecutive sentences) and, for English, of the article-extraction benchmark's ground-truth articles
  (the English ones, by lid.176), scoring at or below the 95th / 99th percentile cut-off;
- **junk rejected**: the share scoring above it, of
  - *page boilerplate*: per article page, every text block of the HTML that is not article text
    (menus, banners, footers, share bars, related links), as one document (English pages);
  - *boilerplate paragraphs*: those blocks with at least 8 words (cookie and newsletter notices,
    footers, captions, teasers), one document each;
  - *word salad*: FLORES dev documents with their words shuffled (seeded);
  - *OSCAR junk*: the OSCAR-2019 sample documents of the language that we read and labelled junk
    (`OSCAR_LABELS`: ids and labels only, the text stays in shared/data).

    python benchmarks/perplexity.py                      # en fr ar hi sw zh-Hans
    python benchmarks/perplexity.py --langs en hi --group 5

Each cell gives the share at the 95th and 99th percentile cut-offs and, for comparison, at ROOTS's
fixed 1500. Prints Markdown tables for BENCHMARKS.md. Needs ../shared/data, lmplz and build_binary.
"""
from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from roots.perplexity import LMSettings, PerplexityModel, read_manifest, train

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FLORES = {"en": "eng_Latn", "fr": "fra_Latn", "ar": "arb_Arab", "hi": "hin_Deva", "sw": "swh_Latn",
          "zh-Hans": "zho_Hans"}
#: FLORES train is small: a few thousand pieces is what SentencePiece can learn from 701 sentences.
VOCAB = {"zh-Hans": 3000}
DEFAULT_VOCAB = 2000

#: OSCAR-2019 sample documents (`web/oscar2019_dummy.jsonl`, 0-based line number), labelled by reading
#: them: `clean` (fluent prose), `junk` (lists, keyword spam, scraped fragments), `mixed` (a real text
#: behind a block of boilerplate). Only the `deduplicated` variant (the `original` one repeats it).
OSCAR_LABELS: dict[str, dict[int, str]] = {
    "en": {71: "clean", 72: "clean"},
    "fr": {85: "junk", 86: "junk"},          # a site blurb + "Bring up to date in french"; bilingual menu soup
    "ar": {8: "mixed", 9: "junk"},           # forum welcome banners before a post; a list of sura names
    "hi": {105: "mixed", 106: "clean"},      # a row of headlines before a news item; a news item
    "sw": {269: "clean", 270: "clean"},      # a headline; a news sentence
    "zh-Hans": {318: "mixed", 319: "junk"},  # company prose with an injected porn keyword; lottery keyword spam
}

_BLOCK_TAGS = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "br",
               "section", "header", "footer", "nav", "article", "aside", "form", "button", "figcaption",
               "figure", "blockquote", "dd", "dt", "table", "title", "option", "label", "main"}
_DROP_TAGS = ("script", "style", "noscript", "template", "svg", "head", "iframe", "select")
_WORD = re.compile(r"\w+")


# --- data ------------------------------------------------------------------------------------------


def flores(split: str, lang: str, data: Path = DATA) -> list[str]:
    """The FLORES-200 sentences of `lang` (a registry code in FLORES) in `split` (train or dev)."""
    with gzip.open(data / "flores" / f"flores200_{split}.jsonl.gz", "rt", encoding="utf-8") as fh:
        return [r["text"] for r in map(json.loads, fh) if r["flores"] == FLORES[lang]]


def grouped(sentences: list[str], size: int) -> list[str]:
    """Consecutive sentences joined `size` at a time, a line each, into documents."""
    return ["\n".join(sentences[i:i + size]) for i in range(0, len(sentences), size)]


def shuffled_words(text: str, rng: random.Random) -> str:
    """`text` with the words of each line in random order: fluent vocabulary, no syntax. A line
    without spaces between words (Chinese) is cut into two-character chunks instead."""
    out = []
    for line in text.split("\n"):
        words = line.split()
        if len(words) < 3:
            words = [line[i:i + 2] for i in range(0, len(line), 2)]
        rng.shuffle(words)
        out.append(" ".join(words))
    return "\n".join(out)


def html_blocks(html: str) -> list[str]:
    """The visible text of an HTML page, one string per block (paragraph, list item, cell, link...),
    whitespace collapsed; scripts, styles and the head dropped."""
    import lxml.html

    try:
        root = lxml.html.document_fromstring(html)
    except ValueError:
        return []
    for el in root.xpath("|".join(f"//{t}" for t in _DROP_TAGS)):
        el.drop_tree()
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag in _BLOCK_TAGS:
            el.tail = "\n" + (el.tail or "")
            el.text = "\n" + (el.text or "")
    blocks = (" ".join(line.split()) for line in root.text_content().split("\n"))
    return [b for b in blocks if b]


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def boilerplate_blocks(html: str, article: str) -> list[str]:
    """The blocks of a page that are not article text: blocks of 3+ words none of whose word trigrams
    occur in the ground-truth `article`; shorter blocks that are not a paragraph of the article."""
    tokens = _tokens(article)
    trigrams = set(zip(tokens, tokens[1:], tokens[2:]))
    paragraphs = {" ".join(_tokens(p)) for p in article.split("\n") if p.strip()}
    out = []
    for block in html_blocks(html):
        toks = _tokens(block)
        if not toks:
            continue
        if len(toks) >= 3:
            if not any(t in trigrams for t in zip(toks, toks[1:], toks[2:])):
                out.append(block)
        elif " ".join(toks) not in paragraphs:
            out.append(block)
    return out


@dataclass
class Page:
    """An article-extraction benchmark page: its ground-truth article and its boilerplate blocks."""

    id: str
    article: str
    boilerplate: list[str]


def article_pages(lang: str = "en", data: Path = DATA, limit: int | None = None) -> list[Page]:
    """The benchmark pages whose article lid.176 identifies as `lang`, in id order."""
    import fasttext

    from roots.lid import lid176_path

    folder = data / "web" / "article_extraction"
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    fasttext.FastText.eprint = lambda *a, **k: None
    lid = fasttext.load_model(lid176_path())
    pages = []
    for pid in sorted(truth):
        article = truth[pid]["articleBody"]
        label = lid.predict(" ".join(article.split())[:2000])[0][0].removeprefix("__label__")
        if label != lang.split("-")[0]:
            continue
        with gzip.open(folder / "html" / f"{pid}.html.gz", "rt", encoding="utf-8", errors="replace") as fh:
            html = fh.read()
        pages.append(Page(pid, article, boilerplate_blocks(html, article)))
        if limit and len(pages) >= limit:
            break
    return pages


def oscar(lang: str, data: Path = DATA) -> dict[int, tuple[str, str]]:
    """The labelled OSCAR documents of `lang`: line number → (label, text)."""
    labels = OSCAR_LABELS.get(lang, {})
    out = {}
    with open(data / "web" / "oscar2019_dummy.jsonl", encoding="utf-8") as fh:
        for number, line in enumerate(fh):
            if number in labels:
                out[number] = (labels[number], json.loads(line)["text"])
    return out


#: Boilerplate we wrote for each language (menus, cookie banners, share bars, newsletter footers):
#: text a web page carries around its content, never in the training data.
OWN_JUNK: dict[str, list[str]] = {
    "en": ["Home\nNews\nSport\nBusiness\nCulture\nTravel\nWeather\nContact us\nSign in",
           "We use cookies to improve your experience on our website. By continuing to browse, you agree to our "
           "use of cookies. Accept all cookies\nManage settings",
           "Share on Facebook Share on Twitter Share via Email Print this article",
           "Subscribe to our newsletter\nEnter your email address\nSubscribe\n"
           "Privacy Policy | Terms of Use | © 2019 All rights reserved",
           "cheap viagra online buy cheap viagra online no prescription best price viagra cialis generic "
           "online pharmacy"],
    "hi": ["होम\nदेश\nविदेश\nमनोरंजन\nखेल\nबिज़नेस\nटेक्नोलॉजी\nसंपर्क करें\nलॉग इन",
           "हम आपके अनुभव को बेहतर बनाने के लिए कुकीज़ का उपयोग करते हैं। इस साइट का उपयोग जारी रखकर आप हमारी "
           "कुकी नीति से सहमत होते हैं। स्वीकार करें",
           "फेसबुक पर शेयर करें ट्विटर पर शेयर करें व्हाट्सएप पर शेयर करें ईमेल करें प्रिंट करें",
           "हमारे न्यूज़लेटर की सदस्यता लें\nअपना ईमेल पता दर्ज करें\nसब्सक्राइब करें\n"
           "गोपनीयता नीति | उपयोग की शर्तें | © 2019 सर्वाधिकार सुरक्षित"],
    "fr": ["Accueil\nActualités\nSport\nÉconomie\nCulture\nMétéo\nContact\nSe connecter",
           "Nous utilisons des cookies pour améliorer votre expérience sur notre site. En poursuivant votre "
           "navigation, vous acceptez l'utilisation de cookies. Tout accepter\nParamétrer",
           "Partager sur Facebook Partager sur Twitter Envoyer par e-mail Imprimer l'article"],
    "ar": ["الرئيسية\nأخبار\nرياضة\nاقتصاد\nثقافة\nالطقس\nاتصل بنا\nتسجيل الدخول",
           "نستخدم ملفات تعريف الارتباط لتحسين تجربتك على موقعنا. بمتابعة التصفح فإنك توافق على استخدامنا "
           "لملفات تعريف الارتباط. قبول الكل",
           "شارك على فيسبوك شارك على تويتر أرسل بالبريد الإلكتروني طباعة"],
    "sw": ["Nyumbani\nHabari\nMichezo\nBiashara\nBurudani\nHali ya hewa\nWasiliana nasi\nIngia",
           "Tunatumia vidakuzi ili kuboresha uzoefu wako kwenye tovuti yetu. Kwa kuendelea kuvinjari, unakubali "
           "matumizi yetu ya vidakuzi. Kubali vyote",
           "Shiriki kwenye Facebook Shiriki kwenye Twitter Tuma kwa barua pepe Chapisha"],
    "zh-Hans": ["首页\n新闻\n体育\n财经\n娱乐\n天气\n联系我们\n登录",
                "我们使用Cookie来改善您在本网站的体验。继续浏览即表示您同意我们使用Cookie。全部接受\n管理设置",
                "分享到微信 分享到微博 分享到QQ空间 复制链接 打印本文"],
}


# --- measuring -------------------------------------------------------------------------------------


def share(scores: Iterable[float | None], cut: float, above: bool) -> tuple[int, int]:
    """(how many scores are above `cut` (`above`) or at most `cut`, how many were scored)."""
    values = [s for s in scores if s is not None]
    return sum((s > cut) if above else (s <= cut) for s in values), len(values)


def train_flores(lang: str, folder: Path, group: int, holdout_every: int = 10, data: Path = DATA) -> PerplexityModel:
    """A model for `lang` trained on FLORES train with its held-back reference grouped by `group`."""
    settings = LMSettings(lang, vocab_size=VOCAB.get(lang, DEFAULT_VOCAB), memory="200M")
    train(flores("train", lang, data), str(folder), settings, holdout_every=holdout_every, group=group)
    return PerplexityModel(folder)


#: ROOTS's fixed cut-off (`perplexity_max_cutoff`, set for its Wikipedia models), for comparison.
ROOTS_CUTOFF = 1500.0


def measure(lang: str, model: PerplexityModel, group: int, pages: list[Page], seed: int = 0,
            data: Path = DATA) -> dict[str, dict[str, tuple[int, int]]]:
    """For each evaluation set, at the 95th and 99th percentile cut-offs and at ROOTS's fixed 1500:
    (kept or rejected, total)."""
    dev = grouped(flores("dev", lang, data), group)
    rng = random.Random(seed)
    sets: dict[str, tuple[list[str], bool]] = {
        "FLORES dev kept": (dev, False),
        "word salad rejected": ([shuffled_words(t, rng) for t in grouped(flores("dev", lang, data), 5)], True),
        "OSCAR junk rejected": ([t for label, t in oscar(lang, data).values() if label == "junk"], True),
        "own boilerplate rejected": (OWN_JUNK.get(lang, []), True),
    }
    if pages:
        sets["articles kept"] = ([p.article for p in pages], False)
        sets["page boilerplate rejected"] = (["\n".join(p.boilerplate) for p in pages if p.boilerplate], True)
        sets["boilerplate paragraphs rejected"] = (
            [b for p in pages for b in p.boilerplate if len(b.split()) >= 8], True)
    cuts = {"95": model.cutoff(95), "99": model.cutoff(99), "1500": ROOTS_CUTOFF}
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for name, (texts, above) in sets.items():
        scores = model.score_many(texts) if texts else []
        out[name] = {key: share(scores, cut, above) for key, cut in cuts.items()}
    return out


def _fmt(counts: tuple[int, int]) -> str:
    k, n = counts
    return "–" if n == 0 else (f"{k}/{n}" if n < 10 else f"{100 * k / n:.0f}%")


def report(rows: list[tuple[str, int, dict, dict]]) -> str:
    """The Markdown tables: the reference distributions, then kept / rejected shares per set."""
    lines = ["| lang | reference group | reference docs | p50 | p95 | p99 |", "| --- | --- | --- | --- | --- | --- |"]
    for lang, group, manifest, _ in rows:
        pct = manifest["reference_percentiles"]
        lines.append(f"| {lang} | {group} | {manifest['reference']['documents']} | {pct['50']} | {pct['95']} | "
                     f"{pct['99']} |")
    names = sorted({name for *_, res in rows for name in res}, key=lambda n: ("kept" not in n, n))
    lines += ["", "| lang | group | " + " | ".join(f"{n} @p95 / @p99 / @1500" for n in names) + " |",
              "| --- | --- | " + " | ".join("---" for _ in names) + " |"]
    for lang, group, _, res in rows:
        cells = [" / ".join(_fmt(res[n][k]) for k in ("95", "99", "1500")) if n in res else "–" for n in names]
        lines.append(f"| {lang} | {group} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--langs", nargs="+", default=list(FLORES), choices=list(FLORES))
    parser.add_argument("--groups", nargs="+", type=int, default=[1, 5],
                        help="reference documents of this many held-back sentences (default: 1 and 5)")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)
    if not (args.data / "flores").is_dir():
        print(f"{args.data}: no shared data", file=sys.stderr)
        return 2
    rows = []
    with tempfile.TemporaryDirectory(prefix="roots-ppl-bench-") as tmp:
        for lang in args.langs:
            pages = article_pages(lang, args.data)
            for group in args.groups:
                folder = Path(tmp) / f"{lang}-{group}"
                model = train_flores(lang, folder, group, data=args.data)
                rows.append((lang, group, read_manifest(folder), measure(lang, model, group, pages, data=args.data)))
    print(report(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
