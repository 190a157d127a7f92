"""`roots pii --input IN --output OUT [--lang xx]`: redact personal information in a JSONL or
Parquet file of documents, outside a run (the PII stage of roots/filters/pii.py on each record)."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import uuid
from collections import Counter
from typing import Any, Iterator

from roots.commands.overlay import add_option, registry_of
from roots.errors import RootsError

log = logging.getLogger(__name__)
BATCH_ROWS = 4096


class PiiCommandError(RootsError):
    """A bad argument of `roots pii` (unknown language, unsupported file type, missing input)."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add `roots pii` to the CLI."""
    parser = sub.add_parser(
        "pii", help="redact personal information in a JSONL or Parquet file of documents",
        description="Detect e-mails, IPs, user handles, keys, phones, cards, IBANs, national ids and "
                    "wallets in each record's text with the detectors of its language, replace them by "
                    "PI:TYPE tags (or fake values), and record the spans in meta.pii. Formats follow the "
                    "file names: .jsonl (.gz, .zst, .bz2, .xz to read) or .parquet.")
    parser.add_argument("--input", required=True, help="a .jsonl[.gz|.zst] or .parquet file of records with a text field")
    parser.add_argument("--output", required=True, help="where to write: .jsonl or .parquet")
    parser.add_argument("--lang", default="", help="the language of records that name none (a registry code, e.g. sw)")
    parser.add_argument("--replace", choices=("tag", "fake"), default="tag",
                        help="tag: PI:EMAIL, PI:PHONE, ... (default); fake: realistic fake values seeded by the record id")
    parser.add_argument("--text-field", default="text", help="the field holding the text (default: text)")
    add_option(parser)
    parser.set_defaults(handler=run_command)


def _kind(path: str, what: str) -> str:
    name = path.lower()
    if name.endswith(".parquet"):
        return "parquet"
    if any(name.endswith(ext) for ext in (".jsonl", ".jsonl.gz", ".jsonl.zst", ".jsonl.bz2", ".jsonl.xz", ".json")):
        return "jsonl"
    raise PiiCommandError(f"{path}: {what} must be a .jsonl (.gz/.zst/.bz2/.xz) or .parquet file")


def _read(path: str, kind: str) -> Iterator[tuple[int, Any]]:
    """(position, record) for every record; a record that is not a JSON object comes as an error string."""
    if kind == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        position = 0
        try:
            for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS):
                for row in batch.to_pylist():
                    yield position, row
                    position += 1
        except (pa.ArrowException, OSError) as err:   # a truncated or corrupt file: one line, not a traceback
            raise PiiCommandError(f"{path}: cannot read the Parquet file after {position} rows "
                                  f"({str(err).splitlines()[0]})") from None
        return
    from roots.io.jsonl import DEFAULT_MAX_RECORD_BYTES, open_binary, read_lines

    with open_binary(path) as fh:
        for lineno, (raw, size) in enumerate(read_lines(fh, DEFAULT_MAX_RECORD_BYTES), start=1):
            if size > DEFAULT_MAX_RECORD_BYTES and not raw:   # read past in chunks, never held
                yield lineno, f"line {lineno}: {size} bytes, over {DEFAULT_MAX_RECORD_BYTES}"
                continue
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as err:
                yield lineno, f"line {lineno}: not valid JSON ({err})"
                continue
            except RecursionError:
                yield lineno, f"line {lineno}: JSON nested too deeply"
                continue
            yield lineno, obj if isinstance(obj, dict) else f"line {lineno}: not a JSON object"


def run_command(args: argparse.Namespace) -> int:
    """Redact every record of --input into --output; bad records are reported and not copied."""
    from roots.document import Document, meta_to_json
    from roots.filters.pii import META_KEY, PiiConfig, PiiRedact

    if not os.path.isfile(args.input):
        raise PiiCommandError(f"{args.input}: no such input file")
    in_kind, out_kind = _kind(args.input, "--input"), _kind(args.output, "--output")
    registry = registry_of(args)
    if args.lang and args.lang not in registry:
        raise PiiCommandError(f"--lang {args.lang!r} is not in the language registry (see `roots languages`)")
    stage = PiiRedact(PiiConfig(replace=args.replace), registry)
    stage.setup()
    base = os.path.basename(args.input)
    counts: Counter = Counter()
    bad: list[str] = []
    documents = 0

    def redacted() -> Iterator[dict[str, Any]]:
        nonlocal documents
        for position, record in _read(args.input, in_kind):
            if isinstance(record, str):
                bad.append(record)
                continue
            text = record.get(args.text_field)
            if not isinstance(text, str):
                bad.append(f"record {position}: field {args.text_field!r} is missing or not a string")
                continue
            field = _unwritable_field(record)
            if field:
                bad.append(f"record {position}: field {field} holds a lone surrogate (not valid Unicode text)")
                continue
            raw_meta = record.get("meta")
            meta = raw_meta if isinstance(raw_meta, dict) else {}
            if isinstance(raw_meta, str):
                try:
                    meta = json.loads(raw_meta) if raw_meta else {}
                except json.JSONDecodeError:
                    meta = {"meta_unparsed": raw_meta}
            doc_id = str(record.get("id") or f"{base}#{position}")
            lang = record.get("lang") if isinstance(record.get("lang"), str) and record.get("lang") else args.lang
            doc = stage(Document(doc_id, text, lang, str(record.get("source") or ""), dict(meta)))
            documents += 1
            counts.update(s["type"] for s in doc.meta[META_KEY])
            out = dict(record)
            out[args.text_field] = doc.text
            out["meta"] = meta_to_json(doc.meta) if (isinstance(raw_meta, str) or out_kind == "parquet") else doc.meta
            yield out

    tmp = f"{args.output}.tmp-{uuid.uuid4().hex}"
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    try:
        _write(redacted(), tmp, out_kind)
        os.replace(tmp, args.output)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    spans = ", ".join(f"{t} {n}" for t, n in sorted(counts.items())) or "none"
    print(f"pii: {documents} documents, {sum(counts.values())} spans ({spans}) -> {args.output}")
    if bad:
        shown = "; ".join(bad[:5]) + (f"; ... {len(bad) - 5} more" if len(bad) > 5 else "")
        print(f"pii: {len(bad)} bad records not copied: {shown}", file=sys.stderr)
    return 0


def _unwritable_field(record: dict[str, Any]) -> str | None:
    """The first field holding a string that is not valid Unicode text (a JSON `\\ud800`), which no
    writer can store; None when the record can be written."""
    from roots.io.base import _bad_field

    try:
        json.dumps(record, ensure_ascii=False, default=str).encode("utf-8")
        return None
    except UnicodeEncodeError:
        return _bad_field(record, "record") or "record"
    except (RecursionError, ValueError):
        return None


def _write(rows: Iterator[dict[str, Any]], path: str, kind: str) -> None:
    if kind == "jsonl":
        with open(path, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True, default=str) + "\n")
        return
    writer = None
    batch: list[dict[str, Any]] = []
    try:
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH_ROWS:
                writer = _write_batch(batch, path, writer)
                batch = []
        writer = _write_batch(batch, path, writer, final=True)
    finally:
        if writer is not None:
            writer.close()


def _write_batch(batch: list[dict[str, Any]], path: str, writer, final: bool = False):
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not batch and not (final and writer is None):
        return writer
    table = pa.Table.from_pylist(batch, schema=writer.schema_arrow if writer is not None else None)
    if writer is None:
        writer = pq.ParquetWriter(path, table.schema, compression="zstd")
    writer.write_table(table)
    return writer
