"""`roots datacard RUN_DIR [--output DIR]`: a run's data card (Hugging Face README.md and PNG plots): the core
card (roots.datacard) with the sections of the layers above it (the quality filters', roots.filters.tuning.card)."""
from __future__ import annotations

import argparse
import os


def register(sub: argparse._SubParsersAction) -> None:
    """Add `datacard` to the `roots` command."""
    p = sub.add_parser(
        "datacard", help="write a run's data card (Hugging Face README.md with plots)",
        description="Write the data card of a run directory: a Hugging Face dataset card (README.md with its YAML "
                    "metadata block: languages, licences, size, task, configs pointing at the shards) with the "
                    "sources, per-language counts in/kept/removed by reason, dedup clusters, PII spans, the "
                    "tokenizer and binaries, the filter thresholds and their sources, and PNG plots.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run directory made by `roots run`")
    p.add_argument("--output", help="the card's folder (default: RUN_DIR/datacard); the card's configs name the "
                                    "shards relative to it, so `datasets.load_dataset(OUTPUT)` loads them; "
                                    "--output RUN_DIR makes the run directory itself a Hub dataset")
    p.set_defaults(handler=cmd_datacard)


def cmd_datacard(args: argparse.Namespace) -> int:
    from roots.datacard import build_card
    from roots.filters.tuning.card import SECTION as QUALITY

    card = build_card(args.run_dir, args.output, [QUALITY])
    print(f"data card: {card.path} ({len(card.plots)} plots in {os.path.dirname(card.path)})")
    return 0
