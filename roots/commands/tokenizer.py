"""`roots tokenizer sample|train`: draw the language-balanced training text, train SentencePiece."""
from __future__ import annotations

import argparse
import os
import re


def register(sub) -> None:
    parser = sub.add_parser("tokenizer", help="draw the tokenizer training set and train SentencePiece",
                            description="The tokenizer: a language-balanced sample of the curated documents, "
                                        "and SentencePiece trained on it.")
    inner = parser.add_subparsers(dest="tokenizer_command", required=True, metavar="ACTION")

    sample = inner.add_parser("sample", help="draw the training text from RUN/documents",
                              description="Sample RUN/documents per language (p ∝ bytes^alpha), drop duplicate "
                                          "documents and lines, write train-<lang>-NNNNN.txt and sample.json.")
    sample.add_argument("documents", help="the run's documents folder (RUN/documents, with language=XX/ inside)")
    sample.add_argument("--output", required=True, help="where to write the text shards (e.g. RUN/tokenizer)")
    sample.add_argument("--alpha", type=float, default=0.3, help="sampling exponent (default 0.3; 1 = as the corpus, 0 = uniform)")
    sample.add_argument("--total-mb", type=float, default=1024.0, help="sample size before dedup, MB (default 1024)")
    sample.add_argument("--cap-mb", type=float, help="no language gives more than this many MB")
    sample.add_argument("--cap-share", type=float, help="no language gets more than this share of the sample")
    sample.add_argument("--code-share", type=float, help="programming languages together get this share")
    sample.add_argument("--seed", type=int, default=0, help="seed of the per-language draw (default 0)")
    sample.add_argument("--no-line-dedup", action="store_true", help="keep duplicate lines")
    sample.set_defaults(handler=_sample)

    train = inner.add_parser("train", help="train SentencePiece on text files",
                             description="Train SentencePiece (byte fallback, digits split, identity "
                                         "normalisation, whitespace kept) and write spm.model, spm.vocab and "
                                         "the Hugging Face tokenizer.json.")
    train.add_argument("--input", nargs="+", required=True,
                       help="text files, one sentence or line per line, or a folder holding train-*.txt")
    train.add_argument("--vocab-size", type=int, required=True, help="e.g. 250680 (BLOOM) or 32000")
    train.add_argument("--output", required=True, help="the folder for spm.model, spm.vocab, tokenizer.json")
    train.add_argument("--model-type", choices=("bpe", "unigram"), default="bpe",
                       help="SentencePiece's algorithm (default bpe, as BLOOM's tokenizer)")
    train.add_argument("--threads", type=int, default=2, help="SentencePiece trainer threads (default 2)")
    train.add_argument("--seed", type=int, default=0, help="SentencePiece's random seed (default 0)")
    train.add_argument("--no-hf", action="store_true", help="do not write the Hugging Face files")
    train.set_defaults(handler=_train)


def _sample(args: argparse.Namespace) -> int:
    from roots.config import ConfigError
    from roots.sampling import SamplingConfig, sample_for_tokenizer

    raw = {"alpha": args.alpha, "total_mb": args.total_mb, "cap_mb": args.cap_mb, "cap_share": args.cap_share,
           "code_share": args.code_share, "seed": args.seed, "line_dedup": not args.no_line_dedup}
    try:
        config = SamplingConfig.from_dict(raw, "roots tokenizer sample")
    except ConfigError as err:
        raise ConfigError(re.sub(r"key '(\w+)'", lambda m: "option --" + m.group(1).replace("_", "-"), str(err))) from None
    manifest = sample_for_tokenizer(args.documents, args.output, config)
    print("| language | available MB | p | written MB | share | duplicate lines |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for lang, info in manifest["languages"].items():
        print(f"| {lang} | {info['available_bytes'] / 1e6:.2f} | {info['probability']:.3f} | "
              f"{info['written_bytes'] / 1e6:.2f} | {manifest['shares'][lang]:.3f} | {info['duplicate_lines']} |")
    print(f"wrote {len(manifest['total']['files'])} files, {manifest['total']['written_bytes'] / 1e6:.2f} MB, "
          f"to {args.output} (manifest: sample.json)")
    return 0


def _train(args: argparse.Namespace) -> int:
    from roots.sampling import training_files
    from roots.tokenizer import TokenizerConfig, train_tokenizer

    config = TokenizerConfig.from_dict({"vocab_size": args.vocab_size, "model_type": args.model_type,
                                        "num_threads": args.threads, "seed": args.seed, "hf": not args.no_hf},
                                       "roots tokenizer train")
    inputs: list[str] = []
    for path in args.input:
        inputs.extend(training_files(path) if os.path.isdir(path) else [path])
    info = train_tokenizer(inputs, args.output, config)
    print(f"trained a {args.model_type} tokenizer of {info['vocab_size']} pieces on "
          f"{info['input_bytes'] / 1e6:.1f} MB in {info['seconds']:.1f} s: {', '.join(info['files'])} in {args.output}")
    return 0
