"""End to end against datatrove (issue 17): the whole pipeline (read → normalise → LID → quality →
MinHash dedup → PII → Megatron binaries) on generated 1×/4×/16× corpora, roots and datatrove 0.10.1's
closest equivalent side by side in one run, at 1 and 2 workers.

    python benchmarks/e2e.py [--sizes 1,4] [--base-docs 4000] [--workers 1,2] [--sides roots,datatrove]
                             [--roots-engines beam1,beam2] [--profile] [--keep DIR] [--out FILE.md]

Both sides read the same corpus (benchmarks/corpus_gen.py: 10 languages, Python code, an unlabelled
crawl, duplicates, junk, PII; one JSONL file per source) and tokenize with the same 8k BPE, trained by
roots once before any timed run (datatrove reads the `tokenizer.json` roots writes from it: same ids).

- roots: `roots run CONFIG --output DIR` in a fresh process: the sample's steps (normalise, lid.176,
  the ROOTS quality rules per language, exact + MinHash dedup with the exact-Jaccard check, PII tags,
  Megatron binaries per language), kept and rejected Parquet shards, counts, manifest. Left out of
  examples/sample.yaml because datatrove has no counterpart: the crawl's template-line cleaning
  (`cleaning:`), our own LID model (`lid.model: none`: lid.176 alone), KenLM perplexity (no `lm_dir`)
  and training the tokenizer (`tokenizer.model` names the pre-trained one). Engines from
  benchmarks/scale.py's ENGINES (beam1: 1 worker; beam2: 2 worker processes).
- datatrove 0.10.1 (`--peers-python`, .venv-peers), LocalPipelineExecutor with `workers` processes,
  one task per input file, in five stages as its MinHash example runs them: (1) JsonlReader →
  LanguageFilter (lid.176, the 10 languages, the same lid.176.ftz file through its asset cache: no
  download) → GopherRepetitionFilter → GopherQualityFilter (`min_stop_words=None`: its English stop
  words would drop every other language) → C4QualityFilter → JsonlWriter; (2) JsonlReader →
  MinhashDedupSignature; (3) MinhashDedupBuckets; (4) MinhashDedupCluster; (5) JsonlReader →
  MinhashDedupFilter → PIIFormatter (e-mail and IP addresses) → ParquetWriter →
  MegatronDocumentTokenizer. Its filters use their English defaults for every language (it has no
  per-language configs in one pipeline), it keeps no rejected documents, and redacts fewer PII kinds.

Measured per run: wall seconds; CPU seconds of the process tree (user + system, from wait4 for the
process and its reaped children, or the sum of per-process samples if larger); documents per
CPU-second = input documents / CPU s; peak RSS summed over the process tree and of its largest process,
sampled every 0.2 s. `--profile` adds a cProfile of roots' 1-worker run at the smallest size: the
manifest's seconds per step and self time grouped by what the code does.
"""
from __future__ import annotations

import argparse
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus_gen import NATURAL, Corpus, CorpusSpec, generate, write_config  # noqa: E402
from scale import ENGINES  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MB = 1 << 20
#: lid.176 labels of corpus_gen's natural languages (zh-Hans is lid.176's `zh`).
LID176_LABELS = sorted({code.split("-")[0] for code in NATURAL})


# --- measuring a process tree ---------------------------------------------------------------------

