"""`roots lid train|predict|eval|calibrate`: train our fastText LID model, label JSONL records with a
language, measure accuracy per language and noise rejection on labelled data, and recompute the
per-language minimum scores of the language configs (roots.lid)."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from roots.commands.overlay import add_option, registry_of

log = logging.getLogger(__name__)

EPILOG = """\
examples:
  roots lid train --input ../shared/data/flores/flores200_train.jsonl.gz --label-field flores --output lid-roots.ftz
  roots lid eval --input ../shared/data/flores/flores200_dev.jsonl.gz --label-field flores
  roots lid predict --input docs.jsonl --output docs.lid.jsonl            (the bundled model and lid.176)
  roots lid calibrate --input ../shared/data/flores/flores200_dev.jsonl.gz --label-field flores --write
"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add `roots lid` and its three subcommands."""
    from roots.lid import DEFAULT_MAX_CHARS, MIN_SCORE_FLOOR, TARGET_PRECISION, TrainParams

    lid = sub.add_parser("lid", help="language identification: train, predict, evaluate",
                         description="Language identification with fastText: lid.176 (bundled with "
                                     "the package) and/or our own model trained by `roots lid train`.",
                         epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    cmds = lid.add_subparsers(dest="lid_command", required=True, metavar="SUBCOMMAND")

    d = TrainParams()
    train = cmds.add_parser("train", help="train our fastText LID model on labelled JSONL",
                            description="Train a fastText supervised LID model on JSONL records. Labels that "
                                        "name a registry language (its code, or a label of its `lid` config such "
                                        "as the FLORES code swh_Latn) become that language; every other label "
                                        "becomes `other`, at most --other-cap texts each.")
    train.add_argument("--input", required=True, help="labelled JSONL (.gz/.zst by suffix)")
    train.add_argument("--label-field", required=True, help="the field holding each record's language label")
    train.add_argument("--text-field", default="text", help="the field holding the text (default: text)")
    train.add_argument("--output", required=True, help="where to write the model file")
    train.add_argument("--dim", type=int, default=d.dim, help=f"vector size (default {d.dim})")
    train.add_argument("--epoch", type=int, default=d.epoch, help=f"epochs (default {d.epoch})")
    train.add_argument("--lr", type=float, default=d.lr, help=f"learning rate (default {d.lr})")
    train.add_argument("--minn", type=int, default=d.minn, help=f"shortest character n-gram (default {d.minn})")
    train.add_argument("--maxn", type=int, default=d.maxn, help=f"longest character n-gram (default {d.maxn})")
    train.add_argument("--bucket", type=int, default=d.bucket, help=f"n-gram hash buckets (default {d.bucket})")
    train.add_argument("--other-cap", type=int, default=d.other_cap,
                       help=f"texts kept per label that is not a registry language (default {d.other_cap})")
    train.add_argument("--seed", type=int, default=d.seed, help=f"seed of sampling, shuffling and fastText (default {d.seed})")
    train.add_argument("--threads", type=int, default=d.threads,
                       help=f"fastText threads (default {d.threads}: only one thread gives a byte-identical model)")
    train.add_argument("--noise-examples", type=int, default=d.noise_examples,
                       help=f"junk texts of the noise class, made from the training texts (default {d.noise_examples}; 0: none)")
    train.add_argument("--no-quantize", dest="quantize", action="store_false",
                       help="keep the full model (tens of MB on FLORES) instead of a quantized one (about 2 MB)")
    add_option(train)
    train.set_defaults(handler=_train)

    for name, helptext in (("predict", "add `lang`, `lid_score`, `lid_label` and `lid_reason` to each JSONL record"),
                           ("eval", "accuracy per language, macro accuracy, confusions and noise rejection on labelled JSONL"),
                           ("calibrate", "minimum scores per language and model for a target precision, from labelled "
                                         "held-back JSONL and held-out junk; --write puts them in the language configs")):
        p = cmds.add_parser(name, help=helptext, description=helptext[0].upper() + helptext[1:] + ".")
        p.add_argument("--input", required=True, help="JSONL (.gz/.zst by suffix)")
        if name == "predict":
            p.add_argument("--output", required=True, help="where to write the JSONL with `lang` and `lid_score`")
        else:
            p.add_argument("--label-field", required=True, help="the field holding the gold language label")
            p.add_argument("--json", action="store_true",
                           help='print one JSON object {"macro_accuracy", "per_language", "n", ...}')
            p.add_argument("--noise", type=int, default=2000,
                           help="held-out junk texts made from the input's texts (roots.lid_noise.heldout; default 2000, 0: none)")
        if name == "calibrate":
            p.add_argument("--target", type=float, default=TARGET_PRECISION,
                           help=f"precision each language's minimum score is set for (default {TARGET_PRECISION})")
            p.add_argument("--floor", type=float, default=MIN_SCORE_FLOOR,
                           help=f"lowest minimum score allowed (default {MIN_SCORE_FLOOR})")
            p.add_argument("--write", action="store_true",
                           help="write min_score and min_score_from into the lid block of each language config")
            p.add_argument("--configs", help="folder of the language configs to write: an overlay folder (default: the package's, "
                                "in a source checkout only)")
        p.add_argument("--text-field", default="text", help="the field holding the text (default: text)")
        p.add_argument("--model", default="bundled",
                       help="our model: `bundled` (shipped in the package, default), `none`, or a file from `roots lid train`")
        p.add_argument("--lid176", default="bundled",
                       help="the pretrained model: `bundled` (the lid.176.ftz shipped in the package, default), "
                            "`none`, or the path of another fastText LID model")
        p.add_argument("--max-chars", type=int, default=DEFAULT_MAX_CHARS,
                       help=f"characters of each text scored (default {DEFAULT_MAX_CHARS})")
        add_option(p)
        p.set_defaults(handler={"predict": _predict, "eval": _eval, "calibrate": _calibrate}[name])


def _identifier(args: argparse.Namespace):
    """Check the model files (one line naming a bad one, before any work) and load them."""
    from roots.lid import (BUNDLED, BUNDLED_MODEL, LID176, ROOTS, Identifier, LidError, check_model_file, lid176_path,
                           load_policies)

    paths = {}
    if args.lid176 == "bundled":
        paths[LID176] = lid176_path()
    elif args.lid176 != "none":
        paths[LID176] = args.lid176
    if args.model == BUNDLED:
        paths[ROOTS] = str(BUNDLED_MODEL)
    elif args.model != "none":
        paths[ROOTS] = args.model
    if not paths:
        raise LidError("no LID model: leave --model or --lid176 at `bundled`, or give a model file")
    if args.max_chars <= 0:
        raise LidError(f"--max-chars must be positive, got {args.max_chars}")
    for path in paths.values():
        check_model_file(path)
    return Identifier.load(paths, load_policies(registry_of(args)), max_chars=args.max_chars)


def _train(args: argparse.Namespace) -> int:
    from roots.lid import LidError, TrainParams, train_model

    for key in ("dim", "epoch", "minn", "maxn", "bucket", "threads"):
        if getattr(args, key) <= 0 and not (key == "minn" and args.minn == 0):
            raise LidError(f"--{key} must be positive, got {getattr(args, key)}")
    if args.minn > args.maxn:
        raise LidError(f"--minn {args.minn} is larger than --maxn {args.maxn}")
    params = TrainParams(dim=args.dim, epoch=args.epoch, lr=args.lr, minn=args.minn, maxn=args.maxn,
                         bucket=args.bucket, other_cap=args.other_cap, seed=args.seed, threads=args.threads,
                         quantize=args.quantize, noise_examples=args.noise_examples)
    from roots.lid import load_policies

    report = train_model(args.input, args.label_field, args.output, args.text_field, params,
                         load_policies(registry_of(args)))
    labels = ", ".join(f"{k} {v}" for k, v in report.examples.items())
    print(f"trained {report.output} ({report.bytes / 1e6:.1f} MB) in {report.seconds:.0f} s on "
          f"{sum(report.examples.values())} texts; {report.other_sources} labels outside the registry\n{labels}")
    return 0


def _predict(args: argparse.Namespace) -> int:
    from roots.lid import read_jsonl_records, write_jsonl_line

    ident = _identifier(args)
    out_dir = os.path.dirname(os.path.abspath(args.output))
    os.makedirs(out_dir, exist_ok=True)
    tmp = f"{args.output}.tmp-{os.getpid()}"
    written = skipped = 0
    try:
        with open(tmp, "wb") as fh:
            batch: list[dict] = []

            def flush() -> None:
                texts = [r[args.text_field] for r in batch]
                for record, pred in zip(batch, ident.identify_raw(texts)):
                    record["lang"] = pred.code
                    record["lid_score"] = pred.score
                    record["lid_label"] = pred.label
                    record["lid_reason"] = pred.reason
                    write_jsonl_line(fh, record)

            for _, obj in read_jsonl_records(args.input):
                if not isinstance(obj, dict) or not isinstance(obj.get(args.text_field), str):
                    skipped += 1
                    continue
                batch.append(obj)
                written += 1
                if len(batch) >= 1024:
                    flush()
                    batch = []
            flush()
        os.replace(tmp, args.output)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    note = f"; skipped {skipped} lines without a string {args.text_field!r}" if skipped else ""
    print(f"wrote {written} records to {args.output}{note}", file=sys.stderr)
    return 0


def _labelled_and_junk(args: argparse.Namespace) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The labelled records, and held-out junk made from their texts (--noise of them)."""
    from roots import lid_noise
    from roots.lid import LidError, labelled_texts

    if args.noise < 0:
        raise LidError(f"--noise must be 0 or more, got {args.noise}")
    records = list(labelled_texts(args.input, args.text_field, args.label_field))
    junk = lid_noise.heldout([t for t, _ in records], args.noise) if args.noise else []
    return records, junk


def _eval(args: argparse.Namespace) -> int:
    from roots.lid import evaluate, format_eval

    ident = _identifier(args)
    records, junk = _labelled_and_junk(args)
    report = evaluate(ident, records, noise=junk)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, sort_keys=True))
    else:
        print(format_eval(report))
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from roots.languages import default_directory
    from roots.lid import LidError, calibrate, write_min_scores

    if not 0.0 < args.target <= 1.0 or not 0.0 <= args.floor <= 1.0:
        raise LidError(f"--target must be in (0, 1] and --floor in [0, 1], got {args.target} and {args.floor}")
    ident = _identifier(args)
    records, junk = _labelled_and_junk(args)
    result = calibrate(ident, records, junk, target=args.target, floor=args.floor)
    if args.json:
        print(json.dumps({"noise_min_score": result.noise_min_score, "other_min_score": result.other_min_score,
                          "junk_as_noise": result.junk_as_noise,
                          "languages": result.languages,
                          "source": result.source, "unmet": result.unmet}, sort_keys=True))
    else:
        print(f"noise_min_score: {result.noise_min_score} (held-out junk called noise: {result.junk_as_noise})\n"
              f"other_min_score: {result.other_min_score}")
        for code, roles in result.languages.items():
            print(f"{code:<8} " + "  ".join(f"{role} {v['min_score']:.2f} (precision {v['precision']:.3f}, "
                                             f"recall {v['recall']:.3f})" for role, v in sorted(roles.items())))
        if result.unmet:
            print(f"precision target {args.target} not reached: {', '.join(result.unmet)}")
    if args.write:
        target = args.configs or str(default_directory())
        if not args.configs and any(part in ("site-packages", "dist-packages") for part in Path(target).parts):
            raise LidError(f"--write: {target} is the installed package's configs; pass --configs DIR, an overlay "
                           "folder that your run config's `language_configs:` names")
        files = write_min_scores(result, target)
        print(f"wrote min_score to {len(files)} language configs", file=sys.stderr)
    return 0
