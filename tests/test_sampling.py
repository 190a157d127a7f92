"""The tokenizer training set: α = 1 keeps the corpus proportions, α = 0 is uniform, caps and the code share
hold, exact duplicates go, and the same documents and seed give the same bytes."""
from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path

import pytest

import roots.cli
from roots.config import ConfigError
from roots.document import Document, documents_to_table
from roots.languages import LanguageConfigError, default_directory, load_registry
from roots.rundir import lang_folder, shard_path, write_shard
from roots.sampling import (SamplingConfig, allocate, language_probabilities, language_sampling, sample_for_tokenizer,
                            training_files)

MB = 1024 * 1024


def test_alpha_one_keeps_proportions_and_alpha_zero_is_uniform():
    sizes = {"en": 600, "sw": 300, "yo": 100}
    assert language_probabilities(sizes, 1.0) == pytest.approx({"en": 0.6, "sw": 0.3, "yo": 0.1})
    assert language_probabilities(sizes, 0.0) == pytest.approx({"en": 1 / 3, "sw": 1 / 3, "yo": 1 / 3})
    p = language_probabilities(sizes, 0.3)
    assert p["en"] < 0.6 and p["yo"] > 0.1 and sum(p.values()) == pytest.approx(1.0)
    weighted = language_probabilities(sizes, 1.0, weights={"yo": 4.0})
    assert weighted["yo"] == pytest.approx(0.4 / 1.3) and weighted["en"] == pytest.approx(0.6 / 1.3)


def test_code_share_splits_the_two_groups():
    sizes = {"en": 800, "sw": 200, "code-python": 900, "code-c": 100}
    p = language_probabilities(sizes, 1.0, code={"code-python", "code-c"}, code_share=0.1)
    assert p["code-python"] + p["code-c"] == pytest.approx(0.1)
    assert p["code-python"] == pytest.approx(0.09) and p["en"] == pytest.approx(0.72)


def test_allocate_respects_sizes_and_caps_and_redistributes():
    sizes = {"en": 1000, "sw": 50, "yo": 10}
    probs = {"en": 1 / 3, "sw": 1 / 3, "yo": 1 / 3}
    out = allocate(sizes, probs, 300)  # yo and sw run out; en takes what they leave
    assert out == pytest.approx({"en": 240, "sw": 50, "yo": 10})
    capped = allocate(sizes, {"en": 0.9, "sw": 0.05, "yo": 0.05}, 400, {l: 100 for l in sizes})
    assert capped == pytest.approx({"en": 100, "sw": 50, "yo": 10})
    assert sum(allocate(sizes, probs, 10_000).values()) == pytest.approx(1060)


def make_documents(root: Path, sizes_kb: dict[str, int], seed: int = 0) -> Path:
    """RUN/documents: per language about `kb` KB of distinct one-line documents, two shards each."""
    rng = random.Random(seed)
    for lang, kb in sizes_kb.items():
        words = ["".join(rng.choice("abcdefghijklmnoprstuvwyz") for _ in range(rng.randint(2, 8))) for _ in range(400)]
        docs, total, i = [], 0, 0
        while total < kb * 1024:
            text = " ".join(rng.choice(words) for _ in range(rng.randint(8, 30)))
            docs.append(Document(id=f"{lang}/{i:06d}", text=f"{lang} {i}: {text}", lang=lang))
            total += len(docs[-1].text.encode())
            i += 1
        for k in range(2):
            part = sorted(docs[k::2], key=lambda d: d.id)
            write_shard(documents_to_table(part), shard_path(str(root / lang_folder(lang)), k, 2, "parquet"), "parquet")
    return root


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> Path:
    return make_documents(tmp_path_factory.mktemp("run") / "documents", {"en": 400, "sw": 100, "yo": 25})


def shares(manifest: dict) -> dict[str, float]:
    return manifest["shares"]


def test_sample_with_alpha_one_reproduces_the_corpus_proportions(documents, tmp_path):
    m = sample_for_tokenizer(str(documents), str(tmp_path), SamplingConfig(alpha=1.0, total_mb=0.25))
    available = {l: i["available_bytes"] for l, i in m["languages"].items()}
    total = sum(available.values())
    for lang, share in shares(m).items():
        assert share == pytest.approx(available[lang] / total, rel=0.08), lang
    assert m["total"]["written_bytes"] == pytest.approx(0.25 * MB, rel=0.08)


def test_sample_with_alpha_zero_is_uniform(documents, tmp_path):
    m = sample_for_tokenizer(str(documents), str(tmp_path), SamplingConfig(alpha=0.0, total_mb=0.06))
    for lang, share in shares(m).items():
        assert share == pytest.approx(1 / 3, rel=0.1), lang


def test_cap_and_exhaustion(documents, tmp_path):
    m = sample_for_tokenizer(str(documents), str(tmp_path), SamplingConfig(alpha=0.3, total_mb=0.3, cap_mb=0.1))
    langs = m["languages"]
    assert langs["yo"]["rate"] == 1.0 and langs["yo"]["selected_bytes"] == langs["yo"]["available_bytes"]
    assert langs["sw"]["rate"] == 1.0  # sw has less than the cap: all of it
    assert langs["en"]["target_bytes"] == pytest.approx(0.1 * MB, abs=1)  # en is held at the cap


