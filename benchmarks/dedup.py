"""Near-duplicate removal side by side: roots (Beam and in-process), datatrove's MinHash stages and
datasketch's MinHashLSH in plain Python, on the same documents, in one run.

    python benchmarks/dedup.py [--docs 100000] [--peers-python .venv-peers/bin/python] [--workdir DIR]

The corpus: documents of FLORES-200 sentences in the 46 natural ROOTS languages (150-400 words),
a third of them edited versions of earlier ones (see dedup_accuracy.py), written as JSONL. Each tool
runs in its own process; the parent records its wall time, CPU time and peak RSS (wait4; for the
in-process row, the dedup call's own times, the corpus read included). Inside, each tool times its
signature step in CPU seconds (signature documents per CPU-second = per core; roots: shingles, exact
key, rank, MinHash and band keys; the Beam rows run the same code in a DoFn).
Every tool uses threshold 0.8, word 5-grams and 128 permutations (datatrove: its default 14 x 8 =
112). datatrove tokenises every language with its English spaCy tokenizer (its default), needs no
download for that, and runs with LocalPipelineExecutor, one worker. Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def write_corpus(folder: Path, n_docs: int, files: int = 4) -> int:
    sys.path.insert(0, str(HERE))
    from dedup_accuracy import flores_corpus, load_flores

    docs = flores_corpus(load_flores(), n_docs, seed=1)
    folder.mkdir(parents=True, exist_ok=True)
    handles = [open(folder / f"part-{i:02d}.jsonl", "w", encoding="utf-8") for i in range(files)]
    for i, d in enumerate(docs):
        handles[i % files].write(json.dumps({"id": d.id, "text": d.text, "lang": d.lang, "source": d.source,
                                             "meta": {}}, ensure_ascii=False) + "\n")
    for h in handles:
        h.close()
    return len(docs)


def read_corpus(folder: Path) -> list[dict]:
    rows = []
    for path in sorted(folder.glob("*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            rows.extend(json.loads(line) for line in fh)
    return rows


# --- children: each prints one JSON line ---------------------------------------------------------

def child_roots_beam(corpus: Path, out: Path, workers: int, verify: bool) -> dict:
    from roots.pipelines.dedup import run_dedup_files
    from roots.dedup import DedupConfig
    from roots.dedup.files import expand_inputs

    counts, pairs, seconds = run_dedup_files(expand_inputs(str(corpus)), str(out / "kept"), str(out / "rejected"),
                                      DedupConfig(verify=verify), workers=workers)
    removed = sum(n for c in counts.values() for reason, n in c.items() if reason.startswith("dedup:"))
    return {"removed": removed, "seconds": seconds, "pairs": pairs.get("verified_pairs", 0),
            "candidates": pairs.get("candidate_pairs", 0)}


def child_roots_local(corpus: Path, verify: bool) -> dict:
    from roots.dedup import DedupConfig, deduplicate_local
    from roots.dedup.fingerprint import Fingerprinter
    from roots.document import Document

    start_wall, start_cpu = time.perf_counter(), time.process_time()
    docs = [Document(r["id"], r["text"], r["lang"], r["source"], r["meta"]) for r in read_corpus(corpus)]
    result = deduplicate_local(docs, DedupConfig(verify=verify))
    wall, cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
    signer = Fingerprinter(DedupConfig(verify=False))  # signatures alone, tables already built
    signer.setup()
    start = time.process_time()
    signer(docs)
    return {"signature_docs_per_cpu_s": len(docs) / (time.process_time() - start), "pairs": result.verified_pairs,
            "candidates": result.candidate_pairs, "removed": len(result.rejected), "wall_s": wall, "cpu_s": cpu}


def child_datasketch(corpus: Path) -> dict:
    from datasketch import MinHash, MinHashLSH

    from roots.dedup.components import union_find_components

    rows = read_corpus(corpus)
    start = time.process_time()
    sets = []
    for r in rows:
        toks = r["text"].lower().split()
        grams = {" ".join(toks[i:i + 5]) for i in range(max(1, len(toks) - 4))}
        sets.append([g.encode("utf-8") for g in grams])
    sketches = MinHash.bulk(sets, num_perm=128)
    sig_seconds = time.process_time() - start
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    for r, m in zip(rows, sketches):
        lsh.insert(r["id"], m)
    edges = [(r["id"], other) for r, m in zip(rows, sketches) for other in lsh.query(m) if other > r["id"]]
    labels = union_find_components(edges)
    pairs, removed = len(edges), sum(1 for node, root in labels.items() if node != root)
    return {"signature_docs_per_cpu_s": len(rows) / sig_seconds, "pairs": pairs, "removed": removed}


def child_minhash_step(corpus: Path, limit: int = 20_000) -> dict:
    """The permutation step alone, on the same 32-bit shingle hashes: our numpy `signatures` vs
    datasketch's `MinHash.bulk` (identity hash function, so both see the same inputs)."""
    import numpy as np
    from datasketch import MinHash

    from roots.dedup.minhash import signatures
    from roots.dedup.text import WORDS, shingle_batch

    rows = read_corpus(corpus)[:limit]
    shingled = shingle_batch([r["text"] for r in rows], [WORDS] * len(rows))
    hashes, offsets = shingled.hashes, shingled.offsets
    start = time.process_time()
    ours = signatures(hashes, offsets, 128, 1)
    ours_s = time.process_time() - start
    values = (hashes & np.uint64(0xFFFFFFFF)).tolist()
    sets = [values[offsets[i]:offsets[i + 1]] for i in range(len(rows))]
    start = time.process_time()
    theirs = MinHash.bulk(sets, num_perm=128, seed=1, hashfunc=lambda x: x)
    theirs_s = time.process_time() - start
    same = all((m.hashvalues == ours[i]).all() for i, m in enumerate(theirs) if len(sets[i]))
    return {"docs": len(rows), "shingles_per_doc": len(hashes) / len(rows), "numpy_docs_per_cpu_s": len(rows) / ours_s,
            "datasketch_bulk_docs_per_cpu_s": len(rows) / theirs_s, "identical": same}


