"""Training samples from Megatron `.bin/.idx` datasets, indexed exactly as Megatron-Core's `GPTDataset` and
`BlendedDataset` index them (megatron-core 0.16), in numpy, without Megatron installed.

Per dataset and split (Megatron's `GPTDataset`):
- the **document index**: the split's sequence ids repeated for as many epochs as the requested samples
  need, shuffled with `numpy.random.RandomState(seed)` (all full epochs together; a last epoch that is
  used for less than 80% is shuffled on its own, so its unused tail stays unused);
- the **sample index**: rows `(position in the document index, token offset)` where samples of
  `seq_len + 1` tokens start, every `seq_len` tokens of the concatenated documents (a sample crosses
  document boundaries; consecutive samples share one token, the last target and the next first input);
- the **shuffle index**: a seeded permutation of the samples.
Over several datasets (Megatron's `BlendedDataset`): each blended sample goes to the dataset whose share
so far lags its weight the most; each dataset builds `ceil(ceil(size × weight) × 1.005)` samples.

The validation split is held out by tokens, at document boundaries: the last documents of each dataset
holding about `valid_fraction` of its tokens (Megatron splits by document counts instead). The indices
are cached as `.npy` files beside the data (`<dir>/cache/{GPTDataset,BlendedDataset}_indices/`), keyed
by an md5 of a JSON description of the data (a hash of its `.idx`) and the parameters.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import uuid
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from roots.megatron import IndexedDataset
from roots.trainer import TrainerError

log = logging.getLogger(__name__)

#: Megatron's default `--seed`, which seeds its dataset indices.
DEFAULT_SEED = 1234
#: Megatron's `mid_level_dataset_surplus`: each blended dataset builds this many more samples than its share.
SURPLUS = 0.005
#: A last epoch used for less than this share is shuffled separately (Megatron's threshold).
FINAL_EPOCH_THRESHOLD = 0.80
#: Bump when the index construction changes, so old caches are not reused.
CACHE_VERSION = 1
BLEND_FILE = "blend.txt"


# --- the blend ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Blend:
    """Dataset prefixes and their weights (normalised to sum to 1), and where they came from."""

    prefixes: tuple[str, ...]
    weights: tuple[float, ...]
    source: str


def _strip(path: str) -> str:
    return path[:-4] if path.endswith((".bin", ".idx")) else path


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _weight(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise TrainerError(f"{where}: blend weight {text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise TrainerError(f"{where}: blend weight {text!r} must be a positive number")
    return value


def _make_blend(pairs: list[tuple[float, str]], source: str) -> Blend:
    total = math.fsum(w for w, _ in pairs)
    return Blend(tuple(p for _, p in pairs), tuple(w / total for w, _ in pairs), source)


def _resolve(prefix: str, base: str) -> str:
    """A blend line's prefix as written (relative to the working directory, as Megatron reads it), or
    relative to the blend file's folder when only that exists."""
    prefix = _strip(prefix)
    if not os.path.isabs(prefix) and not os.path.exists(prefix + ".idx"):
        beside = os.path.join(base, prefix)
        if os.path.exists(beside + ".idx"):
            return beside
    return prefix


def read_blend_file(path: str) -> Blend:
    """A blend file: `weight prefix` pairs (Megatron's `--data-path` form), one or more per line; `#` comments."""
    base = os.path.dirname(os.path.abspath(path))
    pairs: list[tuple[float, str]] = []
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise TrainerError(f"{path}: cannot read the blend file ({err.__class__.__name__})") from None
    for n, line in enumerate(lines, 1):
        parts = line.split("#", 1)[0].split()
        if not parts:
            continue
        if len(parts) % 2:
            raise TrainerError(f"{path}:{n}: expected `weight prefix` pairs, got {line.strip()!r}")
        for w, p in zip(parts[::2], parts[1::2]):
            pairs.append((_weight(w, f"{path}:{n}"), _resolve(p, base)))
    if not pairs:
        raise TrainerError(f"{path}: no `weight prefix` lines in the blend file")
    return _make_blend(pairs, path)


