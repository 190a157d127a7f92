"""For tests/test_runners.py: build a run's Beam pipeline graphs without running them, as a remote
runner would receive them, and look inside: what each DoFn and callable carries to the workers (strings
that name local files, the modules it needs), to check a config for Dataflow, Flink and Spark where
those runners cannot start. A test helper, not the package: it rests on Beam's private pickler APIs."""
from __future__ import annotations

import base64
import bz2
import dataclasses
import logging
import os
import sys
import types
import zlib
from dataclasses import dataclass, field
from typing import Any, Iterator

import apache_beam as beam
from apache_beam.internal import pickler
from apache_beam.options.pipeline_options import PipelineOptions, WorkerOptions
from apache_beam.portability import common_urns, python_urns
from apache_beam.portability.api import beam_runner_api_pb2

from roots.config import RunConfig
from roots.megatron import MegatronConfig
from roots.pipelines.runner import beam_options, build_document_step, list_units, plan_steps

#: The container Dataflow would pick for this SDK when --sdk_container_image is not given (the real
#: choice needs apache-beam[gcp]'s apiclient; only the environment's shape matters here).
DEFAULT_DATAFLOW_IMAGE = f"apache/beam_python{sys.version_info[0]}.{sys.version_info[1]}_sdk:{beam.__version__}"
_COMBINE_URNS = {common_urns.composites.COMBINE_PER_KEY.urn, common_urns.composites.COMBINE_GLOBALLY.urn,
                 common_urns.combine_components.COMBINE_GROUPED_VALUES.urn,
                 common_urns.combine_components.COMBINE_PER_KEY_PRECOMBINE.urn,
                 common_urns.combine_components.COMBINE_PER_KEY_MERGE_ACCUMULATORS.urn,
                 common_urns.combine_components.COMBINE_PER_KEY_EXTRACT_OUTPUTS.urn}


def step_graphs(config: RunConfig, beam_args: list[str]) -> dict[str, beam.Pipeline]:
    """Each document step of `config` (curate, dedup, pii, ...) as an unrun Beam pipeline built with
    `beam_args`, exactly as `roots run CONFIG -- ARGS` would build it."""
    plans = plan_steps(config)
    units = list_units(config.sources)
    graphs = {}
    for i, plan in enumerate(plans):
        pipeline = beam.Pipeline(options=beam_options(beam_args))
        build_document_step(pipeline, plan, config, final=i == len(plans) - 1,
                            units=units if plan.after is None else None)
        graphs[plan.name] = pipeline
    return graphs


def tokenize_graph(units: list[tuple[str, str, int]], model_path: str, out_dir: str, config: MegatronConfig,
                   beam_args: list[str]) -> beam.Pipeline:
    """The binarisation step's pipeline (the graph `roots.pipelines.megatron.run_tokenize` runs) unrun."""
    from roots.pipelines.megatron_beam import build_tokenize

    pipeline = beam.Pipeline(options=beam_options(beam_args))
    build_tokenize(pipeline, units, model_path, out_dir, config, os.path.join(out_dir, ".files.json"))
    return pipeline


def submitted_proto(pipeline: beam.Pipeline) -> beam_runner_api_pb2.Pipeline:
    """The pipeline proto the configured runner would submit, made by the runner's own pre-submission
    code where it runs offline: portable runners (Flink, Spark) translate with their default
    environment and optimise; Dataflow applies its graph passes (side inputs, key coders that must be
    deterministic) and its Docker environment. Staging options (--extra_package, --setup_file,
    --requirements_file) are resolved on the way for Docker environments, so a missing file fails here."""
    from apache_beam.runners.portability.portable_runner import PortableRunner

    options: PipelineOptions = pipeline._options
    runner = pipeline.runner
    if isinstance(runner, PortableRunner):
        proto = pipeline.to_runner_api(default_environment=runner.default_environment(options))
        return PortableRunner._optimize_pipeline(proto, options)
    if type(runner).__name__ == "DataflowRunner":
        from apache_beam.runners.portability.fn_api_runner import translations
        from apache_beam.transforms import environments

        pipeline.visit(runner.combinefn_visitor())
        pipeline.visit(runner.side_input_visitor(deterministic_key_coders=True))
        pipeline.replace_all(type(runner)._PTRANSFORM_OVERRIDES)
        image = options.view_as(WorkerOptions).sdk_container_image or DEFAULT_DATAFLOW_IMAGE
        env = environments.DockerEnvironment.from_container_image(
            image, artifacts=environments.python_sdk_dependencies(options),
            resource_hints=environments.resource_hints_from_options(options))
        runner._adjust_pipeline_for_dataflow_v2(pipeline)
        proto = pipeline.to_runner_api(default_environment=env)
        return translations.optimize_pipeline(proto, phases=[translations.pack_combiners, translations.sort_stages],
                                              known_runner_urns=frozenset(), partial=True)
    return pipeline.to_runner_api()


def pickled_payloads(proto: beam_runner_api_pb2.Pipeline) -> Iterator[tuple[str, Any]]:
    """(transform label, unpickled object) for every pickled DoFn and CombineFn in `proto`: what a
    worker unpickles, with the arguments and closures that travel with it."""
    for label, encoded in encoded_payloads(proto):
        yield label, pickler.loads(encoded)


