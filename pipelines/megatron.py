"""The binarisation step: curated documents → SentencePiece tokens → Megatron `.bin/.idx` shards
`megatron/<lang>_text_document_<NNNNN>` and the blend file for `--data-path`.

Each input unit is one document shard (`documents/language=XX/part-*.parquet`). A worker loads the
SentencePiece model once (`setup`), reads its file in record batches and encodes each batch in one call;
documents are assigned to Megatron shard `stable_hash(id) mod N` of their language (N from the text
bytes in the Parquet metadata and `shard_target_mb`) and travel to the writer as a few large numpy
arrays per shard, not one element per document. One worker writes each shard with its documents sorted
by id: the same documents and model give byte-identical shards on any runner and worker count.

Chunks do not cross a shuffle either: an encoder writes each chunk to a spill file (`save_chunk`, named
by its content, so a retried task writes the same name) and hands on only (shard key, path); the shard's
writer reads them back (`load_chunk`). The Beam graph (pipelines/megatron_beam.py) and the local pool
(pipelines/local.py) both work this way.
"""
from __future__ import annotations

import glob
import hashlib
import io
import logging
import os
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from roots import fs
from roots.megatron import (IndexedDatasetWriter, MegatronConfig, blend_lines, dtype_for_vocab, encode_documents,
                            eod_id, shard_prefix)
from roots.rundir import column_bytes, iter_batches, shard_count, shard_of, write_json
from roots.sampling import language_files, language_sampling
from roots.tokenizer import load_sentencepiece

log = logging.getLogger(__name__)

INDEX_FILE = "index.json"
BLEND_FILE = "blend.txt"
#: Buffered tokens after which an encoder hands its chunks on (bounds a worker's memory).
FLUSH_TOKENS = 32_000_000

#: An input unit: (language, document shard path, number of Megatron shards of the language).
Unit = tuple[str, str, int]
#: What travels from encoders to a shard writer: (ids, document lengths, flat tokens).
Chunk = tuple[list[str], np.ndarray, np.ndarray]


def plan_units(documents_dir: str, config: MegatronConfig, sizes: dict[str, int] | None = None) -> list[Unit]:
    """Every document shard of the chosen languages with its language's Megatron shard count, sorted.
    `sizes` (text bytes per language, e.g. from the run manifest's counts) decides the counts; without
    it they are estimated from the Parquet metadata (uncompressed column size, so repetitive text that
    Parquet dictionary-encodes looks smaller)."""
    files = language_files(documents_dir)
    if config.languages is not None:
        files = {l: p for l, p in files.items() if l in set(config.languages)}
    units = []
    for lang, paths in sorted(files.items()):
        nbytes = sizes[lang] if sizes and lang in sizes else sum(column_bytes(p, "text") for p in paths)
        total = shard_count(nbytes, config.shard_target_mb)
        units.extend((lang, p, total) for p in paths)
    return units


def _batches(path: str, batch_size: int) -> Iterator[tuple[list[str], list[str]]]:
    for batch in iter_batches(path, ["id", "text"], batch_size):
        yield batch.column("id").to_pylist(), batch.column("text").to_pylist()


