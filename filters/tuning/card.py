"""The data card's quality section, next to the tuning package it reads: the thresholds the run applied
per language and filter and where each came from (the language config, ROOTS's parameters, an overlay,
the run config), and each filter statistic across languages against its threshold (one PNG per
statistic). The core card (roots.datacard) knows nothing of the filters; whoever builds the whole card
passes `SECTION` to it (`roots datacard`, notebooks/corpus_overview.ipynb)."""
from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from roots.datacard import KEPT, OTHER, REMOVED, Run, Section, details, strip_absolute_paths
from roots.display import Markdown, markdown_table, new_figure, plain
from roots.errors import RootsError
from roots.filters.tuning.load import StatTable, load_statistics, run_overlay, thresholds_from_policy
from roots.filters.tuning.specs import QUALITY, SPECS, STATISTICS, Threshold

log = logging.getLogger(__name__)

PLOT_STATISTIC = "statistic_{}.png"
ABSENT = "No quality stage in this run: no quality filter was applied."


def _quality(run: Run) -> tuple[str, dict] | None:
    """The step that ran the quality stage and its policy (as the manifest records it), None without one."""
    for step, stage in run.stages:
        if stage == QUALITY:
            policy = run.manifest["steps"][step].get(f"{QUALITY}_policy")
            return step, policy or {}
    return None


def thresholds(run: Run) -> dict[str, dict[str, Threshold]]:
    """Per language, the thresholds the run applied and where each came from."""
    found = _quality(run)
    if found is None:
        return {}
    _, policy = found
    overrides = (run.config.get(QUALITY) or {}).get("languages") or {}
    out = {}
    ran = set(run.languages)  # the policy covers every configured language; the card, the run's only
    for lang in sorted(l for l in policy.get("languages", {}) if l in ran):
        try:
            out[lang] = thresholds_from_policy(lang, policy, run_overlay(run.manifest),
                                                      overrides=overrides.get(lang))
        except RootsError as err:  # a config that no longer parses: the values in force still show
            log.warning("%s: sources of the thresholds unavailable: %s", lang, err)
    return out


def thresholds_tables(run: Run) -> tuple[Markdown, Markdown]:
    """(values in force per language and filter, where each value came from)."""
    found = _quality(run)
    if found is None:
        return Markdown(ABSENT), Markdown("")
    by_lang = thresholds(run)
    names = [s.name for s in STATISTICS if any(s.name in t for t in by_lang.values())]
    natural = [n for n in names if SPECS[n].kind == "natural"]
    code = [n for n in names if SPECS[n].kind == "code"]
    parts = []
    for kind, cols in (("natural", natural), ("code", code)):
        rows = []
        for lang, ts in by_lang.items():
            if not ts or next(iter(ts.values())).spec.kind != kind:
                continue
            rows.append([lang] + [("–" if n not in ts else ts[n].describe() if ts[n].on else "off") for n in cols])
        if rows:
            parts.append(markdown_table(["lang"] + cols, rows))   # by statistic: a rule may bound several
    _, policy = found
    head = (f"Statistics computed for every document: {'yes' if policy.get('compute_all', True) else 'no (stopped at the first failing filter)'}"
            f"; ROOTS's maps applied first: {'yes' if policy.get('apply_maps', True) else 'no'}.")
    values = Markdown(head + "\n\n" + "\n\n".join(parts))
    rows = []
    entries = policy.get("languages", {})
    for lang, ts in by_lang.items():
        listed: set[str] = set()
        for name, t in ts.items():
            if t.on:
                for key in t.spec.keys:
                    listed.add(key)
                    rows.append([lang, key, plain(t.values.get(key)), strip_absolute_paths(t.sources.get(key, ""))])
                # the rule's other settings in force, e.g. the percentile a perplexity cut-off came from
                entry = entries.get(lang, {}).get("filters", {}).get(t.spec.filter, {})
                for key, value in entry.items():
                    if key in listed or key in ("on", "when", "why", "source") or key.endswith("_n"):
                        continue
                    listed.add(key)
                    rows.append([lang, key, plain(value), strip_absolute_paths(
                        (entry.get("source") or {}).get(key) or "language config")])
            elif t.spec.filter not in listed:
                listed.add(t.spec.filter)
                rows.append([lang, t.spec.filter, "off", t.why])
    return values, Markdown(markdown_table(["lang", "key", "value", "source (or why off)"], rows))


def statistic_tables(run: Run) -> dict[str, StatTable]:
    """Every language's statistics at the quality stage (empty without a quality stage)."""
    found = _quality(run)
    if found is None:
        return {}
    step, policy = found
    out = {}
    for lang in sorted(run.manifest["steps"][step]["counts"][QUALITY]):
        if lang not in policy.get("languages", {}):
            continue
        try:
            out[lang] = load_statistics(run.path, lang)
        except RootsError as err:
            log.warning("%s: statistics unavailable: %s", lang, err)
    return out


