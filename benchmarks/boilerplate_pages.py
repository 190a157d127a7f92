"""The boilerplate stage on whole web pages it was never tuned on: how many pages it rejects, how much of
each page's main text it keeps and how much of the rest it removes.

Every page here holds its main text, so a page the stage rejects is a page lost (unless the page really
has no text: read the list it writes). Three sets:

- `article`: the 181 pages of the article-extraction benchmark (`../shared/data/web/article_extraction`),
  the set the rules were developed on; a line is main text when it is in the ground-truth article;
- `trafilatura`: the evaluation pages of trafilatura (adbar/trafilatura, Apache-2.0; `tests/eval/*.html`
  and `tests/evaldata.json`: for each page a few snippets that belong to its main text, `with`, and a few
  that do not, `without`), mostly German, English and French blogs, news and institutional pages. No rule
  was tuned on them: it is the check that the rules hold on pages nobody here read first. Clone it
  yourself (`git clone https://github.com/adbar/trafilatura`) and pass `--trafilatura PATH`; nothing is
  downloaded.
- `readability`: the real-site test pages of Mozilla's Readability (mozilla/readability, Apache-2.0;
  `test/test-pages/*/source.html`, each with `expected.html`, the main text Readability extracts):
  news, blogs, documentation and specs, mostly English, some French, German, Czech, Portuguese, Chinese
  and Japanese. Fixtures under 30 kB are unit-test snippets and are left out. Split into halves like
  trafilatura's; pass `--readability PATH` (a clone).

A page's text is its visible lines as `curation_quality.visible_lines` gives them (one line per block
element, as a WET conversion does), normalised as ingestion does. The boilerplate stage runs with its
defaults, as on a web source, or with the `boilerplate:` section of a run config (`--config RUN.yaml`,
checked as `roots run` checks it): what a tuned setting costs in main text on pages nobody tuned it on.

    .venv/bin/python benchmarks/boilerplate_pages.py --trafilatura ../trafilatura --readability ../readability

Writes `runs/bench-boilerplate-pages/report.md` and `rejected.jsonl` (each rejected page, its reason and
what it kept) and prints the report. It also writes `lines.jsonl.gz`: every page's lines, each with the
rule that removed it and whether it is main text (`main`, `other`, or `?` where trafilatura's snippets
say nothing). `--compare DIR` reads the `lines.jsonl.gz` of an earlier run (another commit, another
`--config`) and writes `changes.md`: the lines one run removes and the other keeps, counted per set,
half and kind, every main-text line among them listed: what a rule or a setting costs and gains, line by
line, before it is adopted.

    .venv/bin/python benchmarks/boilerplate_pages.py --trafilatura ../trafilatura --out runs/before
    # change a rule or pass --config tuned.yaml, then
    .venv/bin/python benchmarks/boilerplate_pages.py --trafilatura ../trafilatura --compare runs/before
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from curation_quality import ARTICLES, DATA, _WORDS, _shingles, visible_lines  # noqa: E402
from roots.document import Document, Rejection  # noqa: E402
from roots.filters.boilerplate import Boilerplate, wide_script  # noqa: E402
from roots.stage_configs import BoilerplateConfig  # noqa: E402
from roots.filters.normalise import normalise_text  # noqa: E402


def page_lines(html: bytes) -> list[str]:
    return normalise_text("\n".join(visible_lines(html))).split("\n")


def article_pages() -> list[tuple[str, list[str], set[str]]]:
    """(name, lines, main-text lines) of the article-extraction pages, [] without ../shared/data."""
    folder = DATA / ARTICLES
    if not folder.exists():
        return []
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for key in sorted(truth):
        html = gzip.open(folder / "html" / f"{key}.html.gz").read()
        body = {" ".join(line.split()) for line in truth[key]["articleBody"].split("\n") if line.strip()}
        pages.append((key, page_lines(html), body))
    return pages


def trafilatura_pages(repo: Path) -> list[tuple[str, list[str], list[str], list[str]]]:
    """(file, lines, with-snippets, without-snippets) of trafilatura's evaluation pages."""
    meta = json.loads((repo / "tests" / "evaldata.json").read_text(encoding="utf-8"))
    pages = []
    for _, entry in sorted(meta.items(), key=lambda kv: kv[1]["file"]):
        path = repo / "tests" / "eval" / entry["file"]
        if path.exists():
            pages.append((entry["file"], page_lines(path.read_bytes()), entry.get("with", []),
                          entry.get("without", [])))
    return pages


