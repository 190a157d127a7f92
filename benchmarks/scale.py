"""Scale evidence (issue 10): the whole pipeline (templates, curate, dedup, PII, tokenizer, Megatron
binaries) on generated corpora of 1x, 4x and 16x documents, on each engine, with the growth ratios.

    python benchmarks/scale.py [--sizes 1,4,16] [--base-docs 4000] [--engines beam1,beam2,spark]
                               [--keep DIR] [--out FILE.md]

Engines: beam1 = Beam's FnApiRunner, default options (1 worker, in the driver process); beam2 = the same
with `--direct_num_workers 2 --direct_running_mode multi_processing`; spark = `--engine spark
--master local[2]`; local1 / local2 = `--engine local --workers 1` / `2` (a process pool). Each run is `python -m roots.cli run CONFIG --output DIR` in a fresh process and a
fresh run directory. The parent samples the resident memory (RSS) of that process (the driver) and of
every process under it (Beam's SDK workers; Spark's JVM and its Python workers) every 0.2 s, and tags
each sample with the step the manifest says is running. Documents/s per core = input documents / wall
seconds / cores used (1 for beam1 and local1, 2 for beam2, spark and local2). RSS counts shared pages in every process
that maps them, so the "total" column overstates what the machine needs.

Every run is checked: all steps complete in the manifest, megatron/index.json present, and, per size,
the same counts on every engine and byte-identical documents/ and rejected/ Parquet shards.
The corpus is benchmarks/corpus_gen.py's (FLORES-200 sentences from ../shared/data when present).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus_gen import Corpus, CorpusSpec, generate, write_config  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STEPS = ("templates", "curate", "dedup", "pii", "tokenizer", "megatron")
ENGINES: dict[str, tuple[list[str], int]] = {   # name -> (arguments after `run CONFIG --output DIR`, cores)
    "beam1": ([], 1),
    "beam2": (["--", "--direct_num_workers", "2", "--direct_running_mode", "multi_processing"], 2),
    "spark": (["--engine", "spark", "--master", "local[2]"], 2),
    "local1": (["--engine", "local", "--workers", "1"], 1),
    "local2": (["--engine", "local", "--workers", "2"], 2),
}
MB = 1 << 20


# --- memory sampling ----------------------------------------------------------------------------

def _proc_tree(root: int) -> dict[int, tuple[int, str]]:
    """{pid: (RSS bytes, kind)} of `root` and every process under it; kind is driver, jvm or python."""
    try:
        import psutil
    except ImportError:
        return _proc_tree_linux(root)
    out: dict[int, tuple[int, str]] = {}
    try:
        top = psutil.Process(root)
        procs = [top] + top.children(recursive=True)
    except psutil.Error:
        return out
    for proc in procs:
        try:
            rss, name = proc.memory_info().rss, proc.name()
        except psutil.Error:
            continue
        out[proc.pid] = (rss, "driver" if proc.pid == root else "jvm" if "java" in name else "python")
    return out


def _proc_tree_linux(root: int) -> dict[int, tuple[int, str]]:
    """The same from /proc, without psutil."""
    parent: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    parent[int(entry)] = int(fh.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, todo = {root}, [root]
    while todo:
        pid = todo.pop()
        kids = [p for p, pp in parent.items() if pp == pid]
        tree.update(kids)
        todo += kids
    out: dict[int, tuple[int, str]] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for pid in tree:
        try:
            with open(f"/proc/{pid}/statm") as fh:
                rss = int(fh.read().split()[1]) * page
            with open(f"/proc/{pid}/comm") as fh:
                name = fh.read().strip()
        except OSError:
            continue
        out[pid] = (rss, "driver" if pid == root else "jvm" if "java" in name else "python")
    return out


@dataclass
class Peaks:
    """Maxima of the samples: the driver, the largest single worker process (by kind), the sum."""

    driver: int = 0
    worker: int = 0
    jvm: int = 0
    python_worker: int = 0
    total: int = 0
    max_workers: int = 0

    def add(self, tree: dict[int, tuple[int, str]]) -> None:
        workers = [(rss, kind) for rss, kind in tree.values() if kind != "driver"]
        self.driver = max(self.driver, sum(rss for rss, kind in tree.values() if kind == "driver"))
        self.worker = max([self.worker] + [rss for rss, _ in workers])
        self.jvm = max([self.jvm] + [rss for rss, kind in workers if kind == "jvm"])
        self.python_worker = max([self.python_worker] + [rss for rss, kind in workers if kind == "python"])
        self.total = max(self.total, sum(rss for rss, _ in tree.values()))
        self.max_workers = max(self.max_workers, len(workers))


class Monitor(threading.Thread):
    """Samples the process tree every `interval` s until the driver exits; per-step peaks come from
    the step the run's manifest marks as running (and step boundaries it observes)."""

    def __init__(self, pid: int, manifest: Path, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.manifest, self.interval = pid, manifest, interval
        self.overall = Peaks()
        self.by_step: dict[str, Peaks] = {}
        self.step_seen: dict[str, list[float]] = {}   # step -> [first, last] time it was seen running
        self.samples = 0
        self._mtime = 0.0
        self._step = "startup"
        self.stop = threading.Event()

    def _current_step(self) -> str:
        try:
            mtime = self.manifest.stat().st_mtime
            if mtime != self._mtime:
                steps = json.loads(self.manifest.read_text())["steps"]
                self._mtime = mtime
                running = [s for s, info in steps.items() if info.get("status") == "running"]
                done = [s for s in STEPS if steps.get(s, {}).get("status") == "complete"]
                self._step = running[0] if running else ("between:" + done[-1] if done else "startup")
        except (OSError, ValueError, KeyError):
            pass
        return self._step

    def run(self) -> None:
        while not self.stop.is_set():
            tree = _proc_tree(self.pid)
            if not tree:
                break
            now, step = time.perf_counter(), self._current_step()
            self.overall.add(tree)
            self.by_step.setdefault(step, Peaks()).add(tree)
            seen = self.step_seen.setdefault(step, [now, now])
            seen[1] = now
            self.samples += 1
            self.stop.wait(self.interval)


# --- one run ------------------------------------------------------------------------------------

@dataclass
class RunResult:
    engine: str
    size: int
    docs: int
    cores: int
    wall: float
    rc: int
    step_seconds: dict[str, float] = field(default_factory=dict)
    peaks: Peaks = field(default_factory=Peaks)
    step_peaks: dict[str, Peaks] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)
    kept: int = 0
    tokens: int = 0
    samples: int = 0

    @property
    def docs_per_core_s(self) -> float:
        return self.docs / self.wall / self.cores if self.wall else 0.0

    @property
    def worker_mem(self) -> int:
        """Peak RSS of one worker: a child process, or the driver where the workers run inside it (beam1)."""
        return self.peaks.worker if self.peaks.max_workers else self.peaks.driver


