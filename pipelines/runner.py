"""Runs a config as a sequence of steps split at the global barriers (ARCHITECTURE.md §5), each one
Beam pipeline that reads the previous step's shards and writes its own, recorded in the manifest so
that a rerun skips finished steps (and, inside a step, finished shards)."""
from __future__ import annotations

import logging
import os
import time
from typing import Any

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from roots.config import RunConfig
from roots.filters.cleaning import TemplateLines, template_line_hashes
from roots.filters.normalise import normalise_text
from roots.pipelines.dedup import Deduplicate
from roots.pipelines.beam_transforms import RUNS_DIR, INGEST, DocumentStep, ReadShards, ReadSources, write_counts
# The engine-neutral plan moved to plan.py; its names stay importable from here.
from roots.pipelines.plan import (  # noqa: F401
    CURATE, DEDUP, INGEST_STEP, MEGATRON, PII, SOURCES, STEPS_DIR, TEMPLATES, TOKENIZER, DedupPart,
    DocumentStepPlan, StepCallback, StepResult, TemplatePlan, begin_step, curate_stages, final_sizes, finish_run,
    finish_step, list_units, nest, open_manifest, plan_steps, remove_intermediate, reset_language_changes,
    run_tokenizer_steps,
    source_count, step_progress,
    step_root, template_plan, templates_path)
from roots import fs
from roots.rundir import STATS, list_shards, read_json
from roots.runlock import run_lock
from roots.stage import Stage
from roots.progress import StepProgress
from roots.stats import Manifest

log = logging.getLogger(__name__)

def run_template_step(config: RunConfig, manifest: Manifest, beam_args: list[str],
                      units: list[tuple[int, int, str]]) -> None:
    """ROOTS's template dedup needs source-wide counts before any document is cleaned: count the
    normalised lines (>= template_min_chars) of every source that asks for it, keep those seen at
    least template_min_count times, and save their digests for the Cleaning stage's workers."""
    plan = template_plan(config, manifest, units)
    if plan is None:
        return
    chosen, min_chars, min_count, path = plan.units, plan.min_chars, plan.min_count, plan.path

    def save(found: list[tuple[str, list[bytes]]]) -> None:
        TemplateLines(min_chars, min_count, fixed={src: set(hashes) for src, hashes in found}).save(path)

    with beam.Pipeline(options=beam_options(beam_args)) as pipeline:
        read = pipeline | "Read" >> ReadSources(chosen, config.sources)
        (read["kept"]
         | "LineHashes" >> beam.FlatMap(lambda d: ((d.source, h) for h in template_line_hashes(normalise_text(d.text), min_chars)))
         | "CountLines" >> beam.combiners.Count.PerElement()
         | "Frequent" >> beam.Filter(lambda kv: kv[1] >= min_count)
         | "BySource" >> beam.Map(lambda kv: kv[0])
         | "GroupBySource" >> beam.GroupByKey()
         | "Gather" >> beam.combiners.ToList()
         | "Save" >> beam.Map(save))
    plan.complete(manifest)


def beam_options(beam_args: list[str]) -> PipelineOptions:
    """Beam's own options as given; the local FnApiRunner unless a runner is named (see ENVIRONMENT.md:
    the DirectRunner first tries to download the Prism binary)."""
    args = list(beam_args)
    if not any(a == "--runner" or a.startswith("--runner=") for a in args):
        args.append("--runner=FnApiRunner")
    return PipelineOptions(args)


def build_document_step(pipeline: beam.Pipeline, plan: DocumentStepPlan, config: RunConfig, final: bool,
                        units: list[tuple[int, int, str]] | None = None,
                        progress: StepProgress | None = None) -> list[str]:
    """Apply one document step's transforms to `pipeline` without running it (run_document_step runs
    it; tests build the graph under any runner's options). Returns the stage names in count order."""
    out = config.output
    sink = progress.sink if progress is not None else None
    if plan.after is None:
        units = list_units(config.sources) if units is None else units
        sizes = progress.unit_sizes if progress is not None else None
        read: beam.PTransform = ReadSources(units, config.sources, sink, sizes)
        order = [INGEST]
        log.debug("step %s: %d units from %d sources", plan.name, len(units), len(config.sources))
    else:
        read = ReadShards(list_shards(step_root(out, plan.after, False)), sink)
        order = []
    order += [p.name for p in plan.parts]
    stats_prefix = os.path.join(out, STATS, plan.name)
    runs_dir = fs.join(out, RUNS_DIR, plan.name)
    parts = [beam_part(p, runs_dir) for p in plan.parts]
    counts = pipeline | plan.name >> DocumentStep(read, parts, out, step_root(out, plan.name, final),
                                                  config.output_format, config.shard_target_mb,
                                                  plan.annotations, stats_prefix, plan.rejected_map,
                                                  runs_dir=runs_dir)
    write_counts(counts, os.path.join(out, STATS, f"{plan.name}.counts.json"))
    return order


