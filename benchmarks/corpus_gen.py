"""A seeded generator of realistic multilingual corpora for the scale benchmark (benchmarks/scale.py).

Document i depends only on (seed, i) and the documents before it, so the corpus of N documents is the
first N documents of one endless stream: 4x is 4x as many distinct documents drawn from the same
distribution, not 4 copies of 1x. Every stage has work to do:

- natural text in 10 languages (real sentences of FLORES-200 from ../shared/data when present, else
  the sentences of the bundled examples/sample corpus) and Python code (non-overlapping windows of the
  running interpreter's standard library), a few hundred to a few thousand characters per document;
- a share of the natural text in a mixed "crawl" source with no language (LID decides), with
  boilerplate lines repeated across pages (template cleaning) and HTML spans;
- exact duplicates and near duplicates of earlier documents at fixed rates (dedup);
- e-mail addresses and international phone numbers in a fixed share of documents (PII);
- junk the quality filters or LID reject: too short, word repetition, symbol soup, wrong language.
"""
from __future__ import annotations

import gzip
import json
import os
import random
import re
import sysconfig
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
SAMPLE_TEXT = ROOT / "examples" / "sample" / "text"

#: Natural languages: registry code -> (FLORES-200 code, share of documents).
NATURAL: dict[str, tuple[str, float]] = {
    "en": ("eng_Latn", 0.24), "zh-Hans": ("zho_Hans", 0.11), "fr": ("fra_Latn", 0.10),
    "es": ("spa_Latn", 0.10), "ar": ("arb_Arab", 0.07), "pt": ("por_Latn", 0.06),
    "hi": ("hin_Deva", 0.05), "vi": ("vie_Latn", 0.05), "id": ("ind_Latn", 0.04),
    "sw": ("swh_Latn", 0.04),
}
CODE_LANG, CODE_SHARE = "code-python", 0.14
CRAWL = "crawl"
#: Lines a crawled page repeats (the template cleaning removes those seen >= 10 times in the source).
BOILERPLATE = (
    "Read more local news on our website and sign up for our weekly newsletter.",
    "All rights reserved. Reproduction without written permission is prohibited.",
    "Share this article on social media and follow us for daily updates.",
    "Cookies help us deliver our services. By using our services, you agree to our use of cookies.",
    "Subscribe now and get unlimited access to all our articles for one month.",
)
HTML_SPANS = ('<div class="ad-banner">Advertisement</div>', '<span style="display:none">tracking</span>',
              '<a href="/login">Log in</a> | <a href="/register">Register</a>')
FIRST = ("anna", "john", "amina", "wei", "pedro", "fatima", "raj", "lucie", "kwame", "mai")
LAST = ("smith", "dubois", "mwangi", "chen", "silva", "haddad", "sharma", "nguyen", "santoso", "garcia")
DOMAINS = ("example.com", "mail.example.org", "post.example.net", "inbox.example.co.tz")
CODE_SKIP = ("test", "tests", "encodings", "idlelib", "lib2to3", "site-packages", "tkinter", "turtledemo",
             "__pycache__", "pydoc_data", "unittest")


@dataclass(frozen=True)
class CorpusSpec:
    """How many documents, from which seed, and the fixed rates of each kind of document."""

    docs: int
    seed: int = 20240510
    exact_dup_rate: float = 0.05
    near_dup_rate: float = 0.05
    junk_rate: float = 0.05
    pii_rate: float = 0.10
    crawl_share: float = 0.20       # of natural-language documents, written to the crawl source
    boilerplate_rate: float = 0.5   # of crawl documents, with a repeated boilerplate line


@dataclass
class Corpus:
    """What was written: one JSONL file per source (its language, '' for the crawl) and the tallies."""

    root: Path
    files: dict[str, tuple[str, Path]] = field(default_factory=dict)
    kinds: Counter = field(default_factory=Counter)
    langs: Counter = field(default_factory=Counter)
    chars: int = 0
    sentence_source: str = ""

    @property
    def docs(self) -> int:
        return sum(self.kinds.values())


def _split_sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?。！？])\s+|(?<=[。！？])", text.replace("\n", " "))
    return [p.strip() for p in parts if len(p.strip()) >= 20]