def gather(flat: np.ndarray, lengths: np.ndarray, order: np.ndarray) -> np.ndarray:
    """The variable-length segments of `flat` (sizes `lengths`) rearranged in `order`, vectorised."""
    starts = np.zeros(lengths.size, dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    sel = lengths[order]
    total = int(sel.sum())
    if total == 0:
        return flat[:0]
    out_starts = np.zeros(sel.size, dtype=np.int64)
    np.cumsum(sel[:-1], out=out_starts[1:])
    return flat[np.arange(total, dtype=np.int64) + np.repeat(starts[order] - out_starts, sel)]


def encode_unit(sp: Any, eod: int, dtype: np.dtype, config: MegatronConfig,
                unit: Unit) -> Iterator[tuple[tuple[str, int], Chunk]]:
    """One document shard read and encoded in batches → ((lang, shard), Chunk) per Megatron shard its
    documents go to, handed on every FLUSH_TOKENS tokens. Engine-free (Beam and Spark call it)."""
    lang, path, total = unit
    parts: list[tuple[list[str], np.ndarray, np.ndarray]] = []
    buffered = 0
    for ids, texts in _batches(path, config.batch_size):
        flat, lengths = encode_documents(sp, texts, eod, dtype, config.num_threads)
        parts.append((ids, lengths, flat))
        buffered += flat.size
        if buffered >= FLUSH_TOKENS:
            yield from _split(lang, total, parts)
            parts, buffered = [], 0
    if parts:
        yield from _split(lang, total, parts)


def _split(lang: str, total: int, parts: list) -> Iterator[tuple[tuple[str, int], Chunk]]:
    ids = [i for p in parts for i in p[0]]
    lengths = np.concatenate([p[1] for p in parts])
    flat = np.concatenate([p[2] for p in parts])
    shards = np.fromiter((shard_of(i, total) for i in ids), dtype=np.int64, count=len(ids))
    order = np.argsort(shards, kind="stable")
    tokens = gather(flat, lengths, order)
    sorted_shards = shards[order]
    bounds = np.flatnonzero(np.diff(sorted_shards)) + 1
    doc_starts = np.concatenate([[0], bounds])
    doc_ends = np.concatenate([bounds, [len(ids)]])
    sel_lengths = lengths[order]
    tok_offsets = np.concatenate([[0], np.cumsum(sel_lengths)])
    for a, b in zip(doc_starts.tolist(), doc_ends.tolist()):
        idx = order[a:b]
        yield (lang, int(sorted_shards[a])), ([ids[i] for i in idx.tolist()], sel_lengths[a:b],
                                              tokens[tok_offsets[a]:tok_offsets[b]])


def save_chunk(folder: str, chunk: Chunk) -> str:
    """`chunk` as one `.npz` file under `folder` (local or remote), named by the hash of its content."""
    ids, lengths, tokens = chunk
    buffer = io.BytesIO()
    np.savez(buffer, ids=np.array(ids, dtype=str), lengths=lengths, tokens=tokens)
    data = buffer.getvalue()
    path = fs.join(folder, f"chunk-{hashlib.sha256(data).hexdigest()[:40]}.npz")
    if not fs.exists(path):
        fs.makedirs(folder)
        with fs.open_file(path, "wb") as fh:
            fh.write(data)
    return path


def load_chunk(path: str) -> Chunk:
    """A chunk written by `save_chunk`."""
    with fs.open_file(path, "rb") as fh:
        data = np.load(io.BytesIO(fh.read()))
        return data["ids"].tolist(), data["lengths"], data["tokens"]


def write_chunks(out_dir: str, dtype: np.dtype, config: MegatronConfig,
                 keyed: tuple[tuple[str, int], Iterable[Chunk]]) -> Iterator[dict[str, Any]]:
    """One Megatron shard from its chunks, documents sorted by id (ids are unique in a run; should two
    documents share one, their tokens decide); continues in `..._NNNNN-001` ... when it would pass
    `max_file_tokens`. Yields one record per file written. Engine-free."""
    (lang, shard), chunks = keyed
    chunks = list(chunks)
    ids = np.array([i for c in chunks for i in c[0]], dtype=str)
    lengths = np.concatenate([c[1] for c in chunks]).astype(np.int64)
    flat = np.concatenate([c[2] for c in chunks])
    order = sort_order(ids, flat, lengths)
    tokens = gather(flat, lengths, order)
    yield from write_documents(out_dir, lang, shard, tokens, lengths[order], dtype, config.max_file_tokens)


def sort_order(ids: np.ndarray, flat: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Documents in id order, whatever order the chunks arrived in; equal ids ordered by their tokens."""
    order = np.argsort(ids, kind="stable")
    same = np.flatnonzero(ids[order][1:] == ids[order][:-1])
    if same.size:
        starts = np.zeros(lengths.size, dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        run_starts = same[np.concatenate([[True], np.diff(same) > 1])]
        for a in run_starts.tolist():
            b = a + 1
            while b < order.size and ids[order[b]] == ids[order[a]]:
                b += 1
            group = order[a:b].tolist()
            group.sort(key=lambda i: flat[starts[i]:starts[i] + lengths[i]].tobytes())
            order[a:b] = group
    return order


def write_documents(out_dir: str, lang: str, shard: int, tokens: np.ndarray, lengths: np.ndarray,
                    dtype: np.dtype, max_file_tokens: int) -> Iterator[dict[str, Any]]:
    """Write documents (in order) as one shard, in as many parts as `max_file_tokens` needs; one
    record (lang, shard, prefix and counts) per file written."""
    ends = np.cumsum(lengths)
    start_doc, start_tok, part = 0, 0, 0
    n = lengths.size
    while True:
        # The most documents from start_doc that stay within the limit (at least one).
        limit = start_tok + max_file_tokens
        stop = int(np.searchsorted(ends, limit, side="right"))
        stop = max(stop, start_doc + 1) if n else 0
        stop = min(stop, n)
        end_tok = int(ends[stop - 1]) if stop > 0 else 0
        prefix = os.path.join(out_dir, shard_prefix(lang, shard, part))
        writer = IndexedDatasetWriter(prefix, dtype)
        writer.add_documents(tokens[start_tok:end_tok], lengths[start_doc:stop])
        written = writer.close()
        yield {"lang": lang, "shard": shard, "part": part, **written.to_dict()}
        if stop >= n:
            return
        start_doc, start_tok, part = stop, end_tok, part + 1


def run_tokenize(documents_dir: str, model_path: str, out_dir: str, config: MegatronConfig | None = None,
                 beam_args: list[str] | None = None, training_weights: dict[str, float] | None = None,
                 sizes: dict[str, int] | None = None,
                 engine: Callable[..., list[dict[str, Any]]] | None = None, registry: Any = None) -> dict[str, Any]:
    """The binarisation step: tokenize `documents_dir` (RUN/documents) into `out_dir` (RUN/megatron), then
    write `index.json` (per file and language: documents, tokens) and `blend.txt`. Returns the index.
    `training_weights` default to the languages' `sampling.training_weight` (in `registry`, the run's;
    None: the packaged one); `sizes` see `plan_units`;
    `engine` runs the units (default: Beam with `beam_args`). A missing or broken model is a one-line
    error before any work."""
    from roots.languages import load_registry

    config = config or MegatronConfig()
    sp = load_sentencepiece(model_path)
    eod_id(sp)
    dtype = dtype_for_vocab(sp.get_piece_size())
    units = plan_units(documents_dir, config, sizes)
    os.makedirs(out_dir, exist_ok=True)
    if engine is None:   # Beam is imported only on its path: the local and Spark engines never load it
        from roots.pipelines.megatron_beam import tokenize_on_beam

        engine = tokenize_on_beam(beam_args)
    files = sorted(engine(units, model_path, out_dir, config), key=lambda r: r["prefix"])
    produced = {f["prefix"] for f in files}
    for path in glob.glob(os.path.join(out_dir, "*_text_document_*")):
        if os.path.basename(path).rsplit(".", 1)[0] not in produced:
            os.remove(path)  # a shard of an earlier, different run of this folder
    if training_weights is None:
        registry = registry if registry is not None else load_registry()
        training_weights = {l: language_sampling(registry, l).training_weight for l in {f["lang"] for f in files}}
    # Bare shard names, relative to the megatron folder (unless blend_prefix names the folder as the
    # trainer will see it): a run's files never depend on where it was written, and a copied run works.
    lines = blend_lines(files, config.alpha, training_weights, config.blend_prefix or "")
    with open(os.path.join(out_dir, BLEND_FILE), "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + ("\n" if lines else ""))
    languages: dict[str, dict[str, int]] = {}
    for f in files:
        cell = languages.setdefault(f["lang"], {"documents": 0, "empty_documents": 0, "tokens": 0, "files": 0})
        for key in ("documents", "empty_documents", "tokens"):
            cell[key] += f[key]
        cell["files"] += 1
    index = {"tokenizer": {"vocab_size": sp.get_piece_size(), "eod": eod_id(sp), "dtype": dtype.name},
             "config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in config.__dict__.items()},
             "languages": languages, "files": files, "blend": BLEND_FILE}
    write_json(os.path.join(out_dir, INDEX_FILE), index)
    return index
