"""Megatron's indexed dataset: the .idx layout byte for byte on a hand-computed example, both token types,
merge, empty and oversized documents, the Beam tokenize step (deterministic, every document checked
against SentencePiece), and — when megatron-core is installed — Megatron-Core's own reader and writer."""
from __future__ import annotations

import filecmp
import json
import struct
from pathlib import Path

import numpy as np
import pytest
import sentencepiece as spm

import roots.cli
from roots.document import Document, documents_to_table
from roots.megatron import (IndexedDataset, IndexedDatasetWriter, MegatronConfig, MegatronError, blend_lines,
                            dtype_for_vocab, merge, tokenize_jsonl)
from roots.rundir import lang_folder, shard_of, shard_path, write_shard
from roots.tokenizer import TokenizerError

# Four documents; the third encodes to nothing (no sequence, but it still closes a document).
DOCS = [[5, 6, 2], [7, 2], [], [9, 9, 9, 2]]


def hand_index(code: int, itemsize: int) -> bytes:
    """The .idx of DOCS, written out field by field from the format description."""
    return (b"MMIDIDX\x00\x00" + struct.pack("<Q", 1) + struct.pack("<B", code)
            + struct.pack("<Q", 3)                      # three sequences (the empty document has none)
            + struct.pack("<Q", 5)                      # document index: documents + 1
            + struct.pack("<3i", 3, 2, 4)               # sequence lengths, int32
            + struct.pack("<3q", 0, 3 * itemsize, 5 * itemsize)  # byte pointers, int64
            + struct.pack("<5q", 0, 1, 2, 2, 3))        # document index, int64


def write(prefix: Path, dtype, docs=DOCS, **kw):
    writer = IndexedDatasetWriter(str(prefix), dtype, **kw)
    for d in docs:
        writer.add_document(np.asarray(d, dtype=np.int64))
    return writer.close()


@pytest.mark.parametrize("dtype,code", [(np.uint16, 8), (np.int32, 4)])
def test_idx_layout_byte_for_byte(tmp_path, dtype, code):
    itemsize = np.dtype(dtype).itemsize
    out = write(tmp_path / "d", dtype)
    assert (out.documents, out.sequences, out.tokens, out.empty_documents) == (4, 3, 9, 1)
    assert (tmp_path / "d.idx").read_bytes() == hand_index(code, itemsize)
    fmt = "<9H" if itemsize == 2 else "<9i"
    assert (tmp_path / "d.bin").read_bytes() == struct.pack(fmt, 5, 6, 2, 7, 2, 9, 9, 9, 2)
    data = IndexedDataset(str(tmp_path / "d"))
    assert data.dtype == np.dtype(dtype) and len(data) == 3 and data.num_documents == 4
    assert [d.tolist() for d in data.documents()] == DOCS


def test_batched_writes_equal_single_writes(tmp_path):
    write(tmp_path / "one", np.uint16)
    writer = IndexedDatasetWriter(str(tmp_path / "many"), np.uint16)
    writer.add_documents(np.concatenate([np.asarray(d, np.int64) for d in DOCS]), np.array([len(d) for d in DOCS]))
    writer.close()
    for ext in ("bin", "idx"):
        assert filecmp.cmp(tmp_path / f"one.{ext}", tmp_path / f"many.{ext}", shallow=False)


def test_dtype_follows_megatron_threshold(tmp_path):
    assert dtype_for_vocab(32_000) == np.uint16
    assert dtype_for_vocab(65_499) == np.uint16
    assert dtype_for_vocab(65_500) == np.int32
    assert dtype_for_vocab(250_680) == np.int32
    with pytest.raises(MegatronError, match="does not fit uint16"):
        write(tmp_path / "big", np.uint16, docs=[[70_000, 2]])


