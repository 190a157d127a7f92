"""The source-code tree reader: one record per file, language from the registry, every rejection reason."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from roots.document import (BINARY_FILE, REASONS, UNKNOWN_LANGUAGE, UNREADABLE_FILE, VENDORED_FILE, Document,
                            Rejection)
from roots.io.base import SourceError, SourceSpec
from roots.io.code import (CODE, FILE_TOO_LARGE, SYMLINK_OUTSIDE_TREE, expand_code_tree, interpreter_of_shebang,
                           language_of_name, language_of_shebang, language_maps, read_code_file)

PY = "def main() -> None:\n    print('hello')\n"


def _write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A small project: code in several languages and one file for each way a file is rejected."""
    root = tmp_path / "proj"
    _write(root / "src" / "app.py", PY)
    _write(root / "src" / "util.rs", "fn main() {}\n")
    _write(root / "src" / "legacy.C", "int main() { return 0; }\n")
    _write(root / "src" / "lib.c", "int f(void) { return 1; }\n")
    _write(root / "web" / "index.ts", "export const x: number = 1;\n")
    _write(root / "bin" / "tool", "#!/usr/bin/env python3\nprint('tool')\n")
    _write(root / "bin" / "serve", "#!/usr/bin/env -S node --experimental-modules\nconsole.log(1)\n")
    _write(root / "node_modules" / "left-pad" / "index.js", "module.exports = 1;\n")
    _write(root / "assets" / "logo.bin", b"\x89PNG\r\n\x1a\n\0\0\0binary")
    _write(root / "data" / "big.py", "x = 1\n" * 100)  # 600 bytes, over max_file_bytes=200
    _write(root / "latin1.py", "# caf\xe9\n".encode("latin-1"))
    _write(root / "README.md", "# proj\n\nA project.\n")
    _write(tmp_path / "outside" / "secret.py", "TOKEN = 'x'\n")
    os.symlink(tmp_path / "outside" / "secret.py", root / "src" / "escape.py")
    os.symlink(root / "src" / "missing.py", root / "src" / "broken.py")
    os.symlink("../bin/tool", root / "src" / "tool_link")
    return root


def _spec(root: Path, **options) -> SourceSpec:
    return SourceSpec("code", str(root), "code", license="MIT", options={"max_file_bytes": 200, **options})


def _read_all(spec: SourceSpec) -> dict[str, Document | Rejection]:
    records = {}
    for unit in CODE.expand(spec):
        out = list(CODE.read(spec, unit))
        assert len(out) == 1, f"{unit} gave {len(out)} records"
        rec = out[0]
        doc = rec.doc if isinstance(rec, Rejection) else rec
        records[doc.meta["path"]] = rec
    return records


def _outcome(rec: Document | Rejection) -> str:
    return rec.reason.code if isinstance(rec, Rejection) else rec.lang


def test_every_file_gets_its_outcome(tree: Path) -> None:
    spec = _spec(tree)
    units = expand_code_tree(spec)
    records = _read_all(spec)
    assert len(records) == len(units) == 15
    assert {path: _outcome(rec) for path, rec in records.items()} == {
        "src/app.py": "code-python",
        "src/util.rs": "code-rust",
        "src/legacy.C": "code-cpp",
        "src/lib.c": "code-c",
        "web/index.ts": "code-typescript",
        "bin/tool": "code-python",
        "bin/serve": "code-javascript",
        "src/tool_link": "code-python",
        "node_modules/left-pad/index.js": VENDORED_FILE.code,
        "assets/logo.bin": BINARY_FILE.code,
        "data/big.py": FILE_TOO_LARGE.code,
        "latin1.py": BINARY_FILE.code,
        "README.md": UNKNOWN_LANGUAGE.code,
        "src/escape.py": SYMLINK_OUTSIDE_TREE.code,
        "src/broken.py": SYMLINK_OUTSIDE_TREE.code,
    }


