"""Beam on Dataflow, Flink and Spark, tested as far as possible without those services (their runners
download job servers or need GCP): every step's pipeline graph builds with each runner's options and
translates as the runner would before submitting; the staged wheel holds every module a worker imports
and installs apart from the source tree; and no DoFn carries a local path the config does not declare."""
from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import (FlinkRunnerOptions, GoogleCloudOptions, PortableOptions,
                                                  SetupOptions, SparkRunnerOptions, StandardOptions)

from roots import cli
from roots.config import load_config
import beam_graph as graph   # tests/beam_graph.py: graph building on Beam internals, for these tests only
from roots.pipelines.runner import beam_options
from roots.rundir import lang_folder

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "sample.yaml"
#: What the wheel is built from (package-dir maps filters/, pipelines/ and language_configs/ into roots).
WHEEL_SOURCES = ("pyproject.toml", "README.md", "roots", "filters", "pipelines", "language_configs")
PACKAGE_DIRS = {"roots": "roots", "filters": "roots/filters", "pipelines": "roots/pipelines",
                "language_configs": "roots/language_configs"}
WHEEL = "{wheel}"   # replaced by the built wheel's path

#: Each runner's options as a user passes them after `roots run CONFIG --`, and what the runner reads back.
RUNNERS = {
    "dataflow": (["--runner", "DataflowRunner", "--project", "roots-project-1", "--region", "us-central1",
                  "--temp_location", "gs://roots-bucket/tmp", "--staging_location", "gs://roots-bucket/staging",
                  "--extra_package", WHEEL, "--dry_run", "True"],   # --dry_run: with [gcp], no GCS bucket checks
                 {GoogleCloudOptions: {"project": "roots-project-1", "region": "us-central1",
                                       "temp_location": "gs://roots-bucket/tmp",
                                       "staging_location": "gs://roots-bucket/staging"},
                  SetupOptions: {"extra_packages": [WHEEL]}}),
    "flink-loopback": (["--runner", "FlinkRunner", "--flink_master", "flink-master:8081",
                        "--environment_type", "LOOPBACK", "--parallelism", "4"],
                       {FlinkRunnerOptions: {"flink_master": "flink-master:8081", "parallelism": 4},
                        PortableOptions: {"environment_type": "LOOPBACK"}}),
    "flink-docker": (["--runner", "FlinkRunner", "--flink_master", "flink-master:8081", "--environment_type", "DOCKER",
                      "--extra_package", WHEEL],
                     {FlinkRunnerOptions: {"flink_master": "flink-master:8081"},
                      PortableOptions: {"environment_type": "DOCKER"}, SetupOptions: {"extra_packages": [WHEEL]}}),
    "spark": (["--runner", "SparkRunner", "--spark_master_url", "spark://spark-master:7077",
               "--environment_type", "DOCKER", "--extra_package", WHEEL],
              {SparkRunnerOptions: {"spark_master_url": "spark://spark-master:7077"},
               PortableOptions: {"environment_type": "DOCKER"}, SetupOptions: {"extra_packages": [WHEEL]}}),
}
#: Imports of the workers' modules that only arrive through another dependency (to declare in pyproject.toml).
UNDECLARED_IMPORTS: dict[str, str] = {}   # module → why a worker may import it undeclared
#: A transform of each graph that must be there (the stages the runner is asked to run).
EXPECTED_LABELS = {"curate": ["curate/Read/ReadUnits", "curate/Stage:normalise", "curate/Stage:cleaning",
                              "curate/Stage:lid", "curate/Stage:quality", "curate/WriteDocuments/WriteShard"],
                   "dedup": ["dedup/Step:dedup", "dedup/WriteRejected/WriteShard"],
                   "pii": ["pii/Stage:pii", "pii/Annotate:spans"],
                   "megatron": ["Tokenize/EncodeFiles", "Tokenize/GroupByShard", "Tokenize/WriteShards"]}



def with_wheel(args: list[str], wheel: Path) -> list[str]:
    return [str(wheel) if a == WHEEL else a for a in args]


def has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The project's wheel, built offline from a copy of its sources (no build/ or egg-info left in the
    checkout): what `--extra_package` stages to the workers."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in WHEEL_SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                    "--quiet", "-w", str(tmp / "dist"), str(src)], check=True, capture_output=True, timeout=300)
    (found,) = (tmp / "dist").glob("roots_corpus-*.whl")
    return found


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    """The sample config with its run directory here, and one shard of each earlier step in place, so
    the later steps' graphs list real run-directory files as a rerun would."""
    run = tmp_path_factory.mktemp("runners") / "run"
    for step in ("curate", "dedup"):
        shard = run / "steps" / step / "documents" / lang_folder("en") / "part-00000-of-00001.parquet"
        shard.parent.mkdir(parents=True)
        shard.write_bytes(b"")
    return load_config(str(SAMPLE), output=str(run))


