"""Every input format a run config may name, by name."""
from __future__ import annotations

from roots.io.base import Format
from roots.io.code import CODE
from roots.io.jsonl import JSONL
from roots.io.tables import HF_DATASET, PARQUET
from roots.io.text import TEXT
from roots.io.warc import WARC, WET

FORMATS: dict[str, Format] = {f.name: f for f in (JSONL, PARQUET, HF_DATASET, TEXT, CODE, WARC, WET)}
