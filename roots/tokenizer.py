"""The tokenizer: SentencePiece trained on the language-balanced sample (roots.sampling), BPE by default or
unigram, with byte fallback (no unknown tokens), digits split one by one, and no normalisation that
would damage code: the identity rule (no NFKC), whitespace kept as it is (runs of spaces and whitespace-
only pieces allowed, for indentation), so `decode(encode(text)) == text`. The ids are BLOOM's layout:
<unk> 0, <s> 1, </s> 2 (the end-of-document id Megatron appends), <pad> 3.

Writes `spm.model` and `spm.vocab`, and the same tokenizer for Hugging Face as `tokenizer.json`,
`tokenizer_config.json` and `special_tokens_map.json` (loadable by `tokenizers.Tokenizer.from_file` and
`transformers.AutoTokenizer.from_pretrained(DIR)`); that form is written from the SentencePiece model by
this module, without needing `tokenizers` or `transformers` installed.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from roots.errors import RootsError
from roots.rundir import copy_file, write_bytes, write_json
from roots.sampling import SamplingConfig
from roots.schema import Section, setting

log = logging.getLogger(__name__)

MODEL_TYPES = ("bpe", "unigram")
#: BLOOM's vocabulary size.
BLOOM_VOCAB_SIZE = 250_680
MODEL_FILE = "spm.model"
VOCAB_FILE = "spm.vocab"
HF_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
SPECIALS = {"unk": ("<unk>", 0), "bos": ("<s>", 1), "eos": ("</s>", 2), "pad": ("<pad>", 3)}
_SPACE = "\u2581"  # ▁, SentencePiece's whitespace


class TokenizerError(RootsError):
    """A tokenizer that cannot be trained or loaded as asked; one line naming the file."""


@dataclass(frozen=True)
class TokenizerConfig(Section):
    """The run config's `tokenizer:` section: how to train (or which model to use) and how to sample."""

    vocab_size: int = setting(BLOOM_VOCAB_SIZE, ge=16)
    model_type: str = setting("bpe", choices=MODEL_TYPES)
    character_coverage: float = setting(0.9995, gt=0, le=1)   # the rarest characters fall back to bytes
    input_sentence_size: int = setting(20_000_000, ge=0)  # lines SentencePiece draws from the sample (0: all of them)
    max_sentence_length: int = setting(16384, ge=1)     # bytes; SentencePiece skips longer lines
    max_piece_length: int = setting(16, ge=1)
    num_threads: int = setting(2, ge=1)
    seed: int = setting(0, ge=0)
    add_dummy_prefix: bool = True
    hard_vocab_limit: bool = True        # false lets unigram stop below vocab_size on small data
    hf: bool = True                      # also write the Hugging Face form
    model: str | None = None             # an existing spm.model to use instead of training one
    sample: SamplingConfig = setting(default_factory=SamplingConfig)   # `tokenizer: sample:`, roots.sampling


def trainer_options(config: TokenizerConfig) -> dict[str, Any]:
    """SentencePiece trainer options for `config` (everything that decides the model)."""
    return {
        "model_type": config.model_type, "vocab_size": config.vocab_size,
        "character_coverage": config.character_coverage, "byte_fallback": True, "split_digits": True,
        "normalization_rule_name": "identity", "remove_extra_whitespaces": False,
        "add_dummy_prefix": config.add_dummy_prefix, "allow_whitespace_only_pieces": True,
        "split_by_whitespace": True, "max_sentencepiece_length": config.max_piece_length,
        "max_sentence_length": config.max_sentence_length,
        "input_sentence_size": config.input_sentence_size, "shuffle_input_sentence": True,
        "hard_vocab_limit": config.hard_vocab_limit, "num_threads": config.num_threads,
        "unk_id": 0, "bos_id": 1, "eos_id": 2, "pad_id": 3,
        "unk_piece": "<unk>", "bos_piece": "<s>", "eos_piece": "</s>", "pad_piece": "<pad>",
    }