def test_a_document_longer_than_an_int32_length_becomes_several_sequences(tmp_path):
    write(tmp_path / "d", np.int32, docs=[[1, 2, 3, 4, 5, 6, 7], [8, 2]], max_sequence_tokens=3)
    data = IndexedDataset(str(tmp_path / "d"))
    assert data.sequence_lengths.tolist() == [3, 3, 1, 2]
    assert data.document_indices.tolist() == [0, 3, 4]
    assert data.document(0).tolist() == [1, 2, 3, 4, 5, 6, 7]


def test_merge_concatenates_in_order(tmp_path):
    write(tmp_path / "a", np.uint16)
    write(tmp_path / "b", np.uint16, docs=[[1, 2], [3, 3, 2]])
    out = merge([str(tmp_path / "a"), str(tmp_path / "b")], str(tmp_path / "m"))
    assert (out.documents, out.sequences, out.tokens) == (6, 5, 14)
    data = IndexedDataset(str(tmp_path / "m"))
    assert [d.tolist() for d in data.documents()] == DOCS + [[1, 2], [3, 3, 2]]
    assert data.document_indices.tolist() == [0, 1, 2, 2, 3, 4, 5]
    assert data.sequence_pointers.tolist() == [0, 6, 10, 18, 22]
    write(tmp_path / "c", np.int32)
    with pytest.raises(MegatronError, match="mix token types"):
        merge([str(tmp_path / "a"), str(tmp_path / "c")], str(tmp_path / "x"))


def test_broken_files_are_one_line_errors(tmp_path):
    write(tmp_path / "d", np.uint16)
    with pytest.raises(MegatronError, match="no such file"):
        IndexedDataset(str(tmp_path / "gone"))
    idx = (tmp_path / "d.idx").read_bytes()
    (tmp_path / "d.idx").write_bytes(b"NOTMAGIC!" + idx[9:])
    with pytest.raises(MegatronError, match="bad magic"):
        IndexedDataset(str(tmp_path / "d"))
    (tmp_path / "d.idx").write_bytes(idx[:-8])
    with pytest.raises(MegatronError, match="truncated"):
        IndexedDataset(str(tmp_path / "d"))
    (tmp_path / "d.idx").write_bytes(idx)
    (tmp_path / "d.bin").write_bytes(b"\x00" * 4)
    with pytest.raises(MegatronError, match="describes 18"):
        IndexedDataset(str(tmp_path / "d"))


def test_blend_weights_follow_tokens_and_alpha():
    files = [{"lang": "en", "prefix": "en_text_document_00000", "tokens": 300},
             {"lang": "en", "prefix": "en_text_document_00001", "tokens": 100},
             {"lang": "sw", "prefix": "sw_text_document_00000", "tokens": 100}]
    natural = [line.split() for line in blend_lines(files, 1.0, prefix_dir="/r/megatron")]
    assert natural == [["0.6", "/r/megatron/en_text_document_00000"], ["0.2", "/r/megatron/en_text_document_00001"],
                       ["0.2", "/r/megatron/sw_text_document_00000"]]
    uniform = {p: float(w) for w, p in (line.split() for line in blend_lines(files, 0.0))}
    assert uniform["sw_text_document_00000"] == pytest.approx(0.5)
    assert uniform["en_text_document_00000"] == pytest.approx(0.375)


def test_config_errors_name_the_key():
    assert MegatronConfig.from_dict({"shard_target_mb": 64, "languages": ["sw"]}, "run.yaml: megatron").languages == ("sw",)
    with pytest.raises(Exception, match=r"run.yaml: megatron: key 'shard_target_mbs' is not a known key \(did you mean 'shard_target_mb'"):
        MegatronConfig.from_dict({"shard_target_mbs": 1}, "run.yaml: megatron")
    with pytest.raises(Exception, match="max_file_tokens"):
        MegatronConfig.from_dict({"max_file_tokens": 2**31}, "run.yaml: megatron")


# --- the tokenize step on Beam ---------------------------------------------------------------------

