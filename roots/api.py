"""The Python API of the core: `roots.open_run` reads a run directory, `roots.apply` runs stages on
documents in memory, and `load` reads a config. `roots.run` (a config run exactly as `roots run` does)
lives in roots.pipelines.api, which names the engines: the core imports neither the filters nor the
pipelines (tests/test_layers.py).

Importing this module (and so `import roots`) loads neither Beam, Spark nor pyarrow: each is imported
by the call that needs it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Iterable, NamedTuple

from roots.errors import RootsError

if TYPE_CHECKING:
    import pyarrow.dataset

    from roots.config import RunConfig
    from roots.document import Document, Rejection
    from roots.stats import Manifest

def load(config: Any, output: str | os.PathLike | None = None) -> "RunConfig":
    """A validated RunConfig from a YAML path, a dict (paths resolve against the current folder) or a
    RunConfig; `output` overrides the config's."""
    from roots.config import ConfigError, RunConfig, load_config, parse_config

    out = None if output is None else os.fspath(output)
    if isinstance(config, (str, os.PathLike)):
        return load_config(os.fspath(config), out)
    if isinstance(config, dict):
        return parse_config(config, os.path.join(os.getcwd(), "<config dict>"), out)
    if isinstance(config, RunConfig):
        if out is None:
            return config
        from roots.fs import is_remote

        if is_remote(out) and (config.section("tokenizer") is not None or config.section("megatron") is not None):
            raise ConfigError(f"{config.path}: output {out!r} is on an object store, but the tokenizer and megatron "
                              "steps need a local or mounted folder: remove those sections")
        return replace(config, output=out)
    raise ConfigError(f"roots.run: expected a config path, dict or RunConfig, got {type(config).__name__}")


def open_run(path: str | os.PathLike) -> "Run":
    """The run directory at `path` (local or an object-store URL), read from its manifest."""
    from roots import fs
    from roots.rundir import MANIFEST, read_json

    path = os.fspath(path)
    manifest = fs.join(path, MANIFEST)
    if not fs.exists(manifest):
        raise RootsError(f"{path}: no {MANIFEST}; give a folder that `roots run` wrote")
    data = read_json(manifest)
    if not isinstance(data, dict) or not isinstance(data.get("steps"), dict):
        raise RootsError(f"{manifest}: not a roots manifest (no `steps`)")
    return Run(path, data)


def format_steps(steps: dict[str, Any]) -> str:
    """Each step of a manifest in a few lines: per stage documents in, kept and rejected by reason;
    the tokenizer; the tokens written (what `roots run` prints at the end)."""
    from roots.stats import format_summary

    blocks = []
    for step, info in steps.items():
        if "counts" in info:   # in run order (a manifest read back from its file has its keys sorted)
            counts = {stage: info["counts"][stage] for stage in info.get("stages", info["counts"])
                      if stage in info["counts"]}
            blocks.append(f"step {step}:\n{format_summary(counts)}")
        elif step == "megatron" and "languages" in info:
            tokens = sum(cell["tokens"] for cell in info["languages"].values())
            blocks.append(f"step megatron: {tokens:,} tokens in {len(info['languages'])} languages")
        elif step == "tokenizer":
            trained = (f"trained on {info['input_bytes']:,} sampled bytes" if "input_bytes" in info
                       else f"from {info.get('model')}")
            blocks.append(f"step tokenizer: {info.get('vocab_size', '')} pieces, {trained}")
    return "\n\n".join(blocks)