def _digests(run_dir: Path) -> dict[str, str]:
    """sha256 of every file under documents/ and rejected/, by relative path."""
    out = {}
    for sub in ("documents", "rejected"):
        for path in sorted((run_dir / sub).rglob("*")):
            if path.is_file():
                out[str(path.relative_to(run_dir))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _check(result: RunResult, run_dir: Path) -> None:
    """Fill in the counts and digests and list what is wrong with the run's outputs."""
    manifest_path = run_dir / "manifest.json"
    if not manifest_path.is_file():
        result.problems.append("no manifest.json")
        return
    steps = json.loads(manifest_path.read_text())["steps"]
    for step in STEPS:
        if steps.get(step, {}).get("status") != "complete":
            result.problems.append(f"step {step} not complete")
    if not (run_dir / "megatron" / "index.json").is_file():
        result.problems.append("no megatron/index.json")
    for step in ("curate", "dedup", "pii"):
        info = steps.get(step, {})
        result.counts[step] = info.get("counts", {})
        if "seconds" in info:
            result.step_seconds[step] = info["seconds"]
    for step in ("tokenizer", "megatron"):
        if "seconds" in steps.get(step, {}):
            result.step_seconds[step] = steps[step]["seconds"]
    final = steps.get("pii", {})
    if final.get("stages"):
        result.kept = sum(cell["kept"]["docs"] for cell in final["counts"][final["stages"][-1]].values())
    result.tokens = sum(cell.get("tokens", 0) for cell in steps.get("megatron", {}).get("languages", {}).values())
    result.digests = _digests(run_dir)


def run_monitored(cmd: list[str], env: dict[str, str], log_path: Path, manifest: Path, timeout: float,
                  preexec_fn: Callable[[], None] | None = None) -> tuple[int, float, "Monitor"]:
    """Run `cmd` (output to `log_path`) sampled by a Monitor of its process tree and `manifest`; killed
    after `timeout` s. Returns (exit code, wall seconds, the monitor)."""
    start = time.perf_counter()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env, preexec_fn=preexec_fn)
        monitor = Monitor(proc.pid, manifest)
        monitor.start()
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
        wall = time.perf_counter() - start
        monitor.stop.set()
        monitor.join()
    return rc, wall, monitor


