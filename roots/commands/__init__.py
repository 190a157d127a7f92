"""Subcommands of `roots` beyond run/ingest/languages, one module per family (`roots lid ...`).
Each module has `register(subparsers)`, which adds its parsers with `set_defaults(handler=f)`,
where `f(args) -> int` is the exit code."""
