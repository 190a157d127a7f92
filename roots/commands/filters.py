"""`roots filter`, `roots lm train|score` and `roots resources stopwords`: the quality filters, the
perplexity models and the word lists, outside a pipeline."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

from roots.commands.overlay import add_option, registry_of
from roots.errors import RootsError

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    """Add `filter`, `lm` and `resources` to the `roots` command."""
    f = sub.add_parser(
        "filter", help="run the cleaning maps and quality filters of one language on JSONL files",
        description="Normalise, clean (optional catalogue operations) and quality-filter JSON Lines documents of "
                    "one language: kept documents to --output, rejected ones (with reason and detail) to "
                    "--rejected, every statistic in meta.quality. Thresholds come from the language config.")
    f.add_argument("--lang", required=True, help="a registry code (see `roots languages`)")
    f.add_argument("--input", required=True, nargs="+", help="JSON Lines files (.gz, .zst, .bz2, .xz decompressed)")
    f.add_argument("--output", required=True, help="JSON Lines file for kept documents")
    f.add_argument("--rejected", required=True, help="JSON Lines file for rejected documents")
    f.add_argument("--text-field", default="text", help="the field holding the text (default: text)")
    f.add_argument("--id-field", default="id", help="the field holding a record id, used where a record has it "
                   "(default: id; else the file name and line number)")
    f.add_argument("--web", action="store_true", help="the input is web text: remove boilerplate lines and reject "
                   "boilerplate pages first (the boilerplate stage of a run's web sources, its default settings)")
    f.add_argument("--lid", action="store_true", help="check the language with the LID stage first (lid.176 and our "
                   "bundled model, the language's calibrated minimum score; junk goes as lid:noise)")
    f.add_argument("--lm-dir", help="folder of `roots lm train` outputs, one subfolder per language")
    f.add_argument("--stopwords-dir", help="folder of <lang>.txt stopword lists (wins over spaCy's)")
    f.add_argument("--flagged-words-dir", help="folder of <lang>.txt flagged-word lists")
    f.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a filters setting of the language, e.g. --set max_perplexity=1200 (YAML value)")
    f.add_argument("--cleaning", default="", help="comma-separated catalogue operations applied first, in order "
                   "(remove_empty_docs, filter_small_docs, filter_small_docs_bytes, dedup_template, "
                   "remove_html_spans, replace_newlines, remove_lines_with_code)")
    f.add_argument("--stop-at-first", action="store_true",
                   help="stop computing statistics at the first failing filter (faster; histograms censored)")
    f.add_argument("--no-maps", action="store_true", help="skip ROOTS's maps (whitespace, URL and long words)")
    f.add_argument("--report", help="write the stage report (filters on/off, thresholds, sources, counts) as JSON")
    add_option(f)
    f.set_defaults(handler=cmd_filter)

    lm = sub.add_parser("lm", help="train and use KenLM + SentencePiece perplexity models",
                        description="Perplexity models as ROOTS and CCNet: SentencePiece pieces, a KenLM n-gram model.")
    lm_sub = lm.add_subparsers(dest="lm_command", required=True, metavar="ACTION")
    train = lm_sub.add_parser("train", help="train a SentencePiece model and a KenLM n-gram model",
                              description="Train DIR/sp.model and DIR/lm.binary (lmplz then build_binary; `roots doctor` "
                                          "prints the command that builds them) on text files (a document a line) or JSON Lines. "
                                          "Every 10th document is held back, scored with the new model, and its "
                                          "perplexity percentiles stored in DIR/lm.json, so that a cut-off can be "
                                          "chosen as a percentile of clean text (PerplexityModel.cutoff).")
    train.add_argument("--lang", required=True, help="a registry code")
    train.add_argument("--input", required=True, nargs="+", help="text files (a line each) or .jsonl[.gz] files")
    train.add_argument("--output", required=True, help="the model folder (e.g. models/lm/en)")
    train.add_argument("--text-field", default="text", help="the text field of JSON Lines input")
    train.add_argument("--vocab-size", type=int, default=8000, help="SentencePiece vocabulary size (default 8000; "
                       "a soft limit, smaller on little text)")
    train.add_argument("--order", type=int, default=5, help="n-gram order (default 5, as ROOTS and CCNet)")
    train.add_argument("--memory", default="10%", help="lmplz -S: memory for sorting, e.g. 10%% or 2G (default 10%%)")
    train.add_argument("--lowercase", action="store_true", help="lowercase text before training and scoring")
    train.add_argument("--keep-arpa", action="store_true", help="keep DIR/lm.arpa next to the binary")
    train.add_argument("--holdout-every", type=int, default=10, metavar="N",
                       help="hold back every Nth input document from training and store the perplexity "
                            "distribution of those in lm.json, for cut-offs by percentile (default 10; 0: none)")
    train.add_argument("--heldout", nargs="+", metavar="FILE",
                       help="score these files as the reference instead, and train on all of --input")
    train.add_argument("--group", type=int, default=1, metavar="K",
                       help="store the distribution of documents made of K held-back documents (drawn, "
                            "seeded) rather than of single ones (default 1; e.g. 5 when a document is one sentence)")
    train.set_defaults(handler=cmd_lm_train)
    score = lm_sub.add_parser("score", help="print the perplexity of each document",
                              description="Score documents (text lines or JSON Lines) with a model folder; prints "
                                          "one perplexity a line.")
    score.add_argument("--model", required=True, help="a folder made by `roots lm train`")
    score.add_argument("--input", required=True, nargs="+", help="text files (a line each) or .jsonl[.gz] files")
    score.add_argument("--text-field", default="text", help="the text field of JSON Lines input (default: text)")
    score.set_defaults(handler=cmd_lm_score)

    res = sub.add_parser("resources", help="build word lists for the quality filters",
                         description="Build the word lists the quality filters use where spaCy has none.")
    res_sub = res.add_subparsers(dest="resources_command", required=True, metavar="RESOURCE")
    sw = res_sub.add_parser("stopwords", help="stopwords from word frequencies in a reference corpus",
                            description="Build a stopword list for --lang: the words found in the most documents of "
                                        "the input (split as the quality filters split that language). Write it to "
                                        "DIR/<lang>.txt and set quality.stopwords_dir to DIR.")
    sw.add_argument("--lang", required=True, help="a registry code")
    sw.add_argument("--input", required=True, nargs="+", help="text files (a document a line) or .jsonl[.gz] files")
    sw.add_argument("--output", required=True, help="the list file to write (e.g. resources/stopwords/sw.txt)")
    sw.add_argument("--text-field", default="text", help="the text field of JSON Lines input (default: text)")
    sw.add_argument("--select", action="append", default=[], metavar="FIELD=VALUE",
                    help="JSON Lines input: only records whose FIELD equals VALUE (repeatable), e.g. "
                         "--select flores=swh_Latn to read one language of FLORES-200")
    sw.add_argument("--group-field", help="JSON Lines input: a field that groups documents by topic (FLORES-200: topic)")
    sw.add_argument("--min-group-share", type=float, default=0.0,
                    help="with --group-field: keep only words found in documents of at least this share of the "
                         "groups, so one topic's words are not stopwords (default 0)")
    sw.add_argument("--top", type=int, default=100, help="how many words (default 100)")
    sw.add_argument("--min-doc-share", type=float, default=0.02,
                    help="keep only words found in at least this share of documents (default 0.02)")
    sw.set_defaults(handler=cmd_stopwords)


# --- roots filter -----------------------------------------------------------------------------------


def _registry_lang(code: str, registry: Any = None) -> None:
    from roots.languages import UnknownLanguageError, load_registry

    try:
        (registry or load_registry()).get(code)
    except UnknownLanguageError as err:
        raise RootsError(str(err)) from None


def _overrides(pairs: list[str], lang: str) -> dict[str, dict[str, Any]]:
    import yaml

    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise RootsError(f"--set {pair!r}: expected KEY=VALUE, e.g. --set max_perplexity=1200")
        try:
            values[key.strip()] = yaml.safe_load(raw)
        except yaml.YAMLError:
            raise RootsError(f"--set {pair!r}: the value is not valid YAML") from None
    return {lang: values} if values else {}


def _documents(paths: list[str], lang: str, text_field: str, id_field: str | None) -> Iterator[Any]:
    """Documents and rejections of JSON Lines files, through the project's reader."""
    from roots.io.base import SourceSpec, SourceError
    from roots.io.formats import FORMATS

    for path in paths:
        if not os.path.isfile(path):
            raise SourceError(f"--input {path}: no such file")
    for path in paths:
        spec = SourceSpec(name=Path(path).name, path=path, format="jsonl", text_field=text_field,
                          id_field=id_field, lang=lang)
        yield from FORMATS["jsonl"].records(spec, path)


