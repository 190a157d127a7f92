"""The run entry: `roots.run` and `roots run` both come here. It checks a config in full (the core's schema,
then every stage built once, so a language's filters, word lists and models that do not resolve stop the
run before any work) and hands it to an engine. It lives above the core because it names the filters
and the engines; `roots.run` reaches it lazily (roots/__init__.py), so `import roots` stays light."""
from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any, Iterable

from roots.api import Run, open_run
from roots.api import load as load_schema
from roots.errors import ConfigError, RootsError

if TYPE_CHECKING:
    from roots.config import RunConfig
    from roots.stats import Manifest

ENGINES = ("beam", "spark", "local")


def check(config: "RunConfig") -> None:
    """What the schema cannot see, checked by building what the run builds: the curate stages (the quality
    stage resolves every language's filters, lists and models; user stages their `after:`) and the
    overlay's `filters:` sections (also when the quality stage is off). One ConfigError line on any problem."""
    from roots.config import overlaid
    from roots.filters.params import parse_filters
    from roots.pipelines.plan import curate_stages

    try:
        for lang in overlaid(config.registry()):
            parse_filters(lang)
        curate_stages(config)
    except ConfigError:
        raise
    except RootsError as err:
        raise ConfigError(str(err)) from None


def load(config: Any, output: str | os.PathLike | None = None) -> "RunConfig":
    """A RunConfig from a YAML path, a dict or a RunConfig (roots.api.load), checked in full (`check`)."""
    cfg = load_schema(config, output)
    check(cfg)
    return cfg


def choose_engine(engine: str | None, beam_args: list[str]) -> str:
    """The engine a run uses: the one named; else the local process pool, the faster and smaller one on
    one machine (BENCHMARKS.md, "Scale"), or Beam when Beam pipeline options are given (Dataflow, Flink)."""
    if engine is None:
        return "beam" if beam_args else "local"
    if beam_args and engine != "beam":
        raise ConfigError(f"Beam pipeline options ({' '.join(beam_args)}) need --engine beam, not {engine}")
    return engine


def execute(config: "RunConfig", engine: str | None = None, beam_args: Iterable[str] = (), master: str | None = None,
            conf: dict[str, str] | None = None, ingest_only: bool = False, on_step: Any = None,
            progress: bool = True, workers: int | None = None) -> "Manifest":
    """Run every step of `config` on `engine` (what `roots run` and `roots.run` both call): the local
    process pool with `workers` processes (default: one per core; the default engine), Beam with
    `beam_args` (its pipeline options; the default when there are some), or PySpark with `master` and
    `conf` settings. `on_step(name, manifest entry, skipped)` hears of each step as it ends; `progress`
    shows a bar per document step."""
    beam_args = list(beam_args)
    engine = choose_engine(engine, beam_args)
    if engine not in ENGINES:
        raise ConfigError(f"engine {engine!r} is not one of {', '.join(ENGINES)}")
    if not ingest_only:
        check(config)
    if engine == "spark":
        if ingest_only:
            raise ConfigError("ingest runs on the local and beam engines, not spark")
        from roots.pipelines.spark import run as run_spark

        return run_spark(config, master=master, conf=conf, on_step=on_step, progress=progress)
    if engine == "local":
        from roots.pipelines.local import run as run_local

        return run_local(config, workers=workers, ingest_only=ingest_only, on_step=on_step, progress=progress)
    logging.disable(logging.WARNING)   # Beam's GCP module warns at import about clients we do not use
    try:
        from roots.pipelines.runner import run as run_beam
    finally:
        logging.disable(logging.NOTSET)
    return run_beam(config, beam_args, ingest_only=ingest_only, on_step=on_step, progress=progress)


def run(config: Any, output: str | os.PathLike | None = None, engine: str | None = None, beam_args: Iterable[str] = (),
        master: str | None = None, conf: dict[str, str] | None = None, ingest_only: bool = False,
        workers: int | None = None) -> Run:
    """Run a config (YAML path, dict or RunConfig) into its run directory, as `roots run` does: it
    resumes an interrupted run and refuses a folder holding another. Returns the finished Run."""
    cfg = load_schema(config, output)
    execute(cfg, engine, beam_args, master, conf, ingest_only, workers=workers)
    return open_run(cfg.output)