TEXTS = {
    "sw": ["Habari ya asubuhi, mvua ilinyesha sana katika kijiji chetu jana jioni.",
           "Watoto walicheza mpira uwanjani hadi jua lilipotua nyuma ya milima."],
    "fr": ["Bonjour, il fait beau aujourd'hui à Lyon et les marchés sont pleins.",
           "Le train de 8 h 15 est parti avec 20 minutes de retard ce matin."],
    "code-python": ["def add(a, b):\n    return a + b\n", "for i in range(10):\n\tprint(i ** 2)\n"],
}


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("spm")
    text = folder / "train.txt"
    text.write_text("\n".join(line for texts in TEXTS.values() for t in texts for line in t.split("\n")) * 20)
    spm.SentencePieceTrainer.train(input=str(text), model_prefix=str(folder / "spm"), vocab_size=400,
                                   model_type="bpe", byte_fallback=True, minloglevel=2, hard_vocab_limit=False,
                                   normalization_rule_name="identity", remove_extra_whitespaces=False)
    return folder / "spm.model"


def corpus(root: Path) -> Path:
    """RUN/documents with two shards per language, each sorted by id as the curate step writes them."""
    docs = {lang: [Document(id=f"{lang}/{i:03d}", text=f"{texts[i % 2]} {i}" if i % 7 else texts[i % 2], lang=lang)
                   for i in range(60)] for lang, texts in TEXTS.items()}
    docs["fr"].append(Document(id="fr/zzz-empty", text="", lang="fr"))
    for lang, items in docs.items():
        for k in range(2):
            part = sorted(items[k::2], key=lambda d: d.id)
            write_shard(documents_to_table(part), shard_path(str(root / "documents" / lang_folder(lang)), k, 2, "parquet"), "parquet")
    return root / "documents"


def all_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_tokenize_step_is_exact_and_deterministic(tmp_path, model):
    from roots.pipelines.megatron import plan_units, run_tokenize

    documents = corpus(tmp_path)
    config = MegatronConfig(shard_target_mb=0.004)  # about 4 KB of text per shard: several shards per language
    index = run_tokenize(str(documents), str(model), str(tmp_path / "m1"), config)
    run_tokenize(str(documents), str(model), str(tmp_path / "m2"), config,
                 beam_args=["--direct_num_workers", "2", "--direct_running_mode", "multi_threading"])
    first = all_files(tmp_path / "m1")
    assert first.keys() == all_files(tmp_path / "m2").keys()
    assert not (tmp_path / "m1" / ".chunks").exists()   # the chunks' spill files are gone with the step
    for name, data in all_files(tmp_path / "m2").items():  # blend.txt too: its paths are relative
        assert data == first[name], name
    assert index["languages"]["fr"]["documents"] == 61 and index["languages"]["fr"]["empty_documents"] == 1
    sp = spm.SentencePieceProcessor(model_file=str(model))
    texts = {d.id: d.text for lang in TEXTS for d in _read_docs(documents, lang)}
    shards = {lang: total for lang, _, total in plan_units(str(documents), config)}
    assert max(shards.values()) > 1
    seen = 0
    for f in index["files"]:
        data = IndexedDataset(str(tmp_path / "m1" / f["prefix"]))
        ids = sorted(i for i in texts if i.split("/")[0] == f["lang"] and shard_of(i, shards[f["lang"]]) == f["shard"])
        assert data.num_documents == len(ids)
        for j, doc_id in enumerate(ids):
            want = sp.encode(texts[doc_id])
            assert data.document(j).tolist() == (want + [sp.eos_id()] if want else [])
            seen += 1
    assert seen == 181
    lines = (tmp_path / "m1" / "blend.txt").read_text().splitlines()
    assert len(lines) == len([f for f in index["files"] if f["tokens"]])
    assert sum(float(line.split()[0]) for line in lines) == pytest.approx(1.0)
    assert all("/" not in line.split()[1] for line in lines)  # relative to the megatron folder
    assert all((tmp_path / "m1" / (line.split()[1] + ".idx")).is_file() for line in lines)