class _Writer:
    """JSON Lines written under a temporary name and renamed when complete."""

    def __init__(self, path: str) -> None:
        self.path = path
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.tmp = f"{path}.tmp-{os.getpid()}"
        self.fh = open(self.tmp, "w", encoding="utf-8")

    def write(self, row: dict) -> None:
        self.fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")

    def close(self) -> None:
        self.fh.close()
        os.replace(self.tmp, self.path)


def cmd_filter(args: argparse.Namespace) -> int:
    """`roots filter`: normalise → catalogue cleaning (optional) → boilerplate (--web) → LID (--lid) →
    quality, written as JSON Lines."""
    from roots.config import ConfigError
    from roots.document import Rejection
    from roots.filters.cleaning import Cleaning, CleaningConfig, TemplateLines
    from roots.filters.normalise import Normalise
    from roots.filters.quality import Quality, QualityConfig
    from roots.stage import run_stages

    registry = registry_of(args)
    _registry_lang(args.lang, registry)
    ops = [op.strip() for op in args.cleaning.split(",") if op.strip()]
    where = "roots filter"
    try:
        cleaning_config = CleaningConfig.from_dict({"default": ops}, f"{where} --cleaning")
        quality_config = QualityConfig.from_dict({
            "compute_all": not args.stop_at_first, "apply_maps": not args.no_maps,
            "lm_dir": args.lm_dir and os.path.abspath(args.lm_dir),
            "stopwords_dir": args.stopwords_dir and os.path.abspath(args.stopwords_dir),
            "flagged_words_dir": args.flagged_words_dir and os.path.abspath(args.flagged_words_dir),
            "languages": _overrides(args.set, args.lang),
        }, where)
    except ConfigError as err:
        raise RootsError(str(err)) from None
    quality = Quality(quality_config, registry=registry)
    stages: list[Any] = [Normalise()]
    if ops:
        templates = None
        if cleaning_config.needs_template_counts:
            templates = TemplateLines(cleaning_config.template_min_chars, cleaning_config.template_min_count)
            templates.fit(d for d in _documents(args.input, args.lang, args.text_field, args.id_field)
                          if not isinstance(d, Rejection))
        stages.append(Cleaning(cleaning_config, templates))
    if args.web:
        from roots.filters.boilerplate import Boilerplate, BoilerplateConfig

        stages.append(Boilerplate(BoilerplateConfig(), frozenset(Path(p).name for p in args.input)))
    if args.lid:
        from roots.filters.lid import LanguageId
        from roots.lid import LidConfig

        stages.append(LanguageId(LidConfig(), registry))
    stages.append(quality)

    kept_out, rejected_out = _Writer(args.output), _Writer(args.rejected)
    counts: Counter[str] = Counter()
    try:
        records = _documents(args.input, args.lang, args.text_field, args.id_field)
        for stage_name, outcome in run_stages(stages, records):
            if isinstance(outcome, Rejection):
                counts[outcome.reason.code] += 1
                d = outcome.doc
                rejected_out.write({"id": d.id, "text": d.text, "lang": d.lang, "source": d.source, "meta": d.meta,
                                    "stage": stage_name, "reason": outcome.reason.code, "detail": outcome.detail})
            else:
                counts["kept"] += 1
                kept_out.write({"id": outcome.id, "text": outcome.text, "lang": outcome.lang,
                                "source": outcome.source, "meta": outcome.meta})
    except BaseException:
        for w in (kept_out, rejected_out):
            w.fh.close()
            if os.path.exists(w.tmp):
                os.remove(w.tmp)
        raise
    kept_out.close()
    rejected_out.close()
    total = sum(counts.values())
    print(f"{args.lang}: {total} documents, {counts['kept']} kept, {total - counts['kept']} rejected")
    for reason, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if reason != "kept":
            print(f"  {reason}: {n}")
    if args.report:
        report = {"counts": dict(sorted(counts.items())), "quality": quality.report([args.lang], sources=True)}
        for stage in stages:
            if getattr(stage, "name", "") in ("cleaning", "boilerplate") and callable(getattr(stage, "report", None)):
                report[stage.name] = stage.report()
        Path(args.report).parent.mkdir(parents=True, exist_ok=True)
        Path(args.report).write_text(json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                                     encoding="utf-8")
    return 0


