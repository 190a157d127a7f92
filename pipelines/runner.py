"""Runs a config as a sequence of steps on Beam, recording each step in the manifest so that a
rerun skips finished steps (and, inside a step, finished shards)."""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from roots.config import RunConfig
from roots.io.base import SourceSpec
from roots.io.formats import FORMATS
from roots.rundir import STATS, read_json, remove_temporary_files
from roots.stage import Stage
from roots.stats import Manifest, counts_table
from roots.filters.normalise import Normalise
from roots.pipelines.beam_transforms import INGEST, Curate, write_counts

log = logging.getLogger(__name__)

CURATE = "curate"
INGEST_STEP = "ingest"


def curate_stages(config: RunConfig) -> list[Stage]:
    """The per-document stages of the curate step, in order (later issues add LID, cleaning, filters)."""
    return [Normalise(max_bytes=config.normalise.max_bytes)]


def list_units(sources: tuple[SourceSpec, ...]) -> list[tuple[int, int, str]]:
    """Every input unit of every source as (position, source index, unit), in a stable order.
    Raises SourceError for a missing path, before any work."""
    pairs = [(i, unit) for i, spec in enumerate(sources) for unit in FORMATS[spec.format].expand(spec)]
    return [(pos, i, unit) for pos, (i, unit) in enumerate(pairs)]


def beam_options(beam_args: list[str]) -> PipelineOptions:
    """Beam's own options as given; the local FnApiRunner unless a runner is named (see ENVIRONMENT.md:
    the DirectRunner first tries to download the Prism binary)."""
    args = list(beam_args)
    if not any(a == "--runner" or a.startswith("--runner=") for a in args):
        args.append("--runner=FnApiRunner")
    return PipelineOptions(args)


@dataclass
class StepResult:
    name: str
    skipped: bool
    seconds: float
    counts: dict


def run_curate(config: RunConfig, manifest: Manifest, beam_args: list[str],
               stages: list[Stage] | None = None, step: str = CURATE) -> StepResult:
    """The curate step: sources → per-document stages → documents/ and rejected/ shards and counts."""
    if manifest.is_complete(step):
        log.info("step %s: already complete in %s, skipped", step, manifest.path)
        return StepResult(step, True, 0.0, manifest.steps[step]["counts"])
    stages = curate_stages(config) if stages is None else stages
    units = list_units(config.sources)
    out = config.output
    removed = remove_temporary_files(out) if os.path.isdir(out) else 0
    if removed:
        log.info("removed %d half-written files from an earlier run", removed)
    manifest.start(step)
    counts_path = os.path.join(out, STATS, f"{step}.counts.json")
    log.info("step %s: %d units from %d sources, stages: %s", step, len(units), len(config.sources),
             ", ".join(s.name for s in stages))
    start = time.perf_counter()
    with beam.Pipeline(options=beam_options(beam_args)) as pipeline:
        counts = pipeline | "Curate" >> Curate(units, config.sources, stages, out, config.output_format,
                                               config.shard_target_mb)
        write_counts(counts, counts_path)
    seconds = time.perf_counter() - start
    order = [INGEST] + [s.name for s in stages]
    table = counts_table(((tuple(k), tuple(v)) for k, v in read_json(counts_path)), order)
    manifest.complete(step, {"stages": order, "counts": table, "seconds": round(seconds, 3)})
    return StepResult(step, False, seconds, table)


def run(config: RunConfig, beam_args: list[str] | None = None, ingest_only: bool = False) -> Manifest:
    """Run every step of `config` into `config.output`, resuming a crashed or finished run.
    `ingest_only` stops after reading and normalising (`roots ingest`)."""
    os.makedirs(config.output, exist_ok=True)
    manifest = Manifest.open(config.output, config.to_dict(), config.hash())
    stages = [Normalise(max_bytes=config.normalise.max_bytes)] if ingest_only else None
    result = run_curate(config, manifest, beam_args or [], stages, INGEST_STEP if ingest_only else CURATE)
    log.info("step %s %s in %.1f s", result.name, "skipped" if result.skipped else "done", result.seconds)
    return manifest
