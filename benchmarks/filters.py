"""Documents per second per core of the full quality stage (roots' registered rules: ROOTS's maps, then
word count, character and word repetition, Gopher's duplicate lines, paragraphs, top and duplicate
n-grams, special characters, stopwords, flagged words, LID score) side by side with datatrove's Gopher
quality + repetition filters, on the same real documents, in one run.

    .venv/bin/python benchmarks/filters.py [--peers-python .venv-peers/bin/python] [--repeats 3]
                                           [--flores-docs 40] [--with-perplexity] [--baseline TREE]

Documents: the 649 real OSCAR-2019 web documents of ../shared/data/web/oscar2019_dummy.jsonl (166
languages; those outside the registry run with ROOTS's defaults) and FLORES-200 documents of 8 sentences
(`--flores-docs` per language, all 46 natural languages). Each pipeline runs in its own fresh process on
one core; models and tokenizers load first (reported as setup), then two timed passes over every
document: the first with cold caches (roots' per-worker word memo, spaCy's vocabulary and tokenizer cache,
which datatrove uses too), the second with warm ones, as in a long-running worker that has seen most words
of its language. The best of `--repeats` runs is kept. datatrove gets
`language="en"` (its default), as in the orientation numbers of issue 4: its spaCy English tokenizer
splits every language. After timing, roots' statistics are recomputed with plain-Python reference
implementations of their definitions (ROOTS's code) and every mismatch is counted.

Prints Markdown tables for BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"

ROOTS_SCRIPT = r"""
import json, sys, time, collections
from roots.document import Document, Rejection
from roots.filters.quality import Quality, QualityConfig
src, compute_all, lm_dir = sys.argv[1], sys.argv[2] == "all", (sys.argv[3] or None)
records = [json.loads(line) for line in open(src, encoding="utf-8")]
start = time.perf_counter()
stage = Quality(QualityConfig(compute_all=compute_all, lm_dir=lm_dir, batch_size=256))
stage.setup()
for lang in sorted({r["lang"] for r in records}):  # load every language's tokenizer and lists first
    stage.process_batch([Document("warm", "warm up", lang, "bench", {})])
setup = time.perf_counter() - start
passes = []
for _ in range(2):  # a fresh worker's first pass, then the same documents again (caches warm)
    docs = [Document(str(i), r["text"], r["lang"], "bench", {}) for i, r in enumerate(records)]
    start = time.perf_counter()
    outcomes = []
    for i in range(0, len(docs), stage.batch_size):
        outcomes.extend(stage.process_batch(docs[i:i + stage.batch_size]))
    passes.append(time.perf_counter() - start)
seconds, warm = passes
reasons = collections.Counter(o.reason.code if isinstance(o, Rejection) else "kept" for o in outcomes)
stats = [(o.doc if isinstance(o, Rejection) else o).meta for o in outcomes]
texts = [(o.doc if isinstance(o, Rejection) else o).text for o in outcomes]
print(json.dumps({"seconds": seconds, "warm": warm, "setup": setup, "reasons": reasons, "meta": stats,
                  "texts": texts}))
"""

DATATROVE_SCRIPT = r"""
import json, sys, time, collections
from datatrove.data import Document
from datatrove.pipeline.filters import GopherQualityFilter, GopherRepetitionFilter
src = sys.argv[1]
records = [json.loads(line) for line in open(src, encoding="utf-8")]
start = time.perf_counter()
filters = [GopherRepetitionFilter(), GopherQualityFilter()]
for f in filters:
    f.filter(Document(text="warm up the tokenizer", id="warm"))
setup = time.perf_counter() - start
passes = []
for _ in range(2):  # first pass, then the same documents again (spaCy's tokenizer cache warm)
    docs = [Document(text=r["text"], id=str(i)) for i, r in enumerate(records)]
    start = time.perf_counter()
    reasons = collections.Counter()
    for doc in docs:
        verdict = "kept"
        for f in filters:
            res = f.filter(doc)
            ok, why = (res, f.name) if isinstance(res, bool) else res
            if not ok:
                verdict = why
                break
        reasons[verdict] += 1
    passes.append(time.perf_counter() - start)
print(json.dumps({"seconds": passes[0], "warm": passes[1], "setup": setup, "reasons": reasons}))
"""


def oscar_documents() -> list[dict]:
    """The OSCAR dummy documents, with registry codes where OSCAR's code is one (zh → zh-Hans)."""
    from roots.languages import load_registry

    codes = set(load_registry().codes)
    out = []
    for line in open(DATA / "web" / "oscar2019_dummy.jsonl", encoding="utf-8"):
        r = json.loads(line)
        lang = "zh-Hans" if r["lang"] == "zh" else r["lang"]
        out.append({"text": r["text"], "lang": lang if lang in codes else ""})
    return out