class TreeSampler(threading.Thread):
    """Every `interval` s until stopped: the summed and the largest RSS of `pid` and its descendants,
    and each process's latest CPU time (user + system)."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_total = self.peak_proc = 0
        self.cpu: dict[int, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        import psutil

        while not self.stop.is_set():
            try:
                top = psutil.Process(self.pid)
                procs = [top] + top.children(recursive=True)
            except psutil.Error:
                break
            total = 0
            for proc in procs:
                try:
                    with proc.oneshot():
                        rss, times = proc.memory_info().rss, proc.cpu_times()
                except psutil.Error:
                    continue
                total += rss
                self.peak_proc = max(self.peak_proc, rss)
                self.cpu[proc.pid] = times.user + times.system
            self.peak_total = max(self.peak_total, total)
            self.stop.wait(self.interval)


@dataclass
class Measured:
    """What one child run cost."""

    wall: float
    cpu: float
    peak_total: int
    peak_proc: int
    rc: int


def measure(cmd: list[str], env: dict[str, str], log: Path, cwd: Path, timeout: float) -> Measured:
    """Run `cmd` (output to `log`), sampled by a TreeSampler; its CPU time from wait4 (the process and
    the children it reaped) or from the samples, whichever is larger."""
    with open(log, "wb") as fh:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.stop.set()
        sampler.join()
    cpu = max(usage.ru_utime + usage.ru_stime, sum(sampler.cpu.values()))
    return Measured(wall, cpu, sampler.peak_total, sampler.peak_proc, proc.returncode)


# --- the runs --------------------------------------------------------------------------------------

@dataclass
class Row:
    side: str           # roots | datatrove
    engine: str
    workers: int
    size: int
    docs: int
    m: Measured
    kept: int = 0
    tokens: int = 0
    steps: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def per_cpu_s(self) -> float:
        return self.docs / self.m.cpu if self.m.cpu else 0.0


def roots_config(corpus: Corpus, path: Path, tokenizer_model: Path, shard_mb: float) -> Path:
    """corpus_gen's sample-like config without what datatrove lacks: template cleaning, our LID model,
    tokenizer training (the pre-trained model instead)."""
    import yaml

    write_config(corpus, path, shard_mb=shard_mb)
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config.pop("cleaning", None)
    config["name"] = "e2e"
    config["lid"] = {"lid176": True, "model": "none"}
    config["tokenizer"] = {"model": str(tokenizer_model)}
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def train_shared_tokenizer(corpus: Corpus, out: Path, vocab: int) -> tuple[Path, Path]:
    """One BPE for both sides, trained by roots on the corpus's text (untimed); (spm.model, tokenizer.json)."""
    from roots.tokenizer import TokenizerConfig, train_tokenizer

    text = out / "train.txt"
    out.mkdir(parents=True, exist_ok=True)
    with open(text, "w", encoding="utf-8") as dst:
        for _, file in corpus.files.values():
            with open(file, encoding="utf-8") as src:
                for line in src:
                    dst.write(json.loads(line)["text"] + "\n")
    train_tokenizer([str(text)], str(out), TokenizerConfig(vocab_size=vocab, hard_vocab_limit=False))
    return out / "spm.model", out / "tokenizer.json"


def child_env() -> dict[str, str]:
    return dict(os.environ, PYTHONHASHSEED="0", PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable,
                SPARK_LOCAL_IP="127.0.0.1")


def check_roots(row: Row, run_dir: Path) -> None:
    """Every step complete, binaries written; kept documents and tokens from the manifest."""
    try:
        steps = json.loads((run_dir / "manifest.json").read_text())["steps"]
    except (OSError, ValueError, KeyError):
        row.problems.append("no manifest.json")
        return
    row.problems += [f"step {s} {info.get('status')}" for s, info in steps.items() if info.get("status") != "complete"]
    if not (run_dir / "megatron" / "index.json").is_file():
        row.problems.append("no megatron/index.json")
    row.steps = {s: info["seconds"] for s, info in steps.items() if "seconds" in info}
    final = steps.get("pii", {})
    if final.get("stages"):
        row.kept = sum(cell["kept"]["docs"] for cell in final["counts"][final["stages"][-1]].values())
    row.tokens = sum(cell.get("tokens", 0) for cell in steps.get("megatron", {}).get("languages", {}).values())


def run_roots(engine: str, size: int, corpus: Corpus, config: Path, work: Path, timeout: float) -> Row:
    extra, workers = ENGINES[engine]
    run_dir = work / f"roots-{engine}-{size}x"
    shutil.rmtree(run_dir, ignore_errors=True)
    cmd = [sys.executable, "-m", "roots.cli", "run", str(config), "--output", str(run_dir)] + extra
    m = measure(cmd, child_env(), work / f"roots-{engine}-{size}x.log", ROOT, timeout)
    row = Row("roots", engine, workers, size, corpus.docs, m)
    if m.rc != 0:
        row.problems.append(f"exit code {m.rc} (see {work / f'roots-{engine}-{size}x.log'})")
    check_roots(row, run_dir)
    return row


