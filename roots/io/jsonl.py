"""JSON Lines reader (plain, `.gz`, `.zst`): one document per line, every bad line a rejection."""
from __future__ import annotations

import io
import json
from typing import Any, Iterator

import fsspec
import orjson
import xxhash
from fsspec.utils import infer_compression

from roots.document import (BAD_LANG_FIELD, BROKEN_JSON, COMPRESSION_RATIO, DUPLICATE_ID, INVALID_UTF8, MISSING_FIELD, NOT_AN_OBJECT, TOO_LARGE, WRONG_TYPE,
                            Document, Reason, Rejection)
from roots.io.base import (Format, Record, SourceSpec, base_meta, clean_str, expand_files, record_id,
                           unit_name, unreadable)


def open_binary(path: str):
    """Open a local or remote file for reading bytes, decompressing `.gz`, `.zst`, `.bz2`, `.xz` by suffix."""
    fh = fsspec.open(path, "rb", compression="infer").open()
    # zstandard's reader has no readline: buffer it so every format iterates by lines.
    return io.BufferedReader(fh) if type(fh).__module__.startswith("zstandard") else fh


def record_from_object(spec: SourceSpec, unit: str, position: int, obj: Any, name: str | None = None) -> Record:
    """Turn one decoded JSON value (or table row) into a document, or a rejection naming what is wrong
    (`name`: the unit's `unit_name`, computed once per unit by the caller)."""
    if name is None:
        name = unit_name(spec, unit)
    rid = record_id(spec, unit, position, name)
    meta = base_meta(spec, unit, name, record=position)

    def reject(reason: Reason, detail: str, text: str = "") -> Rejection:
        return Rejection(Document(rid, text, spec.lang, spec.name, meta), reason, f"{unit} record {position}: {detail}")

    if not isinstance(obj, dict):
        return reject(NOT_AN_OBJECT, f"expected a JSON object, got {type(obj).__name__}", json.dumps(obj, ensure_ascii=False)[:10_000])
    if spec.text_field not in obj:
        meta["fields"] = sorted(obj)
        return reject(MISSING_FIELD, f"no field {spec.text_field!r} (fields: {', '.join(sorted(obj)) or 'none'})")
    text = obj[spec.text_field]
    if not isinstance(text, str):
        return reject(WRONG_TYPE, f"field {spec.text_field!r} is {type(text).__name__}, not a string", json.dumps(text, default=str)[:10_000])
    if spec.id_field and obj.get(spec.id_field) is not None:
        value = obj[spec.id_field]
        if isinstance(value, (dict, list, tuple)):   # an id is a name, not a structure (which may nest 1,000 deep)
            return reject(WRONG_TYPE, f"field {spec.id_field!r} (the id) is {type(value).__name__}, not a string or number",
                          text if isinstance(text, str) else "")
        rid = f"{spec.name}/{value}"
    lang = spec.lang
    if spec.lang_field:
        lang, problem = record_lang(spec, obj)
        if problem:
            meta.update({k: v for k, v in obj.items() if k not in (spec.text_field, spec.id_field)})
            doc = Document(rid, text, "", spec.name, meta)
            return Rejection(doc, BAD_LANG_FIELD, f"{unit} record {position}: {problem}")
    meta.update({k: v for k, v in obj.items() if k not in (spec.text_field, spec.id_field)})
    return Document(rid, text, lang, spec.name, meta)


