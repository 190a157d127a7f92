"""Exact and near-duplicate removal: shingling per script, datasketch-compatible MinHash, band choice,
components, the keep rule, bad input, and the Beam transform (which must agree with the in-process
reference) on small generated corpora."""
from __future__ import annotations

import argparse
import json
import pickle
import random
import unicodedata
from pathlib import Path

import apache_beam as beam
import numpy as np
import pyarrow.parquet as pq
import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from roots.config import ConfigError
from roots.dedup import CLUSTER_KEY, KEPT_KEY, DedupConfig, deduplicate_local
from roots.dedup.buckets import bucket_pairs, jaccard
from roots.dedup.components import (array_components, converged, large_star_arrays, small_star_arrays, star_violations,
                                    union_find_components)
from roots.dedup.fingerprint import Fingerprinter
from roots.dedup.lsh import candidate_probability, choose_bands
from roots.dedup.minhash import signatures
from roots.dedup.text import CHARS, CODE, WORDS, shingle_batch, words
from roots.document import Document, Rejection

RNG_WORDS = [f"{a}{b}{c}" for a in "bcdfgklmnprstvz" for b in "aeiou" for c in ("", "n", "ra", "li", "to")]


def text(rng: random.Random, n: int = 60) -> str:
    return " ".join(rng.choice(RNG_WORDS) for _ in range(n))


def edit(words_: list[str], positions: list[int], new: str = "XQZ") -> str:
    out = list(words_)
    for p in positions:
        out[p] = new + str(p)
    return " ".join(out)


def run_beam(docs: list[Document], config: DedupConfig, tmp_path: Path) -> tuple[list[Document], list[Rejection]]:
    """Deduplicate on the FnApiRunner; outcomes come back through a pickle file."""
    from roots.pipelines.dedup import Deduplicate

    out_file = tmp_path / "outcomes.pkl"

    def dump(items: list) -> None:
        out_file.write_bytes(pickle.dumps(items))

    with beam.Pipeline(options=PipelineOptions(["--runner=FnApiRunner"])) as p:
        out = p | beam.Create(docs) | Deduplicate(config, folder=str(tmp_path / "route-runs"))
        kept = out["kept"] | "TagKept" >> beam.Map(lambda d: ("kept", d))
        rejected = out["rejected"] | "TagRejected" >> beam.Map(lambda r: ("rejected", r))
        ((kept, rejected) | beam.Flatten() | beam.combiners.ToList() | beam.Map(dump))
    items = pickle.loads(out_file.read_bytes())
    kept_docs = [d for tag, d in items if tag == "kept"]
    rejections = []
    for tag, (stage, rej) in ((t, x) for t, x in items if t == "rejected"):
        assert stage == "dedup"
        rejections.append(rej)
    return kept_docs, rejections


def outcome_key(kept: list[Document], rejected: list[Rejection]) -> tuple:
    return (sorted((d.id, d.text, json.dumps(d.meta, sort_keys=True)) for d in kept),
            sorted((r.doc.id, r.reason.code, r.detail, json.dumps(r.doc.meta, sort_keys=True)) for r in rejected))


# --- shingling -------------------------------------------------------------------------------------

def test_words_keep_combining_marks_inside_words():
    assert words("नमस्ते दुनिया, क्षत्रिय!") == ["नमस्ते", "दुनिया", "क्षत्रिय"]        # viramas and vowel signs stay
    assert words("வணக்கம் உலகம்") == ["வணக்கம்", "உலகம்"]                             # Tamil pulli
    decomposed = unicodedata.normalize("NFD", "Tiếng Việt có dấu")
    assert [unicodedata.normalize("NFC", w) for w in words(decomposed)] == ["tiếng", "việt", "có", "dấu"]
    assert words("Straße—SO, don't") == ["straße", "so", "don", "t"]


