"""`roots megatron build|merge|blend|inspect`: Megatron `.bin/.idx` shards from curated documents, and tools on them."""
from __future__ import annotations

import argparse


def register(sub) -> None:
    parser = sub.add_parser("megatron", help="tokenize documents into Megatron .bin/.idx shards, merge, inspect",
                            description="Megatron's indexed dataset: build shards from RUN/documents, merge "
                                        "shards, inspect a dataset.")
    inner = parser.add_subparsers(dest="megatron_command", required=True, metavar="ACTION")

    build = inner.add_parser("build", help="tokenize RUN/documents into <lang>_text_document_NNNNN shards",
                             description="Tokenize every language=XX/ of a documents folder with a SentencePiece "
                                         "model (EOD appended per document) into shards, plus index.json and "
                                         "blend.txt (`weight prefix` lines for --data-path). Beam options after `--`.")
    build.add_argument("documents", help="the run's documents folder (RUN/documents)")
    build.add_argument("--tokenizer", required=True, help="the SentencePiece model (RUN/tokenizer/spm.model)")
    build.add_argument("--output", required=True, help="the folder for the shards (RUN/megatron)")
    build.add_argument("--shard-target-mb", type=float, default=256.0, help="text MB per shard (default 256)")
    build.add_argument("--alpha", type=float, default=1.0, help="blend weights ∝ tokens^alpha (default 1)")
    build.add_argument("--workers", type=int, default=0, help="Beam local workers (multi-processing) when > 1")
    build.set_defaults(handler=_build)

    merge = inner.add_parser("merge", help="concatenate datasets into one",
                             description="Merge datasets (same token type) into OUTPUT, in the order given.")
    merge.add_argument("prefixes", nargs="+", help="dataset prefixes (without .bin/.idx)")
    merge.add_argument("--output", required=True, help="the merged dataset's prefix")
    merge.set_defaults(handler=_merge)

    blend = inner.add_parser("blend", help="print blend.txt as --data-path arguments under a given root",
                             description="Print a run's blend.txt (prefixes relative to its folder) as one line of "
                                         "Megatron --data-path arguments, each prefix under ROOT: where the trainer "
                                         "sees the megatron/ folder (default: the folder's absolute path here).")
    blend.add_argument("folder", help="the binaries' folder (RUN/megatron) or its blend.txt")
    blend.add_argument("--root", help="the folder's path on the training machine (default: its path here)")
    blend.set_defaults(handler=_blend)

    inspect = inner.add_parser("inspect", help="print a dataset's counts and decode a document",
                               description="Print the token type, sequence, document and token counts of a "
                                           "dataset, and decode one document with the tokenizer.")
    inspect.add_argument("prefix", help="the dataset prefix (without .bin/.idx)")
    inspect.add_argument("--document", type=int, default=0, help="which document to show (default 0)")
    inspect.add_argument("--tokenizer", help="the SentencePiece model, to decode the document")
    inspect.set_defaults(handler=_inspect)


def _build(args: argparse.Namespace) -> int:
    from roots.megatron import MegatronConfig
    from roots.pipelines.megatron import run_tokenize

    config = MegatronConfig.from_dict({"shard_target_mb": args.shard_target_mb, "alpha": args.alpha},
                                      "roots megatron build")
    beam_args = list(getattr(args, "beam_args", []) or [])
    if args.workers > 1:
        beam_args += ["--direct_num_workers", str(args.workers), "--direct_running_mode", "multi_processing"]
    index = run_tokenize(args.documents, args.tokenizer, args.output, config, beam_args)
    print("| language | documents | tokens | files |")
    print("| --- | ---: | ---: | ---: |")
    for lang, cell in index["languages"].items():
        print(f"| {lang} | {cell['documents']} | {cell['tokens']} | {cell['files']} |")
    print(f"wrote {len(index['files'])} datasets ({index['tokenizer']['dtype']}) to {args.output}; "
          f"--data-path weights in {args.output}/blend.txt (paths relative to that folder)")
    return 0


def _blend(args: argparse.Namespace) -> int:
    import os

    from roots.errors import RootsError

    path = os.path.join(args.folder, "blend.txt") if os.path.isdir(args.folder) else args.folder
    root = args.root or os.path.dirname(os.path.abspath(path))
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise RootsError(f"{path}: cannot read the blend file ({err.__class__.__name__})") from None
    words = []
    for n, line in enumerate(lines, 1):
        parts = line.split("#", 1)[0].split()
        if len(parts) % 2:
            raise RootsError(f"{path}:{n}: expected `weight prefix` pairs, got {line.strip()!r}")
        for weight, prefix in zip(parts[::2], parts[1::2]):
            words += [weight, prefix if os.path.isabs(prefix) else f"{root.rstrip('/')}/{prefix}"]
    print(" ".join(words))
    return 0


def _merge(args: argparse.Namespace) -> int:
    from roots.megatron import merge

    out = merge(args.prefixes, args.output)
    print(f"merged {len(args.prefixes)} datasets into {out.prefix}: {out.documents} documents, "
          f"{out.sequences} sequences, {out.tokens} tokens ({out.dtype})")
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from roots.megatron import IndexedDataset, MegatronError

    data = IndexedDataset(args.prefix)
    empty = int(((data.document_indices[1:] - data.document_indices[:-1]) == 0).sum()) if data.num_documents else 0
    print(f"{args.prefix}: {data.dtype.name}, {len(data)} sequences, {data.num_documents} documents "
          f"({empty} empty), {data.num_tokens} tokens")
    if data.num_documents == 0:
        return 0
    if not 0 <= args.document < data.num_documents:
        raise MegatronError(f"{args.prefix}: no document {args.document} (it has {data.num_documents})")
    tokens = data.document(args.document).tolist()
    print(f"document {args.document}: {len(tokens)} tokens: {tokens[:32]}{' ...' if len(tokens) > 32 else ''}")
    if args.tokenizer:
        from roots.tokenizer import load_sentencepiece

        sp = load_sentencepiece(args.tokenizer)
        print(sp.decode(tokens))
    return 0
