"""Progress of a step a person can follow: documents, bytes, rate and ETA while it runs.

Workers (Beam's or Spark's, in other processes) count what they read into small files in a local
folder (`ProgressSink`); the driver sums them twice a second (`StepProgress`) and shows a tqdm bar on
a terminal, or a log line every `log_every` seconds elsewhere (CI logs, nohup). Only for engines on this
machine: a remote runner's workers cannot reach the driver's folder (Dataflow and Spark have their own UIs).
"""
from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from typing import IO, Any, Iterable, Iterator

log = logging.getLogger(__name__)

#: Seconds between a worker's writes of its counts, and between the driver's reads.
FLUSH_SECONDS = 0.5


def _text_bytes(item: Any) -> int:
    """UTF-8 bytes of a document's (or a rejection's document's) text; 0 for anything else."""
    doc = getattr(item, "doc", item)
    text = getattr(doc, "text", None)
    return len(text.encode("utf-8", "surrogatepass")) if isinstance(text, str) else 0


@dataclass
class ProgressSink:
    """The worker side: counts documents, text bytes and input bytes into its own file under `folder`.
    Picklable (only the folder travels); the file is chosen on first use, one per sink per process."""

    folder: str

    def __post_init__(self) -> None:
        self._path: str | None = None
        self._counts = [0, 0, 0]   # documents, text bytes, input bytes
        self._last = 0.0

    def __getstate__(self) -> dict:
        return {"folder": self.folder}

    def __setstate__(self, state: dict) -> None:
        self.folder = state["folder"]
        self.__post_init__()

    def add(self, docs: int, text_bytes: int, input_bytes: int = 0, force: bool = False) -> None:
        """Count; written to the file at most every FLUSH_SECONDS (or now, with `force`)."""
        c = self._counts
        c[0] += docs
        c[1] += text_bytes
        c[2] += input_bytes
        now = time.monotonic()
        if force or now - self._last >= FLUSH_SECONDS:
            self._last = now
            self._write()

    def track(self, items: Iterable[Any], input_bytes: int | None = None) -> Iterator[Any]:
        """Yield `items` (documents or rejections), counting each; when `input_bytes` (the unit's size
        on disk) is given, text bytes stand in for it while reading, capped, and the unit counts in full
        once read, so the input-byte total reaches exactly the sum of the units' sizes."""
        shown = 0
        for item in items:
            nbytes = _text_bytes(item)
            step = 0
            if input_bytes is not None and shown < input_bytes:
                step = min(nbytes, input_bytes - shown)
                shown += step
            self.add(1, nbytes, step)
            yield item
        self.add(0, 0, (input_bytes - shown) if input_bytes is not None else 0, force=True)

    def _write(self) -> None:
        try:
            if self._path is None:
                os.makedirs(self.folder, exist_ok=True)
                self._path = os.path.join(self.folder, f"{os.getpid()}-{uuid.uuid4().hex}.txt")
            tmp = self._path + ".tmp"
            with open(tmp, "w") as fh:
                fh.write(" ".join(map(str, self._counts)))
            os.replace(tmp, self._path)
        except OSError:   # progress is a courtesy: never a reason for a step to fail
            pass


def read_counts(folder: str) -> tuple[int, int, int]:
    """The sum of every sink's (documents, text bytes, input bytes) under `folder`."""
    total = [0, 0, 0]
    try:
        names = os.listdir(folder)
    except OSError:
        return 0, 0, 0
    for name in names:
        if not name.endswith(".txt"):
            continue
        try:
            with open(os.path.join(folder, name)) as fh:
                values = [int(v) for v in fh.read().split()]
        except (OSError, ValueError):
            continue
        if len(values) == 3:
            total = [a + b for a, b in zip(total, values)]
    return total[0], total[1], total[2]


def _mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


def describe(step: str, docs: int, nbytes: int, total: int | None, seconds: float) -> str:
    """One plain line: documents, bytes (of the total), rate and ETA."""
    rate = nbytes / seconds if seconds > 0 else 0.0
    line = f"{step}: {docs:,} documents, {_mb(nbytes)}"
    if total:
        line += f" of {_mb(total)} ({min(100.0, 100 * nbytes / total):.0f}%)"
    line += f", {_mb(rate)}/s"
    if total and rate > 0 and nbytes < total:
        eta = int((total - nbytes) / rate)
        line += f", ETA {eta // 3600}:{eta % 3600 // 60:02d}:{eta % 60:02d}"
    return line


class StepProgress:
    """The driver side of one step: a sink for its workers and a bar (or log lines) while it runs.

    `total_bytes` is what the bar measures against: the inputs' size on disk for a step reading
    sources (`by_input=True`: the sinks' input bytes), the previous step's kept text bytes otherwise.
    Disabled (`sink` None) when `enabled` is false; the bar only on a terminal unless `file` is given.
    """

    def __init__(self, step: str, total_bytes: int | None, by_input: bool, enabled: bool = True,
                 file: IO[str] | None = None, log_every: float = 30.0):
        self.step, self.total, self.by_input, self.enabled = step, total_bytes or None, by_input, enabled
        self.file, self.log_every = file, log_every
        self.folder: str | None = None
        #: Each input unit's size on disk by position (a step reading sources), for its sink.
        self.unit_sizes: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._bar: Any = None

    @property
    def sink(self) -> ProgressSink | None:
        return ProgressSink(self.folder) if self.folder else None

    def __enter__(self) -> "StepProgress":
        if not self.enabled:
            return self
        self.folder = tempfile.mkdtemp(prefix="roots-progress-")
        self._start = time.monotonic()
        stream = self.file if self.file is not None else sys.stderr
        if self.file is not None or stream.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=self.total, desc=self.step, unit="B", unit_scale=True, unit_divisor=1000,
                             file=stream, dynamic_ncols=True, leave=True)
        self._thread = threading.Thread(target=self._poll, name=f"progress-{self.step}", daemon=True)
        self._thread.start()
        return self

    def _measure(self) -> tuple[int, int]:
        docs, text, read = read_counts(self.folder) if self.folder else (0, 0, 0)
        return docs, (read if self.by_input else text)

    def _poll(self) -> None:
        last_log = time.monotonic()
        while not self._stop.wait(FLUSH_SECONDS):
            docs, nbytes = self._measure()
            if self._bar is not None:
                self._bar.n = nbytes
                self._bar.set_postfix_str(f"{docs:,} docs", refresh=False)
                self._bar.refresh()
            elif time.monotonic() - last_log >= self.log_every:
                last_log = time.monotonic()
                log.info(describe(self.step, docs, nbytes, self.total, last_log - self._start))

    def __exit__(self, *exc: Any) -> None:
        if not self.enabled:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        docs, nbytes = self._measure()
        self.documents, self.bytes = docs, nbytes
        if self._bar is not None:
            self._bar.n = nbytes
            self._bar.set_postfix_str(f"{docs:,} docs", refresh=False)
            self._bar.close()
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)
