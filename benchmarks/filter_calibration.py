"""Recalibrate the quality thresholds of the 46 natural languages on clean text, reproducibly.

    .venv/bin/python benchmarks/filter_calibration.py            # print the measured table and proposals
    .venv/bin/python benchmarks/filter_calibration.py --write    # write them into language_configs/*.yaml

Clean text: FLORES-200 pseudo-documents per language (train + dev sentences in id order, which follow
the source articles; paragraphs of 4 sentences; documents of 10 to 30 sentences, plus documents of 80
sentences because ROOTS's character repetition grows with length), and the 181
ground-truth article bodies of the article-extraction benchmark (clean long news prose; those that
lid.176 gives a language of the registry join that language: most are English). Each document
goes through the quality stage with every statistic computed (`compute_all`).

Procedure, per language (`propose`): the pass criterion is that at least 99.5% of the clean documents
pass, so k = floor(0.5% of N) documents may fail (k = 0 with FLORES alone, 1 for English). ROOTS's
statistics are calibrated on the clean documents that Gopher's repetition rules keep (a templated list
they remove needs no looser ROOTS bound):
- a maximum (character and word repetition) becomes the larger of the value in force and `MARGIN` x
  the (k+1)-th highest clean value, rounded up to 0.01: clean prose passes, and a value already loose
  enough (ROOTS's tuned ones, ROOTS's default row) is kept, with a source saying it was checked;
- the minimum stopword ratio becomes the smaller of the value in force and the (k+1)-th lowest clean
  value / `MARGIN`, rounded down to 0.01;
- the special-character maximum is reset for every language, because its statistic no longer counts
  whitespace (filters/stats.py says why): `MARGIN` x the (k+1)-th highest clean value, at least
  `SPECIAL_FLOOR`;
- Gopher's repetition maxima keep Gopher's defaults (set on English web text by DeepMind): the script
  reports how many clean documents they remove, and changes nothing.
`--write` also turns the absolute `max_perplexity` off (ROOTS's values are perplexities under ROOTS's
own KenLM models) and sets `max_perplexity_percentile` (filters/rules.py says why 99.5).
"""
from __future__ import annotations

import argparse
import gzip
import json
import math
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable
from dataclasses import dataclass


ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
FLORES = [DATA / "flores" / "flores200_train.jsonl.gz", DATA / "flores" / "flores200_dev.jsonl.gz"]
ARTICLES = DATA / "web" / "article_extraction" / "ground-truth.json"
MARGIN = 1.15
PASS_PERCENT = 99.5
#: The lowest special-character maximum (whitespace not counted): half of OSCAR-2019's documents are
#: below 0.05 and 90% below 0.20; tables, number lists and symbol runs are 0.33 to 1.
SPECIAL_FLOOR = 0.25
GOPHER_RULES = ("duplicate_lines", "duplicate_paragraphs", "top_ngrams", "duplicate_ngrams")
#: Sentences per pseudo-document, cycled (10 to 30), and the long documents' length.
SHORT_SIZES = (10, 14, 18, 22, 26, 30)
FLORES_SENTENCES = 800  # 701 train + 99 dev per language
LONG_SIZE = 80
#: The thresholds recalibrated: key → (statistic, "max" or "min").
CALIBRATED = {
    "max_char_repetition": ("char_repetition", "max"),
    "max_word_repetition": ("word_repetition", "max"),
    "max_special_characters": ("special_characters", "max"),
    "min_stopwords": ("stopwords", "min"),
}


def flores_sentences(flores_code: str) -> list[str]:
    """FLORES-200 train then dev sentences of one language, each split in id order."""
    out: list[str] = []
    for path in FLORES:
        rows = []
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                if f'"{flores_code}"' in line:
                    row = json.loads(line)
                    if row["flores"] == flores_code:
                        rows.append((int(row["id"]), row["text"]))
        out += [t for _, t in sorted(rows)]
    return out


def pseudo_documents(sentences: list[str], spaces: bool = True) -> list[str]:
    """Clean multi-paragraph documents from consecutive sentences (see the module docstring)."""
    join = " " if spaces else ""

    def doc(chunk: list[str]) -> str:
        return "\n\n".join(join.join(chunk[i:i + 4]) for i in range(0, len(chunk), 4))

    docs, i, k = [], 0, 0
    while i + SHORT_SIZES[0] <= len(sentences):
        size = SHORT_SIZES[k % len(SHORT_SIZES)]
        docs.append(doc(sentences[i:i + size]))
        i, k = i + size, k + 1
    docs += [doc(sentences[j:j + LONG_SIZE]) for j in range(0, len(sentences) - LONG_SIZE + 1, LONG_SIZE)]
    return docs


def articles() -> dict[str, list[str]]:
    """The ground-truth article bodies (clean news prose), per language as fastText lid.176 names
    it (most are English; the rest Portuguese, Indonesian, Russian, ...); in id order."""
    from roots.lid import lid176_path, load_model, prepare_text

    model = load_model(lid176_path())
    data = json.loads(ARTICLES.read_text(encoding="utf-8"))
    out: dict[str, list[str]] = defaultdict(list)
    for _, v in sorted(data.items()):
        text = v.get("articleBody", "")
        if text.strip():
            (label,), _ = model.predict(prepare_text(text))
            out[label.replace("__label__", "")].append(text)
    return dict(out)