def parse_blend(spec: str | Sequence[str]) -> Blend:
    """What `--data` names: a run's `megatron/` folder (its blend.txt), a blend file, one prefix, prefixes
    (weighted by their tokens), or Megatron's `W1 P1 W2 P2 ...`."""
    items = [spec] if isinstance(spec, str) else list(spec)
    if len(items) == 1 and not os.path.exists(items[0]) and len(items[0].split()) > 1:
        items = items[0].split()
    if not items:
        raise TrainerError("no data given: pass a blend file, a megatron/ folder or dataset prefixes")
    if len(items) == 1:
        item = items[0]
        if os.path.isdir(item):
            blend = os.path.join(item, BLEND_FILE)
            if not os.path.isfile(blend):
                raise TrainerError(f"{item}: a folder without {BLEND_FILE}; give a blend file or a dataset prefix")
            return read_blend_file(blend)
        if os.path.isfile(item) and not item.endswith((".bin", ".idx")):
            return read_blend_file(item)
        return _make_blend([(1.0, _strip(item))], item)
    source = " ".join(items)
    if len(items) % 2 == 0 and all(_is_number(x) for x in items[::2]):
        return _make_blend([(_weight(w, "--data"), _strip(p)) for w, p in zip(items[::2], items[1::2])], source)
    prefixes = [_strip(p) for p in items]
    tokens = [IndexedDataset(p).num_tokens for p in prefixes]
    if any(t <= 0 for t in tokens):
        empty = prefixes[tokens.index(min(tokens))]
        raise TrainerError(f"{empty}: the dataset has no tokens; leave it out of --data")
    return _make_blend([(float(t), p) for t, p in zip(tokens, prefixes)], source)


# --- Megatron's index construction (pure functions, pinned against megatron-core in the tests) ---------


