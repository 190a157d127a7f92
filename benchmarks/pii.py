"""Throughput per core of the PII stage, side by side with the regex set ROOTS used and with
BigScience's pii-manager, on the same documents, in one run; prints a Markdown table.

  .venv/bin/python benchmarks/pii.py [--repeat 3]

Documents: FLORES-200 dev sentences of the 46 languages, 10 to a document, and the 649 real OSCAR-2019
web documents of ../shared/data/web (166 languages), about 3 MB in all: modest, the machine is shared.
Each tool runs in one process (one core), detection and redaction together, best of --repeat runs.

- roots: roots.filters.pii.PiiRedact (every detector of the document's language).
- ROOTS regexes: EMAIL, IP_ADDRESS, USER, KEY re-implemented here from the published description of
  BigScience's `bigscience_pii_detect_redact.py` (the `regex` module, the same boundaries: start, space,
  punctuation or a Han character; IPs kept only with a digit and not a date; redaction by replacing each
  matched string with `PI:TAG`).
- pii-manager 0.5.0 (if installed in .venv-peers): `PiiManager(lang, country=["all"], all_tasks=True)`
  with the document's language where it has one (en, es, fr, pt, zh), else its language-independent tasks.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import regex

from roots.document import Document
from roots.filters.pii import META_KEY, PiiRedact
from roots.languages import load_registry

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
PEERS_PYTHON = ROOT / ".venv-peers" / "bin" / "python"

# --- the ROOTS regex set, re-implemented from its published description ---------------------------
_START = r"(?:^|[\b\s@?,!;:\'\")(.\p{Han}])"
_END = r"(?:$|[\s@,?!;:\'\"(.\p{Han}])"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)"
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_H = r"[0-9a-fA-F]{1,4}"
_IPV6 = "|".join([
    rf"(?:{_H}:){{7,7}}{_H}", rf"(?:{_H}:){{1,7}}:", rf"(?:{_H}:){{1,6}}:{_H}", rf"(?:{_H}:){{1,5}}(?::{_H}){{1,2}}",
    rf"(?:{_H}:){{1,4}}(?::{_H}){{1,3}}", rf"(?:{_H}:){{1,3}}(?::{_H}){{1,4}}", rf"(?:{_H}:){{1,2}}(?::{_H}){{1,5}}",
    rf"{_H}:(?:(?::{_H}){{1,6}})", rf":(?:(?::{_H}){{1,7}}|:)", r"fe80:(?::[0-9a-fA-F]{0,4}){0,4}%[0-9a-zA-Z]{1,}",
    rf"::(?:ffff(?::0{{1,4}}){{0,1}}:){{0,1}}{_IPV4}", rf"(?:{_H}:){{1,4}}:{_IPV4}",
])
ROOTS_PATTERNS = {
    "KEY": regex.compile(
        r"(?:^|[\b\s@?,!:;\'\")(.\p{Han}])((?:(?:[A-Za-z]+[\p{Nd}\p{Pd}\/\+\=:_]+|[\p{Nd}\p{Pd}\/\+\=:]+[A-Za-z]+)){4,}"
        r"|(?:(?:\p{Nd}{3,}|[A-Z]+\p{Nd}+[A-Z]*|\p{Nd}+[A-Z]+\p{Nd}*)[ \p{Pd}]?){3,})(?:$|[\b\s\p{Han}@?,!;:\'\")(.])",
        regex.MULTILINE),
    "EMAIL": regex.compile(
        r"(?<=^|[\b\s@,?!;:)('\".\p{Han}<])([^\b\s@?!;,:)('\"<]+@[^\b\s@!?;,/]*[^\b\s@?!;,/:)('\">.]\.\p{L}\w{1,})"
        r"(?=$|[\b\s@,?!;:)('\".\p{Han}>])", regex.MULTILINE),
    "USER": regex.compile(r"(?<=^|[)(\s@,?!;:'\"\p{Han}])(@[^)(\s@,?!;:'\"]{3,})", regex.MULTILINE),
    "IP_ADDRESS": regex.compile(rf"{_START}({_IPV4}|{_IPV6}){_END}", regex.MULTILINE),
}
_DATES = [regex.compile(p) for p in (
    r"(?:^|[\b\s@?,!;:\'\")(.\p{Han}])([1-2][0-9]{3}[\p{Pd}/][1-2][0-9]{3})(?:$|[\s@,?!;:\'\"(.\p{Han}])",
    r"(?:^|[\b\s@?,!;:\'\")(.\p{Han}])([1-2][0-9]{3}[\p{Pd}/.][0-3][0-9][\p{Pd}/.][0-3][0-9])(?:$|[\s@,?!;:\'\"(.\p{Han}])",
    r"(?:^|[\b\s@?,!;:\'\")(.\p{Han}])([0-3][0-9][\p{Pd}/.][0-3][0-9][\p{Pd}/.](?:[0-9]{2}|[1-2][0-9]{3}))(?:$|[\s@,?!;:\'\"(.\p{Han}])",
    r"(?:^|[\b\s@?,!;:\'\")(.\p{Han}])([0-3][0-9][\p{Pd}/](?:[0-9]{2}|[1-2][0-9]{3}))(?:$|[\s@,?!;:\'\"(.\p{Han}])",
    r"(?:^|[\b\s@?,!;:\'\")(.\p{Han}])([1-2][0-9]{3}-[0-3][0-9])(?:$|[\s@,?!;:\'\"(.\p{Han}])",
)]


def roots_regex_redact(text: str) -> tuple[str, Counter]:
    """Detect with the ROOTS regex set and redact the way ROOTS did (str.replace of each match)."""
    found: Counter = Counter()
    matches = []
    for tag, pattern in ROOTS_PATTERNS.items():
        for m in pattern.finditer(text):
            value = m.group(1)
            if not value:
                continue
            if tag == "IP_ADDRESS" and (not any(c.isdigit() for c in value) or any(d.match(value) for d in _DATES)):
                continue
            matches.append((value, tag))
    for value, tag in matches:
        text = text.replace(value, "PI:" + tag)
        found[tag] += 1
    return text, found


# --- documents -------------------------------------------------------------------------------------


def documents() -> list[Document]:
    """FLORES dev, 10 sentences a document, 46 languages; and the OSCAR-2019 sample (its language
    when the registry has it)."""
    registry = load_registry()
    by_flores = {c.flores: c.code for c in registry.natural()}
    docs: list[Document] = []
    groups: dict[str, list[str]] = {}
    with gzip.open(DATA / "flores" / "flores200_dev.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row["flores"] in by_flores:
                groups.setdefault(row["flores"], []).append(row["text"])
    for flores, sentences in sorted(groups.items()):
        for i in range(0, len(sentences), 10):
            docs.append(Document(f"flores/{flores}/{i}", " ".join(sentences[i:i + 10]), by_flores[flores]))
    with open(DATA / "web" / "oscar2019_dummy.jsonl", encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            row = json.loads(line)
            lang = row["lang"] if row["lang"] in registry else ("zh-Hans" if row["lang"] == "zh" else "")
            docs.append(Document(f"oscar/{n}", row["text"], lang))
    return docs


PEER_SCRIPT = r"""
import json, sys, time
from collections import Counter
from pii_manager import PiiEnum
from pii_manager.api import PiiManager
from pii_manager.lang import LANG_ANY
docs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
repeat = int(sys.argv[2])
langs = {"en", "es", "fr", "pt", "zh"}
managers = {}
for lang in sorted({d["lang"][:2] for d in docs} & langs) + [LANG_ANY]:
    managers[lang] = PiiManager(lang, ["all"] if lang != LANG_ANY else None, all_tasks=True, mode="extract")