def run_one(engine: str, size: int, corpus: Corpus, config: Path, run_dir: Path, log_dir: Path,
            timeout: float) -> RunResult:
    """One fresh `roots run` in its own process, sampled by a Monitor, then checked."""
    extra, cores = ENGINES[engine]
    cmd = [sys.executable, "-m", "roots.cli", "run", str(config), "--output", str(run_dir)] + extra
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable,
               SPARK_LOCAL_IP="127.0.0.1", PYTHONHASHSEED="0")
    log_path = log_dir / f"{engine}-{size}x.log"
    rc, wall, monitor = run_monitored(cmd, env, log_path, run_dir / "manifest.json", timeout)
    result = RunResult(engine, size, corpus.docs, cores, wall, rc, peaks=monitor.overall,
                       step_peaks=monitor.by_step, samples=monitor.samples)
    if "templates" in monitor.step_seen:
        first, last = monitor.step_seen["templates"]
        result.step_seconds["templates"] = round(last - first, 3)   # the manifest keeps no seconds for it
    if rc != 0:
        result.problems.append(f"exit code {rc} (see {log_path})")
        print("".join(log_path.read_text(errors="replace").splitlines(keepends=True)[-20:]), file=sys.stderr)
    _check(result, run_dir)
    return result


# --- report -------------------------------------------------------------------------------------

def _mb(n: int) -> str:
    return f"{n / MB:,.0f}"


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def _verdict_time(ratio: float, factor: int) -> str:
    return "≤ linear" if ratio <= factor * 1.10 else "WORSE than linear"


def _verdict_mem(ratio: float, factor: int) -> str:
    if ratio <= 1.25:
        return "flat"
    return "grows, sublinear" if ratio <= factor * 0.75 else "grows ~linearly or worse"


def compare(results: list[RunResult]) -> list[str]:
    """Per size: are the counts and the documents/ and rejected/ bytes the same on every engine?"""
    lines = ["| size | engines | counts equal | kept docs | documents/ + rejected/ files | identical bytes |",
             "| --- | --- | --- | --- | --- | --- |"]
    for size in sorted({r.size for r in results}):
        runs = [r for r in results if r.size == size]
        ref = runs[0]
        same_counts = all(r.counts == ref.counts for r in runs)
        diff = sorted({p for r in runs for p in set(r.digests) | set(ref.digests)
                       if r.digests.get(p) != ref.digests.get(p)})
        ident = "yes" if not diff else f"NO: {len(diff)} differ, e.g. {diff[0]}"
        lines.append(f"| {size}× | {', '.join(r.engine for r in runs)} | {'yes' if same_counts else 'NO'} | "
                     f"{', '.join(str(r.kept) for r in runs)} | {len(ref.digests)} | {ident} |")
    return lines


