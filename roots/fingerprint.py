"""What a run's outputs depend on, as digests: the config, every input file and every model or list file
the config names. (The language configs, packaged and overlaid, are keyed per step by roots.stepkeys: a
changed threshold recomputes the steps that read it rather than refusing the folder.)

A rerun into a folder resumes only when all three are unchanged; otherwise the manifest refuses it and
says which part changed (issue 15: thresholds or inputs changed between a crash and the rerun once
mixed shards of two runs). Files are fingerprinted by path, size and modification time (or an object
store's etag), not by content: reading a terabyte to start a run is not an option.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterable

from roots import fs

PARTS = ("config", "inputs", "models")


def _digest(items: Iterable[Any]) -> str:
    h = hashlib.sha256()
    for item in items:
        h.update(json.dumps(item, sort_keys=True, separators=(",", ":"), default=str).encode())
        h.update(b"\n")
    return h.hexdigest()[:16]


def file_state(path: str) -> tuple[str, int, str]:
    """(path, size, version) of one file: the local modification time in ns, or an object store's etag,
    checksum or modification time."""
    if not fs.is_remote(path):
        st = os.stat(path)
        return path, st.st_size, str(st.st_mtime_ns)
    filesystem, inner = fs.filesystem(path)
    info = filesystem.info(inner)
    version = next((str(info[k]) for k in ("etag", "ETag", "md5Hash", "mtime", "LastModified", "updated", "created")
                    if info.get(k) is not None), "")
    return path, int(info.get("size") or 0), version


def _files_under(path: str) -> list[str]:
    if fs.isdir(path):
        return sorted(p for p in fs.files_under(path) if "__pycache__" not in p)
    return [path] if fs.isfile(path) else []


def inputs_digest(config) -> str:
    """Every file of every source: path, size and version."""
    from roots.io.base import expand_files

    return _digest(file_state(f) for spec in config.sources for f in expand_files(spec))


def _named_paths(value: Any) -> Iterable[str]:
    """String values of the stage sections that name an existing file or folder (models, lists)."""
    if isinstance(value, dict):
        for v in value.values():
            yield from _named_paths(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _named_paths(v)
    elif isinstance(value, str) and (os.sep in value or "://" in value):
        try:
            if fs.exists(value):
                yield value
        except (OSError, ValueError):
            return


def models_digest(config) -> str:
    """The model and list files the stage sections name (LID model, perplexity models, word lists,
    a given tokenizer), by path, size and version."""
    stages = {name: config.to_dict().get(name) for name in sorted(config.stages)}
    paths = sorted(set(_named_paths(stages)))
    return _digest(file_state(f) for p in paths for f in _files_under(p))


def fingerprint(config) -> dict[str, str]:
    """The digest of each part a run's outputs depend on."""
    return {"config": config.hash(), "inputs": inputs_digest(config), "models": models_digest(config)}


def combined(parts: dict[str, str]) -> str:
    """One digest of all parts: the run's identity in its manifest."""
    return _digest(parts[k] for k in PARTS)
