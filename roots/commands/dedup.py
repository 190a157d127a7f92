"""`roots dedup`: exact and near-duplicate removal of document files (Parquet or JSONL in the run
directory's schema), on Beam's local FnApiRunner (`roots.pipelines.dedup.run_dedup_files`); kept and
rejected documents written as shards."""
from __future__ import annotations

import argparse
import logging
import re


def register(sub) -> None:
    parser = sub.add_parser(
        "dedup", help="remove exact and near duplicates from document files",
        description="Remove exact duplicates (same normalised text) and near duplicates (MinHash LSH, "
                    "Jaccard of shingles >= threshold) from Parquet/JSONL document files. Per language "
                    "unless --across-languages; always across sources. Kept documents go to OUTPUT/language=XX/, "
                    "rejections (dedup:exact, dedup:near, with the cluster and the kept id in meta) to "
                    "REJECTED/language=XX/.")
    parser.add_argument("--input", required=True, help="a document file, a folder of them, or a glob "
                                                       "(e.g. runs/x/documents)")
    parser.add_argument("--output", required=True, help="folder for the kept documents")
    parser.add_argument("--rejected", required=True, help="folder for the rejected documents")
    parser.add_argument("--threshold", type=float, default=0.8, help="Jaccard similarity of a near duplicate (default 0.8)")
    parser.add_argument("--ngram", type=int, default=5, help="words (code: tokens) per shingle (default 5)")
    parser.add_argument("--char-ngram", type=int, default=5, help="characters per shingle for Chinese and other unspaced scripts (default 5)")
    parser.add_argument("--num-perm", type=int, default=128, help="MinHash permutations (default 128)")
    parser.add_argument("--bands", type=int, default=0, help="LSH bands (default: chosen with --rows for --target-recall)")
    parser.add_argument("--rows", type=int, default=0, help="rows per LSH band")
    parser.add_argument("--target-recall", type=float, default=0.995,
                        help="chance that a pair exactly at the threshold becomes a candidate (default 0.995)")
    parser.add_argument("--no-verify", action="store_true", help="skip the exact-Jaccard check of candidate pairs")
    parser.add_argument("--no-exact", action="store_true", help="no exact dedup (copies are then found as near duplicates)")
    parser.add_argument("--no-near", action="store_true", help="exact dedup only")
    parser.add_argument("--across-languages", action="store_true", help="compare documents of different languages too")
    parser.add_argument("--exact-key", choices=("text", "url"), default="text", help="group exact duplicates by text (default) or by meta URL")
    parser.add_argument("--keep-score", default="", help="meta key of a quality score: the highest-scored copy is kept (default: smallest id)")
    parser.add_argument("--format", choices=("parquet", "jsonl"), default="parquet", help="output format (default parquet)")
    parser.add_argument("--shard-mb", type=float, default=256.0, help="target shard size per language, MB (default 256)")
    parser.add_argument("--workers", type=int, default=1, help="Beam worker processes (default 1)")
    parser.set_defaults(handler=_dedup)


def _dedup(args: argparse.Namespace) -> int:
    from roots.config import ConfigError
    from roots.dedup.config import DedupConfig
    from roots.dedup.files import expand_inputs

    raw = {"threshold": args.threshold, "ngram": args.ngram, "char_ngram": args.char_ngram, "num_perm": args.num_perm,
           "bands": args.bands, "rows": args.rows, "target_recall": args.target_recall, "verify": not args.no_verify,
           "exact": not args.no_exact, "near": not args.no_near, "scope": "all" if args.across_languages else "lang",
           "exact_key": args.exact_key, "keep_score": args.keep_score}
    try:
        config = DedupConfig.from_dict(raw, "roots dedup")
    except ConfigError as err:
        raise ConfigError(_as_options(str(err))) from None
    if args.shard_mb <= 0 or args.workers < 1:
        raise ConfigError("roots dedup: --shard-mb must be positive and --workers at least 1")
    for flag, folder in (("--output", args.output), ("--rejected", args.rejected)):
        suffix = next((s for s in (".jsonl", ".jsonl.gz", ".parquet", ".json") if folder.endswith(s)), None)
        if suffix:   # `--output kept.jsonl` once wrote a Parquet folder named kept.jsonl
            raise ConfigError(f"roots dedup: {flag} {folder} names a file, but the output is a folder of shards "
                              f"per language; give a folder (e.g. {folder[:-len(suffix)]}/) and --format "
                              f"{'jsonl' if 'json' in suffix else 'parquet'}")
    logging.disable(logging.WARNING)   # Beam's GCP module warns at import about clients we do not use
    try:
        from roots.pipelines.dedup import run_dedup_files   # the Beam pipeline, in the engine layer
    finally:
        logging.disable(logging.NOTSET)

    inputs = expand_inputs(args.input)
    counts, pairs, seconds = run_dedup_files(inputs, args.output, args.rejected, config, args.format, args.shard_mb,
                                             args.workers)
    bands, rows = config.bands_rows()
    print(f"| language | input | kept | {' | '.join(sorted({r for c in counts.values() for r in c} - {'kept'}))} |")
    reasons = sorted({r for c in counts.values() for r in c} - {"kept"})
    print("| --- | ---: | ---: |" + " ---: |" * len(reasons))
    for lang in sorted(counts):
        c = counts[lang]
        print(f"| {lang} | {sum(c.values())} | {c.get('kept', 0)} | " + " | ".join(str(c.get(r, 0)) for r in reasons) + " |")
    print(f"candidate pairs {pairs.get('candidate_pairs', 0)}, verified {pairs.get('verified_pairs', 0)}, "
          f"LSH false positives {pairs.get('lsh_false_positives', 0)}")
    print(f"{len(inputs)} files in {seconds:.1f} s; threshold {config.threshold}, {bands} bands × {rows} rows "
          f"(recall at the threshold {config.recall_at_threshold():.4f}); kept in {args.output}, rejected in {args.rejected}")
    return 0


def _as_options(message: str) -> str:
    """A config error reworded for the command line: key 'num_perm' → option --num-perm."""
    message = re.sub(r"'([a-z_]+)'", lambda m: "--" + m.group(1).replace("_", "-"), message)
    return message.replace("keys --", "options --").replace("key --", "option --")
