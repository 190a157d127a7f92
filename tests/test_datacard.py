"""`roots datacard` on the sample corpus run: every number in the card equals the manifest's, the card is
Markdown with valid YAML front matter for the Hugging Face Hub, the PNGs are real plots, and a run
without a stage says so instead of printing zeros."""
from __future__ import annotations

import glob
import io
import json
import os
import re
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from roots import cli, datacard
from roots.filters.tuning import card as quality
from roots.rundir import LANG_FOLDER_GLOB, folder_lang, lang_folder, read_json, write_json
from sample_run import sample_run_dir

pytest.importorskip("matplotlib")  # the card's plots (the `notebooks` extra)


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory) -> Path:
    return sample_run_dir(tmp_path_factory)


@pytest.fixture(scope="module")
def card(sample_run, tmp_path_factory) -> tuple[Path, str, dict]:
    out = tmp_path_factory.mktemp("card")
    built = datacard.build_card(sample_run, out, [quality.SECTION])
    return out, Path(built.path).read_text(encoding="utf-8"), read_json(str(sample_run / "manifest.json"))


# --- reading the card back -------------------------------------------------------------------------


def split_card(text: str) -> tuple[dict, str]:
    assert text.startswith("---\n")
    head, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(head), body


def tables(body: str) -> list[tuple[list[str], list[list[str]]]]:
    """Every Markdown table as (header, rows), cells stripped, escaped pipes restored."""
    found, block = [], []
    for line in body.splitlines() + [""]:
        if line.startswith("|"):
            block.append(line)
            continue
        if block:
            cells = [[c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", row)[1:-1]] for row in block]
            assert set(block[1].replace("|", "")) == {"-"}, block[:2]
            found.append((cells[0], cells[2:]))
            block = []
    return found


def table(body: str, *first: str) -> list[dict[str, str]]:
    """The table whose header starts with `first`, as dicts."""
    hits = [(h, rows) for h, rows in tables(body) if tuple(h[:len(first)]) == first]
    assert len(hits) == 1, (first, len(hits))
    header, rows = hits[0]
    return [dict(zip(header, row)) for row in rows]


def num(cell: str) -> int:
    return int(cell.replace(",", "").replace("+", ""))


def reasons(cell: str) -> dict[str, int]:
    """`3: word_count 2, char_repetition 1` → {word_count: 2, char_repetition: 1} (total checked)."""
    if cell == "–":
        return {}
    total, _, rest = cell.partition(": ")
    out = {name: num(n) for name, n in (part.rsplit(" ", 1) for part in rest.split(", "))}
    assert sum(out.values()) == num(total)
    return out


def short(stage: str, reason: str) -> str:
    prefix, _, name = reason.partition(":")
    return name if prefix == stage else reason


#: The document steps of `roots run`, in run order (the manifest stores steps by name).
DOC_STEPS = ("curate", "dedup", "pii")


def stages_of(manifest: dict) -> list[tuple[str, str]]:
    return [(step, stage) for step in DOC_STEPS if step in manifest["steps"]
            for stage in manifest["steps"][step]["stages"]]


def final_cells(manifest: dict) -> dict:
    step, stage = stages_of(manifest)[-1]
    return manifest["steps"][step]["counts"][stage]


# --- the numbers ---------------------------------------------------------------------------------


def test_stage_table_matches_the_manifest(card):
    _, text, manifest = card
    _, body = split_card(text)
    rows = table(body, "step", "stage")
    assert [(r["step"], r["stage"]) for r in rows] == stages_of(manifest)
    for r in rows:
        cells = manifest["steps"][r["step"]]["counts"][r["stage"]].values()
        for part in ("input", "kept"):
            label = "in" if part == "input" else "kept"
            assert num(r[f"{label}: docs"]) == sum(c[part]["docs"] for c in cells)
            assert num(r[f"{label}: bytes"]) == sum(c[part]["bytes"] for c in cells)
        expected: dict[str, int] = {}
        for c in cells:
            for reason, v in c["rejected"].items():
                expected[short(r["stage"], reason)] = expected.get(short(r["stage"], reason), 0) + v["docs"]
        assert reasons(r["removed by reason (docs)"]) == expected
        assert num(r["removed: docs"]) == sum(expected.values())
        assert num(r["removed: bytes"]) == sum(v["bytes"] for c in cells for v in c["rejected"].values())


def test_language_table_matches_the_manifest(card):
    _, text, manifest = card
    _, body = split_card(text)
    rows = {r["code"]: r for r in table(body, "code", "language")}
    stages = stages_of(manifest)
    counts = {stage: manifest["steps"][step]["counts"][stage] for step, stage in stages}
    langs = {lang for cells in counts.values() for lang in cells}
    assert set(rows) == langs | {"**all**"}
    tokens = manifest["steps"]["megatron"]["languages"]
    for lang in langs:
        r = rows[lang]
        first, last = counts[stages[0][1]].get(lang), counts[stages[-1][1]].get(lang)
        assert num(r["in: docs"]) == (first["input"]["docs"] if first else 0)
        assert num(r["in: bytes"]) == (first["input"]["bytes"] if first else 0)
        assert num(r["kept: docs"]) == (last["kept"]["docs"] if last else 0)
        assert num(r["kept: bytes"]) == (last["kept"]["bytes"] if last else 0)
        assert r["tokens"] == (f"{tokens[lang]['tokens']:,}" if lang in tokens else "–")
        removed = 0
        for _, stage in stages:
            cell = counts[stage].get(lang)
            column = f"removed at {stage} (docs)"
            want = {short(stage, k): v["docs"] for k, v in (cell["rejected"] if cell else {}).items()}
            if column in r:
                assert reasons(r[column]) == want, (lang, stage)
            else:
                assert not want
            removed += sum(want.values())
        assert num(r["kept: docs"]) == num(r["in: docs"]) + num(r["relabelled (docs)"]) - removed
    assert num(rows["**all**"]["tokens"]) == sum(v["tokens"] for v in tokens.values())
    assert num(rows["**all**"]["kept: docs"]) == sum(c["kept"]["docs"] for c in final_cells(manifest).values())


def test_stage_details_are_the_manifest_cells(card):
    _, text, manifest = card
    _, body = split_card(text)
    details = [(h, rows) for h, rows in tables(body) if h[:2] == ["lang", "in: docs"]]
    assert len(details) == len(stages_of(manifest))
    for (header, rows), (step, stage) in zip(details, stages_of(manifest)):
        cells = manifest["steps"][step]["counts"][stage]
        assert [r[0] for r in rows] == sorted(cells)
        for row in rows:
            c = cells[row[0]]
            assert [num(v) for v in row[1:5]] == [c["input"]["docs"], c["input"]["bytes"], c["kept"]["docs"], c["kept"]["bytes"]]
            want = ", ".join(f"{k} {v['docs']:,} ({v['bytes']:,} B)" for k, v in sorted(c["rejected"].items())) or "–"
            assert row[5] == want


def test_pii_tokenizer_and_binaries_match_the_manifest(card):
    _, text, manifest = card
    _, body = split_card(text)
    spans = manifest["steps"]["pii"]["spans"]
    types = sorted({t for v in spans.values() for t in v})
    pii = {r["lang"]: r for r in table(body, "lang", *types)}
    for lang, by_type in spans.items():
        for t in types:
            assert num(pii[lang][t]) == by_type.get(t, 0)
    assert num(pii["**all**"]["all"]) == sum(sum(v.values()) for v in spans.values())

    tok = manifest["steps"]["tokenizer"]
    assert f"vocabulary {tok['vocab_size']:,} pieces" in body
    assert f"trained on {tok['input_bytes']:,} sampled bytes" in body
    shares = {r["lang"]: r["share"] for r in table(body, "lang", "share")}
    assert shares == {lang: f"{s:.2%}" for lang, s in tok["sample"]["shares"].items()}

    meg = manifest["steps"]["megatron"]["languages"]
    rows = {r["lang"]: r for r in table(body, "lang", "documents", "tokens", "files")}
    for lang, v in meg.items():
        assert (num(rows[lang]["documents"]), num(rows[lang]["tokens"]), num(rows[lang]["files"])) == \
            (v["documents"], v["tokens"], v["files"])
    assert f"**{sum(c['kept']['docs'] for c in final_cells(manifest).values()):,} documents**" in body
    assert f"{sum(v['tokens'] for v in meg.values()):,} in the Megatron binaries" in body


def test_thresholds_are_those_in_force_with_their_sources(card):
    _, text, manifest = card
    _, body = split_card(text)
    policy = manifest["steps"]["curate"]["quality_policy"]["languages"]
    rows = table(body, "lang", "key", "value", "source (or why off)")
    seen = {(r["lang"], r["key"]): r for r in rows}
    for lang, entry in policy.items():
        for name, f in entry["filters"].items():
            if not f["on"]:
                assert seen[(lang, name)]["value"] == "off" and seen[(lang, name)]["source (or why off)"] == f["why"]
                continue
            for key, value in f.items():
                if key in ("on", "when", "why", "source") or key.endswith("_n"):
                    continue
                r = seen[(lang, key)]
                assert yaml.safe_load(r["value"]) == value, (lang, key)
                assert r["source (or why off)"]
    assert "parameters_filtering_en (number_words_min_cutoff)" in seen[("en", "min_words")]["source (or why off)"]
    lid = {r["lang"]: r for r in table(body, "lang", "decided by", "min score", "from")}
    for lang, v in manifest["steps"]["curate"]["lid_policy"]["languages"].items():
        assert lid[lang]["decided by"] == v["decided_by"] and float(lid[lang]["min score"]) == v["min_score"]


# --- the form ------------------------------------------------------------------------------------


def test_front_matter_is_a_hub_dataset_card(card, sample_run):
    _, text, manifest = card
    meta, _ = split_card(text)
    assert meta["license"] == "apache-2.0"
    assert meta["task_categories"] == ["text-generation"]
    assert meta["size_categories"] == ["n<1K"]  # about 300 documents
    langs = meta["language"]
    assert "zh" in langs and "code" in langs and "zh-Hans" not in langs and "fon" in langs
    assert all(re.fullmatch(r"[a-z]{2,3}|code", tag) for tag in langs) and langs == sorted(set(langs))
    names = [c["config_name"] for c in meta["configs"]]
    kept = {lang for lang, c in final_cells(manifest).items() if c["kept"]["docs"]}
    assert names[0] == "all" and meta["configs"][0]["default"] is True and set(names[1:]) == kept
    card_dir = card[0]
    for config in meta["configs"]:  # relative to the card's folder, as Hugging Face resolves them
        (files,) = config["data_files"]
        assert files["split"] == "train" and not os.path.isabs(files["path"])
        assert glob.glob(os.path.join(card_dir, files["path"]))
    rows = sum(pq.read_metadata(p).num_rows
               for p in glob.glob(os.path.join(card_dir, meta["configs"][0]["data_files"][0]["path"])))
    assert rows == sum(final_cells(manifest)[lang]["kept"]["docs"] for lang in kept)


def test_card_renders_as_markdown_with_its_images(card):
    markdown_it = pytest.importorskip("markdown_it")
    out, text, _ = card
    _, body = split_card(text)
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(body)
    assert html.count("<table>") == len(tables(body)) >= 10
    images = re.findall(r'<img src="([^"]+)"', html)
    assert "bytes_per_language.png" in images and "removal_waterfall.png" in images
    assert "statistic_words.png" in images and "statistic_chars.png" in images
    for src in images:
        assert (out / src).is_file()
    assert "<h1>sample: a roots corpus</h1>" in html and "<details>" in html


def test_pngs_are_real_plots(card):
    image = pytest.importorskip("PIL.Image")
    out, _, _ = card
    pngs = sorted(out.glob("*.png"))
    assert len(pngs) >= 9
    for path in pngs:
        with image.open(path) as im:
            assert im.format == "PNG" and im.width >= 600 and im.height >= 250
            colours = im.convert("RGB").getcolors(maxcolors=1_000_000)
            assert len(colours) > 50, path.name  # not a blank canvas
        assert path.stat().st_size > 10_000


def test_card_is_deterministic(card, sample_run):
    _, text, _ = card
    run = datacard.load_run(sample_run)
    plots = {p.name: p.name for p in card[0].glob("*.png")}
    assert datacard.render(run, plots, card[0], [quality.SECTION]) == text
    first, second = io.BytesIO(), io.BytesIO()
    for buf in (first, second):
        datacard.plot_waterfall(run).savefig(buf, format="png", metadata={"Software": None})
    assert first.getvalue() == second.getvalue() == (card[0] / "removal_waterfall.png").read_bytes()


def test_dedup_table_matches_the_manifest_and_the_clusters(card, sample_run):
    _, text, manifest = card
    _, body = split_card(text)
    if "dedup" not in manifest["steps"]:
        assert "No dedup step in this run" in body
        return
    cells = manifest["steps"]["dedup"]["counts"]["dedup"]
    rows = {r["lang"]: r for r in table(body, "lang", "in", "kept", "exact duplicates")}
    clusters: dict[str, set] = {}
    for path in sample_run.glob(f"rejected/stage=dedup/{LANG_FOLDER_GLOB}/*.parquet"):
        lang = folder_lang(str(path.parent))
        for meta in pq.read_table(path, columns=["meta"]).column("meta").to_pylist():
            clusters.setdefault(lang, set()).add(json.loads(meta)["dedup_cluster"])
    for lang, cell in cells.items():
        if not cell["rejected"]:
            assert lang not in rows
            continue
        r = rows[lang]
        assert (num(r["in"]), num(r["kept"])) == (cell["input"]["docs"], cell["kept"]["docs"])
        assert num(r["exact duplicates"]) == cell["rejected"].get("dedup:exact", {}).get("docs", 0)
        assert num(r["near duplicates"]) == cell["rejected"].get("dedup:near", {}).get("docs", 0)
        assert num(r["clusters"]) == len(clusters.get(lang, ()))
    assert num(rows["**all**"]["clusters"]) == sum(len(c) for c in clusters.values())
    assert num(rows["**all**"]["kept"]) == sum(c["kept"]["docs"] for c in cells.values())


# --- runs without a stage ------------------------------------------------------------------------


def _copy(run: Path, dest: Path) -> Path:
    shutil.copytree(run, dest, ignore=shutil.ignore_patterns("datacard"))
    return dest


def test_a_run_without_some_stages_says_so(sample_run, tmp_path):
    run = _copy(sample_run, tmp_path / "run")
    manifest = read_json(str(run / "manifest.json"))
    for step in ("dedup", "pii", "tokenizer", "megatron"):
        manifest["steps"].pop(step, None)
    curate = manifest["steps"]["curate"]
    curate["stages"].remove("lid")
    del curate["counts"]["lid"], curate["lid_policy"]
    write_json(str(run / "manifest.json"), manifest)
    text = datacard.render(datacard.load_run(run), {})
    for line in ("No language-identification stage in this run", "No dedup step in this run",
                 "No PII step in this run", "No tokenizer step in this run", "No Megatron binaries in this run"):
        assert line in text
    _, body = split_card(text)
    assert not [h for h, _ in tables(body) if "EMAIL" in h or h[:2] == ["lang", "share"] or h[:2] == ["lang", "decided by"]]
    languages = table(body, "code", "language")
    assert all(r["tokens"] == "–" for r in languages)
    assert "removed at lid (docs)" not in languages[0]


def test_a_run_without_a_quality_stage_says_so_and_plots_no_statistic(sample_run, tmp_path):
    run = _copy(sample_run, tmp_path / "run")
    manifest = read_json(str(run / "manifest.json"))
    curate = manifest["steps"]["curate"]
    curate["stages"].remove("quality")
    del curate["counts"]["quality"], curate["quality_policy"]
    write_json(str(run / "manifest.json"), manifest)
    loaded = datacard.load_run(run)
    assert quality.statistic_tables(loaded) == {} and list(quality.figures(loaded)) == []
    _, body = split_card(datacard.render(loaded, {}, None, [quality.SECTION]))
    assert "### Quality filters\n\nNo quality stage in this run: no quality filter was applied.\n\n### Deduplication" in body


# --- the sections of the layers above the core --------------------------------------------------------


def test_the_core_card_alone_has_no_quality_section(card, sample_run, tmp_path):
    """Without sections the core's card is the whole card less the quality section: the core reads no filter."""
    _, text, _ = card
    run = datacard.load_run(sample_run)
    plots = datacard.write_plots(run, str(tmp_path))
    assert sorted(plots) == [datacard.PLOT_BYTES, datacard.PLOT_WATERFALL]
    core = datacard.render(run, plots, card[0])
    start, end = text.index("### Quality filters\n"), text.index("### Deduplication\n")
    assert "Quality filters" not in core and "statistic_" not in core
    assert core == text[:start] + text[end:]


def test_a_section_takes_its_place_and_level_and_its_plots_are_written(sample_run, tmp_path):
    run = datacard.load_run(sample_run)
    extra = datacard.Section(title="Notes", after="Languages", markdown=lambda r, plots: f"{len(r.languages)} langs, "
                             f"plots {sorted(plots)}", figures=lambda r: [("notes.png", datacard.plot_waterfall(r))])
    plots = datacard.write_plots(run, str(tmp_path), [extra])
    assert list(plots) == [datacard.PLOT_BYTES, datacard.PLOT_WATERFALL, "notes.png"] and (tmp_path / "notes.png").is_file()
    text = datacard.render(run, plots, tmp_path, [extra, quality.SECTION])
    notes = f"## Notes\n\n{len(run.languages)} langs, plots {sorted(plots)}\n\n## What each stage removed"
    assert text.count("## Notes") == 1 and notes in text   # after the Languages part, its bytes plot included
    assert text.index("### Language identification") < text.index("### Quality filters") < text.index("### Dedup")
    with pytest.raises(ValueError, match="'Elsewhere'"):
        datacard.render(run, plots, tmp_path, [datacard.Section("Lost", "Elsewhere", lambda r, p: "x")])
    clash = datacard.Section("Clash", "Languages", lambda r, p: "x", lambda r: [(datacard.PLOT_BYTES, None)])
    with pytest.raises(ValueError, match="bytes_per_language.png"):
        datacard.write_plots(run, str(tmp_path), [clash])


def test_a_run_with_a_dedup_step_shows_its_clusters(sample_run, tmp_path):
    """The dedup step as the dedup issue writes it: stage `dedup`, reasons dedup:exact / dedup:near,
    `dedup_cluster` in the rejections' meta."""
    run = _copy(sample_run, tmp_path / "run")
    shutil.rmtree(run / "rejected" / "stage=dedup", ignore_errors=True)
    manifest = read_json(str(run / "manifest.json"))
    manifest["steps"].pop("dedup", None)
    en = {"input": {"docs": 34, "bytes": 25852}, "kept": {"docs": 31, "bytes": 23000},
          "rejected": {"dedup:exact": {"docs": 2, "bytes": 1852}, "dedup:near": {"docs": 1, "bytes": 1000}}}
    manifest["steps"]["dedup"] = {"status": "complete", "stages": ["dedup"], "counts": {"dedup": {"en": en}},
                                  "dedup_policy": {"threshold": 0.8, "num_perm": 128, "scope": "language"}}
    write_json(str(run / "manifest.json"), manifest)
    part = run / "rejected" / "stage=dedup" / lang_folder("en")
    part.mkdir(parents=True)
    metas = [{"dedup_cluster": "c1", "dedup_kept": "a"}, {"dedup_cluster": "c1", "dedup_kept": "a"},
             {"dedup_cluster": "c2", "dedup_kept": "b"}]
    pq.write_table(pa.table({"id": ["x", "y", "z"], "text": ["t"] * 3, "lang": ["en"] * 3, "source": ["s"] * 3,
                             "meta": [json.dumps(m) for m in metas], "reason": ["dedup:exact", "dedup:exact", "dedup:near"],
                             "detail": [""] * 3}), part / "part-00000-of-00001.parquet")
    loaded = datacard.load_run(run)
    assert [s for _, s in loaded.stages][-2:] == ["dedup", "pii"]
    _, body = split_card(datacard.render(loaded, {}))
    assert "No dedup step in this run" not in body
    row, total = table(body, "lang", "in", "kept", "exact duplicates")
    assert total["clusters"] == "2" and total["exact duplicates"] == "2"
    assert row == {"lang": "en", "in": "34", "kept": "31", "exact duplicates": "2", "near duplicates": "1",
                   "other": "0", "clusters": "2", "largest cluster": "3"}
    assert "threshold 0.8" in body
    stage_rows = {r["stage"]: r for r in table(body, "step", "stage")}
    assert reasons(stage_rows["dedup"]["removed by reason (docs)"]) == {"exact": 2, "near": 1}


# --- the command ---------------------------------------------------------------------------------


def test_the_command_writes_the_card_and_refuses_a_non_run(sample_run, tmp_path, monkeypatch, capsys):
    if "roots.commands.datacard" not in cli.COMMAND_MODULES:
        monkeypatch.setattr(cli, "COMMAND_MODULES", cli.COMMAND_MODULES + ["roots.commands.datacard"])
    run = _copy(sample_run, tmp_path / "run")
    assert cli.main(["datacard", str(run)]) == 0
    assert (run / "datacard" / "README.md").is_file() and (run / "datacard" / "bytes_per_language.png").is_file()
    assert "data card:" in capsys.readouterr().out
    plots = {p.name: p.name for p in (run / "datacard").glob("*.png")}   # the command adds the quality section
    assert "statistic_words.png" in plots and (run / "datacard" / "README.md").read_text(encoding="utf-8") == \
        datacard.render(datacard.load_run(run), plots, run / "datacard", [quality.SECTION])
    assert cli.main(["datacard", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("roots: error:") and "manifest.json" in err and "\n" not in err


# --- the card where it lies: loadable, the run's languages only, no absolute path ---------------------


@pytest.mark.skipif(os.environ.get("ROOTS_SLOW_TESTS") != "1",
                    reason="datasets builds its cache twice (about 23 s): set ROOTS_SLOW_TESTS=1")
def test_datasets_loads_the_card_where_it_lies_even_after_the_run_moved(sample_run, tmp_path):
    """`datasets.load_dataset(RUN/datacard)` (the default place) and, with `--output RUN`,
    `load_dataset(RUN)`: the configs' paths resolve from the card's folder, also in a copy of the run."""
    datasets = pytest.importorskip("datasets")
    run = _copy(sample_run, tmp_path / "run")
    datacard.build_card(run)
    datacard.build_card(run, run)
    moved = run.rename(tmp_path / "moved")
    manifest = read_json(str(moved / "manifest.json"))
    kept = {lang: c["kept"]["docs"] for lang, c in final_cells(manifest).items() if c["kept"]["docs"]}
    for where in (moved / "datacard", moved):
        data = datasets.load_dataset(str(where), split="train", cache_dir=str(tmp_path / "hf-cache"))
        assert data.num_rows == sum(kept.values())
        fr = datasets.load_dataset(str(where), "fr", split="train", cache_dir=str(tmp_path / "hf-cache"))
        assert fr.num_rows == kept["fr"] and set(fr["lang"]) == {"fr"}


def test_the_card_lists_only_the_languages_of_the_run(sample_run, tmp_path):
    """A run of three languages (the sample's manifest cut to en, fr, sw): the front matter, the
    configs and every per-language table hold those three only, although the LID and quality policies
    cover every language the models and configs know."""
    run = _copy(sample_run, tmp_path / "run")
    manifest = read_json(str(run / "manifest.json"))
    ours = {"en", "fr", "sw"}
    for step in manifest["steps"].values():
        for stage, cells in step.get("counts", {}).items():
            step["counts"][stage] = {lang: cell for lang, cell in cells.items() if lang in ours}
        for key in ("spans", "languages"):  # PII spans, binaries: as a run of these three has them
            if isinstance(step.get(key), dict):
                step[key] = {lang: v for lang, v in step[key].items() if lang in ours}
        shares = (step.get("sample") or {}).get("shares")
        if shares:  # the tokenizer sample's share per language
            step["sample"]["shares"] = {lang: v for lang, v in shares.items() if lang in ours}
    write_json(str(run / "manifest.json"), manifest)
    meta, body = split_card(datacard.render(datacard.load_run(run), {}, run / "datacard", [quality.SECTION]))
    assert set(meta["language"]) == ours
    assert {c["config_name"] for c in meta["configs"]} == ours | {"all"}
    for header, rows in tables(body):
        if header[0] == "lang":
            assert {r[0] for r in rows} - {"**all**"} <= ours, header


def test_the_card_holds_no_absolute_path(card, sample_run):
    """Neither the run's folder, nor the checkout's, nor any other absolute path: two runs of one config
    into different folders give the same card, and a copied run's card is still right."""
    _, text, _ = card
    assert str(sample_run) not in text and str(Path(__file__).resolve().parents[1]) not in text
    assert not re.search(r"(?<![\w.:/])/(?:tmp|work|home|Users|root|var|private)/", text)


def test_huggingface_hub_reads_the_card_with_named_languages(card):
    """The Hub's own parser (huggingface_hub's DatasetCard) reads the card's metadata; the body names
    each language as well as coding it."""
    hub = pytest.importorskip("huggingface_hub")
    out, text, manifest = card
    parsed = hub.DatasetCard.load(out / "README.md")
    meta, _ = split_card(text)
    assert parsed.data.language == meta["language"] and parsed.data.configs == meta["configs"]
    assert parsed.data.pretty_name == meta["pretty_name"]
    header, rows = next(t for t in tables(split_card(text)[1]) if t[0][:2] == ["code", "language"])
    named = {row[0]: row[1] for row in rows}
    assert named["fr"] == "French" and named["zh-Hans"].startswith("Chinese") and named["yo"] == "Yoruba"
    assert named["de"] == "German"   # a language of the run's overlay (examples/language_configs)


def _overlaps(boxes) -> list[tuple[int, int]]:
    return [(i, j) for i in range(len(boxes)) for j in range(i + 1, len(boxes)) if boxes[i].overlaps(boxes[j])]


def test_plot_labels_do_not_overlap(sample_run):
    """Tick labels and value labels of every plot of the card, drawn: no two horizontal labels' boxes
    overlap, and rotated labels are further apart (across their baselines) than the font is tall."""
    import math

    run = datacard.load_run(sample_run)
    figures = [datacard.plot_bytes_per_language(run), datacard.plot_waterfall(run),
               *quality.statistic_figures(quality.statistic_tables(run))]
    for fig in figures:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        renderer = canvas.get_renderer()
        for ax in fig.axes:
            for labels in (ax.get_xticklabels(), ax.get_yticklabels(), ax.texts):
                shown = [t for t in labels if t.get_visible() and t.get_text()]
                flat = [t for t in shown if t.get_rotation() == 0]
                boxes = [t.get_window_extent(renderer).padded(-0.5) for t in flat]
                assert not _overlaps(boxes), [(flat[i].get_text(), flat[j].get_text()) for i, j in _overlaps(boxes)]
                turned = sorted((t for t in shown if t.get_rotation() != 0), key=lambda t: t.get_position()[0])
                for a, b in zip(turned, turned[1:]):
                    (xa, _), (xb, _) = (ax.transData.transform(t.get_position()) for t in (a, b))
                    height = a.get_fontsize() * fig.dpi / 72
                    assert abs(xb - xa) * math.sin(math.radians(a.get_rotation())) >= height * 0.9, (a.get_text(), b.get_text())