def sentence_pools(data_dir: Path = SHARED_DATA) -> tuple[dict[str, list[str]], str]:
    """Real sentences per language: FLORES-200 train+dev (about 800 per language) when the shared
    data is present, else the sentences of examples/sample/text (a few dozen: more accidental overlap)."""
    flores = [data_dir / "flores" / f"flores200_{part}.jsonl.gz" for part in ("train", "dev")]
    if all(p.is_file() for p in flores):
        wanted = {code: lang for lang, (code, _) in NATURAL.items()}
        pools: dict[str, list[tuple[int, str]]] = {lang: [] for lang in NATURAL}
        for n, path in enumerate(flores):
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                for line in fh:
                    row = json.loads(line)
                    if row["flores"] in wanted:
                        pools[wanted[row["flores"]]].append((n * 10_000 + int(row["id"]), row["text"].strip()))
        return {lang: [t for _, t in sorted(rows)] for lang, rows in pools.items()}, "flores-200"
    pools_s: dict[str, list[str]] = {}
    for lang in NATURAL:
        with open(SAMPLE_TEXT / f"{lang}.jsonl", encoding="utf-8") as fh:
            pools_s[lang] = [s for line in fh for s in _split_sentences(json.loads(line)["text"])]
    return pools_s, "examples/sample"