#: Readability's fixtures smaller than this are unit-test snippets (lorem ipsum, one feature each), not pages.
READABILITY_MIN_BYTES = 30_000
_NOT_LETTERS = re.compile(r"[\W_]+")


def main_text_flags(lines: list[str], truth: str) -> list[bool]:
    """Which lines are main text: their words are a run inside `truth`, half of their word 4-grams are
    `truth`'s (a paragraph re-spaced or shortened), or, 12+ letters long, their letters are a substring
    of `truth`'s (scripts written without spaces, where a "word" is a whole clause)."""
    truth_words = _WORDS.findall(truth.lower())
    joined = " " + " ".join(truth_words) + " "
    shingles = _shingles(truth_words)
    letters = _NOT_LETTERS.sub("", truth.lower())
    flags = []
    for line in lines:
        words = _WORDS.findall(line.lower())
        own = _shingles(words)
        plain = _NOT_LETTERS.sub("", line.lower())
        flags.append(bool(words) and ((" " + " ".join(words) + " ") in joined
                                      or (len(words) >= 4 and len(own & shingles) >= 0.5 * len(own))
                                      or (len(plain) >= 12 and plain in letters)))
    return flags


def readability_pages(repo: Path) -> list[tuple[str, list[str], list[bool]]]:
    """(name, lines, is-main-text per line) of Readability's real-site test pages."""
    folder = repo / "test" / "test-pages"
    pages = []
    for page in sorted(p for p in folder.iterdir() if (p / "source.html").exists()):
        source = (page / "source.html").read_bytes()
        if len(source) < READABILITY_MIN_BYTES:
            continue
        expected = b'<html><head><meta charset="utf-8"></head><body>' + (page / "expected.html").read_bytes()
        truth = "\n".join(visible_lines(expected + b"</body></html>"))
        lines = page_lines(source)
        pages.append((page.name, lines, main_text_flags(lines, truth)))
    return pages


#: CPU seconds spent in the boilerplate stage itself (not in reading or extracting pages).
STAGE_SECONDS = [0.0]


def judge(stage: Boilerplate, lines: list[str]) -> tuple[str, list[str], str]:
    """(reason or "", each line's rule, the kept text) of one page."""
    start = time.process_time()
    out = stage(Document(id="page", text="\n".join(lines), lang="", source="web", meta={}))
    STAGE_SECONDS[0] += time.process_time() - start
    rules = stage.line_rules(lines, wide=wide_script("\n".join(lines)))
    if isinstance(out, Rejection):
        return out.reason.code, rules, out.detail
    return "", rules, out.text


def share(a: int, b: int) -> str:
    return f"{a / b:.3f} ({a}/{b})" if b else "–"


def page_half(name: str) -> str:
    """"dev" or "held-out", fixed by the SHA-1 of the page's file name: rules are read and developed on
    the dev half's pages; the held-out half shows whether they hold on pages nobody read."""
    return "dev" if int(hashlib.sha1(name.encode("utf-8")).hexdigest(), 16) % 2 == 0 else "held-out"


def trafilatura_row(pages: list) -> tuple[str, list[dict], list[dict]]:
    """The report cells of some judged trafilatura pages ((page, judgement) pairs), their rejected pages,
    and each `without` snippet the stage kept (page, half, the line holding it): the boilerplate left in."""
    reasons: Counter = Counter()
    rejected, leftover = [], []
    with_kept = with_all = without_gone = without_all = 0
    for (name, lines, with_, without), (reason, rules, detail) in pages:
        if reason:
            reasons[reason] += 1
            rejected.append({"set": "trafilatura", "page": name, "reason": reason, "detail": detail})
        for snippets, is_main in ((with_, True), (without, False)):
            for snippet in snippets:
                found = next(((l, r) for l, r in zip(lines, rules) if snippet.strip() and snippet.strip() in l), None)
                if found is None:
                    continue   # not on one line of the visible text (split by markup, or not there)
                rule = found[1]
                if is_main:
                    with_all += 1
                    with_kept += not rule and not reason
                else:
                    without_all += 1
                    without_gone += bool(rule) or bool(reason)
                    if not rule and not reason:
                        leftover.append({"page": name, "half": page_half(name), "line": found[0]})
    row = (f"{len(pages)} | {sum(reasons.values())} | {', '.join(f'{k} {v}' for k, v in reasons.most_common())} | "
           f"{share(with_kept, with_all)} `with` snippets | {share(without_gone, without_all)} `without` snippets |")
    return row, rejected, leftover


