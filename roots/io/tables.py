"""Readers of tabular sources: Parquet files, and Hugging Face datasets saved with `save_to_disk`."""
from __future__ import annotations

import os
from typing import Iterator

import pyarrow.parquet as pq

from roots.document import SCHEMA_MISMATCH, Document, Rejection
from roots.io.base import (Format, Record, SourceError, SourceSpec, base_meta, expand_files, record_id,
                           unit_name, unreadable)
from roots.io.jsonl import open_binary, record_from_object, unique_ids

BATCH_ROWS = 4096


def _schema_mismatch(spec: SourceSpec, unit: str, position: int, columns: list[str]) -> Rejection:
    doc = Document(record_id(spec, unit, position), "", spec.lang, spec.name,
                   base_meta(spec, unit, record=position, columns=columns))
    return Rejection(doc, SCHEMA_MISMATCH,
                     f"{unit} row {position}: no column {spec.text_field!r} (columns: {', '.join(columns)})")


def read_parquet(spec: SourceSpec, unit: str) -> Iterator[Record]:
    """Every row of one Parquet file, numbered from 0; rows of a file without the text column are rejected
    one by one, a row repeating an earlier row's `id_field` value `bad_input:duplicate_id`."""
    yield from unique_ids(_read_parquet_rows(spec, unit), spec, unit)


def _read_parquet_rows(spec: SourceSpec, unit: str) -> Iterator[Record]:
    position = 0
    name = unit_name(spec, unit)   # once per file, not per row
    try:
        with open_binary(unit) as fh:
            pfile = pq.ParquetFile(fh)
            columns = pfile.schema_arrow.names
            mismatch = spec.text_field not in columns
            for batch in pfile.iter_batches(batch_size=BATCH_ROWS):
                for row in batch.to_pylist():
                    yield (_schema_mismatch(spec, unit, position, columns) if mismatch
                           else record_from_object(spec, unit, position, row, name))
                    position += 1
    except Exception as err:
        yield unreadable(spec, unit, err if position == 0 else RuntimeError(f"after row {position}: {err}"))


def expand_hf_dataset(spec: SourceSpec) -> list[str]:
    """The dataset folders (each written by `save_to_disk`) that the spec's path names."""
    if not os.path.isdir(spec.path):
        raise SourceError(f"source {spec.name!r}: {spec.path!r} is not a folder written by datasets' save_to_disk")
    return [spec.path]


def read_hf_dataset(spec: SourceSpec, unit: str) -> Iterator[Record]:
    """Every row of a saved `Dataset`, or of each split of a saved `DatasetDict` (split named in the id)."""
    import datasets  # imported here: heavy, and only this reader needs it

    try:
        loaded = datasets.load_from_disk(unit)
    except Exception as err:
        yield unreadable(spec, unit, err)
        return
    splits = loaded.items() if isinstance(loaded, datasets.DatasetDict) else [("", loaded)]
    name = unit_name(spec, unit)
    for split, dataset in sorted(splits, key=lambda kv: kv[0]):
        columns = list(dataset.column_names)
        for position, row in enumerate(dataset):
            where = f"{split}/{position}" if split else position
            if spec.text_field not in columns:
                yield _schema_mismatch(spec, unit, where, columns)
            else:
                yield record_from_object(spec, unit, where, row, name)


PARQUET = Format("parquet", expand_files, read_parquet)
HF_DATASET = Format("hf_dataset", expand_hf_dataset, read_hf_dataset)