# --- roots lm ---------------------------------------------------------------------------------------


def _inputs_exist(paths: list[str]) -> None:
    for path in paths:
        if not os.path.isfile(path):
            raise RootsError(f"--input {path}: no such file")


def cmd_lm_train(args: argparse.Namespace) -> int:
    """`roots lm train`: SentencePiece + KenLM into --output."""
    from roots.perplexity import LMSettings, read_training_text, train

    _registry_lang(args.lang)
    _inputs_exist(args.input)
    if args.heldout:
        _inputs_exist(args.heldout)
    if args.order < 1 or args.vocab_size < 10:
        raise RootsError("--order must be at least 1 and --vocab-size at least 10")
    if args.holdout_every < 0 or args.group < 1:
        raise RootsError("--holdout-every must be 0 or more and --group at least 1")
    settings = LMSettings(lang=args.lang, order=args.order, vocab_size=args.vocab_size,
                          lowercase=args.lowercase, memory=args.memory)
    reference = read_training_text(args.heldout, args.text_field) if args.heldout else None
    manifest = train(read_training_text(args.input, args.text_field), args.output, settings, keep_arpa=args.keep_arpa,
                     holdout_every=args.holdout_every, reference=reference, group=args.group)
    print(f"{args.lang}: trained on {manifest['training']['lines']} lines ({manifest['training']['pieces']} pieces) "
          f"→ {args.output}")
    ref, pct = manifest.get("reference"), manifest.get("reference_percentiles", {})
    if ref:
        from roots.perplexity import manifest_cutoff

        cuts = {p: manifest_cutoff(manifest, p, args.output) for p in (95, 99, 99.5)}
        print(f"{args.lang}: reference = {ref['text']}: {ref['documents']} documents, perplexity median "
              f"{pct['50']}; cut-offs at the 95th percentile {cuts[95]}, 99th {cuts[99]}, 99.5th {cuts[99.5]}")
    return 0


