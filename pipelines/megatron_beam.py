"""The binarisation step's Beam graph (see roots.pipelines.megatron, its engine-free parts): units
are spread over the workers, each document shard is encoded by `EncodeFile`, which saves each chunk to
a spill file under the output folder (`save_chunk`: the run directory, so every worker of a cluster
sees it); only (Megatron shard, path) pairs are grouped, and each shard is written by one `WriteShard`
from its chunks' files. Token arrays never cross the shuffle. Kept apart so that only the Beam engine
imports Beam.
"""
from __future__ import annotations

import os
from typing import Any, Callable, Iterable, Iterator

import apache_beam as beam
from apache_beam.metrics import Metrics

from roots import fs
from roots.megatron import MegatronConfig, dtype_for_vocab, eod_id
from roots.pipelines.megatron import Unit, encode_unit, load_chunk, save_chunk, write_chunks
from roots.rundir import read_json, write_json
from roots.tokenizer import load_sentencepiece

#: The spill folder of the chunks, inside the output folder (removed when the step ends).
CHUNKS_FOLDER = ".chunks"


class EncodeFile(beam.DoFn):
    """encode_unit as a DoFn: the SentencePiece model is loaded once per worker; each chunk goes to a
    spill file under `folder` and only its path travels on."""

    def __init__(self, model_path: str, config: MegatronConfig, folder: str):
        self.model_path, self.config, self.folder = model_path, config, folder

    def setup(self) -> None:
        self.sp = load_sentencepiece(self.model_path)
        self.eod = eod_id(self.sp)
        self.dtype = dtype_for_vocab(self.sp.get_piece_size())
        self.docs_counter = Metrics.counter("megatron", "documents")
        self.tokens_counter = Metrics.counter("megatron", "tokens")

    def process(self, unit: Unit) -> Iterator[tuple[tuple[str, int], str]]:
        for key, chunk in encode_unit(self.sp, self.eod, self.dtype, self.config, unit):
            self.docs_counter.inc(len(chunk[0]))
            self.tokens_counter.inc(int(chunk[2].size))
            yield key, save_chunk(self.folder, chunk)


class WriteShard(beam.DoFn):
    """write_chunks as a DoFn (the model is read once per worker for its token dtype)."""

    def __init__(self, out_dir: str, model_path: str, config: MegatronConfig):
        self.out_dir, self.model_path, self.config = out_dir, model_path, config

    def setup(self) -> None:
        sp = load_sentencepiece(self.model_path)
        self.dtype = dtype_for_vocab(sp.get_piece_size())

    def process(self, keyed: tuple[tuple[str, int], Iterable[str]]) -> Iterator[dict[str, Any]]:
        key, paths = keyed
        yield from write_chunks(self.out_dir, self.dtype, self.config, (key, [load_chunk(p) for p in sorted(paths)]))



class Tokenize(beam.PTransform):
    """Units (lang, document shard, shard count) → Megatron shards in `out_dir`; returns a PCollection of
    one record per file written (lang, shard, part, prefix, documents, sequences, tokens, ...)."""

    def __init__(self, model_path: str, out_dir: str, config: MegatronConfig | None = None):
        super().__init__()
        self.model_path, self.out_dir, self.config = model_path, out_dir, config or MegatronConfig()

    def expand(self, units):
        return (units
                | "SpreadFiles" >> beam.Reshuffle()
                | "EncodeFiles" >> beam.ParDo(EncodeFile(self.model_path, self.config,
                                                         fs.join(self.out_dir, CHUNKS_FOLDER)))
                | "GroupByShard" >> beam.GroupByKey()
                | "WriteShards" >> beam.ParDo(WriteShard(self.out_dir, self.model_path, self.config)))


def build_tokenize(pipeline: beam.Pipeline, units: list[Unit], model_path: str, out_dir: str, config: MegatronConfig,
                   records_path: str) -> None:
    """Apply the binarisation to `pipeline` without running it: units → Megatron files, and the list of
    files written (one record each) to `records_path` as JSON."""
    (pipeline
     | "ListDocumentShards" >> beam.Create(units)
     | "Tokenize" >> Tokenize(model_path, out_dir, config)
     | "GatherFiles" >> beam.combiners.ToList()
     | "WriteFileList" >> beam.Map(lambda recs: write_json(records_path, recs)))


def tokenize_on_beam(beam_args: list[str] | None = None) -> Callable[..., list[dict[str, Any]]]:
    """The binarisation's engine part on Beam: units → Megatron files, one record per file."""
    def run(units: list[Unit], model_path: str, out_dir: str, config: MegatronConfig) -> list[dict[str, Any]]:
        from roots.pipelines.runner import beam_options

        records_path = os.path.join(out_dir, ".files.json")
        try:
            with beam.Pipeline(options=beam_options(beam_args or [])) as pipeline:
                build_tokenize(pipeline, units, model_path, out_dir, config, records_path)
        finally:
            if fs.exists(fs.join(out_dir, CHUNKS_FOLDER)):
                fs.remove_tree(fs.join(out_dir, CHUNKS_FOLDER))
        files = read_json(records_path)
        os.remove(records_path)
        return files
    return run
