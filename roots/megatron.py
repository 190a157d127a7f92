"""Megatron's indexed dataset (`.bin/.idx`), the format Megatron-LM and Megatron-Core read for training:
a writer, a reader, merge, and the document-level tokenisation of Megatron's `tools/preprocess_data.py
--append-eod`, byte for byte.

The format (all integers little-endian):

    PREFIX.idx
      magic            9 bytes   b"MMIDIDX\\x00\\x00"
      version          <Q        1
      dtype code       <B        the token type in .bin: uint16 = 8 when the vocabulary is below 65,500
                                 tokens, else int32 = 4 (Megatron's DType.optimal_dtype)
      sequence count   <Q        S
      document count   <Q        D + 1: the length of the document index
      sequence lengths int32 × S tokens in each sequence
      byte pointers    int64 × S where each sequence starts in .bin (cumulative lengths × token size)
      document index   int64 × (D + 1)  0, then the sequence count at the end of each document
    PREFIX.bin         the tokens of every sequence, back to back, in the dtype above

One document is one sequence: its tokens with the tokenizer's end-of-sequence id appended, as
`preprocess_data.py --append-eod` writes it. A document that encodes to nothing gives no sequence and
no tokens, but still closes a document (its document-index entry repeats the previous one), as that
tool does. A document longer than 2^31 - 1 tokens (an int32 length) is split into several sequences
of the same document, so lengths never overflow; pointers are int64.
"""
from __future__ import annotations

import itertools
import json
import os
import shutil
import struct
import uuid
from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

import numpy as np

from roots.errors import RootsError
from roots.schema import Section, setting

MAGIC = b"MMIDIDX\x00\x00"
VERSION = 1
#: Megatron's dtype codes (megatron.core.datasets.indexed_dataset.DType).
DTYPE_CODES: dict[int, type] = {1: np.uint8, 2: np.int8, 3: np.int16, 4: np.int32, 5: np.int64,
                                6: np.float64, 7: np.float32, 8: np.uint16}
CODE_OF_DTYPE = {np.dtype(t): c for c, t in DTYPE_CODES.items()}
#: Below this vocabulary size tokens are written as uint16, else int32 (Megatron's threshold).
UINT16_VOCAB_LIMIT = 65_500
#: The longest sequence an int32 length can hold.
MAX_SEQUENCE_TOKENS = 2**31 - 1
HEADER_SIZE = len(MAGIC) + 8 + 1 + 8 + 8  # 34 bytes
_TMP_MARK = ".tmp-"


class MegatronError(RootsError):
    """A Megatron file that cannot be read or written as asked; one line naming the file."""


def dtype_for_vocab(vocab_size: int) -> np.dtype:
    """uint16 below 65,500 tokens, int32 above (Megatron's `DType.optimal_dtype`)."""
    if vocab_size <= 0:
        raise MegatronError(f"vocabulary size must be positive, got {vocab_size}")
    if vocab_size > 2**31:
        raise MegatronError(f"vocabulary size {vocab_size} does not fit the int32 token type")
    return np.dtype(np.uint16 if vocab_size < UINT16_VOCAB_LIMIT else np.int32)


def index_bytes(sequence_lengths: np.ndarray, document_index: np.ndarray, dtype: np.dtype) -> bytes:
    """The whole `.idx` file for these sequence lengths and document index (starting with 0)."""
    lengths = np.asarray(sequence_lengths, dtype=np.int64)
    if lengths.size and (lengths.min() < 0 or lengths.max() > MAX_SEQUENCE_TOKENS):
        raise MegatronError("a sequence length does not fit int32")
    pointers = np.zeros(lengths.size, dtype=np.int64)
    if lengths.size > 1:
        np.cumsum(lengths[:-1] * np.dtype(dtype).itemsize, out=pointers[1:])
    docs = np.asarray(document_index, dtype=np.int64)
    return b"".join([
        MAGIC, struct.pack("<Q", VERSION), struct.pack("<B", CODE_OF_DTYPE[np.dtype(dtype)]),
        struct.pack("<Q", lengths.size), struct.pack("<Q", docs.size),
        lengths.astype("<i4").tobytes(), pointers.astype("<i8").tobytes(), docs.astype("<i8").tobytes(),
    ])


