"""The two-phase shard writer (roots.pipelines.runs, beam_transforms.WriteShards): shards merged from
sorted runs are byte-identical to shards written at once, run files are named by their content (a
retried bundle writes the same names), and the Beam transform groups run paths, not rows, by shard."""
from __future__ import annotations

import random
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from roots.pipelines import runs
from roots.pipelines.plan import partition_sizes, shard_key, write_rows
from roots.pipelines.runs import RunBuffer, merge_runs, read_run, shard_runs, write_run
from roots.rundir import DOCUMENTS, REJECTED


def doc_rows(n: int, seed: int = 3) -> list[tuple[str, tuple]]:
    """(stage "", document row) pairs in two languages, some ids repeated (ties broken by the whole row)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        lang = "sw" if i % 3 else "fr"
        doc_id = f"d{rng.randrange(n // 2):05d}"   # repeats on purpose
        text = " ".join(rng.choice(["mvua", "jua", "pluie", "soleil", "é", "ß"]) for _ in range(rng.randrange(1, 40)))
        out.append(("", (doc_id, text, lang, "src", f'{{"i":{i}}}')))
    rng.shuffle(out)
    return out


def sizes_of(items: list[tuple[str, tuple]]) -> dict[tuple[str, str], int]:
    sizes: dict[tuple[str, str], int] = {}
    for stage, row in items:
        key = (stage, row[2])
        sizes[key] = sizes.get(key, 0) + len(row[1].encode("utf-8"))
    return sizes


def one_shot(items: list[tuple[str, tuple]], root: Path, kind: str, target_mb: float) -> dict[str, bytes]:
    """The shards as a single writer per shard writes them (the Beam graph before the two phases)."""
    sizes = sizes_of(items)
    by_shard: dict[tuple, list] = {}
    for item in items:
        key, row = shard_key(item, sizes, target_mb)
        by_shard.setdefault(key, []).append(row)
    for key, rows in by_shard.items():
        write_rows(key, rows, str(root), kind, "parquet")
    return tree(root)


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.parquet"))}


def test_runs_are_sorted_and_named_by_their_content(tmp_path):
    rows = [row for _, row in doc_rows(50)]
    first = write_run(rows, str(tmp_path), DOCUMENTS)
    again = write_run(list(reversed(rows)), str(tmp_path), DOCUMENTS)   # a retried bundle, another order
    assert first == again and len(list(tmp_path.iterdir())) == 1
    assert list(read_run(first)) == sorted(rows)
    assert write_run(rows[:-1], str(tmp_path), DOCUMENTS) != first


def test_buffer_writes_the_largest_partitions_when_full_and_loses_nothing(tmp_path):
    items = doc_rows(300)
    buffer = RunBuffer(str(tmp_path), DOCUMENTS, limit=2_000)
    records = [r for stage, row in items for r in buffer.add(stage, row)]
    assert records and buffer.total < 2_000   # written on the way, not only at the end
    records += buffer.flush()
    assert not buffer.rows and buffer.total == 0
    found = sorted(row for (stage, lang), path, n in records for row in read_run(path))
    assert found == sorted(row for _, row in items)
    assert sum(n for _, _, n in records) == len(items)
    for (stage, lang), path, _ in records:
        assert stage == "" and {row[2] for row in read_run(path)} == {lang}


@pytest.mark.parametrize("limit", [500, 10**9])
def test_merged_shards_are_byte_identical_to_one_writer(tmp_path, limit):
    items = doc_rows(400)
    target_mb = 0.004   # several shards per language
    expected = one_shot(items, tmp_path / "once", DOCUMENTS, target_mb)
    folder = str(tmp_path / "runs")
    records = []
    for start in range(0, len(items), 70):   # bundles
        buffer = RunBuffer(folder, DOCUMENTS, limit=limit)
        records += [r for stage, row in items[start:start + 70] for r in buffer.add(stage, row)] + buffer.flush()
    routed: dict[tuple, list[str]] = {}
    for record in records:
        for key, path in shard_runs(record, sizes_of(items), target_mb, DOCUMENTS, folder):
            routed.setdefault(key, []).append(path)
    assert any(key[3] > 1 for key in routed)
    for key, paths in routed.items():
        merge_runs(key, paths, str(tmp_path / "twice"), DOCUMENTS, "parquet")
    assert tree(tmp_path / "twice") == expected and len(expected) > 2


def test_a_finished_shard_is_kept_without_reading_its_runs(tmp_path):
    items = doc_rows(20)
    key = ("", "sw", 0, 1)
    rows = [row for _, row in items if row[2] == "sw"]
    path, written, n = merge_runs(key, [write_run(rows, str(tmp_path / "runs"), DOCUMENTS)], str(tmp_path), DOCUMENTS, "parquet")
    assert written and n == len(rows)
    assert merge_runs(key, [str(tmp_path / "runs" / "gone.arrow")], str(tmp_path), DOCUMENTS, "parquet") == (path, False, 0)


def test_beam_write_shards_matches_one_writer_in_two_phases(tmp_path, monkeypatch):
    from roots.pipelines.beam_transforms import WriteShards

    monkeypatch.setattr(runs, "RUN_BYTES", 1_500)   # many runs per bundle (the DoFn runs in this process)
    kept = doc_rows(300)
    rejected = [(stage, (*row, "why", "detail")) for (_, row), stage in
                zip(doc_rows(120, seed=5), ["normalise", "lid"] * 60)]
    target_mb = 0.003
    expected = one_shot(kept, tmp_path / "once", DOCUMENTS, target_mb)
    expected.update(one_shot(rejected, tmp_path / "once", REJECTED, target_mb))
    sizes = sorted(sizes_of(kept + rejected).items())
    folder = str(tmp_path / "runs")
    with beam.Pipeline(options=PipelineOptions(["--runner=FnApiRunner"])) as p:
        size_pc = p | "Sizes" >> beam.Create(sizes)
        for name, kind, items in (("Kept", DOCUMENTS, kept), ("Rejected", REJECTED, rejected)):
            (p | f"Create{name}" >> beam.Create(items)
             | f"Write{name}" >> WriteShards(str(tmp_path / "twice"), kind, "parquet", target_mb, size_pc, folder))
    assert tree(tmp_path / "twice") == expected
    assert len(list(Path(folder).glob("run-*.arrow"))) > 10
    graph = beam.Pipeline(options=PipelineOptions(["--runner=FnApiRunner"]))
    (graph | beam.Create(kept) | "W" >> WriteShards(str(tmp_path / "x"), DOCUMENTS, "parquet", target_mb,
                                                      graph | "S" >> beam.Create(sizes), folder))
    labels = [t.full_label for t in graph._current_transform().parts[-1].parts]
    assert labels == ["W/WriteRuns", "W/ShardRuns", "W/GroupShards", "W/WriteShard"]
