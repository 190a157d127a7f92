"""The run directory (ARCHITECTURE.md §5): where each kind of shard goes, how documents are assigned
to shards deterministically, and how shards are written so that a crash leaves no half file. The run
directory may be a local folder or an object-store URL (roots.fs): locally a file is written under a
temporary name and renamed; an object store shows an object only once its upload completes."""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import uuid
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import xxhash

from roots import fs
from roots.errors import RootsError

DOCUMENTS = "documents"
REJECTED = "rejected"
STATS = "stats"
MANIFEST = "manifest.json"
_TMP_MARK = ".tmp-"

#: The key of the language partition folders, `documents/language=XX/`. Deliberately not `lang`, the
#: name of the shards' column: pandas (via pyarrow) infers a hive key as a dictionary column and cannot
#: merge it with a string column of the same name, so `pd.read_parquet(RUN/documents)` failed. With a
#: distinct key pandas, `pyarrow.dataset(partitioning="hive")`, PySpark and `datasets` all load the
#: shards, `lang` from the column (the partition adds a redundant `language` column where inferred).
LANG_PARTITION = "language"
#: The glob that matches every language folder of a kind (`documents/` or `rejected/stage=S/`).
LANG_FOLDER_GLOB = f"{LANG_PARTITION}=*"


def lang_folder(lang: str) -> str:
    """The name of `lang`'s partition folder: `language=XX`."""
    return f"{LANG_PARTITION}={lang}"


def folder_lang(path: str) -> str | None:
    """The language of a partition folder (`.../language=XX` → `XX`), None for any other folder."""
    name = os.path.basename(path.rstrip("/"))
    prefix = f"{LANG_PARTITION}="
    return name[len(prefix):] if name.startswith(prefix) else None


def stable_hash(key: str) -> int:
    """A 64-bit hash that is the same in every process and on every machine (unlike `hash`)."""
    return xxhash.xxh64_intdigest(key.encode("utf-8"))


def shard_count(nbytes: int, target_mb: float) -> int:
    """How many shards a partition of `nbytes` gets: about `target_mb` each, at least one."""
    return max(1, math.ceil(nbytes / (target_mb * 1024 * 1024)))


def shard_of(doc_id: str, total: int) -> int:
    """The shard a document goes to: depends on its id only, never on the runner or worker count."""
    return stable_hash(doc_id) % total


def partition_dir(root: str, kind: str, lang: str, stage: str | None = None) -> str:
    """`documents/language=XX` or `rejected/stage=S/language=XX` under `root`."""
    parts = [root, kind] + ([f"stage={stage}"] if stage else []) + [lang_folder(lang)]
    return os.path.join(*parts)


def shard_path(directory: str, index: int, total: int, fmt: str) -> str:
    """`part-00003-of-00008.parquet`: the count in the name makes a finished set recognisable."""
    ext = "parquet" if fmt == "parquet" else "jsonl"
    return os.path.join(directory, f"part-{index:05d}-of-{total:05d}.{ext}")


def _write_jsonl(table: pa.Table, fh) -> None:
    for row in table.to_pylist():
        row["meta"] = json.loads(row["meta"])
        fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n")


def write_shard(table: pa.Table, path: str, fmt: str) -> bool:
    """Write `table` to `path` under a temporary name, then rename. Returns False, writing nothing,
    when `path` already exists: a rerun after a crash keeps the shards that were finished."""
    if fs.exists(path):
        return False
    if fs.is_remote(path):   # the object appears whole when the upload completes
        with fs.open_file(path, "wb") as fh:
            _write_table(table, fh, fmt)
        return True
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}{_TMP_MARK}{uuid.uuid4().hex}"
    try:
        _write_table(table, tmp, fmt)   # by path: pyarrow writes natively, not through a Python file
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return True


def _write_table(table: pa.Table, where: Any, fmt: str) -> None:
    """`table` as Parquet or JSONL to a local path or an open binary file."""
    if fmt == "parquet":
        pq.write_table(table, where, compression="zstd", row_group_size=8192)
    elif isinstance(where, str):
        with open(where, "wb") as fh:
            _write_jsonl(table, fh)
    else:
        _write_jsonl(table, where)


