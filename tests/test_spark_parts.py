"""The Spark engine's distributed global parts against their references. Dedup
(pipelines/spark_dedup.py) against the in-process reference the Beam transform is tested against:
chains that need several large-star / small-star rounds, hot exact groups split over sub-shards,
oversized LSH buckets, URL keys, scores, empty input, non-convergence. The Megatron binaries written
on Spark against Beam's, byte for byte."""
from __future__ import annotations

import importlib.util
import os
import random
import shutil

import pytest

from roots.dedup import DedupConfig, deduplicate_local
from roots.document import Document
from test_dedup import chain_corpus, edit, outcome_key, text
from test_megatron import all_files, corpus, model  # noqa: F401  (model is a fixture)

pytestmark = [
    # Spark tests run with the slow ones (CI sets ROOTS_SLOW_TESTS=1): they start JVMs and run the
    # sample on Spark, minutes on 2 cores, which would put the default `make test` over 8 minutes.
    pytest.mark.skipif(os.environ.get("ROOTS_SLOW_TESTS") != "1", reason="Spark: set ROOTS_SLOW_TESTS=1"),
    pytest.mark.skipif(importlib.util.find_spec("pyspark") is None or shutil.which("java") is None,
                       reason="pyspark or java is not installed"),
]


@pytest.fixture(scope="module")
def spark():
    from roots.pipelines.spark import spark_session

    session = spark_session("local[2]", app="roots-dedup-test")
    yield session
    session.stop()


def run_spark(spark, docs: list[Document], config: DedupConfig) -> tuple[list, list, dict]:
    from roots.pipelines.spark_dedup import deduplicate

    rdd, tables = deduplicate(spark, spark.sparkContext.parallelize(docs, 3), config, min_parts=3)
    out = rdd.collect()
    counts: dict = {}
    for value in tables:
        for key, (n, _) in value.items():
            counts[key] = counts.get(key, 0) + n
    assert sorted(map(repr, tables)) == sorted(repr(v) for t, v in out if t == "C")
    kept = [v for t, v in out if t == "D"]
    rejected = [v[1] for t, v in out if t == "R"]
    assert all(v[0] == "dedup" for t, v in out if t == "R")
    return kept, rejected, counts


def mixed_corpus() -> list[Document]:
    rng = random.Random(7)
    docs = chain_corpus()
    hot = text(rng, 120)
    docs += [Document(f"hot/{i:04d}", hot if i % 2 else hot.upper(), "sw", f"s{i % 3}") for i in range(300)]
    base = text(rng, 120).split()
    docs += [Document(f"near/{i:04d}", edit(base, [i % 120]), "sw", "near") for i in range(150)]   # a hot bucket
    long = text(rng, 300).split()   # a chain: each version edits one more word than the last
    docs += [Document(f"v/{i:03d}", edit(long, list(range(0, 3 * i, 3))), "sw") for i in range(40)]
    docs += [Document("e", "", "sw"), Document("w", "neno", "sw"), Document("w", "neno", "sw"),
             Document("x", "neno", "en"), Document("u1", text(rng, 50), "sw", meta={"url": "HTTP://A.org/x#f"}),
             Document("u2", text(rng, 50), "sw", meta={"url": "http://a.org/x", "q": 0.9})]
    return docs


@pytest.mark.parametrize("config", [
    DedupConfig(subshards=8, max_bucket=16, partition_docs=100),
    DedupConfig(exact_key="url", keep_score="q", scope="all"),
    DedupConfig(verify=False, threshold=0.7),
], ids=["default", "url-score-all", "unverified"])
def test_spark_matches_the_reference(spark, config):
    docs = mixed_corpus()
    kept, rejected, counts = run_spark(spark, docs, config)
    reference = deduplicate_local(docs, config)
    assert outcome_key(kept, rejected) == outcome_key(reference.kept, reference.rejected)
    assert len(kept) + len(rejected) == len(docs) == sum(counts.values())
    assert counts[("dedup", "sw", "kept")] == sum(d.lang == "sw" for d in kept)
    assert sum(d.id.startswith("v/") for d in kept) == 1      # the 40-version chain is one component


def test_spark_on_empty_input(spark):
    assert run_spark(spark, [], DedupConfig())[:2] == ([], [])


def test_spark_fails_loudly_when_components_do_not_converge(spark):
    rng = random.Random(9)
    base = text(rng, 300).split()
    docs = [Document(f"v/{i:03d}", edit(base, list(range(0, 3 * i, 3))), "sw") for i in range(40)]
    with pytest.raises(Exception, match="did not converge in 1 rounds"):
        run_spark(spark, docs, DedupConfig(max_rounds=1))


def test_megatron_binaries_on_spark_equal_beams(spark, tmp_path, model):  # noqa: F811
    from roots.megatron import MegatronConfig
    from roots.pipelines.megatron import run_tokenize
    from roots.pipelines.spark import tokenize_on_spark

    documents = corpus(tmp_path)
    config = MegatronConfig(shard_target_mb=0.004)   # several shards per language
    beam_index = run_tokenize(str(documents), str(model), str(tmp_path / "beam"), config)
    spark_index = run_tokenize(str(documents), str(model), str(tmp_path / "spark"), config,
                               engine=tokenize_on_spark(spark.sparkContext))
    beam_files, spark_files = all_files(tmp_path / "beam"), all_files(tmp_path / "spark")
    assert sorted(spark_files) == sorted(beam_files) and len(beam_files) > 6
    for name, data in beam_files.items():
        if name not in ("blend.txt", "index.json"):   # these name the absolute folder
            assert spark_files[name] == data, name
    assert spark_index["languages"] == beam_index["languages"]