def plot_statistic(tables: dict[str, StatTable], statistic: str, max_points: int = 300):
    """One statistic across languages: each document a dot (kept, removed by this filter, removed by
    another), the 5–95 % range as a line, and the language's bounds as black ticks (dotted when off)."""
    from matplotlib.collections import LineCollection

    spec = SPECS[statistic]
    rows = [(lang, t) for lang, t in tables.items()
            if statistic in t.values and np.isfinite(t.values[statistic]).any()]
    fig = new_figure(8, max(2.6, 0.24 * len(rows) + 1.3))
    ax = fig.add_subplot()
    reason = f"{QUALITY}:{spec.filter}"
    xs, ys, kinds, ranges, on, off = [], [], [], [], [], []
    for y, (lang, t) in enumerate(rows):
        x = t.values[statistic]
        have = np.flatnonzero(np.isfinite(x))
        if len(have) > max_points:
            have = have[np.linspace(0, len(have) - 1, max_points).astype(int)]
        v = x[have]
        lo, hi = np.percentile(v, [5, 95])
        ranges.append([(lo, y), (hi, y)])
        xs.append(v)
        ys.append(y + ((np.arange(len(have)) * 0.618034) % 1.0 - 0.5) * 0.5)  # deterministic jitter
        kinds.append(np.array([0 if not t.reasons[i].startswith(f"{QUALITY}:") else 1 if t.reasons[i] == reason
                               else 2 for i in have], dtype=np.int8))
        th = t.thresholds.get(statistic)
        for key in (spec.lower_key, spec.upper_key):
            value = th.values.get(key) if th is not None and key else None
            if value is not None:
                (on if th.on else off).append([(value, y - 0.42), (value, y + 0.42)])
    ax.add_collection(LineCollection(ranges, colors="#888888", linewidths=1, zorder=1))
    if rows:
        x, y, kind = np.concatenate(xs), np.concatenate(ys), np.concatenate(kinds)
        for k, colour, label in ((0, KEPT, "kept"), (1, REMOVED, f"removed by {spec.filter}"),
                                 (2, OTHER, "removed by another filter")):
            if (kind == k).any():
                ax.scatter(x[kind == k], y[kind == k], s=9, color=colour, zorder=2, label=label, linewidths=0)
    for segments, style, label in ((on, "solid", "threshold"), (off, "dotted", "threshold (filter off)")):
        if segments:
            ax.add_collection(LineCollection(segments, colors="black", linewidths=1.5, linestyles=style, zorder=3,
                                             label=label))
    ax.autoscale_view()
    if spec.log and all((t.values[statistic][np.isfinite(t.values[statistic])] > 0).all() for _, t in rows):
        ax.set_xscale("log")
    ax.set_yticks(range(len(rows)), [lang for lang, _ in rows], fontsize=7)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.invert_yaxis()
    ax.set_xlabel(f"{statistic}: {spec.label}")
    ax.set_title(f"{statistic} per language, with each language's threshold", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    if rows:
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def statistic_names(tables: dict[str, StatTable]) -> list[str]:
    """The numeric statistics present in any language, in ROOTS's filter order."""
    return [s.name for s in STATISTICS if not s.flag
            and any(s.name in t.values and np.isfinite(t.values[s.name]).any() for t in tables.values())]


def statistic_figures(tables: dict[str, StatTable]) -> list:
    """`plot_statistic` for every statistic present."""
    return [plot_statistic(tables, name) for name in statistic_names(tables)]


def figures(run: Run) -> Iterator[tuple[str, Any]]:
    """The section's plots, (file name, figure), one statistic at a time."""
    tables = statistic_tables(run)
    for name in statistic_names(tables):
        yield PLOT_STATISTIC.format(name), plot_statistic(tables, name)


def markdown(run: Run, plots: Mapping[str, str]) -> Markdown:
    """The section's body: the values in force, where each came from, and the statistics' plots among `plots`."""
    values, sources = thresholds_tables(run)
    stats = [PLOT_STATISTIC.format(s.name) for s in STATISTICS if PLOT_STATISTIC.format(s.name) in plots]
    parts = [
        values,
        details("Where each threshold came from", sources) if sources else "",
        "Each statistic's distribution per language, with the threshold in force:" if stats else "",
        "\n\n".join(f"![{p}]({p})" for p in stats),
    ]
    return Markdown("\n\n".join(p for p in parts if p))


#: The quality filters' part of the card, after the language identification's, as the stages run.
SECTION = Section(title="Quality filters", after="Language identification", markdown=markdown, figures=figures)