@dataclass(frozen=True)
class Run:
    """A run directory: its manifest, where each output lies, its documents and rejections as pyarrow
    datasets, and the counts per step, stage and language."""

    path: str
    manifest: dict

    @property
    def config(self) -> dict:
        """The resolved config the run ran with."""
        return self.manifest.get("config", {})

    @property
    def config_hash(self) -> str:
        return self.manifest.get("config_hash", "")

    @property
    def steps(self) -> dict[str, dict]:
        """Each step's manifest entry (status, stages, counts, seconds, ...), in run order."""
        from roots.stats import ordered_steps

        return {name: self.manifest["steps"][name] for name in ordered_steps(self.manifest)}

    @property
    def complete(self) -> bool:
        return all(info.get("status") == "complete" for info in self.manifest["steps"].values())

    def _join(self, *parts: str) -> str:
        from roots import fs

        return fs.join(self.path, *parts)

    @property
    def documents_dir(self) -> str:
        return self._join("documents")

    @property
    def rejected_dir(self) -> str:
        return self._join("rejected")

    @property
    def tokenizer_dir(self) -> str:
        return self._join("tokenizer")

    @property
    def tokenizer_model(self) -> str:
        """The SentencePiece model (`tokenizer/spm.model`), for roots.tokenizer or Megatron."""
        return self._join("tokenizer", "spm.model")

    @property
    def megatron_dir(self) -> str:
        return self._join("megatron")

    def counts(self) -> dict[str, dict]:
        """Every stage's counts, in run order: {stage: {lang: {input, kept, rejected: {reason: {docs, bytes}}}}}."""
        from roots.stats import stage_counts

        return stage_counts(self.steps)

    def totals(self) -> dict[str, dict[str, int]]:
        """Per stage the documents in, kept and rejected over all languages."""
        from roots.stats import totals

        return {stage: totals(by_lang) for stage, by_lang in self.counts().items()}

    def documents(self) -> "pyarrow.dataset.Dataset":
        """The kept documents (id, text, lang, source, meta: a JSON string, or a struct in a JSONL run;
        `language` from the folders)."""
        return self._dataset("documents", ("language",))

    def rejected(self) -> "pyarrow.dataset.Dataset":
        """Every rejection: the document's columns plus reason and detail (`stage` and `language` from the folders)."""
        return self._dataset("rejected", ("stage", "language"))

    def _dataset(self, kind: str, keys: tuple[str, ...]) -> "pyarrow.dataset.Dataset":
        import pyarrow as pa
        import pyarrow.dataset as ds

        from roots import fs
        from roots.document import DOCUMENT_SCHEMA, REJECTED_SCHEMA
        from roots.rundir import _TMP_MARK

        fmt = "json" if self.config.get("output_format") == "jsonl" else "parquet"
        pattern = self._join(kind, *(f"{k}=*" for k in keys), "part-*")
        files = [p for p in fs.glob(pattern) if _TMP_MARK not in p]
        schema = DOCUMENT_SCHEMA if kind == "documents" else REJECTED_SCHEMA
        partitioning = ds.partitioning(pa.schema([(k, pa.string()) for k in keys]), flavor="hive")
        filesystem = None
        if fs.is_remote(self.path):
            from pyarrow.fs import FSSpecHandler, PyFileSystem

            handler, _ = fs.filesystem(self.path)
            filesystem = PyFileSystem(FSSpecHandler(handler))
            files = [fs.filesystem(p)[1] for p in files]
        base = fs.filesystem(self._join(kind))[1] if filesystem else self._join(kind)
        if fmt == "json" and files:   # meta is an object in JSONL shards: let pyarrow infer the schema
            return ds.dataset(files, format=fmt, partitioning=partitioning, partition_base_dir=base, filesystem=filesystem)
        full = pa.schema(list(schema) + [pa.field(k, pa.string()) for k in keys])
        return ds.dataset(files, schema=full, format=fmt, partitioning=partitioning, partition_base_dir=base,
                          filesystem=filesystem)

    def summary(self) -> str:
        """What `roots run` prints at the end: each step's counts, the tokenizer, the tokens written."""
        return f"{format_steps(self.steps)}\n\nrun directory: {self.path}"

    def __str__(self) -> str:
        return self.summary()


class Applied(NamedTuple):
    """What `apply` returns: the documents every stage passed (in input order), and the rejections."""

    kept: list
    rejected: list


def apply(stages: Any, docs: Iterable[Any]) -> Applied:
    """Run stages (one or a list; each `setup()` first) over documents in memory, in order: the kept
    documents and the rejections (`Rejection.reason.code` says which stage and why; a Rejection given
    as input, e.g. from a reader, passes straight to `rejected`). The stages are
    the same objects a run uses, e.g. `Quality(QualityConfig())` or your own stage class."""
    from roots.stage import run_stages

    chain = list(stages) if isinstance(stages, (list, tuple)) else [stages]
    kept: list = []
    rejected: list = []
    for stage_name, outcome in run_stages(chain, docs):
        (rejected if stage_name else kept).append(outcome)
    return Applied(kept, rejected)
