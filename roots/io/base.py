"""What every reader shares: the source spec from a run config, input units, and record ids.

A reader is a `Format`: `expand(spec)` lists the input units of a source (files, or a dataset
folder) in a stable order before any work starts, and `read(spec, unit)` yields a `Document` or a
`Rejection` for every record of one unit, never raising on bad content. The engines parallelise over
units, so a reader never needs to know which engine runs it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from roots import fs
from roots.errors import RootsError
from roots.document import Document, Rejection, UNREADABLE_FILE

Record = Document | Rejection


class SourceError(RootsError):
    """A source that cannot be read at all (missing path, bad option): stops a run before any work."""


@dataclass(frozen=True)
class SourceSpec:
    """One source of a run config: where its data is, how to read it, what it is."""

    name: str
    path: str
    format: str
    text_field: str = "text"
    id_field: str | None = None
    lang: str = ""
    license: str = ""
    options: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)
    #: a web crawl (like formats warc and wet): boilerplate removal and template lines apply by default
    web: bool = False

    @property
    def base_dir(self) -> str:
        """The folder that unit names are relative to: the part of `path` before any glob character."""
        path = self.path
        cut = min((i for i, ch in enumerate(path) if ch in "*?["), default=None)
        if cut is None:
            return path if fs.isdir(path) else os.path.dirname(path)
        return os.path.dirname(path[:cut])


@dataclass(frozen=True)
class Format:
    """A reader: how to list a source's units, and how to read one unit into records."""

    name: str
    expand: Callable[[SourceSpec], list[str]]
    read: Callable[[SourceSpec, str], Iterator[Record]]


def expand_files(spec: SourceSpec) -> list[str]:
    """The files matched by the spec's path or glob, sorted; a folder means every file under it. The
    path may be a URL of an object store (roots.fs)."""
    if any(ch in spec.path for ch in "*?["):
        matches = fs.glob(spec.path, recursive=True)
    elif fs.isdir(spec.path):
        matches = fs.files_under(spec.path)
    elif fs.exists(spec.path):
        matches = [spec.path]
    else:
        raise SourceError(f"source {spec.name!r}: path {spec.path!r} does not exist")
    files = sorted(m for m in matches if fs.isfile(m))
    if not files:
        raise SourceError(f"source {spec.name!r}: no files match {spec.path!r}")
    return files


def unit_name(spec: SourceSpec, unit: str) -> str:
    """A unit's path relative to the source's base folder, with `/` separators: part of record ids."""
    rel = os.path.relpath(unit, spec.base_dir or ".")
    return os.path.basename(os.path.normpath(unit)) if rel == "." else rel.replace(os.sep, "/")


def record_id(spec: SourceSpec, unit: str, position: int | str) -> str:
    """A stable id: the source name, the unit inside it, and the record's position or own id."""
    return f"{spec.name}/{unit_name(spec, unit)}#{position}"


def base_meta(spec: SourceSpec, unit: str, **extra: Any) -> dict[str, Any]:
    """The meta every record of a unit starts with: where it came from, and the source licence."""
    meta: dict[str, Any] = {"file": unit_name(spec, unit)}
    if spec.license:
        meta["license"] = spec.license
    meta.update(extra)
    return meta


def unreadable(spec: SourceSpec, unit: str, error: BaseException) -> Rejection:
    """The one record left of a unit that could not be read at all."""
    doc = Document(id=record_id(spec, unit, "file"), text="", lang=spec.lang, source=spec.name,
                   meta=base_meta(spec, unit))
    return Rejection(doc, UNREADABLE_FILE, f"{unit}: {type(error).__name__}: {error}"[:500])