def code_chunks() -> list[str]:
    """Non-overlapping windows of 30-90 lines of the standard library's Python modules, in a seeded
    order (deterministic for one Python version; tests and near-identical codec tables left out)."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in stdlib.rglob("*.py")
                   if not set(p.relative_to(stdlib).parts[:-1]) & set(CODE_SKIP) and not p.name.startswith("test"))
    rng = random.Random("code-chunks")
    chunks: list[str] = []
    for path in files:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        start = 0
        while len(lines) - start >= 30:
            size = rng.randint(30, 90)
            body = "\n".join(lines[start:start + size]).strip()
            start += size
            if len(body) >= 400 and len(set(body.split())) >= 40:
                chunks.append(body + "\n")
    rng.shuffle(chunks)
    return chunks


class Generator:
    """The endless, seeded stream of documents; `doc(i)` must be called for i = 0, 1, 2, ..."""

    def __init__(self, spec: CorpusSpec, pools: dict[str, list[str]], chunks: list[str]) -> None:
        self.spec, self.pools, self.chunks = spec, pools, chunks
        self.langs = list(NATURAL) + [CODE_LANG]
        self.weights = [w for _, w in NATURAL.values()] + [CODE_SHARE]
        self.originals: list[tuple[str, str, str]] = []   # (lang, target, text) of every plain document so far
        self.code_used = 0

    def _natural(self, rng: random.Random, lang: str) -> str:
        pool = self.pools[lang]
        sep = "" if lang.startswith("zh") else " "
        # min(): the sample's pools (no shared data) may hold fewer sentences than a paragraph wants
        paragraphs = [sep.join(rng.sample(pool, min(rng.randint(3, 7), len(pool)))) for _ in range(rng.randint(1, 5))]
        return "\n\n".join(paragraphs)

    def _code(self, rng: random.Random) -> str:
        n = self.code_used
        self.code_used += 1
        if n < len(self.chunks):
            return self.chunks[n]
        a, b = self.chunks[rng.randrange(len(self.chunks))], self.chunks[rng.randrange(len(self.chunks))]
        la, lb = a.splitlines(), b.splitlines()   # past the stdlib's supply: splice two windows
        return "\n".join(la[: len(la) // 2] + lb[len(lb) // 2:]) + "\n"

    def _pii(self, rng: random.Random, text: str) -> str:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}{rng.randint(1, 999)}@{rng.choice(DOMAINS)}"
        phone = rng.choice((f"+44 20 7946 {rng.randint(0, 9999):04d}", f"+33 1 42 68 {rng.randint(10, 99)} {rng.randint(10, 99)}",
                            f"+255 22 211 {rng.randint(1000, 9999)}"))
        paragraphs = text.split("\n\n")
        at = rng.randrange(len(paragraphs))
        paragraphs[at] += f" Contact {first.title()} {last.title()}: {email}, tel. {phone}."
        return "\n\n".join(paragraphs)

    def _near(self, rng: random.Random, text: str) -> str:
        """A near duplicate: one sentence-sized span dropped and a dated closing line added (Jaccard ~0.9)."""
        paragraphs = text.split("\n\n")
        longest = max(range(len(paragraphs)), key=lambda k: len(paragraphs[k]))
        para = paragraphs[longest]
        cut = len(para) // 12
        start = rng.randrange(max(1, len(para) - cut))
        paragraphs[longest] = para[:start] + para[start + cut:]
        return "\n\n".join(paragraphs) + f"\n\nUpdated {2020 + rng.randint(0, 5)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}."

    def _junk(self, rng: random.Random, lang: str) -> tuple[str, str, str]:
        """(kind, lang of the file it goes to, text) of a document a filter or LID rejects."""
        kind = rng.choice(("short", "repetition", "symbols", "wrong_lang"))
        natural = [k for k in NATURAL if k != lang] if lang in NATURAL else list(NATURAL)
        other = rng.choice(natural)
        if kind == "short":
            return kind, other, rng.choice(self.pools[other])[:12]
        if kind == "repetition":
            words = rng.choice(self.pools[other]).split()[:3] or ["buy"]
            return kind, other, " ".join(words * rng.randint(60, 150))
        if kind == "symbols":
            return kind, other, " ".join("".join(rng.choice("#@$%&*^~|<>{}[]0123456789") for _ in range(rng.randint(3, 9)))
                                         for _ in range(rng.randint(80, 300)))
        src = rng.choice([k for k in NATURAL if k != other])   # text in `other`, filed under `src`
        return kind, src, self._natural(rng, other)

    def doc(self, i: int) -> tuple[str, str, str, str]:
        """(kind, target file, id, text) of document i; target is a language code or 'crawl'."""
        spec = self.spec
        rng = random.Random(f"{spec.seed}:{i}")
        lang = rng.choices(self.langs, self.weights)[0]
        roll = rng.random()
        to_crawl = lang in NATURAL and rng.random() < spec.crawl_share
        if roll < spec.exact_dup_rate and self.originals:
            kind, (lang, target, text) = "exact_dup", self.originals[rng.randrange(len(self.originals))]
        elif roll < spec.exact_dup_rate + spec.near_dup_rate and self.originals:
            lang, target, text = self.originals[rng.randrange(len(self.originals))]
            kind, text = "near_dup", self._near(rng, text)
        elif roll < spec.exact_dup_rate + spec.near_dup_rate + spec.junk_rate:
            kind, target, text = self._junk(rng, lang)
        else:
            kind = "plain"
            text = self._code(rng) if lang == CODE_LANG else self._natural(rng, lang)
            if lang in NATURAL and rng.random() < spec.pii_rate / (1 - spec.exact_dup_rate - spec.near_dup_rate - spec.junk_rate):
                kind, text = "pii", self._pii(rng, text)
            target = lang
            if to_crawl:   # a crawled page: boilerplate lines and HTML spans around the text
                target, lines = CRAWL, text.split("\n\n")
                if rng.random() < spec.boilerplate_rate:
                    lines.append(rng.choice(BOILERPLATE))
                if rng.random() < 0.2:
                    lines.insert(rng.randrange(len(lines) + 1), rng.choice(HTML_SPANS))
                text = "\n\n".join(lines)
            self.originals.append((lang, target, text))
        return kind, target, f"gen-{i:08d}", text


def generate(spec: CorpusSpec, out_dir: str | os.PathLike, data_dir: Path = SHARED_DATA) -> Corpus:
    """Write `spec.docs` documents as one JSONL file per language plus a crawl file under `out_dir`."""
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    pools, source = sentence_pools(data_dir)
    gen = Generator(spec, pools, code_chunks())
    corpus = Corpus(root, sentence_source=source)
    handles = {}
    try:
        for i in range(spec.docs):
            kind, target, doc_id, text = gen.doc(i)
            if target not in handles:
                path = root / f"{target}.jsonl"
                handles[target] = open(path, "w", encoding="utf-8")
                corpus.files[target] = ("" if target == CRAWL else target, path)
            row = {"id": doc_id, "text": text}
            if target == CRAWL:
                row["url"] = f"https://site{i % 97}.example.com/page/{i}"
            handles[target].write(json.dumps(row, ensure_ascii=False) + "\n")
            corpus.kinds[kind] += 1
            corpus.langs[target] += 1
            corpus.chars += len(text)
    finally:
        for fh in handles.values():
            fh.close()
    return corpus


def write_config(corpus: Corpus, path: str | os.PathLike, vocab_size: int = 8000, shard_mb: float = 64) -> Path:
    """A run config like examples/sample.yaml (cleaning of the crawl, lid.176, PII tags, a BPE tokenizer,
    Megatron binaries) over the generated files; `shard_mb` sizes the document and binary shards."""
    import yaml

    sources = []
    for target, (lang, file) in sorted(corpus.files.items()):
        src = {"name": f"gen-{target.lower()}", "format": "jsonl", "path": str(file), "text_field": "text",
               "id_field": "id", "license": "Apache-2.0"}
        if lang:
            src["lang"] = lang
        sources.append(src)
    config = {
        "name": "scale", "output": "runs/scale", "output_format": "parquet", "shard_target_mb": shard_mb,
        "normalise": {"max_bytes": 1_000_000},
        "cleaning": {"sources": {f"gen-{CRAWL}": ["remove_empty_docs", "dedup_template", "remove_html_spans",
                                                  "remove_lines_with_code"]}},
        "lid": {"lid176": True}, "pii": {"replace": "tag"}, "tokenizer": {"vocab_size": vocab_size},
        "megatron": {"shard_target_mb": shard_mb}, "sources": sources,
    }
    out = Path(path)
    out.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return out