DATATROVE = textwrap.dedent(r'''
    import json, os, sys, time, warnings
    warnings.filterwarnings("ignore")
    from loguru import logger
    logger.remove()
    from fsspec.core import strip_protocol
    from huggingface_hub import cached_assets_path
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster,
                                                  MinhashDedupFilter, MinhashDedupSignature)
    from datatrove.pipeline.filters import (C4QualityFilter, GopherQualityFilter, GopherRepetitionFilter,
                                            LanguageFilter)
    from datatrove.pipeline.formatters import PIIFormatter
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.tokens.megatron_tokenizer import MegatronDocumentTokenizer
    from datatrove.pipeline.writers import JsonlWriter, ParquetWriter
    from datatrove.utils.lid import FT176LID

    args = json.loads(sys.argv[1])
    out, workers, tasks = args["out"], args["workers"], args["tasks"]
    # The lid.176 file roots ships, where datatrove's asset cache (HF_ASSETS_CACHE, set by the parent)
    # looks for its download, marked complete: LanguageFilter loads it instead of downloading.
    cache = cached_assets_path(library_name="datatrove", namespace="lid", subfolder=FT176LID.MODEL_SUBFOLDER)
    target = os.path.join(cache, strip_protocol(FT176LID.MODEL_URL).replace("/", "_"))
    if not os.path.exists(target):
        os.symlink(args["lid_model"], target)
        open(target + ".completed", "w").close()
    seconds = {}
    def stage(name, pipeline, n_tasks):
        start = time.perf_counter()
        LocalPipelineExecutor(pipeline=pipeline, tasks=n_tasks, workers=min(workers, n_tasks),
                              logging_dir=f"{out}/logs/{name}", start_method="fork").run()
        seconds[name] = time.perf_counter() - start
    config = MinhashConfig()
    filtered = lambda: JsonlReader(f"{out}/filtered", text_key="text", id_key="id")
    stage("filter", [
        JsonlReader(args["corpus"], glob_pattern="*.jsonl", text_key="text", id_key="id"),
        LanguageFilter(languages=args["languages"]),
        GopherRepetitionFilter(),
        GopherQualityFilter(min_stop_words=None),
        C4QualityFilter(),
        JsonlWriter(f"{out}/filtered"),
    ], tasks)
    stage("minhash-signature", [filtered(), MinhashDedupSignature(output_folder=f"{out}/sigs", config=config)], tasks)
    stage("minhash-buckets", [MinhashDedupBuckets(input_folder=f"{out}/sigs", output_folder=f"{out}/buckets",
                                                  config=config)], config.num_buckets)
    stage("minhash-cluster", [MinhashDedupCluster(input_folder=f"{out}/buckets", output_folder=f"{out}/remove",
                                                  config=config)], 1)
    stage("dedup-pii-tokenize", [
        filtered(), MinhashDedupFilter(input_folder=f"{out}/remove"), PIIFormatter(),
        ParquetWriter(f"{out}/documents"),
        MegatronDocumentTokenizer(output_folder=f"{out}/megatron", tokenizer_name_or_path=args["tokenizer"],
                                  eos_token="</s>"),
    ], tasks)
    import pyarrow.parquet as pq
    kept = sum(pq.ParquetFile(os.path.join(d, f)).metadata.num_rows
               for d, _, files in os.walk(f"{out}/documents") for f in files if f.endswith(".parquet"))
    tokens = sum(os.path.getsize(os.path.join(f"{out}/megatron", f)) // 2
                 for f in os.listdir(f"{out}/megatron") if f.endswith(".bin"))
    print(json.dumps({"kept": kept, "tokens": tokens, "stage_seconds": seconds}))
''')


