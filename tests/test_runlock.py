"""Runs that cannot mix (issue 15): a second run on a folder in use is refused with one line, the lock
goes with the process that held it (crash included), and a later step reads only a complete shard set."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from roots import fs
from roots.cli import main
from roots.rundir import lang_folder
from roots.runlock import LOCK_NAME, RunLockedError, run_lock

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sample.yaml"
HOLD = ("import sys, time\nfrom roots.runlock import run_lock\n"
        "with run_lock(sys.argv[1]):\n    print('held', flush=True)\n    time.sleep(120)\n")


def _holder(run_dir: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(run_dir)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_run_on_a_folder_in_use_is_refused_until_the_holder_dies(tmp_path, capsys):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    holder = _holder(run_dir)
    try:
        code = main(["run", str(SAMPLE), "--output", str(run_dir)])
        err = capsys.readouterr().err.strip()
        assert code == 2 and len(err.splitlines()) == 1
        assert "another roots run is using this run directory" in err and f"pid {holder.pid}" in err
        assert not (run_dir / "manifest.json").exists()   # refused before any work
    finally:
        holder.kill()                                     # a crash: the kernel releases the lock
        holder.wait()
    with run_lock(str(run_dir)):
        assert json.loads((run_dir / LOCK_NAME).read_text())["pid"] > 0
    assert not (run_dir / LOCK_NAME).exists()            # released and removed


def test_the_lock_is_taken_again_after_a_run_ends_in_the_same_process(tmp_path):
    for _ in range(2):
        with run_lock(str(tmp_path)):
            with pytest.raises(RunLockedError, match="another roots run"):
                with run_lock(str(tmp_path)):
                    pass


def test_object_store_lease_refuses_a_live_holder_and_takes_over_an_expired_one(monkeypatch):
    run_dir = "memory://runlock-test/run"
    with run_lock(run_dir):
        with pytest.raises(RunLockedError):
            with run_lock(run_dir):
                pass
    assert not fs.exists(fs.join(run_dir, LOCK_NAME))
    # A crashed run's lease, expired: the next run takes the folder.
    with fs.open_file(fs.join(run_dir, LOCK_NAME), "wb") as fh:
        fh.write(json.dumps({"pid": 1, "host": "gone", "since": "then", "token": "x",
                             "expires": time.time() - 1}).encode())
    with run_lock(run_dir):
        assert json.loads(fs.open_file(fs.join(run_dir, LOCK_NAME), "rb").read())["token"] != "x"


def test_a_later_step_trusts_only_a_complete_shard_set(tmp_path):
    from roots.rundir import ShardSetError, list_shards

    en, sw = tmp_path / "documents" / lang_folder("en"), tmp_path / "documents" / lang_folder("sw")
    en.mkdir(parents=True)
    sw.mkdir(parents=True)
    for i in range(3):
        (en / f"part-{i:05d}-of-00003.parquet").write_bytes(b"")
    (sw / "part-00000-of-00001.parquet").write_bytes(b"")
    (en / "part-00000-of-00003.parquet.tmp-1a2b").write_bytes(b"")   # a half-written one is not a shard
    assert len(list_shards(str(tmp_path))) == 4
    (en / "part-00001-of-00003.parquet").unlink()
    with pytest.raises(ShardSetError, match="1 of 3 shards missing .part-00001"):
        list_shards(str(tmp_path))
    (en / "part-00001-of-00003.parquet").write_bytes(b"")
    (en / "part-00000-of-00004.parquet").write_bytes(b"")                # another run's set beside it
    with pytest.raises(ShardSetError, match="shards of two runs mixed"):
        list_shards(str(tmp_path))


def test_a_run_directory_of_the_old_layout_is_refused_not_skipped(tmp_path):
    """Shards in `lang=XX` folders (before rundir.LANG_PARTITION) would be invisible to a resumed run."""
    from roots.rundir import ShardSetError, list_shards

    old = tmp_path / "documents" / "lang=en"
    old.mkdir(parents=True)
    (old / "part-00000-of-00001.parquet").write_bytes(b"")
    with pytest.raises(ShardSetError, match="older roots"):
        list_shards(str(tmp_path))