def flores_documents(per_lang: int) -> list[dict]:
    """FLORES-200 documents of 8 consecutive sentences (dev then train), `per_lang` for each natural language."""
    from roots.languages import load_registry

    by_code = {c.flores: c.code for c in load_registry().natural()}
    sentences: dict[str, list[str]] = defaultdict(list)
    for split in ("dev", "train"):
        with gzip.open(DATA / "flores" / f"flores200_{split}.jsonl.gz", "rt", encoding="utf-8") as fh:
            for r in map(json.loads, fh):
                if r["flores"] in by_code:
                    sentences[by_code[r["flores"]]].append(r["text"])
    joiner = {"zh-Hans": "", "zh-Hant": ""}
    out = []
    for code in sorted(sentences):
        s = sentences[code]
        for i in range(0, min(len(s), per_lang * 8), 8):
            out.append({"text": joiner.get(code, " ").join(s[i:i + 8]), "lang": code})
    return out


def run_json(cmd: list[str], pythonpath: str = "") -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               TOKENIZERS_PARALLELISM="false", PYTHONWARNINGS="ignore")
    if pythonpath:  # another tree of roots first on the path (a baseline commit, see --baseline)
        env["PYTHONPATH"] = pythonpath
    # run from the baseline tree itself: `python -c` puts the working folder first on sys.path
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=pythonpath or ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def best_of(cmd: list[str], repeats: int, pythonpath: str = "") -> dict:
    runs = [run_json(cmd, pythonpath) for _ in range(repeats)]
    best = min(runs, key=lambda r: r["seconds"])
    best["warm"] = min(r["warm"] for r in runs)
    return best


# --- reference implementations (ROOTS's filtering.py, plain Python) to check the statistics -----------


def ref_char_repetition(text: str, n: int) -> float:
    import math

    grams: dict[str, int] = {}
    for i in range(len(text) - n + 1):
        grams[text[i:i + n]] = grams.get(text[i:i + n], 0) + 1
    if not grams:
        return 0.0
    freqs = sorted(grams.values(), reverse=True)
    k = min(math.isqrt(len(freqs)), len(freqs) - sum(1 for f in freqs if f == 1))
    return sum(freqs[:k]) / sum(freqs)


def ref_word_repetition(words: list[str], n: int) -> float:
    grams: dict[str, int] = {}
    for i in range(len(words) - n + 1):
        key = " ".join(words[i:i + n])
        grams[key] = grams.get(key, 0) + 1
    if not grams:
        return 0.0
    return sum(f for f in grams.values() if f > 1) / sum(grams.values())


def ref_special(text: str) -> float:
    """Special characters over visible characters (whitespace and U+200B left out of both counts)."""
    from roots.filters.stats import is_special_character

    visible = [ch for ch in text if not ch.isspace() and ch != "\u200b"]
    return sum(1 for ch in visible if is_special_character(ch)) / len(visible) if visible else 0.0


def ref_duplicates(parts: list[str], total: int) -> tuple[float, float]:
    seen: set[str] = set()
    dup = chars = 0
    for part in parts:
        if part in seen:
            dup, chars = dup + 1, chars + len(part)
        seen.add(part)
    return (dup / len(parts), chars / total) if parts and total else (0.0, 0.0)


def ref_gopher_ngrams(words: list[str], total: int) -> dict[str, float]:
    """Gopher's top n-gram (n = 2..4) and duplicate n-gram (n = 5..10) character fractions, plainly:
    n-gram characters are its words' characters; a repeat covers its words once."""
    out: dict[str, float] = {}
    for n in range(2, 11):
        grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
        if n <= 4:
            counts: dict[tuple, int] = {}
            for g in grams:
                counts[g] = counts.get(g, 0) + 1
            top = max(counts.values(), default=0)
            best = max((sum(map(len, g)) for g, c in counts.items() if c == top), default=0)
            out[f"top_{n}gram_char_fraction"] = min(1.0, top * best / total) if top > 1 and total else 0.0
        else:
            seen: set[tuple] = set()
            covered = [False] * len(words)
            for i, g in enumerate(grams):
                if g in seen:
                    covered[i:i + n] = [True] * n
                seen.add(g)
            chars = sum(len(w) for w, c in zip(words, covered) if c)
            out[f"dup_{n}gram_char_fraction"] = min(1.0, chars / total) if total else 0.0
    return out


def check_statistics(records: list[dict], result: dict) -> tuple[int, int]:
    """(values checked, mismatches) of roots' statistics against the reference implementations, on the
    texts as the stage left them (after ROOTS's maps)."""
    from roots.filters.quality import Quality, QualityConfig

    stage = Quality(QualityConfig())
    stage.setup()
    checked = mismatches = 0
    for record, meta, text in zip(records, result["meta"], result["texts"]):
        q = meta.get("quality", {})
        if "char_repetition" not in q:
            continue
        res = stage._resources(record["lang"])
        p = res.plan.params
        words = res.words.words(text)
        lines = [x.strip() for x in text.split("\n") if x.strip()]
        paragraphs = [x.strip() for x in re.split(r"\n\s*\n", text) if x.strip()]
        expected = {"words": len(words), "char_repetition": ref_char_repetition(text, p.char_repetition_n),
                    "word_repetition": ref_word_repetition(words, p.word_repetition_n),
                    "special_characters": ref_special(text),
                    **dict(zip(("dup_line_fraction", "dup_line_char_fraction"), ref_duplicates(lines, len(text)))),
                    **dict(zip(("dup_paragraph_fraction", "dup_paragraph_char_fraction"),
                               ref_duplicates(paragraphs, len(text)))),
                    **ref_gopher_ngrams(words, len(text))}
        for key, value in expected.items():
            checked += 1
            if abs(q[key] - value) > 1e-12:
                mismatches += 1
    return checked, mismatches