def train_tokenizer(inputs: list[str], output_dir: str, config: TokenizerConfig | None = None) -> dict[str, Any]:
    """Train SentencePiece on the text files `inputs` into `output_dir` (spm.model, spm.vocab, the
    Hugging Face files, tokenizer.json's sibling `train.json` with the options and timings)."""
    import sentencepiece as spm

    config = config or TokenizerConfig()
    if not inputs:
        raise TokenizerError("no training text given (run `roots tokenizer sample` first, or pass --input FILES)")
    for path in inputs:
        if not os.path.isfile(path):
            raise TokenizerError(f"{path}: no such training file")
    if sum(os.path.getsize(p) for p in inputs) == 0:
        raise TokenizerError(f"{inputs[0]}: the training text is empty")
    options = trainer_options(config)
    os.makedirs(output_dir, exist_ok=True)
    spm.set_random_generator_seed(config.seed)
    start = time.perf_counter()
    remove_stale_training_folders(output_dir)
    with tempfile.TemporaryDirectory(dir=output_dir, prefix=SPM_TMP_PREFIX) as tmp:
        try:
            spm.SentencePieceTrainer.train(input=list(inputs), model_prefix=os.path.join(tmp, "spm"),
                                           minloglevel=2, **options)
        except RuntimeError as err:
            raise TokenizerError(_training_message(str(err), inputs, config)) from None
        with open(os.path.join(tmp, MODEL_FILE), "rb") as fh:
            model = without_paths(fh.read())
        with open(os.path.join(tmp, MODEL_FILE), "wb") as fh:
            fh.write(model)
        for name in (MODEL_FILE, VOCAB_FILE):
            os.replace(os.path.join(tmp, name), os.path.join(output_dir, name))
    seconds = time.perf_counter() - start
    sp = load_sentencepiece(os.path.join(output_dir, MODEL_FILE))
    hf = write_hf_tokenizer(os.path.join(output_dir, MODEL_FILE), output_dir) if config.hf else []
    info = {"options": options, "inputs": [os.path.basename(p) for p in inputs],
            "input_bytes": sum(os.path.getsize(p) for p in inputs), "vocab_size": sp.get_piece_size(),
            "files": [MODEL_FILE, VOCAB_FILE] + hf}
    write_json(os.path.join(output_dir, "train.json"), info)
    log.info("trained a %s tokenizer of %d pieces in %.1f s", config.model_type, sp.get_piece_size(), seconds)
    return {**info, "seconds": round(seconds, 3)}


#: The prefix of the folder SentencePiece trains in (renamed out of when done; a killed training leaves it).
SPM_TMP_PREFIX = ".tmp-spm-"


def remove_stale_training_folders(output_dir: str) -> int:
    """Delete the `.tmp-spm-*` folders of killed trainings in `output_dir`; returns how many. A rerun
    of `roots tokenizer train` outside a run (where the runner cleans the whole run folder) needs it."""
    import glob
    import shutil

    stale = sorted(glob.glob(os.path.join(output_dir, f"{SPM_TMP_PREFIX}*")))
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
    return len(stale)


def _training_message(err: str, inputs: list[str], config: TokenizerConfig) -> str:
    detail = err.splitlines()[-1] if err else "unknown error"
    detail = detail.split("] ", 1)[-1] if "] " in detail else detail
    size = sum(os.path.getsize(p) for p in inputs) / 1e6
    if "Vocabulary size" in detail:
        return (f"{inputs[0]}: {detail} — {size:.1f} MB of training text is too little for vocab_size "
                f"{config.vocab_size}; lower it or sample more text (BLOOM's 250,680 needs tens of MB of varied text)")
    return f"{inputs[0]}: SentencePiece training failed: {detail}"


def load_sentencepiece(path: str):
    """Load a SentencePiece model; a missing file or one that is not a model is a one-line TokenizerError."""
    import sentencepiece as spm

    if not os.path.isfile(path):
        raise TokenizerError(f"{path}: no such tokenizer model (train one with `roots tokenizer train`)")
    try:
        return spm.SentencePieceProcessor(model_file=path)
    except (RuntimeError, OSError) as err:
        raise TokenizerError(f"{path}: not a SentencePiece model ({str(err).splitlines()[-1]})") from None


# --- the Hugging Face form ------------------------------------------------------------------------


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def _entries(data: bytes) -> list[tuple[int, int, Any, bytes]]:
    """The top-level fields of a protobuf message in order: (number, wire type, value, raw bytes), with
    varints as ints and length-delimited values as bytes. Enough to read and patch SentencePiece's
    ModelProto without its generated module (which wants protobuf 7, and Beam holds protobuf below 7)."""
    out = []
    pos = 0
    while pos < len(data):
        start = pos
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            size, pos = _varint(data, pos)
            value, pos = data[pos:pos + size], pos + size
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise TokenizerError(f"unsupported protobuf wire type {wire}")
        out.append((number, wire, value, data[start:pos]))
    return out


