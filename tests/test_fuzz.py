"""Property-based tests (issue 15): generated malformed input thrown at the readers and at a run.

Whatever the bytes of a JSONL line or the schema of a Parquet file, a reader raises nothing and
accounts for every record (one record out per non-blank line or row), every rejection carries a
registered reason and a one-line detail, and a run's manifest balances `input = kept + rejected` at
every stage. Examples are derandomised so the suite gives the same verdict on every machine."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roots.document import REASONS, Document, Rejection
from roots.pipelines.plan import rejected_row, write_rows
from roots.rundir import REJECTED
from roots.io.base import SourceSpec
from roots.io.formats import FORMATS

FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=60,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# --- what a line may hold ------------------------------------------------------------------------

#: Strings with lone surrogates and other odd code points among ordinary ones.
odd_text = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF)
                   | st.integers(0xD800, 0xDFFF).map(chr), max_size=30)   # hypothesis never draws surrogates itself
json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | odd_text
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(odd_text, inner, max_size=4), max_leaves=12)


def _escaped(value: object) -> bytes:
    """JSON text of `value`, lone surrogates written as `\\udXXX` escapes (what JSON allows)."""
    return json.dumps(value, ensure_ascii=True, allow_nan=True).encode("ascii")


@st.composite
def nested(draw) -> bytes:
    """A value nested from 1 to 3,000 levels deep, as arrays or objects, closed or not."""
    depth = draw(st.integers(1, 3000))
    if draw(st.booleans()):
        value = b"[" * depth + b"1" + b"]" * depth
    else:
        value = b'{"a":' * depth + b"1" + b"}" * depth
    return value if draw(st.booleans()) else value[:draw(st.integers(0, len(value)))]


@st.composite
def records(draw) -> bytes:
    """An object line whose fields (text, id, meta) hold any JSON value, deep nesting or surrogates."""
    fields = {"text": draw(json_values | odd_text), "id": draw(json_values), "meta": draw(json_values)}
    parts = [_escaped(k) + b":" + _escaped(v) for k, v in fields.items() if draw(st.booleans())]
    if draw(st.booleans()):
        parts.append(draw(st.sampled_from([b'"text"', b'"id"', b'"meta"', b'"x"'])) + b":" + draw(nested()))
    return b"{" + b",".join(parts) + b"}"


@st.composite
def broken(draw) -> bytes:
    """A valid line cut short, or with bytes spliced in."""
    line = draw(records())
    cut = draw(st.integers(0, len(line)))
    return line[:cut] + draw(st.binary(max_size=8)) + line[cut + draw(st.integers(0, 4)):]


lines = st.one_of(
    st.binary(max_size=200),                                   # random bytes
    records(), broken(), nested(),
    json_values.map(_escaped),                                 # a value that is not an object
    st.sampled_from([b"", b"   ", b"\r", b"\xef\xbb\xbf{}", b'{"text": NaN}', b'{"text": "\\ud800"}',
                     b'{"text": "\\udfff", "id": "\\ud800"}', b"\xff\xfe", b'{"text": "a\\u0000b"}']),
).map(lambda b: b.replace(b"\n", b" "))


def _expected(content_lines: list[bytes]) -> int:
    """The records a JSONL reader yields: one per line that is not blank (as `read_jsonl` judges)."""
    return sum(1 for line in content_lines if line.rstrip(b"\r\n").strip())


def _check(records: list, expected: int) -> None:
    assert len(records) == expected
    assert all(isinstance(r, (Document, Rejection)) for r in records)
    rejections = [r for r in records if isinstance(r, Rejection)]
    for r in rejections:
        assert r.reason.code in REASONS and "\n" not in r.detail
    with tempfile.TemporaryDirectory() as out:   # what every engine's writer stores: no lone surrogate, no exception
        write_rows(("ingest", "und", 0, 1), [rejected_row(("ingest", r))[1] for r in rejections], out, REJECTED, "parquet")


@FUZZ
@given(content=st.lists(lines, max_size=12), id_field=st.sampled_from([None, "id"]))
def test_jsonl_reader_accounts_for_every_line(content: list[bytes], id_field: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "in.jsonl")
        Path(path).write_bytes(b"\n".join(content))
        spec = SourceSpec("s", path, "jsonl", id_field=id_field)
        _check(list(FORMATS["jsonl"].records(spec, path)), _expected(content))


# --- Parquet files of odd schemas ----------------------------------------------------------------

_COLUMNS = {
    "string": lambda n, d: pa.array(d(st.lists(st.text(max_size=20) | st.none(), min_size=n, max_size=n)), pa.string()),
    "large_string": lambda n, d: pa.array(d(st.lists(st.text(max_size=20), min_size=n, max_size=n)), pa.large_string()),
    "binary": lambda n, d: pa.array(d(st.lists(st.binary(max_size=20) | st.none(), min_size=n, max_size=n)), pa.binary()),
    "int": lambda n, d: pa.array(d(st.lists(st.integers(-2**63, 2**63 - 1) | st.none(), min_size=n, max_size=n)), pa.int64()),
    "float": lambda n, d: pa.array(d(st.lists(st.floats() | st.none(), min_size=n, max_size=n)), pa.float64()),
    "bool": lambda n, d: pa.array(d(st.lists(st.booleans(), min_size=n, max_size=n)), pa.bool_()),
    "null": lambda n, d: pa.nulls(n),
    "list": lambda n, d: pa.array(d(st.lists(st.lists(st.integers(0, 9), max_size=3) | st.none(), min_size=n, max_size=n)),
                                  pa.list_(pa.int64())),
    "struct": lambda n, d: pa.array([{"a": i, "b": {"c": str(i)}} for i in range(n)]),
    "map": lambda n, d: pa.array([[("k", i)] for i in range(n)], pa.map_(pa.string(), pa.int64())),
    "dictionary": lambda n, d: pa.array([str(i % 3) for i in range(n)]).dictionary_encode(),
    "timestamp": lambda n, d: pa.array(list(range(n)), pa.timestamp("ms")),
    "decimal": lambda n, d: pa.array([i for i in range(n)], pa.decimal128(10, 2)),
    "date": lambda n, d: pa.array(list(range(n)), pa.date32()),
}


@FUZZ
@given(data=st.data(), rows=st.integers(0, 6),
       names=st.lists(st.sampled_from(["text", "id", "meta", "url", "", "text "]), unique=True, max_size=4),
       id_field=st.sampled_from([None, "id"]))
def test_parquet_reader_accounts_for_every_row(data, rows: int, names: list[str], id_field: str | None) -> None:
    columns = {name: _COLUMNS[data.draw(st.sampled_from(sorted(_COLUMNS)))](rows, data.draw) for name in names}
    table = pa.table(columns) if columns else pa.table({"other": pa.nulls(rows)})
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "in.parquet")
        pq.write_table(table, path, row_group_size=data.draw(st.integers(1, 8)))
        spec = SourceSpec("s", path, "parquet", id_field=id_field)
        _check(list(FORMATS["parquet"].records(spec, path)), rows)


# --- a whole run ---------------------------------------------------------------------------------


@settings(FUZZ, max_examples=3)
@given(content=st.lists(lines, min_size=1, max_size=15))
def test_a_run_balances_every_stage(content: list[bytes]) -> None:
    from roots.config import load_config
    from roots.pipelines.runner import run
    from roots.stats import totals

    good = [json.dumps({"id": f"g{i}", "text": f"Ujumbe mzuri namba {i} kwa wote hapa."}).encode() for i in range(3)]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        (data / "in.jsonl").write_bytes(b"\n".join(content + good) + b"\n")
        config = {"name": "t", "output": str(Path(tmp) / "run"), "quality": {"enabled": False},
                  "sources": [{"name": "s", "format": "jsonl", "path": "data/*.jsonl", "lang": "sw",
                               "id_field": "id"}]}
        (Path(tmp) / "run.yaml").write_text(yaml.safe_dump(config))
        manifest = run(load_config(str(Path(tmp) / "run.yaml")))
        steps = manifest.steps
        first = steps[next(iter(s for s in steps if "ingest" in steps[s].get("counts", {})))]
        assert totals(first["counts"]["ingest"])["input"] == _expected(content + good)
        for step in steps.values():
            for stage, counts in step.get("counts", {}).items():
                t = totals(counts)
                assert t["input"] == t["kept"] + t["rejected"], (stage, t)
