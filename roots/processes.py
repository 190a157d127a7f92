"""Worker processes that do not run the caller's script again. Python's spawn and fork-server start
methods import the `__main__` module in every new process, so a script that calls `roots.run(...)` at its
top level (no `if __name__ == "__main__":` guard) would start itself again in each worker, which then
fails on the run's lock. Nothing roots hands to a worker lives in `__main__` (stages, models and tasks
come from importable modules), so while roots starts and uses its workers, `__main__` is hidden from
multiprocessing."""
from __future__ import annotations

import contextlib
import sys
from typing import Iterator

_HIDDEN = ("__file__", "__spec__")


@contextlib.contextmanager
def main_not_reimported() -> Iterator[None]:
    """Within the block, new worker processes do not import the caller's `__main__` module: its
    `__file__` and `__spec__` (what multiprocessing reads to re-import it) are removed and put back after."""
    main = sys.modules.get("__main__")
    saved = {k: main.__dict__[k] for k in _HIDDEN if main is not None and k in main.__dict__}
    try:
        if main is not None:
            main.__dict__.pop("__file__", None)
            main.__spec__ = None   # read as an attribute: it must exist
        yield
    finally:
        if main is not None:
            if "__spec__" not in saved:
                del main.__dict__["__spec__"]
            main.__dict__.update(saved)