def test_chunks_travel_as_content_named_files(tmp_path):
    """What crosses the Beam shuffle (and the local pool) is a path: the chunk is saved under a name
    made from its content, so a retried encoder writes the same file, and reads back unchanged."""
    from roots.pipelines.megatron import load_chunk, save_chunk

    chunk = (["en/a", "en/b"], np.array([3, 2], dtype=np.int64), np.array([5, 6, 7, 8, 9], dtype=np.uint16))
    path = save_chunk(str(tmp_path / "spill"), chunk)
    assert save_chunk(str(tmp_path / "spill"), chunk) == path and len(list((tmp_path / "spill").iterdir())) == 1
    ids, lengths, tokens = load_chunk(path)
    assert ids == chunk[0] and lengths.tolist() == [3, 2] and tokens.dtype == np.uint16
    assert tokens.tolist() == [5, 6, 7, 8, 9]
    other = save_chunk(str(tmp_path / "spill"), (["en/c"], np.array([1]), np.array([4], dtype=np.uint16)))
    assert other != path


def _read_docs(documents: Path, lang: str) -> list[Document]:
    import pyarrow.parquet as pq
    from roots.document import table_to_documents

    return [d for p in sorted((documents / lang_folder(lang)).glob("*.parquet")) for d in table_to_documents(pq.read_table(p))]


def test_an_oversized_shard_continues_in_parts(tmp_path):
    from roots.pipelines.megatron import write_documents

    tokens = np.arange(1, 11, dtype=np.uint16)
    records = list(write_documents(str(tmp_path), "sw", 3, tokens, np.array([4, 3, 0, 3]), np.dtype(np.uint16), 5))
    assert [r["prefix"] for r in records] == ["sw_text_document_00003", "sw_text_document_00003-001",
                                              "sw_text_document_00003-002"]
    assert [r["tokens"] for r in records] == [4, 3, 3]
    docs = [d.tolist() for r in records for d in IndexedDataset(str(tmp_path / r["prefix"])).documents()]
    assert docs == [[1, 2, 3, 4], [5, 6, 7], [], [8, 9, 10]]


def test_a_missing_or_broken_model_fails_before_any_work(tmp_path):
    from roots.pipelines.megatron import run_tokenize

    documents = corpus(tmp_path)
    with pytest.raises(TokenizerError, match="no such tokenizer model"):
        run_tokenize(str(documents), str(tmp_path / "nope.model"), str(tmp_path / "m"))
    (tmp_path / "junk.model").write_bytes(b"not a model" * 10)
    with pytest.raises(TokenizerError, match="not a SentencePiece model"):
        run_tokenize(str(documents), str(tmp_path / "junk.model"), str(tmp_path / "m"))
    assert not (tmp_path / "m").exists()


def test_commands_build_inspect_merge(tmp_path, model, capsys, monkeypatch):
    documents = corpus(tmp_path)
    out = tmp_path / "megatron"
    assert roots.cli.main(["megatron", "build", str(documents), "--tokenizer", str(model), "--output", str(out)]) == 0
    assert "| sw | 60 |" in capsys.readouterr().out
    prefixes = [str(out / f"{lang}_text_document_00000") for lang in ("fr", "sw")]
    assert roots.cli.main(["megatron", "merge", *prefixes, "--output", str(tmp_path / "all")]) == 0
    assert "121 documents" in capsys.readouterr().out
    assert roots.cli.main(["megatron", "inspect", str(tmp_path / "all"), "--document", "60",
                           "--tokenizer", str(model)]) == 0
    printed = capsys.readouterr().out
    assert "121 documents (1 empty)" in printed and "document 60: 0 tokens" in printed
    assert roots.cli.main(["megatron", "inspect", str(tmp_path / "all"), "--tokenizer", str(model)]) == 0
    assert capsys.readouterr().out.rstrip().endswith(TEXTS["fr"][0])
    assert roots.cli.main(["megatron", "inspect", str(tmp_path / "gone")]) == 2


# --- Megatron-Core's own reader and writer ----------------------------------------------------------


def megatron_core():
    try:
        from megatron.core.datasets import indexed_dataset
    except Exception as err:  # not installed, or torch missing
        pytest.skip(f"megatron-core is not importable ({type(err).__name__}); pip install megatron-core==0.16.1 torch==2.13.0")
    return indexed_dataset