DATATROVE = r"""
import json, os, struct, sys, time
from pathlib import Path
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster,
                                              MinhashDedupFilter, MinhashDedupSignature)
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter
corpus, out = sys.argv[1], Path(sys.argv[2])
config = MinhashConfig()
cpu = {}
def stage(name, pipeline, tasks):
    start = time.process_time()
    LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=1, logging_dir=str(out / "logs" / name),
                          start_method="fork").run()
    cpu[name] = time.process_time() - start
reader = lambda: JsonlReader(corpus, text_key="text", id_key="id")
stage("signatures", [reader(), MinhashDedupSignature(output_folder=str(out / "sigs"), config=config)], 1)
stage("buckets", [MinhashDedupBuckets(input_folder=str(out / "sigs"), output_folder=str(out / "buckets"),
                                      config=config)], config.num_buckets)
stage("cluster", [MinhashDedupCluster(input_folder=str(out / "buckets"), output_folder=str(out / "remove"),
                                      config=config)], 1)
stage("filter", [reader(), MinhashDedupFilter(input_folder=str(out / "remove")),
                 JsonlWriter(str(out / "kept"))], 1)
pairs = sum(os.path.getsize(p) // 16 for p in (out / "buckets").glob("*.dups"))
removed = sum(os.path.getsize(p) // 4 for p in (out / "remove").glob("*.remove"))
docs = sum(1 for p in Path(corpus).glob("*.jsonl") for _ in open(p, "rb"))
print(json.dumps({"pairs": pairs, "removed": removed, "stage_cpu_s": cpu}))
"""


