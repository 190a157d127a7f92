"""WARC and WET readers (plain or gzip, as Common Crawl ships them): every record becomes a document
or a rejection, so nothing in an archive is lost.

WARC `response` records holding HTML give their main text, extracted by trafilatura with the settings
measured in `benchmarks/extraction.py`; WET `conversion` records give their text as is. A truncated or
corrupt archive gives what was read, then one `unreadable` rejection for the rest.
"""
from __future__ import annotations

import codecs
import gzip
import logging
import re
import zlib
from typing import Any, BinaryIO, Callable, Iterator, Mapping

import charset_normalizer
import fsspec
from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from roots.document import (INVALID_UTF8, NO_EXTRACTED_TEXT, NOT_A_DOCUMENT, TOO_LARGE, Document, Reason,
                            Rejection)
from roots.io.base import Format, Record, SourceSpec, base_meta, expand_files, record_id, unreadable

log = logging.getLogger(__name__)

#: trafilatura settings: its balanced default. On the article-extraction benchmark (benchmarks/extraction.py,
#: 181 English pages) the four settings are within each other's error bars (F1 0.960 balanced, 0.964
#: favor_precision); on pages nobody tuned on, favor_precision loses articles: through the WARC path
#: (extraction, then the boilerplate stage) balanced keeps 0.883 / 0.869 of trafilatura's 884 evaluation
#: pages' main-text snippets against 0.871 / 0.841 (dev / held-out), removing 0.950 / 0.944 of their
#: boilerplate against 0.956 / 0.954, and 52 of 62 Chinese news pages are kept against 48 (on NetEase's
#: pages precision picks the comment disclaimer and the recommendations over the article). BENCHMARKS.md.
EXTRACT_OPTIONS: dict[str, Any] = {
    "include_comments": False,
    "include_tables": True,
    "favor_precision": False,
    "favor_recall": False,
    "deduplicate": False,
}

#: The largest HTTP payload read from one response; larger ones are rejected without reading them all.
DEFAULT_MAX_HTML_BYTES = 20_000_000

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_GZIP_MAGIC = b"\x1f\x8b"
_SNIFF_BYTES = 16_384
_META_CHARSET_RE = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)"
                              rb"|^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_CHARSET_PARAM_RE = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
#: Labels browsers read as a wider encoding (WHATWG Encoding Standard), so pages decode as they render.
_CHARSET_ALIASES = {
    "iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
    "us-ascii": "cp1252", "ascii": "cp1252", "gb2312": "gb18030", "gbk": "gb18030",
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932",
    "euc-kr": "cp949", "big5": "big5hkscs", "tis-620": "cp874", "iso-8859-11": "cp874",
    "iso-8859-9": "cp1254", "x-user-defined": "cp1252",
}


class CorruptArchive(Exception):
    """The archive ends inside a record or its compressed stream is damaged (never an EOFError, which
    warcio would take for a clean end). `spoils_record`: the damage lies in the gzip member just read
    (a CRC or length check failed, or inflating failed), so the record read from it cannot be trusted."""

    def __init__(self, message: str, spoils_record: bool = True) -> None:
        super().__init__(message)
        self.spoils_record = spoils_record


def _spoils_record(err: Exception) -> bool:
    """Whether a gzip error condemns the data already read: not for an early end (truncation) or a bad
    header of the next member, which only stop what follows."""
    if isinstance(err, EOFError):
        return False
    return not (isinstance(err, gzip.BadGzipFile) and "CRC" not in str(err) and "length" not in str(err))


# --- decoding and extraction ---------------------------------------------------------------------


def _codec(label: str | None) -> str | None:
    """The Python codec of a charset label, or None when Python does not know it."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _CHARSET_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def charset_of_content_type(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header value, if any."""
    match = _CHARSET_PARAM_RE.search(content_type or "")
    return match.group(1) if match else None


def meta_charset(data: bytes) -> str | None:
    """The charset a `<meta charset>`, `<meta http-equiv=content-type>` or XML declaration gives near the top."""
    match = _META_CHARSET_RE.search(data[:_SNIFF_BYTES])
    if not match:
        return None
    label = (match.group(1) or match.group(2)).decode("ascii", "replace")
    # A meta tag found by an ASCII scan cannot be in UTF-16/32: browsers read that as UTF-8.
    return "utf-8" if label.lower().startswith(("utf-16", "utf-32")) else label


def decode_html(data: bytes, content_type: str | None = None) -> str:
    """Decode HTML bytes as a browser would: BOM, then HTTP charset, then meta charset, then UTF-8, then a
    guess by charset-normalizer; a declared charset wins over a guess even with a few bad bytes."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    declared = [c for c in (_codec(charset_of_content_type(content_type)), _codec(meta_charset(data))) if c]
    for codec in dict.fromkeys(declared + ["utf-8"]):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    if declared:
        return data.decode(declared[0], errors="replace")
    return _guess_decode(data)


def _guess_decode(data: bytes) -> str:
    """Undeclared, non-UTF-8 bytes: charset-normalizer's best guess, else Windows-1252 with replacement."""
    try:
        best = charset_normalizer.from_bytes(data[:1_000_000]).best()
        if best is not None and best.encoding:
            return data.decode(best.encoding, errors="replace")
    except Exception as err:  # a guesser failure must never lose the record
        log.debug("charset guess failed: %s", err)
    return data.decode("cp1252", errors="replace")