def build_graphs(config, args: list[str]) -> dict[str, beam.Pipeline]:
    """Every Beam pipeline of a sample run (curate, dedup, pii, megatron), built with `args`, not run."""
    graphs = graph.step_graphs(config, args)
    shard = os.path.join(config.output, "documents", lang_folder("en"), "part-00000-of-00001.parquet")
    graphs["megatron"] = graph.tokenize_graph([("en", shard, 1)], os.path.join(config.output, "tokenizer", "spm.model"),
                                              os.path.join(config.output, "megatron"), config.section("megatron"), args)
    return graphs


# --- the runners' options and graphs -----------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RUNNERS))
def test_beam_options_pass_through_the_cli_to_the_runner(name, wheel):
    args, expected = RUNNERS[name]
    args = with_wheel(args, wheel)
    own, beam_args = cli._split_beam_args(["run", str(SAMPLE), "--output", "out", "--", *args])
    assert beam_args == args
    assert cli._parser().parse_args(own).config == str(SAMPLE)
    options = beam_options(beam_args)
    assert options.view_as(StandardOptions).runner == args[1]
    for view, values in expected.items():
        seen = options.view_as(view)
        for key, value in values.items():
            assert getattr(seen, key) == (with_wheel(value, wheel) if isinstance(value, list) else value), key
    assert type(beam.Pipeline(options=options).runner).__name__ == args[1]


def test_no_runner_named_means_the_local_fnapi_runner():
    assert beam_options(["--direct_num_workers", "2"]).view_as(StandardOptions).runner == "FnApiRunner"


@pytest.mark.parametrize("name", sorted(RUNNERS))
def test_every_step_graph_builds_serialises_and_translates_for_the_runner(name, config, wheel):
    args = with_wheel(RUNNERS[name][0], wheel)
    graphs = build_graphs(config, args)
    assert sorted(graphs) == ["curate", "dedup", "megatron", "pii"]
    for step, pipeline in graphs.items():
        assert type(pipeline.runner).__name__ == args[1]
        proto = pipeline.to_runner_api()
        labels = {t.unique_name for t in proto.components.transforms.values()}
        assert set(EXPECTED_LABELS[step]) <= labels, step
        again = beam.Pipeline.from_runner_api(proto, pipeline.runner, pipeline._options).to_runner_api()
        assert {t.unique_name for t in again.components.transforms.values()} == labels

        submitted = graph.submitted_proto(pipeline)   # the runner's own translation, before the job server
        urns = {t.spec.urn for t in submitted.components.transforms.values()}
        assert "beam:transform:group_by_key:v1" in urns, step
        envs = list(submitted.components.environments.values())
        if "LOOPBACK" in args:
            assert {e.urn for e in envs} == {"beam:env:embedded_python_loopback:v1"}
        else:
            assert {e.urn for e in envs} == {"beam:env:docker:v1"}
            staged = {d.role_payload for e in envs for d in e.dependencies}
            assert any(wheel.name.encode() in p for p in staged), f"{step}: the wheel is not staged"


def test_a_missing_extra_package_fails_before_submission(config, tmp_path):
    args = ["--runner", "FlinkRunner", "--flink_master", "flink-master:8081", "--environment_type", "DOCKER",
            "--extra_package", str(tmp_path / "dist" / "roots_corpus-0.1.0-py3-none-any.whl")]
    with pytest.raises(RuntimeError, match="extra_package"):
        graph.submitted_proto(graph.step_graphs(config, args)["pii"])


def test_dataflow_validates_its_options_when_the_pipeline_is_made():
    args = ["--runner", "DataflowRunner", "--project", "p", "--region", "us-central1",
            "--temp_location", "gs://roots-bucket/tmp", "--dry_run", "True"]
    with pytest.raises(ValueError, match="Invalid Project ID"):
        beam.Pipeline(options=beam_options(args))


