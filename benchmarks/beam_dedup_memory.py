"""Beam dedup's memory (issue 17.2): the peak RSS of the Beam engine's dedup on a generated corpus,
measured two ways, each in a fresh process sampled by scale.py's Monitor every 0.2 s.

    python benchmarks/beam_dedup_memory.py [--size 4] [--base-docs 4000] [--only dedup|run] [--keep DIR]

1. `roots dedup --input CORPUS` (Beam's FnApiRunner, one worker): the dedup graph alone, the process's
   peak RSS over its whole life; the digests of its kept and rejected shards are printed so that two
   versions of the code can be compared byte for byte.
2. `roots run --engine beam` of scale.py's config (FnApiRunner, one worker): the peak RSS of the driver and of the
   process tree while the manifest marks the dedup step running (the driver keeps what earlier steps
   left in its heap, so this is an upper bound of the step's own need).
The corpus is benchmarks/corpus_gen.py's (`--size` × `--base-docs` documents, same seed as scale.py).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus_gen import CorpusSpec, generate, write_config  # noqa: E402
from scale import MB, run_monitored  # noqa: E402


def digest(folder: Path) -> str:
    """One sha256 over every shard's relative path and bytes under `folder`."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=4, help="corpus size as a multiple of --base-docs")
    parser.add_argument("--base-docs", type=int, default=4000)
    parser.add_argument("--keep", help="keep the corpus and outputs here (default: a temp dir, removed)")
    parser.add_argument("--only", choices=("dedup", "run"), help="measure only `roots dedup` or only `roots run`")
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args(argv)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="roots-beam-dedup-"))
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONHASHSEED="0")
    try:
        corpus_dir = work / "corpus"
        shutil.rmtree(corpus_dir, ignore_errors=True)
        corpus = generate(CorpusSpec(docs=args.base_docs * args.size), corpus_dir)
        print(f"{args.size}x: {corpus.docs:,} documents, {corpus.chars / 1e6:.1f} M characters")

        rc = 0
        if args.only != "run":
            rc = measure_dedup(corpus_dir, work, env, args.timeout)
        if args.only != "dedup":
            rc = rc or measure_run(corpus, corpus_dir, work, env, args.timeout)
        return rc
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def measure_dedup(corpus_dir: Path, work: Path, env: dict[str, str], timeout: float) -> int:
    """`roots dedup` of the corpus in a fresh process: its peak RSS, its outputs' digests."""
    out = work / "dedup"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "roots.cli", "dedup", "--input", str(corpus_dir), "--output", str(out / "kept"),
           "--rejected", str(out / "rejected"), "--shard-mb", "2"]
    rc, wall, monitor = run_monitored(cmd, env, work / "dedup.log", out / "no-manifest.json", timeout)
    leftovers = sorted(str(p.relative_to(out)) for p in out.rglob("*") if ".tmp" in p.name)
    print(f"roots dedup: rc {rc}, {wall:.1f} s, peak RSS {monitor.overall.driver / MB:,.0f} MB "
          f"(tree {monitor.overall.total / MB:,.0f} MB); kept {digest(out / 'kept')}, "
          f"rejected {digest(out / 'rejected')}; temporary files left: {leftovers or 'none'}")
    return rc


def measure_run(corpus, corpus_dir: Path, work: Path, env: dict[str, str], timeout: float) -> int:
    """`roots run --engine beam` of scale.py's config: the driver's peak during curate and dedup."""
    run_dir = work / "run"
    shutil.rmtree(run_dir, ignore_errors=True)
    config = write_config(corpus, corpus_dir.parent / "scale.yaml", shard_mb=2.0)
    cmd = [sys.executable, "-m", "roots.cli", "run", str(config), "--output", str(run_dir), "--engine", "beam"]
    rc, wall, monitor = run_monitored(cmd, env, work / "run.log", run_dir / "manifest.json", timeout)
    step, before = monitor.by_step.get("dedup"), monitor.by_step.get("curate")
    shards = digest(run_dir / "documents") + " / " + digest(run_dir / "rejected")
    if step is None:
        print(f"roots run --engine beam: rc {rc}, the dedup step was never seen running")
    else:
        print(f"roots run --engine beam: rc {rc}, {wall:.1f} s; driver peak during curate "
              f"{(before.driver if before else 0) / MB:,.0f} MB, during dedup {step.driver / MB:,.0f} MB "
              f"(tree {step.total / MB:,.0f} MB); "
              f"documents / rejected {shards}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