def train_models(records: list[dict], folder: Path) -> None:
    """One KenLM model per language of the FLORES documents, trained on FLORES train sentences."""
    from roots.languages import load_registry
    from roots.perplexity import LMSettings, train

    registry = load_registry()
    wanted = {r["lang"] for r in records if r["lang"]}
    flores = {registry.get(c).flores: c for c in wanted if c in registry and registry.get(c).is_natural}
    sentences: dict[str, list[str]] = defaultdict(list)
    with gzip.open(DATA / "flores" / "flores200_train.jsonl.gz", "rt", encoding="utf-8") as fh:
        for r in map(json.loads, fh):
            if r["flores"] in flores:
                sentences[flores[r["flores"]]].append(r["text"])
    for code, lines in sorted(sentences.items()):
        train(lines, str(folder / code), LMSettings(code, vocab_size=2000))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--peers-python", default=str(ROOT / ".venv-peers" / "bin" / "python"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--flores-docs", type=int, default=40, help="FLORES documents per language (8 sentences each)")
    parser.add_argument("--baseline", default="",
                        help="also time the quality stage of another roots tree: a folder holding an importable "
                             "`roots` package (e.g. `git archive` of a commit with filters/ moved to roots/filters)")
    parser.add_argument("--with-perplexity", action="store_true",
                        help="also time roots with KenLM perplexity (trains a model per FLORES language; needs lmplz)")
    args = parser.parse_args()
    if not (DATA / "web" / "oscar2019_dummy.jsonl").exists():
        raise SystemExit("needs ../shared/data (OSCAR dummy documents and FLORES-200)")
    corpora = {"OSCAR-2019 web (649 docs, 166 languages)": oscar_documents(),
               f"FLORES-200 (46 languages x {args.flores_docs} docs of 8 sentences)": flores_documents(args.flores_docs)}
    peers = Path(args.peers_python).exists()
    rows, checks = [], []
    with tempfile.TemporaryDirectory() as tmp:
        lm_dir = ""
        if args.with_perplexity:
            lm_dir = str(Path(tmp) / "lm")
            train_models(list(corpora.values())[1], Path(lm_dir))
        for name, records in corpora.items():
            src = Path(tmp) / "docs.jsonl"
            src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
            mb = src.stat().st_size / 1e6
            results = {}
            results["roots: ROOTS filter set, all statistics"] = best_of(
                [sys.executable, "-c", ROOTS_SCRIPT, str(src), "all", ""], args.repeats)
            results["roots: ROOTS filter set, stop at first failure"] = best_of(
                [sys.executable, "-c", ROOTS_SCRIPT, str(src), "first", ""], args.repeats)
            if args.baseline:
                results["roots baseline tree: all statistics"] = best_of(
                    [sys.executable, "-c", ROOTS_SCRIPT, str(src), "all", ""], args.repeats, args.baseline)
            if lm_dir:
                results["roots: ROOTS filter set + KenLM perplexity"] = best_of(
                    [sys.executable, "-c", ROOTS_SCRIPT, str(src), "all", lm_dir], args.repeats)
            if peers:
                results["datatrove 0.10.1: Gopher repetition + quality"] = best_of(
                    [args.peers_python, "-c", DATATROVE_SCRIPT, str(src)], args.repeats)
            base = results.get("datatrove 0.10.1: Gopher repetition + quality")
            for label, r in results.items():
                kept = r["reasons"].get("kept", 0)
                cold, warm = len(records) / r["seconds"], len(records) / r["warm"]
                ratio = (f"{base['seconds'] / r['seconds']:.1f}x / {base['warm'] / r['warm']:.1f}x" if base else "-")
                rows.append((name, label, len(records), mb, r["setup"], cold, warm, kept, ratio))
            checks.append((name, *check_statistics(records, results["roots: ROOTS filter set, all statistics"])))
    print("| documents | pipeline | docs | MB | setup s | docs/s/core, 1st pass | docs/s/core, 2nd pass | kept | "
          "speed vs datatrove (1st / 2nd) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, label, n, mb, setup, cold, warm, kept, ratio in rows:
        print(f"| {name} | {label} | {n:,} | {mb:.1f} | {setup:.1f} | {cold:,.0f} | {warm:,.0f} | {kept:,} | {ratio} |")
    print()
    print("| documents | statistics checked against ROOTS's reference code | mismatches |")
    print("| --- | ---: | ---: |")
    for name, checked, mismatches in checks:
        print(f"| {name} | {checked:,} | {mismatches} |")


if __name__ == "__main__":
    main()
