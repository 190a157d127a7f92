"""Runs a config as a sequence of steps split at the global barriers (ARCHITECTURE.md §5), each one
Beam pipeline that reads the previous step's shards and writes its own, recorded in the manifest so
that a rerun skips finished steps (and, inside a step, finished shards)."""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from roots.config import RunConfig
from roots.document import Document
from roots.filters.lid import LanguageId
from roots.filters.boilerplate import Boilerplate, line_counts
from roots.filters.cleaning import Cleaning, TemplateLines, template_line_hashes
from roots.filters.normalise import Normalise, normalise_text
from roots.filters.quality import Quality
from roots.filters.pii import PiiRedact, RedactRejected, span_counts
from roots.io.base import SourceSpec
from roots.io.formats import FORMATS
from roots.dedup.fingerprint import shingle_modes
from roots.pipelines.dedup import Deduplicate
from roots.pipelines.beam_transforms import INGEST, DocumentStep, ReadShards, ReadSources, write_counts
from roots import fs
from roots.rundir import DOCUMENTS, STATS, list_shards, read_json, remove_temporary_files
from roots.fingerprint import combined, fingerprint
from roots.runlock import run_lock
from roots.stage import Stage
from roots.progress import StepProgress
from roots.user_stages import with_user_stages
from roots.stats import Manifest, counts_table
from roots.run_warnings import run_warnings

log = logging.getLogger(__name__)

CURATE = "curate"
INGEST_STEP = "ingest"
PII = "pii"
DEDUP = "dedup"
TEMPLATES = "templates"
TOKENIZER = "tokenizer"
MEGATRON = "megatron"
STEPS_DIR = "steps"
#: The last step's annotation of kept documents per source.
SOURCES = "sources"


@dataclass
class DocumentStepPlan:
    """A step over documents: read from the sources (`after` None) or from step `after`'s shards,
    then each part in order (per-document stages, or PTransforms with a `name`)."""

    name: str
    parts: list = field(default_factory=list)
    after: str | None = None
    #: name → f(doc) -> {key tuple: count}: summed over kept documents into stats/<step>.<name>.json
    #: and the manifest (e.g. PII spans per language and type).
    annotations: dict = field(default_factory=dict)
    #: A map over every (stage, rejection) before it is written (a stage-like object with `setup()`):
    #: the PII redaction of rejected documents, so raw values never reach RUN/rejected.
    rejected_map: Any = None


def curate_stages(config: RunConfig) -> list[Stage]:
    """The per-document stages of the curate step, in ROOTS's order: normalise, the catalogue cleaning
    each source asks for, boilerplate removal for web sources (before language ID, so that it sees the
    page's text without its menus), language ID (with a `lid:` section), then the quality filters; the config's own `stages:` go where
    each entry's `after:` says (default: the end)."""
    stages: list[Stage] = [Normalise(max_bytes=config.normalise.max_bytes)]
    cleaning = config.section("cleaning")
    if cleaning.default or cleaning.sources:
        stages.append(Cleaning(cleaning, templates_path=templates_path(config) if cleaning.needs_template_counts else None))
    boilerplate = config.section("boilerplate")
    web = boilerplate.applies_to(config.sources)
    if boilerplate.enabled and web:
        stages.append(Boilerplate(boilerplate, frozenset(web)))
    if config.section("lid") is not None:
        stages.append(LanguageId(config.section("lid"), config.registry()))
    if config.section("quality").enabled:
        stages.append(Quality(config.section("quality"), registry=config.registry()))
    return with_user_stages(stages, config.section("stages"), config.path)   # the config's `stages:`


def templates_path(config: RunConfig) -> str:
    """Where the template-line step leaves each source's boilerplate line digests."""
    return os.path.join(config.output, STATS, "templates.json")