def report(results: list[RunResult], corpora: dict[int, Corpus], args: argparse.Namespace, total: float) -> str:
    """The Markdown: runs, growth ratios per engine, per-step growth, identity across engines."""
    sizes = sorted(corpora)
    base = sizes[0]
    out = ["# Scale benchmark\n",
           f"`python benchmarks/scale.py --sizes {args.sizes} --base-docs {args.base_docs} --engines {args.engines} "
           f"--shard-mb {args.shard_mb:g}`; "
           f"whole benchmark {total / 60:.1f} min; {os.cpu_count()} CPUs; sentences from "
           f"{corpora[base].sentence_source}; Python {sys.version.split()[0]}.\n",
           "## Corpora\n", "| size | documents | characters | exact dup | near dup | junk | with PII |",
           "| --- | --- | --- | --- | --- | --- | --- |"]
    for size in sizes:
        c = corpora[size]
        junk = sum(v for k, v in c.kinds.items() if k in ("short", "repetition", "symbols", "wrong_lang"))
        out.append(f"| {size}× | {c.docs:,} | {c.chars:,} | {c.kinds['exact_dup']:,} | {c.kinds['near_dup']:,} | "
                   f"{junk:,} | {c.kinds['pii']:,} |")
    steps = ["templates", "curate", "dedup", "pii", "tokenizer", "megatron"]
    out += ["\n## Runs\n",
            "Seconds per step from the manifest (templates: as observed by the sampler; start-up+other: the rest "
            "of the wall time: imports, Spark session, model loads outside steps); "
            "memory is peak RSS in MB: the driver process, the largest single worker process (Spark: its JVM "
            "and its largest Python worker), and the sum over the process tree.\n",
            "| engine | size | docs | wall s | start-up+other s | " + " | ".join(f"{s} s" for s in steps) +
            " | docs/s/core | driver MB | worker MB | JVM MB | py worker MB | total MB | kept | tokens | ok |",
            "|" + " --- |" * (14 + len(steps))]
    for r in results:
        p = r.peaks
        other = r.wall - sum(r.step_seconds.values())
        out.append(f"| {r.engine} | {r.size}× | {r.docs:,} | {r.wall:.1f} | {other:.1f} | " +
                   " | ".join(f"{r.step_seconds[s]:.1f}" if s in r.step_seconds else "—" for s in steps) +
                   f" | {r.docs_per_core_s:.1f} | {_mb(p.driver)} | {_mb(p.worker) if p.max_workers else 'in driver'} | "
                   f"{_mb(p.jvm) if p.jvm else '—'} | {_mb(p.python_worker) if p.python_worker else '—'} | {_mb(p.total)} | "
                   f"{r.kept:,} | {r.tokens:,} | {'yes' if not r.problems else '; '.join(r.problems)} |")
    if len(sizes) > 1:
        out += ["\n## Growth\n",
                f"Ratios to the {base}× run of the same engine. Time: ≤ linear when the ratio is at most "
                "1.1 × the size factor. Worker memory (beam1: the driver, where its worker runs): flat when "
                "the ratio is ≤ 1.25.\n",
                "| engine | " + " | ".join(f"time {s}×/{base}×" for s in sizes[1:]) + " | time | " +
                " | ".join(f"worker mem {s}×/{base}×" for s in sizes[1:]) + " | worker memory | " +
                " | ".join(f"driver mem {s}×/{base}×" for s in sizes[1:]) + " |",
                "|" + " --- |" * (3 + 3 * (len(sizes) - 1))]
        for engine in dict.fromkeys(r.engine for r in results):
            runs = {r.size: r for r in results if r.engine == engine}
            if base not in runs:
                continue
            b = runs[base]
            t = [_ratio(runs[s].wall, b.wall) if s in runs else float("nan") for s in sizes[1:]]
            m = [_ratio(runs[s].worker_mem, b.worker_mem) if s in runs else float("nan") for s in sizes[1:]]
            d = [_ratio(runs[s].peaks.driver, b.peaks.driver) if s in runs else float("nan") for s in sizes[1:]]
            big = sizes[-1] // base
            out.append(f"| {engine} | " + " | ".join(f"{x:.2f}" for x in t) + f" | {_verdict_time(t[-1], big)} | " +
                       " | ".join(f"{x:.2f}" for x in m) + f" | {_verdict_mem(m[-1], big)} | " +
                       " | ".join(f"{x:.2f}" for x in d) + " |")
        prev = sizes[-2]
        out += ["\n## Growth per step\n",
                f"Each step's seconds and its peak RSS (MB) of the driver and of the largest worker process at "
                f"{', '.join(f'{s}×' for s in sizes)}; in brackets the ratios {sizes[-1]}×/{base}× (linear: "
                f"{sizes[-1] // base}) and {sizes[-1]}×/{prev}× (linear: {sizes[-1] / prev:g}; the fixed costs of "
                f"a step weigh less here). ⚠ marks a step time growing faster than linear from {prev}× to {sizes[-1]}×.\n",
                "| engine | step | seconds | driver MB | worker MB |", "| --- | --- | --- | --- | --- |"]

        def cell(values: list[float], fmt) -> str:
            if not all(values):
                return "—"
            return (" → ".join(fmt(v) for v in values) +
                    f" ({_ratio(values[-1], values[0]):.1f}×, {_ratio(values[-1], values[-2]):.1f}×)")

        for engine in dict.fromkeys(r.engine for r in results):
            runs = {r.size: r for r in results if r.engine == engine}
            if any(s not in runs for s in sizes):
                continue
            for step in steps:
                secs = [runs[s].step_seconds.get(step, 0.0) for s in sizes]
                cells = [cell(secs, lambda v: f"{v:.1f}")]
                for attr in ("driver", "worker"):
                    cells.append(cell([getattr(runs[s].step_peaks.get(step) or Peaks(), attr) for s in sizes], _mb))
                worse = all(secs) and _ratio(secs[-1], secs[-2]) > 1.1 * sizes[-1] / prev
                out.append(f"| {engine} | {step}{' ⚠' if worse else ''} | " + " | ".join(cells) + " |")
    out += ["\n## Same output on every engine\n"] + compare(results)
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,4,16", help="corpus sizes as multiples of --base-docs")
    parser.add_argument("--base-docs", type=int, default=4000, help="documents in the 1x corpus")
    parser.add_argument("--engines", default="beam1,beam2,spark", help=f"from {', '.join(ENGINES)}")
    parser.add_argument("--keep", help="keep the corpora, run directories and logs here (default: a temp dir, removed)")
    parser.add_argument("--out", help="also write the Markdown report to this file")
    parser.add_argument("--shard-mb", type=float, default=2.0,
                        help="shard_target_mb of the documents and binaries (the sample's 64 MB would make one "
                             "shard per language at every size here, so per-shard memory would grow with the input)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before one run is killed")
    parser.add_argument("--seed", type=int, default=CorpusSpec.seed)
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    engines = args.engines.split(",")
    unknown = [e for e in engines if e not in ENGINES]
    if unknown:
        parser.error(f"unknown engine(s) {', '.join(unknown)}; known: {', '.join(ENGINES)}")
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="roots-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    results: list[RunResult] = []
    corpora: dict[int, Corpus] = {}
    try:
        for size in sizes:
            corpus_dir = work / f"corpus-{size}x"
            shutil.rmtree(corpus_dir, ignore_errors=True)
            corpus = corpora[size] = generate(CorpusSpec(docs=args.base_docs * size, seed=args.seed), corpus_dir)
            config = write_config(corpus, corpus_dir / "scale.yaml", shard_mb=args.shard_mb)
            print(f"[{time.perf_counter() - start:6.0f}s] {size}x: {corpus.docs:,} documents, "
                  f"{corpus.chars / 1e6:.1f} M characters", flush=True)
            for engine in engines:
                run_dir = work / f"run-{engine}-{size}x"
                shutil.rmtree(run_dir, ignore_errors=True)
                r = run_one(engine, size, corpus, config, run_dir, work, args.timeout)
                results.append(r)
                print(f"[{time.perf_counter() - start:6.0f}s]   {engine}: {r.wall:.1f} s, driver {_mb(r.peaks.driver)} MB, "
                      f"worker {_mb(r.worker_mem)} MB, total {_mb(r.peaks.total)} MB, kept {r.kept:,}, "
                      f"{'ok' if not r.problems else '; '.join(r.problems)}", flush=True)
                if not args.keep:
                    shutil.rmtree(run_dir, ignore_errors=True)
        text = report(results, corpora, args, time.perf_counter() - start)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    return 0 if all(not r.problems for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
