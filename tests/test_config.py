"""Run config validation: every mistake is one line naming the file and the key, before any work."""
from __future__ import annotations

import os

import pytest
import yaml

from roots.config import ConfigError, load_config

BASE = {"name": "t", "sources": [{"name": "s", "format": "jsonl", "path": "data.jsonl", "lang": "sw"}]}


def write(tmp_path, data) -> str:
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return str(path)


def test_valid_config_resolves_paths_and_hash(tmp_path):
    cfg = load_config(write(tmp_path, BASE))
    assert cfg.sources[0].path == os.path.join(str(tmp_path), "data.jsonl")
    assert cfg.output == "runs/t" and cfg.output_format == "parquet"
    other = load_config(write(tmp_path, BASE), output="elsewhere")
    assert other.hash() == cfg.hash()                       # where the output goes is not part of the hash
    changed = load_config(write(tmp_path, {**BASE, "shard_target_mb": 1}))
    assert changed.hash() != cfg.hash()


@pytest.mark.parametrize("data,message", [
    ({**BASE, "sorces": []}, "key 'sorces' is not a known key (did you mean 'sources'?)"),
    ({"name": "t"}, "missing key 'sources'"),
    ({**BASE, "shard_target_mb": "big"}, "key 'shard_target_mb' must be a positive number, got str 'big'"),
    ({**BASE, "output_format": "csv"}, "key 'output_format' must be one of parquet, jsonl, got 'csv'"),
    ({**BASE, "normalise": {"max_byte": 3}}, "normalise: key 'max_byte' is not a known key (did you mean 'max_bytes'?)"),
    ({"name": "t", "sources": [{"name": "s", "format": "csv", "path": "x"}]}, "source 's': format 'csv' is not one of"),
    ({"name": "t", "sources": [{"name": "s", "format": "jsonl", "path": "x", "lang": "swa"}]},
     "source 's': lang 'swa' is not in the language registry (did you mean 'sw'?)"),
    ({"name": "t", "sources": [{"name": "s", "format": "jsonl", "path": "x", "txt_field": "a"}]},
     "key 'txt_field' is not a known key (did you mean 'text_field'?)"),
    ({"name": "t", "sources": [BASE["sources"][0], BASE["sources"][0]]}, "source name 's' is used twice"),
    ({"name": "t", "sources": []}, "key 'sources' is empty"),
    ("name: t\nsources: [\n", "invalid YAML at line"),
])
def test_bad_configs(tmp_path, data, message):
    path = write(tmp_path, data)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(path) and message in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(str(tmp_path / "nope.yaml"))