def chars_row(judged: list) -> tuple[str, list[dict]]:
    """The report cells of judged pages ((name, lines, main-text flags, judgement) tuples), counted in
    characters, and their rejected pages."""
    reasons: Counter = Counter()
    rejected = []
    kept_a = all_a = gone_b = all_b = 0
    for name, lines, main, (reason, rules, detail) in judged:
        if reason:
            reasons[reason] += 1
            rejected.append({"page": name, "reason": reason, "detail": detail})
        for line, is_main, rule in zip(lines, main, rules):
            if is_main:
                all_a += len(line)
                kept_a += len(line) * (not rule and not reason)
            else:
                all_b += len(line)
                gone_b += len(line) * (bool(rule) or bool(reason))
    return (f"{len(judged)} | {sum(reasons.values())} | {', '.join(f'{k} {v}' for k, v in reasons.most_common())} | "
            f"{share(kept_a, all_a)} chars | {share(gone_b, all_b)} chars |"), rejected


def page_record(set_name: str, name: str, lines: list[str], tags: list[str], judgement: tuple) -> dict:
    """One page of `lines.jsonl.gz`: its set and half, the rejection reason ("" if kept) and each non-blank
    line as [text, rule or "", tag]."""
    reason, rules, _ = judgement
    return {"set": set_name, "page": name, "half": page_half(name), "reason": reason,
            "lines": [[line, rule, tag] for line, rule, tag in zip(lines, rules, tags) if line.strip()]}


def snippet_tags(lines: list[str], with_: list[str], without: list[str]) -> list[str]:
    """Per line of a trafilatura page: `main` if it holds a `with` snippet, `other` if a `without` one,
    `?` otherwise."""
    def holds(line: str, snippets: list[str]) -> bool:
        return any(s.strip() and s.strip() in line for s in snippets)
    return ["main" if holds(l, with_) else "other" if holds(l, without) else "?" for l in lines]


