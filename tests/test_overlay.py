"""Language-config overlays (`language_configs:` in a run config): a user's YAMLs merged over the packaged
configs, validated before any work, keyed per step so that a changed threshold recomputes exactly the steps
that read it; and `lang_field`, a language per record, checked against the same registry."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from roots.config import ConfigError, load_config
from roots.filters.params import parse_filters
from roots.io.formats import FORMATS
from roots.languages import LanguageConfigError, load_registry
from roots.pipelines.api import load as load_checked
from roots.pipelines.runner import run
from roots.rundir import read_json

GERMAN = """\
version: 1
code: de
name: German
kind: natural
script: Latn
family: Indo-European
spaces: true
roots_share_percent: 0.0
flores: deu_Latn
lid:
  labels: [de, deu_Latn]
  model: roots
  min_score: 0.5
filters:
  tokenizer: {value: "whitespace", source: "test"}
  min_words: {value: 4, source: "test"}
"""


def overlay(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    load_registry.cache_clear()
    return folder


def test_an_overlay_changes_only_the_keys_it_sets_and_adds_languages(tmp_path):
    folder = overlay(tmp_path / "lc", {"sw.yaml": "filters:\n  min_words: {value: 3, source: mine}\n",
                                       "de.yaml": GERMAN})
    shipped, merged = load_registry(), load_registry(overlay=folder)
    assert "de" in merged and "de" not in shipped and len(merged) == len(shipped) + 1
    sw, before = merged.get("sw"), shipped.get("sw")
    assert sw.path == str(folder / "sw.yaml") and sw.sections["lid"] == before.sections["lid"]
    new, old = parse_filters(sw), parse_filters(before)
    assert new.min_words == 3 and new.sources["min_words"] == "mine"
    assert {k: v for k, v in vars(new).items() if k not in ("min_words", "sources")} == \
           {k: v for k, v in vars(old).items() if k not in ("min_words", "sources")}
    assert Path(new.stopwords).is_file()   # the shipped relative list still resolves in the package
    assert parse_filters(merged.get("fr")) == parse_filters(shipped.get("fr"))


@pytest.mark.parametrize("files, match", [
    ({"sw.yaml": "filters:\n  min_wrds: 3\n"}, r"sw\.yaml: key 'filters\.min_wrds' is not a filter setting"),
    ({"sw.yaml": "filter:\n  min_words: 3\n"}, r"sw\.yaml: key 'filter' is not a known key \(did you mean 'filters'"),
    ({"sw.yaml": "pii:\n  detectors: [EMAIL, PHONES]\n"}, r"sw\.yaml.*'pii\.detectors': 'PHONES' is not known"),
    ({"de.yaml": GERMAN.replace("flores: deu_Latn\n", "")}, r"de\.yaml: missing key 'flores'"),
    ({"de.yaml": GERMAN.replace("min_score: 0.5", "min_score: high")}, r"de\.yaml.*lid\.min_score"),
])
def test_a_bad_overlay_stops_the_config_with_one_line_naming_file_and_key(tmp_path, files, match):
    overlay(tmp_path / "lc", files)
    (tmp_path / "data.jsonl").write_text('{"text": "x"}\n')
    (tmp_path / "run.yaml").write_text(yaml.safe_dump({
        "name": "t", "language_configs": "lc", "sources": [{"name": "s", "format": "jsonl", "path": "data.jsonl"}]}))
    with pytest.raises(ConfigError, match=match) as err:
        load_checked(str(tmp_path / "run.yaml"))   # the config's schema, then every stage built (filters:)
    assert "\n" not in str(err.value)


def test_a_missing_overlay_folder_is_a_config_error(tmp_path):
    (tmp_path / "data.jsonl").write_text('{"text": "x"}\n')
    (tmp_path / "run.yaml").write_text(yaml.safe_dump({
        "name": "t", "language_configs": "nowhere", "sources": [{"name": "s", "format": "jsonl", "path": "data.jsonl"}]}))
    with pytest.raises(ConfigError, match="key 'language_configs': folder .*nowhere does not exist"):
        load_config(str(tmp_path / "run.yaml"))


# --- step keys: a changed overlay recomputes exactly what reads it ---------------------------------

SHORT = "Mvua ya jana {i} na kijiji."                                                # 5 words
LONG = "Habari za asubuhi {i}: wakulima wa kijiji chetu walipanda mahindi na maharagwe jana jioni."  # 14 words


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    """Swahili documents of 5 and 14 words, a source that asks for template lines (the step before
    curate), and an overlay setting sw's min_words."""
    records = [{"id": f"s{i}", "text": SHORT.format(i=i)} for i in range(12)]
    records += [{"id": f"l{i}", "text": LONG.format(i=i)} for i in range(12)]
    (tmp_path / "sw.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    overlay(tmp_path / "lc", {"sw.yaml": "filters:\n  min_words: {value: 10, source: test}\n"})
    config = {"name": "t", "output": str(tmp_path / "run"), "language_configs": "lc", "shard_target_mb": 0.001,
              "cleaning": {"sources": {"sw": ["dedup_template"]}},
              "sources": [{"name": "sw", "format": "jsonl", "path": "sw.jsonl", "lang": "sw", "id_field": "id"}]}
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(config))
    return tmp_path