def test_documents_carry_text_and_meta(tree: Path) -> None:
    records = _read_all(_spec(tree))
    doc = records["src/app.py"]
    assert isinstance(doc, Document)
    assert doc.text == PY and doc.source == "code" and doc.id == "code/src/app.py#0"
    assert doc.meta == {"file": "src/app.py", "path": "src/app.py", "size": len(PY), "license": "MIT"}
    link = records["src/tool_link"]
    assert isinstance(link, Document)
    assert link.text.startswith("#!/usr/bin/env python3") and link.meta["symlink_to"] == "bin/tool"


def test_rejections_of_unread_files_carry_no_bytes(tree: Path) -> None:
    records = _read_all(_spec(tree))
    for path in ("assets/logo.bin", "data/big.py", "latin1.py", "node_modules/left-pad/index.js", "src/escape.py"):
        rej = records[path]
        assert isinstance(rej, Rejection) and rej.doc.text == "", path
    assert records["data/big.py"].doc.meta["size"] == 600
    assert records["data/big.py"].doc.lang == "code-python"  # known by name, so counted under its language
    assert records["assets/logo.bin"].doc.meta["size"] == (tree / "assets" / "logo.bin").stat().st_size
    readme = records["README.md"]
    assert readme.doc.text == "# proj\n\nA project.\n" and readme.doc.lang == ""


def test_symlink_outside_is_not_followed(tree: Path) -> None:
    rej = _read_all(_spec(tree))["src/escape.py"]
    assert isinstance(rej, Rejection) and "outside the tree" in rej.detail
    assert "TOKEN" not in rej.doc.text


def test_vendored_dirs_option_replaces_the_defaults(tree: Path) -> None:
    records = _read_all(_spec(tree, vendored_dirs=["web"]))
    assert _outcome(records["node_modules/left-pad/index.js"]) == "code-javascript"
    assert _outcome(records["web/index.ts"]) == VENDORED_FILE.code


def test_vendored_name_above_the_tree_root_does_not_count(tmp_path: Path) -> None:
    root = tmp_path / "build" / "proj"
    _write(root / "main.go", "package main\n")
    spec = SourceSpec("code", str(root), "code")
    [rec] = [r for u in expand_code_tree(spec) for r in read_code_file(spec, u)]
    assert isinstance(rec, Document) and rec.lang == "code-go"


def test_glob_of_trees(tmp_path: Path) -> None:
    _write(tmp_path / "repos" / "a" / "x.py", PY)
    _write(tmp_path / "repos" / "b" / "vendor" / "y.py", PY)
    _write(tmp_path / "repos" / "b" / "z.rb", "puts 1\n")
    spec = SourceSpec("code", str(tmp_path / "repos" / "*"), "code")
    out = {}
    for unit in expand_code_tree(spec):
        [rec] = read_code_file(spec, unit)
        doc = rec.doc if isinstance(rec, Rejection) else rec
        out[doc.meta["file"]] = (doc.meta["path"], _outcome(rec))
    assert out == {"a/x.py": ("x.py", "code-python"), "b/vendor/y.py": ("vendor/y.py", VENDORED_FILE.code),
                   "b/z.rb": ("z.rb", "code-ruby")}


def test_missing_path_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError):
        expand_code_tree(SourceSpec("code", str(tmp_path / "nope"), "code"))
    with pytest.raises(SourceError):
        expand_code_tree(SourceSpec("code", str(tmp_path / "nope*"), "code"))


def test_unreadable_file_gives_one_record(tree: Path) -> None:
    spec = _spec(tree)
    unit = str(tree / "src" / "app.py")
    os.chmod(unit, 0)
    try:
        if os.access(unit, os.R_OK):
            pytest.skip("running as root: permissions are not enforced")
        [rec] = read_code_file(spec, unit)
        assert isinstance(rec, Rejection) and rec.reason == UNREADABLE_FILE
    finally:
        os.chmod(unit, 0o644)


def test_file_gone_after_expand_is_unreadable(tree: Path) -> None:
    spec = _spec(tree)
    units = expand_code_tree(spec)
    os.remove(tree / "src" / "app.py")
    [rec] = read_code_file(spec, next(u for u in units if u.endswith("app.py")))
    assert isinstance(rec, Rejection) and rec.reason == UNREADABLE_FILE