def remove_temporary_files(root: str) -> int:
    """Delete what a killed step left under a temporary name (a name holding `.tmp-`): half-written
    shards, `train-*.txt.tmp-*` sample shards, `tokenizer.json.tmp-*`, SentencePiece's `.tmp-spm-*`
    folders, Megatron's `.bin.tmp-*`. Hidden names count too (glob's `*` skips them). Returns how
    many were removed (none on object stores, where nothing is written under a temporary name).
    Only safe under the run lock: a running step's own temporary files match as well."""
    if fs.is_remote(root) or not os.path.isdir(root):
        return 0
    found: list[str] = []
    for directory, dirs, files in os.walk(root):
        found += [os.path.join(directory, d) for d in sorted(dirs) if _TMP_MARK in d]
        dirs[:] = sorted(d for d in dirs if _TMP_MARK not in d)
        found += [os.path.join(directory, f) for f in sorted(files) if _TMP_MARK in f]
    for path in found:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.remove(path)
    return len(found)


def write_bytes(path: str, data: bytes) -> None:
    """Write `data` to a local `path` atomically: under a temporary name in the same folder, then
    renamed, so a full disk or a kill leaves the old file or none, never a truncated one (a later
    step's `remove_temporary_files` deletes the leftover). On an object store the object appears
    whole when its upload completes."""
    if fs.is_remote(path):
        with fs.open_file(path, "wb") as fh:
            fh.write(data)
        return
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = f"{path}{_TMP_MARK}{uuid.uuid4().hex}"
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def copy_file(src: str, dst: str) -> None:
    """Copy a local file atomically (temporary name, then rename): see `write_bytes`."""
    os.makedirs(os.path.dirname(dst) or ".", exist_ok=True)
    tmp = f"{dst}{_TMP_MARK}{uuid.uuid4().hex}"
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_json(path: str, data: Any) -> None:
    """Write JSON atomically (temp name, then rename), keys sorted so equal data gives equal bytes."""
    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    write_bytes(path, text.encode("utf-8"))


def read_json(path: str) -> Any:
    with fs.open_file(path, "r", encoding="utf-8") as fh:
        return json.load(fh)


class ShardSetError(RootsError):
    """A finished step's shards are not one complete set: one missing, or two sets mixed."""


_SHARD_NAME = re.compile(r"part-(\d{5})-of-(\d{5})\.(?:parquet|jsonl)$")


def list_shards(root: str, kind: str = DOCUMENTS) -> list[str]:
    """The shards of a finished step, `root/<kind>/language=*/`, sorted (half-written ones excluded), each
    language's checked to be one complete set (all N of N, one N) before a later step trusts them."""
    old = fs.glob(os.path.join(root, kind, "lang=*"))
    if old:   # the layout before LANG_PARTITION: its shards would silently be missed
        raise ShardSetError(f"{old[0]}: a run directory of an older roots (lang=XX folders, now "
                            f"{LANG_PARTITION}=XX); delete the run folder and rerun")
    paths = [p for p in fs.glob(os.path.join(root, kind, LANG_FOLDER_GLOB, "part-*")) if _TMP_MARK not in p]
    by_dir: dict[str, list[tuple[int, int]]] = {}
    for path in paths:
        m = _SHARD_NAME.search(path)
        if m is None:
            raise ShardSetError(f"{path}: not a shard of roots (part-NNNNN-of-NNNNN); remove it and rerun")
        by_dir.setdefault(os.path.dirname(path), []).append((int(m.group(1)), int(m.group(2))))
    for directory, found in sorted(by_dir.items()):
        totals = sorted({n for _, n in found})
        if len(totals) > 1:
            raise ShardSetError(f"{directory}: shards of two runs mixed (of {' and of '.join(map(str, totals))}); "
                                "delete the run folder and rerun")
        missing = sorted(set(range(totals[0])) - {i for i, _ in found})
        if missing:
            raise ShardSetError(f"{directory}: {len(missing)} of {totals[0]} shards missing (part-{missing[0]:05d} "
                                "first); the step is incomplete: delete the run folder and rerun")
    return paths
