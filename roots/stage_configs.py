"""The run config's sections of the document stages (`cleaning:`, `boilerplate:`, `quality:`, `pii:`):
schema, so they live in the core with the config that reads them (roots.config), and the stages in
roots.filters import them. Checks that need a stage's own machinery (a language's word lists and
models resolving) run when the stage is built, before any work (roots.pipelines.api.check)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, replace
from typing import Any, Iterable

from roots.pii import REPLACE_MODES, SPAN_TYPES
from roots.schema import Section, parse, setting

# --- cleaning ------------------------------------------------------------------------------------------

#: The catalogue cleaning's filters and maps by name (roots.filters.cleaning implements each).
CLEANING_FILTERS = ("remove_empty_docs", "filter_small_docs", "filter_small_docs_bytes")
CLEANING_MAPS = ("remove_html_spans", "replace_newlines", "remove_lines_with_code")
TEMPLATE = "dedup_template"
OPERATIONS = CLEANING_FILTERS + CLEANING_MAPS + (TEMPLATE,)


def _operations(default: Any = (), **kw: Any) -> Any:
    return setting(default, item_choices=OPERATIONS, item_name="operation", **kw)


@dataclass(frozen=True)
class CleaningConfig(Section):
    """The run config's `cleaning:` section: which operations each source gets, in order.

    ```yaml
    cleaning:
      default: [remove_empty_docs]            # sources not listed below
      sources:
        wiki-sw: [remove_empty_docs, dedup_template, remove_html_spans, filter_small_docs_bytes]
      min_words: 15                           # filter_small_docs
      min_bytes: 300                          # filter_small_docs_bytes
      template_min_chars: 15                  # dedup_template
      template_min_count: 10
    ```
    """

    default: tuple[str, ...] = _operations()
    sources: dict[str, tuple[str, ...]] = _operations(dataclasses.MISSING, default_factory=dict)
    min_words: int = setting(15, ge=0)
    min_bytes: int = setting(300, ge=0)
    template_min_chars: int = setting(15, ge=0)
    template_min_count: int = setting(10, ge=0)

    def operations(self, source: str) -> tuple[str, ...]:
        """The operations of `source`, in order."""
        return self.sources.get(source, self.default)

    def with_template(self, sources: Iterable[str]) -> "CleaningConfig":
        """This config with `dedup_template` added for `sources` that it does not list by name (they get
        the default operations then `dedup_template`): web sources get template removal by default
        (BoilerplateConfig.templates); a source listed under `sources` keeps exactly what it lists."""
        extra = {name: self.default + (TEMPLATE,) for name in sources
                 if name not in self.sources and TEMPLATE not in self.default}
        return replace(self, sources={**self.sources, **extra}) if extra else self

    @property
    def needs_template_counts(self) -> bool:
        """Whether some source asks for `dedup_template` (then counts must be gathered first)."""
        return TEMPLATE in self.default or any(TEMPLATE in ops for ops in self.sources.values())


# --- boilerplate ---------------------------------------------------------------------------------------

#: Source formats that are web pages: the boilerplate stage applies to them by default.
WEB_FORMATS = ("warc", "wet")


def _count(default: int) -> Any:
    return setting(default, ge=0)


def _fraction(default: float) -> Any:
    return setting(default, ge=0, le=1)


@dataclass(frozen=True)
class BoilerplateConfig(Section):
    """The run config's `boilerplate:` section.

    ```yaml
    boilerplate:
      enabled: true          # the stage, for web sources
      sources: null          # source names it applies to; default: formats warc/wet and sources with web: true
      templates: true        # also give those sources ROOTS's dedup_template (unless cleaning lists them)
      line_max_words: 15     # a line without terminal punctuation and fewer words is "short"
      min_sentence_words: 3  # a line with terminal punctuation but fewer words is short too (C4)
      max_short_run: 3       # runs of this many short lines are menus
      min_words_left: 20
      max_duplicate_line_fraction: 0.3          # Gopher
      max_duplicate_line_char_fraction: 0.2
      max_duplicate_paragraph_fraction: 0.3
      max_duplicate_paragraph_char_fraction: 0.2
      max_bullet_line_fraction: 0.9
      max_ellipsis_line_fraction: 0.3          # more lines than this ending in "…" go as teasers
      min_teaser_pairs: 3                       # runs of this many headline + one-sentence deck pairs go
      max_short_line_fraction: 0.67             # FineWeb
      short_line_chars: 30
      min_terminal_punctuation_fraction: 0.12   # FineWeb
      min_lines_for_fractions: 3                # the share rules judge documents of at least this many lines
      min_prose_char_fraction: 0.3              # prose_share: characters in paragraphs, that is lines of
      prose_line_words: 20                      # prose_line_words words or more, or runs of prose_run lines
      prose_sentence_words: 5                   # that are sentences (prose_sentence_words+ words, terminal
      prose_run: 3                              # punctuation), of pages of min_lines_for_prose lines or more
      min_lines_for_prose: 5
      prose_enough_words: 100                   # but a page whose paragraphs hold this many words has an article
      min_block_words: 50                       # no_running_text: a page of which boilerplate lines were at least
      block_rule_removed_fraction: 0.5          # this share of the characters, and whose longest block of kept
                                                # lines not broken by a removed line is under min_block_words words
      remove_comments: true         # reader comments go (`comment`: a block closed by a reply link or
                                    # opened by a comment header); false keeps them, as C4 and Gopher do
      island_max_words: 25          # `island`: a kept block of 1-2 lines and at most this many words between
                                    # two boilerplate lines goes, when the page keeps running text elsewhere
                                    # (jusText's context rule); 0 keeps islands
      remove_repeated_lines: true   # a line repeating an earlier kept line goes (`repeated_line`); the
                                    # duplicate rules then see one copy. false: Gopher's reading, the page is judged
      min_tail_headlines: 3         # `headline_tail`: this many or more headline-like lines after an article's
                                    # last sentence go (a "most read" list); 0 keeps them
    ```
    """

    enabled: bool = True
    sources: tuple[str, ...] | None = setting(None, item_name="source name")
    templates: bool = True
    line_max_words: int = _count(15)
    min_sentence_words: int = _count(3)
    max_short_run: int = _count(3)
    min_words_left: int = _count(20)
    max_duplicate_line_fraction: float = _fraction(0.3)
    max_duplicate_line_char_fraction: float = _fraction(0.2)
    max_duplicate_paragraph_fraction: float = _fraction(0.3)
    max_duplicate_paragraph_char_fraction: float = _fraction(0.2)
    max_bullet_line_fraction: float = _fraction(0.9)
    max_ellipsis_line_fraction: float = _fraction(0.3)
    min_teaser_pairs: int = _count(3)
    max_short_line_fraction: float = _fraction(0.67)
    short_line_chars: int = _count(30)
    min_terminal_punctuation_fraction: float = _fraction(0.12)
    min_lines_for_fractions: int = _count(3)
    min_prose_char_fraction: float = _fraction(0.3)
    prose_line_words: int = _count(20)
    prose_sentence_words: int = _count(5)
    prose_run: int = _count(3)
    min_lines_for_prose: int = _count(5)
    prose_enough_words: int = _count(100)
    min_block_words: int = _count(50)
    block_rule_removed_fraction: float = _fraction(0.5)
    remove_comments: bool = True
    island_max_words: int = _count(25)
    remove_repeated_lines: bool = True
    min_tail_headlines: int = _count(3)

    def applies_to(self, specs: Iterable[Any]) -> tuple[str, ...]:
        """The names of the sources (SourceSpecs) the stage and template removal apply to."""
        if self.sources is not None:
            return self.sources
        return tuple(s.name for s in specs if s.format in WEB_FORMATS or getattr(s, "web", False))


# --- quality -------------------------------------------------------------------------------------------


def _folder() -> Any:
    return setting(None, path="dir", nonempty=True)


@dataclass(frozen=True)
class QualityConfig(Section):
    """The run config's `quality:` section.

    ```yaml
    quality:
      enabled: true          # false: the stage is not added to the run
      compute_all: true      # compute every statistic of every document (uncensored histograms for
                             # tuning); false stops at the first failing filter (faster on junk)
      apply_maps: true       # ROOTS's maps before the filters (whitespace, URL words, long words)
      lm_dir: null           # folder of `roots lm train` outputs, one subfolder per language (DIR/en/)
      stopwords_dir: null    # folder of <lang>.txt lists from `roots resources stopwords`; wins over spaCy's
      flagged_words_dir: null  # folder of <lang>.txt flagged-word lists
      lid_score_key: lid_score   # the meta key the LID stage writes its score to
      batch_size: 256
      languages:             # per-language overrides of the language configs' filters, bare values
        en: {max_perplexity: 1200}
    ```
    Relative folders resolve against the run config's folder. The per-language overrides are checked
    against the filters' settings when the stage is built (roots.filters.quality.Quality), before any work.
    """

    enabled: bool = True
    compute_all: bool = True
    apply_maps: bool = True
    lm_dir: str | None = _folder()
    stopwords_dir: str | None = _folder()
    flagged_words_dir: str | None = _folder()
    lid_score_key: str = setting("lid_score", nonempty=True)
    batch_size: int = setting(256, ge=1)
    languages: dict[str, dict[str, Any]] = setting(
        default_factory=dict, describe="a mapping of language codes to mappings of filter settings")

    @property
    def where(self) -> str:
        """Where the section was read (for messages); not part of the config's identity."""
        return getattr(self, "_where", "quality")

    @classmethod
    def from_dict(cls, data: Any, where: str, base: str = "") -> "QualityConfig":
        """Validate a `quality:` mapping (None: the defaults); folders resolve against `base` (the run
        config's folder). A ConfigError naming `where` (e.g. `run.yaml: quality`) and the key."""
        config = parse(cls, data, where, base)
        object.__setattr__(config, "_where", where)
        return config


