"""Source-code trees: one record per file, its language from the registry's extensions or shebangs.

A spec's path is a folder (or a glob of folders) holding a source tree. Every file is a unit, and each
unit gives exactly one record: a document with its programming language, or a rejection saying why
not (vendored folder, too large, binary, unknown language, a symlink leaving the tree). Rejections of
files that are not read carry empty text, never the bytes.
"""
from __future__ import annotations

import functools
import glob
import os
import re
from typing import Iterator

from roots.document import (BINARY_FILE, REASONS, UNKNOWN_LANG, UNKNOWN_LANGUAGE, VENDORED_FILE, Document, Reason,
                            Rejection)
from roots.io.base import Format, Record, SourceError, SourceSpec, base_meta, record_id, unreadable

FILE_TOO_LARGE = REASONS["bad_input:file_too_large"]
SYMLINK_OUTSIDE_TREE = REASONS["bad_input:symlink_outside_tree"]

#: Folders whose files are vendored, generated or tooling, not the project's own code.
DEFAULT_VENDORED_DIRS = frozenset({
    "node_modules", "vendor", "third_party", "third-party", ".git", ".hg", ".svn", "__pycache__",
    "dist", "build", ".venv", "venv", "site-packages",
})
DEFAULT_MAX_FILE_BYTES = 1_000_000
#: How much of a file's start is searched for a NUL byte (as git and grep do to call a file binary).
BINARY_SNIFF_BYTES = 8192

_GLOB_CHARS = "*?["
_VERSION_SUFFIX_RE = re.compile(r"[-_]?\d+(\.\d+)*$")
#: `env` options that take the next word as their argument.
_ENV_OPTIONS_WITH_ARG = frozenset({"-u", "--unset", "-C", "--chdir", "-P", "--default-signal"})


# --- the registry maps, loaded once per process --------------------------------------------------


@functools.lru_cache(maxsize=8)
def language_maps(code_maps: tuple[tuple, tuple] = ((), ())) -> tuple[dict[str, str], dict[str, str]]:
    """The extension → language and interpreter → language maps: a spec's `code_maps` (the run's registry,
    overlay included), or the packaged registry's when it carries none (built once per process)."""
    if code_maps[0] or code_maps[1]:
        return dict(code_maps[0]), dict(code_maps[1])
    from roots.languages import load_registry

    registry = load_registry()
    return registry.extensions(), registry.shebangs()


def language_of_name(name: str, extensions: dict[str, str]) -> str | None:
    """The language of a file name by its extension, case-sensitive, longest suffix first (`a.d.ts`)."""
    parts = name.lstrip(".").split(".")
    for i in range(1, len(parts)):
        lang = extensions.get("." + ".".join(parts[i:]))
        if lang:
            return lang
    return None


def interpreter_of_shebang(line: str) -> str | None:
    """The interpreter a `#!` line runs: the program, or what `env` runs past its options and NAME=value."""
    if not line.startswith("#!"):
        return None
    words = line[2:].split()
    if not words:
        return None
    program = os.path.basename(words[0])
    if program != "env":
        return program
    rest = iter(words[1:])
    for word in rest:
        if word in _ENV_OPTIONS_WITH_ARG:
            next(rest, None)
        elif word.startswith("-") or "=" in word:
            continue  # -S / --split-string, -i, and VAR=value assignments
        else:
            return os.path.basename(word)
    return None


def language_of_shebang(line: str, shebangs: dict[str, str]) -> str | None:
    """The language of a `#!` line: the interpreter as named, else without a version suffix (python3.11)."""
    program = interpreter_of_shebang(line)
    if not program:
        return None
    return shebangs.get(program) or shebangs.get(_VERSION_SUFFIX_RE.sub("", program))


# --- expanding a source into its files -----------------------------------------------------------


def _tree_roots(path: str) -> list[str]:
    """The tree folders a spec path names: the folder itself, or every folder its glob matches, sorted."""
    if any(ch in path for ch in _GLOB_CHARS):
        return sorted(m for m in glob.glob(path, recursive=True) if os.path.isdir(m))
    return [path] if os.path.isdir(path) else []


@functools.lru_cache(maxsize=64)
def _cached_tree_roots(path: str) -> tuple[str, ...]:
    """`_tree_roots` absolute, once per process and path: readers use it to find a unit's tree."""
    return tuple(os.path.abspath(r) for r in _tree_roots(path))


def _walk_files(root: str) -> Iterator[str]:
    """Every file (symlinks to files and broken symlinks included) under `root`, not following links."""
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            yield os.path.join(folder, name)


def expand_code_tree(spec: SourceSpec) -> list[str]:
    """Every file of the spec's source tree(s), sorted; a path matching no folder is a SourceError."""
    roots = _tree_roots(spec.path)
    if not roots:
        what = "matches no folder" if any(ch in spec.path for ch in _GLOB_CHARS) else "is not a folder"
        raise SourceError(f"source {spec.name!r}: path {spec.path!r} {what}; a code source is a source tree")
    files = sorted({f for root in roots for f in _walk_files(root)})
    if not files:
        raise SourceError(f"source {spec.name!r}: no files under {spec.path!r}")
    return files


