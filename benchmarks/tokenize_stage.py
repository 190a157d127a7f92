"""Tokens per CPU-second of the binarisation step (documents → SentencePiece → Megatron .bin/.idx), on
the same documents and the same tokenizer, side by side in one run:

- roots: the Beam `Tokenize` stage through `run_tokenize` (FnApiRunner, one worker): read Parquet, encode
  in batches, shard by id, sort, write `.bin/.idx`, index.json and blend.txt;
- a bare loop: pyarrow read + SentencePiece batch encoding + numpy writes, nothing else (the floor);
- datatrove 0.10.1: ParquetReader → MegatronDocumentTokenizer with the Hugging Face `tokenizer.json` that
  roots writes from the same SentencePiece model (the same ids: tests/test_tokenizer.py checks it),
  run by its LocalPipelineExecutor (1 task) in `--peers-python`, with Rayon held to one thread;
- optionally Megatron-LM's `tools/preprocess_data.py --append-eod --workers 1` (`--preprocess-data PYTHON
  SCRIPT`: a Python with megatron-core and the script from a Megatron-LM checkout) on the same documents
  as JSONL (its time includes importing megatron-core).

    python benchmarks/tokenize_stage.py --mb 100 [--peers-python .venv-peers/bin/python]

The documents are FLORES-200 sentences (../shared/data) grouped ten to a document per language,
regrouped with seeded shuffles until the corpus has --mb MB; the tokenizer is a 32k BPE trained by roots
on FLORES. CPU seconds are user + system of the process and its children. Prints a Markdown table.
"""
from __future__ import annotations

import sys
from pathlib import Path

# This file's name shadows the standard library's `tokenize` when run as a script: drop its folder.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import gzip
import itertools
import json
import os
import random
import resource
import shutil
import subprocess
import tempfile
import textwrap
import time

import numpy as np
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
FLORES = ROOT.parent / "shared" / "data" / "flores"