@dataclass
class TemplatePlan:
    """What the template-line step counts (the units of the sources that ask for `dedup_template`),
    with which settings, and where the digests go; shared by the Beam and Spark engines."""

    units: list[tuple[int, int, str]]
    sources: list[str]
    min_chars: int
    min_count: int
    path: str

    def complete(self, manifest: Manifest) -> None:
        """Record in the manifest how many template lines each source has."""
        found = TemplateLines.load(self.path)
        manifest.complete(TEMPLATES, {"sources": {src: len(found.templates(src)) for src in self.sources}})


def template_plan(config: RunConfig, manifest: Manifest, units: list[tuple[int, int, str]]) -> TemplatePlan | None:
    """The template step to run now (marked started in the manifest), or None when no source asks for
    it or a previous run finished it."""
    cleaning = config.section("cleaning")
    if not cleaning.needs_template_counts or manifest.is_complete(TEMPLATES):
        return None
    wanted = sorted(spec.name for spec in config.sources if "dedup_template" in cleaning.operations(spec.name))
    path = templates_path(config)
    fs.makedirs(os.path.dirname(path))
    manifest.start(TEMPLATES)
    return TemplatePlan([u for u in units if config.sources[u[1]].name in wanted], wanted,
                        cleaning.template_min_chars, cleaning.template_min_count, path)


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


def plan_steps(config: RunConfig, ingest_only: bool = False) -> list[DocumentStepPlan]:
    """The document steps of a run, in order; the last one writes RUN/documents. PII redaction runs
    after the global steps (dedup) so that duplicates are judged on the original text."""
    if ingest_only:
        return [DocumentStepPlan(INGEST_STEP, [Normalise(max_bytes=config.normalise.max_bytes)],
                                 annotations={SOURCES: source_count})]
    pii = config.section("pii")
    registry = config.registry()   # packaged language configs + the run's overlay, carried to the workers
    redact = None if pii.keep_raw_rejected else RedactRejected(pii, registry=registry)
    stages = curate_stages(config)
    counted = {"boilerplate_lines": line_counts} if any(isinstance(s, Boilerplate) for s in stages) else {}
    steps = [DocumentStepPlan(CURATE, stages, annotations=counted, rejected_map=redact)]
    dedup = config.section("dedup")
    if dedup.enabled:
        steps.append(DocumentStepPlan(DEDUP, [Deduplicate(dedup, shingle_modes(registry))], after=steps[-1].name, rejected_map=redact))
    steps.append(DocumentStepPlan(PII, [PiiRedact(pii, registry)], after=steps[-1].name,
                                  annotations={"spans": span_counts, SOURCES: source_count}, rejected_map=redact))
    return steps


def source_count(doc: Document) -> dict[tuple[str], int]:
    """The annotation of the last step: kept documents per source (a source with none is warned of)."""
    return {(doc.source,): 1}


def finish_run(config: RunConfig, manifest: Manifest, plans: list[DocumentStepPlan]) -> None:
    """Record the run's warnings in the manifest (recomputed on every run, also a resumed one):
    sources from which nothing survived, languages too small for Megatron's default split.
    Shared by the Beam and Spark engines."""
    last = manifest.steps.get(plans[-1].name, {}) if plans else {}
    kept = last.get(SOURCES) if SOURCES in plans[-1].annotations else None
    found = run_warnings(config, kept, manifest.steps.get(MEGATRON))
    if found != manifest.warnings:   # a rerun of a finished run leaves the manifest untouched
        manifest.warnings = found
        manifest.save()


def remove_intermediate(config: RunConfig) -> None:
    """Once every step is complete, RUN/steps/ (the documents between steps, not yet redacted) goes:
    the privacy boundary leaves no raw value of a detected type under RUN (ARCHITECTURE.md §5)."""
    path = os.path.join(config.output, STEPS_DIR)
    if fs.exists(path):
        fs.remove_tree(path)


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


def step_root(run_dir: str, step: str, final: bool) -> str:
    """Where a step's kept documents go: RUN/documents for the last step, else RUN/steps/<step>/documents."""
    return run_dir if final else os.path.join(run_dir, STEPS_DIR, step)


