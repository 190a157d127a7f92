"""`roots run` and `roots ingest`: a config checked in full and run on an engine (roots.pipelines.api,
what `roots.run` calls too), each step's table printed as it ends."""
from __future__ import annotations

import argparse
import sys
from dataclasses import replace


def cmd_run(args: argparse.Namespace, beam_args: list[str], ingest_only: bool = False) -> int:
    """`roots run` / `roots ingest`: the same `roots.pipelines.api.execute` that `roots.run` calls, then the summary."""
    from roots.config import ConfigError, load_config
    from roots.pipelines.api import execute

    config = load_config(args.config, args.output)
    if ingest_only and args.source:
        chosen = tuple(s for s in config.sources if s.name in set(args.source))
        missing = sorted(set(args.source) - {s.name for s in chosen})
        if missing:
            raise ConfigError(f"{args.config}: no source named {', '.join(map(repr, missing))}")
        config = replace(config, sources=chosen)
    workers = getattr(args, "workers", None)
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers {workers}: expected at least 1")
    manifest = execute(config, getattr(args, "engine", None), beam_args, master=getattr(args, "master", None),
                       conf=spark_conf(getattr(args, "conf", [])), ingest_only=ingest_only, on_step=print_step,
                       workers=workers)
    for warning in manifest.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"run directory: {config.output}  (manifest: {manifest.path})")
    if manifest.warnings and getattr(args, "strict", False):
        print(f"roots: {len(manifest.warnings)} warning(s) and --strict: exit 2", file=sys.stderr)
        return 2
    return 0


def print_step(step: str, info: dict, skipped: bool) -> None:
    """A step's table as it ends, in pipeline order (a resumed run shows the finished ones first)."""
    from roots.api import format_steps

    text = format_steps({step: info})
    if text:
        note = " (finished earlier, resumed)" if skipped else (f" ({info['seconds']:.1f} s)" if "seconds" in info else "")
        head, sep, rest = text.partition(":")
        print(f"{head}{note}{sep}{rest}\n", flush=True)


def spark_conf(pairs: list[str]) -> dict[str, str]:
    """`--conf KEY=VALUE` settings as a dict; a malformed one is a one-line error."""
    from roots.config import ConfigError

    conf = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--conf {pair!r}: expected KEY=VALUE, e.g. spark.driver.memory=8g")
        conf[key.strip()] = value
    return conf