def test_shingles_per_script():
    zh = "今天天气很好我们去公园散步吧"
    sh = shingle_batch(["a b c d e f g", "", "one", zh, "def f(x): return x+1"], [WORDS, WORDS, WORDS, CHARS, CODE])
    lengths = np.diff(sh.offsets).tolist()
    assert lengths == [3, 0, 1, len(zh) - 4, len("def f ( x ) : return x + 1".split()) - 4]
    # case and whitespace do not matter, punctuation and order do
    a = shingle_batch(["Hello   World, again", "hello world, AGAIN", "hello world again", "world hello, again"], [WORDS] * 4)
    assert a.exact[0] == a.exact[1] != a.exact[2]
    assert set(a.of(0).tolist()) == set(a.of(2).tolist())           # punctuation is not a word
    assert set(a.of(0).tolist()) != set(a.of(3).tolist())
    # code keeps case and symbols
    c = shingle_batch(["x = Foo(1)", "x = foo(1)", "x = Foo[1]"], [CODE] * 3, ngram=3)
    assert len({c.exact[0], c.exact[1], c.exact[2]}) == 3


def test_cjk_near_duplicates_found_by_characters_not_words():
    rng = random.Random(3)
    han = "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可"
    base = "".join(rng.choice(han) for _ in range(400))
    near = base[:200] + "好" + base[201:]
    other = "".join(rng.choice(han) for _ in range(400))
    docs = [Document("zh/1", base, "zh-Hans"), Document("zh/2", near, "zh-Hans"), Document("zh/3", other, "zh-Hans")]
    result = deduplicate_local(docs, DedupConfig())
    assert [d.id for d in result.kept] == ["zh/1", "zh/3"]
    assert result.rejected[0].reason.code == "dedup:near" and result.rejected[0].doc.meta[KEPT_KEY] == "zh/1"
    # the same texts as an unknown language are recognised as unspaced by their script
    unknown = [Document(d.id, d.text, "") for d in docs]
    assert [d.id for d in deduplicate_local(unknown, DedupConfig()).kept] == ["zh/1", "zh/3"]


def test_code_near_duplicates_by_tokens():
    body = "\n".join(f"def f{i}(x, y):\n    return x * {i} + y - helper(x)\n" for i in range(30))
    renamed = body.replace("def f7(", "def g7(")
    docs = [Document("a.py", body, "code-python"), Document("b.py", renamed, "code-python"),
            Document("c.py", body.replace("x", "z"), "code-python")]
    result = deduplicate_local(docs, DedupConfig())
    assert [d.id for d in result.kept] == ["a.py", "c.py"]


# --- MinHash and LSH -------------------------------------------------------------------------------

def test_signatures_equal_datasketch():
    from datasketch import MinHash

    rng = np.random.default_rng(1)
    hashes = rng.integers(0, 2**63, 700, dtype=np.int64).astype(np.uint64)
    offsets = np.array([0, 10, 10, 300, 301, 700])
    ours = signatures(hashes, offsets, num_perm=64, seed=7)
    for i in range(5):
        theirs = MinHash(num_perm=64, seed=7, hashfunc=lambda x: x)
        theirs.update_batch([int(h) & 0xFFFFFFFF for h in hashes[offsets[i]:offsets[i + 1]]])
        assert (theirs.hashvalues == ours[i]).all()


