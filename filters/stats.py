"""The ROOTS quality statistics, each a small pure function whose docstring is its exact definition.

They follow BigScience's `01b_oscar_cleaning_and_filtering/filtering.py` (the code that filtered
ROOTS's OSCAR part); where this module differs, the docstring says how. Words are the output of
`roots.filters.words` (lowercased, stripped of special characters at both ends, empty ones dropped),
so every statistic here takes them ready-made: a document is split once, not once per statistic.
"""
from __future__ import annotations

import functools
import math
import re
import sys
from collections import Counter
from typing import Collection, Iterator, Sequence

import numpy as np

# ROOTS's special characters live in the core (roots.special), which word normalisation shares with
# the resource lists (roots.resources); re-exported here, where the statistics use them.
from roots.special import (ROOTS_MAIN_SPECIAL, ROOTS_OTHER_SPECIAL, _SPECIAL_CATEGORIES,  # noqa: E402,F401
                           is_special_character, special_set, special_table, strip_set, strip_special)


def codepoints(text: str) -> np.ndarray:
    """The code points of `text` as uint32 (lone surrogates kept as their values)."""
    return np.frombuffer(text.encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32)


# --- natural-language statistics ------------------------------------------------------------------


def word_count(words: Sequence[str]) -> int:
    """The number of words (see roots.filters.words: tokens with special characters stripped from both
    ends, empty ones dropped)."""
    return len(words)