def preprocess_data_like(indexed_dataset, jsonl: Path, model: Path, prefix: str, dtype) -> None:
    """The writing logic of Megatron-LM's tools/preprocess_data.py --append-eod (one partition, no sentence
    splitting), with Megatron-Core's own IndexedDatasetBuilder: per JSON line, ids = tokenize(text); a
    non-empty document gets the EOD appended and one sequence; then add_document(ids, lengths)."""
    import torch  # noqa: F401  (the builder module needs it)

    sp = spm.SentencePieceProcessor(model_file=str(model))
    builder = indexed_dataset.IndexedDatasetBuilder(prefix + ".bin", dtype=dtype)
    for line in jsonl.read_text(encoding="utf-8").splitlines():
        ids = sp.encode_as_ids(json.loads(line)["text"])
        lengths = [len(ids)] if ids else []
        if ids:
            ids.append(sp.eos_id())
            lengths[-1] += 1
        builder.add_document(ids, lengths)
    builder.finalize(prefix + ".idx")


def test_megatron_core_reads_our_shards_and_writes_the_same_bytes(tmp_path, model):
    indexed_dataset = megatron_core()
    from roots.pipelines.megatron import run_tokenize

    documents = corpus(tmp_path)
    index = run_tokenize(str(documents), str(model), str(tmp_path / "m"), MegatronConfig(shard_target_mb=1000))
    sp = spm.SentencePieceProcessor(model_file=str(model))
    for f in index["files"]:
        prefix = str(tmp_path / "m" / f["prefix"])
        theirs = indexed_dataset.IndexedDataset(prefix)
        docs = sorted(_read_docs(documents, f["lang"]), key=lambda d: d.id)
        assert theirs.document_indices.tolist()[-1] == len(theirs) and len(theirs.document_indices) == len(docs) + 1
        for j, doc in enumerate(docs):
            first, last = theirs.document_indices[j], theirs.document_indices[j + 1]
            got = [t for i in range(first, last) for t in theirs[i].tolist()]
            want = sp.encode(doc.text)
            assert got == (want + [sp.eos_id()] if want else []), doc.id
        # Byte identity with what preprocess_data.py writes for the same documents as JSONL, in the same order.
        jsonl = tmp_path / f"{f['lang']}.jsonl"
        jsonl.write_text("".join(json.dumps({"text": d.text}) + "\n" for d in docs), encoding="utf-8")
        preprocess_data_like(indexed_dataset, jsonl, model, str(tmp_path / f"ref_{f['lang']}"), np.uint16)
        tokenize_jsonl(str(jsonl), str(model), str(tmp_path / f"ours_{f['lang']}"))
        for ext in ("bin", "idx"):
            ref = tmp_path / f"ref_{f['lang']}.{ext}"
            assert ref.read_bytes() == Path(f"{prefix}.{ext}").read_bytes()
            assert ref.read_bytes() == (tmp_path / f"ours_{f['lang']}_text_document.{ext}").read_bytes()


@pytest.mark.parametrize("dtype", [np.uint16, np.int32])
def test_megatron_core_agrees_on_both_token_types_and_merge(tmp_path, dtype):
    indexed_dataset = megatron_core()
    import torch  # noqa: F401

    rng = np.random.default_rng(0)
    high = 65_000 if dtype == np.uint16 else 250_680
    docs = [rng.integers(0, high, size=n).tolist() for n in (5, 1, 0, 17, 3)]
    for name, part in (("a", docs[:3]), ("b", docs[3:])):
        write(tmp_path / name, dtype, docs=part)
        ref = indexed_dataset.IndexedDatasetBuilder(str(tmp_path / f"ref_{name}.bin"), dtype=dtype)
        for d in part:
            ref.add_document(d, [len(d)] if d else [])
        ref.finalize(str(tmp_path / f"ref_{name}.idx"))
        for ext in ("bin", "idx"):
            assert (tmp_path / f"{name}.{ext}").read_bytes() == (tmp_path / f"ref_{name}.{ext}").read_bytes()
    merge([str(tmp_path / "a"), str(tmp_path / "b")], str(tmp_path / "m"))
    ref = indexed_dataset.IndexedDatasetBuilder(str(tmp_path / "ref_m.bin"), dtype=dtype)
    ref.add_index(str(tmp_path / "ref_a"))
    ref.add_index(str(tmp_path / "ref_b"))
    ref.finalize(str(tmp_path / "ref_m.idx"))
    for ext in ("bin", "idx"):
        assert (tmp_path / f"m.{ext}").read_bytes() == (tmp_path / f"ref_m.{ext}").read_bytes()
    theirs = indexed_dataset.IndexedDataset(str(tmp_path / "m"))
    assert theirs.index.dtype == dtype
    assert [theirs[i].tolist() for i in range(len(theirs))] == [d for d in docs if d]