def extract_main_text(html: bytes | str, url: str | None = None, options: Mapping[str, Any] | None = None) -> str:
    """The main text of an HTML page by trafilatura, or "" when it finds none or fails; `options`
    (default EXTRACT_OPTIONS) are trafilatura.extract keywords, for the benchmark to compare."""
    if isinstance(html, bytes):
        html = decode_html(html)
    if not html.strip():
        return ""
    import trafilatura   # here: 0.2 s of import that every run would pay, WARC sources or not

    try:
        text = trafilatura.extract(html, url=url, output_format="txt", **(EXTRACT_OPTIONS if options is None else options))
    except Exception as err:  # trafilatura and lxml raise on odd markup; the page is just not extractable
        log.warning("trafilatura failed on %s: %s: %s", url, type(err).__name__, err)
        return ""
    return text or ""


# --- archive iteration ---------------------------------------------------------------------------


class _CheckedStream:
    """A read-only byte stream that counts what it gave and turns decompression errors and early ends
    into CorruptArchive, so warcio cannot mistake a truncated gzip for the end of the archive."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        # read1 hands over each decompressed piece as it comes, so an error late in a block
        # does not discard the whole members decoded before it.
        self._read = getattr(raw, "read1", raw.read)
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        try:
            data = self._read(size)
        except (EOFError, zlib.error, gzip.BadGzipFile) as err:
            raise CorruptArchive(f"compressed stream broken after {self.position} bytes: {err}",
                                 _spoils_record(err)) from err
        self.position += len(data)
        return data

    def tell(self) -> int:
        return self.position


def _open_archive(fh: BinaryIO) -> _CheckedStream:
    """The archive's uncompressed bytes: gzip (one member per record or one for all) by magic number."""
    head = fh.read(2)
    fh.seek(0)
    return _CheckedStream(gzip.GzipFile(fileobj=fh, mode="rb") if head == _GZIP_MAGIC else fh)


def _iter_archive(spec: SourceSpec, unit: str,
                  convert: Callable[[SourceSpec, str, int, ArcWarcRecord], Record]) -> Iterator[Record]:
    """Every record of one archive through `convert(spec, unit, index, record)`; a damaged archive ends
    with one `unreadable` rejection for what could not be read."""
    index = 0
    try:
        with fsspec.open(unit, "rb") as fh:  # local or remote; gzip is handled here, not by suffix
            stream = _open_archive(fh)
            records = ArchiveIterator(stream, check_digests=False)
            for record in records:
                _check_header(record, index)
                out = convert(spec, unit, index, record)
                error = _finish_record(records, record, index)
                yield out  # whole, even when the damage starts right after it
                index += 1
                if error is not None:
                    raise error
            if stream.position != records.offset:
                raise CorruptArchive(f"{stream.position - records.offset} bytes after the last whole record "
                                     f"are not a record (truncated header?)")
    except Exception as err:  # warcio raises assorted errors on damaged input; keep what was read
        yield unreadable(spec, unit, err if index == 0 else RuntimeError(f"after record {index - 1}: {err}"))


def _finish_record(records: ArchiveIterator, record: ArcWarcRecord, index: int) -> Exception | None:
    """Read the rest of a record; raise if the record itself is cut short or its gzip member fails its
    check, return (not raise) damage met only after its end, so the caller keeps the whole record."""
    error: Exception | None = None
    try:
        records.read_to_end()
    except CorruptArchive as err:
        if err.spoils_record:
            raise CorruptArchive(f"record {index}: {err}") from err
        error = err
    except Exception as err:
        error = err
    missing = getattr(record.raw_stream, "limit", 0)
    if missing > 0:
        raise CorruptArchive(f"record {index} ends early: {missing} bytes missing") from error
    return error


def _check_header(record: ArcWarcRecord, index: int) -> None:
    """Refuse what warcio parses leniently from a damaged or foreign file: a record that is not WARC, or
    lacks its type or length."""
    if record.format != "warc":
        raise CorruptArchive(f"record {index} is not a WARC record (format {record.format!r}; ARC is not read)")
    if not record.rec_type or record.rec_headers.get_header("Content-Length") is None:
        raise CorruptArchive(f"record {index} has no WARC-Type or Content-Length header")


def _warc_meta(spec: SourceSpec, unit: str, record: ArcWarcRecord, content_type: str | None) -> dict[str, Any]:
    """The meta of a record: where it came from and the WARC headers that identify it."""
    headers = record.rec_headers
    meta = base_meta(spec, unit, warc_type=record.rec_type,
                     warc_record_id=headers.get_header("WARC-Record-ID"),
                     warc_date=headers.get_header("WARC-Date"),
                     url=headers.get_header("WARC-Target-URI"),
                     content_type=content_type)
    return {k: v for k, v in meta.items() if v is not None}