def test_same_documents_and_seed_give_the_same_bytes(documents, tmp_path):
    config = SamplingConfig(alpha=0.3, total_mb=0.1, shard_mb=0.01)
    sample_for_tokenizer(str(documents), str(tmp_path / "a"), config)
    sample_for_tokenizer(str(documents), str(tmp_path / "b"), config)
    files_a = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert len(training_files(str(tmp_path / "a"))) > 3  # several shards per language
    assert files_a == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in files_a:  # sample.json too: it names the documents folder relative to its own
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    named = json.loads((tmp_path / "a" / "sample.json").read_text())["documents"]
    assert named == os.path.relpath(documents, tmp_path / "a") and not os.path.isabs(named)
    sample_for_tokenizer(str(documents), str(tmp_path / "c"), SamplingConfig(alpha=0.3, total_mb=0.1, seed=1))
    assert (tmp_path / "a" / "train-en-00000.txt").read_bytes()[:1000] != (tmp_path / "c" / "train-en-00000.txt").read_bytes()[:1000]


def test_exact_duplicates_go_whole_documents_then_lines(tmp_path):
    docs = [Document(id="a", text="line one\nshared line\n\n   \nline one"),
            Document(id="b", text="other\nshared line"),
            Document(id="c", text="other\nshared line"),  # the same document as b
            Document(id="d", text="    indented code\nshared line")]
    for d in docs:
        d.lang = "code-python"
    write_shard(documents_to_table(docs), shard_path(str(tmp_path / "documents" / lang_folder("code-python")), 0, 1, "parquet"), "parquet")
    m = sample_for_tokenizer(str(tmp_path / "documents"), str(tmp_path / "out"), SamplingConfig(total_mb=1))
    info = m["languages"]["code-python"]
    assert info["duplicate_docs"] == 1 and info["duplicate_lines"] == 3
    text = (tmp_path / "out" / "train-code-python-00000.txt").read_text()
    assert text == "line one\nshared line\nother\n    indented code\n"
    assert info["written_bytes"] == len(text.encode())


def test_missing_documents_folder_is_one_line(tmp_path):
    from roots.sampling import SamplingError

    with pytest.raises(SamplingError, match="no such documents folder"):
        sample_for_tokenizer(str(tmp_path / "gone"), str(tmp_path / "out"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(SamplingError, match="no language=XX"):
        sample_for_tokenizer(str(tmp_path / "empty"), str(tmp_path / "out"))


def test_config_from_dict_names_bad_keys():
    c = SamplingConfig.from_dict({"alpha": 0.5, "cap_share": 0.2, "code_share": 0.1, "seed": 3}, "run.yaml: tokenizer: sample")
    assert (c.alpha, c.cap_share, c.code_share, c.seed) == (0.5, 0.2, 0.1, 3)
    with pytest.raises(ConfigError, match=r"run.yaml: tokenizer: sample: key 'alfa' is not a known key \(did you mean 'alpha'"):
        SamplingConfig.from_dict({"alfa": 0.3}, "run.yaml: tokenizer: sample")
    with pytest.raises(ConfigError, match=r"'code_share' must be a number in \(0, 1\] or null, got 1.5"):
        SamplingConfig.from_dict({"code_share": 1.5}, "w")
    with pytest.raises(ConfigError, match="'alpha' must be a non-negative number, got str 'high'"):
        SamplingConfig.from_dict({"alpha": "high"}, "w")


def test_language_sampling_section(tmp_path):
    for code in ("sw", "code-python"):
        shutil.copy(default_directory() / f"{code}.yaml", tmp_path / f"{code}.yaml")
    with open(tmp_path / "sw.yaml", "a", encoding="utf-8") as fh:
        fh.write("sampling:\n  tokenizer_weight: 2.0\n  training_weight: 1.5\n")
    registry = load_registry(tmp_path)
    assert language_sampling(registry, "sw").tokenizer_weight == 2.0
    assert language_sampling(registry, "code-python").training_weight == 1.0
    assert language_sampling(registry, "und").tokenizer_weight == 1.0
    with open(tmp_path / "code-python.yaml", "a", encoding="utf-8") as fh:
        fh.write("sampling:\n  weight: 2\n")
    load_registry.cache_clear()
    with pytest.raises(LanguageConfigError, match=r"code-python.yaml: sampling: key 'weight' is not a known key"):
        language_sampling(load_registry(tmp_path), "code-python")
    load_registry.cache_clear()


def test_command_prints_the_table(documents, tmp_path, capsys, monkeypatch):
    assert roots.cli.main(["tokenizer", "sample", str(documents), "--output", str(tmp_path), "--total-mb", "0.05"]) == 0
    out = capsys.readouterr().out
    assert "| yo |" in out and "sample.json" in out
    assert roots.cli.main(["tokenizer", "sample", str(documents), "--output", str(tmp_path), "--code-share", "2"]) == 2
