"""The bundled trainer on the CPU: Megatron's sample order pinned against a brute-force construction (and
against Megatron-Core itself when installed), blend weights, the index cache, the held-out split, the tiny
model learning the sample corpus, exact resume, sampling, and every bad input as a one-line error."""
from __future__ import annotations

import json
import os
import shutil
import statistics
import warnings
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import roots.cli
from roots.config import load_config
from roots.errors import RootsError
from roots.megatron import IndexedDataset, IndexedDatasetWriter
from roots.pipelines.runner import run
from roots.trainer.data import (BlendedSamples, GPTSamples, build_data, build_gpt_indices, parse_blend,
                                read_blend_file, split_sequences)
from roots.trainer.generate import SampleConfig, generate
from roots.trainer.model import GPT, flops_per_token, model_config
from roots.trainer.train import TrainConfig, read_metrics, train

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "sample.yaml"


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One torch thread: faster on a loaded 2-core machine, and the same thread count in every run."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory) -> Path:
    """`roots run examples/sample.yaml`: its tokenizer and Megatron binaries."""
    out = tmp_path_factory.mktemp("trainer-sample") / "run"
    run(load_config(str(SAMPLE), output=str(out)))
    return out


def write_docs(prefix: Path, docs: list[list[int]], **kw) -> IndexedDataset:
    with IndexedDatasetWriter(str(prefix), np.uint16, **kw) as writer:
        for d in docs:
            writer.add_document(np.asarray(d, dtype=np.int64))
    return IndexedDataset(str(prefix))


def random_docs(seed: int, n: int, low: int = 1, high: int = 30) -> list[list[int]]:
    rng = np.random.default_rng(seed)
    return [rng.integers(3, 500, size=int(rng.integers(low, high))).tolist() for _ in range(n)]