def measure(cmd: list[str], env: dict | None = None) -> tuple[dict, float, float, float]:
    """Run a child; (its last JSON line, wall s, CPU s of it and its descendants, peak RSS MB of its
    largest process), the usage from wait4."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd[:4])} failed:\n{err.read()[-3000:]}")
        line = [ln for ln in out.read().splitlines() if ln.startswith("{")][-1]
    return json.loads(line), wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--peers-python", default=".venv-peers/bin/python")
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--skip", action="append", default=[], help="skip a tool: datatrove, datasketch, beam2")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, _, option = args.child.partition(":")
        corpus, out = Path(args.corpus), Path(args.out or ".")
        if kind == "beam":
            workers, verify = option.split(",")
            result = child_roots_beam(corpus, out, int(workers), verify == "verify")
        elif kind == "local":
            result = child_roots_local(corpus, option == "verify")
        elif kind == "minhash":
            result = child_minhash_step(corpus)
        else:
            result = child_datasketch(corpus)
        print(json.dumps(result))
        return

    work = Path(args.workdir or tempfile.mkdtemp(prefix="roots-dedup-bench-"))
    corpus = work / f"corpus-{args.docs}"
    if not any(corpus.glob("*.jsonl")):
        n = write_corpus(corpus, args.docs)
    else:
        n = sum(1 for p in corpus.glob("*.jsonl") for _ in open(p, "rb"))
    words = sum(len(r["text"].split()) for r in read_corpus(corpus)) / n
    me = [sys.executable, str(Path(__file__).resolve())]
    results = []   # (name, workers, signature docs/s/core, wall, cpu, rss, pairs, removed)

    def run(name, workers, cmd, env=None):
        data, wall, cpu, rss = measure(cmd, env)
        results.append((name, workers, data, wall, cpu, rss))
        print(f"  {name}: {wall:.1f} s wall, {cpu:.1f} s CPU, {rss:.0f} MB, {data}", file=sys.stderr)

    run("roots, in-process numpy (reference rules, union-find)", 1,
        me + ["--child", "local:verify", "--corpus", str(corpus)])
    if "datasketch" not in args.skip:
        run("datasketch 2.0: MinHash.bulk + MinHashLSH, plain Python", 1, me + ["--child", "datasketch", "--corpus", str(corpus)])
    for workers, verify in ((1, "noverify"), (1, "verify")) + (() if "beam2" in args.skip else ((2, "verify"),)):
        out = work / f"roots-beam-{workers}-{verify}"
        shutil.rmtree(out, ignore_errors=True)
        label = "exact-Jaccard check" if verify == "verify" else "no check"
        run(f"roots dedup (Beam FnApiRunner, {label})", workers,
            me + ["--child", f"beam:{workers},{verify}", "--corpus", str(corpus), "--out", str(out)])
    if "datatrove" not in args.skip and Path(args.peers_python).exists():
        out = work / "datatrove"
        shutil.rmtree(out, ignore_errors=True)
        run("datatrove 0.10.1: MinHash signature, buckets, cluster, filter", 1,
            [args.peers_python, "-c", DATATROVE, str(corpus), str(out)], env={**os.environ, "PYTHONWARNINGS": "ignore"})

    base = next(r for r in results if r[0].startswith("roots dedup") and "no check" not in r[0])
    print(f"corpus: {n:,} documents, {words:.0f} words each on average, FLORES-200 sentences in 46 languages, "
          f"a third edited copies; threshold 0.8; {os.cpu_count()} cores (shared)\n")
    print("| tool | workers | signature docs/s per core | end-to-end s (wall) | CPU s | end-to-end docs per CPU-s | "
          "peak RSS MB | duplicate pairs found | documents removed | CPU time vs roots Beam |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    signature = next(r[2]["signature_docs_per_cpu_s"] for r in results if "in-process" in r[0])
    for name, workers, data, wall, cpu, rss in results:
        wall, cpu = data.get("wall_s", wall), data.get("cpu_s", cpu)  # in-process: the dedup alone
        sig = data.get("signature_docs_per_cpu_s")
        if sig is None and name.startswith("roots dedup"):
            sig = signature  # the same Fingerprinter runs inside the Beam DoFn
        if "stage_cpu_s" in data:
            sig = n / data["stage_cpu_s"]["signatures"]
        pairs = data.get("pairs", "")
        print(f"| {name} | {workers} | {sig:,.0f} | {wall:.1f} | {cpu:.1f} | {n / cpu:,.0f} | {rss:,.0f} | "
              f"{pairs if pairs != '' else 'n/a'} | {data.get('removed', '')} | {cpu / base[4]:.2f} |")
    step, *_ = measure(me + ["--child", "minhash", "--corpus", str(corpus)])
    print(f"\nThe MinHash step alone (128 permutations, datasketch 2.0's affine32 family) on the same 32-bit shingle "
          f"hashes of {step['docs']:,} documents ({step['shingles_per_doc']:.0f} shingles each): numpy "
          f"{step['numpy_docs_per_cpu_s']:,.0f} docs/CPU-s, datasketch MinHash.bulk "
          f"{step['datasketch_bulk_docs_per_cpu_s']:,.0f} docs/CPU-s; signatures identical: {step['identical']}")
    dt = next((r for r in results if r[0].startswith("datatrove")), None)
    if dt:
        print("\ndatatrove stage CPU seconds (parent process; tasks run in it): "
              + ", ".join(f"{k} {v:.1f}" for k, v in dt[2]["stage_cpu_s"].items()))


if __name__ == "__main__":
    main()
