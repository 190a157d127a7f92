"""Spark's dedup (pipelines/spark_dedup.py) alone: wall time, Spark jobs, stages and tasks.

    python benchmarks/spark_dedup.py [--docs 2000 20000] [--master local[2]] [--no-check]

The corpus: FLORES-200 documents of which a third are edited versions of earlier ones (near-duplicate
chains, see dedup_accuracy.py), plus an exact copy of every tenth one. Each size runs in a fresh
SparkSession with an event log; after a warm-up job (JVM and Python workers up), `deduplicate` and the
collection of its counts are timed (wall time, and CPU seconds of the whole process tree: driver, JVM,
Python workers), and the event log says how many jobs, stages (run, not skipped) and tasks they took.
Unless --no-check, the outcome is compared with the in-process reference (deduplicate_local). Prints
a Markdown table. `--module` runs another implementation's `deduplicate`, e.g. the one before issue
17.4 copied beside it, for before/after tables.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass
class SparkWork:
    """What a window of a Spark application ran: jobs, stages that ran (skipped ones not counted), tasks."""

    jobs: int = 0
    stages: int = 0
    tasks: int = 0


def event_work(event_dir: str, first_job: int = 0, last_job: int = 1 << 62) -> SparkWork:
    """Jobs, stages run and tasks of jobs `first_job` to `last_job`, from an uncompressed Spark event log."""
    work, stage_job = SparkWork(), {}
    paths = [p for p in glob.glob(os.path.join(event_dir, "**"), recursive=True) if os.path.isfile(p)]
    for path in sorted(paths):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                event = json.loads(line)
                kind = event["Event"]
                if kind == "SparkListenerJobStart" and first_job <= event["Job ID"] <= last_job:
                    work.jobs += 1
                    stage_job.update({s["Stage ID"]: event["Job ID"] for s in event["Stage Infos"]})
                elif kind == "SparkListenerStageCompleted" and event["Stage Info"]["Stage ID"] in stage_job:
                    work.stages += 1
                    work.tasks += event["Stage Info"]["Number of Tasks"]
    return work


def tree_cpu() -> float:
    """CPU seconds (user + system) of this process and its live descendants, each with the children
    it has reaped: the driver, the JVM, the Python daemon and its workers, ended workers included."""
    import psutil

    total = 0.0
    me = psutil.Process()
    for proc in [me, *me.children(recursive=True)]:
        try:
            t = proc.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
        except psutil.NoSuchProcess:
            pass
    return total


def _last_job(sc) -> int:
    """The id of the latest job this SparkContext started (-1: none yet)."""
    return max(sc.statusTracker().getJobIdsForGroup(), default=-1)


def corpus(n_docs: int) -> list:
    sys.path.insert(0, str(HERE))
    from dedup_accuracy import flores_corpus, load_flores

    from roots.document import Document

    docs = flores_corpus(load_flores(), n_docs, seed=1)
    return docs + [Document(f"{d.id}/copy", d.text, d.lang, "copies") for d in docs[::10]]


def measure(n_docs: int, master: str, check: bool, keep_events: str | None = None,
            conf: dict[str, str] | None = None, module: str = "roots.pipelines.spark_dedup") -> dict:
    import importlib
    import inspect

    from roots.dedup import DedupConfig, deduplicate_local
    from roots.pipelines.spark import spark_session

    deduplicate = importlib.import_module(module).deduplicate

    docs = corpus(n_docs)
    config = DedupConfig()
    with tempfile.TemporaryDirectory() as scratch:
        events = keep_events or scratch
        os.makedirs(events, exist_ok=True)
        spark = spark_session(master, app="roots-dedup-bench", conf={
            "spark.eventLog.enabled": "true", "spark.eventLog.dir": f"file://{events}",
            "spark.eventLog.compress": "false", **(conf or {})})
        sc = spark.sparkContext
        try:
            rdd = sc.parallelize(docs, 2 * sc.defaultParallelism)
            rdd.map(lambda d: len(d.text)).sum()   # warm-up: the JVM and Python workers up
            first_job = _last_job(sc) + 1
            start, cpu = time.perf_counter(), tree_cpu()
            known = {"n_docs": len(docs)} if "n_docs" in inspect.signature(deduplicate).parameters else {}
            out = deduplicate(spark, rdd, config, 2 * sc.defaultParallelism, **known)
            if isinstance(out, tuple):
                out, counts = out
            else:   # the implementation before issue 17.4 (git show 915d5f1:pipelines/spark_dedup.py)
                counts = [t[1] for t in out.filter(lambda t: t[0] == "C").collect()]
            seconds, cpu = time.perf_counter() - start, tree_cpu() - cpu
            last_job = _last_job(sc)
            kept = sum(n for table in counts for (_, _, outcome), (n, _) in table.items() if outcome == "kept")
            outcome = None
            if check:
                got = out.filter(lambda t: t[0] != "C").map(
                    lambda t: (t[0], t[1].id if t[0] == "D" else (t[1][1].doc.id, t[1][1].reason.code))).collect()
                ref = deduplicate_local(docs, config)
                outcome = sorted(got) == sorted([("D", d.id) for d in ref.kept]
                                                + [("R", (r.doc.id, r.reason.code)) for r in ref.rejected])
        finally:
            spark.stop()
        work = event_work(events, first_job, last_job)
    return {"docs": len(docs), "seconds": seconds, "cpu": cpu, "kept": kept, "jobs": work.jobs, "stages": work.stages,
            "tasks": work.tasks, "same": outcome}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, nargs="+", default=[2000, 20000], help="FLORES documents (before copies)")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--no-check", action="store_true", help="skip the comparison with deduplicate_local")
    parser.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE", help="a Spark setting (repeatable)")
    parser.add_argument("--module", default="roots.pipelines.spark_dedup",
                        help="the module whose deduplicate runs (e.g. an earlier version, for before/after)")
    parser.add_argument("--events", help="keep the Spark event logs in this folder (one per size)")
    args = parser.parse_args()
    conf = dict(item.split("=", 1) for item in args.conf)
    rows = [measure(n, args.master, not args.no_check, args.events and os.path.join(args.events, str(n)), conf,
                    args.module) for n in args.docs]
    print("| documents | dedup s | CPU s | kept | jobs | stages run | tasks | same as in-process |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        same = "not checked" if r["same"] is None else ("yes" if r["same"] else "NO")
        print(f"| {r['docs']:,} | {r['seconds']:.1f} | {r['cpu']:.1f} | {r['kept']:,} | {r['jobs']} | {r['stages']} "
              f"| {r['tasks']} | {same} |")


if __name__ == "__main__":
    main()