def run_datatrove(python: str, workers: int, size: int, corpus: Corpus, tokenizer_json: Path, work: Path,
                  timeout: float) -> Row:
    from roots.lid import lid176_path

    out = work / f"datatrove-{workers}-{size}x"
    shutil.rmtree(out, ignore_errors=True)
    args = {"corpus": str(corpus.root), "out": str(out), "workers": workers, "tasks": len(corpus.files),
            "languages": LID176_LABELS, "lid_model": str(Path(lid176_path()).resolve()),
            "tokenizer": str(tokenizer_json)}
    env = dict(os.environ, HF_ASSETS_CACHE=str(work / "datatrove-assets"), HF_HUB_OFFLINE="1",
               PYTHONWARNINGS="ignore", RAYON_NUM_THREADS="1", RAYON_RS_NUM_CPUS="1", TOKENIZERS_PARALLELISM="false")
    log = work / f"datatrove-{workers}-{size}x.log"
    m = measure([python, "-c", DATATROVE, json.dumps(args)], env, log, work, timeout)
    row = Row("datatrove", f"local, {workers} worker{'s' * (workers > 1)}", workers, size, corpus.docs, m)
    lines = [ln for ln in log.read_text(errors="replace").splitlines() if ln.startswith("{")]
    if m.rc != 0 or not lines:
        row.problems.append(f"exit code {m.rc} (see {log})")
        return row
    result = json.loads(lines[-1])
    row.kept, row.tokens, row.steps = result["kept"], result["tokens"], result["stage_seconds"]
    if not row.kept or not row.tokens:
        row.problems.append("no documents or tokens written")
    return row


# --- profile of roots -------------------------------------------------------------------------------

#: What a function's file or name says it does, first match wins (self time is grouped by these).
BUCKETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("LID (filters/lid, roots/lid, fastText)", ("/filters/lid.py", "/roots/lid.py", "fasttext")),
    ("quality filters (filters/quality, rules, words, stats; spaCy)", ("/filters/quality.py", "/filters/rules.py",
                                                                       "/filters/words.py", "/filters/stats.py",
                                                                       "/filters/params.py", "spacy", "thinc")),
    ("normalise", ("/filters/normalise.py",)),
    ("PII (filters/pii, roots/pii; phonenumbers, stdnum)", ("/filters/pii.py", "/roots/pii.py", "phonenumbers", "stdnum")),
    ("dedup (MinHash, LSH, components; numpy)", ("/roots/dedup/", "/pipelines/dedup.py", "numpy")),
    ("tokenize + Megatron binaries (SentencePiece)", ("/pipelines/megatron.py", "/roots/megatron.py",
                                                      "/roots/tokenizer.py", "sentencepiece")),
    ("reading sources (roots/io, JSON)", ("/roots/io/", "orjson", "/json/", "'loads'")),
    ("shards: Parquet read/write, sorting, counts (roots/rundir, pyarrow)", ("/roots/rundir.py", "pyarrow",
                                                                            "/roots/stats.py", "/roots/stage.py",
                                                                            "/roots/document.py")),
    ("Beam runner: bundles, coders, pickling, shuffles (apache_beam)", ("apache_beam", "pickle", "dill",
                                                                       "cloudpickle", "grpc", "protobuf")),
    ("Beam graph wiring (pipelines/beam_transforms, runner)", ("/pipelines/beam_transforms.py", "/pipelines/runner.py")),
    ("reading YAML (the config, the language configs)", ("/yaml/",)),
    ("imports and start-up", ("<frozen importlib", "importlib")),
)


def direct_bucket(func: tuple[str, int, str]) -> str | None:
    """The bucket a function's own file or name names, if any."""
    where = f"{func[0]} {func[2]}"
    for label, needles in BUCKETS:
        if any(n in where for n in needles):
            return label
    return None


OTHER = "other (interpreter, threads, logging, YAML ...)"