@pytest.mark.skipif(not has_module("google.cloud.dataflow"), reason="needs apache-beam[gcp] (the dataflow extra)")
def test_dataflow_dry_run_builds_the_job(config, wheel):
    """With apache-beam[gcp], the DataflowRunner's own run() up to the job request (--dry_run)."""
    args = with_wheel(RUNNERS["dataflow"][0], wheel) + ["--sdk_container_image", "roots/worker:1"]
    for step, pipeline in build_graphs(config, args).items():
        result = pipeline.run()
        assert result.job.proto_pipeline.components.transforms, step


# --- the staged wheel --------------------------------------------------------------------------


def wheel_modules(wheel: Path) -> dict[str, str]:
    """Module name → file in the wheel, for every Python file under roots/."""
    out = {}
    for name in zipfile.ZipFile(wheel).namelist():
        if name.startswith("roots/") and name.endswith(".py"):
            mod = name[:-3].replace("/", ".")
            out[mod.removesuffix(".__init__")] = name
    return out


def test_wheel_has_every_package_file_and_language_config(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in ("roots", "roots/io", "roots/dedup", "roots/commands", "roots/trainer", "roots/filters",
                    "roots/pipelines", "roots/language_configs"):
        assert f"{package}/__init__.py" in names, package
    yamls = {n for n in names if re.fullmatch(r"roots/language_configs/[^/]+\.yaml", n)}
    assert len(yamls) == 59 == len(list((ROOT / "language_configs").glob("*.yaml")))
    for folder, target in PACKAGE_DIRS.items():   # every source file, wherever it is mapped (new subpackages too)
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".yaml") and "__pycache__" not in path.parts:
                assert f"{target}/{path.relative_to(ROOT / folder).as_posix()}" in names, path


