"""Every curate stage of `roots run` on whole web pages nobody labelled: where each page ends (kept, or
rejected by which rule) and what is left of it, for a curator to read.

The labelled set (`curation_quality.py`) holds few pages of most languages; this is how to read the
pipeline's decisions on any folder of saved pages, in any language, before trusting it on a crawl. Each
`*.html` / `*.htm` file under the folders given is one document. Its text is what a crawl gives:

- `--extract wet` (default): the page's visible lines (`curation_quality.visible_lines`, one line per
  block element, as a WET conversion), of the bytes decoded as `roots run` decodes WARC payloads
  (`roots.io.warc.decode_html`: BOM, declared charset, UTF-8, then a guess); the boilerplate stage
  does the cleaning;
- `--extract warc`: the main text `roots run` extracts from a WARC page (`roots.io.warc.extract_main_text`,
  trafilatura with our settings).

The documents then go through `roots.pipelines.runner.curate_stages` exactly as in `curation_quality.py`
(crawl-wide template counts first; no source language: LID decides), with the default run config or the
stage sections of `--config RUN.yaml`. With `--peers-python .venv-peers/bin/python` the same texts also
go through datatrove 0.10.1's FineWeb-style filters (`curation_quality.py`'s datatrove side), side by
side: with `--extract warc` both get trafilatura's main text, as FineWeb starts from.

    .venv/bin/python benchmarks/page_decisions.py --pages ../GeneralNewsExtractor/tests --out runs/pages-zh

Writes under --out: `report.md` (pages per outcome and language, then every rejected page with its reason
and the start of its text) and `decisions.jsonl` (per page: outcome, language, reason, characters in
and out, and the kept text). Public page sets used so far are listed in BENCHMARKS.md ("Chinese news
pages"); nothing is downloaded.
"""
from __future__ import annotations

import argparse
import collections
import json
import logging
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import curation_quality as cq  # noqa: E402

log = logging.getLogger("page_decisions")
SUFFIXES = (".html", ".htm")


def page_files(folders: list[str], name: str | None = None) -> list[tuple[str, Path]]:
    """(id, path) of every page under the folders (only files called `name`, when given), sorted; the id
    is the folder's name and the path in it."""
    found = []
    for folder in folders:
        base = Path(folder)
        if not base.is_dir():
            raise SystemExit(f"page_decisions: {folder}: not a folder")
        for path in sorted(base.rglob("*")):
            if path.is_file() and path.suffix.lower() in SUFFIXES and name in (None, path.name):
                found.append((f"{base.name}/{path.relative_to(base).as_posix()}", path))
    return found


def page_text(data: bytes, extract: str) -> str:
    """The document a crawl gives for one saved page (see the module's docstring)."""
    from roots.io.warc import decode_html, extract_main_text

    if extract == "warc":
        return extract_main_text(data)
    return "\n".join(cq.visible_lines(decode_html(data)))


def outcome(trace: cq.Trace) -> str:
    """"kept", or the rejection reason's code (`quality:duplicate_ngrams`)."""
    return "kept" if trace.final_kept else trace.reason.split(" ", 1)[0]


def final_lang(trace: cq.Trace) -> str:
    return next((lang for lang in reversed(trace.lang) if lang), "")


def report(items: list[cq.Item], traces: dict[str, cq.Trace], excerpt: int = 160,
           peer: dict[str, cq.Trace] | None = None) -> str:
    by = collections.Counter((outcome(traces[it.id]), final_lang(traces[it.id]) or "-") for it in items)
    langs = sorted({lang for _, lang in by})
    outcomes = sorted({o for o, _ in by}, key=lambda o: (o != "kept", -sum(by[o, lang] for lang in langs), o))
    lines = [f"{len(items)} pages; outcome by final language (`-`: rejected before language ID decided)\n",
             "| outcome | " + " | ".join(langs) + " | all |", "| --- |" + " ---: |" * (len(langs) + 1)]
    for o in outcomes:
        cells = [str(by[o, lang] or "") for lang in langs]
        lines.append(f"| {o} | " + " | ".join(cells) + f" | {sum(by[o, lang] for lang in langs)} |")
    if peer is not None:
        lines.append("\nSame pages through datatrove 0.10.1's FineWeb-style filters (`curation_quality.py`'s "
                     "datatrove side):\n")
        theirs = collections.Counter(outcome(peer[it.id]) for it in items)
        both = sum(1 for it in items if traces[it.id].final_kept and peer[it.id].final_kept)
        lines += ["| outcome | pages |", "| --- | ---: |"] + [f"| {o} | {n} |" for o, n in theirs.most_common()]
        lines.append(f"\nKept by both: {both}; by roots only: "
                     f"{sum(1 for it in items if traces[it.id].final_kept and not peer[it.id].final_kept)}; "
                     f"by datatrove only: {sum(1 for it in items if peer[it.id].final_kept and not traces[it.id].final_kept)}")
    lines.append("\n### Rejected pages\n")
    for it in items:
        tr = traces[it.id]
        if not tr.final_kept:
            start = " ".join(it.text.split())[:excerpt]
            theirs = f" (datatrove: {outcome(peer[it.id])})" if peer is not None else ""
            lines.append(f"- `{it.id}`: {tr.reason}{theirs} — {start}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", nargs="+", required=True, help="folders of saved pages (searched recursively)")
    parser.add_argument("--file-name", help="only the pages with this file name (Readability's test pages: "
                        "source.html, beside each expected.html)")
    parser.add_argument("--extract", choices=["wet", "warc"], default="wet")
    parser.add_argument("--config", help="a run config whose stage sections are used (as curation_quality.py --config)")
    parser.add_argument("--web-source", help="with --config: the config's source the pages stand for")
    parser.add_argument("--peers-python", help="also run datatrove's FineWeb-style filters on the same texts, in "
                        "this Python (the peers' environment, benchmarks/peers.txt)")
    parser.add_argument("--out", default=str(ROOT / "runs" / "bench-pages"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args.lid_model, args.no_lid_model, args.claimed_lang = None, False, False

    items = [cq.Item(pid, "page", "", "", page_text(path.read_bytes(), args.extract))
             for pid, path in page_files(args.pages, args.file_name)]
    if not items:
        raise SystemExit("page_decisions: no .html or .htm file under " + ", ".join(args.pages))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    peer = None
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        _, traces, seconds = cq.run_roots(args, items, Path(tmp))
        if args.peers_python:
            _, peer, _ = cq.run_datatrove(args, items, Path(tmp))
    text = f"## Page decisions ({args.extract} text, {seconds:.1f} s)\n\n" + report(items, traces, peer=peer)
    print(text)
    (out / "report.md").write_text(text + "\n", encoding="utf-8")
    with open(out / "decisions.jsonl", "w", encoding="utf-8") as fh:
        for it in items:
            tr = traces[it.id]
            row = {"id": it.id, "outcome": outcome(tr), "lang": final_lang(tr), "reason": tr.reason,
                   "chars_in": len(it.text), "chars_out": tr.chars_out, "text": tr.text_out}
            if peer is not None:
                row["datatrove"] = {"outcome": outcome(peer[it.id]), "lang": final_lang(peer[it.id]),
                                    "chars_out": peer[it.id].chars_out}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
