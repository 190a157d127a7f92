"""`roots doctor`: what of roots's optional pieces this machine has, and how to get each missing one.

The core (readers, normalisation, the Beam pipeline, dedup, PII, SentencePiece) comes with
`pip install`; a few pieces live outside any wheel or in an extra. A user who sees a filter "off" or a
command fail should not have to read the source to learn why: this lists them in one table.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Check:
    """One optional piece: what it is for, whether it is here (and where), and how to get it."""

    name: str
    needed_for: str
    found: str | None
    how: str


def _module(name: str) -> str | None:
    """Where an importable module lives, found without importing it (None when it is not installed)."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    return spec.origin or (list(spec.submodule_search_locations or [""])[0]) or name


def _program(name: str) -> str | None:
    """A program on PATH or next to this Python (where tools/build_kenlm.sh installs KenLM's)."""
    return shutil.which(name) or shutil.which(name, path=os.path.dirname(sys.executable))


def _java() -> str | None:
    """The Java runtime Spark needs (`java -version`'s first line), or None."""
    java = shutil.which("java") or (os.path.join(os.environ["JAVA_HOME"], "bin", "java")
                                    if os.environ.get("JAVA_HOME") else None)
    if not java or not os.path.exists(java):
        return None
    try:
        proc = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    first = (proc.stderr or proc.stdout).strip().splitlines()
    return f"{java} ({first[0]})" if first else java


def _lid176() -> str | None:
    from roots.errors import RootsError
    from roots.lid import lid176_path

    try:
        return lid176_path()
    except RootsError:
        return None


def _bundled_lid() -> str | None:
    from roots.lid import BUNDLED_MODEL

    return str(BUNDLED_MODEL) if BUNDLED_MODEL.is_file() else None


def _spacy_languages() -> str | None:
    """How many registry languages have a spaCy tokenizer (the `blank` ones need no download)."""
    if _module("spacy") is None:
        return None
    from roots.filters.words import spacy_code
    from roots.languages import load_registry

    codes = [c.code for c in load_registry().natural()]
    have = [c for c in codes if _has_spacy_lang(spacy_code(c))]
    return f"spaCy {_version('spacy')}: rule-based tokenizers for {len(have)} of {len(codes)} natural languages"


def _has_spacy_lang(code: str) -> bool:
    return importlib.util.find_spec(f"spacy.lang.{code}") is not None


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


def checks() -> list[Check]:
    """Every optional piece, in the order a run meets them."""
    from roots import DISTRIBUTION as dist
    from roots.perplexity import build_kenlm_command

    kenlm = (f"{build_kenlm_command()}  (needs cmake, a C++ compiler, Boost, zlib/bz2/lzma dev packages), "
             "or the Docker image, which has them")
    pieces: list[tuple[str, str, Callable[[], str | None], str]] = [
        ("lid.176 model", "language ID (`lid: {lid176: true}`)", _lid176,
         f"ships inside the roots package (roots/models/lid.176.ftz); reinstall {dist}"),
        ("roots LID model", "language ID of the 21 languages lid.176 lacks, and junk (`lid: {model: bundled}`)",
         _bundled_lid, f"ships inside the roots package; reinstall {dist}, or train one with `roots lid train`"),
        ("spaCy tokenizers", "word splitting in the quality filters", _spacy_languages,
         f"comes with {dist} (spacy); languages without one split on whitespace"),
        ("lmplz", "`roots lm train` (perplexity models)", lambda: _program("lmplz"), kenlm),
        ("build_binary", "`roots lm train` (perplexity models)", lambda: _program("build_binary"), kenlm),
        ("kenlm module", "perplexity scoring", lambda: _module("kenlm"), f"comes with {dist} (kenlm); pip install kenlm"),
        ("matplotlib", "`roots datacard` plots", lambda: _module("matplotlib"), f"comes with {dist}; pip install matplotlib"),
        ("pyspark", "`roots run --engine spark`", lambda: _module("pyspark"), f"pip install '{dist}[spark]'"),
        ("Java", "`roots run --engine spark` (Spark's JVM)", _java,
         "install a Java 17 runtime (Debian: apt-get install openjdk-17-jre-headless) or set JAVA_HOME"),
        ("torch", "`roots train` / `roots generate`", lambda: _module("torch"),
         f"pip install '{dist}[trainer]'  (pins a CPU-compatible torch)"),
        ("nbconvert", "running the notebooks (`jupyter nbconvert --execute`)", lambda: _module("nbconvert"),
         f"pip install '{dist}[notebooks]'"),
        ("ipykernel", "the notebooks' Python kernel", lambda: _module("ipykernel"), f"pip install '{dist}[notebooks]'"),
        ("gcsfs", "gs:// run directories and inputs", lambda: _module("gcsfs"), f"pip install '{dist}[dataflow]'"),
    ]
    return [Check(name, needed_for, probe(), how) for name, needed_for, probe, how in pieces]


def format_checks(found: list[Check]) -> str:
    """A plain table: one line per piece, `ok` with where it is, or `missing` with how to get it."""
    width = max(len(c.name) for c in found)
    lines = []
    for c in found:
        state = "ok     " if c.found else "missing"
        detail = c.found if c.found else f"for {c.needed_for}: {c.how}"
        lines.append(f"{c.name:<{width}}  {state}  {detail}")
    return "\n".join(lines)


def register(sub: argparse._SubParsersAction) -> None:
    doctor = sub.add_parser("doctor", help="report which optional pieces are installed and how to get the others",
                            description="Report roots's optional pieces (KenLM programs, LID models, Java for "
                                        "Spark, spaCy, torch, notebook tools): where each is, or how to get it. "
                                        "Exit code 0 always; a missing piece only turns its feature off.")
    doctor.set_defaults(handler=cmd_doctor)


def cmd_doctor(args: argparse.Namespace) -> int:
    from roots import DISTRIBUTION, __version__

    print(f"roots {__version__} (pip: {DISTRIBUTION}), Python {sys.version.split()[0]} at {sys.executable}")
    print(format_checks(checks()))
    return 0
