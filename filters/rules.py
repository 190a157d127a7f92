"""The registry of quality rules: every filter of the quality stage is one `Rule` in `RULES`, with its
name (its rejections are `quality:<name>`), what it removes, the statistics it computes (each with the
config keys that bound it) and its parameters (key, type, default and where the default comes from).

Everything else reads this registry: the stage's check chain (`filters/quality.py`), the typed
`filters:` section of a language config (`filters/params.py` builds `NaturalFilters` and
`CodeFilters` from it), the tuning tables (`filters/tuning/`) and the data card.

Adding a rule is one function, one entry, and one line saying what it removes under `QUALITY` in
`roots/reasons.py` (the core's table of reasons, which the data card reads):

```python
def _exclamations(ctx: Context) -> dict[str, Any]:
    "Share of the words that end a sentence with '!' (why: shouting spam)."
    return {"exclamations": ctx.text.count("!") / max(1, len(ctx.words))}

RULES = (..., Rule("exclamations", "natural", _exclamations,
                   statistics=(Statistic("exclamations", "exclamation marks per word", upper="max_exclamations"),),
                   params=(Param("max_exclamations", "ratio?", 0.1, "our choice"),)), ...)
```

A statistic fails a document when it is below `lower`, above `upper` (at or beyond them when
`exclusive`), or true when its `flag` key is true; a null bound is no bound, and a rule whose bounds are
all null (or whose flag is false) is off. Rules run in registry order; the first failure is the reason.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Mapping, Sequence

from roots.filters import stats
from roots.reasons import QUALITY as QUALITY_REASONS

ROOTS_PARAMS = "ROOTS parameters_filtering.py (bigscience-workshop/data-preparation)"
ROOTS_DEFAULT = f"{ROOTS_PARAMS}, parameters_filtering_default"
ROOTS_GITHUB = "ROOTS GitHub code rules (issue 4: longest line, size, non-alphanumeric share)"
GOPHER = "Gopher (Rae et al. 2021, MassiveText quality filters; datatrove GopherRepetitionFilter defaults)"
NATURAL, CODE = "natural", "code"
#: The default perplexity cut-off: the 99.5th percentile of the model's held-back reference text, the
#: same bar as every recalibrated threshold (at least 99.5% of clean documents pass).
DEFAULT_PERPLEXITY_PERCENTILE = 99.5
PERCENTILE_SOURCE = ("default (key absent): the 99.5th percentile of the perplexities of the model's "
                     "held-back reference text (lm.json reference_percentiles; a log-normal fit, reference_log, where under 2 "
                     "reference documents lie beyond it), as the other thresholds keep "
                     ">= 99.5% of clean documents")
#: Gopher's top n-gram and duplicate n-gram maxima (n: maximum).
GOPHER_TOP = {2: 0.20, 3: 0.18, 4: 0.16}
GOPHER_DUP = {5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10}


@dataclass(frozen=True)
class Param:
    """One key of a language config's `filters:` section. `kind` is checked by `filters.params`:
    int, ratio, number, percentile, bool, ints, str, path or tokenizer; a trailing `?` allows null."""

    key: str
    kind: str
    default: Any
    source: str = ROOTS_DEFAULT   # where the default comes from (recorded when the key is absent)


@dataclass(frozen=True)
class Statistic:
    """One number a rule computes, stored in `meta["quality"][key]` (or read from `meta[key]` when
    `in_meta`: set by another stage), and the config keys of its bounds."""

    key: str
    label: str
    lower: str | None = None
    upper: str | None = None
    flag: str | None = None
    exclusive: bool = False
    log: bool = False
    in_meta: bool = False

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k for k in (self.lower, self.upper, self.flag) if k)

    def fails(self, value: Any, limits: Mapping[str, Any]) -> bool:
        """Whether `value` is outside the bounds in `limits` (config key → value; null: no bound)."""
        if value is None:
            return False
        if self.flag:
            return bool(limits.get(self.flag)) and bool(value)
        lo = limits.get(self.lower) if self.lower else None
        hi = limits.get(self.upper) if self.upper else None
        if self.exclusive:
            return (lo is not None and value <= lo) or (hi is not None and value >= hi)
        return (lo is not None and value < lo) or (hi is not None and value > hi)

    def detail(self, value: Any, limits: Mapping[str, Any]) -> str:
        """The rejection's detail: the value and the bound it crossed."""
        if self.flag:
            return f"{self.label} ({self.flag} is true)"
        shown = f"{value:.4f}" if isinstance(value, float) else str(value)
        lo = limits.get(self.lower) if self.lower else None
        hi = limits.get(self.upper) if self.upper else None
        if lo is not None and (value <= lo if self.exclusive else value < lo):
            return f"{self.label} {shown} {'<=' if self.exclusive else '<'} {self.lower} {lo:g}"
        return f"{self.label} {shown} {'>=' if self.exclusive else '>'} {self.upper} {hi:g}"


