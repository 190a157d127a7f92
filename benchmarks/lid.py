"""Language identification speed and accuracy, side by side in one run: the roots LID stage (batched,
bounded prefix, lid.176 and/or our model), plain `fasttext.predict` one document at a time on the
whole text (as ROOTS and datatrove call it), and pycld2 (from .venv-peers, in a subprocess).

    python benchmarks/lid.py [--model bundled|none|lid-roots.ftz] [--docs-per-lang 19] [--sentences 5]
                             [--peers-python .venv-peers/bin/python]

Documents are built from FLORES-200 dev (../shared/data/flores): `--sentences` consecutive sentences of
one language joined by newlines, for each of the 46 languages. Speed is documents per CPU-second of
one process (the stage and fastText's predict are single-threaded), so "per core". A second table
compares ways to score long documents (bounded prefix vs whole text vs line majority). Prints
Markdown tables for BENCHMARKS.md; kept small (about 900 documents) for a shared 2-core machine.
"""
from __future__ import annotations

import argparse
import collections
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from roots import lid
from roots.document import Document
from roots.filters.lid import LanguageId

FLORES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "flores"

# pycld2 in the peers environment: reads [text] JSON from a file, prints codes and its CPU seconds.
_CLD2 = r"""
import json, sys, time
import pycld2
texts = json.load(open(sys.argv[1], encoding="utf-8"))
for _ in range(int(sys.argv[2])):
    start = time.process_time()
    codes = []
    for t in texts:
        try:
            codes.append(pycld2.detect(t)[2][0][1])
        except pycld2.error:
            codes.append("error")
    seconds = time.process_time() - start
print(json.dumps({"codes": codes, "cpu": seconds}))
"""