def bucket_shares(stats: dict, rounds: int = 40) -> dict[tuple, dict[str, float]]:
    """{function: {bucket: share}}: a function's own bucket, else the mix of its callers' buckets weighted
    by the time each caller accounts for (so the regex compiler or `isinstance` count for the code
    calling them); solved by rounds of propagation down the call graph (recursion converges)."""
    labels = [label for label, _ in BUCKETS] + [OTHER]
    index = {label: i for i, label in enumerate(labels)}
    shares: dict[tuple, list[float]] = {}
    edges: dict[tuple, list[tuple[tuple, float]]] = {}
    for func, (_, _, _, _, callers) in stats.items():
        label = direct_bucket(func)
        if label or not callers:
            row = [0.0] * len(labels)
            row[index[label or OTHER]] = 1.0
            shares[func] = row
            continue
        weights = [(caller, v[3] or v[2] or v[1]) for caller, v in callers.items() if caller != func]
        total = sum(w for _, w in weights)
        edges[func] = [(c, w / total) for c, w in weights] if total else []
    unknown = [0.0] * len(labels)
    for _ in range(rounds):   # a function's shares from its callers' of the round before
        new = {}
        for func, weighted in edges.items():
            row = [0.0] * len(labels)
            for caller, w in weighted:
                for i, v in enumerate(shares.get(caller, unknown)):
                    if v:
                        row[i] += w * v
            new[func] = row
        shares.update(new)
    out = {}
    for func, row in shares.items():
        total = sum(row)
        out[func] = {labels[i]: v / total for i, v in enumerate(row) if v} if total else {OTHER: 1.0}
    return out


def summarise_profile(prof: Path, run_dir: Path, title: str) -> list[str]:
    """Markdown: the manifest's seconds per step, self time by bucket, the top functions."""
    steps = json.loads((run_dir / "manifest.json").read_text())["steps"]
    stats = pstats.Stats(str(prof)).stats
    total = sum(v[2] for v in stats.values())   # self time of every function: the whole profile
    by_bucket: dict[str, float] = {}
    shares = bucket_shares(stats)
    for func, (_, _, tottime, _, _) in stats.items():
        for label, share in shares[func].items():
            by_bucket[label] = by_bucket.get(label, 0.0) + tottime * share
    lines = [f"{title} ({total:.1f} s profiled).\n", "| step (manifest) | seconds |", "| --- | ---: |"]
    lines += [f"| {s} | {info['seconds']:.1f} |" for s, info in steps.items() if "seconds" in info]
    lines += ["", "| self time by what the code does (library and built-in calls count for their caller) | seconds | share |",
              "| --- | ---: | ---: |"]
    lines += [f"| {label} | {secs:.1f} | {secs / total:.0%} |"
              for label, secs in sorted(by_bucket.items(), key=lambda kv: -kv[1])]
    lines += ["", "| top functions by self time | calls | self s | cumulative s |", "| --- | ---: | ---: | ---: |"]
    for (file, line, name), (_, calls, tottime, cumtime, _) in sorted(stats.items(), key=lambda kv: -kv[1][2])[:20]:
        short = file.replace(str(ROOT) + "/", "").split("site-packages/")[-1].split("lib/python3.11/")[-1]
        lines.append(f"| `{short}:{line}({name})` | {calls:,} | {tottime:.2f} | {cumtime:.2f} |")
    return lines


#: `roots run` under cProfile timed in CPU seconds (process_time): on a shared machine wall-clock
#: timings would charge other processes' time to whatever roots was doing.
PROFILED = """
import cProfile, sys, time
from roots.cli import main
profiler = cProfile.Profile(time.process_time)
try:
    code = profiler.runcall(main, sys.argv[2:])
finally:
    profiler.dump_stats(sys.argv[1])
sys.exit(code)
"""


def profile_roots(config: Path, engine: str, work: Path, timeout: float, size: int) -> list[str]:
    """cProfile of `roots run` on a 1-worker engine (beam1: the runner and its worker in one process;
    an engine with worker processes would show only its driver)."""
    run_dir, prof = work / "roots-profile", work / "roots.prof"
    shutil.rmtree(run_dir, ignore_errors=True)
    cmd = [sys.executable, "-c", PROFILED, str(prof), "run", str(config), "--output", str(run_dir)] + ENGINES[engine][0]
    m = measure(cmd, child_env(), work / "roots-profile.log", ROOT, timeout)
    if m.rc != 0 or not prof.is_file():
        return [f"profiled run failed (exit code {m.rc}, see {work / 'roots-profile.log'})"]
    return summarise_profile(prof, run_dir, f"cProfile of roots' 1-worker run ({engine}) at {size}×: "
                                            f"{m.wall:.1f} s wall, {m.cpu:.1f} CPU s under the profiler, "
                                            "timed in CPU seconds")


