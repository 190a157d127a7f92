"""The core (`roots/`) imports neither the filters, the pipelines nor an engine: dependencies point one way,
pipelines → filters → core (ARCHITECTURE.md §2). The CLI layer (`roots/commands/`) and the lazy entry
points are above it. A part of a core output that needs the filters is supplied from above: the data card's
quality section lives in roots.filters.tuning.card and `roots datacard` hands it to the core's card."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "roots"
FORBIDDEN = re.compile(r"^(roots\.filters|roots\.pipelines|apache_beam|pyspark)(\.|:|$)")
#: The CLI layer; the package's lazy entry points (`roots.run` → roots.pipelines.api).
EXEMPT = ("commands/", "__init__.py")
IMPORTERS = {"import_module", "__import__", "find_spec"}


def core_modules() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if not str(p.relative_to(ROOT)).startswith(EXEMPT))


def forbidden_imports(path: Path) -> list[str]:
    """Each import (at any depth: a lazy one counts too) of a forbidden module, and each string naming one
    as an import target (`"roots.filters.x:Cls"`, `importlib.import_module("roots.pipelines...")`); a
    logger's name or prose that mentions a module is not an import."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    imported = {id(n.args[0]) for n in ast.walk(tree) if isinstance(n, ast.Call) and n.args
                and getattr(n.func, "attr", getattr(n.func, "id", "")) in IMPORTERS}
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                id(node) in imported or re.fullmatch(r"[\w.]+:[\w.]+", node.value)):
            names = [node.value]
        found += [f"{path.name}:{node.lineno}: {n}" for n in names if FORBIDDEN.match(n)]
    return found


def test_the_scan_sees_every_kind_of_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('"""Mentions roots.filters in prose, which is fine."""\nimport apache_beam as beam\n'
                   "logging.getLogger('apache_beam')\n"
                   "def f():\n    from roots.pipelines.local import run\n    from roots import filters\n"
                   "    return importlib.import_module('roots.filters.quality')\n"
                   "SECTIONS = {'quality': 'roots.filters.quality:QualityConfig'}\n")
    found = [line.rsplit(": ", 1)[1] for line in forbidden_imports(bad)]
    assert sorted(found) == ["apache_beam", "roots.filters", "roots.filters.quality",
                             "roots.filters.quality:QualityConfig", "roots.pipelines.local", "roots.pipelines.local.run"]


@pytest.mark.parametrize("path", core_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_core_imports_no_filters_pipelines_or_engine(path):
    assert forbidden_imports(path) == []


ENGINES = re.compile(r"^(apache_beam|pyspark)(\.|:|$)")


@pytest.mark.parametrize("path", sorted((ROOT / "commands").glob("*.py")), ids=lambda p: p.name)
def test_the_cli_layer_reaches_engines_only_through_the_pipelines(path):
    """`roots/commands/` may call roots.pipelines (the engine adapters), never Beam or Spark itself."""
    assert [f for f in forbidden_imports(path) if ENGINES.match(f.rsplit(": ", 1)[1])] == []
