"""Every rejection reason of the built-in stages and readers, with what it means: the one table the
stages reject with and the data card explains from, in the core so that neither needs the other.
A reason is written `stage:name` in the run directory (`Rejection.reason.code`). A user stage declares
its own (roots.user_stages: its `reasons`); adding a quality rule adds its line under `quality`."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    """Why a stage rejected a document, written `stage:name` in the run directory."""

    stage: str
    name: str
    description: str

    @property
    def code(self) -> str:
        return f"{self.stage}:{self.name}"

    def __str__(self) -> str:
        return self.code


#: Every reason declared so far, by code.
REASONS: dict[str, Reason] = {}


def register_reason(reason: Reason) -> Reason:
    """Add a reason to the table of known reasons (idempotent) and return it."""
    known = REASONS.setdefault(reason.code, reason)
    if known != reason:
        raise ValueError(f"reason {reason.code} is declared twice with different descriptions")
    return reason


def declare(stage: str, descriptions: dict[str, str]) -> dict[str, Reason]:
    """Register a stage's reasons (name → description); the Reasons by name."""
    return {name: register_reason(Reason(stage, name, text)) for name, text in descriptions.items()}


def description(code: str) -> str:
    """What the reason `code` means ("" for one nobody declared)."""
    reason = REASONS.get(code)
    return reason.description if reason else ""


# --- ingestion and normalisation (roots.io, roots.filters.normalise) ------------------------------------
BAD_INPUT = "bad_input"
_bad = declare(BAD_INPUT, {
    "invalid_utf8": "the bytes are not valid UTF-8 (or hold lone surrogates)",
    "broken_json": "the line is not valid JSON",
    "not_an_object": "the JSON value is not an object",
    "missing_field": "the record has no text field",
    "wrong_type": "the text field is not a string (or the id field is an object or array)",
    "empty_text": "the text is empty or only whitespace and control characters",
    "too_large": "the text is larger than the configured maximum",
    "unreadable_file": "the file could not be opened or decoded at all",
    "schema_mismatch": "the table has no column for the configured text field",
    "binary_file": "the file holds binary data, not text",
    "unknown_language": "no registry language matches the file",
    "vendored_file": "the file lies in a vendored or generated folder",
    "not_a_document": "the record holds no document (a WARC request, metadata or info record)",
    "no_extracted_text": "HTML extraction found no main text",
    "bad_field": "a field other than the text nests too deeply to be stored (over 255 levels)",
    "compression_ratio": "the compressed file decompresses to more than max_compression_ratio times its size "
                         "(a decompression bomb): the rest of it is not read",
    "duplicate_id": "an earlier record of the same input file has the same id",
    "bad_lang_field": "the record's language (the source's lang_field) is missing, not a string, or not a code "
                      "of the language registry",
    "file_too_large": "the file is larger than the source's max_file_bytes",
    "symlink_outside_tree": "a symlink that is broken or points outside the source tree; not followed",
})

# --- the catalogue cleaning (roots.filters.cleaning) ----------------------------------------------------
CLEANING = declare("cleaning", {
    "empty": "the text is empty (after cleaning)",
    "small_words": "fewer space-separated words than the source's min_words",
    "small_bytes": "fewer UTF-8 bytes than the source's min_bytes",
})

# --- boilerplate removal (roots.filters.boilerplate) ----------------------------------------------------
BOILERPLATE = declare("boilerplate", {
    "empty": "nothing is left once boilerplate lines are removed",
    "too_little_left": "fewer words than min_words_left once boilerplate lines are removed",
    "lone_line": "the page is one line under min_block_words words that ends no sentence or ends in an "
                 "ellipsis: a headline, caption, notice or cut-off teaser alone (C4's terminal punctuation rule)",
    "duplicate_lines": "too many repeated lines (Gopher), by count or characters",
    "duplicate_paragraphs": "too many repeated paragraphs (Gopher), by count or characters",
    "bullet_lines": "too many lines start with a bullet (Gopher)",
    "short_lines": "too many lines under short_line_chars characters (FineWeb)",
    "terminal_punctuation": "too few lines end with terminal punctuation (FineWeb)",
    "no_running_text": "most of the page was boilerplate and no block of running text left between removed lines "
                       "has min_block_words words",
    "prose_share": "too little of the page is in paragraph-length lines: headlines, teasers and captions, not prose",
})

# --- language identification (roots.filters.lid) --------------------------------------------------------
LID = declare("lid", {
    "wrong_language": "the LID model says the text is in another language than its source's, or the text's "
                      "script rules the language out",
    "low_score": "the LID score is under the language's min_score (or the text has no letters)",
    "noise": "our LID model files the text under its noise class: junk such as repeated tokens, keyboard mash, "
             "markup, code, numbers or link lists, not language",
})

# --- the quality filters: one per rule of roots.filters.rules, by rule name -----------------------------
QUALITY = declare("quality", {
    "word_count": "fewer words than the language's min_words, or more than max_words",
    "char_repetition": "character n-gram repetition ratio above the language's maximum",
    "word_repetition": "word n-gram repetition ratio above the language's maximum",
    "duplicate_lines": "too many lines, or characters in lines, that repeat an earlier line (Gopher)",
    "duplicate_paragraphs": "too many paragraphs, or characters in paragraphs, that repeat an "
                            "earlier paragraph (Gopher)",
    "top_ngrams": "the most frequent word 2-, 3- or 4-gram covers too many characters (Gopher)",
    "duplicate_ngrams": "repeated word 5- to 10-grams cover too many characters (Gopher)",
    "special_characters": "share of special characters above the language's maximum",
    "stopwords": "stopword ratio below the language's minimum",
    "flagged_words": "flagged-word ratio above the language's maximum",
    "lid_score": "language-identification score below the language's minimum",
    "perplexity": "KenLM perplexity above the language's maximum (absolute, or a "
                  "percentile of the model's reference text)",
    "code_size": "source file of at most min_chars or at least max_chars characters",
    "code_line_length": "source file with a line longer than max_line_length",
    "code_non_alphanumeric": "share of non-alphanumeric characters outside the allowed range",
    "code_autogenerated": "source file generated by a tool",
    "code_minified": "minified or packed source file",
})

# --- dedup (roots.dedup) --------------------------------------------------------------------------------
DEDUP = declare("dedup", {
    "exact": "an exact duplicate (same normalised text) of a kept document",
    "url": "the same URL as a kept document",
    "near": "a near duplicate (MinHash, Jaccard at or above the threshold) of a kept document",
})