@dataclass
class StepResult:
    name: str
    skipped: bool
    seconds: float
    counts: dict


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
    counts = pipeline | plan.name >> DocumentStep(read, plan.parts, out, step_root(out, plan.name, final),
                                                  config.output_format, config.shard_target_mb,
                                                  plan.annotations, stats_prefix, plan.rejected_map)
    write_counts(counts, os.path.join(out, STATS, f"{plan.name}.counts.json"))
    return order


def begin_step(plan: DocumentStepPlan, config: RunConfig, manifest: Manifest) -> StepResult | None:
    """The step's earlier result when the manifest marks it complete; else half-written files of a
    crashed run are removed and the step is marked started (None). Shared by the Beam and Spark engines."""
    if manifest.is_complete(plan.name):
        log.debug("step %s: already complete in %s, skipped", plan.name, manifest.path)
        return StepResult(plan.name, True, 0.0, manifest.steps[plan.name]["counts"])
    removed = remove_temporary_files(config.output)
    if removed:
        log.info("removed %d half-written files from an earlier run", removed)
    manifest.start(plan.name)
    return None


def finish_step(plan: DocumentStepPlan, manifest: Manifest, order: list[str], counts: Iterable[tuple[tuple, tuple]],
                seconds: float, annotations: dict[str, list]) -> StepResult:
    """Mark the step complete in the manifest: its stages, counts, time, each part's policy report
    and its annotation counts ([[key, n], ...] per name). Shared by the Beam and Spark engines."""
    table = counts_table(counts, order)
    info = {"stages": order, "counts": table, "seconds": round(seconds, 3)}
    for part in plan.parts:
        report = getattr(part, "policy_report", None) or getattr(part, "report", None)
        if callable(report):  # how a stage decided: models in use, filters switched off and why
            info[f"{part.name}_policy"] = report()
    for name in sorted(plan.annotations):
        info[name] = nest(annotations.get(name, []))
    manifest.complete(plan.name, info)
    return StepResult(plan.name, False, seconds, table)


def is_local_runner(options: PipelineOptions) -> bool:
    """Whether Beam runs on this machine (its workers can write the driver's progress folder)."""
    runner = options.get_all_options().get("runner") or "FnApiRunner"
    return str(runner).split(".")[-1] in {"FnApiRunner", "DirectRunner", "BundleBasedDirectRunner", "SwitchingDirectRunner"}


def step_progress(plan: DocumentStepPlan, config: RunConfig, manifest: Manifest,
                  units: list[tuple[int, int, str]] | None, enabled: bool, file: Any = None) -> StepProgress:
    """The progress of a document step: against the inputs' size on disk when it reads the sources,
    against the previous step's kept text bytes otherwise. Shared by the Beam and Spark engines."""
    if plan.after is None:
        units = list_units(config.sources) if units is None else units
        sizes = {pos: _size(unit) for pos, _, unit in units} if enabled else {}
        bar = StepProgress(plan.name, sum(sizes.values()), by_input=True, enabled=enabled, file=file)
        bar.unit_sizes = sizes
        return bar
    total = sum(final_sizes(manifest, plan.after).values()) if manifest.is_complete(plan.after) else None
    return StepProgress(plan.name, total, by_input=False, enabled=enabled, file=file)


def _size(unit: str) -> int:
    try:
        return fs.size(unit)
    except (OSError, ValueError):
        return 0


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
    with step_progress(plan, config, manifest, units, enabled=progress and is_local_runner(options)) as bar:
        with beam.Pipeline(options=options) as pipeline:
            order = build_document_step(pipeline, plan, config, final, units, bar)
            log.debug("step %s: parts %s", plan.name, ", ".join(order))
    seconds = time.perf_counter() - start
    counts = ((tuple(k), tuple(v)) for k, v in read_json(f"{stats_prefix}.counts.json"))
    annotations = {name: read_json(f"{stats_prefix}.{name}.json") for name in plan.annotations
                   if fs.exists(f"{stats_prefix}.{name}.json")}
    return finish_step(plan, manifest, order, counts, seconds, annotations)