def encoded_payloads(proto: beam_runner_api_pb2.Pipeline) -> Iterator[tuple[str, bytes]]:
    """(transform label, Beam-pickled bytes) of every pickled DoFn and CombineFn in `proto`."""
    for transform in proto.components.transforms.values():
        urn, payload = transform.spec.urn, transform.spec.payload
        if urn == common_urns.primitives.PAR_DO.urn:
            fn = beam_runner_api_pb2.ParDoPayload.FromString(payload).do_fn
            if fn.urn == python_urns.PICKLED_DOFN_INFO:
                yield transform.unique_name, fn.payload
        elif urn in _COMBINE_URNS:
            fn = beam_runner_api_pb2.CombinePayload.FromString(payload).combine_fn
            if fn.urn == python_urns.PICKLED_COMBINE_FN:
                yield transform.unique_name, fn.payload


def raw_pickle(encoded: bytes) -> bytes:
    """The pickle stream inside a Beam-pickled payload (base64 of bz2 or zlib): to search for what is
    sent as it is sent, before any __setstate__ on the receiving side runs."""
    data = base64.b64decode(encoded)
    return bz2.decompress(data) if data[:3] == b"BZh" else zlib.decompress(data)


def created_values(pipeline: beam.Pipeline) -> Iterator[tuple[str, list]]:
    """(transform label, elements) of every `beam.Create` in `pipeline`: data that travels inside the
    graph (encoded, so the pickled payloads do not show it as strings)."""
    found: list[tuple[str, list]] = []

    class Visitor(beam.pipeline.PipelineVisitor):
        def enter_composite_transform(self, node) -> None:
            self.visit_transform(node)

        def visit_transform(self, node) -> None:
            if isinstance(node.transform, beam.Create):
                found.append((node.full_label, list(node.transform.values)))

    pipeline.visit(Visitor())
    return iter(found)


def carried(pipeline: beam.Pipeline) -> Iterator[tuple[str, Any]]:
    """Everything of `pipeline` that a worker receives as Python objects: the pickled DoFns and
    CombineFns of its proto and the elements of its Creates."""
    yield from pickled_payloads(pipeline.to_runner_api())
    yield from created_values(pipeline)


@dataclass
class Reach:
    """What an object carries: strings that look like local paths, and the modules of the classes and
    functions it refers to (which the workers import)."""

    paths: set[str] = field(default_factory=set)
    modules: set[str] = field(default_factory=set)


def looks_local(text: str) -> bool:
    """An absolute path whose top folder exists here (/tmp/..., /work/..., /usr/...), or a relative path
    with a separator that exists from the current folder. URLs (gs://, s3://) and /dev/null (which Beam's
    own combiners carry) are not local."""
    if not text or "\n" in text or len(text) > 4096 or "://" in text or text == os.devnull:
        return False
    if text.startswith("/"):
        top = text.split("/")[1]
        return bool(top) and os.path.isdir("/" + top)
    return "/" in text and os.path.exists(text)


def reach(obj: Any, max_depth: int = 40) -> Reach:
    """Walk `obj` as pickled for a worker (attributes, dataclass fields, containers, closures, defaults
    and the globals of functions pickled by value), with a cycle guard and a depth limit."""
    found = Reach()
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(obj, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if looks_local(item):
                found.paths.add(item)
            continue
        if item is None or isinstance(item, (bool, int, float, complex, bytes, bytearray, range)) or depth > max_depth:
            continue
        if id(item) in seen:
            continue
        seen.add(id(item))
        stack.extend((child, depth + 1) for child in _children(item, found))
    return found


def _children(item: Any, found: Reach) -> list[Any]:
    if isinstance(item, types.ModuleType):
        found.modules.add(item.__name__)
        return []
    if isinstance(item, type):
        found.modules.add(item.__module__)
        return []
    if isinstance(item, dict):
        return [*item.keys(), *item.values()]
    if isinstance(item, (list, tuple, set, frozenset)):
        return list(item)
    if isinstance(item, types.CodeType):
        return list(item.co_consts)
    if isinstance(item, types.MethodType):
        return [item.__self__, item.__func__]
    if isinstance(item, types.FunctionType):
        found.modules.add(item.__module__)
        module = sys.modules.get(item.__module__)
        if module is not None and item.__globals__ is vars(module) and "<lambda>" not in item.__qualname__ \
                and "<locals>" not in item.__qualname__:
            return []   # pickled by reference: the worker imports it from its module
        names = _code_names(item.__code__)
        cells = [c.cell_contents for c in item.__closure__ or () if _has_contents(c)]
        return [item.__code__, *cells, *(item.__defaults__ or ()), *(item.__kwdefaults__ or {}).values(),
                *(item.__globals__[n] for n in names if n in item.__globals__)]
    if isinstance(item, (types.BuiltinFunctionType, types.BuiltinMethodType)):
        return []
    if isinstance(item, logging.Logger):   # pickled by name (Logger.__reduce__): its handlers never travel
        return []
    found.modules.add(type(item).__module__)
    if hasattr(item, "__getstate__") and type(item).__getstate__ is not object.__getstate__:
        try:
            state = item.__getstate__()   # what pickle sends (e.g. without an unpicklable model)
        except Exception:  # noqa: BLE001 - a getstate that needs a live resource; fall back to __dict__
            state = getattr(item, "__dict__", {})
        return [state]
    kids: list[Any] = []
    if dataclasses.is_dataclass(item):
        kids.extend(getattr(item, f.name, None) for f in dataclasses.fields(item))
    kids.extend(getattr(item, "__dict__", {}).values())
    for slot in getattr(type(item), "__slots__", ()):
        if isinstance(slot, str) and hasattr(item, slot):
            kids.append(getattr(item, slot))
    return kids


def _code_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _has_contents(cell: types.CellType) -> bool:
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True
