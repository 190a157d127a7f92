"""A run directory every tool reads (issue 16): `RUN/documents` and `RUN/rejected` load, with their `lang`
column, in pandas, pyarrow's hive datasets, Hugging Face `datasets` and PySpark, on the bundled sample run.

The shards hold a `lang` column and sit in `language=XX` folders (roots.rundir.LANG_PARTITION): a
partition key named like the column made pandas fail (string vs dictionary) — see README, run directory."""
from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from roots.document import UNKNOWN_LANG_DIR
from roots.rundir import DOCUMENTS, LANG_PARTITION, REJECTED, folder_lang
from sample_run import sample_run_dir

KINDS = (DOCUMENTS, REJECTED)


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory) -> Path:
    return sample_run_dir(tmp_path_factory)


def expected_langs(root: Path) -> Counter:
    """Rows per language, counted shard by shard from the folder each shard lies in."""
    counts: Counter = Counter()
    for path in root.rglob("part-*.parquet"):
        counts[folder_lang(str(path.parent))] += pq.read_metadata(path).num_rows
    assert counts and None not in counts, f"{root}: shards outside {LANG_PARTITION}=XX folders"
    return counts


def as_folder(langs) -> list[str]:
    """`lang` column values as their folders spell them: an unknown language is `` in the column and
    `und` in the folder name."""
    return [str(lang) or UNKNOWN_LANG_DIR for lang in langs]


def test_partition_folders_are_named_by_a_key_other_than_the_column(sample_run):
    assert LANG_PARTITION != "lang"
    folders = {p.name.split("=", 1)[0] for p in sample_run.rglob("*=*") if p.is_dir()}
    assert folders == {LANG_PARTITION, "stage"}


@pytest.mark.parametrize("kind", KINDS)
def test_pandas_reads_the_folder(sample_run, kind):
    import pandas as pd

    frame = pd.read_parquet(sample_run / kind)
    assert Counter(as_folder(frame["lang"])) == expected_langs(sample_run / kind)
    assert as_folder(frame["lang"]) == frame[LANG_PARTITION].astype(str).tolist()


@pytest.mark.parametrize("kind", KINDS)
def test_pyarrow_hive_dataset_reads_the_folder(sample_run, kind):
    import pyarrow.dataset as ds

    table = ds.dataset(sample_run / kind, format="parquet", partitioning="hive").to_table()
    assert Counter(as_folder(table.column("lang").to_pylist())) == expected_langs(sample_run / kind)
    assert as_folder(table.column("lang").to_pylist()) == table.column(LANG_PARTITION).to_pylist()


@pytest.mark.parametrize("kind", KINDS)
def test_hugging_face_datasets_reads_the_folder(sample_run, kind, tmp_path):
    import datasets

    data = datasets.load_dataset("parquet", data_dir=str(sample_run / kind), split="train",
                                 cache_dir=str(tmp_path / "hf-cache"))
    assert Counter(as_folder(data["lang"])) == expected_langs(sample_run / kind)


@pytest.mark.skipif(os.environ.get("ROOTS_SLOW_TESTS") != "1", reason="Spark: set ROOTS_SLOW_TESTS=1")
@pytest.mark.skipif(importlib.util.find_spec("pyspark") is None or shutil.which("java") is None,
                    reason="pyspark or java is not installed")
def test_spark_reads_the_folders(sample_run, monkeypatch):
    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)
    monkeypatch.setenv("SPARK_LOCAL_IP", os.environ.get("SPARK_LOCAL_IP", "127.0.0.1"))
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[1]").appName("roots-readers-interop")
             .config("spark.ui.enabled", "false").getOrCreate())
    try:
        for kind in KINDS:
            frame = spark.read.parquet(str(sample_run / kind))
            assert "lang" in frame.columns and LANG_PARTITION in frame.columns
            pairs = frame.groupBy("lang", LANG_PARTITION).count().collect()
            assert all(as_folder([r["lang"]]) == [str(r[LANG_PARTITION])] for r in pairs)
            counts = Counter({r[LANG_PARTITION]: r["count"] for r in pairs})
            assert Counter(as_folder([r["lang"] for r in pairs for _ in range(r["count"])])) == counts
            assert counts == expected_langs(sample_run / kind)
    finally:
        spark.stop()
