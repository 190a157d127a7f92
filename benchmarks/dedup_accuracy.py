"""Accuracy of near-duplicate detection against exact Jaccard similarity computed by brute force.

    python benchmarks/dedup_accuracy.py [--docs 4000] [--threshold 0.8]

Two corpora:
1. FLORES-200 sentences (../shared/data/flores, the 46 natural ROOTS languages) joined into documents
   of 8-20 lines; a third of the documents are derived from an earlier one by realistic edits
   (sentences inserted, deleted or reordered, words replaced or dropped, boilerplate header or footer
   lines, case and spacing), so chains of versions and pairs on both sides of the threshold exist.
2. The Clough-Stevenson corpus (../shared/data/neardup/clough_stevenson): 95 short answers and their
   5 sources, labelled cut / light / heavy / non.

Ground truth: every pair whose shingle sets (our word 5-grams, or character 5-grams for Chinese, as
strings) have Jaccard >= threshold, found exactly through an inverted index of shingles. Compared:
our LSH candidates before and after the exact-Jaccard check, our signatures under datatrove's default
banding (14 x 8, no check), and datasketch's MinHashLSH with its own banding. Also, per method, the
documents a run would remove against those the ground truth's components remove (smallest id kept).
Prints Markdown tables for BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from roots.dedup import DedupConfig, deduplicate_local
from roots.dedup.components import union_find_components
from roots.dedup.fingerprint import Fingerprinter
from roots.dedup.text import CHARS, CODE, words
from roots.document import Document

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
BOILERPLATE = [
    "Share this article on Facebook Twitter and WhatsApp",
    "Copyright 2023 All rights reserved Terms of use Privacy policy",
    "Subscribe to our newsletter to receive the latest news every morning",
    "Click here to read more stories from this section",
    "Advertisement",
]


# --- the FLORES corpus ---------------------------------------------------------------------------

def load_flores(data: Path = DATA) -> dict[str, list[str]]:
    """Registry language → its FLORES-200 sentences (dev + train)."""
    from roots.languages import load_registry

    by_flores = {c.flores: c.code for c in load_registry().natural()}
    out: dict[str, list[str]] = defaultdict(list)
    for name in ("flores200_dev.jsonl.gz", "flores200_train.jsonl.gz"):
        with gzip.open(data / "flores" / name, "rt", encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                if row["flores"] in by_flores:
                    out[by_flores[row["flores"]]].append(row["text"])
    return dict(sorted(out.items()))


def _edit(lines: list[str], pool: list[str], rng: random.Random) -> list[str]:
    """One realistic edit of a document's lines."""
    lines = list(lines)
    kind = rng.choice(["insert", "delete", "swap", "words", "words", "boilerplate", "case"])
    if kind == "insert":
        lines.insert(rng.randrange(len(lines) + 1), rng.choice(pool))
    elif kind == "delete" and len(lines) > 3:
        del lines[rng.randrange(len(lines))]
    elif kind == "swap" and len(lines) > 1:
        i, j = rng.sample(range(len(lines)), 2)
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "words":
        i = rng.randrange(len(lines))
        toks = lines[i].split()
        for _ in range(rng.randint(1, 3)):
            if not toks:
                break
            k = rng.randrange(len(toks))
            if rng.random() < 0.5:
                del toks[k]
            else:
                toks[k] = rng.choice(rng.choice(pool).split() or ["x"])
        lines[i] = " ".join(toks)
    elif kind == "boilerplate":
        line = rng.choice(BOILERPLATE)
        lines.insert(0 if rng.random() < 0.5 else len(lines), line)
    else:
        i = rng.randrange(len(lines))
        lines[i] = lines[i].upper() if rng.random() < 0.5 else "  " + lines[i].replace(" ", "  ")
    return lines


