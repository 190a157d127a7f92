"""The tokenizer training set: a language-balanced sample of the curated documents, as BigScience drew
it for BLOOM's tokenizer. Each language gets a share p ∝ weight × bytes^α of the sample (α = 0.3 as in
ROOTS and XLM; α = 1 keeps the corpus proportions, α = 0 is uniform), optionally capped for high-resource
languages and with programming languages held to a configured share; a language never gives more than
it has, and what a capped or exhausted language leaves goes to the others in proportion.

Documents are chosen by a seeded hash of their id (kept iff hash < rate × 2^64), so the choice depends
on nothing but the id, the seed and the rate: the same documents and config give the same sample on any
machine. Exact duplicates are then dropped, whole documents first and then single lines (first
occurrence kept, in file and row order), and the lines are written as text shards
`train-<lang>-<NNNNN>.txt`, with `sample.json`: the bytes and counts per language.
"""
from __future__ import annotations

import glob
import logging
import os
import uuid
from dataclasses import asdict, dataclass
from typing import Any, Iterator

import pyarrow.compute as pc
import xxhash

from roots.errors import RootsError
from roots.languages import LanguageConfigError, Registry, load_registry
from roots import fs
from roots.rundir import iter_batches, read_table, shards_by_language, write_json
from roots.schema import Section, parse, setting

log = logging.getLogger(__name__)

SAMPLE_MANIFEST = "sample.json"
_MB = 1024 * 1024
_TMP_MARK = ".tmp-"
#: Documents read at a time while drawing the sample (bounds memory on a large shard).
_BATCH_ROWS = 8192


class SamplingError(RootsError):
    """The documents to sample cannot be read; one line naming the folder or file."""


@dataclass(frozen=True)
class SamplingConfig(Section):
    """How the tokenizer training set is drawn (the run config's `tokenizer: sample:` section), validated
    by roots.schema like every other section."""

    alpha: float = setting(0.3, ge=0)               # p_lang ∝ weight × bytes^alpha
    total_mb: float = setting(1024.0, gt=0)         # size of the sample before dedup
    cap_mb: float | None = setting(None, gt=0)      # no language gives more than this
    cap_share: float | None = setting(None, gt=0, le=1)   # no language gets more than this share of the sample
    code_share: float | None = setting(None, gt=0, le=1)  # programming languages together get this share (None: like any language)
    seed: int = setting(0, ge=0)
    shard_mb: float = setting(256.0, gt=0)          # text shards of about this size
    doc_dedup: bool = True
    line_dedup: bool = True


@dataclass(frozen=True)
class LanguageSampling:
    """A language's optional `sampling:` section: multipliers of its share in the tokenizer sample and
    in the training blend (both default 1.0)."""

    tokenizer_weight: float = setting(1.0, ge=0)
    training_weight: float = setting(1.0, ge=0)


def language_sampling(registry: Registry, lang: str) -> LanguageSampling:
    """The `sampling:` section of `lang`'s YAML, validated; defaults for a language not in the registry."""
    if lang not in registry:
        return LanguageSampling()
    cfg = registry.get(lang)
    return parse(LanguageSampling, cfg.sections.get("sampling"), f"{cfg.path}: sampling", error=LanguageConfigError)


# --- the weights --------------------------------------------------------------------------------


def language_probabilities(sizes: dict[str, int], alpha: float, weights: dict[str, float] | None = None,
                           code: set[str] | frozenset[str] = frozenset(),
                           code_share: float | None = None) -> dict[str, float]:
    """p_lang ∝ weight × size^alpha, summing to 1. With `code_share`, the languages in `code` together
    get that share and the others the rest (each group ∝ weight × size^alpha inside)."""
    weights = weights or {}
    raw = {l: weights.get(l, 1.0) * (float(n) ** alpha if n > 0 else 0.0) for l, n in sizes.items()}
    groups = [(sorted(raw), 1.0)]
    if code_share is not None:
        code_langs = sorted(l for l in raw if l in code and raw[l] > 0)
        natural = sorted(l for l in raw if l not in code and raw[l] > 0)
        if code_langs and natural:
            groups = [(natural, 1.0 - code_share), (code_langs, code_share)]
    probs = {l: 0.0 for l in raw}
    for members, share in groups:
        total = sum(raw[l] for l in members)
        for l in members:
            probs[l] = share * raw[l] / total if total > 0 else 0.0
    return probs