def _reject(spec: SourceSpec, unit: str, index: int, meta: dict[str, Any], reason: Reason, detail: str,
            text: str = "") -> Rejection:
    doc = Document(record_id(spec, unit, index), text, spec.lang, spec.name, meta)
    return Rejection(doc, reason, f"{unit} record {index}: {detail}")


# --- WARC ----------------------------------------------------------------------------------------


def _payload_type(record: ArcWarcRecord) -> str | None:
    """The HTTP Content-Type of a response, else the type Common Crawl identified, else None."""
    if record.http_headers is not None:
        value = record.http_headers.get_header("Content-Type")
        if value:
            return value
    return record.rec_headers.get_header("WARC-Identified-Payload-Type")


def _is_html(content_type: str | None, head: bytes) -> bool:
    """An HTML payload by its declared type, or, when none is declared, by its first bytes."""
    if content_type:
        return content_type.split(";")[0].strip().lower() in _HTML_TYPES
    sniff = head[:1024].lstrip().lower()
    return sniff.startswith((b"<!doctype html", b"<html")) or b"<html" in sniff


def _http_status(record: ArcWarcRecord) -> int | None:
    """The HTTP status code of a response record, or None when it has none."""
    if record.http_headers is None:
        return None
    try:
        return int(record.http_headers.get_statuscode())
    except (TypeError, ValueError):
        return None


def _read_up_to(stream: Any, size: int) -> bytes:
    """Up to `size` bytes of a stream, fewer only at its end (warcio readers may return short reads)."""
    parts, left = [], size
    while left > 0:
        chunk = stream.read(min(left, 1 << 20))
        if not chunk:
            break
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def convert_warc_record(spec: SourceSpec, unit: str, index: int, record: ArcWarcRecord) -> Record:
    """One WARC record as a document (the main text of an HTML response) or a rejection saying why not."""
    content_type = _payload_type(record) if record.rec_type == "response" else record.rec_headers.get_header("Content-Type")
    meta = _warc_meta(spec, unit, record, content_type)
    if record.rec_type != "response":
        return _reject(spec, unit, index, meta, NOT_A_DOCUMENT, f"a {record.rec_type} record")
    status = _http_status(record)
    if status is not None and not 200 <= status < 300:
        meta["http_status"] = status
        return _reject(spec, unit, index, meta, NOT_A_DOCUMENT, f"HTTP status {status}, not a page")
    limit = int(spec.options.get("max_html_bytes", DEFAULT_MAX_HTML_BYTES))
    stream = record.content_stream()
    head = _read_up_to(stream, _SNIFF_BYTES)
    if not _is_html(content_type, head):
        return _reject(spec, unit, index, meta, NOT_A_DOCUMENT, f"payload is {content_type or 'not HTML'}")
    data = head + _read_up_to(stream, limit + 1 - len(head)) if len(head) == _SNIFF_BYTES else head
    meta["size"] = len(data)
    if len(data) > limit:
        return _reject(spec, unit, index, meta, TOO_LARGE, f"HTML payload over {limit} bytes")
    text = extract_main_text(decode_html(data, content_type), meta.get("url"))
    if not text.strip():
        return _reject(spec, unit, index, meta, NO_EXTRACTED_TEXT, "trafilatura found no main text")
    return Document(record_id(spec, unit, index), text, spec.lang, spec.name, meta)


def read_warc(spec: SourceSpec, unit: str) -> Iterator[Record]:
    """Every record of one WARC file: HTML responses as their main text, the rest as rejections."""
    return _iter_archive(spec, unit, convert_warc_record)


# --- WET -----------------------------------------------------------------------------------------


def convert_wet_record(spec: SourceSpec, unit: str, index: int, record: ArcWarcRecord) -> Record:
    """One WET record: a `conversion` record's text (strict UTF-8), any other record a rejection."""
    meta = _warc_meta(spec, unit, record, record.rec_headers.get_header("Content-Type"))
    if record.rec_type != "conversion":
        return _reject(spec, unit, index, meta, NOT_A_DOCUMENT, f"a {record.rec_type} record")
    data = record.content_stream().read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        return _reject(spec, unit, index, meta, INVALID_UTF8, f"invalid UTF-8 at byte {err.start}",
                       data.decode("utf-8", errors="replace"))
    return Document(record_id(spec, unit, index), text, spec.lang, spec.name, meta)


def read_wet(spec: SourceSpec, unit: str) -> Iterator[Record]:
    """Every record of one WET file: conversions as documents, warcinfo as a rejection."""
    return _iter_archive(spec, unit, convert_wet_record)


WARC = Format("warc", expand_files, read_warc)
WET = Format("wet", expand_files, read_wet)
