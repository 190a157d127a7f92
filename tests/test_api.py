"""The Python API (roots.run, roots.open_run, roots.apply) and user stages named in the run config:
the API runs what `roots run` runs, a user stage runs where `after:` says with its counts in the
manifest, its errors stop a run before any work, and the README's examples run on the sample corpus."""
from __future__ import annotations

import importlib.util
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow.dataset as ds
import pytest
import yaml

import roots
import roots.api
from roots.cli import main
from roots.config import ConfigError, load_config
from roots.document import Document, Reason, Rejection
from roots.errors import RootsError
from roots.stats import ManifestError
from roots.user_stages import UserStage, UserStageError
from sample_run import sample_run_dir

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
#: The README's two sections this file runs.
API_DOCS = README[README.index("## Python API"):README.index("## Layout")]
MODULE = "apitest_filters"   # the user-stage module of this file's configs (imported once per process)


def fenced(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, re.S)


def readme_class(name: str) -> str:
    """The source of a class the README defines (its Python blocks, as written)."""
    for block in fenced(API_DOCS, "python"):
        m = re.search(rf"^class {name}\b.*?(?=^\S)", block + "\nEND", re.S | re.M)
        if m:
            return m.group(0)
    raise AssertionError(f"no class {name} in the README")


#: The user-stage module: the README's MinLines as written, and a batched stage that annotates meta.
MODULE_SOURCE = "from roots import Reason, Rejection\n\n\n" + readme_class("MinLines") + textwrap.dedent('''

    class CountChars:
        """Annotates meta["chars"] in batches and rejects documents over `max_chars`."""

        def __init__(self, max_chars: int, batch_size: int = 2, name: str = "count_chars"):
            if max_chars <= 0:
                raise ValueError("max_chars must be positive")
            self.name, self.max_chars, self.batch_size = name, max_chars, batch_size
            self.reason = Reason(name, "too_long", "more characters than max_chars")

        def setup(self):
            pass

        def process_batch(self, docs):
            out = []
            for doc in docs:
                doc.meta["chars"] = len(doc.text)
                out.append(Rejection(doc, self.reason, str(len(doc.text))) if len(doc.text) > self.max_chars else doc)
            return out


    class Misbehaves(CountChars):
        """Rejects with another stage's reason, or drops documents from a batch."""

        def __init__(self, how: str, name: str = "misbehaves"):
            super().__init__(10**9, name=name)
            self.how = how

        def process_batch(self, docs):
            if self.how == "drop":
                return docs[:-1]
            return [Rejection(d, Reason("quality", "word_count", "")) for d in docs]
''')


def corpus() -> list[dict]:
    """Six of the sample's English texts (two paragraphs each), the first again on one line, and four
    crawl pages: spam and a mash (one line each), a one-line page, and web-016 from the mirror domain."""
    texts = [json.loads(line) for line in (ROOT / "examples/sample/text/en.jsonl").read_text(encoding="utf-8").splitlines()[:6]]
    crawl = {r["id"]: r for r in map(json.loads, (ROOT / "examples/sample/crawl/web.jsonl").read_text(encoding="utf-8").splitlines())}
    oneline = {"id": "oneline", "text": " ".join(texts[0]["text"].split("\n\n")), "url": "https://example.org/one"}
    return texts + [oneline] + [crawl[i] for i in ("web-010", "web-040", "web-013", "web-016")]


MAX_CHARS = 699   # en-001 (700 characters) is over it; on one line (699) it is not


def write_config(folder: Path, stages: list, **extra) -> Path:
    data = {"name": "api", "sources": [{"name": "c", "format": "jsonl", "path": "corpus.jsonl", "lang": "en",
                                       "id_field": "id"}],
            "quality": {"enabled": False}, "stages": stages, **extra}
    path = folder / f"run-{len(list(folder.glob('run-*.yaml')))}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A config folder holding the corpus and the user-stage module (found beside the configs)."""
    root = tmp_path_factory.mktemp("api")
    (root / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in corpus()), encoding="utf-8")
    (root / f"{MODULE}.py").write_text(MODULE_SOURCE, encoding="utf-8")
    return root