def brute_force_starts(sizes: np.ndarray, document_index: np.ndarray, seq_len: int) -> np.ndarray:
    """Every token of the documents in order as (position, offset); sample k starts at token k × seq_len."""
    tokens = [(pos, off) for pos, seq in enumerate(document_index.tolist()) for off in range(int(sizes[seq]))]
    return np.array([tokens[k * seq_len] for k in range((len(tokens) - 1) // seq_len + 1)])


# --- the sample order --------------------------------------------------------------------------------


@pytest.mark.parametrize("seq_len,num_samples", [(7, 5), (7, 40), (16, 100), (3, 11)])
def test_sample_index_matches_a_brute_force_construction(tmp_path, seq_len, num_samples):
    # a long document split into several sequences, an empty document, documents shorter than a sample
    docs = random_docs(0, 12) + [[], list(range(3, 60))]
    data = write_docs(tmp_path / "d", docs, max_sequence_tokens=20)
    samples = GPTSamples(data, 0, len(data), num_samples, seq_len, seed=7, cache_dir=None)
    assert np.array_equal(samples.sample_index, brute_force_starts(data.sequence_lengths, samples.document_index, seq_len))
    assert len(samples) >= num_samples
    # the document index holds every sequence once per epoch; the shuffle index is a permutation
    counts = np.bincount(samples.document_index, minlength=len(data))
    assert counts.min() == counts.max() >= 1
    assert sorted(samples.shuffle_index.tolist()) == list(range(len(samples)))
    # each sample is the next seq_len + 1 tokens of the documents in document-index order
    stream = np.concatenate([data.sequence(int(s)) for s in samples.document_index]).astype(np.int64)
    for i in range(len(samples)):
        k = int(samples.shuffle_index[i])
        assert np.array_equal(samples[i], stream[k * seq_len:k * seq_len + seq_len + 1])


def test_indices_equal_megatron_core(sample_run):
    pytest.importorskip("megatron.core")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from megatron.core.datasets import helpers
        from megatron.core.datasets.gpt_dataset import GPTDataset, GPTDatasetConfig
        from megatron.core.datasets.indexed_dataset import IndexedDataset as MegatronIndexed
        from megatron.core.datasets.utils import Split

    class Tokenizer:  # what GPTDatasetConfig reads of a tokenizer
        vocab_size, eod, pad, unique_identifiers = 8000, 2, -1, {"class": "Tokenizer"}

    prefix = str(sample_run / "megatron" / "en_text_document_00000")
    ours = IndexedDataset(prefix)
    (start, end), _ = split_sequences(ours, 0.05)
    config = GPTDatasetConfig(random_seed=1234, sequence_length=32, blend=None, split="1,0,0", tokenizer=Tokenizer(),
                              reset_position_ids=False, reset_attention_mask=False, eod_mask_loss=False,
                              path_to_cache=None, mmap_bin_files=True)
    for num_samples in (10, 200, 2500):   # one epoch, several, and a separately shuffled last epoch
        theirs = GPTDataset(MegatronIndexed(prefix), prefix, np.arange(start, end, dtype=np.int32), num_samples,
                            Split.train, config)
        mine = GPTSamples(ours, start, end, num_samples, 32, 1234, "train", None)
        for name in ("document_index", "sample_index", "shuffle_index"):
            assert np.array_equal(getattr(theirs, name), getattr(mine, name)), name
        for i in range(0, len(mine), max(1, len(mine) // 50)):
            item = theirs[i]
            assert np.array_equal(item["tokens"].numpy(), mine[i][:-1])
            assert np.array_equal(item["labels"].numpy(), mine[i][1:])
    weights = np.array([0.5, 0.3, 0.15, 0.05])
    their_index, their_sample = np.zeros(1000, np.int16), np.zeros(1000, np.int64)
    helpers.build_blending_indices(their_index, their_sample, weights, 4, 1000, False)
    from roots.trainer.data import build_blending_indices
    mine_index, mine_sample = build_blending_indices(weights, 1000)
    assert np.array_equal(their_index, mine_index) and np.array_equal(their_sample, mine_sample)


def test_blend_follows_its_weights(tmp_path):
    prefixes = [tmp_path / f"d{i}" for i in range(3)]
    for i, p in enumerate(prefixes):
        write_docs(p, random_docs(i, 40))
    (tmp_path / "blend.txt").write_text("# weight prefix\n5 d0\n3 d1  2 d2\n")
    blend = parse_blend([str(tmp_path)])
    assert blend.prefixes == tuple(str(p) for p in prefixes)
    assert blend.weights == pytest.approx((0.5, 0.3, 0.2))
    assert parse_blend(["5", str(prefixes[0]), "3", str(prefixes[1]), "2", str(prefixes[2])]).weights == blend.weights
    by_tokens = parse_blend([str(p) + ".bin" for p in prefixes])   # prefixes alone: weighted by their tokens
    tokens = [IndexedDataset(str(p)).num_tokens for p in prefixes]
    assert by_tokens.weights == pytest.approx(tuple(t / sum(tokens) for t in tokens))

    data = build_data(blend, seq_len=8, train_samples=1000, valid_samples=0, valid_fraction=0, cache_dir=None)
    assert isinstance(data.train, BlendedSamples) and len(data.train) == 1000
    index = np.asarray(data.train.dataset_index)
    for n in (10, 100, 1000):   # every prefix of the order is within one sample of its share
        assert np.all(np.abs(np.bincount(index[:n], minlength=3) - n * np.array(blend.weights)) <= 1)
    for k in range(3):          # each dataset's samples are taken in its own order, none twice
        assert np.asarray(data.train.dataset_sample_index)[index == k].tolist() == list(range(int((index == k).sum())))
    parts = data.train.datasets
    assert all(np.array_equal(data.train[i], parts[index[i]][int(data.train.dataset_sample_index[i])]) for i in range(50))


def test_indices_are_cached_beside_the_data_and_deterministic(tmp_path):
    write_docs(tmp_path / "a", random_docs(1, 60))
    write_docs(tmp_path / "b", random_docs(2, 60))
    blend = parse_blend(["1", str(tmp_path / "a"), "2", str(tmp_path / "b")])
    first = build_data(blend, 16, 300, 20, valid_fraction=0.2)
    cache = tmp_path / "cache"
    names = sorted(p.name for p in cache.rglob("*.npy"))
    assert {p.name for p in cache.iterdir()} == {"GPTDataset_indices", "BlendedDataset_indices"}
    assert len(names) == 2 * 2 * 3 + 2 * 2   # 2 datasets × (train, valid) × 3 indices + 2 blends × 2
    again = build_data(blend, 16, 300, 20, valid_fraction=0.2)   # loaded from the cache, the same samples
    assert isinstance(again.train.dataset_index, np.memmap)
    assert all(np.array_equal(first.train[i], again.train[i]) for i in range(300))
    assert all(np.array_equal(first.valid[i], again.valid[i]) for i in range(20))
    other = tmp_path / "elsewhere"
    build_data(blend, 16, 300, 20, valid_fraction=0.2, cache_dir=str(other))
    for path in cache.rglob("*.npy"):   # byte-identical when built again
        assert path.read_bytes() == (other / path.relative_to(cache)).read_bytes()
    build_data(blend, 16, 300, 20, seed=5, valid_fraction=0.2)   # other parameters: other files
    assert len(list(cache.rglob("*.npy"))) > len(names)


def test_validation_holds_out_whole_documents_by_tokens(tmp_path):
    data = write_docs(tmp_path / "d", random_docs(3, 200))
    (t0, t1), (v0, v1) = split_sequences(data, 0.1)
    assert t0 == 0 and t1 == v0 and v1 == len(data)
    held_out = data.sequence_lengths[v0:v1].sum() / data.num_tokens
    assert 0.1 <= held_out < 0.1 + 30 / data.num_tokens   # within one document of the fraction
    built = build_data(parse_blend(str(tmp_path / "d")), 8, 50, 10, valid_fraction=0.1, cache_dir=None)
    assert set(np.asarray(built.train.document_index)) <= set(range(t0, t1))
    assert set(np.asarray(built.valid.document_index)) <= set(range(v0, v1))


# --- the model ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("position", ["rope", "alibi"])
def test_model_is_causal_and_counts_its_flops(position):
    config = model_config("tiny", 300, position=position, seq_len=16)
    torch.manual_seed(0)
    model = GPT(config).eval()
    assert flops_per_token(config) == 6 * model.num_params() + 12 * config.n_layer * config.d_model * config.seq_len
    assert model.embed.weight is not None and config.padded_vocab == 384
    x = torch.randint(0, 300, (2, 16))
    y = x.clone()
    y[:, 10:] = (y[:, 10:] + 1) % 300
    with torch.no_grad():
        a, b = model(x), model(y)
    assert torch.allclose(a[:, :10], b[:, :10], atol=1e-6) and not torch.allclose(a[:, 10:], b[:, 10:])
    with torch.device("meta"):   # shapes only: the 125m config is GPT-3 Small, about 110M parameters with 32k pieces
        big = GPT(model_config("125m", 32000))
    assert big.config.n_layer == 12 and 105e6 < big.num_params() < 115e6


# --- training ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained(sample_run, tmp_path_factory) -> tuple[Path, object]:
    """The tiny model, 300 steps of 4 × 32 tokens on the sample corpus's binaries."""
    out = tmp_path_factory.mktemp("tiny")
    result = train(TrainConfig(data=[str(sample_run / "megatron")], tokenizer=str(sample_run / "tokenizer" / "spm.model"),
                               out=str(out), model="tiny", seq_len=32, steps=300, batch_size=4, lr=3e-3,
                               log_interval=50, eval_interval=150, eval_batches=4, checkpoint_interval=1000))
    return out, result


def test_tiny_model_learns_the_sample_corpus(trained):
    out, result = trained
    losses = result.losses
    assert len(losses) == 300 and losses[0] == pytest.approx(np.log(8000), abs=0.1)
    first, last = statistics.mean(losses[:10]), statistics.mean(losses[-20:])
    assert last < first - 1.0, (first, last)    # about 1.5 nats measured; 1.0 leaves a margin
    valid = [r["valid_loss"] for r in read_metrics(str(out)) if "valid_loss" in r]
    assert len(valid) == 2 and valid[1] < valid[0] < first - 0.5
    config = json.loads((out / "config.json").read_text())
    assert config["model"]["vocab_size"] == 8000 and config["n_params"] == result.n_params
    assert result.tokens_per_s > 0 and result.mfu is None   # no peak FLOPs known for a CPU


def test_generate_samples_from_the_checkpoint(trained):
    out, _ = trained
    first = generate(str(out), "The", SampleConfig(max_new_tokens=12, seed=3))
    assert first.startswith("The") and len(first) > 3
    assert generate(str(out / "checkpoint.pt"), "The", SampleConfig(max_new_tokens=12, seed=3)) == first
    greedy = SampleConfig(max_new_tokens=12, temperature=0)
    assert generate(str(out), "The", greedy) == generate(str(out), "The", greedy)


def test_stopped_and_resumed_run_gives_the_same_curve(sample_run, tmp_path):
    kw = dict(data=[str(sample_run / "megatron")], tokenizer=str(sample_run / "tokenizer" / "spm.model"), model="tiny",
              seq_len=16, steps=16, batch_size=2, grad_accum=2, dropout=0.1, log_interval=3, eval_interval=5,
              eval_batches=2, checkpoint_interval=100)
    whole = train(TrainConfig(out=str(tmp_path / "whole"), **kw))
    part = train(TrainConfig(out=str(tmp_path / "part"), stop_at=7, **kw))
    assert (part.start_step, part.step) == (0, 7)
    rest = train(TrainConfig(out=str(tmp_path / "part"), **kw))
    assert (rest.start_step, rest.step) == (7, 16)
    assert whole.losses == part.losses + rest.losses   # exactly, dropout included
    assert whole.valid_loss == rest.valid_loss

    def curve(name):
        return [{k: v for k, v in r.items() if k not in ("tokens_per_s", "mfu")} for r in read_metrics(str(tmp_path / name))]

    assert curve("whole") == curve("part")


# --- bad input ---------------------------------------------------------------------------------------


def one_line(err: pytest.ExceptionInfo) -> str:
    message = str(err.value)
    assert isinstance(err.value, RootsError) and "\n" not in message
    return message


def test_bad_data_is_a_one_line_error(tmp_path):
    write_docs(tmp_path / "ok", random_docs(4, 20))
    (tmp_path / "no_idx.bin").write_bytes(b"\x00" * 8)
    with pytest.raises(RootsError) as err:
        build_data(parse_blend(str(tmp_path / "no_idx")), 8, 10, 0)
    assert "no_idx.idx: no such file" in one_line(err)
    shutil.copy(tmp_path / "ok.bin", tmp_path / "bad.bin")
    (tmp_path / "bad.idx").write_bytes(b"not an index at all, just text....")
    with pytest.raises(RootsError) as err:
        build_data(parse_blend(["1", str(tmp_path / "ok"), "1", str(tmp_path / "bad")]), 8, 10, 0)
    assert "bad.idx: not a Megatron index" in one_line(err)
    (tmp_path / "bad.idx").write_bytes((tmp_path / "ok.idx").read_bytes()[:-9])
    with pytest.raises(RootsError) as err:
        build_data(parse_blend(str(tmp_path / "bad")), 8, 10, 0)
    assert "truncated" in one_line(err)
    with pytest.raises(RootsError) as err:
        build_data(parse_blend(str(tmp_path / "ok")), 10_000, 10, 0)
    assert "fewer than one sample of seq_len + 1 = 10001" in one_line(err)
    for weight in ("0", "-0.5", "nan"):
        (tmp_path / "blend.txt").write_text(f"1 ok\n{weight} ok\n")
        with pytest.raises(RootsError) as err:
            read_blend_file(str(tmp_path / "blend.txt"))
        assert f"blend.txt:2: blend weight '{weight}' must be a positive number" in one_line(err)
    with pytest.raises(RootsError) as err:
        parse_blend(["0", str(tmp_path / "ok")])
    assert "must be a positive number" in one_line(err)
    (tmp_path / "blend.txt").write_text("1 ok 2\n")
    with pytest.raises(RootsError) as err:
        read_blend_file(str(tmp_path / "blend.txt"))
    assert "blend.txt:1: expected `weight prefix` pairs" in one_line(err)


def test_a_checkpoint_of_another_model_is_a_one_line_error(sample_run, tmp_path, monkeypatch, capsys):
    kw = dict(data=[str(sample_run / "megatron")], tokenizer=str(sample_run / "tokenizer" / "spm.model"),
              out=str(tmp_path / "out"), seq_len=16, steps=2, batch_size=2, eval_batches=1)
    train(TrainConfig(**kw))
    with pytest.raises(RootsError) as err:
        train(TrainConfig(n_layer=3, **kw))
    assert "a checkpoint of another model (n_layer=2 there, 3 here)" in one_line(err)
    with pytest.raises(RootsError) as err:
        train(TrainConfig(**{**kw, "batch_size": 3}))
    assert "a checkpoint of another run (batch_size=2 there, 3 here)" in one_line(err)
    (tmp_path / "broken.pt").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(RootsError) as err:
        generate(str(tmp_path / "broken.pt"), "x")
    assert "broken.pt: not a readable checkpoint" in one_line(err)

    # through the command line: exit 2 and one line on stderr
    argv = ["train", "--data", kw["data"][0], "--tokenizer", kw["tokenizer"], "--out", kw["out"], "--seq-len", "16",
            "--steps", "2", "--batch-size", "2", "--n-layer", "3"]
    assert roots.cli.main(argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "a checkpoint of another model (n_layer=2 there, 3 here)" in lines[0]
    assert roots.cli.main(["generate", "--checkpoint", kw["out"], "--prompt", "a", "--max-new-tokens", "3"]) == 0
    assert capsys.readouterr().out.startswith("a")