def cpu_seconds() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def make_documents(folder: Path, megabytes: float, seed: int = 0) -> tuple[int, int, list[str]]:
    """RUN/documents from FLORES: per language, documents of ten sentences; returns (docs, bytes, sentences)."""
    from roots.document import Document, documents_to_table
    from roots.rundir import lang_folder, shard_path, write_shard

    by_lang: dict[str, list[str]] = {}
    for split in ("train", "dev"):
        with gzip.open(FLORES / f"flores200_{split}.jsonl.gz", "rt", encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                by_lang.setdefault(row["flores"], []).append(row["text"])
    rng = random.Random(seed)
    docs: dict[str, list[Document]] = {lang: [] for lang in by_lang}
    total, rounds = 0, 0
    while total < megabytes * 1e6:
        for lang, sentences in sorted(by_lang.items()):
            order = sentences[:]
            rng.shuffle(order)
            for i in range(0, len(order), 10):
                text = "\n".join(order[i:i + 10])
                docs[lang].append(Document(id=f"{lang}/{rounds:03d}/{i:05d}", text=text, lang=lang, source="flores"))
                total += len(text.encode("utf-8"))
        rounds += 1
    for lang, items in docs.items():
        items.sort(key=lambda d: d.id)
        write_shard(documents_to_table(items), shard_path(str(folder / lang_folder(lang)), 0, 1, "parquet"), "parquet")
    sentences = [s for lang in sorted(by_lang) for s in by_lang[lang]]
    return sum(len(v) for v in docs.values()), total, sentences


def run_roots(documents: Path, model: Path, out: Path) -> dict:
    from roots.megatron import MegatronConfig
    from roots.pipelines.megatron import run_tokenize

    wall, cpu = time.perf_counter(), cpu_seconds()
    index = run_tokenize(str(documents), str(model), str(out), MegatronConfig())
    return {"tokens": sum(c["tokens"] for c in index["languages"].values()),
            "wall": time.perf_counter() - wall, "cpu": cpu_seconds() - cpu}


def run_bare(documents: Path, model: Path, out: Path) -> dict:
    import sentencepiece as spm

    from roots.rundir import LANG_FOLDER_GLOB, folder_lang

    wall, cpu = time.perf_counter(), cpu_seconds()
    sp = spm.SentencePieceProcessor(model_file=str(model))
    eos, tokens = sp.eos_id(), 0
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(documents.glob(f"{LANG_FOLDER_GLOB}/*.parquet")):
        with open(out / (f"{folder_lang(str(path.parent))}.bin"), "wb") as fh:
            for batch in pq.ParquetFile(path).iter_batches(batch_size=1024, columns=["text"]):
                encoded = sp.encode(batch.column(0).to_pylist())
                for ids in encoded:
                    ids.append(eos)
                flat = np.fromiter(itertools.chain.from_iterable(encoded), dtype=np.uint16)
                fh.write(flat.tobytes())
                tokens += flat.size
    return {"tokens": tokens, "wall": time.perf_counter() - wall, "cpu": cpu_seconds() - cpu}


DATATROVE = textwrap.dedent("""
    import json, os, resource, sys, time
    def cpu():
        a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime
    wall, c = time.perf_counter(), cpu()
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import ParquetReader
    from datatrove.pipeline.tokens.megatron_tokenizer import MegatronDocumentTokenizer
    docs, tok, out, logs, shards = sys.argv[1:6]
    LocalPipelineExecutor(pipeline=[
        ParquetReader(docs, glob_pattern=shards, text_key="text", id_key="id"),
        MegatronDocumentTokenizer(output_folder=out, tokenizer_name_or_path=tok, eos_token="</s>"),
    ], tasks=1, workers=1, logging_dir=logs).run()
    idx = [f for f in os.listdir(out) if f.endswith(".idx")]
    import numpy as np
    tokens = sum(os.path.getsize(os.path.join(out, f[:-4] + ".bin")) // 2 for f in idx)
    print(json.dumps({"tokens": tokens, "wall": time.perf_counter() - wall, "cpu": cpu() - c}))
""")


def run_datatrove(python: str, documents: Path, tokenizer_json: Path, out: Path) -> dict:
    from roots.rundir import LANG_FOLDER_GLOB

    env = dict(os.environ, RAYON_NUM_THREADS="1", RAYON_RS_NUM_CPUS="1", TOKENIZERS_PARALLELISM="false")
    proc = subprocess.run([python, "-c", DATATROVE, str(documents), str(tokenizer_json), str(out), str(out / "logs"),
                           f"{LANG_FOLDER_GLOB}/*.parquet"],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"datatrove failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_preprocess_data(python: str, script: str, documents: Path, model: Path, out: Path) -> dict:
    from roots.rundir import LANG_FOLDER_GLOB

    out.mkdir(parents=True, exist_ok=True)
    jsonl = out / "docs.jsonl"
    with open(jsonl, "w", encoding="utf-8") as fh:
        for path in sorted(documents.glob(f"{LANG_FOLDER_GLOB}/*.parquet")):
            for text in pq.read_table(path, columns=["text"]).column(0).to_pylist():
                fh.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")
    wall, cpu = time.perf_counter(), cpu_seconds()
    proc = subprocess.run([python, script, "--input", str(jsonl), "--output-prefix", str(out / "mlm"),
                           "--tokenizer-type", "GPTSentencePieceTokenizer", "--tokenizer-model", str(model),
                           "--append-eod", "--workers", "1", "--log-interval", "1000000"], capture_output=True, text=True)
    result = {"wall": time.perf_counter() - wall, "cpu": cpu_seconds() - cpu}
    if proc.returncode != 0 or not (out / "mlm_text_document.bin").is_file():
        raise SystemExit(f"preprocess_data.py failed:\n{proc.stderr[-3000:]}")
    result["tokens"] = os.path.getsize(out / "mlm_text_document.bin") // 2
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=100.0, help="corpus size in MB (default 100)")
    parser.add_argument("--vocab", type=int, default=32_000)
    parser.add_argument("--peers-python", default=str(ROOT / ".venv-peers" / "bin" / "python"))
    parser.add_argument("--preprocess-data", nargs=2, metavar=("PYTHON", "SCRIPT"),
                        help="a Python with megatron-core, and Megatron-LM's tools/preprocess_data.py")
    parser.add_argument("--workdir", help="keep the data here (default: a temporary folder)")
    args = parser.parse_args()
    if not FLORES.is_dir():
        raise SystemExit(f"needs FLORES-200 in {FLORES}")
    work = Path(args.workdir or tempfile.mkdtemp(prefix="roots-tokenize-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        from roots.tokenizer import TokenizerConfig, train_tokenizer

        n_docs, n_bytes, sentences = make_documents(work / "documents", args.mb)
        (work / "train.txt").write_text("\n".join(sentences) + "\n", encoding="utf-8")
        train_tokenizer([str(work / "train.txt")], str(work / "tokenizer"), TokenizerConfig(vocab_size=args.vocab))
        model, tok_json = work / "tokenizer" / "spm.model", work / "tokenizer" / "tokenizer.json"
        print(f"{n_docs:,} documents, {n_bytes / 1e6:.1f} MB, {args.vocab:,}-piece BPE", file=sys.stderr)
        rows = [("roots Tokenize (Beam FnApiRunner, 1 worker)", run_roots(work / "documents", model, work / "roots")),
                ("bare loop: pyarrow + SentencePiece batch encode + numpy writes", run_bare(work / "documents", model, work / "bare"))]
        if Path(args.peers_python).exists():
            rows.append(("datatrove 0.10.1 MegatronDocumentTokenizer (HF tokenizers, 1 thread)",
                         run_datatrove(args.peers_python, work / "documents", tok_json, work / "datatrove")))
        if args.preprocess_data:
            rows.append(("Megatron-LM tools/preprocess_data.py --workers 1",
                         run_preprocess_data(*args.preprocess_data, work / "documents", model, work / "mlm")))
        base = rows[0][1]["tokens"] / rows[0][1]["cpu"]
        print("| pipeline | tokens | wall s | CPU s | tokens per CPU-second | vs roots |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for name, r in rows:
            rate = r["tokens"] / r["cpu"]
            print(f"| {name} | {r['tokens']:,} | {r['wall']:.1f} | {r['cpu']:.1f} | {rate / 1e6:.2f} M | {rate / base:.2f} |")
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