STAGES = [{"use": f"{MODULE}:CountChars", "args": {"max_chars": MAX_CHARS}, "after": "normalise"},
          {"use": f"{MODULE}:MinLines", "args": {"min_lines": 2}}]


@pytest.fixture(scope="module")
def runs(folder) -> tuple[Path, roots.Run, Path]:
    """One config with two user stages, through roots.run and through `roots run`."""
    config = write_config(folder, STAGES, quality={"enabled": True})
    api = roots.run(str(config), output=str(folder / "out-api"))
    assert main(["run", str(config), "--output", str(folder / "out-cli")]) == 0
    return config, api, folder / "out-cli"


def test_import_roots_is_light():
    code = ("import sys, roots; print(sorted(m for m in ('apache_beam', 'pyspark', 'pyarrow', 'numpy', 'roots.api') "
            "if m in sys.modules)); print(roots.__version__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["[]", roots.__version__]
    assert callable(roots.run) and callable(roots.open_run) and callable(roots.apply) and roots.Document is Document


def test_the_api_runs_what_the_command_runs(runs):
    _, api, cli = runs
    def files(d: Path) -> dict[str, bytes]:
        return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("part-*"))}
    assert files(Path(api.path)) and files(Path(api.path)) == files(cli)
    theirs = json.loads((cli / "manifest.json").read_text())
    assert {k: v.get("counts") for k, v in api.steps.items()} == {k: v.get("counts") for k, v in theirs["steps"].items()}
    assert api.config_hash == theirs["config_hash"]


def test_user_stages_run_where_after_says_and_are_counted(runs):
    _, run, _ = runs
    assert run.steps["curate"]["stages"] == ["ingest", "normalise", "count_chars", "quality", "min_lines"]
    totals = run.totals()
    assert list(totals) == ["ingest", "normalise", "count_chars", "quality", "min_lines", "dedup", "pii"]
    stages = list(totals)
    for before, after in zip(stages, stages[1:]):
        assert totals[before]["kept"] == totals[after]["input"], (before, after)
    cell = run.counts()["count_chars"]["en"]
    assert cell["input"]["docs"] == cell["kept"]["docs"] + sum(r["docs"] for r in cell["rejected"].values())
    rejected = run.rejected().to_table(filter=ds.field("stage").isin(["count_chars", "min_lines"])).to_pylist()
    reasons = {r["id"].split("/")[1]: r["reason"] for r in rejected}
    too_long = {r["id"] for r in corpus() if len(r["text"]) > MAX_CHARS}
    assert too_long == {"en-001"}
    assert {i for i, why in reasons.items() if why == "count_chars:too_long"} == too_long
    # after quality, one-line pages that passed it: the English text on one line at least
    one_line = {i for i, why in reasons.items() if why == "min_lines:too_few_lines"}
    assert "oneline" in one_line and one_line <= {r["id"] for r in corpus() if "\n" not in r["text"].strip()}
    assert totals["count_chars"]["rejected"] + totals["min_lines"]["rejected"] == len(rejected) == len(reasons)
    assert all(r["stage"] == r["reason"].split(":")[0] for r in rejected)
    docs = run.documents().to_table().to_pylist()
    assert len(docs) == totals["pii"]["kept"] and {d["lang"] for d in docs} == {d["language"] for d in docs} == {"en"}
    assert all(json.loads(d["meta"])["chars"] == len(d["text"]) for d in docs)   # the batched stage's annotation
    entries = run.config["stages"]["entries"]
    assert [(e["use"], e["args"], e["after"]) for e in entries] == [(s["use"], s["args"], s.get("after", "")) for s in STAGES]
    assert "min_lines" in run.summary() and f"run directory: {run.path}" in run.summary()
    assert Path(run.tokenizer_model).parent == Path(run.path) / "tokenizer"


def test_a_rerun_resumes_and_changed_args_are_refused(runs, folder):
    config, run, _ = runs
    stamp = os.stat(Path(run.path) / "manifest.json").st_mtime_ns
    assert roots.run(str(config), output=run.path).steps == run.steps     # complete: nothing to do
    assert os.stat(Path(run.path) / "manifest.json").st_mtime_ns == stamp
    changed = [dict(STAGES[0]), dict(STAGES[1], args={"min_lines": 3})]
    with pytest.raises(ManifestError, match="config changed"):
        roots.run(str(write_config(folder, changed, quality={"enabled": True})), output=run.path)


