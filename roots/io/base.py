"""What every reader shares: the source spec from a run config, input units, and record ids.

A reader is a `Format`: `expand(spec)` lists the input units of a source (files, or a dataset
folder) in a stable order before any work starts, and `read(spec, unit)` yields a `Document` or a
`Rejection` for every record of one unit, never raising on bad content. The engines parallelise over
units, so a reader never needs to know which engine runs it.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterator

import orjson

from roots import fs
from roots.errors import RootsError
from roots.document import BAD_FIELD, INVALID_UTF8, Document, Rejection, UNREADABLE_FILE

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
    #: the record field holding each document's language (a registry code), for sources in many languages
    lang_field: str | None = None
    #: the registry codes a `lang_field` value may take (the run's registry, overlay included): carried
    #: with the spec so that workers check records against the same registry as the driver
    languages: tuple[str, ...] = field(default=(), repr=False)
    #: for code sources, the run registry's (extension, language) and (interpreter, language) pairs,
    #: overlay included: carried with the spec so workers detect the languages the driver knows
    code_maps: tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]] = field(default=((), ()), repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The spec as the manifest records it: `languages` and `code_maps` (the registry's, which the
        step keys cover) left out, and `lang_field` only when set, so configs without it keep their hash."""
        data = asdict(self)
        data.pop("languages")
        data.pop("code_maps")
        if self.lang_field is None:
            data.pop("lang_field")
        return data

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

    def records(self, spec: SourceSpec, unit: str) -> Iterator[Record]:
        """`read`, with every record made writable (see `writable`): what the engines consume."""
        for record in self.read(spec, unit):
            yield writable(record)


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


def clean_str(value: str) -> str:
    """`value` unchanged when it is valid Unicode text; else its lone surrogates spelled out as escaped
    bytes (`\\xff`): an undecodable file name (Python's surrogateescape) keeps its original bytes
    visible, a JSON `\\ud800` becomes `\\xed\\xa0\\x80`. Deterministic, so ids stay stable."""
    if value.isascii():   # constant time, and most ids, names and codes are: no surrogate possible
        return value
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        pass
    try:
        raw = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = value.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "backslashreplace")


def _bad_field(value: Any, where: str) -> str | None:
    """The first place in a (nested) meta value holding a string that is not valid Unicode text."""
    if isinstance(value, str):
        return None if clean_str(value) is value else where
    if isinstance(value, dict):
        for key, item in value.items():
            found = _bad_field(key, where) if isinstance(key, str) else None
            found = found or _bad_field(item, f"{where}.{key}")
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found = _bad_field(item, f"{where}[{i}]")
            if found:
                return found
    return None


def _clean_value(value: Any) -> Any:
    if isinstance(value, str):
        return clean_str(value)
    if isinstance(value, dict):
        return {(clean_str(k) if isinstance(k, str) else k): _clean_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean_value(v) for v in value]
    return value


def _unstorable_keys(meta: dict[str, Any]) -> list[str] | None:
    """Top-level meta keys whose value nests too deeply to be stored (over orjson's 255 levels). orjson
    on the whole meta is the fast path: it refuses deep nesting, lone surrogates and types it cannot
    write, and only then is each key tried alone. None: orjson wrote it, so it is clean."""
    try:
        orjson.dumps(meta)
        return None
    except TypeError:
        pass
    deep = []
    for key in sorted(meta, key=str):
        try:
            orjson.dumps({key: meta[key]})
        except TypeError as err:
            # orjson stops at 255 levels: deeper values also break pickling between workers and the
            # writers' JSON, so they are not stored.
            if "recursion" in str(err).lower():
                deep.append(key)
    return deep


def writable(record: Record) -> Record:
    """A record every writer can store, never an exception: a document whose id, source, language or
    meta holds a lone surrogate (a JSON `\\ud800` in an id or author field) is rejected
    `bad_input:invalid_utf8` naming the field, one whose meta nests too deeply for JSON
    `bad_input:bad_field` (that field dropped); a rejection's fields are cleaned. The text itself is the
    normalise stage's to judge."""
    doc = record.doc if isinstance(record, Rejection) else record
    deep = _unstorable_keys(doc.meta)
    if deep:
        doc.meta = {k: v for k, v in doc.meta.items() if k not in deep}
        if not isinstance(record, Rejection):
            record = Rejection(doc, BAD_FIELD, f"{doc.id}: meta field {deep[0]!r} nested too deeply (dropped)")
    bad = ("id" if clean_str(doc.id) is not doc.id else "source" if clean_str(doc.source) is not doc.source
           else "lang" if clean_str(doc.lang) is not doc.lang else None)
    if bad is None and deep is not None:   # orjson refused the meta: look for the lone surrogate
        bad = _bad_field(doc.meta, "meta")
    if isinstance(record, Rejection):
        if bad is not None or clean_str(record.detail) is not record.detail or clean_str(doc.text) is not doc.text:
            _clean_document(doc)
            record.detail = clean_str(record.detail)
        return record
    if bad is None:
        return record
    _clean_document(doc)
    return Rejection(doc, INVALID_UTF8, f"{doc.id}: lone surrogate in field {bad}")


def _clean_document(doc: Document) -> None:
    doc.id, doc.source, doc.lang = clean_str(doc.id), clean_str(doc.source), clean_str(doc.lang)
    doc.text = clean_str(doc.text)
    doc.meta = _clean_value(doc.meta)


def unit_name(spec: SourceSpec, unit: str) -> str:
    """A unit's path relative to the source's base folder, with `/` separators: part of record ids. A
    file name that is not UTF-8 keeps its bytes, escaped (`clean_str`)."""
    rel = os.path.relpath(unit, spec.base_dir or ".")
    return clean_str(os.path.basename(os.path.normpath(unit)) if rel == "." else rel.replace(os.sep, "/"))


def record_id(spec: SourceSpec, unit: str, position: int | str, name: str | None = None) -> str:
    """A stable id: the source name, the unit inside it, and the record's position or own id. `name`:
    the unit's `unit_name`, when the caller computed it once for the unit's records (a reader's hot path)."""
    return f"{spec.name}/{unit_name(spec, unit) if name is None else name}#{position}"


def base_meta(spec: SourceSpec, unit: str, name: str | None = None, **extra: Any) -> dict[str, Any]:
    """The meta every record of a unit starts with: where it came from, and the source licence
    (`name`: the unit's `unit_name`, as for `record_id`)."""
    meta: dict[str, Any] = {"file": unit_name(spec, unit) if name is None else name}
    if spec.license:
        meta["license"] = spec.license
    meta.update(extra)
    return meta


def unreadable(spec: SourceSpec, unit: str, error: BaseException) -> Rejection:
    """The one record left of a unit that could not be read at all."""
    doc = Document(id=record_id(spec, unit, "file"), text="", lang=spec.lang, source=spec.name,
                   meta=base_meta(spec, unit))
    return Rejection(doc, UNREADABLE_FILE, clean_str(f"{unit}: {type(error).__name__}: {error}"[:500]))
