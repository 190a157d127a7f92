"""The native Spark engine on a real Spark standalone cluster, not local mode: a master and two workers,
each its own JVM started through pyspark's `spark-class` on this machine, run the bundled sample with
`roots run examples/sample.yaml --engine spark --master spark://...`; the shards, statistics and Megatron
binaries equal the local Beam run's byte for byte. The README's "Spark standalone cluster" recipe is
this test's steps."""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sample_run import SAMPLE, sample_run_dir
from test_spark import shard_files, step_counts

pytestmark = [
    pytest.mark.skipif(os.environ.get("ROOTS_SLOW_TESTS") != "1", reason="Spark cluster: set ROOTS_SLOW_TESTS=1"),
    pytest.mark.skipif(importlib.util.find_spec("pyspark") is None or shutil.which("java") is None,
                       reason="pyspark or java is not installed"),
]

HOST = "127.0.0.1"
WORKERS = 2
WORKER_MEMORY = "1g"          # what each worker offers its executors
EXECUTOR_MEMORY = "768m"      # one executor per worker (1 core each): the sample needs little heap


def free_port() -> int:
    """A TCP port nothing listens on now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def spark_class() -> Path:
    """pyspark's own `bin/spark-class` (the pip package carries Spark's jars and launch scripts)."""
    return Path(importlib.util.find_spec("pyspark").submodule_search_locations[0]) / "bin" / "spark-class"


@dataclass
class Cluster:
    """A standalone master and its workers, each a JVM in its own process group, with its log file."""

    url: str
    ui: str
    procs: list[subprocess.Popen] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def alive_workers(self) -> int:
        """Workers the master lists as ALIVE (its web UI's JSON)."""
        try:
            with urllib.request.urlopen(f"{self.ui}/json/", timeout=2) as resp:
                return sum(w.get("state") == "ALIVE" for w in json.load(resp).get("workers", []))
        except (OSError, ValueError):
            return 0

    def tail(self) -> str:
        return "\n".join(f"--- {p.name}\n" + "".join(p.read_text(errors="replace").splitlines(True)[-15:])
                         for p in self.logs if p.is_file())

    def stop(self) -> None:
        """SIGTERM each process group (a worker's executors are in its group), SIGKILL what is left."""
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def spark_env() -> dict[str, str]:
    """Loopback only; the daemons' own heaps small; executors' Python = this interpreter (the venv with roots)."""
    return {**os.environ, "SPARK_LOCAL_IP": HOST, "SPARK_DAEMON_MEMORY": "256m",
            "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}


def start_cluster(work: Path) -> Cluster:
    """`spark-class ...Master` and WORKERS × `spark-class ...Worker`, on free ports; returns once every
    worker has registered with the master. The caller stops it (Cluster.stop) whatever happens."""
    port, ui_port = free_port(), free_port()
    cluster = Cluster(url=f"spark://{HOST}:{port}", ui=f"http://{HOST}:{ui_port}")
    env = spark_env()

    def launch(name: str, args: list[str]) -> None:
        log = work / f"{name}.log"
        cluster.logs.append(log)
        with open(log, "wb") as fh:
            cluster.procs.append(subprocess.Popen([str(spark_class()), *args], stdout=fh, stderr=subprocess.STDOUT,
                                                  env=env, cwd=work, start_new_session=True))

    try:
        launch("master", ["org.apache.spark.deploy.master.Master",
                          "--host", HOST, "--port", str(port), "--webui-port", str(ui_port)])
        for i in range(WORKERS):
            (work / f"worker{i}").mkdir()
            launch(f"worker{i}", ["org.apache.spark.deploy.worker.Worker", "--host", HOST,
                                  "--port", str(free_port()), "--webui-port", str(free_port()),
                                  "--cores", "1", "--memory", WORKER_MEMORY,
                                  "--work-dir", str(work / f"worker{i}"), cluster.url])
        deadline = time.monotonic() + 120
        while cluster.alive_workers() < WORKERS:
            dead = [p.args[1] for p in cluster.procs if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                raise RuntimeError(f"Spark cluster did not start ({'exited: ' + ', '.join(dead) if dead else 'timeout'})\n"
                                   + cluster.tail())
            time.sleep(0.5)
    except BaseException:
        cluster.stop()
        raise
    return cluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    """The standalone cluster for this module, stopped in the finalizer even when a test fails."""
    running = start_cluster(tmp_path_factory.mktemp("spark-cluster"))
    try:
        yield running
    finally:
        running.stop()


def megatron_files(run_dir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(run_dir)): p.read_bytes() for p in sorted((run_dir / "megatron").rglob("*")) if p.is_file()}


def test_sample_on_a_standalone_cluster_equals_the_local_run(cluster, tmp_path, tmp_path_factory):
    out = tmp_path / "spark"
    cmd = [sys.executable, "-m", "roots.cli", "run", str(SAMPLE), "--output", str(out),
           "--engine", "spark", "--master", cluster.url,
           "--conf", f"spark.executor.memory={EXECUTOR_MEMORY}", "--conf", "spark.executor.cores=1",
           "--conf", f"spark.driver.host={HOST}"]
    done = subprocess.run(cmd, env=spark_env(), capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:] + cluster.tail()
    assert cluster.alive_workers() == WORKERS   # neither worker died on the way

    # The application really ran on the cluster: each worker ran an executor for it.
    apps = [sorted(d.name for d in (Path(log.parent) / f"worker{i}").iterdir())
            for i, log in enumerate(cluster.logs[1:])]
    assert all(len(a) == 1 and a[0].startswith("app-") for a in apps), apps

    local = sample_run_dir(tmp_path_factory)   # the local Beam run of the same config
    ours, theirs = shard_files(out), shard_files(local)
    assert any(p.startswith("documents/") for p in theirs) and any(p.startswith("rejected/stage=dedup/") for p in theirs)
    assert sorted(ours) == sorted(theirs)
    for path, data in theirs.items():
        assert ours[path] == data, path
    assert step_counts(out) == step_counts(local)
    for path in ("templates.json", "dedup.counts.json", "pii.counts.json", "pii.spans.json"):
        assert (out / "stats" / path).read_bytes() == (local / "stats" / path).read_bytes(), path
    ours_bin, theirs_bin = megatron_files(out), megatron_files(local)
    assert any(p.endswith(".bin") for p in theirs_bin) and sorted(ours_bin) == sorted(theirs_bin)
    for path, data in theirs_bin.items():
        assert ours_bin[path] == data, path
