"""The first map every document goes through: Unicode NFC, no control characters, one newline
convention, and a rejection for text that is not valid UTF-8, empty, or too large."""
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


def normalise_text(text: str) -> str:
    """NFC-normalise, turn CR/CRLF and Unicode line separators into `\\n`, drop control characters
    and a leading byte-order mark. Format characters such as ZWJ/ZWNJ stay: Indic scripts need them."""
    if text.startswith("\ufeff"):
        text = text[1:]
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