# --- report -----------------------------------------------------------------------------------------

def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if a and b else "—"


def report(rows: list[Row], corpora: dict[int, Corpus], args: argparse.Namespace, total: float,
           profile: list[str]) -> str:
    out = ["# End to end: roots vs datatrove\n",
           f"`python benchmarks/e2e.py --sizes {args.sizes} --base-docs {args.base_docs} --workers {args.workers} "
           f"--sides {args.sides} --roots-engines {args.roots_engines}`; whole benchmark {total / 60:.1f} min; "
           f"{os.cpu_count()} CPUs; load average at the end {os.getloadavg()[0]:.1f}; Python {sys.version.split()[0]}.\n",
           "| size | documents | characters |", "| --- | ---: | ---: |"]
    out += [f"| {s}× | {c.docs:,} | {c.chars:,} |" for s, c in sorted(corpora.items())]
    out += ["", "| side | engine | workers | size | wall s | CPU s | docs per CPU-s | docs/s (wall) | "
            "peak RSS, tree MB | peak RSS, largest process MB | kept docs | tokens | ok |",
            "|" + " --- |" * 13]
    for r in rows:
        out.append(f"| {r.side} | {r.engine} | {r.workers} | {r.size}× | {r.m.wall:.1f} | {r.m.cpu:.1f} | "
                   f"{r.per_cpu_s:,.0f} | {r.docs / r.m.wall:,.0f} | {r.m.peak_total / MB:,.0f} | "
                   f"{r.m.peak_proc / MB:,.0f} | {r.kept:,} | {r.tokens:,} | "
                   f"{'yes' if not r.problems else '; '.join(r.problems)} |")
    sides = {(r.side, r.workers, r.size): r for r in rows}
    if any(r.side == "datatrove" for r in rows) and any(r.side == "roots" for r in rows):
        out += ["", "Ratios roots / datatrove (above 1: roots better; wall and memory as datatrove's / roots').\n",
                "| size | workers | docs per CPU-s | wall time | peak RSS, tree |", "| --- | ---: | ---: | ---: | ---: |"]
        for size in sorted(corpora):
            for w in sorted({r.workers for r in rows}):
                a, b = sides.get(("roots", w, size)), sides.get(("datatrove", w, size))
                if a and b:
                    out.append(f"| {size}× | {w} | {_ratio(a.per_cpu_s, b.per_cpu_s)} | {_ratio(b.m.wall, a.m.wall)} | "
                               f"{_ratio(b.m.peak_total, a.m.peak_total)} |")
    workers = sorted({r.workers for r in rows})
    if len(workers) > 1:
        lo, hi = workers[0], workers[-1]
        out += ["", f"Scaling from {lo} to {hi} workers (wall time {lo} / wall time {hi}; ideal {hi / lo:g}).\n",
                "| side | " + " | ".join(f"{s}×" for s in sorted(corpora)) + " |", "|" + " --- |" * (1 + len(corpora))]
        for side in dict.fromkeys(r.side for r in rows):
            cells = []
            for size in sorted(corpora):
                a, b = sides.get((side, lo, size)), sides.get((side, hi, size))
                cells.append(_ratio(a.m.wall, b.m.wall) if a and b else "—")
            out.append(f"| {side} | " + " | ".join(cells) + " |")
    steps = [r for r in rows if r.steps]
    if steps:
        out += ["", "Seconds per step (roots: the manifest; datatrove: its five executor stages).\n",
                "| side | workers | size | steps |", "| --- | ---: | --- | --- |"]
        out += [f"| {r.side} | {r.workers} | {r.size}× | " + ", ".join(f"{k} {v:.1f}" for k, v in r.steps.items()) + " |"
                for r in steps]
    if profile:
        out += ["", "## Where roots' time goes\n"] + profile
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,4,16", help="corpus sizes as multiples of --base-docs")
    parser.add_argument("--base-docs", type=int, default=4000, help="documents in the 1x corpus")
    parser.add_argument("--workers", default="1,2", help="worker counts (roots: the engine with that many cores)")
    parser.add_argument("--sides", default="roots,datatrove")
    parser.add_argument("--roots-engines", default="beam1,beam2",
                        help=f"roots engines, one per worker count (from {', '.join(ENGINES)})")
    parser.add_argument("--peers-python", default=str(ROOT / ".venv-peers" / "bin" / "python"))
    parser.add_argument("--vocab", type=int, default=8000, help="BPE size of the shared tokenizer")
    parser.add_argument("--shard-mb", type=float, default=2.0, help="roots' document and binary shard size")
    parser.add_argument("--profile", action="store_true", help="also cProfile roots' 1-worker run at the smallest size")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds before one run is killed")
    parser.add_argument("--keep", help="keep corpora, outputs and logs here (default: a temporary folder, removed)")
    parser.add_argument("--out", help="also write the Markdown report here")
    parser.add_argument("--seed", type=int, default=CorpusSpec.seed)
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    workers = sorted(int(w) for w in args.workers.split(","))
    sides = args.sides.split(",")
    engines = {ENGINES[e][1]: e for e in args.roots_engines.split(",") if e in ENGINES}
    unknown = [e for e in args.roots_engines.split(",") if e not in ENGINES] + [s for s in sides if s not in ("roots", "datatrove")]
    if unknown:
        parser.error(f"unknown engine or side: {', '.join(unknown)}")
    if "roots" in sides and any(w not in engines for w in workers):
        parser.error(f"--roots-engines has no engine for each of --workers {args.workers}")
    if "datatrove" in sides and not Path(args.peers_python).exists():
        print(f"no peers environment at {args.peers_python}: datatrove skipped "
              "(python3.11 -m venv .venv-peers && .venv-peers/bin/pip install -r benchmarks/peers.txt)", file=sys.stderr)
        sides.remove("datatrove")
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="roots-e2e-"))
    work.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    rows: list[Row] = []
    corpora: dict[int, Corpus] = {}
    profile: list[str] = []

    def note(text: str) -> None:
        print(f"[{time.perf_counter() - start:6.0f}s] {text}", file=sys.stderr, flush=True)

    try:
        model = tok_json = None
        for size in sizes:
            corpus_dir = work / f"corpus-{size}x"
            shutil.rmtree(corpus_dir, ignore_errors=True)
            corpus = corpora[size] = generate(CorpusSpec(docs=args.base_docs * size, seed=args.seed), corpus_dir)
            if model is None:
                model, tok_json = train_shared_tokenizer(corpus, work / "tokenizer", args.vocab)
            config = roots_config(corpus, work / f"e2e-{size}x.yaml", model, args.shard_mb)
            note(f"{size}x: {corpus.docs:,} documents, {corpus.chars / 1e6:.1f} M characters")
            for w in workers:
                if "roots" in sides:
                    rows.append(run_roots(engines[w], size, corpus, config, work, args.timeout))
                if "datatrove" in sides:
                    rows.append(run_datatrove(args.peers_python, w, size, corpus, tok_json, work, args.timeout))
                for r in rows[-len(sides):]:
                    note(f"  {r.side} {r.workers}w: {r.m.wall:.1f} s wall, {r.m.cpu:.1f} CPU s, "
                         f"{r.per_cpu_s:,.0f} docs/CPU-s, {r.m.peak_total / MB:,.0f} MB, kept {r.kept:,}, "
                         f"{'ok' if not r.problems else '; '.join(r.problems)}")
            if args.profile and size == sizes[0] and "roots" in sides and 1 in engines:
                profile = profile_roots(config, engines[1], work, args.timeout, size)
                note("  profiled roots")
        text = report(rows, corpora, args, time.perf_counter() - start, profile)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    return 0 if all(not r.problems for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