best, found = None, Counter()
for _ in range(repeat):
    found = Counter()
    start = time.perf_counter()
    for d in docs:
        m = managers.get(d["lang"][:2], managers[LANG_ANY])
        for e in m(d["text"]):
            found[e.elem.name] += 1
    elapsed = time.perf_counter() - start
    best = elapsed if best is None else min(best, elapsed)
print(json.dumps({"seconds": best, "found": found}))
"""


def run_pii_manager(docs: list[Document], repeat: int) -> tuple[float, Counter] | None:
    if not PEERS_PYTHON.exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "docs.jsonl")
        with open(path, "w", encoding="utf-8") as fh:
            for d in docs:
                fh.write(json.dumps({"text": d.text, "lang": d.lang}, ensure_ascii=False) + "\n")
        proc = subprocess.run([str(PEERS_PYTHON), "-c", PEER_SCRIPT, path, str(repeat)], capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"pii-manager failed: {proc.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return out["seconds"], Counter(out["found"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool; the best counts (default 3)")
    args = parser.parse_args()
    if not (DATA / "flores").is_dir():
        print(f"no data at {DATA}", file=sys.stderr)
        return 1
    docs = documents()
    nbytes = sum(len(d.text.encode("utf-8")) for d in docs)
    stage = PiiRedact()
    stage.setup()

    def ours() -> Counter:
        found: Counter = Counter()
        for d in docs:
            out = stage(Document(d.id, d.text, d.lang))
            found.update(s["type"] for s in out.meta[META_KEY])
        return found

    def roots() -> Counter:
        found: Counter = Counter()
        for d in docs:
            found.update(roots_regex_redact(d.text)[1])
        return found

    results: dict[str, tuple[float, Counter]] = {}
    for name, fn in (("roots (this project)", ours), ("ROOTS regexes (EMAIL, IP, USER, KEY)", roots)):
        best, found = float("inf"), Counter()
        for _ in range(args.repeat):
            start = time.perf_counter()
            found = fn()
            best = min(best, time.perf_counter() - start)
        results[name] = (best, found)
    peer = run_pii_manager(docs, args.repeat)
    if peer is not None:
        results["pii-manager 0.5.0 (all tasks of the language)"] = peer

    base = results["ROOTS regexes (EMAIL, IP, USER, KEY)"][0]
    print(f"**PII throughput per core** ({len(docs):,} documents, {nbytes / 1e6:.1f} MB: FLORES dev of the 46 "
          f"languages + OSCAR-2019 sample; one process, best of {args.repeat}; detection and redaction)\n")
    print("| tool | seconds | documents/s | MB/s | vs ROOTS regexes | spans found |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for name, (seconds, found) in results.items():
        spans = ", ".join(f"{k} {v}" for k, v in sorted(found.items())) or "none"
        print(f"| {name} | {seconds:.2f} | {len(docs) / seconds:,.0f} | {nbytes / 1e6 / seconds:.2f} | "
              f"{base / seconds:.2f}× | {spans} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