def kept_ids(run_dir: Path) -> list[str]:
    return sorted(r["id"] for p in sorted((run_dir / "documents").rglob("*.parquet")) for r in pq.read_table(p).to_pylist())


def test_a_changed_overlay_threshold_recomputes_the_quality_step_and_after_only(corpus):
    run_dir = corpus / "run"
    first = run(load_config(str(corpus / "run.yaml")))
    assert first.steps["curate"]["counts"]["quality"]["sw"]["kept"]["docs"] == 12
    assert kept_ids(run_dir) == sorted(f"sw/l{i}" for i in range(12))
    before = read_json(str(run_dir / "manifest.json"))["steps"]
    assert set(before) == {"templates", "curate", "dedup", "pii"} and "language_configs" in before["curate"]

    stamp = (run_dir / "manifest.json").stat().st_mtime_ns   # the same overlay: nothing to do
    run(load_config(str(corpus / "run.yaml")))
    assert (run_dir / "manifest.json").stat().st_mtime_ns == stamp

    overlay(corpus / "lc", {"sw.yaml": "filters:\n  min_words: {value: 4, source: test}\n"})
    second = run(load_config(str(corpus / "run.yaml")))   # into the same folder: not refused
    after = read_json(str(run_dir / "manifest.json"))["steps"]
    assert after["templates"] == before["templates"]                      # the step before: skipped
    assert second.steps["curate"]["counts"]["quality"]["sw"]["kept"]["docs"] == 24
    assert after["curate"]["language_configs"] != before["curate"]["language_configs"]
    assert after["pii"]["language_configs"] == before["pii"]["language_configs"]   # recomputed: its input changed
    assert after["pii"]["counts"]["pii"]["sw"]["input"]["docs"] == 24
    assert kept_ids(run_dir) == sorted([f"sw/l{i}" for i in range(12)] + [f"sw/s{i}" for i in range(12)])
    assert not list((run_dir / "rejected").glob("stage=quality/*/*"))   # the old rejections went with the step


def test_a_changed_pii_section_recomputes_only_the_pii_step_while_its_input_is_kept(corpus, monkeypatch):
    import roots.pipelines.runner as runner

    monkeypatch.setattr(runner, "remove_intermediate", lambda config: None)   # RUN/steps/ kept (a crash)
    run_dir = corpus / "run"
    run(load_config(str(corpus / "run.yaml")))
    before = read_json(str(run_dir / "manifest.json"))["steps"]
    overlay(corpus / "lc", {"sw.yaml": "filters:\n  min_words: {value: 10, source: test}\npii:\n  detectors: [EMAIL, PHONE]\n  national_ids: []\n"})
    run(load_config(str(corpus / "run.yaml")))
    after = read_json(str(run_dir / "manifest.json"))["steps"]
    for step in ("templates", "curate", "dedup"):
        assert after[step] == before[step], step
    assert after["pii"]["language_configs"] != before["pii"]["language_configs"]
    assert after["pii"]["counts"] == before["pii"]["counts"]
    assert kept_ids(run_dir) == sorted(f"sw/l{i}" for i in range(12))


# --- lang_field: a language per record ------------------------------------------------------------


