"""A corpus larger than the memory each process may use (issue 17.2): `roots run --engine local` under a
kernel-enforced address-space limit per process (RLIMIT_AS, inherited by the fork server and every
worker) far below the size of the corpus, on a generated corpus of synthetic words with exact and
near copies. The run must finish with every step complete and every document kept or rejected.

    python benchmarks/bounded_memory.py [--corpus-mb 1000] [--limit-mb 640] [--workers 2] [--keep DIR]

The config is lean so that the limit measures the engine, not the models: ingest (normalise), dedup
(exact + MinHash near, verified) and PII; no language ID or quality models, no tokenizer. Allocators
reserve address space they never touch (glibc: 64 MB per thread arena; Arrow's jemalloc; OpenBLAS's
per-thread buffers; a thread stack each), so the run sets MALLOC_ARENA_MAX=2, OPENBLAS_NUM_THREADS=1,
OMP_NUM_THREADS=1, ARROW_IO_THREADS=2 and
ARROW_DEFAULT_MEMORY_POOL=system: the limit then binds on memory the processes use. Peak RSS per process
is sampled as benchmarks/scale.py does.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import Monitor, run_monitored  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MB = 1 << 20
#: What keeps allocators from reserving address space they do not use (see the module docstring).
LEAN_ENV = {"MALLOC_ARENA_MAX": "2", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1", "ARROW_IO_THREADS": "2", "ARROW_DEFAULT_MEMORY_POOL": "system",
            "PYTHONHASHSEED": "0"}


def generate(path: Path, megabytes: float, seed: int = 7) -> int:
    """A JSONL corpus of about `megabytes` MB: documents of 150–600 words from a 20,000-word synthetic
    vocabulary, 5% exact copies and 5% near copies (one word changed) of the previous document.
    Returns the number of documents."""
    rng = random.Random(seed)
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(20000)]
    target, size, n, prev = int(megabytes * MB), 0, 0, ""
    with open(path, "w", encoding="utf-8") as fh:
        while size < target:
            r = rng.random()
            if prev and r < 0.05:
                text = prev
            elif prev and r < 0.10:
                words = prev.split()
                words[rng.randrange(len(words))] = "changed"
                text = " ".join(words)
            else:
                text = " ".join(rng.choices(vocab, k=rng.randint(150, 600))) + "."
            prev = text
            line = json.dumps({"id": f"d{n:09d}", "text": text}) + "\n"
            fh.write(line)
            size += len(line)
            n += 1
    return n


def write_config(path: Path, corpus: Path, output: Path, shard_mb: float) -> None:
    path.write_text(json.dumps({
        "name": "bounded", "output": str(output), "shard_target_mb": shard_mb, "quality": {"enabled": False},
        "sources": [{"name": "gen", "format": "jsonl", "path": str(corpus), "lang": "en", "id_field": "id",
                     "license": "CC0-1.0"}]}), encoding="utf-8")


def run_limited(config: Path, output: Path, workers: int, limit_mb: int, log_path: Path,
                timeout: float) -> tuple[int, float, Monitor]:
    """`roots run CONFIG --engine local` with RLIMIT_AS = limit_mb in its process and every child;
    returns (exit code, wall seconds, the sampler)."""
    limit = limit_mb * MB

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    cmd = [sys.executable, "-m", "roots.cli", "run", str(config), "--output", str(output),
           "--engine", "local", "--workers", str(workers)]
    return run_monitored(cmd, dict(os.environ, **LEAN_ENV), log_path, output / "manifest.json", timeout,
                         preexec_fn=cap)


def check(output: Path, docs: int) -> list[str]:
    """Problems with a finished run: a step not complete, or documents unaccounted for in dedup."""
    manifest = json.loads((output / "manifest.json").read_text())
    problems = [f"step {name}: {info.get('status')}" for name, info in manifest["steps"].items()
                if info.get("status") != "complete"]
    counts = json.loads((output / "stats" / "curate.counts.json").read_text())
    seen = sum(n for (stage, _, _), (n, _) in counts if stage == "ingest")
    if seen != docs:
        problems.append(f"the run read {seen} documents, the corpus has {docs}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus-mb", type=float, default=1000, help="size of the generated corpus")
    parser.add_argument("--limit-mb", type=int, default=640, help="address-space limit of every process")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--shard-mb", type=float, default=16, help="shard_target_mb of the run")
    parser.add_argument("--keep", help="keep the corpus, run directory and log here (default: a temp dir, removed)")
    parser.add_argument("--timeout", type=float, default=7200)
    args = parser.parse_args(argv)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="roots-bounded-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        corpus, output = work / "corpus.jsonl", work / "run"
        docs = generate(corpus, args.corpus_mb)
        shutil.rmtree(output, ignore_errors=True)
        write_config(work / "bounded.json", corpus, output, args.shard_mb)
        rc, wall, monitor = run_limited(work / "bounded.json", output, args.workers, args.limit_mb,
                                        work / "run.log", args.timeout)
        problems = [f"exit code {rc} (see {work / 'run.log'})"] if rc else check(output, docs)
        peaks = monitor.overall
        size = corpus.stat().st_size / MB
        print(f"| {size:,.0f} MB, {docs:,} docs | {args.limit_mb} MB | {args.workers} | {wall:,.0f} | "
              f"{peaks.driver / MB:,.0f} | {peaks.worker / MB:,.0f} | {peaks.total / MB:,.0f} | "
              f"{size / args.limit_mb:.1f}× | {'yes' if not problems else 'no: ' + '; '.join(problems)} |")
        for step, p in monitor.by_step.items():
            print(f"  {step}: driver {p.driver / MB:,.0f} MB, largest worker {p.worker / MB:,.0f} MB")
        return 0 if not problems else 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
