"""Throughput of read → normalise → write on a generated JSONL corpus: roots on Beam's FnApiRunner and on
its local engine, with 1 and 2 workers, side by side with datatrove (JsonlReader → ParquetWriter) when
its environment exists, all in one run.

    python benchmarks/ingest.py --mb 200 [--peers-python .venv-peers/bin/python] [--repeat 3]

Prints a Markdown table for BENCHMARKS.md: wall and CPU seconds of each run's whole process tree
(driver, fork server, workers) and documents per CPU-second, the figure that holds on a shared machine.
The corpus is generated (seeded): lines of words in several scripts, 5% of records bad (broken JSON,
empty text), so the reject path is measured too.
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
from dataclasses import dataclass
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
            # 5% bad records, half broken JSON, half empty text (with the other records' fields: datatrove's
            # ParquetWriter stops on a batch whose metadata fields differ, and on a non-string text)
            if n % 20 == 0 and (n // 20) % 2:
                line = b'{"text": "cut'
            else:
                words = vocab[rng.choice(list(vocab))]
                text = "   " if n % 20 == 0 else " ".join(rng.choice(words) for _ in range(rng.randint(50, 600)))
                line = json.dumps({"id": f"doc{n}", "text": text, "url": f"https://example.org/{n}"},
                                  ensure_ascii=False).encode()
            fh.write(line + b"\n")
            written += len(line) + 1
        fh.close()
    return n, written


# Runs a command as a child subreaper (so the local engine's fork server and workers, orphaned when the
# driver exits, are reaped here and counted) and prints the peak RSS of the largest process and the CPU
# seconds (user + system) of the whole process tree.
_MEASURE = ("import ctypes, os, resource, subprocess, sys; ctypes.CDLL(None).prctl(36, 1, 0, 0, 0); "
            "rc = subprocess.run(sys.argv[1:]).returncode\n"
            "while True:\n"
            "    try: os.wait()\n"
            "    except ChildProcessError: break\n"
            "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
            "print(u.ru_maxrss, u.ru_utime + u.ru_stime, file=sys.stderr); sys.exit(rc)")


@dataclass
class Measured:
    """One run: its wall seconds, CPU seconds of the process tree, peak RSS (MB) of its largest process."""

    name: str
    workers: int
    wall: float
    cpu: float
    rss: float


def time_command(name: str, workers: int, cmd: list[str]) -> Measured:
    """Run one command, which must succeed, and measure it."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _MEASURE] + cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    rss, cpu = proc.stderr.strip().splitlines()[-1].split()
    return Measured(name, workers, seconds, float(cpu), int(rss) / 1024)


DATATROVE_SCRIPT = """
import sys
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import ParquetWriter
src, out, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
LocalPipelineExecutor(pipeline=[JsonlReader(src, text_key="text", id_key="id"), ParquetWriter(out)],
                      tasks=workers, workers=workers, logging_dir=out + "/logs").run()
"""


RUNS = ("beam", "local", "datatrove")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=200, help="corpus size in MB")
    parser.add_argument("--peers-python", default=".venv-peers/bin/python", help="python of the peers' venv")
    parser.add_argument("--workdir", default=None, help="where to put the corpus and outputs (default: a temp dir)")
    parser.add_argument("--runs", default=",".join(RUNS),
                        help=f"which pipelines, comma-separated (default {','.join(RUNS)}; datatrove only when "
                             "--peers-python exists)")
    parser.add_argument("--workers", default="1,2", help="worker counts to run each pipeline at (default 1,2)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each row this many times and keep the one with the fewest CPU seconds "
                             "(the machine may be shared)")
    args = parser.parse_args()
    runs = [r for r in args.runs.split(",") if r]
    unknown = sorted(set(runs) - set(RUNS))
    if unknown:
        raise SystemExit(f"--runs: unknown {', '.join(unknown)} (expected some of {', '.join(RUNS)})")
    worker_counts = [int(w) for w in args.workers.split(",")]
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
    commands: list[tuple[str, int, Path, list[str]]] = []
    for run in runs:
        for workers in worker_counts:
            out = work / f"{run}-{workers}"
            plural = "s" * (workers > 1)
            if run == "beam":
                beam = [] if workers == 1 else ["--", "--direct_num_workers", str(workers),
                                                "--direct_running_mode", "multi_processing"]
                commands.append((f"roots (Beam FnApiRunner, {workers} worker{plural})", workers, out,
                                 roots + ["ingest", str(config), "--output", str(out)] + beam))
            elif run == "local":
                commands.append((f"roots (local engine, {workers} worker{plural})", workers, out,
                                 roots + ["ingest", str(config), "--output", str(out), "--engine", "local",
                                          "--workers", str(workers)]))
            elif Path(args.peers_python).exists():
                commands.append((f"datatrove 0.10.1 (local, {workers} task{plural})", workers, out,
                                 [args.peers_python, "-c", DATATROVE_SCRIPT, str(data), str(out), str(workers)]))
    results = []
    for name, workers, out, cmd in commands:
        tries = []
        for _ in range(max(1, args.repeat)):
            shutil.rmtree(out, ignore_errors=True)
            tries.append(time_command(name, workers, cmd))
        results.append(min(tries, key=lambda m: m.cpu))
    if not results:
        raise SystemExit("nothing to run")
    load = os.getloadavg()[0]
    print(f"corpus: {records:,} records, {nbytes / 1e6:.0f} MB; {os.cpu_count()} cores, shared with other work "
          f"(load average {load:.1f} at the end): docs per CPU-second is the robust figure, wall time is not\n")
    print("| pipeline | workers | wall s | CPU s | docs per CPU-s | MB per CPU-s | docs/s (wall) | "
          "peak RSS of largest process, MB |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for m in results:
        print(f"| {m.name} | {m.workers} | {m.wall:.1f} | {m.cpu:.1f} | {records / m.cpu:,.0f} | "
              f"{nbytes / 1e6 / m.cpu:.2f} | {records / m.wall:,.0f} | {m.rss:,.0f} |")
    peers = [m for m in results if m.name.startswith("datatrove")]
    for m in results:
        peer = next((p for p in peers if p.workers == m.workers), None)
        if peer is not None and m is not peer:
            print(f"\n{m.name}: {peer.cpu / m.cpu:.2f}x datatrove per CPU-second, "
                  f"{peer.wall / m.wall:.2f}x its wall-clock speed", end="")
    print()


if __name__ == "__main__":
    main()