def allocate(sizes: dict[str, int], probs: dict[str, float], total: float,
             limits: dict[str, float] | None = None) -> dict[str, float]:
    """Bytes each language gives to a sample of `total` bytes: its share of `probs`, never more than it
    has nor than its limit; what a clipped language leaves goes to the others in proportion."""
    limit = {l: min(float(sizes[l]), (limits or {}).get(l, float("inf"))) for l in sizes}
    out = {l: 0.0 for l in sizes}
    active = {l for l in sizes if probs.get(l, 0.0) > 0 and limit[l] > 0}
    remaining = float(total)
    while active and remaining > 0:
        mass = sum(probs[l] for l in sorted(active))
        clipped = {l for l in active if probs[l] / mass * remaining >= limit[l]}
        if not clipped:
            for l in active:
                out[l] = probs[l] / mass * remaining
            break
        for l in sorted(clipped):
            out[l] = limit[l]
            remaining -= limit[l]
        active -= clipped
    return out


def selected(doc_id: str, rate: float, seed: int) -> bool:
    """Whether a document is in a sample of `rate`: a seeded 64-bit hash of its id below rate × 2^64."""
    return rate >= 1.0 or xxhash.xxh64_intdigest(doc_id.encode("utf-8"), seed) < rate * 2.0**64


# --- reading the documents -----------------------------------------------------------------------


def language_files(documents_dir: str) -> dict[str, list[str]]:
    """`documents/language=XX/part-*.{parquet,jsonl}` by language, each list sorted."""
    if not fs.isdir(documents_dir):
        raise SamplingError(f"{documents_dir}: no such documents folder (expected RUN/documents with language=XX/ inside)")
    out = shards_by_language(documents_dir)
    if not out:
        raise SamplingError(f"{documents_dir}: no language=XX/*.parquet or *.jsonl document shards")
    return out


def language_sizes(files: dict[str, list[str]]) -> dict[str, tuple[int, int]]:
    """(documents, UTF-8 bytes of text) per language."""
    out = {}
    for lang, paths in files.items():
        docs = nbytes = 0
        for path in paths:
            text = read_table(path, ["text"]).column("text")
            docs += len(text)
            nbytes += int(pc.sum(pc.binary_length(text)).as_py() or 0)
        out[lang] = (docs, nbytes)
    return out


# --- the sample ----------------------------------------------------------------------------------


class _ShardWriter:
    """Lines into `train-<lang>-<NNNNN>.txt` files of about `shard_bytes`, each renamed when complete."""

    def __init__(self, out_dir: str, lang: str, shard_bytes: float):
        self.out_dir, self.lang, self.shard_bytes = out_dir, lang, shard_bytes
        self.files: list[str] = []
        self._fh = None
        self._size = 0

    def write(self, line: str) -> None:
        data = (line + "\n").encode("utf-8")
        if self._fh is None or self._size >= self.shard_bytes:
            self._roll()
        self._fh.write(data)
        self._size += len(data)

    def _roll(self) -> None:
        self.close()
        name = f"train-{self.lang}-{len(self.files):05d}.txt"
        self._path = os.path.join(self.out_dir, name)
        self._tmp = f"{self._path}{_TMP_MARK}{uuid.uuid4().hex}"
        self._fh = open(self._tmp, "wb")
        self._size = 0
        self.files.append(name)

    def close(self) -> None:
        """Finish the open shard: renamed to its final name only now, when all of it is written."""
        if self._fh is not None:
            self._fh.close()
            os.replace(self._tmp, self._path)
            self._fh = None

    def abort(self) -> None:
        """Drop the open shard after a failed write (a full disk): its temporary file is removed,
        never renamed, so no truncated `train-*.txt` is left for the tokenizer to train on."""
        if self._fh is not None:
            try:
                self._fh.close()
            except OSError:
                pass
            if os.path.exists(self._tmp):
                os.remove(self._tmp)
            self._fh = None


def _documents(paths: list[str]) -> Iterator[tuple[str, str]]:
    """(id, text) of every document of `paths`, in file and row order, a record batch at a time."""
    for path in paths:
        for batch in iter_batches(path, ["id", "text"], _BATCH_ROWS):
            yield from zip(batch.column("id").to_pylist(), batch.column("text").to_pylist())


