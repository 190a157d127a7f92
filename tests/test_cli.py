"""The `roots` command as a user meets it: help, the language table, one-line errors, a JSONL run."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

import roots
from roots.cli import main
from roots.rundir import lang_folder

ROOTS = [sys.executable, "-m", "roots.cli"]


def test_help_names_every_command():
    out = subprocess.run(ROOTS + ["--help"], capture_output=True, text=True, check=True).stdout
    for command in ("run", "ingest", "languages"):
        assert command in out


def test_languages_table(capsys):
    assert main(["languages"]) == 0
    out = capsys.readouterr().out
    assert "Swahili" in out and "code-rust" in out and "zh-Hant" in out


def test_bad_config_is_one_line_and_exit_2(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text(yaml.safe_dump({"name": "x", "sources": [{"name": "s", "format": "jsnl", "path": "a"}]}))
    proc = subprocess.run(ROOTS + ["run", str(config)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert proc.stderr.startswith(f"roots: error: {config}: source 's': format 'jsnl' is not one of")


def test_missing_input_is_one_line_and_exit_2(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"name": "x", "sources": [{"name": "s", "format": "jsonl", "path": "gone.jsonl"}]}))
    proc = subprocess.run(ROOTS + ["run", str(config), "--output", str(tmp_path / "out")], capture_output=True, text=True)
    assert proc.returncode == 2 and "source 's': path" in proc.stderr and "does not exist" in proc.stderr
    assert not (tmp_path / "out" / "documents").exists()


def test_ingest_one_source_to_jsonl(tmp_path, capsys):
    (tmp_path / "a.jsonl").write_text('{"text": "Sawubona"}\n{"text": ""}\n', encoding="utf-8")
    (tmp_path / "b.jsonl").write_text('{"text": "Molo"}\n', encoding="utf-8")
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"name": "x", "output_format": "jsonl", "sources": [
        {"name": "zu", "format": "jsonl", "path": "a.jsonl", "lang": "zu"},
        {"name": "xh", "format": "jsonl", "path": "b.jsonl", "lang": "xh"}]}))
    assert main(["ingest", str(config), "--output", str(tmp_path / "out"), "--source", "zu"]) == 0
    assert "normalise" in capsys.readouterr().out
    (shard,) = (tmp_path / "out" / "documents").rglob("*.jsonl")
    assert shard.parent.name == lang_folder("zu")
    (row,) = [json.loads(line) for line in shard.read_text(encoding="utf-8").splitlines()]
    assert row["text"] == "Sawubona" and row["meta"] == {"file": "a.jsonl", "record": 1}
    (rejected,) = (tmp_path / "out" / "rejected").rglob("*.jsonl")
    assert json.loads(rejected.read_text())["reason"] == "bad_input:empty_text"
    assert main(["ingest", str(config), "--output", str(tmp_path / "o2"), "--source", "nope"]) == 2


def test_ingest_on_the_local_engine_writes_beams_bytes(tmp_path, capsys):
    """`roots ingest --engine local --workers 2` (Arrow routing and sorting of several shards, rejections
    of reading and of normalise) writes the same files, byte for byte, as `roots ingest` on Beam."""
    for f in range(3):
        lines = [json.dumps({"id": f"d{f}-{i}", "text": f"Sawubona {i} " * (20 + i), "url": f"u{i}", "n": i})
                 for i in range(15)]
        lines[3] = '{"id": "x", "text": "cut'
        lines[7] = json.dumps({"id": f"e{f}", "text": " \u0000 "})
        (tmp_path / f"p{f}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"name": "x", "shard_target_mb": 0.002, "sources": [
        {"name": "zu", "format": "jsonl", "path": "p*.jsonl", "lang": "zu", "id_field": "id"}]}))
    assert main(["ingest", str(config), "--output", str(tmp_path / "beam")]) == 0
    assert main(["ingest", str(config), "--output", str(tmp_path / "local"), "--engine", "local", "--workers", "2"]) == 0
    capsys.readouterr()
    files = sorted(p.relative_to(tmp_path / "beam") for p in (tmp_path / "beam").rglob("*")
                   if p.is_file() and p.name != "manifest.json")
    assert len([f for f in files if f.parts[0] == "documents"]) > 1   # several shards were routed
    assert {f.parts[1] for f in files if f.parts[0] == "rejected"} == {"stage=ingest", "stage=normalise"}
    assert files == sorted(p.relative_to(tmp_path / "local") for p in (tmp_path / "local").rglob("*")
                           if p.is_file() and p.name != "manifest.json")
    for f in files:
        assert (tmp_path / "beam" / f).read_bytes() == (tmp_path / "local" / f).read_bytes(), f


def test_version_and_verbose_after_the_subcommand(capsys):
    import pytest

    from roots import __version__
    from roots.cli import _parser

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out.strip() == f"roots {__version__}"
    assert _parser().parse_args(["run", "x.yaml", "-v"]).verbose is True
    assert _parser().parse_args(["-v", "run", "x.yaml"]).verbose is True
    assert _parser().parse_args(["run", "x.yaml"]).verbose is False


def test_doctor_reports_each_optional_piece_and_how_to_get_it(capsys, monkeypatch):
    from roots.commands.doctor import checks

    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    for name in ("lid.176 model", "lmplz", "build_binary", "pyspark", "Java", "torch", "spaCy tokenizers"):
        assert any(line.startswith(name) for line in out.splitlines()), name
    # With an empty PATH and a Python whose folder holds no KenLM programs, they are reported missing,
    # with the command that builds them.
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    missing = {c.name: c for c in checks() if not c.found}
    assert "lmplz" in missing and "tools/build_kenlm.sh" in missing["lmplz"].how
    # The command names the script inside the installed package (a pip install has it too), and the bin folder.
    script = missing["lmplz"].how.split()[1]
    assert Path(script).is_file() and Path(script).parent.parent == Path(roots.__file__).parent, script
    assert missing["lmplz"].how.split()[2] == "/nonexistent"


def test_dedup_output_that_names_a_file_is_a_one_line_error(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": "one two three four five six"}) + "\n")
    code = main(["dedup", "--input", str(src), "--output", str(tmp_path / "kept.jsonl"),
                 "--rejected", str(tmp_path / "rej")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "kept.jsonl names a file" in err and "--format jsonl" in err
    assert not (tmp_path / "kept.jsonl").exists()


def test_an_output_the_file_system_refuses_is_one_line_and_exit_2(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    sample = Path(__file__).resolve().parents[1] / "examples" / "sample.yaml"
    code = main(["run", str(sample), "--output", str(blocker / "run")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert err.startswith("roots: error: ") and str(blocker / "run") in err and "Not a directory" in err


def test_megatron_blend_prints_data_path_under_a_root(tmp_path, capsys):
    """blend.txt holds prefixes relative to its folder (a relocatable run); `roots megatron blend` prints
    them as one --data-path line under the root the trainer sees, or under the folder's own path."""
    from roots.cli import main

    folder = tmp_path / "megatron"
    folder.mkdir()
    (folder / "blend.txt").write_text("0.75 en_text_document_00000\n0.25 sw_text_document_00000  # small\n")
    assert main(["megatron", "blend", str(folder), "--root", "/mnt/run/megatron/"]) == 0
    assert capsys.readouterr().out.strip() == ("0.75 /mnt/run/megatron/en_text_document_00000 "
                                               "0.25 /mnt/run/megatron/sw_text_document_00000")
    assert main(["megatron", "blend", str(folder / "blend.txt")]) == 0
    assert capsys.readouterr().out.split()[1] == f"{folder}/en_text_document_00000"
    (folder / "blend.txt").write_text("0.75\n")
    assert main(["megatron", "blend", str(folder)]) == 2
    assert "blend.txt:1: expected `weight prefix` pairs" in capsys.readouterr().err


def test_every_option_of_every_command_has_help():
    """Issue 16: `roots X --help` explains every option it lists."""
    import argparse

    from roots.cli import _parser

    missing = []

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    walk(child, f"{path} {name}")
            elif not action.help and action.dest != "help":
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")

    walk(_parser(), "roots")
    assert missing == []


def test_the_default_engine_is_local_and_beam_options_choose_beam(tmp_path, capsys):
    import pytest

    from roots.config import ConfigError
    from roots.pipelines.api import choose_engine

    assert choose_engine(None, []) == "local"
    assert choose_engine(None, ["--runner", "DataflowRunner"]) == "beam"
    assert choose_engine("spark", []) == "spark" and choose_engine("beam", ["--runner", "X"]) == "beam"
    with pytest.raises(ConfigError, match="need --engine beam, not local"):
        choose_engine("local", ["--runner", "DataflowRunner"])
    sample = Path(__file__).resolve().parents[1] / "examples" / "sample.yaml"
    assert main(["run", str(sample), "--output", str(tmp_path / "run"), "--engine", "spark", "--",
                 "--runner", "DataflowRunner"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "need --engine beam, not spark" in err[0]
    assert not (tmp_path / "run").exists()     # refused before any work
