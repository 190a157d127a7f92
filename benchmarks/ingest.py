"""Throughput of read → normalise → write on a generated JSONL corpus, roots on Beam's FnApiRunner with
1 and 2 workers, side by side with datatrove (JsonlReader → ParquetWriter) when its environment exists.

    python benchmarks/ingest.py --mb 200 [--peers-python .venv-peers/bin/python]

Prints a Markdown table for BENCHMARKS.md. The corpus is generated (seeded): lines of words in
several scripts, 5% of records bad (broken JSON, empty text), so the reject path is measured too.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ALPHABETS = {
    "latin": "abcdefghijklmnopqrstuvwxyzàéèêôûçñ",
    "devanagari": "कखगघचछजझटठडढणतथदधनपफबभमयरलवशसह" + "ािीुूेैोौं्",
    "arabic": "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
    "han": "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年",
}


def make_corpus(folder: Path, megabytes: int, files: int = 16, seed: int = 0) -> tuple[int, int]:
    """Write about `megabytes` MB of JSONL in `files` files, as crawls come; returns (records, bytes)."""
    rng = random.Random(seed)
    vocab = {name: ["".join(rng.choice(chars) for _ in range(rng.randint(2, 9))) for _ in range(3000)]
             for name, chars in ALPHABETS.items()}
    target, written, n = megabytes * 1_000_000, 0, 0
    for i in range(files):
        fh = open(folder / f"part-{i:03d}.jsonl", "wb")
        fh_target = written + target / files
        while written < fh_target:
            n += 1
            if n % 20 == 0:  # 5% bad records: broken JSON, empty text (datatrove crashes on a non-string text)
                line = [b'{"text": "cut', b'{"text": "   "}'][n % 2]
            else:
                words = vocab[rng.choice(list(vocab))]
                text = " ".join(rng.choice(words) for _ in range(rng.randint(50, 600)))
                line = json.dumps({"id": f"doc{n}", "text": text, "url": f"https://example.org/{n}"},
                                  ensure_ascii=False).encode()
            fh.write(line + b"\n")
            written += len(line) + 1
        fh.close()
    return n, written


# Runs a command and prints the peak RSS of its largest process (a worker, for multi-process runs).
_MEASURE = ("import resource, subprocess, sys; rc = subprocess.run(sys.argv[1:]).returncode; "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(rc)")


def time_command(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of the largest process of one command, which must succeed."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _MEASURE] + cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    return seconds, int(proc.stderr.strip().splitlines()[-1]) / 1024


DATATROVE_SCRIPT = """
import sys
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import ParquetWriter
src, out, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
LocalPipelineExecutor(pipeline=[JsonlReader(src, text_key="text", id_key="id"), ParquetWriter(out)],
                      tasks=workers, workers=workers, logging_dir=out + "/logs").run()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=200, help="corpus size in MB")
    parser.add_argument("--peers-python", default=".venv-peers/bin/python", help="python of the peers' venv")
    parser.add_argument("--workdir", default=None, help="where to put the corpus and outputs (default: a temp dir)")
    args = parser.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="roots-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / "data"
    data.mkdir(exist_ok=True)
    if not any(data.glob("*.jsonl")):
        make_corpus(data, args.mb)
    files = sorted(data.glob("*.jsonl"))
    records = sum(1 for f in files for _ in open(f, "rb"))
    nbytes = sum(f.stat().st_size for f in files)
    config = work / "bench.yaml"
    config.write_text(json.dumps({"name": "bench", "shard_target_mb": 64, "sources": [
        {"name": "bench", "format": "jsonl", "path": str(data / "*.jsonl"), "lang": "en", "id_field": "id"}]}))
    roots = [sys.executable, "-m", "roots.cli"]
    results = []
    for workers in (1, 2):
        out = work / f"roots-{workers}"
        shutil.rmtree(out, ignore_errors=True)
        beam = [] if workers == 1 else ["--", "--direct_num_workers", "2", "--direct_running_mode", "multi_processing"]
        seconds, rss = time_command(roots + ["ingest", str(config), "--output", str(out)] + beam)
        results.append((f"roots (Beam FnApiRunner, {workers} worker{'s' * (workers > 1)})", workers, seconds, rss))
    if Path(args.peers_python).exists():
        for workers in (1, 2):
            out = work / f"datatrove-{workers}"
            shutil.rmtree(out, ignore_errors=True)
            seconds, rss = time_command([args.peers_python, "-c", DATATROVE_SCRIPT, str(data), str(out), str(workers)])
            results.append((f"datatrove 0.10.1 (local, {workers} task{'s' * (workers > 1)})", workers, seconds, rss))
    base = results[0][2]
    print(f"corpus: {records} records, {nbytes / 1e6:.0f} MB, {os.cpu_count()} cores\n")
    print("| pipeline | workers | seconds | docs/s/core | MB/s/core | peak RSS of largest process, MB | time vs roots 1 worker |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, workers, seconds, rss in results:
        print(f"| {name} | {workers} | {seconds:.1f} | {records / seconds / workers:,.0f} | "
              f"{nbytes / 1e6 / seconds / workers:.2f} | {rss:,.0f} | {seconds / base:.2f} |")


if __name__ == "__main__":
    main()
