"""ROOTS's special characters and the word normalisation built on them: a token lowercased and stripped of
special characters at both ends, as the quality statistics (roots.filters) and the stopword and
flagged-word lists (roots.resources) both see words."""
from __future__ import annotations

import functools
import string
import sys
import unicodedata

import numpy as np

#: ROOTS's `other_special_characters` (parameters_filtering.py), kept verbatim so that its tuned
#: thresholds keep their meaning: besides punctuation and symbols it holds a few letters and marks
#: (ー 一 上 ン ッ ツ シ ı Г π ه and the Devanagari/Bengali vowel signs ा া ी ् े) that ROOTS counted.
ROOTS_OTHER_SPECIAL = (
    "\u200b\ufffc"  # ROOTS's odd whitespace (its other spaces are Unicode Zs, counted below anyway)
    "’“”–ー一▬…✦�£•€«»°·═×士＾˘⇓↓↑←→（）§″′´¿−±∈¢ø‚„½¼¾¹²³―⁃，ˌ¸‹›ʺˈʻ¦‐⠀‰‑≤≥‖"
    "◆●■►▼▲▴∆▻¡★☆✱ːº。¯˜¥ɪ≈†上ン：∼⁄・♡✓⊕․．⋅÷１‟；،、¨ाাी्े◦˚"
    "゜ʼ≖ʼ¤ッツシ℃√！【】‿∞➤～πه۩☛₨➩☻๑٪♥ıॽ《‘©﴿٬？▷Г♫∟™ª₪®「—❖」﴾》"
)
#: ROOTS's `main_special_characters`: ASCII punctuation, digits and whitespace.
ROOTS_MAIN_SPECIAL = string.punctuation + string.digits + string.whitespace
_SPECIAL_CATEGORIES = frozenset("PSNZ")  # punctuation, symbols (emoji are So), numbers, separators


def is_special_character(ch: str) -> bool:
    """A special character is one of ROOTS's listed special characters (ASCII punctuation, digits and
    whitespace, plus its `other_special_characters`), or any character whose Unicode general category
    is punctuation (P*), symbol (S*: emoji, arrows, currency), number (N*) or separator (Z*), or which
    is whitespace. ROOTS used the `emoji` package for emoji; category So covers single-code-point emoji."""
    return (ch in ROOTS_MAIN_SPECIAL or ch in ROOTS_OTHER_SPECIAL or ch.isspace()
            or unicodedata.category(ch)[0] in _SPECIAL_CATEGORIES)


@functools.lru_cache(maxsize=1)
def special_table() -> np.ndarray:
    """A boolean table over all code points (1.1 MB), True for special characters; built once per process."""
    category = unicodedata.category
    special = _SPECIAL_CATEGORIES
    table = np.fromiter((category(chr(cp))[0] in special for cp in range(sys.maxunicode + 1)),
                        dtype=bool, count=sys.maxunicode + 1)
    for ch in ROOTS_MAIN_SPECIAL + ROOTS_OTHER_SPECIAL:
        table[ord(ch)] = True
    for cp in range(0x100):  # whitespace outside Z*: tab, newline, U+001C..U+001F, U+0085
        if chr(cp).isspace():
            table[cp] = True
    return table


@functools.lru_cache(maxsize=1)
def special_set() -> frozenset[str]:
    """The special characters as a set of one-character strings (for per-character tests)."""
    return frozenset(map(chr, np.flatnonzero(special_table()).tolist()))


@functools.lru_cache(maxsize=1)
def strip_set() -> frozenset[str]:
    """The characters stripped from word ends: the special characters that are not letters or marks.
    ROOTS stripped its whole list, which cut the vowel signs ा ी ् े off Hindi words and the letter ه
    off Arabic ones; those still count as special characters, but words keep them."""
    return frozenset(ch for ch in special_set() if unicodedata.category(ch)[0] not in "LM")


def strip_special(word: str) -> str:
    """`word` without the special characters that are not letters or marks (`strip_set`) at its start
    and end: ROOTS's `strip(word, strip_characters)`, except that letters and marks stay."""
    special = strip_set()
    if not word or (word[0] not in special and word[-1] not in special):
        return word
    start, end = 0, len(word)
    while start < end and word[start] in special:
        start += 1
    while end > start and word[end - 1] in special:
        end -= 1
    return word[start:end]


def normalise_word(token: str) -> str:
    """A token as the statistics see it: lowercased, special characters stripped from both ends."""
    return strip_special(token.lower())