@dataclass
class Context:
    """What a rule's function sees of one document: the text after the maps, its normalised words,
    the language's parameters and word lists, and the document's meta (read-only by convention)."""

    text: str
    words: Sequence[str]
    params: Any
    meta: Mapping[str, Any]
    stopwords: Collection[str] | None = None
    flagged: Collection[str] | None = None
    lid_score_key: str = "lid_score"
    cache: dict[str, Any] = field(default_factory=dict)   # shared between rules (the n-gram pass)
    #: The words are single characters (`CharacterWords`: Chinese without a SentencePiece model).
    characters: bool = False


@dataclass(frozen=True)
class Rule:
    """One quality filter. `compute` returns its statistics by key (a missing key: not computable for
    this document, e.g. no word list); None for a statistic computed elsewhere (perplexity is scored
    per batch by the stage). `needs` names a resource without which the rule is off."""

    name: str
    kind: str
    compute: Callable[[Context], dict[str, Any]] | None
    statistics: tuple[Statistic, ...]
    params: tuple[Param, ...] = ()
    needs: str | None = None
    switches: tuple[str, ...] = ()   # keys that turn the rule on besides its statistics' bounds

    @property
    def bound_keys(self) -> tuple[str, ...]:
        """The keys whose values decide whether the rule is on (all null or false: off)."""
        return tuple(k for s in self.statistics for k in s.keys) + self.switches

    @property
    def reason(self) -> str:
        return f"quality:{self.name}"

    @property
    def description(self) -> str:
        """What the rule removes: its reason's description (roots.reasons.QUALITY, where the data card reads it)."""
        return QUALITY_REASONS[self.name].description

    def off(self, limits: Mapping[str, Any]) -> str | None:
        """Why the rule is off by its parameters alone (every bound null, or its flag false), else None."""
        keys = self.bound_keys
        if all(limits.get(k) in (None, False) for k in keys):
            if len(keys) == 1:
                return f"{keys[0]} is {'false' if limits.get(keys[0]) is False else 'null'}"
            return f"{', '.join(keys)} are all null"
        return None


# --- the natural-language rules, in order: ROOTS's, with Gopher's repetition rules after ROOTS's -------


def _word_count(ctx: Context) -> dict[str, Any]:
    return {"words": stats.word_count(ctx.words)}


def _char_repetition(ctx: Context) -> dict[str, Any]:
    return {"char_repetition": stats.char_repetition_ratio(ctx.text, ctx.params.char_repetition_n)}


def _word_repetition(ctx: Context) -> dict[str, Any]:
    return {"word_repetition": stats.word_repetition_ratio(ctx.words, ctx.params.word_repetition_n)}


def _duplicate_lines(ctx: Context) -> dict[str, Any]:
    frac, chars = stats.duplicate_fractions(stats.text_lines(ctx.text), len(ctx.text))
    return {"dup_line_fraction": frac, "dup_line_char_fraction": chars}


def _duplicate_paragraphs(ctx: Context) -> dict[str, Any]:
    frac, chars = stats.duplicate_fractions(stats.text_paragraphs(ctx.text), len(ctx.text))
    return {"dup_paragraph_fraction": frac, "dup_paragraph_char_fraction": chars}