# --- pii -----------------------------------------------------------------------------------------------


def _tag_format(value: str) -> str | None:
    if "{type}" not in value:
        return f"must be a string containing {{type}}, got {value!r}"
    try:
        value.format(type="EMAIL")
    except (KeyError, IndexError, ValueError) as err:
        return f"is not a valid format string: {err}"
    return None


@dataclass(frozen=True)
class PiiConfig(Section):
    """The `pii:` section of a run config.

    replace: `tag` writes `PI:EMAIL`, `PI:PHONE`, ... (as ROOTS did); `fake` writes a realistic fake
    value of the same shape, drawn from a generator seeded by the document id (deterministic).
    tag_format: how a tag is written, `{type}` standing for the span type.
    keep_types: span types left in the text (still recorded in meta), e.g. [USER].
    keep_raw_rejected: false (default) redacts rejected documents like kept ones, at every stage, so no
    raw value of a detected type is anywhere under RUN; true keeps them raw, for an audit of what the
    filters removed (the manifest says so).
    """

    replace: str = setting("tag", choices=REPLACE_MODES)
    tag_format: str = setting("PI:{type}", check=_tag_format, describe="a string containing {type}")
    keep_types: tuple[str, ...] = setting((), item_choices=SPAN_TYPES, item_name="span type")
    keep_raw_rejected: bool = False


__all__ = ["CleaningConfig", "BoilerplateConfig", "QualityConfig", "PiiConfig", "OPERATIONS", "TEMPLATE",
           "CLEANING_FILTERS", "CLEANING_MAPS", "WEB_FORMATS"]