def _dense_ranks(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Each value's rank among the distinct values (0-based), as uint64, and the number of distinct values."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.uint64), 0
    top = int(values.max())
    if top < 0x10000:  # small values (code points of the BMP): a lookup table, no sorting
        present = np.zeros(top + 1, dtype=bool)
        present[values] = True
        distinct = np.flatnonzero(present)
        table = np.zeros(top + 1, dtype=np.uint16)
        table[distinct] = np.arange(len(distinct), dtype=np.uint16)
        return table[values].astype(np.uint64), len(distinct)
    order = np.argsort(values)  # cheaper than searchsorted's random probes on long inputs
    ordered = values[order]
    sorted_ranks = np.empty(len(values), dtype=np.uint64)
    sorted_ranks[0] = 0
    np.cumsum(ordered[1:] != ordered[:-1], out=sorted_ranks[1:])
    ranks = np.empty_like(sorted_ranks)
    ranks[order] = sorted_ranks
    return ranks, int(sorted_ranks[-1]) + 1


def _run_lengths(ordered_equal: np.ndarray, size: int) -> np.ndarray:
    """Lengths of the runs of equal neighbours, given `ordered_equal[i]` = element i+1 equals element i."""
    edges = np.flatnonzero(~ordered_equal)
    return np.diff(np.concatenate(([-1], edges, [size - 1])))


def _horner(ranks: np.ndarray, start: int, width: int, m: int, base: int) -> np.ndarray:
    key = ranks[start:start + m].copy()
    for i in range(1, width):
        key *= np.uint64(base)
        key += ranks[start + i:start + i + m]
    return key


def ngram_counts(cps: np.ndarray, n: int) -> np.ndarray:
    """The occurrence count of each distinct n-gram of the sequence `cps` (order unspecified). Exact:
    n-grams are keyed by their symbols' dense ranks in base A (A = distinct symbols), in one 64-bit
    key when A**n fits, two keys compared together when A**(n/2) fits, else by repeated re-ranking."""
    m = len(cps) - n + 1
    if m <= 0:
        return np.zeros(0, dtype=np.int64)
    ranks, alphabet = _dense_ranks(cps)
    base = max(alphabet, 2)
    per_key = max(1, int(63 / math.log2(base)))
    while base ** (per_key + 1) < 2 ** 63:  # float rounding of the log
        per_key += 1
    while base ** per_key >= 2 ** 63:
        per_key -= 1
    if n <= per_key:
        key = np.sort(_horner(ranks, 0, n, m, base))
        return _run_lengths(key[1:] == key[:-1], m)
    # Two parts: the last `tail` symbols stay in base A, the first n - tail are re-ranked (< m values)
    # so that rank * A**tail + tail key fits in 63 bits.
    tail = 0
    while tail < n - 1 and m * base ** (tail + 1) < 2 ** 63:
        tail += 1
    if tail >= 1 and n - tail <= per_key:
        head, _ = _dense_ranks(_horner(ranks, 0, n - tail, m, base))
        key = head * np.uint64(base ** tail) + _horner(ranks, n - tail, tail, m, base)
        key.sort()
        return _run_lengths(key[1:] == key[:-1], m)
    key, key_range = _horner(ranks, 0, per_key, m, base), base ** per_key
    pos = per_key
    while pos < n:  # very large alphabets and long n-grams: re-rank the prefix key before extending it
        width = min(per_key, n - pos)
        part = _horner(ranks, pos, width, m, base)
        key, key_range = _dense_ranks(key)
        part_range = base ** width
        if key_range * part_range >= 2 ** 63:
            part, part_range = _dense_ranks(part)
        key = key * np.uint64(part_range) + part
        key_range *= part_range
        pos += width
    key = np.sort(key)
    return _run_lengths(key[1:] == key[:-1], m)


def char_repetition_ratio(text: str, n: int) -> float:
    """Character n-gram repetition ratio (ROOTS: n = 10, zh n = 3). Count every n-gram of consecutive
    characters of `text` (whitespace included); let D be the number of distinct n-grams and
    k = min(floor(sqrt(D)), number of n-grams occurring more than once). The ratio is the sum of the
    k highest counts over the sum of all counts; 0 when the text has fewer than n characters."""
    counts = ngram_counts(codepoints(text), n)
    if len(counts) == 0:
        return 0.0
    repeated = counts[counts > 1]  # the k highest counts are all among the repeated ones
    k = min(math.isqrt(len(counts)), len(repeated))
    if k == 0:
        return 0.0
    top = repeated.sum() if k == len(repeated) else np.sort(repeated)[len(repeated) - k:].sum()
    return float(top) / (len(text) - n + 1)


def word_repetition_ratio(words: Sequence[str], n: int) -> float:
    """Word n-gram repetition ratio (ROOTS: n = 5, ur n = 7): among the n-grams of consecutive words,
    the share of occurrences whose n-gram occurs more than once: sum of the counts greater than 1 over
    the sum of all counts; 0 when there are fewer than n words."""
    if len(words) < n:
        return 0.0
    counts = Counter(zip(*(words[i:] for i in range(n))))
    total = len(words) - n + 1
    repeated = sum(c for c in counts.values() if c > 1)
    return repeated / total


@functools.lru_cache(maxsize=1)
def visible_table() -> np.ndarray:
    """A boolean table over all code points, False for whitespace (`str.isspace`) and U+200B."""
    table = np.ones(sys.maxunicode + 1, dtype=bool)
    for cp in range(0x3100):  # every whitespace code point is below U+3100 (the last is U+3000)
        if chr(cp).isspace():
            table[cp] = False
    table[0x200B] = False
    return table


def special_characters_ratio(text: str) -> float:
    """Special-character ratio: the number of special characters (see `is_special_character`:
    punctuation, digits, symbols, emoji, and ROOTS's listed extras) over the number of characters,
    whitespace left out of both counts; 0 for text without a visible character.

    ROOTS counted whitespace as special. Whitespace measures how long a script's words are, not junk:
    clean Urdu, whose words are short and spaced, reached 0.27 against ROOTS's Urdu maximum 0.25, while
    Chinese has none. Without it, the ratio is the share of visible characters that are not letters or
    marks, comparable across scripts, and tables, menus and symbol runs still score high."""
    if not text:
        return 0.0
    cps = codepoints(text)
    visible = visible_table()[cps]
    shown = int(np.count_nonzero(visible))
    if shown == 0:
        return 0.0
    return float(np.count_nonzero(special_table()[cps] & visible)) / shown


def augmented(words: Sequence[str], group_sizes: Sequence[int], join: str) -> list[str]:
    """ROOTS's `words_augmentation`: for each group size g, every run of g consecutive words joined
    with `join` (so multi-word stopwords match in Vietnamese, multi-character ones in Chinese)."""
    out: list[str] = []
    for g in group_sizes:
        out.extend(map(join.join, zip(*(words[i:] for i in range(g)))))
    return out


def word_list_ratio(words: Sequence[str], listed: Collection[str], group_sizes: Sequence[int] = (),
                    join: str = "") -> float:
    """The number of words, plus augmented word groups (see `augmented`), that are in `listed`, over
    the number of words, capped at 1; 0 when there are no words."""
    if not words:
        return 0.0
    contains = listed.__contains__
    hits = sum(map(contains, words))
    if group_sizes:
        hits += sum(map(contains, augmented(words, group_sizes, join)))
    return min(1.0, hits / len(words))


def stopword_ratio(words: Sequence[str], stopwords: Collection[str], group_sizes: Sequence[int] = (),
                   join: str = "") -> float:
    """Stopword ratio (filtered by a minimum): `word_list_ratio` against the language's stopwords."""
    return word_list_ratio(words, stopwords, group_sizes, join)


def flagged_word_ratio(words: Sequence[str], flagged: Collection[str], group_sizes: Sequence[int] = (),
                       join: str = "") -> float:
    """Flagged-word ratio (filtered by a maximum): `word_list_ratio` against the language's flagged words."""
    return word_list_ratio(words, flagged, group_sizes, join)


# --- code statistics (ROOTS's GitHub rules, plus generated and minified files) --------------------

_GENERATED_MARKERS = ("auto-generated", "autogenerated", "automatically generated", "generated by",
                      "do not edit", "code generated", "this file was generated", "generated file")


def char_count(text: str) -> int:
    """The number of characters (code points) of `text`."""
    return len(text)


def max_line_length(text: str) -> int:
    """The length in characters of the longest line (lines split on `\\n`); 0 for empty text."""
    return max(map(len, text.split("\n"))) if text else 0


def mean_line_length(text: str) -> float:
    """The mean length in characters of the lines (split on `\\n`); 0 for empty text."""
    if not text:
        return 0.0
    lines = text.split("\n")
    return (len(text) - (len(lines) - 1)) / len(lines)


def non_alphanumeric_ratio(text: str) -> float:
    """The share of characters that are not alphanumeric (`str.isalnum`: letters and digits of any
    script); whitespace and punctuation count as non-alphanumeric. 0 for empty text."""
    if not text:
        return 0.0
    alnum = sum(1 for ch in text if ch.isalnum()) if not text.isascii() else _ascii_alnum(text)
    return (len(text) - alnum) / len(text)


_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]")