def ngram_lengths(characters: bool, characters_per_word: float) -> dict[int, int]:
    """Gopher's word n-gram length n → the number of words the statistic counts: n itself, or, where
    the words are single characters, round(n × characters_per_word) of them, so that a "5-gram" spans
    about five words of the language and not five characters (1.8 for Chinese: 5 words → 9 characters)."""
    scale = characters_per_word if characters else 1.0
    return {n: max(n, round(n * scale)) for n in (*GOPHER_TOP, *GOPHER_DUP)}


def _ngrams(ctx: Context) -> dict[str, Any]:
    """Both n-gram rules share one pass (cached on the context): n-gram classes are built incrementally.
    Keys keep Gopher's n (`dup_5gram_char_fraction`) whatever number of words `ngram_lengths` spans."""
    cached = ctx.cache.get("ngrams")
    if cached is None:
        length = ngram_lengths(ctx.characters, ctx.params.characters_per_word)
        got = stats.gopher_ngram_fractions(ctx.words, len(ctx.text), tuple(length[n] for n in GOPHER_TOP),
                                           tuple(length[n] for n in GOPHER_DUP))
        cached = {f"top_{n}gram_char_fraction": got[f"top_{length[n]}gram_char_fraction"] for n in GOPHER_TOP}
        cached.update({f"dup_{n}gram_char_fraction": got[f"dup_{length[n]}gram_char_fraction"] for n in GOPHER_DUP})
        ctx.cache["ngrams"] = cached
    return cached


def _top_ngrams(ctx: Context) -> dict[str, Any]:
    got = _ngrams(ctx)
    return {f"top_{n}gram_char_fraction": got[f"top_{n}gram_char_fraction"] for n in GOPHER_TOP}


def _duplicate_ngrams(ctx: Context) -> dict[str, Any]:
    got = _ngrams(ctx)
    return {f"dup_{n}gram_char_fraction": got[f"dup_{n}gram_char_fraction"] for n in GOPHER_DUP}


def _special_characters(ctx: Context) -> dict[str, Any]:
    return {"special_characters": stats.special_characters_ratio(ctx.text)}


def _stopwords(ctx: Context) -> dict[str, Any]:
    if ctx.stopwords is None:
        return {}
    p = ctx.params
    return {"stopwords": stats.stopword_ratio(ctx.words, ctx.stopwords, p.word_groups, p.word_group_join)}


def _flagged_words(ctx: Context) -> dict[str, Any]:
    if ctx.flagged is None:
        return {}
    p = ctx.params
    return {"flagged_words": stats.flagged_word_ratio(ctx.words, ctx.flagged, p.word_groups, p.word_group_join)}


def _lid_score(ctx: Context) -> dict[str, Any]:
    score = ctx.meta.get(ctx.lid_score_key)
    if isinstance(score, (int, float)) and not isinstance(score, bool):
        return {"lid_score": score}
    return {}


def _gopher(key: str, label: str, default: float) -> tuple[Statistic, Param]:
    return Statistic(key, label, upper=f"max_{key}"), Param(f"max_{key}", "ratio?", default, f"{GOPHER} (key absent)")


_DUP_LINES = (_gopher("dup_line_fraction", "duplicate line fraction", 0.30),
              _gopher("dup_line_char_fraction", "duplicate line character fraction", 0.20))
_DUP_PARAGRAPHS = (_gopher("dup_paragraph_fraction", "duplicate paragraph fraction", 0.30),
                   _gopher("dup_paragraph_char_fraction", "duplicate paragraph character fraction", 0.20))
_TOP = tuple(_gopher(f"top_{n}gram_char_fraction", f"top word {n}-gram character fraction", v)
             for n, v in GOPHER_TOP.items())
_DUP = tuple(_gopher(f"dup_{n}gram_char_fraction", f"duplicate word {n}-gram character fraction", v)
             for n, v in GOPHER_DUP.items())


def _rd(key: str, kind: str, default: Any, roots_name: str) -> Param:
    return Param(key, kind, default, f"{ROOTS_DEFAULT} ({roots_name}; key absent)")