def _fields(data: bytes) -> dict[int, list]:
    out: dict[int, list] = {}
    for number, _, value, _ in _entries(data):
        out.setdefault(number, []).append(value)
    return out


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _string_field(number: int, value: bytes) -> bytes:
    return _encode_varint(number << 3 | 2) + _encode_varint(len(value)) + value


def without_paths(model: bytes) -> bytes:
    """The model with the training file paths and output prefix that SentencePiece records in its
    TrainerSpec reduced to base names, so the same text gives the same model bytes in any folder."""
    out = []
    for number, wire, value, raw in _entries(model):
        if number == 2 and wire == 2:  # trainer_spec
            spec = []
            for n, w, v, r in _entries(value):
                if n == 1 and w == 2:    # input
                    r = _string_field(1, os.path.basename(v.decode("utf-8", "replace")).encode("utf-8"))
                elif n == 2 and w == 2:  # model_prefix
                    r = _string_field(2, b"spm")
                spec.append(r)
            raw = _string_field(2, b"".join(spec))
        out.append(raw)
    return b"".join(out)


def model_spec(sp) -> dict[str, Any]:
    """The model type and normaliser settings stored in a SentencePiece model."""
    proto = _fields(sp.serialized_model_proto())
    trainer = _fields(proto.get(2, [b""])[0])
    normalizer = _fields(proto.get(3, [b""])[0])

    def flag(fields: dict, number: int, default: bool) -> bool:
        return bool(fields[number][-1]) if number in fields else default

    types = {1: "unigram", 2: "bpe", 3: "word", 4: "char"}
    return {
        "model_type": types.get(trainer.get(3, [1])[-1], "unknown"),
        "normalization_rule_name": normalizer.get(1, [b""])[-1].decode("utf-8", "replace"),
        "add_dummy_prefix": flag(normalizer, 3, True),
        "remove_extra_whitespaces": flag(normalizer, 4, True),
        "escape_whitespaces": flag(normalizer, 5, True),
        "has_precompiled_charsmap": bool(normalizer.get(2, [b""])[-1]),
        "byte_fallback": flag(trainer, 35, False),
    }