def flores_corpus(sentences: dict[str, list[str]], n_docs: int, seed: int = 0, derived: float = 0.35,
                  words_per_doc: tuple[int, int] = (150, 400)) -> list[Document]:
    """Documents of FLORES sentences of one language; a share `derived` are edited versions of earlier
    documents (1-4 edits, so some land above the threshold and some below). No two documents have the
    same normalised text."""
    rng = random.Random(seed)
    langs = list(sentences)
    docs: list[Document] = []
    lines_of: list[tuple[str, list[str]]] = []
    seen = set()
    fp = Fingerprinter(DedupConfig(near=False))
    while len(docs) < n_docs:
        if lines_of and rng.random() < derived:
            lang, lines = lines_of[rng.randrange(len(lines_of))]
            for _ in range(rng.randint(1, 4)):
                lines = _edit(lines, sentences[lang], rng)
        else:
            lang = rng.choice(langs)
            target = rng.randint(*words_per_doc)
            lines, count = [], 0
            while count < target:
                line = rng.choice(sentences[lang])
                lines.append(line)
                count += max(1, len(line.split()) if lang not in ("zh-Hans", "zh-Hant") else len(line) // 2)
        doc = Document(f"flores/{len(docs):06d}", "\n".join(lines), lang, "flores")
        key = fp([doc])[0].exact_key
        if key in seen:
            continue
        seen.add(key)
        docs.append(doc)
        lines_of.append((lang, lines))
    return docs


def clough_stevenson(data: Path = DATA) -> tuple[list[Document], list[dict]]:
    """The 100 files as English documents, and the labelled (answer, source, category) pairs."""
    root = data / "neardup" / "clough_stevenson"
    docs = []
    for path in sorted((root / "data").glob("*.txt")):
        raw = path.read_bytes()
        try:
            content = raw.decode("utf-8")
        except UnicodeDecodeError:
            content = raw.decode("cp1252", errors="replace")
        docs.append(Document(path.name, content, "en", "clough-stevenson"))
    lines = (root / "pairs.tsv").read_text().splitlines()
    header = lines[0].split("\t")
    pairs = [dict(zip(header, line.split("\t"))) for line in lines[1:] if line.strip()]
    return docs, pairs


# --- ground truth ----------------------------------------------------------------------------------

def shingle_set(doc: Document, ngram: int = 5, char_ngram: int = 5) -> frozenset:
    """The document's shingles as strings, cut as the dedup stage cuts them (words, or characters for
    unspaced scripts)."""
    mode = Fingerprinter(DedupConfig()).mode_of(doc)
    if mode == CODE:
        raise ValueError("code documents are not part of these corpora")
    toks = words(doc.text)
    if mode == CHARS:
        toks = list("".join(toks))
        n = char_ngram
    else:
        n = ngram
    if not toks:
        return frozenset()
    if len(toks) < n:
        return frozenset([" ".join(toks)])
    return frozenset(" ".join(toks[i:i + n]) for i in range(len(toks) - n + 1))


def true_pairs(docs: list[Document], threshold: float) -> tuple[set[tuple[str, str]], dict[tuple[str, str], float]]:
    """Every pair (id, id), sorted, with exact Jaccard >= threshold; pairs sharing no shingle cannot
    qualify, so an inverted index finds them all. Also the Jaccard of every pair sharing a shingle."""
    sets = [shingle_set(d) for d in docs]
    postings: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(sets):
        for sh in s:
            postings[sh].append(i)
    shared: Counter = Counter()
    for members in postings.values():
        if len(members) > 1:
            for a in range(len(members)):
                for b in range(a + 1, len(members)):
                    shared[(members[a], members[b])] += 1
    similarity = {}
    for (a, b), inter in shared.items():
        similarity[tuple(sorted((docs[a].id, docs[b].id)))] = inter / (len(sets[a]) + len(sets[b]) - inter)
    return {p for p, j in similarity.items() if j >= threshold}, similarity


def removed_by_components(pairs: set[tuple[str, str]]) -> set[str]:
    """The documents a run removes given its duplicate pairs: all but the smallest id of each component."""
    labels = union_find_components(pairs)
    return {node for node, root in labels.items() if node != root}


# --- methods ---------------------------------------------------------------------------------------

def ours(docs: list[Document], config: DedupConfig) -> tuple[set[tuple[str, str]], set[str], float]:
    start = time.process_time()
    result = deduplicate_local(docs, config)
    seconds = time.process_time() - start
    pairs = {tuple(sorted((a[2], b[2]))) for a, b in result.pairs}
    return pairs, {r.doc.id for r in result.rejected}, seconds


def datasketch_lsh(docs: list[Document], threshold: float, num_perm: int = 128) -> tuple[set[tuple[str, str]], float]:
    """datasketch's MinHash (bulk) and MinHashLSH with its default banding for the threshold, fed the same
    shingle strings; candidate pairs, no verification."""
    from datasketch import MinHash, MinHashLSH

    start = time.process_time()
    sets = [[s.encode("utf-8") for s in sorted(shingle_set(d))] for d in docs]
    sketches = MinHash.bulk(sets, num_perm=num_perm)
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    for d, m in zip(docs, sketches):
        lsh.insert(d.id, m)
    pairs = set()
    for d, m in zip(docs, sketches):
        for other in lsh.query(m):
            if other != d.id:
                pairs.add(tuple(sorted((d.id, other))))
    return pairs, time.process_time() - start


def score(found: set, truth: set) -> tuple[float, float]:
    hit = len(found & truth)
    return (hit / len(found) if found else 1.0), (hit / len(truth) if truth else 1.0)


def evaluate(name: str, docs: list[Document], threshold: float, rows: list[tuple], extra_methods: bool = True) -> dict:
    truth, similarity = true_pairs(docs, threshold)
    truth_removed = removed_by_components(truth)
    base = DedupConfig(threshold=threshold)
    methods = [
        (f"roots: LSH {'×'.join(map(str, base.bands_rows()))} + exact-Jaccard check (default)", base),
        (f"roots: LSH {'×'.join(map(str, base.bands_rows()))}, no check", DedupConfig(threshold=threshold, verify=False)),
    ]
    if extra_methods:
        methods.append(("our signatures, datatrove's default banding 14×8, no check",
                        DedupConfig(threshold=threshold, bands=14, rows=8, verify=False)))
    info = {"truth_pairs": len(truth), "truth_removed": len(truth_removed)}
    for label, config in methods:
        pairs, removed, seconds = ours(docs, config)
        p, r = score(pairs, truth)
        rp, rr = score(removed, truth_removed)
        rows.append((name, label, len(pairs), p, r, len(removed), rp, rr, seconds))
        info[label] = (p, r, seconds)
    if extra_methods:
        pairs, seconds = datasketch_lsh(docs, threshold)
        p, r = score(pairs, truth)
        removed = removed_by_components(pairs)
        rp, rr = score(removed, truth_removed)
        rows.append((name, "datasketch 2.0 MinHashLSH (its banding for the threshold), no check", len(pairs), p, r,
                     len(removed), rp, rr, seconds))
    info["similarity"] = similarity
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=4000, help="documents in the FLORES corpus")
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not (DATA / "flores").is_dir():
        sys.exit(f"no FLORES data in {DATA / 'flores'}")
    rows: list[tuple] = []
    sentences = load_flores()
    docs = flores_corpus(sentences, args.docs, args.seed)
    flores_info = evaluate(f"FLORES, {len(docs)} docs, {len(sentences)} languages", docs, args.threshold, rows)
    cs_docs, labelled = clough_stevenson()
    cs_info = evaluate("Clough-Stevenson, 100 docs", cs_docs, args.threshold, rows)

    print(f"threshold {args.threshold}; ground truth pairs: FLORES {flores_info['truth_pairs']}, "
          f"Clough-Stevenson {cs_info['truth_pairs']}\n")
    print("| corpus | method | pairs found | precision | recall | docs removed | removal precision | removal recall | CPU s |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, label, n, p, r, removed, rp, rr, seconds in rows:
        print(f"| {name} | {label} | {n} | {p:.4f} | {r:.4f} | {removed} | {rp:.4f} | {rr:.4f} | {seconds:.2f} |")

    # the labelled Clough-Stevenson pairs: Jaccard by category, and what each threshold finds
    print("\nClough-Stevenson labelled pairs (answer vs its source): exact Jaccard of word 5-grams by category")
    print("\n| category | pairs | min J | median J | max J | found at 0.8 | found at 0.5 | found at 0.3 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    found_at = {}
    for t in (0.8, 0.5, 0.3):
        pairs, _, _ = ours(cs_docs, DedupConfig(threshold=t))
        found_at[t] = pairs
    sim = cs_info["similarity"]
    for category in ("cut", "light", "heavy", "non"):
        chosen = [tuple(sorted((p["answer_file"], p["source_file"]))) for p in labelled if p["category"] == category]
        js = sorted(sim.get(pair, 0.0) for pair in chosen)
        cells = [sum(pair in found_at[t] for pair in chosen) for t in (0.8, 0.5, 0.3)]
        print(f"| {category} | {len(chosen)} | {js[0]:.2f} | {js[len(js) // 2]:.2f} | {js[-1]:.2f} | "
              + " | ".join(str(c) for c in cells) + " |")


if __name__ == "__main__":
    main()