def write_lines(path: Path, records: list[dict]) -> None:
    """`lines.jsonl.gz`, byte-identical for the same pages and rules (no time stamp in the gzip header)."""
    with gzip.GzipFile(path, "wb", mtime=0) as raw, io.TextIOWrapper(raw, encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def read_lines(path: Path) -> dict[tuple[str, str], dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return {(r["set"], r["page"]): r for r in map(json.loads, fh)}


def compare(before: dict[tuple[str, str], dict], after: dict[tuple[str, str], dict],
            listed_per_kind: int = 40) -> tuple[str, str, Counter]:
    """The lines whose fate differs between two runs (removed or on a rejected page in one, kept in the
    other), on the pages both runs read with the same lines: a markdown table of their counts per (set,
    half, "removed"/"restored", tag), a markdown listing of them (every main-text line; of the others, up
    to `listed_per_kind` per set, direction and tag), and the counts themselves."""
    counts: Counter = Counter()
    listed: list[str] = []
    shown: Counter = Counter()
    for key in sorted(set(before) & set(after)):
        a, b = before[key], after[key]
        if [l[0] for l in a["lines"]] != [l[0] for l in b["lines"]]:
            continue   # the page's text differs between the runs: nothing line by line to compare
        for (text, rule_a, tag), (_, rule_b, _) in zip(a["lines"], b["lines"]):
            gone_a, gone_b = bool(rule_a or a["reason"]), bool(rule_b or b["reason"])
            if gone_a == gone_b:
                continue
            direction = "removed" if gone_b else "restored"
            counts[(a["set"], a["half"], direction, tag)] += 1
            kind = (a["set"], direction, tag)
            if tag == "main" or shown[kind] < listed_per_kind:
                shown[kind] += 1
                why = (rule_b or b["reason"]) if gone_b else (rule_a or a["reason"])
                listed.append(f"| {a['set']} | {a['page'][:40]} | {direction} | {tag} | {why} | "
                              f"{text[:160].replace('|', '/')} |")
    table = ["| set | half | change | main | other | ? |", "| --- | --- | --- | --- | --- | --- |"]
    for set_name, half, direction in sorted({k[:3] for k in counts}):
        cells = [str(counts[(set_name, half, direction, tag)]) for tag in ("main", "other", "?")]
        table.append(f"| {set_name} | {half} | {direction} | " + " | ".join(cells) + " |")
    listing = ["| set | page | change | tag | rule (or page reason) | line |", "| --- | --- | --- | --- | --- | --- |",
               *listed]
    return "\n".join(["## Lines whose fate changed", "", *table]) + "\n", "\n".join(listing) + "\n", counts


def stage_config(path: Path | None) -> BoilerplateConfig:
    """The `boilerplate:` section of the run config at `path` (the defaults without one or without the
    section), validated as `roots run` validates it: a bad key or value is a ConfigError naming it."""
    if path is None:
        return BoilerplateConfig()
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise SystemExit(f"{path}: a run config is a mapping")
    return BoilerplateConfig.from_dict(data.get("boilerplate"), f"{path}: boilerplate", str(path.parent))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trafilatura", type=Path, help="a checkout of adbar/trafilatura (tests/eval, tests/evaldata.json)")
    ap.add_argument("--readability", type=Path, help="a checkout of mozilla/readability (test/test-pages)")
    ap.add_argument("--config", type=Path, help="a run config whose `boilerplate:` section the stage runs with "
                    "(default: the stage's defaults)")
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "bench-boilerplate-pages")
    ap.add_argument("--compare", type=Path, help="the --out folder of an earlier run: write changes.md, the "
                    "lines whose fate differs from that run's")
    args = ap.parse_args(argv)
    if args.compare and not (args.compare / "lines.jsonl.gz").is_file():
        raise SystemExit(f"{args.compare}: no lines.jsonl.gz (run this script with --out {args.compare} first)")
    stage = Boilerplate(stage_config(args.config), frozenset({"web"}))
    stage.setup()
    args.out.mkdir(parents=True, exist_ok=True)
    report = ["| set | pages | rejected | by reason | main text kept | other text removed |",
              "| --- | --- | --- | --- | --- | --- |"]
    rejected_rows = []
    kept_boilerplate: list[dict] = []
    records: list[dict] = []

    articles = [(key, lines, [line in body or (len(line) >= 25 and any(line in b for b in body)) for line in lines])
                for key, lines, body in article_pages()]
    if articles:
        judged = [(*page, judge(stage, page[1])) for page in articles]
        records += [page_record("article", name, lines, ["main" if m else "other" for m in main], j)
                    for name, lines, main, j in judged]
        row, rejected = chars_row(judged)
        report.append("| article (developed on) | " + row)
        rejected_rows.extend({"set": "article", **r} for r in rejected)

    if args.trafilatura:
        pages = [(page, judge(stage, page[1])) for page in trafilatura_pages(args.trafilatura)]
        records += [page_record("trafilatura", name, lines, snippet_tags(lines, with_, without), j)
                    for (name, lines, with_, without), j in pages]
        for half in ("dev", "held-out", "all"):
            chosen = [p for p in pages if half == "all" or page_half(p[0][0]) == half]
            row, rejected, leftover = trafilatura_row(chosen)
            label = {"dev": "dev half (read for the rules since 2026-12-03)",
                     "held-out": "held-out half (never read)", "all": "all"}[half]
            report.append(f"| trafilatura, {label} | " + row)
            if half == "all":
                rejected_rows.extend(rejected)
                kept_boilerplate = leftover
    if args.readability:
        judged = [(*page, judge(stage, page[1])) for page in readability_pages(args.readability)]
        records += [page_record("readability", name, lines, ["main" if m else "other" for m in main], j)
                    for name, lines, main, j in judged]
        for half in ("dev", "held-out", "all"):
            row, rejected = chars_row([p for p in judged if half == "all" or page_half(p[0]) == half])
            label = {"dev": "dev half (read for the rules since 2026-12-04)",
                     "held-out": "held-out half (never read)", "all": "all"}[half]
            report.append(f"| readability, {label} | " + row)
            if half == "all":
                rejected_rows.extend({"set": "readability", **r} for r in rejected)
    report.append(f"\nThe boilerplate stage's own CPU time over all pages: {STAGE_SECONDS[0]:.2f} s.")
    text = "\n".join(report) + "\n"
    (args.out / "report.md").write_text(text, encoding="utf-8")
    with open(args.out / "rejected.jsonl", "w", encoding="utf-8") as fh:
        for row in rejected_rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    if args.trafilatura:
        with open(args.out / "kept_boilerplate.jsonl", "w", encoding="utf-8") as fh:
            for row in kept_boilerplate:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    write_lines(args.out / "lines.jsonl.gz", records)
    if args.compare:
        summary, listing, _ = compare(read_lines(args.compare / "lines.jsonl.gz"),
                                      {(r["set"], r["page"]): r for r in records})
        (args.out / "changes.md").write_text(summary + "\n" + listing, encoding="utf-8")
        text += "\n" + summary
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
