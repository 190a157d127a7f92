"""The `roots` command: run a config, inspect sources, list the languages."""
from __future__ import annotations

import argparse
import importlib
import logging
import sys

DESCRIPTION = """\
roots turns raw multilingual text and source code into a curated training corpus.

  roots run examples/sample.yaml                 run every step of a config
  roots run CONFIG --output DIR -- --direct_num_workers 2 --direct_running_mode multi_processing
                                                 the same, with Beam options after `--`
  roots ingest CONFIG --output DIR [--source S]  read and normalise sources only, to inspect them
  roots languages                                the 46 natural and 13 programming languages
"""


#: Modules that add subcommands (see roots/commands/__init__.py).
COMMAND_MODULES: list[str] = ["roots.commands.datacard", "roots.commands.dedup", "roots.commands.filters", "roots.commands.lid", "roots.commands.pii", "roots.commands.tokenizer", "roots.commands.megatron",
                               "roots.commands.train", "roots.commands.doctor"]


def _split_beam_args(argv: list[str]) -> tuple[list[str], list[str]]:
    """Everything after a lone `--` is passed to Beam untouched."""
    if "--" in argv:
        cut = argv.index("--")
        return argv[:cut], argv[cut + 1:]
    return argv, []


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="roots", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    from roots import __version__

    parser.add_argument("-v", "--verbose", action="store_true", help="log every shard and unit, and Beam's own messages")
    parser.add_argument("--version", action="version", version=f"roots {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run every step of a config into a run directory",
                         description="Run every step of CONFIG into a run directory (resumes an interrupted run). "
                                     "Options after `--` go to Beam, e.g. -- --runner DataflowRunner --project P ...")
    run.add_argument("config", help="the run config (YAML), e.g. examples/sample.yaml")
    run.add_argument("--output", help="the run directory (default: the config's `output`)")
    run.add_argument("--engine", choices=("beam", "spark", "local"), default=None,
                     help="local (the default: a process pool on this machine, see --workers), beam (the default "
                          "when options follow --, which go to Beam: Dataflow, Flink) or spark (PySpark, see --master)")
    run.add_argument("--workers", type=int, default=None,
                     help="worker processes with --engine local (default: one per core)")
    run.add_argument("--master", default=None,
                     help="the Spark master with --engine spark, e.g. spark://host:7077 (default local[2]; "
                          "under spark-submit, spark-submit's)")
    run.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE",
                     help="a Spark setting with --engine spark, e.g. --conf spark.driver.memory=8g (repeatable)")
    run.add_argument("--strict", action="store_true",
                     help="exit 2 when the run ends with warnings (a source from which nothing survived, "
                          "a language too small for Megatron's split)")

    ingest = sub.add_parser("ingest", help="read and normalise sources into shards, for inspection",
                            description="Read the config's sources, normalise them, and write documents/ and "
                                        "rejected/ shards without the later stages.")
    ingest.add_argument("config", help="the run config (YAML)")
    ingest.add_argument("--output", required=True, help="where to write the shards")
    ingest.add_argument("--source", action="append", default=[],
                        help="only this source (by name); repeat for several")
    ingest.add_argument("--engine", choices=("beam", "local"), default=None,
                        help="local (the default: a process pool, see --workers) or beam (the default when options "
                             "follow --, which go to Beam)")
    ingest.add_argument("--workers", type=int, default=None,
                        help="worker processes with --engine local (default: one per core)")

    languages = sub.add_parser("languages", help="print the language registry",
                               description="Print the 46 natural and 13 programming languages and their settings "
                                           "(with --language-configs, merged with an overlay's).")
    from roots.commands.overlay import add_option
    add_option(languages)
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(sub)
    for command in sub.choices.values():   # `roots run CONFIG -v` as well as `roots -v run CONFIG`
        if not any("--verbose" in action.option_strings for action in command._actions):
            command.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                                 help="log every shard and unit, and Beam's own messages")
    return parser


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s", datefmt="%H:%M:%S")
    # Steps at info; every input unit and shard written at debug (--verbose), as is Beam's own chatter.
    logging.getLogger("roots").setLevel(logging.DEBUG if verbose else logging.INFO)
    if not verbose:
        logging.getLogger("apache_beam").setLevel(logging.ERROR)


def _cmd_languages(args: argparse.Namespace) -> int:
    from roots.commands.overlay import registry_of
    from roots.languages import format_table

    print(format_table(registry_of(args)))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; user errors are one line on stderr and exit code 2."""
    from roots.errors import RootsError

    own, beam_args = _split_beam_args(list(sys.argv[1:] if argv is None else argv))
    args = _parser().parse_args(own)
    _setup_logging(args.verbose)
    try:
        if args.command == "languages":
            return _cmd_languages(args)
        if args.command in ("run", "ingest"):
            from roots.commands.run import cmd_run

            return cmd_run(args, beam_args, ingest_only=args.command == "ingest")
        args.beam_args = beam_args
        return args.handler(args)
    except RootsError as err:
        print(f"roots: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        # The file system refused (no such folder, not a folder, no permission, disk full): one line naming
        # the path, not a traceback; with -v the traceback too.
        if args.verbose:
            raise
        where = f"{err.filename}: " if getattr(err, "filename", None) else ""
        print(f"roots: error: {where}{err.strerror or err} (a finished step or shard is kept; fix this and rerun "
              "to resume)", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("roots: interrupted; rerun the same command to resume (finished steps and shards are kept)",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