def test_lang_field_gives_each_record_its_language_or_rejects_it(tmp_path):
    overlay(tmp_path / "lc", {"de.yaml": GERMAN})
    records = [{"id": 1, "text": "Habari", "language": "sw"}, {"id": 2, "text": "Guten Tag", "language": "de"},
               {"id": 3, "text": "x", "language": "swa"}, {"id": 4, "text": "x"}, {"id": 5, "text": "x", "language": 7},
               {"id": 6, "text": "x", "language": ""}, {"id": 7, "text": "x", "language": None}]
    (tmp_path / "mixed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    (tmp_path / "run.yaml").write_text(yaml.safe_dump({
        "name": "t", "language_configs": "lc", "sources": [
            {"name": "m", "format": "jsonl", "path": "mixed.jsonl", "id_field": "id", "lang_field": "language"}]}))
    config = load_config(str(tmp_path / "run.yaml"))
    spec = config.sources[0]
    assert "languages" not in config.to_dict()["sources"][0]
    out = list(FORMATS["jsonl"].records(spec, spec.path))
    assert [getattr(o, "lang", None) for o in out[:2]] == ["sw", "de"]
    rejected = {o.doc.id: (str(o.reason), o.detail) for o in out[2:]}
    assert {r for r, _ in rejected.values()} == {"bad_input:bad_lang_field"} and len(rejected) == 5
    assert "'swa', not a code of the language registry (did you mean 'sw'?)" in rejected["m/3"][1]
    assert "no value in field 'language'" in rejected["m/4"][1] and "no value" in rejected["m/7"][1]
    assert "is int, not a language code" in rejected["m/5"][1] and "is empty" in rejected["m/6"][1]


@pytest.mark.parametrize("source, match", [
    ({"lang": "sw", "lang_field": "language"}, "keys 'lang' and 'lang_field' are both set"),
    ({"format": "text", "lang_field": "language"}, "'lang_field' needs records with fields"),
])
def test_lang_field_config_errors(tmp_path, source, match):
    (tmp_path / "a.jsonl").write_text('{"text": "x"}\n')
    spec = {"name": "s", "format": "jsonl", "path": "a.jsonl", **source}
    (tmp_path / "run.yaml").write_text(yaml.safe_dump({"name": "t", "sources": [spec]}))
    with pytest.raises(ConfigError, match=match):
        load_config(str(tmp_path / "run.yaml"))


@pytest.mark.skipif(os.environ.get("ROOTS_SLOW_TESTS") != "1",
                    reason="Beam's multi-process workers (about 13 s): set ROOTS_SLOW_TESTS=1")
def test_an_overlay_language_runs_on_separate_worker_processes(tmp_path):
    """`de` exists only in the overlay: the stages carry the registry to Beam's worker processes."""
    overlay(tmp_path / "lc", {"de.yaml": GERMAN})
    texts = ["Der neue Spielplatz im Stadtpark wurde am Samstag eröffnet {i}.", "Kurz {i}."]
    records = [{"id": f"{k}{i}", "text": t.format(i=i), "language": "de"} for i in range(6) for k, t in enumerate(texts)]
    (tmp_path / "de.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    (tmp_path / "run.yaml").write_text(yaml.safe_dump({
        "name": "t", "output": str(tmp_path / "run"), "language_configs": "lc",
        "sources": [{"name": "d", "format": "jsonl", "path": "de.jsonl", "id_field": "id", "lang_field": "language"}]}))
    manifest = run(load_config(str(tmp_path / "run.yaml")),
                   ["--direct_num_workers", "2", "--direct_running_mode", "multi_processing"])
    quality = manifest.steps["curate"]["counts"]["quality"]["de"]
    assert quality["kept"]["docs"] == 6 and quality["rejected"]["quality:word_count"]["docs"] == 6
    assert kept_ids(tmp_path / "run") == sorted(f"d/0{i}" for i in range(6))


def test_packaged_configs_are_never_written_by_tuning(tmp_path):
    from roots.filters import tuning
    from roots.languages import default_directory

    with pytest.raises(tuning.TuningError, match="inside the installed roots package"):
        tuning.propose_thresholds("en", {"min_words": 30}, language_configs=str(default_directory()))
    proposal = tuning.propose_thresholds("en", {"min_words": 30}, language_configs=str(tmp_path / "lc"))
    assert proposal.path == str(tmp_path / "lc" / "en.yaml") and proposal.old_text == ""
    assert "wrote" in tuning.apply_thresholds(proposal)
    text = (tmp_path / "lc" / "en.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(text)["filters"]["min_words"]["value"] == 30 and set(yaml.safe_load(text)) == {"filters"}
    load_registry.cache_clear()
    merged = parse_filters(load_registry(overlay=tmp_path / "lc").get("en"))
    assert merged.min_words == 30 and merged.max_words == 100000
    assert parse_filters(load_registry().get("en")).min_words == 20
    with pytest.raises(LanguageConfigError):
        load_registry(overlay=tmp_path / "absent")