def _ascii_alnum(text: str) -> int:
    return len(_ASCII_ALNUM.findall(text))


def is_autogenerated(text: str, head_lines: int = 5) -> bool:
    """True when one of the first `head_lines` lines, lowercased, holds a generator marker
    ("auto-generated", "autogenerated", "automatically generated", "generated by", "do not edit",
    "code generated", "this file was generated", "generated file"), as codeparrot/The Stack do."""
    head = "\n".join(text.split("\n", head_lines)[:head_lines]).lower()
    return any(marker in head for marker in _GENERATED_MARKERS)


def is_minified(text: str, mean_line_max: float = 200.0, long_line: int = 1000,
                long_line_share: float = 0.5) -> bool:
    """True for minified or packed code: a mean line length above `mean_line_max` characters, or at
    least `long_line_share` of the characters on lines longer than `long_line` characters."""
    if not text:
        return False
    if mean_line_length(text) > mean_line_max:
        return True
    long_chars = sum(len(line) for line in text.split("\n") if len(line) > long_line)
    return long_chars >= long_line_share * len(text)


# --- Gopher's repetition statistics (Rae et al. 2021, MassiveText; as datatrove's GopherRepetitionFilter) ---


def duplicate_fractions(parts: Sequence[str], total_chars: int) -> tuple[float, float]:
    """(share of the parts that repeat an earlier part, characters of those repeats over `total_chars`),
    Gopher's duplicate line and paragraph statistics: the first occurrence of a part is not a
    duplicate, every later one is. (0, 0) for no parts."""
    if not parts or total_chars <= 0:
        return 0.0, 0.0
    seen: set[str] = set()
    dup = dup_chars = 0
    for part in parts:
        if part in seen:
            dup += 1
            dup_chars += len(part)
        else:
            seen.add(part)
    return dup / len(parts), dup_chars / total_chars


def text_lines(text: str) -> list[str]:
    """The lines of `text` (split on newlines), stripped, empty ones dropped."""
    return [line for line in (raw.strip() for raw in text.split("\n")) if line]


_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def text_paragraphs(text: str) -> list[str]:
    """The paragraphs of `text` (split on blank lines), stripped, empty ones dropped."""
    return [p for p in (raw.strip() for raw in _PARAGRAPH_BREAK.split(text)) if p]


