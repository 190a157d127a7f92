"""Writing tuned thresholds back: new values for the `filters:` section of a language's file in a
language-config overlay (a user's folder, never the installed package), as a unified diff first, the
text edited line by line so comments and every other key stay as they are, each value's source note
saying it was tuned by hand, when, on which run and what it was before; validated, then written
atomically."""
from __future__ import annotations

import datetime as _dt
import difflib
import logging
import os
import re
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from roots.display import py, quoted
from roots.filters.tuning.load import config_filters, default_overlay, lang_config, read_manifest, run_name
from roots.filters.tuning.specs import TuningError, plain

log = logging.getLogger(__name__)


TUNED = "tuned by hand"


_TUNED_RE = re.compile(r"^tuned by hand on .*?; before: (?P<value>\S+) from (?P<source>.*)$", re.S)


@dataclass(frozen=True)
class Proposal:
    """New values for a language config's `filters:` section: the file, its text before and after,
    and the changes (key → (before, after)). Nothing is written until `apply_thresholds`."""

    lang: str
    path: str
    old_text: str
    new_text: str
    changes: dict[str, tuple[Any, Any]]

    @property
    def diff(self) -> str:
        """The unified diff of the change (empty when nothing changes)."""
        return "".join(difflib.unified_diff(self.old_text.splitlines(True), self.new_text.splitlines(True),
                                            fromfile=self.path, tofile=self.path))

    def _repr_markdown_(self) -> str:
        return f"```diff\n{self.diff}```" if self.diff else f"{self.path}: no change"


_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:(.*)$")


def _section_span(lines: list[str], name: str) -> tuple[int, int] | None:
    """(first body line, end) of a top-level block mapping `name:` (end excludes trailing blank lines)."""
    for i, line in enumerate(lines):
        m = _TOP_KEY.match(line)
        if m and m.group(1) == name:
            rest = m.group(2).split("#", 1)[0].strip()
            if rest:
                raise TuningError(f"section {name!r} is written in flow style ({rest[:20]}...); "
                                  f"write it as a block (one key a line) to edit it")
            end = i + 1
            while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t"):
                end += 1
            while end > i + 1 and not lines[end - 1].strip():
                end -= 1
            return i + 1, end
    return None


def _entries(lines: list[str], start: int, end: int) -> tuple[str, dict[str, tuple[int, int]]]:
    """The indentation of a section's entries and each key's (first line, end line)."""
    indent = None
    for line in lines[start:end]:
        if line.strip() and not line.lstrip().startswith("#"):
            indent = line[: len(line) - len(line.lstrip())]
            break
    indent = indent or "  "
    spans: dict[str, tuple[int, int]] = {}
    entry = re.compile(rf"^{re.escape(indent)}([A-Za-z_]\w*)\s*:")
    i = start
    while i < end:
        m = entry.match(lines[i])
        if not m:
            i += 1
            continue
        j = i + 1
        while j < end and (not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > len(indent)):
            j += 1
        while j > i + 1 and not lines[j - 1].strip():
            j -= 1
        spans[m.group(1)] = (i, j)
        i = j
    return indent, spans


def _tuned_source(date: str, run: str, old_value: Any, old_source: str) -> str:
    """The source note of a value tuned by hand; a retune keeps the value and source from before any tuning."""
    m = _TUNED_RE.match(old_source or "")
    before, origin = (m.group("value"), m.group("source")) if m else (plain(old_value), old_source)
    on = f" on run {run}" if run else ""
    return f"{TUNED} on {date} with roots.filters.tuning{on}; before: {before} from {origin}"


def _overlay_file(lang: str, language_configs: str | os.PathLike | None, run_dir: str | os.PathLike | None) -> str:
    """`<overlay>/<lang>.yaml`, refused when it lies inside the installed package (its configs are
    replaced by every upgrade and shared by every user: tuned values go to a user's overlay)."""
    from roots.languages import is_packaged

    folder = os.path.abspath(language_configs or default_overlay(run_dir))
    if is_packaged(folder):
        raise TuningError(f"{folder}: inside the installed roots package; tuned thresholds go to an overlay folder "
                          f"of your own (name it with `language_configs:` in the run config)")
    return os.path.join(folder, f"{lang}.yaml")