def test_symlink_loop_and_fifo_give_one_record_each(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    _write(root / "a.py", PY)
    os.symlink("loop", root / "loop")
    os.mkfifo(root / "pipe")
    spec = SourceSpec("code", str(root), "code")
    records = {u.rsplit("/", 1)[-1]: list(read_code_file(spec, u)) for u in expand_code_tree(spec)}
    assert {name: [_outcome(r) for r in recs] for name, recs in records.items()} == {
        "a.py": ["code-python"], "loop": [SYMLINK_OUTSIDE_TREE.code], "pipe": [UNREADABLE_FILE.code]}


@pytest.mark.parametrize("line, interpreter", [
    ("#!/usr/bin/env python3", "python3"),
    ("#!/usr/bin/python", "python"),
    ("#! /usr/local/bin/python3.11 -u", "python3.11"),
    ("#!/usr/bin/env -S node --flag", "node"),
    ("#!/usr/bin/env -u HOME LANG=C ruby -w", "ruby"),
    ("#!/bin/sh", "sh"),
    ("#!", None),
    ("# not a shebang", None),
])
def test_interpreter_of_shebang(line: str, interpreter: str | None) -> None:
    assert interpreter_of_shebang(line) == interpreter


def test_shebang_and_extension_languages() -> None:
    extensions, shebangs = language_maps()
    assert language_of_shebang("#!/usr/bin/env python3.11", shebangs) == "code-python"
    assert language_of_shebang("#!/usr/bin/lua5.3", shebangs) == "code-lua"
    assert language_of_shebang("#!/bin/bash", shebangs) is None
    assert language_of_name("x.C", extensions) == "code-cpp"
    assert language_of_name("x.c", extensions) == "code-c"
    assert language_of_name("x.PY", extensions) is None  # extensions are case-sensitive
    assert language_of_name(".bashrc", extensions) is None
    assert language_of_name("archive.tar.py", extensions) == "code-python"


def test_new_reasons_are_registered() -> None:
    assert REASONS["bad_input:file_too_large"] is FILE_TOO_LARGE
    assert REASONS["bad_input:symlink_outside_tree"] is SYMLINK_OUTSIDE_TREE


def test_a_language_added_by_overlay_is_detected(tmp_path: Path) -> None:
    """A run's overlay may add a programming language: the code reader detects it by the run registry's
    extensions and shebangs (carried in the source spec to every worker), not the packaged ones only."""
    from roots.config import load_config

    overlay = tmp_path / "langs"
    _write(overlay / "code-zig.yaml", "version: 1\ncode: code-zig\nname: Zig\nkind: code\nextensions: ['.zig']\n"
                                      "shebangs: [zig]\nroots_files_millions: 0\n")
    root = tmp_path / "proj"
    _write(root / "main.zig", "const std = @import(\"std\");\npub fn main() void {}\n")
    _write(root / "run", "#!/usr/bin/env zig\nconst x = 1;\n")
    _write(root / "app.py", PY)
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"name: zig\nlanguage_configs: {overlay}\noutput: {tmp_path / 'out'}\n"
                   f"sources:\n  - {{name: code, path: {root}, format: code, license: MIT}}\n", encoding="utf-8")
    spec = load_config(str(cfg)).sources[0]
    assert dict(spec.code_maps[0])[".zig"] == "code-zig"
    assert "code_maps" not in spec.to_dict()       # the config hash does not change; the ingest step key does
    outcomes = {path: _outcome(rec) for path, rec in _read_all(spec).items()}
    assert outcomes == {"main.zig": "code-zig", "run": "code-zig", "app.py": "code-python"}
    # without the run's maps (a spec built by hand), the packaged registry decides: Zig is unknown
    plain = {p: _outcome(r) for p, r in _read_all(SourceSpec("code", str(root), "code", license="MIT")).items()}
    assert plain["main.zig"] == UNKNOWN_LANGUAGE.code and plain["app.py"] == "code-python"