def documents(docs_per_lang: int, sentences: int) -> list[tuple[str, str]]:
    """(text, registry code) documents of `sentences` FLORES dev sentences each, in the 46 languages."""
    policies = lid.load_policies()
    by_flores = {p.labels[1]: code for code, p in policies.items()}
    texts: dict[str, list[str]] = collections.defaultdict(list)
    with gzip.open(FLORES / "flores200_dev.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            if record["flores"] in by_flores:
                texts[by_flores[record["flores"]]].append(record["text"])
    docs = []
    for code in sorted(texts):
        sents = texts[code]
        for i in range(docs_per_lang):
            chunk = sents[i * sentences:(i + 1) * sentences]
            if len(chunk) == sentences:
                docs.append(("\n".join(chunk), code))
    return docs


def macro(gold: list[str], got: list[str]) -> float:
    right, total = collections.Counter(), collections.Counter()
    for g, p in zip(gold, got):
        total[g] += 1
        right[g] += g == p
    return sum(right[c] / total[c] for c in total) / len(total)


def cpu_time(fn, repeat: int) -> tuple[float, object]:
    """The least CPU seconds of `repeat` calls of fn, and its last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.process_time()
        result = fn()
        best = min(best, time.process_time() - start)
    return best, result


def cld2_code(code: str, registry_codes: set[str]) -> str:
    if code == "zh":
        return "zh-Hans"
    if code in ("zh-Hant", "zh-TW"):
        return "zh-Hant"
    return code if code in registry_codes else "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=lid.BUNDLED,
                        help="our model: `bundled` (default), a file from `roots lid train`, or `none` (lid.176 alone)")
    parser.add_argument("--docs-per-lang", type=int, default=19)
    parser.add_argument("--sentences", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--peers-python", default=str(Path(__file__).resolve().parents[1] / ".venv-peers" / "bin" / "python"))
    args = parser.parse_args()
    args.model = None if args.model == "none" else str(lid.BUNDLED_MODEL) if args.model == lid.BUNDLED else args.model
    if not (FLORES / "flores200_dev.jsonl.gz").exists():
        sys.exit(f"FLORES dev not found in {FLORES}: this benchmark needs ../shared/data")

    docs = documents(args.docs_per_lang, args.sentences)
    gold = [code for _, code in docs]
    texts = [text for text, _ in docs]
    nbytes = sum(len(t.encode()) for t in texts)
    codes = set(lid.load_policies())
    print(f"{len(docs)} documents of {args.sentences} FLORES dev sentences, {len(set(gold))} languages, "
          f"{nbytes / len(docs):.0f} bytes each on average; CPU seconds, best of {args.repeat}\n")

    rows = []

    def stage_row(name: str, config: lid.LidConfig, labelled: bool) -> None:
        stage = LanguageId(config)
        stage.setup()

        def run():
            batch = [Document(f"d{i}", t, code if labelled else "", "b") for i, (t, code) in enumerate(docs)]
            out = []
            for j in range(0, len(batch), config.batch_size):
                out += stage.process_batch(batch[j:j + config.batch_size])
            return out

        seconds, out = cpu_time(run, args.repeat)
        # The language identified, kept or not (a low score still names the language).
        got = [(o if isinstance(o, Document) else o.doc).lang or "other" for o in out]
        if labelled:   # accuracy = documents kept in their own language
            quality = sum(isinstance(o, Document) for o in out) / len(out)
            rows.append((name, len(docs) / seconds, f"{quality:.3f} kept"))
        else:
            rows.append((name, len(docs) / seconds, f"{macro(gold, got):.3f}"))

    stage_row("roots LID stage, lid.176 only, unlabelled", lid.LidConfig(model=None), False)
    if args.model:
        stage_row("roots LID stage, lid.176 + ours, unlabelled", lid.LidConfig(model=args.model), False)
        stage_row("roots LID stage, lid.176 + ours, source-labelled", lid.LidConfig(model=args.model), True)

    model176 = lid.load_model(lid.lid176_path())
    labels176 = lid.LabelMap(lid.load_policies())

    def plain(model):
        def run():
            out = []
            for t in texts:   # ROOTS's call: the whole text, lower-cased, newlines as spaces, one at a time
                label = model.predict(t.lower().replace("\n", " "))[0][0].removeprefix(lid.LABEL_PREFIX)
                out.append(labels176.resolve(label, t) or "other")
            return out
        return run

    seconds, got = cpu_time(plain(model176), args.repeat)
    rows.append(("fasttext.predict one at a time, lid.176", len(docs) / seconds, f"{macro(gold, got):.3f}"))
    if args.model:
        seconds, got = cpu_time(plain(lid.load_model(args.model)), args.repeat)
        rows.append(("fasttext.predict one at a time, ours", len(docs) / seconds, f"{macro(gold, got):.3f}"))

    if os.path.exists(args.peers_python):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
            json.dump(texts, fh, ensure_ascii=False)
        try:
            proc = subprocess.run([args.peers_python, "-c", _CLD2, fh.name, str(args.repeat)],
                                  capture_output=True, text=True, check=True)
            result = json.loads(proc.stdout)
            got = [cld2_code(c, codes) for c in result["codes"]]
            rows.append(("pycld2.detect one at a time", len(docs) / result["cpu"], f"{macro(gold, got):.3f}"))
        except subprocess.CalledProcessError as err:
            print(f"pycld2 failed: {err.stderr.strip().splitlines()[-1:]}")
        finally:
            os.unlink(fh.name)
    else:
        print(f"no peers environment at {args.peers_python}: pycld2 skipped")

    base = next(r[1] for r in rows if r[0].startswith("fasttext.predict one at a time, lid.176"))
    print("| what | documents/s per core | vs plain fastText (lid.176) | macro accuracy (46) |")
    print("| --- | ---: | ---: | ---: |")
    for name, rate, quality in rows:
        print(f"| {name} | {rate:,.0f} | {rate / base:.2f}x | {quality} |")

    if args.model:
        long_documents(args.model)


def long_documents(model_path: str) -> None:
    """How to score long documents: bounded prefixes vs the whole text vs a majority of lines, on
    documents of 20 FLORES sentences, and the cost of a 10 MB document."""
    docs = documents(4, 20)
    gold = [code for _, code in docs]
    ident = lid.Identifier.load({lid.LID176: lid.lid176_path(), lid.ROOTS: model_path})
    print(f"\n{len(docs)} documents of 20 sentences ({sum(len(t) for t, _ in docs) / len(docs):.0f} characters on average):\n")
    print("| scoring | macro accuracy (46) | documents/s per core |")
    print("| --- | ---: | ---: |")
    for max_chars in (200, 500, 2000, 10**9):
        ident.max_chars = max_chars
        start = time.process_time()
        got = [p.code or "other" for p in ident.identify_raw([t for t, _ in docs])]
        rate = len(docs) / (time.process_time() - start)
        name = "whole text" if max_chars == 10**9 else f"prefix of {max_chars} characters"
        print(f"| {name} | {macro(gold, got):.3f} | {rate:,.0f} |")
    ident.max_chars = 10**9
    start = time.process_time()
    got = []
    for text, _ in docs:
        votes = collections.Counter(p.code or "other" for p in ident.identify_raw(text.split("\n")))
        got.append(votes.most_common(1)[0][0])
    rate = len(docs) / (time.process_time() - start)
    print(f"| majority of lines | {macro(gold, got):.3f} | {rate:,.0f} |")
    huge = docs[0][0].replace("\n", " ") * (10_000_000 // len(docs[0][0]))
    for max_chars in (lid.DEFAULT_MAX_CHARS, 10**9):
        ident.max_chars = max_chars
        start = time.process_time()
        ident.identify_raw([huge])
        print(f"\none {len(huge.encode()) / 1e6:.0f} MB document, max_chars {max_chars}: {time.process_time() - start:.3f} s")


if __name__ == "__main__":
    main()
