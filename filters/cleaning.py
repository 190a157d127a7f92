"""Cleaning maps and filters: the maps ROOTS applied to OSCAR before its quality filters (whitespace,
words that are URLs or too long), and the catalogue maps and filters ROOTS applied to its curated
sources (bigscience-workshop/data-preparation, `clean.py`), each switchable per source.

The `Cleaning` stage runs the catalogue operations a source asks for, in the order it lists them:

| operation | kind | what it does (ROOTS's name) |
| --- | --- | --- |
| `remove_empty_docs` | filter | reject text that is empty after stripping (`filter_remove_empty_docs`) |
| `filter_small_docs` | filter | reject text of fewer than `min_words` space-separated words (15) |
| `filter_small_docs_bytes` | filter | reject text of fewer than `min_bytes` UTF-8 bytes (300; ROOTS also 1024) |
| `dedup_template` | map | remove lines of >= 15 characters seen >= 10 times in the source (`dedup_template_soft`) |
| `remove_html_spans` | map | remove lines holding `<span`, `</span>`, `<div`, `</div>`, `<a`, `</a>`, `br>` |
| `replace_newlines` | map | every newline → a space (`replace_newline_with_space`) |
| `remove_lines_with_code` | map | remove lines holding `{`, `}`, `[if`, `<script` |

`dedup_template` needs the source's line counts first: `TemplateLines.fit` (a pass over the source),
or counts merged from `template_line_hashes` of each document by an engine's combine step.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

from roots import reasons
from roots.document import Document, Rejection
from roots.errors import RootsError
from roots.filters.stats import strip_special
from roots.rundir import read_json, write_json
from roots.stage_configs import CLEANING_FILTERS, CLEANING_MAPS, OPERATIONS, TEMPLATE, CleaningConfig  # noqa: F401

STAGE = "cleaning"
EMPTY, SMALL_WORDS, SMALL_BYTES = (reasons.CLEANING[n] for n in ("empty", "small_words", "small_bytes"))

# --- ROOTS's maps before its quality filters --------------------------------------------------------

#: Characters `uniform_whitespace` turns into a plain space: Unicode whitespace other than the newline,
#: plus the zero-width space and the object replacement character that ROOTS's list also held.
_ODD_SPACE = re.compile(r"[^\S\n]|[\u200b\ufffc]")
_MULTI_SPACE = re.compile(r" {2,}")
_BLANK_RUNS = re.compile(r"\n{3,}")
_ODD_SPACE_CHAR = re.compile(r"[^\S \n]|[\u200b\ufffc]")

#: ROOTS's `incorrect_word_substrings`: a word holding one of these is a URL or HTML leftover.
URL_SUBSTRINGS = ("http", "www", ".com", "href", "//")


def uniform_whitespace(text: str) -> str:
    """ROOTS's `uniform_whitespace`, keeping lines: every whitespace character except the newline (tab,
    no-break and other Unicode spaces), the zero-width space and U+FFFC become a space; runs of spaces
    become one; lines lose their leading and trailing spaces; runs of blank lines become one blank line
    (ROOTS also turned newlines into spaces; paragraphs matter to a language model, so we keep them);
    the text is stripped."""
    if not (_ODD_SPACE_CHAR.search(text) or "  " in text or " \n" in text or "\n " in text or "\n\n\n" in text
            or text[:1] in (" ", "\n") or text[-1:] in (" ", "\n")):
        return text
    text = _MULTI_SPACE.sub(" ", _ODD_SPACE.sub(" ", text))
    text = "\n".join(line.strip(" ") for line in text.split("\n"))
    return _BLANK_RUNS.sub("\n\n", text).strip()


def _remove_words(text: str, drop, candidate=None) -> str:
    """Remove the space-separated words for which `drop(word)` is true, line by line; a line left
    without words disappears (ROOTS's split_on_newline_tab_whitespace/merge). Lines for which
    `candidate(line)` is false cannot hold such a word and are kept as they are."""
    lines = []
    for line in text.split("\n"):
        if candidate is not None and not candidate(line):
            lines.append(line)
            continue
        words = line.split(" ")
        kept = [w for w in words if w and not drop(w)]
        if kept:
            lines.append(" ".join(kept))
        elif not line.strip():
            lines.append("")  # a blank line stays a paragraph break
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def remove_url_words(text: str, substrings: tuple[str, ...] = URL_SUBSTRINGS) -> str:
    """ROOTS's `remove_words_with_incorrect_substrings`: remove every space-separated word that, once
    stripped of special characters, holds one of `substrings` (`http`, `www`, `.com`, `href`, `//`)."""
    if not any(s in text for s in substrings):
        return text
    pattern = re.compile("|".join(map(re.escape, substrings)))
    return _remove_words(text, lambda w: pattern.search(w) is not None
                         and any(s in strip_special(w) for s in substrings), pattern.search)


def remove_long_words(text: str, max_length: int) -> str:
    """ROOTS's `remove_long_words`: remove every space-separated word longer than `max_length` characters
    unless, stripped of special characters, it is at most `max_length` long (a word glued to punctuation)."""
    if max(map(len, text.split()), default=0) <= max_length:
        return text

    def too_long(word: str) -> bool:
        return len(word) > max_length and (not (s := strip_special(word)) or len(s) > max_length)

    return _remove_words(text, too_long)


# --- catalogue maps and filters ----------------------------------------------------------------------

HTML_SPAN_MARKERS = ("<span", "</span>", "<div", "</div>", "<a", "</a>", "br>")
CODE_LINE_MARKERS = ("{", "}", "[if", "<script")


def remove_lines_with(text: str, markers: Iterable[str]) -> str:
    """ROOTS's `build_line_with_substring_remover`: the lines (split on `\\n`) holding none of `markers`."""
    markers = tuple(markers)
    if not any(m in text for m in markers):
        return text
    return "\n".join(line for line in text.split("\n") if not any(m in line for m in markers))


def remove_html_spans(text: str) -> str:
    """Remove lines holding HTML span, div, anchor or line-break tags (ROOTS's `remove_html_spans`)."""
    return remove_lines_with(text, HTML_SPAN_MARKERS)


def remove_lines_with_code(text: str) -> str:
    """Remove lines holding `{`, `}`, `[if` or `<script` (ROOTS's `remove_lines_with_code`)."""
    return remove_lines_with(text, CODE_LINE_MARKERS)


def replace_newlines(text: str) -> str:
    """Every newline becomes a space (ROOTS's `replace_newline_with_space`)."""
    return text.replace("\n", " ")


def space_word_count(text: str) -> int:
    """ROOTS's word count for `filter_small_docs`: `len(text.split(" "))`."""
    return len(text.split(" "))


def line_hash(line: str) -> bytes:
    """A 16-byte digest of a stripped line: what template counting keeps instead of the line."""
    return hashlib.blake2b(line.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def template_line_hashes(text: str, min_chars: int = 15) -> list[bytes]:
    """The digests of the lines of `text` that are at least `min_chars` long once stripped, one per
    occurrence (ROOTS counted occurrences across the source, not documents)."""
    return [line_hash(s) for s in (line.strip() for line in text.split("\n")) if len(s) >= min_chars]


@dataclass
class TemplateLines:
    """ROOTS's `dedup_template`: lines (stripped) of at least `min_chars` characters that occur at least
    `min_count` times in a source are boilerplate, and are removed from every document of that source."""

    min_chars: int = 15
    min_count: int = 10
    counts: dict[str, Counter] = field(default_factory=dict)
    #: Template digests per source read back by `load` (then `counts` is empty).
    fixed: dict[str, set[bytes]] | None = None

    def add(self, source: str, text: str) -> None:
        """Count the lines of one document of `source`."""
        self.counts.setdefault(source, Counter()).update(template_line_hashes(text, self.min_chars))

    def fit(self, docs: Iterable[Document]) -> "TemplateLines":
        """Count the lines of every document, per source; returns self."""
        for doc in docs:
            self.add(doc.source, doc.text)
        return self

    def templates(self, source: str) -> set[bytes]:
        """The digests of the source's template lines."""
        if self.fixed is not None:
            return self.fixed.get(source, set())
        return {h for h, c in self.counts.get(source, Counter()).items() if c >= self.min_count}

    def save(self, path: str) -> None:
        """Write each source's template digests as JSON (atomically, see roots.rundir), so that a later
        step's workers can `load` them: counting is a pass over a whole source, removal is per document."""
        sources = sorted(self.fixed) if self.fixed is not None else sorted(self.counts)
        data = {"min_chars": self.min_chars, "min_count": self.min_count,
                "templates": {src: sorted(h.hex() for h in self.templates(src)) for src in sources}}
        write_json(path, data)

    @classmethod
    def load(cls, path: str) -> "TemplateLines":
        """Template digests written by `save`; a RootsError naming the file when it cannot be read."""
        try:
            data = read_json(path)
            fixed = {src: {bytes.fromhex(h) for h in hashes} for src, hashes in data["templates"].items()}
            return cls(int(data["min_chars"]), int(data["min_count"]), fixed=fixed)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
            raise RootsError(f"{path}: cannot read template line digests ({err})") from None

    def remover(self, source: str):
        """A function removing the source's template lines from a text."""
        templates = self.templates(source)

        def remove(text: str) -> str:
            if not templates:
                return text
            return "\n".join(line for line in text.split("\n")
                             if len(s := line.strip()) < self.min_chars or line_hash(s) not in templates)

        return remove


# --- the stage ----------------------------------------------------------------------------------------

MAPS = {"remove_html_spans": remove_html_spans, "replace_newlines": replace_newlines,
        "remove_lines_with_code": remove_lines_with_code}
FILTERS = CLEANING_FILTERS
assert set(MAPS) == set(CLEANING_MAPS), "roots.stage_configs.CLEANING_MAPS names every map"


@dataclass
class Cleaning:
    """The catalogue cleaning stage: each source's operations in order; a filter rejects with
    `cleaning:<reason>`, maps change the text, and text emptied by the maps is rejected as `cleaning:empty`.
    Give `templates` (fitted on the same sources) when some source uses `dedup_template`."""

    config: CleaningConfig
    templates: TemplateLines | None = None
    #: a file written by `TemplateLines.save`, loaded in `setup` when `templates` is not given
    templates_path: str | None = None
    name: str = "cleaning"

    def setup(self) -> None:
        """Load the template digests if given as a file; removers are built per source on first use."""
        if self.templates is None and self.templates_path:
            self.templates = TemplateLines.load(self.templates_path)
        self._removers: dict[str, Any] = {}

    def __call__(self, doc: Document) -> Document | Rejection:
        if not hasattr(self, "_removers"):
            self.setup()
        ops = self.config.operations(doc.source)
        if not ops:
            return doc
        changed: list[str] = []
        for op in ops:
            if op == "remove_empty_docs":
                if not doc.text.strip():
                    return Rejection(doc, EMPTY, f"{doc.id}: empty text")
            elif op == "filter_small_docs":
                n = space_word_count(doc.text)
                if n < self.config.min_words:
                    return Rejection(doc, SMALL_WORDS, f"{doc.id}: {n} words < min_words {self.config.min_words}")
            elif op == "filter_small_docs_bytes":
                n = len(doc.text.encode("utf-8", "surrogatepass"))
                if n < self.config.min_bytes:
                    return Rejection(doc, SMALL_BYTES, f"{doc.id}: {n} bytes < min_bytes {self.config.min_bytes}")
            else:
                new = self._map(op, doc.source)(doc.text)
                if new != doc.text:
                    changed.append(op)
                    doc.text = new
                    doc.meta["cleaning"] = changed
                    if not new.strip():
                        return Rejection(doc, EMPTY, f"{doc.id}: empty after {', '.join(changed)}")
        return doc

    def _map(self, op: str, source: str):
        if op != TEMPLATE:
            return MAPS[op]
        remover = self._removers.get(source)
        if remover is None:
            remover = self._removers[source] = (self.templates.remover(source) if self.templates is not None
                                                else (lambda text: text))
        return remover

    def report(self) -> dict:
        """What the stage does per source, and whether template counts were given where needed."""
        return {"default": list(self.config.default),
                "sources": {k: list(v) for k, v in sorted(self.config.sources.items())},
                "dedup_template": ("counts given" if self.templates is not None or self.templates_path else
                                   "off: no template counts given" if self.config.needs_template_counts else "unused")}