def nest(pairs: list) -> dict:
    """[[(a, b, ...), n], ...] as {a: {b: ... n}}: annotation counts as the manifest shows them."""
    out: dict = {}
    for key, value in pairs:
        cell = out
        for part in key[:-1]:
            cell = cell.setdefault(part, {})
        cell[key[-1]] = value
    return out


def run_curate(config: RunConfig, manifest: Manifest, beam_args: list[str],
               stages: list[Stage] | None = None, step: str = CURATE) -> StepResult:
    """The curate step alone, into RUN/documents (tests and `roots ingest` use it)."""
    plan = DocumentStepPlan(step, curate_stages(config) if stages is None else stages)
    return run_document_step(plan, config, manifest, beam_args, final=True)


#: Told of each step as it ends (or is found complete on resume): its name, manifest entry, skipped.
StepCallback = Callable[[str, dict, bool], None]


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
        parts = fingerprint(config)   # config, inputs, models: a changed one is refused
        manifest = Manifest.open(config.output, config.to_dict(), combined(parts), parts)
        reset_language_changes(config, manifest, plans)   # changed language configs: recompute what reads them
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


def reset_language_changes(config: RunConfig, manifest: Manifest, plans: list[DocumentStepPlan]) -> list[str]:
    """Key each step by the language-config content it reads, and reset the completed steps whose key
    changed since the last run into this folder, with the steps after them (roots.stepkeys). Shared by
    the Beam and Spark engines."""
    from roots.stepkeys import reset_changed_steps

    order = [TEMPLATES] + [p.name for p in plans] + [TOKENIZER, MEGATRON]
    return reset_changed_steps(manifest, config.registry(), order, {p.name: p.after for p in plans}, config.output)


def final_sizes(manifest: Manifest, step: str) -> dict[str, int]:
    """Bytes of kept documents per language after the last document step (sizes the binary shards)."""
    info = manifest.steps[step]
    last = info["stages"][-1]   # not list(counts)[-1]: the manifest file stores keys sorted
    return {lang: cell["kept"]["bytes"] for lang, cell in info["counts"][last].items()}


def run_tokenizer_steps(config: RunConfig, manifest: Manifest, beam_args: list[str], sizes: dict[str, int],
                        engine: Any = None, on_step: StepCallback | None = None) -> None:
    """The steps after the documents, each when the config names it: the tokenizer (sample + train, or
    a given model) into RUN/tokenizer, then the Megatron binaries into RUN/megatron (on Beam with
    `beam_args`, or on the given `engine`, see roots.pipelines.megatron.run_tokenize)."""
    from roots.pipelines.megatron import run_tokenize
    from roots.tokenizer import MODEL_FILE, build_tokenizer

    docs = os.path.join(config.output, DOCUMENTS)
    tok_dir = os.path.join(config.output, TOKENIZER)
    for name, work in ((TOKENIZER, lambda: build_tokenizer(docs, tok_dir, config.section(TOKENIZER), config.registry())),
                       (MEGATRON, lambda: _megatron_info(run_tokenize(
                           docs, os.path.join(tok_dir, MODEL_FILE), os.path.join(config.output, MEGATRON),
                           config.section(MEGATRON), beam_args, sizes=sizes, engine=engine,
                           registry=config.registry())))):
        if config.section(name) is None:
            continue
        if manifest.is_complete(name):
            log.debug("step %s: already complete, skipped", name)
            if on_step is not None:
                on_step(name, manifest.steps[name], True)
            continue
        removed = remove_temporary_files(config.output)   # a killed step's half-written files
        if removed:
            log.info("step %s: removed %d half-written files from an earlier run", name, removed)
        manifest.start(name)
        start = time.perf_counter()
        info = work()
        manifest.complete(name, {**info, "seconds": round(time.perf_counter() - start, 3)})
        log.debug("step %s done in %.1f s", name, time.perf_counter() - start)
        if on_step is not None:
            on_step(name, manifest.steps[name], False)


def _megatron_info(index: dict) -> dict:
    """What the manifest keeps of the binaries' index: per language documents and tokens, the tokenizer."""
    return {"languages": index["languages"], "tokenizer": index["tokenizer"]}