def record_lang(spec: SourceSpec, obj: dict[str, Any]) -> tuple[str, str]:
    """(language, "") from the record's `lang_field`, or ("", why not): a missing, null, empty or
    non-string value, or one that is not a registry code (never guessed, never left to LID: a source
    that names languages per record is trusted to name them right, and told when it does not)."""
    import difflib

    field = spec.lang_field or ""
    if field not in obj or obj[field] is None:
        return "", f"no value in field {field!r} (the source's lang_field)"
    value = obj[field]
    if not isinstance(value, str):
        return "", f"field {field!r} (the source's lang_field) is {type(value).__name__}, not a language code"
    if not value.strip():
        return "", f"field {field!r} (the source's lang_field) is empty"
    if value not in spec.languages:
        near = difflib.get_close_matches(value, spec.languages, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        return "", (f"field {field!r} is {value[:40]!r}, not a code of the language registry{hint}; add the "
                    "language with a language_configs overlay, or map the value")
    return value, ""


_REFUSED = object()


def parse_line(spec: SourceSpec, unit: str, position: int, line: bytes, name: str | None = None) -> Record:
    """Decode and parse one JSONL line (bytes, without the newline): orjson for speed; the standard
    library classifies what orjson refuses (invalid UTF-8, broken JSON, or lone surrogates and NaN,
    which `json` accepts and the normalise stage then judges). `name`: the unit's `unit_name`."""
    if name is None:
        name = unit_name(spec, unit)
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        obj = _REFUSED
    if obj is not _REFUSED:
        try:
            return record_from_object(spec, unit, position, obj, name)
        except RecursionError:   # defensive: no value of the record may stop the file's reading
            return Rejection(Document(record_id(spec, unit, position, name), "", spec.lang, spec.name,
                                      base_meta(spec, unit, name, record=position)),
                             BROKEN_JSON, f"{unit} record {position}: a field nested too deeply")
    try:
        decoded = line.decode("utf-8")
    except UnicodeDecodeError as err:
        doc = Document(record_id(spec, unit, position, name), line.decode("utf-8", errors="replace"), spec.lang,
                       spec.name, base_meta(spec, unit, name, record=position))
        return Rejection(doc, INVALID_UTF8, f"{unit} record {position}: invalid UTF-8 at byte {err.start}")
    def broken(detail: str) -> Rejection:
        doc = Document(record_id(spec, unit, position, name), decoded, spec.lang, spec.name,
                       base_meta(spec, unit, name, record=position))
        return Rejection(doc, BROKEN_JSON, f"{unit} record {position}: {detail}")

    try:
        obj = json.loads(decoded)
    except json.JSONDecodeError as err:
        return broken(f"{err.msg} at column {err.colno}")
    except RecursionError:   # orjson stops at 1,024 levels; the standard library runs out of stack
        return broken("JSON nested too deeply")
    try:
        return record_from_object(spec, unit, position, obj, name)
    except RecursionError:   # a deeply nested value in a field other than the text
        return broken("a field nested too deeply")


#: The longest line a JSONL reader holds in memory (source option `max_record_bytes`): a longer one is
#: read past in chunks and rejected `bad_input:too_large`, so a 2 GB line costs no more memory than this.
DEFAULT_MAX_RECORD_BYTES = 64 * 1024 * 1024
_SKIP_CHUNK = 1024 * 1024


def read_lines(fh, limit: int) -> Iterator[tuple[bytes, int]]:
    """(line without its newline, full length) for every line of a binary file; a line over `limit`
    bytes comes back empty with its full length, its bytes never held together."""
    while True:
        line = fh.readline(limit + 1)
        if not line:
            return
        if len(line) <= limit or line.endswith(b"\n"):
            yield line.rstrip(b"\r\n"), len(line)
            continue
        size = len(line)
        while not line.endswith(b"\n"):
            line = fh.readline(_SKIP_CHUNK)
            if not line:
                break
            size += len(line)
        yield b"", size


#: How many times its compressed size a file may decompress to (source option `max_compression_ratio`;
#: 0 switches the guard off). Text compresses 3-20x, repetitive text rarely 100x; gzip's ceiling is
#: about 1,030x, while zstd, xz and bz2 bombs reach millions: reading stops past the limit.
DEFAULT_MAX_COMPRESSION_RATIO = 1000
#: No file is judged a bomb before this many decompressed bytes: a small file of one repeated line may
#: legitimately compress more than the ratio, and costs nothing to read.
RATIO_FLOOR_BYTES = 1024 * 1024


class CompressionRatioExceeded(Exception):
    """A compressed file decompressed past `max_compression_ratio` times its size."""

    def __init__(self, decompressed: int, compressed: int, limit: float):
        self.decompressed, self.compressed, self.limit = decompressed, compressed, limit
        super().__init__(f"over {decompressed} bytes decompressed from {compressed} compressed "
                         f"(ratio {decompressed / max(compressed, 1):.0f}x > max_compression_ratio {limit:g}, "
                         "source option)")


class RatioGuard:
    """A decompressed stream whose `readline` counts the bytes it gives and raises
    CompressionRatioExceeded once they pass `ratio` times the compressed size (and the floor): a
    decompression bomb is stopped after at most one more line's worth of bytes."""

    def __init__(self, fh, compressed_size: int, ratio: float):
        self._fh = fh
        self.compressed, self.ratio = compressed_size, ratio
        self.budget = max(ratio * compressed_size, RATIO_FLOOR_BYTES)
        self.decompressed = 0

    def readline(self, size: int = -1) -> bytes:
        line = self._fh.readline(size)
        self.decompressed += len(line)
        if self.decompressed > self.budget:
            raise CompressionRatioExceeded(self.decompressed, self.compressed, self.ratio)
        return line


def guarded(fh, path: str, ratio: float):
    """`fh` (the decompressed stream of `path`) behind a RatioGuard when `path` is compressed (by its
    suffix) and `ratio` is positive; else `fh` itself."""
    if not ratio or infer_compression(path) is None:
        return fh
    filesystem, local = fsspec.core.url_to_fs(path)
    return RatioGuard(fh, int(filesystem.size(local)), ratio)


def _ratio_rejection(spec: SourceSpec, unit: str, err: CompressionRatioExceeded, lineno: int) -> Rejection:
    doc = Document(record_id(spec, unit, "file"), "", spec.lang, spec.name, base_meta(spec, unit))
    return Rejection(doc, COMPRESSION_RATIO, clean_str(f"{unit}: {err}; stopped after line {lineno}, "
                                                       "the records before it kept"))


def unique_ids(records: Iterator[Record], spec: SourceSpec, unit: str) -> Iterator[Record]:
    """`records` of one input file, each document whose id an earlier one of the file had (the
    source's `id_field` value repeated) rejected `bad_input:duplicate_id`, the first kept. Only with
    an `id_field`: positional ids never repeat. Ids are held as 128-bit hashes in a set, about 80
    bytes a record in Python, so a file of a million records holds about 80 MB."""
    if not spec.id_field:
        yield from records
        return
    seen: set[int] = set()
    for record in records:
        if isinstance(record, Document):
            key = xxhash.xxh3_128_intdigest(record.id.encode("utf-8", "surrogatepass"))
            if key in seen:
                record = Rejection(record, DUPLICATE_ID, clean_str(
                    f"{unit} record {record.meta.get('record', '?')}: id {record.id[:200]!r} repeats an "
                    "earlier record of the file (the first kept)"))
            else:
                seen.add(key)
        yield record


def read_jsonl(spec: SourceSpec, unit: str) -> Iterator[Record]:
    """Every non-blank line of one JSONL file, numbered from 1 as an editor shows it; a line over the
    source's `max_record_bytes` is rejected without being held in memory, a compressed file that
    decompresses past `max_compression_ratio` is read no further, and a repeated id is rejected."""
    yield from unique_ids(_read_jsonl_lines(spec, unit), spec, unit)


def _read_jsonl_lines(spec: SourceSpec, unit: str) -> Iterator[Record]:
    limit = int(spec.options.get("max_record_bytes", DEFAULT_MAX_RECORD_BYTES))
    ratio = float(spec.options.get("max_compression_ratio", DEFAULT_MAX_COMPRESSION_RATIO))
    lineno = 0
    name = unit_name(spec, unit)   # once per file, not per record
    try:
        with open_binary(unit) as fh:
            for lineno, (line, size) in enumerate(read_lines(guarded(fh, unit, ratio), limit), start=1):
                if size > limit and not line:
                    doc = Document(record_id(spec, unit, lineno, name), "", spec.lang, spec.name,
                                   base_meta(spec, unit, name, record=lineno))
                    yield Rejection(doc, TOO_LARGE, f"{unit} record {lineno}: line of {size} bytes > "
                                                    f"max_record_bytes {limit} (source option)")
                elif line.strip():
                    yield parse_line(spec, unit, lineno, line, name)
    except CompressionRatioExceeded as err:
        yield _ratio_rejection(spec, unit, err, lineno)
    except Exception as err:  # a truncated archive or unreadable file: keep what was read, reject the rest
        yield unreadable(spec, unit, err if lineno == 0 else RuntimeError(f"after line {lineno}: {err}"))


JSONL = Format("jsonl", expand_files, read_jsonl)