#: Settings of natural languages that belong to no single rule: how words are split, ROOTS's maps.
NATURAL_SETTINGS: tuple[Param, ...] = (
    _rd("tokenizer", "tokenizer", "whitespace", "spaCy tokenizer"),
    _rd("remove_url_words", "bool", False, "cond_remove_words_with_incorrect_substrings"),
    _rd("max_word_length", "int?", None, "length_word_max_cutoff when cond_remove_long_words"),
    _rd("word_groups", "ints", (), "words_augmentation_group_sizes"),
    _rd("word_group_join", "str", "", "words_augmentation_join_char"),
    Param("characters_per_word", "number", 1.8,
          "our measurement (key absent): where words are single characters (Chinese without a SentencePiece "
          "model), Gopher's word n-grams span round(n x this) characters; 1.8 is the mean length of jieba's "
          "words of Han characters on FLORES-200 zho_Hans dev and on 62 Chinese news pages alike "
          "(BENCHMARKS.md, Chinese news pages)"),
)

RULES: tuple[Rule, ...] = (
    Rule("word_count", NATURAL, _word_count,
         (Statistic("words", "words per document", lower="min_words", upper="max_words", log=True),),
         (_rd("min_words", "int", 10, "number_words_min_cutoff"),
          _rd("max_words", "int", 100_000, "number_words_max_cutoff"))),
    Rule("char_repetition", NATURAL, _char_repetition,
         (Statistic("char_repetition", "character n-gram repetition ratio", upper="max_char_repetition"),),
         (_rd("char_repetition_n", "int", 10, "character_repetition_length"),
          _rd("max_char_repetition", "ratio?", 0.2, "character_repetition_max_cutoff"))),
    Rule("word_repetition", NATURAL, _word_repetition,
         (Statistic("word_repetition", "word n-gram repetition ratio", upper="max_word_repetition"),),
         (_rd("word_repetition_n", "int", 5, "word_repetition_length"),
          _rd("max_word_repetition", "ratio?", 0.3, "word_repetition_max_cutoff"))),
    Rule("duplicate_lines", NATURAL, _duplicate_lines, tuple(s for s, _ in _DUP_LINES), tuple(p for _, p in _DUP_LINES)),
    Rule("duplicate_paragraphs", NATURAL, _duplicate_paragraphs, tuple(s for s, _ in _DUP_PARAGRAPHS),
         tuple(p for _, p in _DUP_PARAGRAPHS)),
    Rule("top_ngrams", NATURAL, _top_ngrams, tuple(s for s, _ in _TOP), tuple(p for _, p in _TOP)),
    Rule("duplicate_ngrams", NATURAL, _duplicate_ngrams, tuple(s for s, _ in _DUP), tuple(p for _, p in _DUP)),
    Rule("special_characters", NATURAL, _special_characters, (Statistic("special_characters", "share of special characters (whitespace not counted)",
                                         upper="max_special_characters"),),
         (Param("max_special_characters", "ratio?", 0.25, "default (key absent): ROOTS's default 0.4 counted "
                "whitespace; 0.25 is the floor of the recalibration without it (benchmarks/filter_calibration.py)"),)),
    Rule("stopwords", NATURAL, _stopwords,
         (Statistic("stopwords", "stopword ratio", lower="min_stopwords"),),
         (_rd("min_stopwords", "ratio?", 0.1, "stopwords_min_cutoff"),
          _rd("stopwords", "path?", None, "a list: 'spacy' or a file")), needs="stopwords"),
    Rule("flagged_words", NATURAL, _flagged_words,
         (Statistic("flagged_words", "flagged-word ratio", upper="max_flagged_words"),),
         (_rd("max_flagged_words", "ratio?", 0.1, "flagged_words_max_cutoff"),
          _rd("flagged_words", "path?", None, "a file")), needs="flagged_words"),
    Rule("lid_score", NATURAL, _lid_score,
         (Statistic("lid_score", "language-identification score", lower="min_lid_score", in_meta=True),),
         (_rd("min_lid_score", "ratio?", 0.7, "lang_id_min_cutoff"),)),
    Rule("perplexity", NATURAL, None,
         (Statistic("perplexity", "KenLM perplexity", upper="max_perplexity", log=True, in_meta=True),),
         (Param("max_perplexity", "number?", None, "off (key absent): ROOTS's absolute perplexity_max_cutoff "
                "values mean something only for ROOTS's own KenLM models"),
          Param("max_perplexity_percentile", "percentile?", DEFAULT_PERPLEXITY_PERCENTILE, PERCENTILE_SOURCE),
          _rd("perplexity_model", "path?", None, "a folder made by `roots lm train`")), needs="lm",
         switches=("max_perplexity_percentile",)),
    # --- code: ROOTS's GitHub rules, plus generated and minified files -------------------------------
    Rule("code_size", CODE, lambda ctx: {"chars": stats.char_count(ctx.text)},
         (Statistic("chars", "characters per file", lower="min_chars", upper="max_chars", exclusive=True, log=True),),
         (Param("min_chars", "int", 100, ROOTS_GITHUB), Param("max_chars", "int", 200_000, ROOTS_GITHUB))),
    Rule("code_line_length", CODE, lambda ctx: {"max_line_length": stats.max_line_length(ctx.text)},
         (Statistic("max_line_length", "longest line (characters)", upper="max_line_length", log=True),),
         (Param("max_line_length", "int?", 1000, ROOTS_GITHUB),)),
    Rule("code_non_alphanumeric", CODE, lambda ctx: {"non_alphanumeric": stats.non_alphanumeric_ratio(ctx.text)},
         (Statistic("non_alphanumeric", "share of non-alphanumeric characters", lower="min_non_alphanumeric",
                    upper="max_non_alphanumeric"),),
         (Param("min_non_alphanumeric", "ratio?", 0.15, ROOTS_GITHUB),
          Param("max_non_alphanumeric", "ratio?", 0.65, ROOTS_GITHUB))),
    Rule("code_autogenerated", CODE, lambda ctx: {"autogenerated": stats.is_autogenerated(ctx.text)},
         (Statistic("autogenerated", "generated by a tool (a marker in the first lines)", flag="reject_autogenerated"),),
         (Param("reject_autogenerated", "bool", True, ROOTS_GITHUB),)),
    Rule("code_minified", CODE, lambda ctx: {"minified": stats.is_minified(ctx.text)},
         (Statistic("minified", "minified (very long lines)", flag="reject_minified"),),
         (Param("reject_minified", "bool", True, ROOTS_GITHUB),)),
)