def test_bands_are_chosen_for_recall_at_the_threshold():
    assert candidate_probability(0.8, 9, 13) == pytest.approx(0.40, abs=0.01)    # the example
    bands, rows = choose_bands(0.8, 128, 0.995)
    assert bands * rows <= 128 and candidate_probability(0.8, bands, rows) >= 0.995
    assert candidate_probability(0.8, 128 // (rows + 1), rows + 1) < 0.995        # the most rows that reach it
    assert DedupConfig().bands_rows() == (bands, rows)


def test_hot_bucket_gives_linear_pairs():
    keys = np.zeros(5000, dtype=np.uint64)                      # 5,000 members of one bucket
    nodes = np.arange(5000, dtype=np.int64)[::-1].copy()
    u, v = bucket_pairs(keys, nodes, max_bucket=64, reps=3)
    assert len(u) < 3 * 5000 and (u < v).all()
    assert union_find_components(zip(u.tolist(), v.tolist())) == {n: 0 for n in range(5000)}
    u, v = bucket_pairs(np.array([1, 1, 1, 2, 2], dtype=np.uint64), np.array([5, 3, 4, 3, 9]))
    assert sorted(zip(u.tolist(), v.tolist())) == [(3, 4), (3, 5), (3, 9), (4, 5)]


def test_components_rounds_match_union_find():
    rng = random.Random(5)
    for n in (50, 400, 3000):
        edges = [(rng.randrange(n), rng.randrange(n)) for _ in range(n)]
        edges = [(a, b) for a, b in edges if a != b]
        labels, _ = array_components(np.array([a for a, _ in edges]), np.array([b for _, b in edges]))
        assert labels == union_find_components(edges)
    path = np.arange(10_000)
    labels, rounds = array_components(path[:-1], path[1:])          # a chain: the slowest case
    assert set(labels.values()) == {0} and rounds <= DedupConfig().max_rounds


def test_star_violations_say_what_converged_says_at_every_round():
    """The check Spark's large-star pass makes of its input (pipelines/spark_dedup.py) against
    `converged`, over the rounds of random graphs (with duplicate edges) until they are stars."""
    rng = random.Random(8)
    seen = {True: 0, False: 0}
    for n in (2, 5, 40, 300):
        for _ in range(5):
            edges = [(rng.randrange(n), rng.randrange(n)) for _ in range(n)]
            a = np.array([max(e) for e in edges if e[0] != e[1]] * 2, dtype=np.int64)
            b = np.array([min(e) for e in edges if e[0] != e[1]] * 2, dtype=np.int64)
            for _ in range(20):
                star = converged(zip(a.tolist(), b.tolist()))
                bad = star_violations(np.concatenate([a, b]), np.concatenate([b, a]))
                assert (bad == 0) == star
                seen[star] += 1
                if star:
                    break
                a, b = small_star_arrays(*large_star_arrays(np.concatenate([a, b]), np.concatenate([b, a])))
    assert seen[True] >= 15 and seen[False] >= 15
    assert star_violations(np.array([2, 1, 3, 1]), np.array([1, 2, 1, 3])) == 0          # 2→1, 3→1: a star
    assert star_violations(np.array([2, 1, 3, 2]), np.array([1, 2, 2, 3])) == 1          # 2 is child and parent
    assert star_violations(np.array([3, 1, 3, 2]), np.array([1, 3, 2, 3])) == 1          # 3 has two parents
    assert star_violations(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)) == 0


# --- the keep rule and bad input ---------------------------------------------------------------

def chain_corpus() -> list[Document]:
    """A~B and B~C (Jaccard >= 0.8) but A≁C, plus an exact copy of C from another source and noise."""
    rng = random.Random(11)
    base = text(rng, 200).split()
    a = " ".join(base)
    b = edit(base, [20, 100, 180])
    c = edit(base, [20, 100, 180, 50, 140, 160])
    docs = [Document("web/2", b, "sw", "web"), Document("web/1", a, "sw", "web"),
            Document("web/3", c, "sw", "books"), Document("web/4", c.upper().replace(" ", "  "), "sw", "news")]
    docs += [Document(f"noise/{i}", text(rng, 80), "sw", "noise") for i in range(20)]
    return docs


def test_chain_ends_in_one_component_and_exact_copies_across_sources():
    docs = chain_corpus()
    fp = Fingerprinter(DedupConfig())
    sets = {d.id: f.shingles for d, f in zip(docs, fp(docs))}
    assert jaccard(sets["web/1"], sets["web/2"]) >= 0.8 and jaccard(sets["web/2"], sets["web/3"]) >= 0.8
    assert jaccard(sets["web/1"], sets["web/3"]) < 0.8
    result = deduplicate_local(docs, DedupConfig())
    rejected = {r.doc.id: r for r in result.rejected}
    assert set(rejected) == {"web/2", "web/3", "web/4"}
    assert rejected["web/4"].reason.code == "dedup:exact" and rejected["web/3"].reason.code == "dedup:near"
    cluster = {r.doc.meta[CLUSTER_KEY] for r in result.rejected}
    assert len(cluster) == 1 and all(r.doc.meta[KEPT_KEY] == "web/1" for r in result.rejected)
    assert next(d for d in result.kept if d.id == "web/1").meta[CLUSTER_KEY] in cluster
    assert rejected["web/3"].detail == f"cluster={cluster.pop()} kept=web/1"