def num_epochs(tokens_per_epoch: int, num_samples: int | None, seq_len: int) -> int:
    """How many passes over the documents `num_samples` samples of `seq_len + 1` tokens need."""
    if num_samples is None:
        return 1
    return max(1, -(-(num_samples * seq_len + 1) // tokens_per_epoch))


def build_document_index(documents: np.ndarray, epochs: int, rng: np.random.RandomState,
                         separate_final_epoch: bool) -> np.ndarray:
    """The sequence ids of `epochs` passes, shuffled (the last pass on its own when separate); int32."""
    if not separate_final_epoch or epochs == 1:
        index = np.tile(np.asarray(documents, dtype=np.int32), epochs)
        rng.shuffle(index)
        return index
    first = build_document_index(documents, epochs - 1, rng, False)
    last = build_document_index(documents, 1, rng, False)
    return np.concatenate((first, last))


def build_sample_index(sizes: np.ndarray, document_index: np.ndarray, seq_len: int, epochs: int,
                       tokens_per_epoch: int) -> np.ndarray:
    """Rows `(position in document_index, offset)` of the token where each sample starts, plus one row
    for where the last one ends: sample k starts at token k × seq_len of the concatenated documents.
    Megatron's `build_sample_idx` (drop the last partial sample) without its C++ loop."""
    num_samples = (epochs * tokens_per_epoch - 1) // seq_len
    lengths = np.asarray(sizes)[document_index].astype(np.int64)
    ends = np.cumsum(lengths)
    starts = np.arange(num_samples + 1, dtype=np.int64) * seq_len
    position = np.searchsorted(ends, starts, side="right")
    offset = starts - (ends[position] - lengths[position])
    big = max(document_index.shape[0], int(np.max(sizes))) > np.iinfo(np.int32).max
    return np.stack([position, offset], axis=1).astype(np.int64 if big else np.int32)


def build_shuffle_index(num_samples: int, total_size: int, rng: np.random.RandomState) -> np.ndarray:
    """A permutation of [0, num_samples), then one of [num_samples, total_size) when they differ."""
    dtype = np.uint32 if total_size < np.iinfo(np.uint32).max - 1 else np.int64
    first = np.arange(num_samples, dtype=dtype)
    rng.shuffle(first)
    if num_samples == total_size:
        return first
    last = np.arange(num_samples, total_size, dtype=dtype)
    rng.shuffle(last)
    return np.concatenate((first, last))


def build_gpt_indices(sizes: np.ndarray, documents: np.ndarray, num_samples: int | None, seq_len: int,
                      seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The document, sample and shuffle indices of a GPTDataset over the sequence ids `documents`."""
    tokens_per_epoch = int(np.asarray(sizes)[documents].astype(np.int64).sum())
    epochs = num_epochs(tokens_per_epoch, num_samples, seq_len)
    separate, sans_final = False, 0
    if epochs > 1:
        sans_final = ((epochs - 1) * tokens_per_epoch - 1) // seq_len
        per_epoch = (tokens_per_epoch - 1) // seq_len
        separate = num_samples - sans_final < int(FINAL_EPOCH_THRESHOLD * per_epoch)
    rng = np.random.RandomState(seed)
    document_index = build_document_index(documents, epochs, rng, separate)
    sample_index = build_sample_index(sizes, document_index, seq_len, epochs, tokens_per_epoch)
    total = sample_index.shape[0] - 1
    shuffle_index = build_shuffle_index(sans_final if separate else total, total, rng)
    return document_index, sample_index, shuffle_index


def build_blending_indices(weights: Sequence[float], size: int) -> tuple[np.ndarray, np.ndarray]:
    """For each of `size` samples, the dataset whose share so far lags its weight the most (the first on
    a tie), and that dataset's running sample number: Megatron's `build_blending_indices`."""
    w = np.asarray(weights, dtype=np.float64)
    counts = np.zeros(w.size, dtype=np.int64)
    dataset_index = np.zeros(size, dtype=np.int16)
    dataset_sample_index = np.zeros(size, dtype=np.int64)
    for s in range(size):
        k = int(np.argmax(w * max(float(s), 1.0) - counts))
        dataset_index[s] = k
        dataset_sample_index[s] = counts[k]
        counts[k] += 1
    return dataset_index, dataset_sample_index


# --- the cache ---------------------------------------------------------------------------------------


def _save_npy(path: str, array: np.ndarray) -> None:
    tmp = f"{path}.tmp-{uuid.uuid4().hex}"
    try:
        with open(tmp, "wb") as fh:
            np.save(fh, array, allow_pickle=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def cached_arrays(cache_dir: str | None, kind: str, description: dict, names: Sequence[str],
                  build: Callable[[], tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    """The arrays `build()` returns, loaded from `cache_dir/<md5>-<kind>-<name>.npy` when cached, else
    built and saved there (a folder that cannot be written only costs the cache: a warning)."""
    text = json.dumps(description, sort_keys=True, indent=2)
    if cache_dir is None:
        return build()
    key = hashlib.md5(text.encode("utf-8")).hexdigest()
    paths = [os.path.join(cache_dir, f"{key}-{kind}-{name}.npy") for name in names]
    if all(os.path.isfile(p) for p in paths):
        try:
            return tuple(np.load(p, mmap_mode="r", allow_pickle=False) for p in paths)
        except (OSError, ValueError) as err:
            log.warning("%s: unreadable cached index (%s); rebuilding it", cache_dir, err)
    arrays = build()
    try:
        os.makedirs(cache_dir, exist_ok=True)
        for path, array in zip(paths, arrays):
            _save_npy(path, array)
        with open(os.path.join(cache_dir, f"{key}-{kind}-description.json"), "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    except OSError as err:
        log.warning("%s: cannot cache the %s indices (%s); they stay in memory", cache_dir, kind, err)
    return arrays


def _fingerprint(data: IndexedDataset) -> str:
    with open(data.prefix + ".idx", "rb") as fh:
        return hashlib.blake2b(fh.read(), digest_size=16).hexdigest()


# --- the datasets ------------------------------------------------------------------------------------


def split_sequences(data: IndexedDataset, valid_fraction: float) -> tuple[tuple[int, int], tuple[int, int]]:
    """Sequence ranges `[start, end)` of the training and validation parts: whole documents, the last ones
    holding about `valid_fraction` of the tokens validate (at least one document when there are two)."""
    n = len(data)
    if valid_fraction <= 0 or data.num_documents < 2:
        return (0, n), (n, n)
    token_ends = np.concatenate([[0], np.cumsum(data.sequence_lengths.astype(np.int64))])
    doc_ends = token_ends[data.document_indices[1:].astype(np.int64)]
    cut_doc = int(np.searchsorted(doc_ends, (1.0 - valid_fraction) * doc_ends[-1], side="right"))
    cut_doc = min(max(cut_doc, 1), data.num_documents - 1)
    cut = int(data.document_indices[cut_doc])
    return (0, cut), (cut, n)


class GPTSamples:
    """Megatron-Core's GPTDataset over the sequences `[start, end)` of one dataset: `num_samples` samples
    of `seq_len + 1` tokens (int64 arrays), in shuffled order."""

    def __init__(self, data: IndexedDataset, start: int, end: int, num_samples: int | None, seq_len: int,
                 seed: int = DEFAULT_SEED, split: str = "train", cache_dir: str | None = None):
        self.data, self.seq_len, self.split = data, seq_len, split
        self.sizes = data.sequence_lengths
        self.tokens = int(self.sizes[start:end].astype(np.int64).sum())
        if seq_len < 1:
            raise TrainerError(f"sequence length must be positive, got {seq_len}")
        if self.tokens < seq_len + 1:
            raise TrainerError(f"{data.prefix}: its {split} part holds {self.tokens} tokens, fewer than one sample "
                               f"of seq_len + 1 = {seq_len + 1}; lower --seq-len or leave it out of the blend")
        description = {"class": "GPTDataset", "version": CACHE_VERSION, "idx": _fingerprint(data),
                       "dataset": os.path.basename(data.prefix), "split": split, "sequences": [start, end],
                       "num_samples": num_samples, "seq_len": seq_len, "seed": seed}
        self.description = description
        documents = np.arange(start, end, dtype=np.int32)
        self.document_index, self.sample_index, self.shuffle_index = cached_arrays(
            cache_dir, f"GPTDataset-{split}", description, ("document_index", "sample_index", "shuffle_index"),
            lambda: build_gpt_indices(self.sizes, documents, num_samples, seq_len, seed))

    def __len__(self) -> int:
        return int(self.sample_index.shape[0]) - 1

    def __getitem__(self, i: int) -> np.ndarray:
        j = int(self.shuffle_index[i])
        (first, first_offset), (last, last_offset) = self.sample_index[j], self.sample_index[j + 1]
        parts = []
        for k in range(int(first), int(last) + 1):
            seq = int(self.document_index[k])
            lo = int(first_offset) if k == first else 0
            hi = int(last_offset) + 1 if k == last else int(self.sizes[seq])
            parts.append(self.data.sequence(seq)[lo:hi])
        return np.concatenate(parts).astype(np.int64)


class BlendedSamples:
    """Megatron-Core's BlendedDataset: `size` samples drawn from `datasets` in proportion to `weights`."""

    def __init__(self, datasets: Sequence[GPTSamples], weights: Sequence[float], size: int,
                 cache_dir: str | None = None):
        self.datasets, self.weights, self.size = list(datasets), list(weights), size
        description = {"class": "BlendedDataset", "version": CACHE_VERSION, "size": size, "weights": self.weights,
                       "datasets": [d.description for d in self.datasets]}
        self.dataset_index, self.dataset_sample_index = cached_arrays(
            cache_dir, "BlendedDataset", description, ("dataset_index", "dataset_sample_index"),
            lambda: build_blending_indices(self.weights, size))
        used = np.bincount(np.asarray(self.dataset_index), minlength=len(self.datasets))
        for d, n in zip(self.datasets, used.tolist()):
            if n > len(d):
                raise TrainerError(f"{d.data.prefix}: the blend asks {n} samples of its {d.split} part, which has {len(d)}")

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, i: int) -> np.ndarray:
        return self.datasets[int(self.dataset_index[i])][int(self.dataset_sample_index[i])]


Samples = GPTSamples | BlendedSamples


def batch(samples: Samples, start: int, count: int) -> np.ndarray:
    """Samples `start .. start + count - 1` as one `(count, seq_len + 1)` int64 array."""
    return np.stack([samples[i] for i in range(start, start + count)])


def _share(size: int, weight: float) -> int:
    return int(math.ceil(math.ceil(size * weight) * (1 + SURPLUS)))


def _index_cache(prefix: str, cache_dir: str | None, kind: str) -> str:
    return os.path.join(cache_dir or os.path.join(os.path.dirname(os.path.abspath(prefix)), "cache"), f"{kind}_indices")


@dataclass
class TrainingData:
    """The training samples, the validation samples (None when no dataset holds out a full sample),
    the blend and the sample length (each sample has seq_len + 1 tokens)."""

    train: Samples
    valid: Samples | None
    blend: Blend
    seq_len: int


def build_data(blend: Blend, seq_len: int, train_samples: int, valid_samples: int, seed: int = DEFAULT_SEED,
               valid_fraction: float = 0.01, cache_dir: str | None = None) -> TrainingData:
    """Open every dataset of the blend (a missing or corrupt one is a one-line error), split it, and build
    the blended training and validation samples."""
    if not 0 <= valid_fraction < 1:
        raise TrainerError(f"the validation fraction must be in [0, 1), got {valid_fraction}")
    if train_samples < 1:
        raise TrainerError(f"need at least one training sample, got {train_samples}")
    opened = [IndexedDataset(p) for p in blend.prefixes]
    dtypes = {d.dtype.name for d in opened}
    if len(dtypes) > 1:
        raise TrainerError(f"{blend.source}: the datasets mix token types {sorted(dtypes)}; blend datasets of one tokenizer")
    single = len(opened) == 1
    train_parts, valid_parts, valid_weights = [], [], []
    for data, weight in zip(opened, blend.weights):
        (t0, t1), (v0, v1) = split_sequences(data, valid_fraction)
        gpt_cache = _index_cache(data.prefix, cache_dir, "GPTDataset")
        n_train = train_samples if single else _share(train_samples, weight)
        train_parts.append(GPTSamples(data, t0, t1, n_train, seq_len, seed, "train", gpt_cache))
        held_out = int(data.sequence_lengths[v0:v1].astype(np.int64).sum())
        if valid_samples > 0 and held_out >= seq_len + 1:
            valid_parts.append((data, v0, v1, gpt_cache))
            valid_weights.append(weight)
        elif valid_samples > 0:
            log.info("%s: %d held-out tokens, less than one sample; not validated", data.prefix, held_out)
    blend_cache = _index_cache(blend.prefixes[0], cache_dir, "BlendedDataset")
    train: Samples = train_parts[0] if single else BlendedSamples(train_parts, blend.weights, train_samples, blend_cache)
    valid: Samples | None = None
    if valid_parts:
        total = math.fsum(valid_weights)
        weights = [w / total for w in valid_weights]
        sets = [GPTSamples(d, v0, v1, valid_samples if len(valid_parts) == 1 else _share(valid_samples, w),
                           seq_len, seed, "valid", c) for (d, v0, v1, c), w in zip(valid_parts, weights)]
        valid = sets[0] if len(sets) == 1 else BlendedSamples(sets, weights, valid_samples, blend_cache)
    elif valid_samples > 0:
        log.warning("%s: no dataset holds out a full sample for validation; no validation loss", blend.source)
    return TrainingData(train, valid, blend, seq_len)