def imports_of(source: str, module: str, is_package: bool) -> set[str]:
    """Absolute names of every module `source` imports (top level and inside functions)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[:len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)   # `from pkg import submodule`
    return found


def test_wheel_holds_every_module_the_workers_import(wheel, config):
    """The modules of every DoFn and callable in the sample's graphs, and what they import, transitively:
    each roots.* one is a file in the wheel, and each other one comes from a dependency the wheel declares."""
    in_wheel = wheel_modules(wheel)
    zf = zipfile.ZipFile(wheel)
    reached: set[str] = set()
    for pipeline in build_graphs(config, []).values():
        for _, obj in graph.carried(pipeline):
            reached |= graph.reach(obj).modules
    ours = {m for m in reached if m == "roots" or m.startswith("roots.")}
    assert {"roots.pipelines.beam_transforms", "roots.filters.lid", "roots.filters.quality", "roots.filters.pii",
            "roots.pipelines.dedup", "roots.pipelines.megatron_beam"} <= ours
    todo, done, third_party = sorted(ours), set(), set()
    while todo:
        mod = todo.pop()
        if mod in done:
            continue
        done.add(mod)
        assert mod in in_wheel, f"{mod} is imported on the workers but not in the wheel"
        for name in imports_of(zf.read(in_wheel[mod]).decode(), mod, in_wheel[mod].endswith("__init__.py")):
            if name == "roots" or name.startswith("roots."):
                if name in in_wheel:
                    todo.append(name)
                else:   # `from roots.x import function`: the module is the parent
                    assert name.rsplit(".", 1)[0] in in_wheel, f"{mod} imports {name}, not in the wheel"
            elif name and name.split(".")[0] not in sys.stdlib_module_names and name != "__future__":
                third_party.add(name.split(".")[0])
    assert len(done) > 20
    meta = zf.read(f"{wheel.name.split('-')[0]}-{wheel.name.split('-')[1]}.dist-info/METADATA").decode()
    declared = {canon(m.group(1)) for m in re.finditer(r"^Requires-Dist: ([A-Za-z0-9_.\-]+)(?![^\n]*extra ==)", meta, re.M)}
    dists = importlib.metadata.packages_distributions()
    optional = {"torch", "pyspark", "megatron", "regex", "tokenizers"}   # extras, not the workers' path
    undeclared = set()
    for top in sorted(third_party - optional):
        assert top in dists, f"{top} is imported by the workers' modules but not installed here"
        if not {canon(d) for d in dists[top]} & declared:
            undeclared.add(top)
    assert undeclared - set(UNDECLARED_IMPORTS) == set(), "imported on the workers, not a dependency of the wheel"


def canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_wheel_installs_and_imports_apart_from_the_source_tree(wheel, tmp_path):
    """Unzipped first on sys.path of an isolated interpreter run elsewhere: roots, its filters and
    pipelines and the 59 language configs all come from the wheel, none from the checkout."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1])\n"
        "import roots.pipelines.runner, roots.filters.quality, roots.languages\n"
        "reg = roots.languages.load_registry()\n"
        "mods = {n: getattr(m, '__file__', None) for n, m in list(sys.modules.items()) if n.split('.')[0] == 'roots'}\n"
        "print(json.dumps({'languages': len(reg.codes), 'directory': str(reg.directory), 'modules': mods}))\n")
    out = subprocess.run([sys.executable, "-I", "-c", code, str(site)], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120, env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["languages"] == 59
    assert Path(result["directory"]).resolve() == (site / "roots" / "language_configs").resolve()
    assert {"roots.pipelines.runner", "roots.filters.quality", "roots.pipelines.beam_transforms"} <= set(result["modules"])
    for name, path in result["modules"].items():
        assert path is not None and Path(path).resolve().is_relative_to(site.resolve()), (name, path)


# --- what the DoFns carry ------------------------------------------------------------------------


def declared_locations(config) -> list[str]:
    """Where a worker may touch the file system: the run directory, the sources, the model files and
    folders the config names; plus the language configs' own paths, which the stages carry only to
    name a file in error messages (workers read their own packaged copies)."""
    places = [config.output]
    for spec in config.sources:   # a source's folder: its path up to the first glob character
        cut = min([i for i, ch in enumerate(spec.path) if ch in "*?["] or [len(spec.path)])
        places.append(spec.path[:cut] if cut == len(spec.path) else os.path.dirname(spec.path[:cut]))
    places.extend(graph.reach(config.stages).paths)   # lid model, lm_dir, word lists, tokenizer model
    registry = config.registry()   # the packaged configs and the run's overlay (examples/language_configs)
    places.append(str(registry.directory))
    places.extend([registry.overlay] if registry.overlay else [])
    places.extend(c.path for c in registry)
    return places


def undeclared_paths(config, graphs: dict[str, beam.Pipeline]) -> dict[str, set[str]]:
    """Local paths that a DoFn or callable of `graphs` carries outside the declared locations, with the
    transforms carrying each."""
    places = [os.path.abspath(p) for p in declared_locations(config)]
    found: dict[str, set[str]] = {}
    for pipeline in graphs.values():
        for label, obj in graph.carried(pipeline):
            for path in graph.reach(obj).paths:
                full = os.path.abspath(path)
                if not any(full == p or full.startswith(p.rstrip("/") + "/") for p in places):
                    found.setdefault(path, set()).add(label)
    return found


def bundled_lid176() -> str | None:
    from roots.lid import LidError, lid176_path

    try:
        return lid176_path()
    except LidError:
        return None


def test_dofns_carry_only_declared_local_paths(config):
    graphs = build_graphs(config, [])
    carried = set()
    for pipeline in graphs.values():
        for _, obj in graph.carried(pipeline):
            carried |= graph.reach(obj).paths
    # The walk sees what matters: the run directory, the sources and the earlier steps' shards.
    assert os.path.join(config.output, "steps", "curate", "documents", lang_folder("en"), "part-00000-of-00001.parquet") in carried
    assert any(p.endswith("examples/sample/text/sw.jsonl") for p in carried)
    undeclared = undeclared_paths(config, graphs)
    undeclared.pop(bundled_lid176(), None)   # see the next test
    assert undeclared == {}


@pytest.mark.skipif(bundled_lid176() is None, reason="no lid.176 model")
def test_bundled_lid_model_is_found_on_each_worker(config):
    """The path must not travel in the pickled stage (a worker resolves its own copy when it unpickles)."""
    sent = graph.step_graphs(config, [])["curate"].to_runner_api()
    needle = bundled_lid176().encode()
    assert not [label for label, encoded in graph.encoded_payloads(sent) if needle in graph.raw_pickle(encoded)]


def test_the_walk_finds_paths_in_closures_and_objects(tmp_path):
    """reach() itself: a path in a lambda's closure, a default, a nested dict of an object, a code
    constant; URLs and plain words are not paths."""
    hidden = str(tmp_path / "model.bin")

    class Holder:
        def __init__(self):
            self.settings = {"nested": [("x", hidden + ".2")]}

    fn = (lambda p: lambda d, q=hidden + ".3": (p, d, q, "/etc/roots.conf"))(hidden)
    found = graph.reach([fn, Holder(), "gs://bucket/model.bin", "and/or", "plain"])
    assert found.paths == {hidden, hidden + ".2", hidden + ".3", "/etc/roots.conf"}
    assert __name__ in found.modules