def propose_thresholds(lang: str, values: dict[str, Any], language_configs: str | os.PathLike | None = None,
                       run_dir: str | None = None, today: _dt.date | str | None = None) -> Proposal:
    """New `filters:` values for `lang` in its file of the overlay folder `language_configs` (default:
    `default_overlay(run_dir)`; the file is made when missing), each with its source note updated to say
    it was tuned by hand (when, on which run, and what it was before). Only those entries change; the
    new text is validated (merged over the packaged config it loads, the values parse to what was
    asked, every other key is untouched)."""
    from roots.filters.params import CodeFilters, NaturalFilters

    path = _overlay_file(lang, language_configs, run_dir)
    overlay = os.path.dirname(path)
    config = lang_config(lang, overlay)
    if config is None:
        raise TuningError(f"unknown language {lang!r} in the registry (packaged configs + overlay {overlay})")
    old_text = Path(path).read_text(encoding="utf-8") if os.path.isfile(path) else ""
    cls = CodeFilters if config.is_code else NaturalFilters
    known = [f.name for f in fields(cls) if f.name != "sources"]
    values = {k: py(v) for k, v in values.items()}
    for key in values:
        if key not in known:
            raise TuningError(f"{path}: key 'filters.{key}' is not a filter setting of a {config.kind} language "
                              f"(known: {', '.join(known)})")
    section = config.sections.get("filters", {})
    current = config_filters(lang, overlay)
    run = run_name(read_manifest(run_dir)) if run_dir else ""
    date = (today if isinstance(today, str) else (today or _dt.date.today()).isoformat())

    lines = old_text.splitlines(True) or [
        f"# {config.name} ({lang}): keys merged over the packaged language config (see roots/languages.py,\n",
        "# overlays); written by roots.filters.tuning.\n"]
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    span = _section_span(lines, "filters")
    if span is None:
        lines += ["filters:  # quality filters (filters/quality.py, filters/params.py): value and source of each\n"]
        span = (len(lines), len(lines))
    indent, spans = _entries(lines, *span)
    changes: dict[str, tuple[Any, Any]] = {}
    replaced: dict[int, tuple[int, str]] = {}   # first line → (end line, new line)
    appended: list[str] = []
    for key in sorted(values, key=known.index):
        new = values[key]
        old = getattr(current, key)
        raw = section.get(key)
        if isinstance(raw, dict):
            old_value, old_source = raw.get("value"), raw.get("source", "") or "language config"
        elif key in section:
            old_value, old_source = raw, "language config"
        else:
            old_value, old_source = old, current.sources.get(key, "")
        if _same(old_value, new):
            continue
        changes[key] = (old_value, new)
        line = f"{indent}{key}: {{value: {plain(new)}, source: {quoted(_tuned_source(date, run, old_value, old_source))}}}\n"
        if key in spans:
            replaced[spans[key][0]] = (spans[key][1], line)
        else:
            appended.append(line)
    out: list[str] = []
    i = 0
    while i < len(lines):
        if i in replaced:
            end, line = replaced[i]
            out.append(line)
            i = end
            continue
        if i == span[1] and appended:
            out += appended
            appended = []
        out.append(lines[i])
        i += 1
    out += appended
    new_text = "".join(out) if changes else old_text   # no change: not even a new file's header
    proposal = Proposal(lang, path, old_text, new_text, changes)
    if changes:
        _validate(proposal, values)
    return proposal


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a is b or a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return a == b


def _validate(proposal: Proposal, values: dict[str, Any]) -> None:
    """The new text loads merged over the packaged config, holds the values asked for, and differs from
    the old only in those entries."""
    from roots.filters.params import parse_filters
    from roots.languages import LanguageConfigError, default_directory, load_layered

    shipped = default_directory() / f"{proposal.lang}.yaml"
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / Path(proposal.path).name
        probe.write_text(proposal.new_text, encoding="utf-8")
        try:
            new = parse_filters(load_layered(shipped if shipped.is_file() else None, probe))
        except LanguageConfigError as err:
            raise TuningError(f"{proposal.path}: the new values do not validate: {str(err).split(': ', 1)[-1]}") from None
    for key in proposal.changes:
        got = getattr(new, key)
        if not _same(got if not isinstance(got, tuple) else list(got), values[key]):
            raise TuningError(f"{proposal.path}: filters.{key} would read {got!r}, not {values[key]!r}")
    old_data, new_data = yaml.safe_load(proposal.old_text) or {}, yaml.safe_load(proposal.new_text) or {}
    old_filters, new_filters = old_data.pop("filters", {}) or {}, new_data.pop("filters", {}) or {}
    if old_data != new_data or any(old_filters.get(k) != new_filters.get(k)
                                   for k in set(old_filters) | set(new_filters) if k not in proposal.changes):
        raise TuningError(f"{proposal.path}: the edit would touch more than filters.{', filters.'.join(proposal.changes)}")


def apply_thresholds(proposal: Proposal, confirm: bool = True) -> str:
    """Write a proposal to its overlay file (atomically; the folder made when missing), unless `confirm`
    is false or it changes nothing; refuses a file inside the installed package, and a file that changed
    since the proposal was made. Returns what was done."""
    if not proposal.changes:
        return f"{proposal.path}: no change"
    if not confirm:
        return f"{proposal.path}: not written (confirm is false); {len(proposal.changes)} value(s) proposed"
    from roots.languages import is_packaged, load_registry

    if is_packaged(proposal.path):
        raise TuningError(f"{proposal.path}: inside the installed roots package; tuned thresholds go to an "
                          "overlay folder of your own (name it with `language_configs:` in the run config)")
    current = Path(proposal.path).read_text(encoding="utf-8") if os.path.isfile(proposal.path) else ""
    if current != proposal.old_text:
        raise TuningError(f"{proposal.path}: the file changed since the diff was made; propose the values again")
    os.makedirs(os.path.dirname(proposal.path), exist_ok=True)
    tmp = f"{proposal.path}.tmp-{os.getpid()}"
    Path(tmp).write_text(proposal.new_text, encoding="utf-8")
    os.replace(tmp, proposal.path)
    load_registry.cache_clear()
    changed = ", ".join(f"{k}: {plain(a)} → {plain(b)}" for k, (a, b) in proposal.changes.items())
    log.info("%s: wrote %s", proposal.path, changed)
    return f"{proposal.path}: wrote {changed}"


def write_thresholds(lang: str, values: dict[str, Any], language_configs: str | os.PathLike | None = None,
                     run_dir: str | None = None, today: _dt.date | str | None = None) -> Proposal:
    """Propose and apply in one call (the diff is in the returned proposal); see `propose_thresholds`
    for where the values go."""
    proposal = propose_thresholds(lang, values, language_configs, run_dir, today)
    apply_thresholds(proposal)
    return proposal

