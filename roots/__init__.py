"""roots: raw multilingual text and code in, a curated training corpus out.

The Python API (README, "Python API"): `roots.run(config, output=...)` runs a config as `roots run`
does and returns a `roots.Run`; `roots.open_run(path)` reads a run directory; `roots.apply(stages, docs)`
runs stages on documents in memory. Names are imported on first use, so `import roots` stays light
(no Beam, Spark or pyarrow).
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"
#: The name roots is installed under (`pip install roots-corpus`); "roots" on PyPI is an unrelated project.
DISTRIBUTION = "roots-corpus"

#: Public name → the module that defines it, imported on first access (PEP 562).
_LAZY = {
    "run": "roots.pipelines.api", "open_run": "roots.api", "apply": "roots.api", "Run": "roots.api",
    "Document": "roots.document", "Reason": "roots.document", "Rejection": "roots.document",
}
__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'roots' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
