"""What a finished run should tell its user even though it succeeded: a source from which nothing
survived (a wrong `text_field`, the wrong language, a broken file), and languages whose Megatron
files are too small for Megatron's default train/valid/test split. Kept in the manifest's `warnings`,
printed in the summary; `roots run --strict` turns them into exit status 2."""
from __future__ import annotations

from collections import Counter
from typing import Any

from roots.document import MISSING_FIELD, SCHEMA_MISMATCH
from roots.rundir import REJECTED, find_shards, read_table

#: Below this many documents, Megatron's `--split 98,1,1` leaves a split empty and GPTDataset's
#: epoch count loops forever (README, "Megatron").
MEGATRON_MIN_DOCUMENTS = 50


def rejection_reasons(run_dir: str, source: str) -> Counter:
    """Rejected documents of one source by reason, read from RUN/rejected (source and reason only)."""
    reasons: Counter = Counter()
    for path in find_shards(run_dir, REJECTED, stage="*"):
        table = read_table(path, ["source", "reason"])
        pairs = zip(table.column("source").to_pylist(), table.column("reason").to_pylist())
        reasons.update(reason for src, reason in pairs if src == source)
    return reasons


def source_warnings(config: Any, kept_by_source: dict[str, int]) -> list[str]:
    """One line per configured source with no kept document, naming its most common rejections."""
    out = []
    for spec in config.sources:
        if kept_by_source.get(spec.name, 0):
            continue
        reasons = rejection_reasons(config.output, spec.name)
        n = sum(reasons.values())
        why = ", ".join(f"{reason} {count:,}" for reason, count in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:3])
        top = reasons.most_common(1)[0][0] if reasons else ""
        hint = (f" (is text_field {spec.text_field!r} the records' text field?)"
                if top in (MISSING_FIELD.code, SCHEMA_MISMATCH.code) else "")
        out.append(f"source {spec.name!r}: nothing survived of {n:,} records: {why}{hint}" if n else
                   f"source {spec.name!r}: no records read (are its files empty?)")
    return out


def megatron_warnings(info: dict[str, Any] | None) -> list[str]:
    """One line naming the languages whose Megatron files hold too few documents for a 98,1,1 split."""
    if not info or "languages" not in info:
        return []
    small = [f"{lang} {cell['documents']}" for lang, cell in sorted(info["languages"].items())
             if cell.get("documents", 0) < MEGATRON_MIN_DOCUMENTS]
    if not small:
        return []
    listed = ", ".join(small[:8]) + (f" and {len(small) - 8} more" if len(small) > 8 else "")
    return [f"megatron: {len(small)} language file(s) hold fewer than {MEGATRON_MIN_DOCUMENTS} documents ({listed}): "
            "Megatron's --split 98,1,1 loops on such a file; blend them with other languages or train them with "
            "--split 100,0,0"]


def run_warnings(config: Any, kept_by_source: dict[str, int] | None, megatron: dict[str, Any] | None) -> list[str]:
    """Every warning of a finished run, in a stable order."""
    found = source_warnings(config, kept_by_source) if kept_by_source is not None else []
    return found + megatron_warnings(megatron)