def test_kept_document_is_deterministic_and_follows_the_score():
    docs = chain_corpus()
    first = deduplicate_local(docs, DedupConfig())
    shuffled = list(docs)
    random.Random(2).shuffle(shuffled)
    again = deduplicate_local(shuffled, DedupConfig())
    assert outcome_key(first.kept, first.rejected) == outcome_key(again.kept, again.rejected)
    scored = [Document(d.id, d.text, d.lang, d.source, {"q": 0.9 if d.id == "web/3" else 0.1}) for d in docs]
    by_score = deduplicate_local(scored, DedupConfig(keep_score="q"))
    assert "web/3" in {d.id for d in by_score.kept} and "web/1" not in {d.id for d in by_score.kept}


def test_empty_one_word_and_repeated_ids():
    docs = [Document("e1", "", "en"), Document("e2", "  \n ", "en"), Document("w1", "hello", "en"),
            Document("w2", "world", "en"), Document("w3", "Hello", "en"), Document("p", "!!! ???", "en"),
            Document("same", "one text here", "en"), Document("same", "another text entirely", "en"),
            Document("same", "one text here", "en")]
    result = deduplicate_local(docs, DedupConfig())
    kept = sorted((d.id, d.text) for d in result.kept)
    assert ("same", "one text here") in kept and ("same", "another text entirely") in kept
    assert ("w1", "hello") in kept and ("w2", "world") in kept and ("w3", "Hello") not in kept
    assert len(result.kept) + len(result.rejected) == len(docs)
    assert {r.reason.code for r in result.rejected} == {"dedup:exact"}       # e2 ~ e1, w3 ~ w1, the copy of "same"
    assert sorted(r.doc.id for r in result.rejected) == ["e2", "same", "w3"]


def test_exact_by_url_and_across_languages():
    docs = [Document("b", "first crawl of the page", "en", "cc1", {"url": "HTTPS://Example.org/a#top"}),
            Document("a", "second crawl, the page changed", "en", "cc2", {"url": "https://example.org/a"}),
            Document("c", "no url here at all", "en", "cc2"),
            Document("d", "no url here at all", "fr", "cc2")]
    by_url = deduplicate_local(docs, DedupConfig(exact_key="url"))
    assert sorted(d.id for d in by_url.kept) == ["a", "c", "d"]
    assert [(r.doc.id, r.reason.code, r.doc.meta[KEPT_KEY]) for r in by_url.rejected] == [("b", "dedup:url", "a")]
    across = deduplicate_local(docs, DedupConfig(scope="all"))
    assert sorted(d.id for d in across.kept) == ["a", "b", "c"]


def test_a_ten_megabyte_document():
    rng = random.Random(4)
    big = " ".join(rng.choices(RNG_WORDS, k=2_300_000))       # about 10 MB
    assert len(big.encode()) > 10_000_000
    docs = [Document("big/1", big, "en"), Document("big/2", big[:-40] + " and a different ending", "en"),
            Document("small", "a small document", "en")]
    result = deduplicate_local(docs, DedupConfig())
    assert [d.id for d in result.kept] == ["big/1", "small"] and result.rejected[0].reason.code == "dedup:near"


def test_reading_document_files(tmp_path):
    from roots.dedup.files import InputError, expand_inputs, read_documents

    (tmp_path / "a.jsonl").write_text(json.dumps({"id": "x", "text": "t", "lang": "sw", "meta": '{"u": 1}', "url": "h"})
                                      + "\n" + json.dumps({"id": 5, "text": 3}) + "\n{broken\n\n")
    records = list(read_documents(str(tmp_path / "a.jsonl")))
    assert records[0] == Document("x", "t", "sw", "", {"u": 1, "url": "h"})
    assert [r.reason.code for r in records[1:]] == ["bad_input:wrong_type", "bad_input:broken_json"]
    assert records[1].doc.id == "5"
    assert expand_inputs(str(tmp_path)) == [str(tmp_path / "a.jsonl")]
    with pytest.raises(InputError, match="no such file or folder"):
        expand_inputs(str(tmp_path / "nothing"))


