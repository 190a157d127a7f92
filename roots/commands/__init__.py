"""Subcommands of `roots` beyond run/ingest/languages, one module per family (`roots lid ...`); `run.py`
holds what `roots run` and `roots ingest` do (parsed in roots/cli.py). This is the CLI layer: it may
import the filters and the engines, which the core (roots/) does not.
Each module has `register(subparsers)`, which adds its parsers with `set_defaults(handler=f)`,
where `f(args) -> int` is the exit code."""