def clean_corpus(langs: Iterable[str] | None = None) -> dict[str, list[str]]:
    """Clean documents per language code of the registry (English: FLORES and the articles)."""
    from roots.languages import load_registry

    registry = load_registry()
    out: dict[str, list[str]] = {}
    for code in registry.codes:
        config = registry.get(code)
        if config.is_code or (langs and code not in langs):
            continue
        out[code] = pseudo_documents(flores_sentences(config.flores), bool(config.spaces))
    for code, texts in articles().items():
        if code in out:
            out[code] += texts
    return out


def measure(corpus: dict[str, list[str]]) -> dict[str, list[dict[str, Any]]]:
    """Every quality statistic of every document, per language, and its outcome (`reason`)."""
    from roots.document import Document, Rejection
    from roots.filters.quality import Quality, QualityConfig

    stage = Quality(QualityConfig(compute_all=True))
    stage.setup()
    out: dict[str, list[dict[str, Any]]] = {}
    for lang, texts in corpus.items():
        rows = []
        docs = [Document(f"{lang}/{i}", t, lang, "clean", {}) for i, t in enumerate(texts)]
        for o in stage.process_batch(docs):
            doc = o.doc if isinstance(o, Rejection) else o
            rows.append({**doc.meta.get("quality", {}), "reason": o.reason.code if isinstance(o, Rejection) else "kept",
                         "detail": o.detail if isinstance(o, Rejection) else ""})
        out[lang] = rows
    return out


def _up(x: float) -> float:
    return math.ceil(round(x * 100, 6)) / 100


def _down(x: float) -> float:
    return math.floor(round(x * 100, 6)) / 100


@dataclass
class Proposal:
    """One threshold of one language: the value in force, the value proposed and why."""

    key: str
    now: float | None
    new: float | None
    note: str

    @property
    def changed(self) -> bool:
        return self.now is None or self.new is None or not math.isclose(self.new, self.now)


def _limits(params: Any) -> dict[str, Any]:
    return {f: getattr(params, f) for f in params.__dataclass_fields__ if f != "sources"}


def _passes(row: dict[str, Any], rules: Iterable[Any], limits: dict[str, Any]) -> bool:
    return not any(s.fails(row.get(s.key), limits) for r in rules for s in r.statistics if s.key in row)


def propose(rows: list[dict[str, Any]], params: Any, n_flores: int) -> list[Proposal]:
    """The proposals for one language (see the module docstring). ROOTS's statistics are calibrated on
    the clean documents that Gopher's repetition rules keep (a document another rule removes needs no
    looser bound here); Gopher's own bounds on all clean documents."""
    from roots.filters.rules import BY_NAME

    limits = _limits(params)
    gopher = [BY_NAME[n] for n in GOPHER_RULES]
    kept = [r for r in rows if _passes(r, gopher, limits)]
    corpus = (f"{len(rows)} clean docs ({n_flores} FLORES-200 pseudo-documents"
              + (f" + {len(rows) - n_flores} ground-truth news articles" if len(rows) > n_flores else "") + ")")
    out: list[Proposal] = []
    for key, (statistic, side) in CALIBRATED.items():
        pool = kept
        values = sorted(r[statistic] for r in pool if r.get(statistic) is not None)
        now = limits.get(key)
        if not values or (now is None and key != "max_special_characters"):
            continue
        k = int(len(values) * (100 - PASS_PERCENT) / 100)  # documents allowed to fail
        where = f"{corpus}, {len(pool)} of them kept by the Gopher repetition rules"
        default = "parameters_filtering_default" in params.sources.get(key, "")
        if side == "max":
            edge = values[-1 - k]
            bound = _up(edge * MARGIN)
            if key == "max_special_characters":  # redefined without whitespace: every language is reset
                new = max(bound, SPECIAL_FLOOR)
                why = (f"max({MARGIN} x {edge:.3f}, floor {SPECIAL_FLOOR}) where {edge:.3f} is the "
                       f"{_nth(k + 1) + '-' if k else ''}highest special-character share (whitespace not counted) of {where}")
            else:
                new = max(now, bound)
                why = f"{MARGIN} x {edge:.3f}, the {_nth(k + 1) + '-' if k else ''}highest value of {where}"
        else:
            edge = values[k]
            bound = _down(edge / MARGIN)
            new = min(now, bound)
            why = f"{edge:.3f} / {MARGIN}, the {_nth(k + 1) + '-' if k else ''}lowest value of {where}"
        origin = params.sources.get(key, "")
        special = key == "max_special_characters"
        if math.isclose(new, now) and origin.startswith("recalibrated by"):
            continue  # a rerun: nothing to write
        if math.isclose(new, now) and not special:
            side_word = "highest" if side == "max" else "lowest"
            note = (f"{origin.split('; checked by')[0]}; checked by benchmarks/filter_calibration.py on {where}: "
                    f"the {_nth(k + 1) + '-' if k else ''}{side_word} is {edge:.3f}, "
                    f"{'all' if k == 0 else f'all but {k}'} pass")
        else:
            note = (f"recalibrated by benchmarks/filter_calibration.py ({PASS_PERCENT}% of clean docs pass): {why}; "
                    f"before: {_plain(now)} from {origin}"
                    + (" (ROOTS never ran on this language)" if default else ""))
        out.append(Proposal(key, now, new, note))
    return out