BY_NAME: dict[str, Rule] = {r.name: r for r in RULES}
NATURAL_RULES: tuple[Rule, ...] = tuple(r for r in RULES if r.kind == NATURAL)
CODE_RULES: tuple[Rule, ...] = tuple(r for r in RULES if r.kind == CODE)


def params_of(kind: str) -> tuple[Param, ...]:
    """Every `filters:` key of a natural or code language, in order (settings first, then each rule's)."""
    settings = NATURAL_SETTINGS if kind == NATURAL else ()
    return settings + tuple(p for r in RULES if r.kind == kind for p in r.params)


def statistics() -> tuple[tuple[Rule, Statistic], ...]:
    """Every statistic with its rule, in registry order (for tuning tables and the data card)."""
    return tuple((r, s) for r in RULES for s in r.statistics)


def _check_registry() -> None:
    """Names, statistic keys and parameter keys are unique, and every bound is a parameter of its rule."""
    names = [r.name for r in RULES]
    assert len(set(names)) == len(names), names
    for kind in (NATURAL, CODE):
        keys = [p.key for p in params_of(kind)]
        assert len(set(keys)) == len(keys), keys
    stat_keys = [s.key for r in RULES for s in r.statistics]
    assert len(set(stat_keys)) == len(stat_keys), stat_keys
    for r in RULES:
        own = {p.key for p in r.params}
        for s in r.statistics:
            assert set(s.keys) <= own, (r.name, s.keys)


_check_registry()