def test_config_from_dict():
    config = DedupConfig.from_dict({"threshold": 0.7, "num_perm": 256, "scope": "all"}, "run.yaml: dedup")
    assert config.threshold == 0.7 and config.bands_rows()[0] * config.bands_rows()[1] <= 256
    assert DedupConfig.from_dict(None, "x") == DedupConfig()
    for data, message in [({"treshold": 0.8}, "key 'treshold' is not a known key (did you mean 'threshold'?)"),
                          ({"threshold": 1.5}, "key 'threshold' must be a number between 0 and 1"),
                          ({"ngram": "5"}, "key 'ngram' must be an integer"),
                          ({"bands": 9}, "keys 'bands' and 'rows' go together"),
                          ({"bands": 20, "rows": 7}, "exceeds num_perm 128"),
                          ({"scope": "source"}, "key 'scope' must be one of lang, all")]:
        with pytest.raises(ConfigError) as err:
            DedupConfig.from_dict(data, "run.yaml: dedup")
        assert str(err.value).startswith("run.yaml: dedup: ") and message in str(err.value)


# --- the Beam transform ----------------------------------------------------------------------------

def test_beam_matches_the_reference_on_chains_hot_groups_and_bad_input(tmp_path):
    rng = random.Random(7)
    docs = chain_corpus()
    hot = text(rng, 120)
    docs += [Document(f"hot/{i:04d}", hot if i % 2 else hot.upper(), "sw", f"s{i % 3}") for i in range(600)]
    base = text(rng, 120).split()
    docs += [Document(f"near/{i:04d}", edit(base, [i % 120]), "sw", "near") for i in range(300)]   # a hot bucket
    docs += [Document("e", "", "sw"), Document("w", "neno", "sw"), Document("w", "neno", "sw"),
             Document("x", "neno", "en")]                                                          # scope: per language
    config = DedupConfig(subshards=8, max_bucket=16, partition_docs=300, band_group_rows=2000)
    kept, rejected = run_beam(docs, config, tmp_path)
    reference = deduplicate_local(docs, config)
    assert outcome_key(kept, rejected) == outcome_key(reference.kept, reference.rejected)
    assert len(kept) + len(rejected) == len(docs)
    kept_ids = {d.id for d in kept}
    assert "hot/0000" in kept_ids and not any(i.startswith("hot/") and i != "hot/0000" for i in kept_ids)
    assert sum(i.startswith("near/") for i in kept_ids) == 1 and {"web/1", "w", "x"} <= kept_ids
    assert sum(d.id == "w" for d in kept) == 1


