"""One run per run directory at a time: `run_lock(RUN)` is held for the whole of `roots run`.

Two runs writing one folder corrupt it silently (each deletes the other's temporary files, shards of
two configs mix), so a second run is refused with one line. Locally the lock is an OS file lock
(`flock`) on `RUN/.roots.lock`: the kernel releases it when the process ends, crash or kill included.
On an object store, where no such lock exists, it is a lease object holding its owner and an expiry,
renewed by a background thread while the run lives; a crashed run's lease expires on its own.
"""
from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
import uuid
from typing import Iterator

from roots import fs
from roots.errors import RootsError

LOCK_NAME = ".roots.lock"
#: How long an object-store lease lives without renewal, and how often the run renews it.
LEASE_SECONDS = 600.0
RENEW_SECONDS = 120.0


class RunLockedError(RootsError):
    """Another run holds the run directory; the message names it and says what to do."""


def _owner() -> dict[str, object]:
    return {"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def _refusal(run_dir: str, holder: dict | None) -> RunLockedError:
    who = (f" (pid {holder.get('pid')} on {holder.get('host')}, since {holder.get('since')})"
           if isinstance(holder, dict) else "")
    return RunLockedError(f"{run_dir}: another roots run is using this run directory{who}; wait for it to "
                          "finish, or give another --output")


@contextlib.contextmanager
def run_lock(run_dir: str) -> Iterator[None]:
    """Hold `run_dir` for one run; RunLockedError at once when another run holds it."""
    if fs.is_remote(run_dir):
        with _lease(run_dir):
            yield
    else:
        with _flock(run_dir):
            yield


@contextlib.contextmanager
def _flock(run_dir: str) -> Iterator[None]:
    import fcntl

    path = os.path.join(run_dir, LOCK_NAME)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise _refusal(run_dir, holder) from None
        # The holder before us may have removed the file between our open and our lock: then we hold a
        # lock on a file nobody else can find, so take the lock again on the file that is there now.
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(_owner()).encode())
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(fd)   # closing releases the lock


def _read_holder(fd: int) -> dict | None:
    try:
        return json.loads(os.pread(fd, 4096, 0) or b"null")
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def _lease(run_dir: str) -> Iterator[None]:
    path = fs.join(run_dir, LOCK_NAME)
    token = uuid.uuid4().hex
    holder = _read_lease(path)
    if holder is not None and holder.get("token") != token and float(holder.get("expires", 0)) > time.time():
        raise _refusal(run_dir, holder)
    stop = threading.Event()

    def write() -> None:
        with fs.open_file(path, "wb") as fh:
            fh.write(json.dumps({**_owner(), "token": token, "expires": time.time() + LEASE_SECONDS}).encode())

    def renew() -> None:
        while not stop.wait(RENEW_SECONDS):
            write()

    write()
    thread = threading.Thread(target=renew, name="roots-lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        current = _read_lease(path)
        if current is not None and current.get("token") == token:
            fs.remove(path)


def _read_lease(path: str) -> dict | None:
    if not fs.exists(path):
        return None
    try:
        with fs.open_file(path, "rb") as fh:
            found = json.loads(fh.read() or b"null")
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None
