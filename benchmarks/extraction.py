"""Score the WARC reader's HTML → main-text extraction on the article-extraction benchmark.

The data is Zyte's article-extraction-benchmark (`ground-truth.json` + `html/<id>.html.gz`, in
`shared/data/web/article_extraction`). Scoring follows its `evaluate.py`: per page, TP/FP/FN over
shingles (4-grams of `\\w+` tokens; `--ngram 1` for plain tokens), normalised by their sum so long pages
weigh no more than short ones; precision and recall are means over pages, F1 their harmonic mean; ± is
1.96 bootstrap standard deviations (seeded). Time is the mean wall time of `extract_main_text` per page
(decoding included), on one core.

    python benchmarks/extraction.py                      # all settings, all pages
    python benchmarks/extraction.py --limit 20 --settings default

The output is a Markdown table to paste into BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import gzip
import json
import logging
import random
import re
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from roots.io.warc import EXTRACT_OPTIONS, extract_main_text

#: Where the benchmark data lies: the `shared/data` folder beside the project root.
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "web" / "article_extraction"

_BASE = {"include_comments": False, "include_tables": True, "deduplicate": False}
#: The trafilatura settings compared; the one equal to roots.io.warc.EXTRACT_OPTIONS is marked in the table.
SETTINGS: dict[str, dict[str, Any]] = {
    "balanced (trafilatura default)": {**_BASE, "favor_precision": False, "favor_recall": False},
    "favor_precision": {**_BASE, "favor_precision": True, "favor_recall": False},
    "favor_recall": {**_BASE, "favor_precision": False, "favor_recall": True},
    "fast (no fallback extractors)": {**_BASE, "favor_precision": False, "favor_recall": False, "fast": True},
}

_TOKEN_RE = re.compile(r"\w+", re.UNICODE)

TpFpFn = tuple[float, float, float]


@dataclass(frozen=True)
class Page:
    """One benchmark page: its id, URL, raw HTML bytes and the true article body."""

    key: str
    url: str | None
    html: bytes
    truth: str


@dataclass(frozen=True)
class Score:
    """Mean precision, recall and F1 over pages, with bootstrap half-widths, and time per page."""

    precision: float
    recall: float
    f1: float
    precision_ci: float
    recall_ci: float
    f1_ci: float
    seconds_per_page: float
    pages: int


def load_pages(data_dir: Path, limit: int | None = None) -> list[Page]:
    """The benchmark pages in ground-truth order (sorted by id), the first `limit` of them."""
    truth = json.loads((data_dir / "ground-truth.json").read_text(encoding="utf-8"))
    keys = sorted(truth)[:limit] if limit else sorted(truth)
    return [Page(k, truth[k].get("url"), gzip.decompress((data_dir / "html" / f"{k}.html.gz").read_bytes()),
                 truth[k].get("articleBody", "")) for k in keys]


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    """The multiset of n-grams of word tokens (a text shorter than n is one shingle)."""
    tokens = _TOKEN_RE.findall(text or "")
    return Counter(tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i:i + n])


def match(truth: str, pred: str, n: int = 4) -> TpFpFn:
    """Normalised TP, FP, FN of predicted against true shingles, as the benchmark's evaluate.py counts them."""
    t, p = shingles(truth, n), shingles(pred, n)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    return 1.0 if fp == fn == 0 else 0.0 if tp == fp == 0 else tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    return 1.0 if fp == fn == 0 else 0.0 if tp == fn == 0 else tp / (tp + fn)


def aggregate(counts: list[TpFpFn]) -> tuple[float, float, float]:
    """Mean precision (pages with a prediction), mean recall (pages with a truth), and their F1."""
    precision = statistics.mean([_precision(*c) for c in counts if c[0] + c[1] > 0] or [0.0])
    recall = statistics.mean([_recall(*c) for c in counts if c[0] + c[2] > 0] or [0.0])
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def bootstrap(counts: list[TpFpFn], rounds: int = 1000, seed: int = 0) -> tuple[float, float, float]:
    """1.96 standard deviations of precision, recall and F1 over seeded resamples of the pages."""
    if len(counts) < 2 or rounds < 2:
        return 0.0, 0.0, 0.0
    rng = random.Random(seed)
    samples = [aggregate([counts[rng.randrange(len(counts))] for _ in counts]) for _ in range(rounds)]
    return tuple(1.96 * statistics.stdev(s[i] for s in samples) for i in range(3))  # type: ignore[return-value]


def score(pages: list[Page], options: dict[str, Any] | None = None, ngram: int = 4, rounds: int = 1000) -> Score:
    """Extract every page with `options` (None: the reader's EXTRACT_OPTIONS) and score it."""
    counts: list[TpFpFn] = []
    elapsed = 0.0
    for page in pages:
        start = time.perf_counter()
        text = extract_main_text(page.html, page.url, options)
        elapsed += time.perf_counter() - start
        counts.append(match(page.truth, text, ngram))
    precision, recall, f1 = aggregate(counts)
    p_ci, r_ci, f_ci = bootstrap(counts, rounds)
    return Score(precision, recall, f1, p_ci, r_ci, f_ci, elapsed / max(1, len(pages)), len(pages))


def table(results: dict[str, Score], chosen: str) -> str:
    """The results as a Markdown table, the setting the reader uses marked."""
    lines = ["| trafilatura setting | precision | recall | F1 | ms / page | pages |",
             "| --- | --- | --- | --- | --- | --- |"]
    for name, s in results.items():
        label = f"**{name}** (roots default)" if name == chosen else name
        lines.append(f"| {label} | {s.precision:.3f} ± {s.precision_ci:.3f} | {s.recall:.3f} ± {s.recall_ci:.3f} "
                     f"| {s.f1:.3f} ± {s.f1_ci:.3f} | {1000 * s.seconds_per_page:.1f} | {s.pages} |")
    return "\n".join(lines)


def reader_setting() -> str:
    """The name in SETTINGS of the options the WARC reader uses."""
    return next((name for name, opts in SETTINGS.items() if opts == EXTRACT_OPTIONS), "roots.io.warc.EXTRACT_OPTIONS")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the article_extraction folder")
    parser.add_argument("--limit", type=int, default=None, help="score only the first N pages (by id)")
    parser.add_argument("--settings", nargs="*", default=list(SETTINGS), choices=list(SETTINGS), metavar="NAME",
                        help=f"settings to compare (default all: {', '.join(SETTINGS)})")
    parser.add_argument("--ngram", type=int, default=4, help="shingle size; 4 as the benchmark, 1 for tokens")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap rounds for the ± columns")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    if not (args.data / "ground-truth.json").exists():
        print(f"no benchmark data at {args.data}; pass --data", file=sys.stderr)
        return 2
    pages = load_pages(args.data, args.limit)
    results = {}
    for name in args.settings:
        results[name] = score(pages, SETTINGS[name], args.ngram, args.bootstrap)
        print(f"{name}: F1 {results[name].f1:.3f}", file=sys.stderr)
    import trafilatura

    print(f"HTML → text extraction, article-extraction-benchmark ({len(pages)} pages, {args.ngram}-gram shingles, "
          f"trafilatura {trafilatura.__version__}, one CPU core)\n")
    print(table(results, reader_setting()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