def _nth(n: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


def _plain(v: Any) -> str:
    return "null" if v is None else f"{v:g}" if isinstance(v, float) else str(v)


def gopher_failures(rows: list[dict[str, Any]], params: Any) -> dict[str, int]:
    """How many clean documents each Gopher repetition rule removes (reported, not calibrated)."""
    from roots.filters.rules import BY_NAME

    limits = _limits(params)
    out = {n: sum(not _passes(r, [BY_NAME[n]], limits) for r in rows) for n in GOPHER_RULES}
    return {n: c for n, c in out.items() if c}


# --- writing the language configs ---------------------------------------------------------------


def _line(indent: str, key: str, value: Any, source: str) -> str:
    return f"{indent}{key}: {{value: {_plain(value)}, source: {json.dumps(source, ensure_ascii=False)}}}\n"


def perplexity_lines(params: Any) -> list[tuple[str, Any, str]]:
    """The perplexity cut-off entries: the absolute ROOTS value off (it is meaningful only with ROOTS's
    own KenLM models, which are not shipped), the percentile of our model's reference text on."""
    from roots.filters.rules import DEFAULT_PERPLEXITY_PERCENTILE, PERCENTILE_SOURCE

    origin = params.sources.get("max_perplexity", "")
    was = params.max_perplexity
    off = (f"off: ROOTS's {_plain(was)} ({origin.split(' (perplexity_max_cutoff')[0]}) is a perplexity under ROOTS's "
           f"own KenLM models (not shipped); set it, and null max_perplexity_percentile, only with such a model"
           if was is not None else origin)
    return [("max_perplexity", None, off),
            ("max_perplexity_percentile", DEFAULT_PERPLEXITY_PERCENTILE, PERCENTILE_SOURCE.replace("default (key absent): ", ""))]


def write_config(path: Path, entries: list[tuple[str, Any, str]]) -> bool:
    """Replace or add `filters:` entries (key, value, source) in one language config; new keys go after
    the `max_perplexity:` line (so other edits of the file merge cleanly). True when the file changed."""
    lines = path.read_text(encoding="utf-8").splitlines(True)
    start = next(i for i, l in enumerate(lines) if l.startswith("filters:"))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].strip() and not lines[i].startswith(" ")), len(lines))
    indent = re.match(r"\s*", lines[start + 1]).group(0)
    where = {re.match(r"\s*(\w+):", lines[i]).group(1): i for i in range(start + 1, end) if re.match(r"\s+\w+:", lines[i])}
    anchor = where["max_perplexity"]
    added: list[str] = []
    for key, value, source in entries:
        line = _line(indent, key, value, source)
        if key in where:
            lines[where[key]] = line
        else:
            added.append(line)
    lines[anchor + 1:anchor + 1] = added
    text = "".join(lines)
    if text == path.read_text(encoding="utf-8"):
        return False
    path.write_text(text, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lang", action="append", help="only these languages (repeatable)")
    parser.add_argument("--write", action="store_true", help="write the proposals into language_configs/")
    parser.add_argument("--dump", help="write every measured statistic to this JSON file")
    args = parser.parse_args(argv)
    if not FLORES[0].exists():
        print(f"no FLORES data at {FLORES[0]}", file=sys.stderr)
        return 1
    from roots.filters.params import parse_filters
    from roots.languages import load_registry

    registry = load_registry()
    corpus = clean_corpus(args.lang)
    flores_counts = {lang: len(pseudo_documents(["x"] * (FLORES_SENTENCES))) for lang in corpus}
    measured = measure(corpus)
    if args.dump:
        Path(args.dump).write_text(json.dumps(measured), encoding="utf-8")
    for lang, rows in measured.items():
        config = registry.get(lang)
        params = parse_filters(config)
        failing = defaultdict(int)
        for r in rows:
            failing[r["reason"]] += 1
        proposals = propose(rows, params, flores_counts[lang])
        print(f"{lang}\t{len(rows)} docs\tpass {failing['kept'] / len(rows):.3f}\t"
              f"{dict((k, v) for k, v in failing.items() if k != 'kept')}\t"
              + ", ".join(f"{p.key} {_plain(p.now)}->{_plain(p.new)}" for p in proposals if p.changed)
              + f"\tGopher removes {gopher_failures(rows, params) or 'none'}")
        if args.write:
            entries = [(p.key, p.new, p.note) for p in proposals] + perplexity_lines(params)
            write_config(Path(config.path), entries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