def test_beam_routes_documents_through_content_named_run_files(tmp_path):
    """The documents reach Route through run files (only their paths cross GroupRoute): every document
    is in the phase-1 runs once, with its meta; a rerun writes the same files and the same outcomes."""
    from roots.pipelines.dedup import ROUTE_SCHEMA
    from roots.pipelines.runs import read_run

    docs = chain_corpus() + [Document(f"m/{i}", f"meta kept whole {i % 3}", "en", "m", {"n": i, "x": [1.5, {"y": None}]})
                             for i in range(40)]
    config = DedupConfig(subshards=4, partition_docs=16)
    assert config.partitions(len(docs)) > 1   # runs are split by partition
    first = run_beam(docs, config, tmp_path)
    folder = tmp_path / "route-runs"
    names = sorted(p.name for p in folder.iterdir())
    assert names and all(n.startswith("run-") and n.endswith(".arrow") for n in names)
    rows = [row for name in names for row in read_run(str(folder / name))]
    assert len(rows) == 2 * len(docs)   # each document once in a bundle's run and once in its partition's sub-run
    assert {(r[4], json.loads(r[9]).get("n")) for r in rows} == {(d.id, d.meta.get("n")) for d in docs}
    assert [f.name for f in ROUTE_SCHEMA][:2] == ["exact_key", "subshard"]
    second = run_beam(docs, config, tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == names
    reference = deduplicate_local(docs, config)
    assert outcome_key(*first) == outcome_key(*second) == outcome_key(reference.kept, reference.rejected)
    routed = [d for d in first[0] if d.id.startswith("m/")] + [r.doc for r in first[1] if r.doc.id.startswith("m/")]
    assert sorted(d.id for d in routed) == sorted(f"m/{i}" for i in range(40))
    assert all(d.meta["n"] == int(d.id[2:]) and d.meta["x"] == [1.5, {"y": None}] for d in routed)


def test_as_a_part_of_a_document_step(tmp_path):
    """The shape `roots run` needs: Deduplicate as a part of the DocumentStep, counts that add up."""
    from roots.pipelines.beam_transforms import DocumentStep, write_counts
    from roots.pipelines.dedup import Deduplicate
    from roots.rundir import read_json

    docs = chain_corpus()
    step = Deduplicate(DedupConfig(), folder=str(tmp_path / ".tmp-beam-runs" / "dedup-route"))
    assert step.name == "dedup" and step.report()["bands"] * step.report()["rows"] <= 128
    with beam.Pipeline(options=PipelineOptions(["--runner=FnApiRunner"])) as p:
        counts = p | DocumentStep(beam.Create(docs), [step], str(tmp_path), str(tmp_path), "parquet", 64.0)
        write_counts(counts, str(tmp_path / "counts.json"))
    counts = {tuple(k): v for k, v in read_json(str(tmp_path / "counts.json"))}
    assert counts[("dedup", "sw", "kept")][0] == len(docs) - 3
    assert counts[("dedup", "sw", "dedup:near")][0] == 2 and counts[("dedup", "sw", "dedup:exact")][0] == 1
    rejected = [r for p in (tmp_path / "rejected").rglob("*.parquet") for r in pq.read_table(p).to_pylist()]
    assert sorted(r["id"] for r in rejected) == ["web/2", "web/3", "web/4"]
    assert {json.loads(r["meta"])[KEPT_KEY] for r in rejected} == {"web/1"}


def test_beam_on_empty_input(tmp_path):
    assert run_beam([], DedupConfig(), tmp_path) == ([], [])


def test_beam_fails_loudly_when_components_do_not_converge(tmp_path):
    rng = random.Random(9)
    base = text(rng, 300).split()
    # a long chain: each version edits one more word than the last
    docs = [Document(f"v/{i:03d}", edit(base, list(range(0, 3 * i, 3))), "sw") for i in range(40)]
    with pytest.raises(Exception, match="did not converge in 1 rounds"):
        run_beam(docs, DedupConfig(max_rounds=1), tmp_path)


def test_cli_writes_deterministic_shards(tmp_path):
    from roots.commands import dedup as command

    docs = chain_corpus()
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": d.id, "text": d.text, "lang": d.lang, "source": d.source,
                                          "meta": d.meta}) + "\n" for d in docs) + "not json\n")
    parser = argparse.ArgumentParser()
    command.register(parser.add_subparsers(dest="command"))
    outputs = []
    for run in ("a", "b"):
        args = parser.parse_args(["dedup", "--input", str(source), "--output", str(tmp_path / run / "kept"),
                                  "--rejected", str(tmp_path / run / "rejected")])
        assert args.handler(args) == 0
        outputs.append({p.relative_to(tmp_path / run): p.read_bytes() for p in sorted((tmp_path / run).rglob("*.parquet"))})
    assert outputs[0] == outputs[1]
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["kept", "rejected"]   # the run files went
    kept = [r for p in sorted((tmp_path / "a" / "kept").rglob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    rejected = [r for p in sorted((tmp_path / "a" / "rejected").rglob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    assert len(kept) == len(docs) - 3 and len(rejected) == 4
    assert {r["reason"] for r in rejected} == {"dedup:exact", "dedup:near", "bad_input:broken_json"}
    args = parser.parse_args(["dedup", "--input", str(source), "--output", "o", "--rejected", "r", "--threshold", "2"])
    with pytest.raises(ConfigError, match="option --threshold must be a number between 0 and 1"):
        args.handler(args)