def hf_tokenizer_json(sp) -> dict[str, Any]:
    """The `tokenizers` JSON of a SentencePiece model trained as `train_tokenizer` trains (identity
    normalisation, whitespace kept, byte fallback): BPE with merges derived from the pieces (each merge
    ranked by its piece, as SentencePiece ranks them), or unigram with the piece scores."""
    spec = model_spec(sp)
    if spec["model_type"] not in MODEL_TYPES:
        raise TokenizerError(f"a {spec['model_type']} SentencePiece model has no Hugging Face form here")
    if spec["has_precompiled_charsmap"] or spec["remove_extra_whitespaces"] or not spec["escape_whitespaces"]:
        raise TokenizerError("only models with identity normalisation that keep whitespace (as `roots tokenizer "
                             "train` makes) convert exactly to the Hugging Face form")
    n = sp.get_piece_size()
    pieces = [sp.id_to_piece(i) for i in range(n)]
    special = [i for i in range(n) if sp.is_control(i) or sp.is_unknown(i)]
    added = [{"id": i, "content": pieces[i], "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i in special]
    normalizers: list[dict] = [{"type": "Replace", "pattern": {"String": " "}, "content": _SPACE}]
    if spec["add_dummy_prefix"]:
        normalizers.insert(0, {"type": "Prepend", "prepend": _SPACE})
    decoders: list[dict] = [{"type": "Replace", "pattern": {"String": _SPACE}, "content": " "},
                            {"type": "ByteFallback"}, {"type": "Fuse"}]
    if spec["add_dummy_prefix"]:
        decoders.append({"type": "Strip", "content": " ", "start": 1, "stop": 0})
    unk = pieces[sp.unk_id()]
    if spec["model_type"] == "bpe":
        vocab = {p: i for i, p in enumerate(pieces)}
        mergeable = [i for i in range(n) if not (sp.is_control(i) or sp.is_unknown(i) or sp.is_byte(i) or sp.is_unused(i))]
        merges = []
        for i in mergeable:
            piece = pieces[i]
            splits = [(vocab[piece[:k]], vocab[piece[k:]]) for k in range(1, len(piece))
                      if piece[:k] in vocab and piece[k:] in vocab]
            merges.extend((i, left, right) for left, right in sorted(splits))
        merges.sort()
        model = {"type": "BPE", "dropout": None, "unk_token": unk, "continuing_subword_prefix": None,
                 "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                 "vocab": vocab, "merges": [[pieces[l], pieces[r]] for _, l, r in merges]}
    else:
        # Pieces SentencePiece never matches in text (control, bytes, unused) must not win the Viterbi search.
        blocked = {i for i in range(n) if sp.is_control(i) or sp.is_byte(i) or sp.is_unused(i)}
        model = {"type": "Unigram", "unk_id": sp.unk_id(), "byte_fallback": True,
                 "vocab": [[p, -1e9 if i in blocked else sp.get_score(i)] for i, p in enumerate(pieces)]}
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
            "normalizer": {"type": "Sequence", "normalizers": normalizers}, "pre_tokenizer": None,
            "post_processor": None, "decoder": {"type": "Sequence", "decoders": decoders}, "model": model}


def write_hf_tokenizer(model_path: str, output_dir: str) -> list[str]:
    """Write `tokenizer.json`, `tokenizer_config.json` and `special_tokens_map.json` next to the model;
    returns the file names. Special tokens are those of SPECIALS that the model has."""
    sp = load_sentencepiece(model_path)
    data = hf_tokenizer_json(sp)
    os.makedirs(output_dir, exist_ok=True)
    write_bytes(os.path.join(output_dir, "tokenizer.json"),   # atomic: never a truncated file
                json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    tokens = {f"{name}_token": piece for name, (piece, _) in SPECIALS.items()
              if sp.piece_to_id(piece) != sp.unk_id() or name == "unk"}
    write_json(os.path.join(output_dir, "special_tokens_map.json"), tokens)
    write_json(os.path.join(output_dir, "tokenizer_config.json"), {
        "tokenizer_class": "PreTrainedTokenizerFast", "clean_up_tokenization_spaces": False,
        "add_bos_token": False, "add_eos_token": False, "model_max_length": 1_000_000_000, **tokens})
    return list(HF_FILES)


def copy_model(model_path: str, output_dir: str, hf: bool = True) -> list[str]:
    """Use an existing SentencePiece model for a run: copy it (and its .vocab if present) into `output_dir`."""
    load_sentencepiece(model_path)
    os.makedirs(output_dir, exist_ok=True)
    copy_file(model_path, os.path.join(output_dir, MODEL_FILE))
    files = [MODEL_FILE]
    vocab = os.path.splitext(model_path)[0] + ".vocab"
    if os.path.isfile(vocab):
        copy_file(vocab, os.path.join(output_dir, VOCAB_FILE))
        files.append(VOCAB_FILE)
    if hf:
        try:
            files += write_hf_tokenizer(os.path.join(output_dir, MODEL_FILE), output_dir)
        except TokenizerError as err:
            log.warning("%s: no Hugging Face form written: %s", model_path, err)
    return files


def build_tokenizer(documents_dir: str, output_dir: str, config: TokenizerConfig | None = None,
                    registry: Any = None) -> dict[str, Any]:
    """The tokenizer steps of a run: sample `RUN/documents` into `RUN/tokenizer/train-*.txt` (weights from
    `registry`, the run's; None: the packaged one) and train on it, or, when `config.model` names a model,
    copy that one. Returns what the manifest records."""
    from roots.sampling import sample_for_tokenizer, training_files

    config = config or TokenizerConfig()
    if config.model:
        return {"model": config.model, "files": copy_model(config.model, output_dir, config.hf)}
    sample = sample_for_tokenizer(documents_dir, output_dir, config.sample, registry)
    info = train_tokenizer(training_files(output_dir), output_dir, config)
    info["sample"] = {"written_bytes": sample["total"]["written_bytes"], "shares": sample["shares"]}
    return info


def build_tokenizer_in_child(documents_dir: str, output_dir: str, config: TokenizerConfig | None = None,
                             registry: Any = None) -> dict[str, Any]:
    """`build_tokenizer` in a fresh process. The sample's duplicate-line table and SentencePiece's trainer
    grow with the sample (up to `tokenizer.sample.total_mb`); in a child that memory goes when it exits,
    so a run's long-lived driver stays flat through the Megatron step and whatever follows."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from roots.processes import main_not_reimported

    # spawn, not fork: a Beam or Spark driver has threads (gRPC, py4j) that a forked child must not inherit
    with main_not_reimported(), ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        try:
            return pool.submit(build_tokenizer, documents_dir, output_dir, config, registry).result()
        except BrokenProcessPool:
            raise TokenizerError(f"{output_dir}: the tokenizer's training process died (out of memory? "
                                 "lower tokenizer.sample.total_mb or tokenizer.input_sentence_size)") from None
