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
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq
import xxhash

from roots import fs
from roots.errors import RootsError

if TYPE_CHECKING:
    from roots.document import Document

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


# --- reading shards ------------------------------------------------------------------------------
# One reader for what a run wrote (documents/, rejected/, a step's steps/<step>/): Parquet, or the JSON
# Lines of `output_format: jsonl` with `meta` as an object. Every reader hands back the shard schema
# (roots.document), `meta` a JSON string, whichever the format; sampling, Megatron, the data card, run
# warnings, tuning and the engines' step-to-step hand-over all read through here.

#: The file names of finished shards (temporary names excluded by `_finished`).
SHARD_SUFFIXES = (".parquet", ".jsonl")


class ShardReadError(RootsError):
    """A shard that cannot be read: one line naming the file and what failed."""


def _finished(paths: list[str]) -> list[str]:
    return [p for p in paths if p.endswith(SHARD_SUFFIXES) and _TMP_MARK not in p]


def find_shards(root: str, kind: str = DOCUMENTS, lang: str = "*", stage: str | None = None) -> list[str]:
    """The finished shards of `root/<kind>/[stage=S/]language=L/`, sorted; `*` for `lang` or `stage` matches
    every language or stage. Local or object store. No completeness check (`list_shards` makes that)."""
    return _finished(fs.glob(fs.join(partition_dir(root, kind, lang, stage), "part-*")))


def shards_by_language(folder: str) -> dict[str, list[str]]:
    """The finished shards under `folder/language=XX/` (`folder`: RUN/documents, RUN/rejected/stage=S or
    a step's documents) per language, each list sorted; languages without a shard are left out."""
    out: dict[str, list[str]] = {}
    for path in _finished(fs.glob(fs.join(folder, LANG_FOLDER_GLOB, "part-*"))):
        out.setdefault(folder_lang(os.path.dirname(path)), []).append(path)
    return out


def _field(column: str, values: list[Any]) -> pa.Field:
    """The shard schema's field of `column` (a string for a column outside it), nullable when a value is missing."""
    from roots.document import REJECTED_SCHEMA

    found = REJECTED_SCHEMA.field(column) if column in REJECTED_SCHEMA.names else pa.field(column, pa.string())
    return found.with_nullable(True) if any(v is None for v in values) else found


def _shard_columns(rows: list[dict[str, Any]]) -> list[str]:
    """Every column of JSONL records, in the shard schema's order (the records' keys are sorted)."""
    from roots.document import REJECTED_SCHEMA

    keys = list(dict.fromkeys(k for r in rows for k in r))
    return [c for c in REJECTED_SCHEMA.names if c in keys] + [k for k in keys if k not in REJECTED_SCHEMA.names]


def _jsonl_table(rows: list[dict[str, Any]], columns: list[str]) -> pa.Table:
    """`columns` of JSONL records as a table of the shard schema: `meta` back to its JSON string, a column
    no record has (`reason` of a kept shard) left out, a key one record lacks null."""
    from roots.document import meta_to_json

    present = [c for c in columns if not rows or any(c in r for r in rows)]
    data = {c: [meta_to_json(r[c]) if c == "meta" and isinstance(r.get(c), dict) else r.get(c) for r in rows]
            for c in present}
    return pa.table(data, schema=pa.schema([_field(c, data[c]) for c in present]))


def _jsonl_rows(path: str, ids: set[str] | None = None) -> Iterator[dict[str, Any]]:
    with fs.open_file(path, "rb") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)   # not orjson: it reads an integer over 64 bits as a float
                if ids is None or row.get("id") in ids:
                    yield row


@contextmanager
def _parquet(path: str) -> Iterator[Any]:
    """What pyarrow opens for a Parquet shard: a local path (its native reader), an object store's file
    through fsspec."""
    if not fs.is_remote(path):
        yield path
        return
    with fs.open_file(path, "rb") as fh:
        yield fh


def _fail(path: str, columns: list[str] | None, err: Exception) -> ShardReadError:
    what = f"columns {', '.join(columns)}" if columns else "the shard"
    return ShardReadError(f"{path}: cannot read {what} ({str(err).splitlines()[0] if str(err) else type(err).__name__})")


def read_table(path: str, columns: list[str] | None = None, ids: Iterable[str] | None = None) -> pa.Table:
    """`columns` (default: all) of one shard as an Arrow table of the shard schema, `meta` a JSON string;
    columns the shard lacks (`reason` in a kept shard) are left out; `ids` keeps only those documents."""
    wanted = set(ids) if ids is not None else None
    try:
        if path.endswith(".parquet"):
            with _parquet(path) as source:
                names = pq.read_schema(source).names
                cols = [c for c in columns if c in names] if columns is not None else None
                # shards are sorted by id: the row groups' statistics let pyarrow skip most of them
                filters = [("id", "in", sorted(wanted))] if wanted is not None else None
                return pq.read_table(source, columns=cols, filters=filters)
        rows = list(_jsonl_rows(path, wanted))
        return _jsonl_table(rows, columns if columns is not None else _shard_columns(rows))
    except (OSError, ValueError, KeyError, pa.ArrowException) as err:
        raise _fail(path, columns, err) from None


def iter_batches(path: str, columns: list[str], batch_size: int) -> Iterator[pa.Table]:
    """`columns` of one shard in tables of at most `batch_size` rows, in file order, so a large shard is
    never held whole (Parquet row group by row group; JSONL line by line)."""
    try:
        if path.endswith(".parquet"):
            with _parquet(path) as source:
                for batch in pq.ParquetFile(source).iter_batches(batch_size=batch_size, columns=columns):
                    yield pa.Table.from_batches([batch])
            return
        rows: list[dict[str, Any]] = []
        for row in _jsonl_rows(path):
            rows.append(row)
            if len(rows) >= batch_size:
                yield _jsonl_table(rows, columns)
                rows = []
        if rows:
            yield _jsonl_table(rows, columns)
    except (OSError, ValueError, KeyError, pa.ArrowException) as err:
        raise _fail(path, columns, err) from None


def read_documents(path: str) -> Iterator[Document]:
    """The documents of one shard of `documents/` (or a step's), as the engines hand them from step to step."""
    from roots.document import Document, table_to_documents

    if path.endswith(".parquet"):
        yield from table_to_documents(read_table(path))
        return
    try:
        for row in _jsonl_rows(path):
            yield Document(row["id"], row["text"], row["lang"], row["source"], row["meta"])
    except (OSError, ValueError, KeyError) as err:
        raise _fail(path, None, err) from None


def column_bytes(path: str, column: str = "text") -> int:
    """The uncompressed bytes of a Parquet shard's `column`, from its metadata alone (no decoding; an
    estimate: repetitive text that Parquet dictionary-encodes looks smaller); a JSONL shard's file size."""
    if not path.endswith(".parquet"):
        return fs.size(path)
    with _parquet(path) as source:
        meta = pq.ParquetFile(source).metadata
    total = 0
    for rg in range(meta.num_row_groups):
        group = meta.row_group(rg)
        for c in range(group.num_columns):
            if group.column(c).path_in_schema == column:
                total += group.column(c).total_uncompressed_size
    return total
