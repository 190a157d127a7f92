"""The script spark-submit runs: `spark-submit [options] .../roots/pipelines/spark_main.py CONFIG
[--output DIR]` is `roots run CONFIG --engine spark` with spark-submit's master and configuration.
Its path: `python -c "import roots.pipelines.spark_main as m; print(m.__file__)"`."""
from __future__ import annotations

import sys

from roots.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", *sys.argv[1:], "--engine", "spark"]))
