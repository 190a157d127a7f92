"""The language registry: the packaged configs, their agreement with the ROOTS facts, and validation."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
import yaml

from roots.languages import (
    OPTIONAL_SECTIONS,
    LanguageConfigError,
    Registry,
    default_directory,
    format_table,
    load_registry,
)

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry()


@pytest.fixture
def configs(tmp_path: Path) -> Path:
    """A private copy of the packaged configs, for a test to break one file."""
    target = tmp_path / "language_configs"
    target.mkdir()
    for path in default_directory().glob("*.yaml"):
        shutil.copy(path, target / path.name)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _error(directory: Path) -> str:
    with pytest.raises(LanguageConfigError) as info:
        load_registry(directory)
    message = str(info.value)
    assert "\n" not in message
    return message


# --- the packaged registry ------------------------------------------------------------------------


def test_packaged_registry_counts(registry: Registry) -> None:
    assert len(registry.natural()) == 46
    assert len(registry.code_languages()) == 13
    assert len(registry) == 59
    assert registry.codes == sorted(registry.codes)
    assert [c.code for c in registry] == registry.codes
    assert all(c.code.startswith("code-") for c in registry.code_languages())
    assert not any(c.code.startswith("code-") for c in registry.natural())


def test_spot_facts(registry: Registry) -> None:
    sw = registry.get("sw")
    assert (sw.name, sw.family, sw.script, sw.flores, sw.spaces) == ("Swahili", "Niger-Congo", "Latn", "swh_Latn", True)
    assert sw.kind == "natural" and sw.is_natural and not sw.is_code
    assert sw.roots_share_percent == pytest.approx(0.015)
    assert sw.extensions == () and sw.roots_files_millions is None
    assert Path(sw.path).name == "sw.yaml"
    assert registry.get("zh-Hans").spaces is False
    assert registry.get("zh-Hant").spaces is False
    assert [c.code for c in registry.natural() if not c.spaces] == ["zh-Hans", "zh-Hant"]
    assert registry.get("eu").family == "Isolate"

    extensions = registry.extensions()
    assert extensions[".rs"] == "code-rust"
    assert extensions[".C"] == "code-cpp"
    assert extensions[".c"] == "code-c"
    assert extensions[".h"] == "code-c"
    assert extensions[".H"] == "code-cpp"
    assert ".PY" not in extensions  # case-sensitive

    shebangs = registry.shebangs()
    assert shebangs["python3"] == "code-python"
    assert shebangs["python"] == "code-python"
    assert shebangs["node"] == "code-javascript"
    assert shebangs["deno"] == "code-javascript"
    assert shebangs["luajit"] == "code-lua"
    assert registry.get("code-rust").shebangs == ()
    python = registry.get("code-python")
    assert python.is_code and python.script is None and python.spaces is None and python.flores is None


def test_container_protocol_and_unknown_codes(registry: Registry) -> None:
    assert "sw" in registry and "code-python" in registry
    assert "swa" not in registry and "python" not in registry
    assert registry["fr"] is registry.get("fr")
    with pytest.raises(KeyError) as info:
        registry.get("zh-hans")
    assert "'zh-Hans'" in str(info.value)
    with pytest.raises(KeyError) as info:
        registry.get("python")
    assert "'code-python'" in str(info.value)


def test_registry_is_cached_per_directory(registry: Registry, configs: Path) -> None:
    assert load_registry() is registry
    assert load_registry(default_directory()) is registry
    assert load_registry(str(default_directory())) is registry
    assert load_registry(configs) is not registry
    assert load_registry(configs).codes == registry.codes


def test_returned_maps_are_copies(registry: Registry) -> None:
    registry.extensions()[".py"] = "code-rust"
    registry.codes.append("xx")
    assert registry.extensions()[".py"] == "code-python"
    assert "xx" not in registry.codes


def test_format_table(registry: Registry) -> None:
    table = format_table(registry)
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["code", "name", "kind"]
    assert len(lines) == 2 + 59 + 1
    body = lines[2:-1]
    assert body[0].split()[0] == "en"  # the largest share first
    assert body[46].split()[0] == "code-java"  # then code by files
    tum = next(line for line in body if line.startswith("tum "))
    assert "0.00001 %" in tum and "tum_Latn" in tum  # never 1e-05
    cpp = next(line for line in body if line.startswith("code-cpp "))
    assert ".cpp .cc .cxx .hpp .hh .hxx .C .H" in cpp
    # aligned: the FLORES / extensions column starts at the same place on every row
    start = lines[0].index("FLORES")
    assert all(line[start - 2 : start] == "  " and line[start] != " " for line in body)


# --- agreement with the ROOTS facts ----------------------------------------------------------------


def _tsv(name: str) -> list[dict[str, str]]:
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"{path} is absent (development data lives in ../shared/data)")
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def test_natural_languages_match_roots_tsv(registry: Registry) -> None:
    rows = _tsv("roots_languages.tsv")
    assert len(rows) == 46
    assert sorted(r["code"] for r in rows) == [c.code for c in registry.natural()]
    for row in rows:
        config = registry.get(row["code"])
        assert config.kind == "natural"
        assert config.name == row["name"], row["code"]
        assert config.script == row["script"], row["code"]
        assert config.family == row["family"], row["code"]
        assert config.roots_share_percent == pytest.approx(float(row["roots_share_percent"])), row["code"]
        assert config.flores == row["flores"], row["code"]


def test_code_languages_match_roots_tsv(registry: Registry) -> None:
    rows = _tsv("roots_code_languages.tsv")
    assert len(rows) == 13
    assert sorted(r["code"] for r in rows) == [c.code for c in registry.code_languages()]
    for row in rows:
        config = registry.get(row["code"])
        assert config.kind == "code"
        assert config.name == row["name"], row["code"]
        assert list(config.extensions) == row["extensions"].split(), row["code"]
        assert config.roots_files_millions == pytest.approx(float(row["roots_files_millions"])), row["code"]
    assert sum(len(r["extensions"].split()) for r in rows) == len(registry.extensions())


# --- validation ----------------------------------------------------------------------------------


def test_copy_loads(configs: Path) -> None:
    assert len(load_registry(configs)) == 59


def test_misspelled_key(configs: Path) -> None:
    _edit(configs / "sw.yaml", "script:", "scirpt:")
    message = _error(configs)
    assert "sw.yaml" in message
    assert "'scirpt' is not a known key" in message
    assert "did you mean 'script'?" in message


def test_missing_key(configs: Path) -> None:
    _edit(configs / "sw.yaml", "family: Niger-Congo\n", "")
    message = _error(configs)
    assert "sw.yaml" in message and "missing key 'family'" in message


def test_missing_key_of_code_language(configs: Path) -> None:
    _edit(configs / "code-go.yaml", "shebangs: []", "")
    message = _error(configs)
    assert "code-go.yaml" in message and "missing key 'shebangs'" in message


def test_wrong_type(configs: Path) -> None:
    _edit(configs / "sw.yaml", "roots_share_percent: 0.015", "roots_share_percent: '0.015'")
    message = _error(configs)
    assert "sw.yaml" in message
    assert "key 'roots_share_percent' must be a number, got str" in message


def test_exponent_number_is_text_in_yaml(configs: Path) -> None:
    _edit(configs / "tum.yaml", "roots_share_percent: 0.00001", "roots_share_percent: 1e-5")
    message = _error(configs)
    assert "tum.yaml" in message and "key 'roots_share_percent' must be a number, got str" in message
    assert "plain decimal" in message


def test_wrong_type_boolean(configs: Path) -> None:
    _edit(configs / "zh-Hans.yaml", "spaces: false", "spaces: no-spaces")
    message = _error(configs)
    assert "zh-Hans.yaml" in message and "key 'spaces' must be a boolean" in message


def test_code_filename_mismatch(configs: Path) -> None:
    _edit(configs / "sw.yaml", "code: sw", "code: swa")
    message = _error(configs)
    assert "sw.yaml" in message
    assert "'code' is 'swa' but the file is named sw.yaml" in message


def test_invalid_yaml(configs: Path) -> None:
    _edit(configs / "fr.yaml", "name: French", "name: [French")
    message = _error(configs)
    assert "fr.yaml" in message and "invalid YAML at line" in message


def test_duplicate_key_in_one_file(configs: Path) -> None:
    _edit(configs / "fr.yaml", "family: Indo-European\n", "family: Indo-European\nfamily: Romance\n")
    message = _error(configs)
    assert "fr.yaml" in message and "key 'family' is given twice" in message


def test_not_a_mapping(configs: Path) -> None:
    (configs / "fr.yaml").write_text("- French\n- fr\n", encoding="utf-8")
    message = _error(configs)
    assert "fr.yaml" in message and "expected a mapping" in message and "got list" in message


def test_duplicate_extension_names_both_files(configs: Path) -> None:
    _edit(configs / "code-rust.yaml", '[".rs"]', '[".rs", ".h"]')
    message = _error(configs)
    assert "code-c.yaml" in message and "code-rust.yaml" in message
    assert "'.h'" in message and "key 'extensions'" in message


def test_extension_case_is_significant(configs: Path) -> None:
    _edit(configs / "code-rust.yaml", '[".rs"]', '[".rs", ".PY"]')
    assert load_registry(configs).extensions()[".PY"] == "code-rust"


def test_duplicate_shebang_names_both_files(configs: Path) -> None:
    _edit(configs / "code-ruby.yaml", "shebangs: [ruby]", "shebangs: [ruby, node]")
    message = _error(configs)
    assert "code-javascript.yaml" in message and "code-ruby.yaml" in message and "'node'" in message


def test_extension_must_start_with_dot(configs: Path) -> None:
    _edit(configs / "code-rust.yaml", '[".rs"]', '["rs"]')
    message = _error(configs)
    assert "code-rust.yaml" in message and "key 'extensions'" in message and "start with '.'" in message


def test_script_must_be_title_case(configs: Path) -> None:
    _edit(configs / "sw.yaml", "script: Latn", "script: LATN")
    message = _error(configs)
    assert "sw.yaml" in message and "key 'script'" in message


def test_key_of_the_other_kind(configs: Path) -> None:
    _edit(configs / "sw.yaml", "flores: swh_Latn\n", "flores: swh_Latn\nextensions: ['.sw']\n")
    message = _error(configs)
    assert "sw.yaml" in message and "key 'extensions' is only for kind 'code'" in message


def test_unknown_kind(configs: Path) -> None:
    _edit(configs / "sw.yaml", "kind: natural", "kind: human")
    message = _error(configs)
    assert "sw.yaml" in message and "key 'kind'" in message


def test_optional_sections_are_kept_raw(configs: Path) -> None:
    before = load_registry().get("sw").sections
    free = next(name for name in OPTIONAL_SECTIONS if name not in before)   # one the shipped file lacks
    _edit(configs / "sw.yaml", "flores: swh_Latn\n", f"flores: swh_Latn\n{free}:\n  weight: 0.25\n  note: test\n")
    sw = load_registry(configs).get("sw")
    assert sw.sections == {**before, free: {"weight": 0.25, "note": "test"}}
    assert load_registry(configs).get("fr").sections == load_registry().get("fr").sections
    assert set(OPTIONAL_SECTIONS) >= {"lid", "filters", "perplexity", "pii", "sampling", "stopwords", "flagged_words"}


def test_optional_section_must_be_a_mapping(configs: Path) -> None:
    path = configs / "sw.yaml"
    core = {k: v for k, v in yaml.safe_load(path.read_text(encoding="utf-8")).items() if k not in OPTIONAL_SECTIONS}
    path.write_text(yaml.safe_dump(core, allow_unicode=True) + "filters: 0.5\n", encoding="utf-8")
    message = _error(configs)
    assert "sw.yaml" in message and "section 'filters' must be a mapping, got float" in message