def word_ids(words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(each word's id, int64, ids numbered by first occurrence; each word's length in characters)."""
    index = {w: i for i, w in enumerate(dict.fromkeys(words))}
    ids = np.fromiter(map(index.__getitem__, words), dtype=np.int64, count=len(words))
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    return ids, lengths


def _classes(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(each key's class: its rank among the distinct keys; the first position of each class; the count
    of each class), as `np.unique(keys, return_index=True, return_inverse=True, return_counts=True)`
    gives them, with less overhead."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    starts = np.empty(len(keys), dtype=bool)
    starts[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    classes = np.empty(len(keys), dtype=np.int64)
    classes[order] = np.cumsum(starts) - 1
    return classes, order[starts], np.diff(np.append(np.flatnonzero(starts), len(keys)))


def word_ngram_classes(ids: np.ndarray, max_n: int) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
    """For n = 2..max_n (while there are n-grams): (n, class of the n-gram starting at each position,
    first position of each class, count of each class). Exact: the classes of (n-1)-grams (the word ids for n = 2) are
    extended by one word id and re-ranked, so keys never exceed (positions x vocabulary) < 2**63."""
    vocab = np.int64(int(ids.max()) + 1 if len(ids) else 1)
    classes = ids
    for n in range(2, max_n + 1):
        m = len(ids) - n + 1
        if m <= 0:
            return
        classes, first, counts = _classes(classes[:m] * vocab + ids[n - 1:])
        yield n, classes, first, counts


def _window_sums(csum: np.ndarray, n: int) -> np.ndarray:
    """Sum of the word lengths over every window of n consecutive words, from their cumulative sum
    with a leading 0 (`csum`)."""
    return csum[n:] - csum[:-n]


def top_ngram_char_fraction(counts: np.ndarray, first: np.ndarray, csum: np.ndarray, n: int, total: int) -> float:
    """Gopher's top n-gram character fraction: the characters of every occurrence of the most frequent
    word n-gram over `total` (the document's characters); 0 when no n-gram occurs twice. Among equally
    frequent n-grams the longest counts. An n-gram's characters are those of its words, without
    separators, so the statistic means the same for languages written without spaces, where words are
    characters or pieces (datatrove joins English n-grams with spaces: its values are a little higher).
    `counts` and `first` are per n-gram class, `csum` the words' cumulative lengths with a leading 0."""
    if len(counts) == 0 or total <= 0:
        return 0.0
    top = int(counts.max())
    if top < 2:
        return 0.0
    chars = _window_sums(csum, n)[first[counts == top]]
    return float(top * int(chars.max())) / total


def duplicate_ngram_char_fraction(classes: np.ndarray, first: np.ndarray, lengths: np.ndarray, n: int,
                                  total: int) -> float:
    """Gopher's duplicate n-gram character fraction: the characters of the words covered by an
    occurrence of a word n-gram that occurred earlier in the document (its first occurrence excluded;
    overlapping occurrences cover each word once), over `total` (the document's characters), as
    datatrove counts them (words without separators over the text's length)."""
    m = len(classes)
    if m == 0 or total <= 0 or len(first) == m:
        return 0.0
    repeat = np.ones(m, dtype=bool)
    repeat[first] = False
    starts = np.flatnonzero(repeat)
    delta = np.zeros(len(lengths) + 1, dtype=np.int64)
    delta[starts] += 1  # positions are distinct, so plain fancy-index updates are exact
    delta[starts + n] -= 1
    covered = np.cumsum(delta[:-1]) > 0
    return float(int(lengths[covered].sum())) / total


def gopher_ngram_fractions(words: Sequence[str], total_chars: int, top_ns: Sequence[int], dup_ns: Sequence[int]
                           ) -> dict[str, float]:
    """Every top n-gram (`top_<n>gram_char_fraction`, n in `top_ns`) and duplicate n-gram
    (`dup_<n>gram_char_fraction`, n in `dup_ns`) statistic of `words` in one pass over n, as fractions
    of `total_chars` (the text's length; capped at 1); 0 where the document has fewer than n words."""
    out = {f"top_{n}gram_char_fraction": 0.0 for n in top_ns}
    out.update({f"dup_{n}gram_char_fraction": 0.0 for n in dup_ns})
    wanted_top, wanted_dup = set(top_ns), set(dup_ns)
    max_n = max([*top_ns, *dup_ns], default=0)
    if not words or max_n == 0:
        return out
    ids, lengths = word_ids(words)
    csum = np.concatenate(([0], np.cumsum(lengths)))
    for n, classes, first, counts in word_ngram_classes(ids, max_n):
        if len(first) == len(classes):  # no n-gram repeats, so no longer one does: the rest stay 0
            break
        if n in wanted_top:
            out[f"top_{n}gram_char_fraction"] = min(1.0, top_ngram_char_fraction(counts, first, csum, n, total_chars))
        if n in wanted_dup:
            out[f"dup_{n}gram_char_fraction"] = min(1.0, duplicate_ngram_char_fraction(classes, first, lengths, n,
                                                                                       total_chars))
    return out