def cmd_lm_score(args: argparse.Namespace) -> int:
    """`roots lm score`: one perplexity a line, `-` for a document with nothing to score."""
    from roots.perplexity import PerplexityModel, read_training_text

    _inputs_exist(args.input)
    model = PerplexityModel(args.model)
    batch: list[str] = []

    def flush() -> None:
        for pp in model.score_many(batch):
            sys.stdout.write(("-" if pp is None else f"{pp}") + "\n")
        batch.clear()

    for text in read_training_text(args.input, args.text_field):
        batch.append(text)
        if len(batch) >= 1024:
            flush()
    flush()
    return 0


# --- roots resources --------------------------------------------------------------------------------


def cmd_stopwords(args: argparse.Namespace) -> int:
    """`roots resources stopwords`: the most widespread words of a corpus, split as the filters split."""
    from roots.filters.quality import Quality
    from roots.resources import frequency_stopwords, parse_select, read_documents

    _registry_lang(args.lang)
    _inputs_exist(args.input)
    if args.top < 1 or not 0 <= args.min_doc_share <= 1 or not 0 <= args.min_group_share <= 1:
        raise RootsError("--top must be at least 1, --min-doc-share and --min-group-share between 0 and 1")
    if args.min_group_share and not args.group_field:
        raise RootsError("--min-group-share needs --group-field")
    select = parse_select(args.select)
    splitter = Quality().plans[args.lang].splitter
    if splitter is None:
        raise RootsError(f"{args.lang} is a programming language: it has no stopwords")
    words = splitter.build()
    docs = list(read_documents(args.input, args.text_field, select, args.group_field))
    result = frequency_stopwords((words.words(t) for t, _ in docs), args.lang, args.top, args.min_doc_share,
                                 [g for _, g in docs] if args.group_field else None, args.min_group_share)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + f".tmp-{os.getpid()}")
    tmp.write_text(result.to_text(_stopwords_command(args)), encoding="utf-8")
    os.replace(tmp, out)
    print(f"{args.lang}: {len(result.words)} stopwords from {result.documents} documents → {out}")
    return 0


def _stopwords_command(args: argparse.Namespace) -> str:
    """The command that rebuilds a list, with input file names only (no local folders), for its header."""
    parts = ["roots resources stopwords", f"--lang {args.lang}", "--input " + " ".join(Path(p).name for p in args.input)]
    if args.text_field != "text":
        parts.append(f"--text-field {args.text_field}")
    parts += [f"--select {pair}" for pair in args.select]
    if args.group_field:
        parts += [f"--group-field {args.group_field}", f"--min-group-share {args.min_group_share:g}"]
    parts += [f"--top {args.top}", f"--min-doc-share {args.min_doc_share:g}"]
    return " ".join(parts)
