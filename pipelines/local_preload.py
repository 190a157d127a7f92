"""Imported by the local engine's fork server before it forks any worker: runs the set-up the driver
left in the file named by ROOTS_LOCAL_PRELOAD (a pickled list of callables, e.g. building spaCy
tokenizers), so each worker inherits the result instead of building it again. Best effort: a call
that fails is skipped, and the workers set it up themselves as usual (and report any error there)."""
from __future__ import annotations

import os
import pickle

#: The environment variable naming the pickled calls (set by the driver only while it starts the pool).
ENV = "ROOTS_LOCAL_PRELOAD"


def run_preload(path: str) -> int:
    """Run the calls pickled in `path`; returns how many succeeded."""
    try:
        with open(path, "rb") as fh:
            calls = pickle.load(fh)
    except Exception:   # noqa: BLE001  (a fork server must start whatever happens here)
        return 0
    done = 0
    for call in calls:
        try:
            call()
        except Exception:   # noqa: BLE001
            continue
        done += 1
    return done


if os.environ.get(ENV):
    run_preload(os.environ[ENV])
