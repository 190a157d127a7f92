"""Counts per stage, language and outcome, and the run manifest that records them with the config,
its hash, the library versions and each step's status (the manifest is what a rerun resumes from)."""
from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Iterable

from roots import DISTRIBUTION, __version__, fs
from roots.document import utf8_size
from roots.errors import RootsError
from roots.rundir import MANIFEST, read_json, write_json

KEPT = "kept"
#: A count key: (stage, language directory, outcome) where outcome is KEPT or a reason code.
CountKey = tuple[str, str, str]


def nbytes(text: str) -> int:
    """UTF-8 bytes of a text as the counts, the manifest and the shard counts measure it (one
    definition for every engine, here so that a Spark worker running dedup need not import the plan).
    `replace` (a lone surrogate counts 1 byte), as Beam and Spark counted since the start: the other spelling
    (`surrogatepass`, 3 bytes) would change the recorded counts of a run whose input held one."""
    try:
        return utf8_size(text)   # the common case, remembered for the next count of the same text
    except UnicodeEncodeError:
        return len(text.encode("utf-8", errors="replace"))


def add_counts(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    """Sum two (documents, bytes) pairs."""
    return a[0] + b[0], a[1] + b[1]


def counts_table(entries: Iterable[tuple[CountKey, tuple[int, int]]], stage_order: list[str]) -> dict[str, Any]:
    """Nest flat counts as {stage: {lang: {input, kept, rejected: {reason: ...}}}}, each a
    {docs, bytes} pair, with input = kept + rejected by construction and stages in run order."""
    table: dict[str, dict[str, dict[str, Any]]] = {s: {} for s in stage_order}
    zero = {"docs": 0, "bytes": 0}
    for (stage, lang, outcome), (docs, nbytes) in sorted(entries):
        cell = table.setdefault(stage, {}).setdefault(lang, {"input": dict(zero), KEPT: dict(zero), "rejected": {}})
        target = cell[KEPT] if outcome == KEPT else cell["rejected"].setdefault(outcome, dict(zero))
        target["docs"] += docs
        target["bytes"] += nbytes
        cell["input"]["docs"] += docs
        cell["input"]["bytes"] += nbytes
    return table


def totals(stage_counts: dict[str, Any]) -> dict[str, int]:
    """A stage's documents in, kept and rejected, over all languages."""
    out = {"input": 0, KEPT: 0, "rejected": 0}
    for cell in stage_counts.values():
        out["input"] += cell["input"]["docs"]
        out[KEPT] += cell[KEPT]["docs"]
        out["rejected"] += sum(r["docs"] for r in cell["rejected"].values())
    return out


def stage_counts(steps: dict[str, Any]) -> dict[str, Any]:
    """Every stage's counts across the steps of a manifest, in run order (each step's `stages` list:
    the manifest file stores its keys sorted)."""
    return {stage: info["counts"][stage] for info in steps.values() if "counts" in info
            for stage in info["stages"]}


def library_versions() -> dict[str, str]:
    """Versions of Python and the libraries that decide the outputs, for the manifest."""
    # roots itself by its distribution name (what `pip install` takes), its version from the code that ran.
    versions = {"python": platform.python_version(), DISTRIBUTION: __version__}
    for dist in ("apache-beam", "pyarrow", "xxhash", "trafilatura", "warcio", "sentencepiece",
                 "fasttext-numpy2-wheel", "phonenumbers", "python-stdnum"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    return versions


#: The steps of a run in their order (the manifest stores steps by name); others follow.
STEP_ORDER = ("templates", "ingest", "curate", "dedup", "pii", "tokenizer", "megatron")


def ordered_steps(manifest: dict[str, Any]) -> list[str]:
    """The manifest's steps in run order (it stores them by name)."""
    steps = list(manifest.get("steps", {}))
    return sorted(steps, key=lambda s: (STEP_ORDER.index(s) if s in STEP_ORDER else len(STEP_ORDER), s))


class ManifestError(RootsError):
    """The output folder holds a run that this one must not mix with."""


@dataclass
class Manifest:
    """`RUN/manifest.json`: the config and its hash, versions, and per-step status and counts."""

    path: str
    config: dict[str, Any]
    config_hash: str
    steps: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=library_versions)
    #: The digests `config_hash` combines (roots.fingerprint): config, inputs, models.
    fingerprint: dict[str, str] = field(default_factory=dict)
    #: What the finished run should tell its user (roots.run_warnings), recomputed at each run's end.
    warnings: list[str] = field(default_factory=list)
    #: Per step, the digest of the language-config content it reads (roots.stepkeys), recorded in the
    #: step's entry as it completes: a rerun recomputes the steps whose digest changed.
    step_keys: dict[str, str] = field(default_factory=dict)

    @classmethod
    def open(cls, run_dir: str, config: dict[str, Any], config_hash: str,
             fingerprint: dict[str, str] | None = None) -> "Manifest":
        """The manifest of `run_dir`, created if new; refuses a folder holding a run of another config,
        other inputs or other models, naming what changed (changed language configs are not refused:
        roots.stepkeys recomputes the steps that read them)."""
        path = os.path.join(run_dir, MANIFEST)
        if not fs.exists(path):
            return cls(path, config, config_hash, fingerprint=dict(fingerprint or {}))
        data = read_json(path)
        if data.get("config_hash") != config_hash:
            before = data.get("fingerprint") or {}
            changed = [k for k in (fingerprint or {}) if k in before and before[k] != fingerprint[k]]
            what = (f"its {', '.join(k.replace('_', ' ') for k in changed)} changed since" if changed
                    else f"hash {data.get('config_hash')}, this one {config_hash}")
            raise ManifestError(
                f"{path}: this folder holds another run ({what}); resuming would mix the two: choose another "
                "--output or delete the folder")
        return cls(path, config, config_hash, steps=data.get("steps", {}), fingerprint=dict(fingerprint or {}),
                   warnings=list(data.get("warnings", [])))

    def is_complete(self, step: str) -> bool:
        return self.steps.get(step, {}).get("status") == "complete"

    def start(self, step: str) -> None:
        self.steps[step] = {"status": "running"}
        self.save()

    def complete(self, step: str, info: dict[str, Any]) -> None:
        keyed = {"language_configs": self.step_keys[step]} if step in self.step_keys else {}
        self.steps[step] = {"status": "complete", **info, **keyed}
        self.save()

    def save(self) -> None:
        write_json(self.path, {"config": self.config, "config_hash": self.config_hash,
                               "fingerprint": self.fingerprint, "versions": self.versions, "steps": self.steps,
                               "warnings": self.warnings})


def format_summary(step_counts: dict[str, Any]) -> str:
    """A short plain-text account of one step: per stage, documents in, kept, rejected by reason."""
    lines = [f"{'stage':<12}{'input':>9}{'kept':>9}{'rejected':>10}  reasons"]
    for stage, by_lang in step_counts.items():
        t = totals(by_lang)
        reasons: dict[str, int] = {}
        for cell in by_lang.values():
            for reason, n in cell["rejected"].items():
                reasons[reason] = reasons.get(reason, 0) + n["docs"]
        detail = ", ".join(f"{r} {n}" for r, n in sorted(reasons.items()))
        lines.append(f"{stage:<12}{t['input']:>9}{t[KEPT]:>9}{t['rejected']:>10}  {detail}")
    langs = sorted({lang for by_lang in step_counts.values() for lang in by_lang})
    lines.append(f"languages: {len(langs)} ({', '.join(langs)})")
    return "\n".join(lines)
