"""The normalise stage: NFC, control characters, newlines, and its three rejections."""
from __future__ import annotations

import unicodedata

import pytest

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


@pytest.mark.parametrize("broken, fixed", [
    ("There\u00e2\u0080\u0099s an impeachment lesson", "There\u2019s an impeachment lesson"),   # C1 controls kept
    ("There\u00e2\u20ac\u2122s an impeachment lesson", "There\u2019s an impeachment lesson"),   # read as cp1252
    ("Clique e veja o Calend\u00c3\u00a1rio completo", "Clique e veja o Calend\u00e1rio completo"),
    ("ATEN\u00c3\u0087\u00c3\u0083O: Coment\u00c3\u00a1rios", "ATEN\u00c7\u00c3O: Coment\u00e1rios"),
])
def test_mojibake_is_repaired(broken, fixed):
    assert normalise_text(broken) == fixed


@pytest.mark.parametrize("text", ["a\u00e7\u00e3o normal", "na\u00efve caf\u00e9", "\u00a9 2019 \u00c2", "Ol\u00e1 \u00bfqu\u00e9?",
                                  "S\u00e3o Paulo \u00e0s 10h", "\u00c5ngstr\u00f6m"])
def test_correct_latin_text_is_left_alone(text):
    assert normalise_text(text) == text