def test_config_dict_and_parsed_config(folder, monkeypatch):
    monkeypatch.chdir(folder)   # a dict's paths resolve against the current folder
    path = write_config(folder, STAGES)
    data = yaml.safe_load(path.read_text())
    assert roots.api.load(data).hash() == load_config(str(path)).hash()
    parsed = load_config(str(path))
    assert roots.api.load(parsed, output="elsewhere").output == "elsewhere"
    with pytest.raises(ConfigError, match="engine 'flink' is not one of beam, spark"):
        roots.run(parsed, engine="flink")
    with pytest.raises(RootsError, match="no manifest.json"):
        roots.open_run(folder)


@pytest.mark.parametrize("entry,message", [
    ({"use": "no_such_module_xyz:Thing"}, r"stages\[0\] \(no_such_module_xyz:Thing\): cannot import 'no_such_module_xyz'"),
    ({"use": f"{MODULE}:MinLine"}, rf"module '{MODULE}' has no 'MinLine'"),
    ({"use": f"{MODULE}:CountChars", "args": {"max_char": 3}}, r"bad args \{'max_char': 3\}: TypeError: .*'max_char'"),
    ({"use": f"{MODULE}:CountChars", "args": {"max_chars": -1}}, r"failed: ValueError: max_chars must be positive"),
    ({"use": f"{MODULE}:CountChars", "args": {"max_chars": 5, "name": "quality"}}, r"stage name 'quality' is a built-in"),
    ({"use": f"{MODULE}:MinLines", "after": "dedup"}, r"key 'after' must be a curate stage"),
    ({"use": f"{MODULE}:MinLines", "args": [2]}, r"key 'args' must be a mapping"),
    ({"use": "MinLines"}, r"key 'use' must be 'module:Class'"),
    ({"use": f"{MODULE}:MinLines", "arg": {}}, r"key 'arg' is not a known key"),
    ({"use": "roots.document:Document", "args": {"id": "a", "text": "b"}}, r"needs a `name` attribute"),
])
def test_a_bad_entry_is_one_line_before_any_work(folder, entry, message, capsys):
    path = write_config(folder, [entry])
    with pytest.raises(ConfigError, match=message):
        load_config(str(path))
    out = folder / "never"
    assert main(["run", str(path), "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"roots: error: {path}: stages[0]") and err.count("\n") == 1
    assert not out.exists()


def test_two_stages_of_one_name_and_a_missing_after_stage(folder, capsys):
    twice = write_config(folder, [{"use": f"{MODULE}:MinLines"}, {"use": f"{MODULE}:MinLines", "args": {"min_lines": 3}}])
    with pytest.raises(ConfigError, match=r"stages\[1\].*stage name 'min_lines' is used twice"):
        load_config(str(twice))
    no_lid = write_config(folder, [{"use": f"{MODULE}:MinLines", "after": "lid"}])
    out = folder / "never"
    assert main(["run", str(no_lid), "--output", str(out)]) == 2   # checked when the plan is made
    assert "after 'lid': this run has no lid stage (its curate stages: normalise)" in capsys.readouterr().err
    assert not out.exists()


def test_a_stage_declares_what_its_reasons_mean_for_the_data_card(folder):
    from roots.datacard import reason_descriptions

    config = load_config(str(write_config(folder, STAGES)))
    min_lines, count_chars = config.section("stages").entries[1], config.section("stages").entries[0]
    assert min_lines.reasons == (("min_lines:too_few_lines", "fewer than 2 non-empty lines"),)   # the README's
    assert count_chars.reasons == ()                                                            # declares none
    known = reason_descriptions(config.to_dict())   # what the data card reads from the run's manifest
    assert known["min_lines:too_few_lines"] == "fewer than 2 non-empty lines"
    assert known["quality:word_count"] and known["dedup:near"] and known["boilerplate:prose_share"]   # built-ins
    import dataclasses

    section = config.section("stages")
    silent = dataclasses.replace(section, entries=tuple(dataclasses.replace(e, reasons=()) for e in section.entries))
    assert config.hash() == dataclasses.replace(config, stages={**config.stages, "stages": silent}).hash()   # not in the hash


def test_a_stage_breaking_the_contract_stops_the_run_naming_it(folder):
    for how, message in (("reason", r"rejected 'c/[^']+' with reason 'quality:word_count'.*Reason\('misbehaves'"),
                         ("drop", r"process_batch returned \d+ outcomes for \d+ documents")):
        config = write_config(folder, [{"use": f"{MODULE}:Misbehaves", "args": {"how": how}}])
        with pytest.raises(UserStageError, match=message):
            roots.run(str(config), output=str(folder / f"bad-{how}"))


def test_datasets_of_a_jsonl_run_and_of_no_documents(folder):
    """A JSONL run's shards read as datasets too; a run that kept nothing gives an empty documents dataset
    with the document columns."""
    config = write_config(folder, [{"use": f"{MODULE}:CountChars", "args": {"max_chars": 1}}], output_format="jsonl",
                          dedup={"enabled": False})
    run = roots.run(str(config), output=str(folder / "out-jsonl"))
    docs = run.documents()
    assert docs.count_rows() == 0 and docs.schema.names == ["id", "text", "lang", "source", "meta", "language"]
    rejected = run.rejected().to_table()
    assert rejected.num_rows == len(corpus()) and set(rejected["stage"].to_pylist()) == {"count_chars"}
    assert sorted(rejected["id"].to_pylist()) == sorted(f"c/{r['id']}" for r in corpus())


def test_a_user_stage_travels_as_its_spec(folder):
    config = load_config(str(write_config(folder, STAGES)))
    spec = config.section("stages").entries[1]
    assert spec.path == str(folder) and spec.file == str(folder / f"{MODULE}.py") and spec.name == "min_lines"
    stage = UserStage(spec)
    sent = pickle.dumps(stage)
    assert b"MinLines" in sent and b"min_lines" in sent and pickle.loads(sent).inner.min_lines == 2
    # the module's file is fingerprinted with the models: an edited stage refuses a resume
    from roots.fingerprint import models_digest

    before = models_digest(config)
    os.utime(folder / f"{MODULE}.py", ns=(1, 1))
    assert models_digest(config) != before


def test_apply_runs_stages_on_documents():
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        from stages import UrlBlocklist
    finally:
        sys.path.remove(str(ROOT / "examples"))
    docs = [Document("a", "text", meta={"url": "https://mirror.example.net/x"}),
            Document("b", "text", meta={"url": "https://example.net/y"}), Document("c", "no url")]
    bad = Rejection(Document("d", ""), Reason("bad_input", "empty_text", ""))
    kept, rejected = roots.apply(UrlBlocklist(domains=["mirror.example.net"]), docs + [bad])
    assert [d.id for d in kept] == ["b", "c"]
    assert [(r.doc.id, r.reason.code) for r in rejected] == [("d", "bad_input:empty_text"), ("a", "url_blocklist:blocked_domain")]
    with pytest.raises(ValueError, match="domains must be a non-empty list"):
        UrlBlocklist(domains=[])


def test_the_readme_examples_run_on_the_sample(tmp_path_factory, tmp_path, monkeypatch):
    """The README's Python blocks (Python API, Your own stage) as written, in the repository root; the
    run directory they name is a copy of this session's sample run, so `roots.run` resumes it."""
    run_dir = tmp_path / "sample"
    shutil.copytree(sample_run_dir(tmp_path_factory), run_dir)
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, "path", list(sys.path))
    code = "\n".join(fenced(API_DOCS, "python"))
    assert code.count('"runs/sample"') == 2
    namespace: dict = {}
    exec(compile(code.replace('"runs/sample"', repr(str(run_dir))), "README.md", "exec"), namespace)
    run = namespace["run"]
    assert isinstance(run, roots.Run) and run.complete and namespace["again"].manifest == run.manifest
    assert namespace["quality"] == run.totals()["quality"] and namespace["quality"]["rejected"] > 0
    assert run.totals()["url_blocklist"]["rejected"] == 1
    assert sum(c["rejected"]["url_blocklist:blocked_domain"]["docs"] for c in namespace["blocked"].values()
               if c["rejected"]) == 1
    assert namespace["french"].num_rows == run.counts()["pii"]["fr"]["kept"]["docs"]
    by_reason = dict(zip(namespace["by_reason"]["reason"].to_pylist(), namespace["by_reason"]["id_count"].to_pylist()))
    assert by_reason["url_blocklist:blocked_domain"] == 1
    assert sum(by_reason.values()) == run.rejected().count_rows()
    # the README's printed results
    docs = namespace["docs"]
    assert len(docs) == 17 and [d.id for d in namespace["kept"]] == ["web-010", "web-040"]
    assert len(namespace["rejected"]) == 15
    from roots.filters.quality import Quality, QualityConfig

    kept, rejected = roots.apply([Quality(QualityConfig())], docs)
    assert "15 [('web-010', 'quality:char_repetition'), ('web-040', 'quality:stopwords')]" in API_DOCS
    assert (len(kept), [(r.doc.id, r.reason.code) for r in rejected]) == (
        15, [("web-010", "quality:char_repetition"), ("web-040", "quality:stopwords")])
    kept, rejected = roots.apply([namespace["MinLines"](2)], docs)
    assert [(r.doc.id, r.reason.code) for r in rejected] == [("web-010", "min_lines:too_few_lines"),
                                                              ("web-040", "min_lines:too_few_lines")]
    # the README's `stages:` YAML parses as a config section (with this file's module for mypkg.filters)
    block = next(b for b in fenced(API_DOCS, "yaml") if "mypkg.filters:MinLines" in b)
    entry = yaml.safe_load(block.replace("mypkg.filters", MODULE))["stages"][0]
    assert entry == {"use": f"{MODULE}:MinLines", "args": {"min_lines": 2}, "after": "lid"}


SLOW = pytest.mark.skipif(os.environ.get("ROOTS_SLOW_TESTS") != "1", reason="set ROOTS_SLOW_TESTS=1")


@SLOW
@pytest.mark.skipif(importlib.util.find_spec("pyspark") is None or shutil.which("java") is None,
                    reason="pyspark or java is not installed")
def test_user_stages_on_spark_and_beam_worker_processes(runs, folder):
    """Spark local[2] and Beam's multi-process workers import the module beside the config themselves
    and write the in-process Beam run's shards, byte for byte."""
    config, run, _ = runs
    spark = roots.run(str(config), output=str(folder / "out-spark"), engine="spark", master="local[2]")
    procs = roots.run(str(config), output=str(folder / "out-procs"),
                      beam_args=["--direct_num_workers", "2", "--direct_running_mode", "multi_processing"])
    def files(d: str) -> dict[str, bytes]:
        return {str(p.relative_to(d)): p.read_bytes() for p in sorted(Path(d).rglob("part-*"))}
    assert files(run.path) and files(spark.path) == files(run.path) == files(procs.path)
    assert spark.counts() == run.counts() == procs.counts()


def test_a_script_without_a_main_guard_runs_once(folder, tmp_path):
    """A script that calls roots.run at its top level, with no `if __name__ == "__main__":`, is not started
    again by the local engine's workers or the tokenizer's training process (spawn and fork-server
    processes import `__main__`): it runs once, and the run completes like the command's."""
    config = write_config(folder, [], tokenizer={"vocab_size": 600, "hard_vocab_limit": False},
                          megatron={"shard_target_mb": 1})
    script = tmp_path / "run_it.py"
    script.write_text("import roots\nprint('top-level code ran')\n"
                      f"roots.run({str(config)!r}, output={str(tmp_path / 'out')!r}, workers=2)\nprint('done')\n",
                      encoding="utf-8")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.count("top-level code ran") == 1 and out.stdout.rstrip().endswith("done"), out.stdout
    assert (tmp_path / "out" / "megatron" / "index.json").is_file()


def test_main_not_reimported_puts_the_module_back():
    from roots.processes import main_not_reimported

    main_module = sys.modules["__main__"]
    before = {k: main_module.__dict__.get(k, "absent") for k in ("__file__", "__spec__")}
    with main_not_reimported():
        assert getattr(main_module, "__spec__", "absent") is None and not hasattr(main_module, "__file__")
    assert {k: main_module.__dict__.get(k, "absent") for k in ("__file__", "__spec__")} == before
