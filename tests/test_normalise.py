"""The normalise stage: NFC, control characters, newlines, and its three rejections."""
from __future__ import annotations

import unicodedata

from roots.document import EMPTY_TEXT, INVALID_UTF8, TOO_LARGE, Document, Rejection
from roots.filters.normalise import Normalise, normalise_text


def test_nfc_newlines_controls_bom():
    decomposed = "Vie\u0302\u0323t Nam"          # Vietnamese written with combining marks
    text = normalise_text("\ufeff" + decomposed + "\r\nline\rnext\x00\x1b[0m\u2028end\t!")
    assert text == "Việt Nam\nline\nnext[0m\nend\t!"
    assert unicodedata.is_normalized("NFC", text)


def test_format_characters_that_scripts_need_are_kept():
    hindi_with_zwj = "क्\u200dष"                     # a ZWJ inside a Devanagari conjunct
    assert normalise_text(hindi_with_zwj) == hindi_with_zwj


def test_rejections():
    stage = Normalise(max_bytes=20)
    assert isinstance(stage(Document("a", "fine text")), Document)
    empty = stage(Document("b", " \x00\x01\n\t "))
    assert isinstance(empty, Rejection) and empty.reason == EMPTY_TEXT
    big = stage(Document("c", "é" * 11))             # 22 bytes in UTF-8, 11 characters
    assert isinstance(big, Rejection) and big.reason == TOO_LARGE and "22 bytes" in big.detail
    surrogate = stage(Document("d", "bad \ud800 text"))
    assert isinstance(surrogate, Rejection) and surrogate.reason == INVALID_UTF8
    surrogate.doc.text.encode("utf-8")               # the rejected record itself is writable