def split_lengths(doc_lengths: np.ndarray, max_sequence: int = MAX_SEQUENCE_TOKENS) -> tuple[np.ndarray, np.ndarray]:
    """Sequence lengths and the per-document sequence counts for documents of `doc_lengths` tokens:
    one sequence per non-empty document, several for one longer than `max_sequence`, none when empty."""
    doc_lengths = np.asarray(doc_lengths, dtype=np.int64)
    counts = (doc_lengths + max_sequence - 1) // max_sequence
    if not (doc_lengths > max_sequence).any():
        return doc_lengths[doc_lengths > 0], counts
    seqs: list[int] = []
    for n in doc_lengths.tolist():
        while n > 0:
            seqs.append(min(n, max_sequence))
            n -= seqs[-1]
    return np.asarray(seqs, dtype=np.int64), counts


def _tmp(path: str) -> str:
    return f"{path}{_TMP_MARK}{uuid.uuid4().hex}"


@dataclass
class WrittenDataset:
    """What a writer wrote: the prefix and its counts."""

    prefix: str
    documents: int
    sequences: int
    tokens: int
    empty_documents: int
    dtype: str

    def to_dict(self) -> dict:
        return {"prefix": os.path.basename(self.prefix), "documents": self.documents, "sequences": self.sequences,
                "tokens": self.tokens, "empty_documents": self.empty_documents, "dtype": self.dtype}


class IndexedDatasetWriter:
    """Streams documents into `PREFIX.bin` and `PREFIX.idx`, each under a temporary name renamed on
    `close()`, so a crash leaves no half file. Token arrays are given with the EOD already appended."""

    def __init__(self, prefix: str, dtype: np.dtype | type, max_sequence_tokens: int = MAX_SEQUENCE_TOKENS):
        self.prefix, self.dtype = prefix, np.dtype(dtype)
        if self.dtype not in CODE_OF_DTYPE:
            raise MegatronError(f"{prefix}: dtype {self.dtype} has no Megatron code")
        self.max_sequence = max_sequence_tokens
        os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
        self._bin_tmp = _tmp(prefix + ".bin")
        self._bin = open(self._bin_tmp, "wb")
        self._lengths: list[np.ndarray] = []
        self._doc_counts: list[np.ndarray] = []
        self.tokens = 0
        self.empty = 0
        self.documents = 0

    def add_document(self, tokens: Sequence[int] | np.ndarray) -> None:
        """One document (EOD included); an empty one gives no sequence but still closes a document."""
        arr = np.asarray(tokens)
        self.add_documents(arr, np.asarray([arr.size], dtype=np.int64))

    def add_documents(self, flat_tokens: np.ndarray, doc_lengths: np.ndarray) -> None:
        """Many documents at once: `flat_tokens` holds them back to back, `doc_lengths` their sizes."""
        flat = np.asarray(flat_tokens)
        lengths = np.asarray(doc_lengths, dtype=np.int64)
        if int(lengths.sum()) != flat.size:
            raise MegatronError(f"{self.prefix}: document lengths add up to {int(lengths.sum())}, not {flat.size} tokens")
        if flat.size:
            if flat.dtype != self.dtype:
                if flat.min() < np.iinfo(self.dtype).min or flat.max() > np.iinfo(self.dtype).max:
                    raise MegatronError(f"{self.prefix}: token id {int(flat.max())} does not fit {self.dtype}")
                flat = flat.astype(self.dtype)
            self._bin.write(flat.astype(self.dtype.newbyteorder("<"), copy=False).tobytes())
        seqs, counts = split_lengths(lengths, self.max_sequence)
        self._lengths.append(seqs)
        self._doc_counts.append(counts)
        self.tokens += flat.size
        self.empty += int((lengths == 0).sum())
        self.documents += lengths.size

    def close(self) -> WrittenDataset:
        """Write the index and rename both files into place; returns the counts."""
        self._bin.close()
        lengths = np.concatenate(self._lengths) if self._lengths else np.zeros(0, np.int64)
        counts = np.concatenate(self._doc_counts) if self._doc_counts else np.zeros(0, np.int64)
        doc_index = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        idx_tmp = _tmp(self.prefix + ".idx")
        with open(idx_tmp, "wb") as fh:
            fh.write(index_bytes(lengths, doc_index, self.dtype))
        os.replace(self._bin_tmp, self.prefix + ".bin")
        os.replace(idx_tmp, self.prefix + ".idx")
        return WrittenDataset(self.prefix, self.documents, int(lengths.size), self.tokens, self.empty, self.dtype.name)

    def abort(self) -> None:
        """Drop what was written (on an error)."""
        self._bin.close()
        if os.path.exists(self._bin_tmp):
            os.remove(self._bin_tmp)

    def __enter__(self) -> "IndexedDatasetWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