# --- reading one file ----------------------------------------------------------------------------


def tree_root_of(spec: SourceSpec, unit: str) -> str:
    """The tree folder a unit lies in: the deepest of the spec's folders holding it (else its own folder)."""
    path = os.path.abspath(unit)
    holders = [r for r in _cached_tree_roots(spec.path) if _is_inside(path, r)]
    return max(holders, key=len) if holders else os.path.dirname(path)


def _is_inside(path: str, root: str) -> bool:
    """Whether `path` is `root` or lies under it (both absolute, compared by path components)."""
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:  # different drives
        return False


def vendored_dirs(spec: SourceSpec) -> frozenset[str]:
    """The folder names whose files are vendored: the defaults or `options["vendored_dirs"]`."""
    names = spec.options.get("vendored_dirs")
    return DEFAULT_VENDORED_DIRS if names is None else frozenset(names)


def _vendored_folder(inner_path: str, names: frozenset[str]) -> str | None:
    """The first folder of a path inside the tree that is vendored, if any (the file name is not looked at)."""
    return next((part for part in inner_path.split("/")[:-1] if part in names), None)


def _link_escapes(unit: str, root: str) -> str | None:
    """Why a unit may not be followed (a broken link, or a real path outside the tree), else None."""
    if os.path.islink(unit) and not os.path.exists(unit):
        return f"broken symlink to {os.readlink(unit)}"
    real = os.path.realpath(unit)
    if not _is_inside(real, os.path.realpath(root)):
        return f"resolves to {real}, outside the tree {root}"
    return None


def _decode_source(data: bytes) -> str | None:
    """The text of source bytes (UTF-8, a BOM dropped), or None for binary: a NUL early on, or not UTF-8."""
    if b"\0" in data[:BINARY_SNIFF_BYTES]:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def detect_language(unit: str, text: str, code_maps: tuple[tuple, tuple] = ((), ())) -> str | None:
    """The registry language of a file: by its name's extension, then its symlink target's, then its shebang
    (`code_maps`: the run registry's, see `language_maps`)."""
    extensions, shebangs = language_maps(code_maps)
    lang = language_of_name(os.path.basename(unit), extensions)
    if lang is None and os.path.islink(unit):
        lang = language_of_name(os.path.basename(os.path.realpath(unit)), extensions)
    if lang is None and text.startswith("#!"):
        lang = language_of_shebang(text.split("\n", 1)[0].rstrip("\r"), shebangs)
    return lang


def _read_bounded(unit: str, limit: int) -> bytes:
    """At most `limit + 1` bytes of a file, so a file grown since it was measured is still caught."""
    with open(unit, "rb") as fh:
        return fh.read(limit + 1)


def classify_file(spec: SourceSpec, unit: str) -> Record:
    """The one record of a file of a source tree: a document with its language, or a rejection saying why not."""
    root = tree_root_of(spec, unit)
    inner = os.path.relpath(os.path.abspath(unit), root).replace(os.sep, "/")
    meta = base_meta(spec, unit, path=inner)
    rid = record_id(spec, unit, 0)
    name_lang = language_of_name(os.path.basename(unit), language_maps(spec.code_maps)[0]) or UNKNOWN_LANG

    def reject(reason: Reason, detail: str, text: str = "", lang: str = name_lang) -> Rejection:
        return Rejection(Document(rid, text, lang, spec.name, meta), reason, f"{unit}: {detail}")

    folder = _vendored_folder(inner, vendored_dirs(spec))
    if folder is not None:
        return reject(VENDORED_FILE, f"under the vendored folder {folder!r}")
    escape = _link_escapes(unit, root)
    if escape is not None:
        return reject(SYMLINK_OUTSIDE_TREE, escape)
    if os.path.islink(unit):
        meta["symlink_to"] = os.path.relpath(os.path.realpath(unit), os.path.realpath(root)).replace(os.sep, "/")
    if not os.path.isfile(unit):  # a FIFO or device would block or never end
        raise OSError(f"not a regular file: {unit}")
    limit = int(spec.options.get("max_file_bytes", DEFAULT_MAX_FILE_BYTES))
    meta["size"] = os.path.getsize(unit)
    data = _read_bounded(unit, limit) if meta["size"] <= limit else b""
    if meta["size"] > limit or len(data) > limit:
        meta["size"] = max(meta["size"], len(data))
        return reject(FILE_TOO_LARGE, f"{meta['size']} bytes, over max_file_bytes={limit}")
    text = _decode_source(data)
    if text is None:
        return reject(BINARY_FILE, "binary: a NUL byte in the first 8 KiB, or not UTF-8")
    lang = detect_language(unit, text, spec.code_maps)
    if lang is None:
        return reject(UNKNOWN_LANGUAGE, "no registry extension or shebang matches", text, UNKNOWN_LANG)
    return Document(rid, text, lang, spec.name, meta)


def read_code_file(spec: SourceSpec, unit: str) -> Iterator[Record]:
    """Exactly one record per file; a file that cannot be read (gone, no permission) is `unreadable`."""
    try:
        record = classify_file(spec, unit)
    except OSError as err:
        record = unreadable(spec, unit, err)
    yield record


CODE = Format("code", expand_code_tree, read_code_file)