def test_equal_ids_are_ordered_by_their_tokens():
    from roots.pipelines.megatron import sort_order

    ids = np.array(["b", "a", "b", "c", "b"])
    lengths = np.array([2, 1, 2, 1, 1])
    flat = np.array([9, 9, 1, 5, 3, 7, 4], dtype=np.uint16)
    # documents: b=[9,9], a=[1], b=[5,3], c=[7], b=[4]
    assert sort_order(ids, flat, lengths).tolist() == [1, 4, 2, 0, 3]  # a; the three b by token bytes; c


def test_documents_to_tokenizer_to_shards_and_a_rerun_is_identical(tmp_path):
    """The run's last steps: RUN/documents → RUN/tokenizer (sample, train) → RUN/megatron, twice."""
    from roots.pipelines.megatron import run_tokenize
    from roots.sampling import SamplingConfig
    from roots.tokenizer import TokenizerConfig, build_tokenizer

    documents = corpus(tmp_path)
    config = TokenizerConfig(vocab_size=500, hard_vocab_limit=False, sample=SamplingConfig(total_mb=0.1))
    outputs = []
    for _ in range(2):
        info = build_tokenizer(str(documents), str(tmp_path / "tokenizer"), config)
        assert set(info["sample"]["shares"]) == set(TEXTS)
        index = run_tokenize(str(documents), str(tmp_path / "tokenizer" / "spm.model"), str(tmp_path / "megatron"))
        assert set(index["languages"]) == set(TEXTS)
        outputs.append({**all_files(tmp_path / "tokenizer"), **all_files(tmp_path / "megatron")})
    assert outputs[0] == outputs[1]
    assert {"spm.model", "spm.vocab", "tokenizer.json", "blend.txt", "index.json",
            "sw_text_document_00000.bin", "code-python_text_document_00000.idx"} <= set(outputs[0])


def test_a_run_trains_its_tokenizer_in_a_child_process_with_the_same_result(tmp_path):
    """The run's tokenizer step (sample + train) runs in a spawned process so the driver's memory stays
    flat: the same files as in-process, and its errors still arrive as one-line TokenizerErrors."""
    from roots.sampling import SamplingConfig
    from roots.tokenizer import TokenizerConfig, TokenizerError, build_tokenizer, build_tokenizer_in_child

    documents = corpus(tmp_path)
    config = TokenizerConfig(vocab_size=500, hard_vocab_limit=False, sample=SamplingConfig(total_mb=0.1))
    here = build_tokenizer(str(documents), str(tmp_path / "here"), config)
    child = build_tokenizer_in_child(str(documents), str(tmp_path / "child"), config)
    assert child["vocab_size"] == here["vocab_size"] and child["sample"] == here["sample"]
    assert all_files(tmp_path / "child") == all_files(tmp_path / "here")
    too_big = TokenizerConfig(vocab_size=900_000, sample=SamplingConfig(total_mb=0.1))
    with pytest.raises(TokenizerError, match="too little for vocab_size 900000"):
        build_tokenizer_in_child(str(documents), str(tmp_path / "big"), too_big)