def _sample_language(lang: str, paths: list[str], rate: float, config: SamplingConfig,
                     out_dir: str) -> dict[str, Any]:
    seen_docs: set[int] = set()
    seen_lines: set[int] = set()
    stats = {"selected_docs": 0, "selected_bytes": 0, "duplicate_docs": 0, "lines": 0,
             "duplicate_lines": 0, "written_bytes": 0}
    writer = _ShardWriter(out_dir, lang, config.shard_mb * _MB)
    try:
        for doc_id, text in _documents(paths):
            if not selected(doc_id, rate, config.seed):
                continue
            data = text.encode("utf-8")
            stats["selected_docs"] += 1
            stats["selected_bytes"] += len(data)
            if config.doc_dedup:
                h = xxhash.xxh3_64_intdigest(data)
                if h in seen_docs:
                    stats["duplicate_docs"] += 1
                    continue
                seen_docs.add(h)
            for line in text.split("\n"):
                if not line.strip():
                    continue
                if config.line_dedup:
                    h = xxhash.xxh3_64_intdigest(line.encode("utf-8"))
                    if h in seen_lines:
                        stats["duplicate_lines"] += 1
                        continue
                    seen_lines.add(h)
                writer.write(line)
                stats["lines"] += 1
                stats["written_bytes"] += len(line.encode("utf-8")) + 1
    except BaseException:
        writer.abort()
        raise
    writer.close()
    stats["files"] = writer.files
    return stats


def plan(sizes: dict[str, int], config: SamplingConfig, registry: Registry | None = None) -> dict[str, dict[str, float]]:
    """Per language: its probability, the bytes it should give, and the rate at which its documents are drawn."""
    registry = registry or load_registry()
    weights = {l: language_sampling(registry, l).tokenizer_weight for l in sizes}
    code = {l for l in sizes if l in registry and registry.get(l).is_code}
    probs = language_probabilities(sizes, config.alpha, weights, code, config.code_share)
    total = config.total_mb * _MB
    cap = min(config.cap_mb * _MB if config.cap_mb else float("inf"),
              config.cap_share * total if config.cap_share else float("inf"))
    targets = allocate(sizes, probs, total, {l: cap for l in sizes})
    return {l: {"weight": weights[l], "probability": probs[l], "target_bytes": targets[l],
                "rate": min(1.0, targets[l] / sizes[l]) if sizes[l] else 0.0} for l in sizes}


def sample_for_tokenizer(documents_dir: str, out_dir: str, config: SamplingConfig | None = None,
                         registry: Registry | None = None) -> dict[str, Any]:
    """Draw the tokenizer training set from `RUN/documents` into `out_dir` (`RUN/tokenizer`): text shards
    `train-<lang>-<NNNNN>.txt` and `sample.json`, which is also returned. Deterministic."""
    config = config or SamplingConfig()
    files = language_files(documents_dir)
    counts = language_sizes(files)
    sizes = {l: n for l, (_, n) in counts.items()}
    planned = plan(sizes, config, registry)
    os.makedirs(out_dir, exist_ok=True)
    # finished shards of an earlier sample and the half-written ones of a killed one
    for stale in glob.glob(os.path.join(out_dir, "train-*.txt")) + glob.glob(os.path.join(out_dir, f"train-*.txt{_TMP_MARK}*")):
        os.remove(stale)
    languages: dict[str, Any] = {}
    for lang in sorted(files):
        info = {"available_docs": counts[lang][0], "available_bytes": sizes[lang], **planned[lang]}
        info["target_bytes"] = int(round(info["target_bytes"]))
        if info["rate"] > 0:
            info.update(_sample_language(lang, files[lang], info["rate"], config, out_dir))
        else:
            info.update({"selected_docs": 0, "selected_bytes": 0, "duplicate_docs": 0, "lines": 0,
                         "duplicate_lines": 0, "written_bytes": 0, "files": []})
        log.debug("tokenizer sample %s: %d of %d bytes drawn, %d written (%d duplicate lines)", lang,
                 info["selected_bytes"], sizes[lang], info["written_bytes"], info["duplicate_lines"])
        languages[lang] = info
    written = sum(i["written_bytes"] for i in languages.values())
    manifest = {
        # relative to this folder (`../documents` in a run): no path of the machine, so runs compare
        "config": asdict(config), "documents": os.path.relpath(os.path.abspath(documents_dir), os.path.abspath(out_dir)),
        "languages": languages,
        "total": {"available_bytes": sum(sizes.values()), "written_bytes": written,
                  "files": [f for l in sorted(languages) for f in languages[l]["files"]]},
        "shares": {l: (i["written_bytes"] / written if written else 0.0) for l, i in languages.items()},
    }
    write_json(os.path.join(out_dir, SAMPLE_MANIFEST), manifest)
    return manifest


def training_files(out_dir: str) -> list[str]:
    """The text shards of a sample folder, sorted (what `roots tokenizer train --input` takes)."""
    return sorted(glob.glob(os.path.join(out_dir, "train-*.txt")))