def beam_part(part: Any, runs_dir: str) -> Any:
    """A plan's part as DocumentStep takes it: the global dedup as Beam's Deduplicate transform, its
    documents' run files under the step's `runs_dir` (removed with the shard writer's)."""
    if isinstance(part, DedupPart):
        return Deduplicate(part.config, part.modes, folder=fs.join(runs_dir, "dedup-route"))
    return part


def is_local_runner(options: PipelineOptions) -> bool:
    """Whether Beam runs on this machine (its workers can write the driver's progress folder)."""
    runner = options.get_all_options().get("runner") or "FnApiRunner"
    return str(runner).split(".")[-1] in {"FnApiRunner", "DirectRunner", "BundleBasedDirectRunner", "SwitchingDirectRunner"}


def run_document_step(plan: DocumentStepPlan, config: RunConfig, manifest: Manifest, beam_args: list[str],
                      final: bool, units: list[tuple[int, int, str]] | None = None,
                      progress: bool = True) -> StepResult:
    """Run one document step as a Beam pipeline unless the manifest marks it complete."""
    done = begin_step(plan, config, manifest)
    if done is not None:
        return done
    stats_prefix = os.path.join(config.output, STATS, plan.name)
    start = time.perf_counter()
    options = beam_options(beam_args)
    runs = fs.join(config.output, RUNS_DIR)
    _remove_runs(runs)   # an object store's leftovers of a crashed attempt (a local folder's went in begin_step)
    with step_progress(plan, config, manifest, units, enabled=progress and is_local_runner(options)) as bar:
        with beam.Pipeline(options=options) as pipeline:
            order = build_document_step(pipeline, plan, config, final, units, bar)
            log.debug("step %s: parts %s", plan.name, ", ".join(order))
    _remove_runs(runs)   # the shards are written: the sorted runs they were merged from go
    seconds = time.perf_counter() - start
    counts = ((tuple(k), tuple(v)) for k, v in read_json(f"{stats_prefix}.counts.json"))
    annotations = {name: read_json(f"{stats_prefix}.{name}.json") for name in plan.annotations
                   if fs.exists(f"{stats_prefix}.{name}.json")}
    return finish_step(plan, manifest, order, counts, seconds, annotations)


def _remove_runs(path: str) -> None:
    """Remove the run files of the two-phase shard writer (beam_transforms.WriteShards), if any."""
    if fs.exists(path):
        fs.remove_tree(path)


def run_curate(config: RunConfig, manifest: Manifest, beam_args: list[str],
               stages: list[Stage] | None = None, step: str = CURATE) -> StepResult:
    """The curate step alone, into RUN/documents (tests and `roots ingest` use it)."""
    plan = DocumentStepPlan(step, curate_stages(config) if stages is None else stages)
    return run_document_step(plan, config, manifest, beam_args, final=True)


def run(config: RunConfig, beam_args: list[str] | None = None, ingest_only: bool = False,
        plans: list[DocumentStepPlan] | None = None, on_step: StepCallback | None = None,
        progress: bool = True) -> Manifest:
    """Run every step of `config` (or the `plans` given) into `config.output`, resuming a crashed or
    finished run. `ingest_only` stops after reading and normalising (`roots ingest`). Every source
    path is checked before any step starts. `on_step` hears of each step in pipeline order as it
    ends; `progress` shows each document step's bar (local runners only)."""
    plans = plan_steps(config, ingest_only) if plans is None else plans
    units = list_units(config.sources)
    fs.makedirs(config.output)
    with run_lock(config.output):   # a second run on this folder is refused, not mixed in
        manifest = open_manifest(config, plans)   # another config, inputs or models refused; changed language configs reset
        if not ingest_only:
            run_template_step(config, manifest, beam_args or [], units)
        for i, plan in enumerate(plans):
            result = run_document_step(plan, config, manifest, beam_args or [], final=i == len(plans) - 1,
                                       units=units if plan.after is None else None, progress=progress)
            log.debug("step %s %s in %.1f s", result.name, "skipped" if result.skipped else "done", result.seconds)
            if on_step is not None:
                on_step(result.name, manifest.steps[result.name], result.skipped)
        if not ingest_only:
            run_tokenizer_steps(config, manifest, beam_args or [], final_sizes(manifest, plans[-1].name),
                                on_step=on_step)
            remove_intermediate(config)
        finish_run(config, manifest, plans)
    return manifest
