"""The first map every document goes through: mojibake repaired, Unicode NFC, no control characters,
one newline convention, and a rejection for text that is not valid UTF-8, empty, or too large."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from roots.document import EMPTY_TEXT, INVALID_UTF8, TOO_LARGE, Document, Rejection, utf8_size

# C0 and C1 controls except tab and newline (carriage returns are folded into newlines first).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029]")
# Anything either substitution would touch: one search is several times cheaper than two subs,
# and most documents need neither.
_NEEDS_WORK = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
# A UTF-8 lead byte read as Latin-1 or Windows-1252 (Â-ô) followed by a continuation byte read the same
# way (a C1 control, Latin-1 punctuation, or one of cp1252's specials): the mark of UTF-8 decoded twice
# ("Thereâ€™s", "CalendÃ¡rio"). Only text holding it goes to ftfy, which repairs what it is sure of.
_MOJIBAKE = re.compile("[\u00c2-\u00f4][\u0080-\u00bf\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6"
                       "\u2030\u0160\u2039\u0152\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc"
                       "\u2122\u0161\u203a\u0153\u017e\u0178]")


def normalise_text(text: str) -> str:
    """Repair mojibake (UTF-8 decoded as Latin-1 or Windows-1252, with ftfy's `fix_encoding`), NFC-normalise,
    turn CR/CRLF and Unicode line separators into `\\n`, drop control characters and a leading byte-order
    mark. Format characters such as ZWJ/ZWNJ stay: Indic scripts need them. The repair comes first: the
    C1 controls dropped next are half of what it reads ("â\\x80\\x99" is "’")."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if _MOJIBAKE.search(text):
        from ftfy import fix_encoding   # imported on first use: most corpora never need it (66 ms)

        text = fix_encoding(text)
    if _NEEDS_WORK.search(text):
        text = _CONTROL.sub("", _NEWLINES.sub("\n", text))
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


@dataclass
class Normalise:
    """The normalise stage: rejects invalid UTF-8 (lone surrogates), empty and over-size text."""

    max_bytes: int = 5_000_000
    name: str = "normalise"

    def setup(self) -> None:
        """Nothing to load."""

    def __call__(self, doc: Document) -> Document | Rejection:
        try:
            size = utf8_size(doc.text)
        except UnicodeEncodeError as err:
            doc.text = doc.text.encode("utf-8", errors="replace").decode("utf-8")
            return Rejection(doc, INVALID_UTF8, f"{doc.id}: lone surrogate at character {err.start}")
        if size > self.max_bytes:
            return Rejection(doc, TOO_LARGE, f"{doc.id}: {size} bytes > max_bytes {self.max_bytes}")
        doc.text = normalise_text(doc.text)
        if not doc.text.strip():
            return Rejection(doc, EMPTY_TEXT, f"{doc.id}: no text after normalisation")
        return doc
