"""Which language-config content each step of a run reads, as one digest per step, and the reset of the
steps whose digest changed since a previous run into the same folder.

A run's identity (roots.fingerprint) covers its config, inputs and models: a change there refuses a rerun
into the folder. The language configs (the packaged ones and a run's `language_configs:` overlay) are
instead keyed per step: a changed quality threshold recomputes the curate step, which applies it, and the
steps after it, and skips the steps before; a changed `sampling:` weight recomputes only the tokenizer and
the binaries. Each step's key is recorded in the manifest when it completes (`language_configs`).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import fields
from typing import Any, Iterable

from roots import fs
from roots.languages import OPTIONAL_SECTIONS, LanguageConfig, Registry

log = logging.getLogger(__name__)

#: The manifest key of a step's language-config digest.
KEY = "language_configs"
#: The language-config sections each step reads, besides the top-level keys (code, kind, script, spaces,
#: extensions, ...) which any step may read. None: the step reads no language config (never reset by
#: one). A step not named here (a user stage's) is taken to read every section.
STEP_SECTIONS: dict[str, tuple[str, ...] | None] = {
    "templates": None,                        # template lines of the raw sources: no language involved
    "ingest": (),                             # readers: code extensions and shebangs, lang_field codes
    "curate": ("lid", "filters", "stopwords", "flagged_words", "perplexity"),  # LID, quality filters
    "dedup": (),                              # shingles by kind and spaces
    "pii": ("pii",),                          # detectors, phone regions, national ids
    "tokenizer": ("sampling",),               # tokenizer_weight of the training sample
    "megatron": ("sampling",),                # training_weight of the blend
}
#: The big files (language models) hashed by size and modification time rather than content.
_CONTENT_LIMIT = 16 * 1024 * 1024
_TOP_FIELDS = tuple(f.name for f in fields(LanguageConfig) if f.name not in ("path", "sections"))


def _files(value: Any, folder: str) -> Iterable[str]:
    """The existing files and folders that string values of a section name (relative to `folder`)."""
    if isinstance(value, dict):
        for v in value.values():
            yield from _files(v, folder)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _files(v, folder)
    elif isinstance(value, str) and value and "\n" not in value and len(value) < 4096:
        path = value if os.path.isabs(value) else os.path.join(folder, value)
        if os.sep in value or "." in value:   # a file name, not a word or a model label
            if os.path.exists(path):
                yield os.path.normpath(path)


def _file_digest(path: str) -> list[Any]:
    """A file by content (by size and mtime when large); a folder by each file under it."""
    out: list[Any] = []
    for file in [path] if os.path.isfile(path) else sorted(fs.files_under(path)):
        st = os.stat(file)
        if st.st_size <= _CONTENT_LIMIT:
            with open(file, "rb") as fh:
                out.append([os.path.basename(file), hashlib.sha256(fh.read()).hexdigest()])
        else:
            out.append([os.path.basename(file), st.st_size, st.st_mtime_ns])
    return out


def _portable(value: Any, folder: str) -> Any:
    """`value` with each string naming an existing file reduced to its base name (the file's content
    is keyed apart), so that a key does not depend on where roots or the overlay is installed."""
    if isinstance(value, dict):
        return {k: _portable(v, folder) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_portable(v, folder) for v in value]
    if isinstance(value, str) and list(_files(value, folder)):
        return os.path.basename(value)
    return value


def _language_part(lang: LanguageConfig, sections: tuple[str, ...]) -> dict[str, Any]:
    """What a step reads of one language: its top-level keys, the sections named, the files they name."""
    folder = os.path.dirname(os.path.abspath(lang.path))
    chosen = {name: lang.sections[name] for name in sections if name in lang.sections}
    return {"top": {k: getattr(lang, k) for k in _TOP_FIELDS}, "sections": _portable(chosen, folder),
            "files": [[os.path.basename(p), _file_digest(p)] for p in sorted(set(_files(chosen, folder)))]}


def step_key(registry: Registry, step: str) -> str | None:
    """The digest of the language-config content `step` reads (None: it reads none)."""
    sections = STEP_SECTIONS.get(step, OPTIONAL_SECTIONS)
    if sections is None:
        return None
    data = [[lang.code, _language_part(lang, sections)] for lang in registry]
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def step_keys(registry: Registry, steps: Iterable[str]) -> dict[str, str]:
    """`step_key` of each step that reads the language configs."""
    keys = {step: step_key(registry, step) for step in steps}
    return {step: key for step, key in keys.items() if key is not None}


def _step_outputs(run_dir: str, step: str, info: dict[str, Any], final_step: str) -> list[str]:
    """What a completed step wrote under RUN: its intermediate documents, its stages' rejections, its
    statistics, and RUN/documents for the last document step; the tokenizer's and binaries' folders."""
    if step in ("tokenizer", "megatron"):
        return [os.path.join(run_dir, step)]
    out = [os.path.join(run_dir, "steps", step)]
    out += [os.path.join(run_dir, "rejected", f"stage={stage}") for stage in info.get("stages", [])]
    out += fs.glob(os.path.join(run_dir, "stats", f"{step}.*"))
    if step == final_step:
        out.append(os.path.join(run_dir, "documents"))
    return out


def reset_changed_steps(manifest: Any, registry: Registry, order: list[str], inputs: dict[str, str | None],
                        run_dir: str) -> list[str]:
    """Set the manifest's step keys (recorded as each step completes) and reset every completed step
    whose key changed, with all steps after it: their manifest entries and outputs are removed so that
    this run recomputes them. `order` is the run's steps in order; `inputs` maps a document step to the
    step whose RUN/steps/ output it reads (None: the sources). When that output is gone (a run removes
    RUN/steps when it completes, the privacy boundary), the reset starts at the step that writes it.
    Returns the steps reset, in order."""
    keys = step_keys(registry, order)
    manifest.step_keys = keys
    changed = [s for s in order if s in keys and manifest.is_complete(s) and manifest.steps[s].get(KEY) != keys[s]]
    if not changed:
        return []
    start = changed[0]
    while inputs.get(start) and not fs.exists(os.path.join(run_dir, "steps", inputs[start], "documents")):
        start = inputs[start]   # its input is gone: recompute it from the step that writes it
    documents = [s for s in order if s in inputs]
    final_step = documents[-1] if documents else ""
    reset = [s for s in order[order.index(start):] if s in manifest.steps]
    for step in reset:
        for path in _step_outputs(run_dir, step, manifest.steps[step], final_step):
            if fs.isdir(path):
                fs.remove_tree(path)
            elif fs.exists(path):
                fs.remove(path)
        del manifest.steps[step]
    manifest.save()
    log.info("language configs changed for step %s: recomputing %s", changed[0], ", ".join(reset))
    return reset