class IndexedDataset:
    """Reads `PREFIX.idx` and memory-maps `PREFIX.bin`; every inconsistency is a one-line MegatronError."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        idx_path, bin_path = prefix + ".idx", prefix + ".bin"
        for path in (idx_path, bin_path):
            if not os.path.isfile(path):
                raise MegatronError(f"{path}: no such file (give the prefix, without .bin/.idx)")
        raw = np.fromfile(idx_path, dtype=np.uint8)
        if raw.size < HEADER_SIZE or raw[:9].tobytes() != MAGIC:
            raise MegatronError(f"{idx_path}: not a Megatron index (bad magic)")
        version, code, n_seq, n_doc = struct.unpack("<QBQQ", raw[9:HEADER_SIZE].tobytes())
        if version != VERSION:
            raise MegatronError(f"{idx_path}: index version {version}, expected {VERSION}")
        if code not in DTYPE_CODES:
            raise MegatronError(f"{idx_path}: unknown dtype code {code}")
        self.dtype = np.dtype(DTYPE_CODES[code]).newbyteorder("<")
        want = HEADER_SIZE + n_seq * (4 + 8) + n_doc * 8
        if raw.size < want:
            raise MegatronError(f"{idx_path}: truncated ({raw.size} bytes, the header promises {want})")
        off = HEADER_SIZE
        self.sequence_lengths = raw[off:off + 4 * n_seq].view("<i4")
        off += 4 * n_seq
        self.sequence_pointers = raw[off:off + 8 * n_seq].view("<i8")
        off += 8 * n_seq
        self.document_indices = raw[off:off + 8 * n_doc].view("<i8")
        bin_size = os.path.getsize(bin_path)
        total = int(self.sequence_lengths.astype(np.int64).sum()) * self.dtype.itemsize
        if total != bin_size:
            raise MegatronError(f"{bin_path}: {bin_size} bytes, the index describes {total}")
        self._bin = np.memmap(bin_path, dtype=self.dtype, mode="r") if bin_size else np.zeros(0, self.dtype)

    @property
    def num_documents(self) -> int:
        return max(0, len(self.document_indices) - 1)

    @property
    def num_tokens(self) -> int:
        return int(self.sequence_lengths.astype(np.int64).sum())

    def __len__(self) -> int:
        """The number of sequences (as Megatron's IndexedDataset)."""
        return len(self.sequence_lengths)

    def sequence(self, i: int) -> np.ndarray:
        start = int(self.sequence_pointers[i]) // self.dtype.itemsize
        return np.asarray(self._bin[start:start + int(self.sequence_lengths[i])])

    def document(self, j: int) -> np.ndarray:
        """The tokens of document `j` (all its sequences; empty for a document that encoded to nothing)."""
        if not 0 <= j < self.num_documents:
            raise MegatronError(f"{self.prefix}: no document {j} (it has {self.num_documents})")
        first, last = int(self.document_indices[j]), int(self.document_indices[j + 1])
        if first == last:
            return np.zeros(0, self.dtype)
        return np.concatenate([self.sequence(i) for i in range(first, last)])

    def documents(self) -> Iterator[np.ndarray]:
        for j in range(self.num_documents):
            yield self.document(j)


def merge(prefixes: Sequence[str], out_prefix: str) -> WrittenDataset:
    """Concatenate datasets in the given order into `out_prefix`: the same bytes Megatron-Core's
    `IndexedDatasetBuilder.add_index` + `finalize` write. All inputs must share one dtype."""
    if not prefixes:
        raise MegatronError(f"{out_prefix}: nothing to merge")
    sets = [IndexedDataset(p) for p in prefixes]
    dtypes = {d.dtype for d in sets}
    if len(dtypes) > 1:
        raise MegatronError(f"{out_prefix}: inputs mix token types {sorted(str(d) for d in dtypes)}; merge shards of one tokenizer")
    dtype = sets[0].dtype.newbyteorder("=")
    lengths, doc_index, offset = [], [np.zeros(1, np.int64)], 0
    for d in sets:
        lengths.append(d.sequence_lengths.astype(np.int64))
        doc_index.append(d.document_indices[1:].astype(np.int64) + offset)
        offset += len(d)
    all_lengths = np.concatenate(lengths)
    os.makedirs(os.path.dirname(os.path.abspath(out_prefix)), exist_ok=True)
    bin_tmp, idx_tmp = _tmp(out_prefix + ".bin"), _tmp(out_prefix + ".idx")
    try:
        with open(bin_tmp, "wb") as out:
            for p in prefixes:
                with open(p + ".bin", "rb") as fh:
                    shutil.copyfileobj(fh, out, 16 << 20)
        with open(idx_tmp, "wb") as fh:
            fh.write(index_bytes(all_lengths, np.concatenate(doc_index), dtype))
        os.replace(bin_tmp, out_prefix + ".bin")
        os.replace(idx_tmp, out_prefix + ".idx")
    finally:
        for tmp in (bin_tmp, idx_tmp):
            if os.path.exists(tmp):
                os.remove(tmp)
    docs = sum(d.num_documents for d in sets)
    empty = sum(int((np.diff(d.document_indices) == 0).sum()) for d in sets)
    return WrittenDataset(out_prefix, docs, int(all_lengths.size), int(all_lengths.sum()), empty, dtype.name)


def eod_id(processor) -> int:
    """The end-of-sequence id Megatron appends (`--append-eod` with a SentencePiece tokenizer uses the
    model's eos id)."""
    eos = processor.eos_id()
    if eos < 0:
        raise MegatronError("the SentencePiece model has no end-of-sequence piece (trained with eos_id=-1); "
                            "retrain it with `roots tokenizer train`, which keeps </s>")
    return eos


def encode_documents(processor, texts: list[str], eod: int, dtype: np.dtype,
                     num_threads: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Encode texts in one batch: (flat tokens with an EOD after each non-empty document, lengths).
    A text that encodes to nothing gets length 0 and no EOD, as `preprocess_data.py --append-eod`."""
    encoded = processor.encode(texts, out_type=int, num_threads=num_threads)
    for ids in encoded:
        if ids:
            ids.append(eod)
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    try:
        flat = np.fromiter(itertools.chain.from_iterable(encoded), dtype=dtype, count=int(lengths.sum()))
    except OverflowError:
        raise MegatronError(f"a token id does not fit {np.dtype(dtype).name}: the vocabulary is larger than "
                            "the token type chosen for it") from None
    return flat, lengths


def tokenize_jsonl(jsonl_path: str, model_path: str, out_prefix: str, json_key: str = "text",
                   batch_size: int = 1024) -> WrittenDataset:
    """What `preprocess_data.py --input JSONL --json-keys KEY --append-eod --tokenizer-type
    GPTSentencePieceTokenizer --tokenizer-model MODEL --output-prefix P` writes, as
    `P_KEY_document.{bin,idx}` (documents in file order; one-line error on a bad line)."""
    from roots.tokenizer import load_sentencepiece

    sp = load_sentencepiece(model_path)
    eod, dtype = eod_id(sp), dtype_for_vocab(sp.get_piece_size())
    writer = IndexedDatasetWriter(f"{out_prefix}_{json_key}_document", dtype)
    try:
        for texts in _jsonl_batches(jsonl_path, json_key, batch_size):
            writer.add_documents(*encode_documents(sp, texts, eod, dtype))
    except BaseException:
        writer.abort()
        raise
    return writer.close()


def _jsonl_batches(path: str, key: str, batch_size: int) -> Iterable[list[str]]:
    if not os.path.isfile(path):
        raise MegatronError(f"{path}: no such file")
    batch: list[str] = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            try:
                text = json.loads(line)[key]
            except (ValueError, KeyError, TypeError):
                raise MegatronError(f"{path}:{n}: not a JSON object with a string {key!r}") from None
            if not isinstance(text, str):
                raise MegatronError(f"{path}:{n}: {key!r} is not a string")
            batch.append(text)
            if len(batch) >= batch_size:
                yield batch
                batch = []
    if batch:
        yield batch


# --- the binarisation step's config and blend file -------------------------------------------------

#: A shard file never holds more tokens than this (older Megatron readers index tokens with int32).
MAX_FILE_TOKENS = 2**31 - 1


@dataclass(frozen=True)
class MegatronConfig(Section):
    """The run config's `megatron:` section."""

    shard_target_mb: float = setting(256.0, gt=0)    # each language's documents in shards of about this much text
    max_file_tokens: int = setting(MAX_FILE_TOKENS, ge=1, le=MAX_FILE_TOKENS)  # a shard holding more continues in `..._NNNNN-001` and so on
    batch_size: int = setting(256, ge=1)      # documents per SentencePiece call
    num_threads: int = setting(1, ge=1)       # SentencePiece threads per worker (Beam's workers give the parallelism)
    alpha: float = setting(1.0, ge=0)         # blend: p_lang ∝ training_weight × tokens^alpha (1: as the corpus)
    languages: tuple[str, ...] | None = setting(None, item_name="language code")  # only these languages (None: every language=XX folder)
    blend_prefix: str | None = None   # folder written before each shard in blend.txt (None: none, names
    #                                   relative to the megatron folder; never the run's own absolute path)


def shard_prefix(lang: str, shard: int, part: int = 0) -> str:
    """`<lang>_text_document_<NNNNN>`, and `-<PPP>` for the continuation parts of an oversized shard."""
    name = f"{lang}_text_document_{shard:05d}"
    return name if part == 0 else f"{name}-{part:03d}"


def blend_lines(files: list[dict], alpha: float = 1.0, training_weights: dict[str, float] | None = None,
                prefix_dir: str = "") -> list[str]:
    """`weight path` lines for Megatron's `--data-path`: each language gets p ∝ training_weight × tokens^alpha,
    shared among its files by their tokens. `files` are dicts with `lang`, `prefix` and `tokens`."""
    weights = training_weights or {}
    per_lang: dict[str, int] = {}
    for f in files:
        per_lang[f["lang"]] = per_lang.get(f["lang"], 0) + f["tokens"]
    raw = {l: weights.get(l, 1.0) * float(t) ** alpha for l, t in sorted(per_lang.items()) if t > 0}
    mass = sum(raw[l] for l in sorted(raw))
    lines = []
    for f in sorted(files, key=lambda f: f["prefix"]):
        if f["tokens"] == 0 or raw.get(f["lang"], 0) == 0:
            continue
        w = raw[f["lang"]] / mass * f["tokens"] / per_lang[f["lang"]]
        lines.append(f"{w:.12g} {os.path.join(prefix_dir, f['prefix']) if prefix_dir else f['prefix']}")
    return lines
