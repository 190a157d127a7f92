"""The ROOTS statistics (filters/stats.py) and word splitting (filters/words.py), each pinned on
examples computed by hand in the comments, in Latin, Arabic, Devanagari and Han script, and for code."""
from __future__ import annotations

import gzip
import json
import random
from collections import Counter
from pathlib import Path

import pytest

from roots.filters import stats as S
from roots.filters.words import CharacterWords, SpacyWords, WhitespaceWords

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


# --- character n-gram repetition ------------------------------------------------------------------


def test_char_repetition_latin():
    # "abababab", n=2: 7 bigrams, ab x4, ba x3; D=2, k=min(floor(sqrt(2)), 2 repeated)=1 -> 4/7
    assert S.char_repetition_ratio("abababab", 2) == pytest.approx(4 / 7)
    # twelve a's, n=10: 3 identical 10-grams; D=1, k=1 -> 3/3
    assert S.char_repetition_ratio("a" * 12, 10) == 1.0
    # no 10-gram occurs twice: k = min(2, 0) = 0
    assert S.char_repetition_ratio("abcdefghijklmnop", 10) == 0.0
    # fewer characters than n: no n-grams at all
    assert S.char_repetition_ratio("short", 10) == 0.0
    assert S.char_repetition_ratio("", 10) == 0.0


def test_char_repetition_arabic():
    # "كتب كتب كتب" (11 characters), n=3: 9 trigrams: "كتب" x3, "تب " x2, "ب ك" x2, " كت" x2;
    # D=4, k=min(2, 4)=2: (3 + 2) / 9
    assert S.char_repetition_ratio("كتب كتب كتب", 3) == pytest.approx(5 / 9)


def test_char_repetition_devanagari_counts_code_points():
    # "नमस्ते" is 6 code points (न म स ् त े); with a space, a period of 7. Three copies: 20 characters,
    # 11 10-grams; positions i and i+7 are equal for i=0..3: counts 2,2,2,2,1,1,1; D=7,
    # k=min(floor(sqrt(7))=2, 4)=2: (2 + 2) / 11
    assert S.char_repetition_ratio("नमस्ते नमस्ते नमस्ते", 10) == pytest.approx(4 / 11)


def test_char_repetition_han_trigrams():
    # "我爱你" x3, n=3 (ROOTS's n for zh): 7 trigrams, 我爱你 x3, 爱你我 x2, 你我爱 x2; D=3, k=1 -> 3/7
    assert S.char_repetition_ratio("我爱你我爱你我爱你", 3) == pytest.approx(3 / 7)


def _reference_counts(text: str, n: int) -> list[int]:
    return sorted(Counter(text[i:i + n] for i in range(len(text) - n + 1)).values())


@pytest.mark.parametrize("alphabet", ["ab", "abcdefghijklmnopqrstuvwxyz .,ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!?;:'-()",
                                      "".join(map(chr, range(0x4E00, 0x4E00 + 3000))), "ab😀🎉\U00020000"])
def test_ngram_counts_are_exact(alphabet):
    """The vectorised counting equals plain Counter counting for small, large and non-BMP alphabets."""
    rng = random.Random(len(alphabet))
    base = "".join(rng.choice(alphabet) for _ in range(2000))
    text = base + base[300:900]  # plant repeats
    for n in (1, 3, 10, 23):
        assert sorted(S.ngram_counts(S.codepoints(text), n).tolist()) == _reference_counts(text, n)


# --- word n-gram repetition -----------------------------------------------------------------------


def test_word_repetition_latin():
    # bigrams: (the cat) x2, (cat the) x2, (the dog) x1: occurrences of repeated bigrams 4 of 5
    assert S.word_repetition_ratio(["the", "cat", "the", "cat", "the", "dog"], 2) == pytest.approx(4 / 5)
    assert S.word_repetition_ratio(["one", "two", "three"], 5) == 0.0
    assert S.word_repetition_ratio([], 5) == 0.0


def test_word_repetition_urdu_seven_grams():
    # five Urdu words three times (15 words), n=7 (ROOTS's n for ur): 9 7-grams with period 5;
    # positions i and i+5 equal for i=0..3, position 4 alone: 8 of 9 occurrences repeat
    words = ["یہ", "ایک", "اچھا", "دن", "ہے"] * 3
    assert S.word_repetition_ratio(words, 7) == pytest.approx(8 / 9)
    assert S.word_repetition_ratio(words[:10], 7) == 0.0  # 4 distinct 7-grams


def test_word_repetition_han_pieces():
    # pieces (我们 喜欢 你) x2, n=2: (我们 喜欢) x2, (喜欢 你) x2, (你 我们) x1 -> 4/5
    assert S.word_repetition_ratio(["我们", "喜欢", "你"] * 2, 2) == pytest.approx(4 / 5)


# --- special characters ---------------------------------------------------------------------------


def test_special_characters_latin_and_emoji():
    assert S.special_characters_ratio("Hi! 12") == pytest.approx(3 / 5)  # ! 1 2 of the 5 visible characters
    assert S.special_characters_ratio("ok 😀") == pytest.approx(1 / 3)  # the emoji (So); the space is not counted
    assert S.special_characters_ratio(" \n\t ") == 0.0
    assert S.special_characters_ratio("") == 0.0
    assert S.special_characters_ratio("abc") == 0.0


def test_special_characters_arabic():
    # م ر ح ب ا ، space ١ ٢: the Arabic comma, the space and the two Arabic-Indic digits -> 4/9
    assert S.special_characters_ratio("مرحبا، ١٢") == pytest.approx(3 / 8)


def test_special_characters_devanagari_follows_roots_list():
    # न म स ् त े ।: ROOTS's list holds the virama ् and the vowel sign े; the danda is punctuation -> 3/7
    assert S.special_characters_ratio("नमस्ते।") == pytest.approx(3 / 7)
    assert not S.is_special_character("ि")  # a vowel sign ROOTS did not list


def test_special_characters_han():
    assert S.special_characters_ratio("你好，世界！") == pytest.approx(2 / 6)  # the full-width comma and bang


def test_is_special_character_definition():
    for ch in "!,. \t\n0€٣→😀\u200bー一":
        assert S.is_special_character(ch), repr(ch)
    for ch in "aé的ñ":
        assert not S.is_special_character(ch), ch
    table = S.special_table()
    assert all(table[ord(ch)] == S.is_special_character(ch) for ch in map(chr, range(0x3100)))


def test_strip_keeps_letters_and_marks():
    assert S.strip_special("«Hello!»") == "Hello"
    assert S.strip_special("...") == ""
    assert S.strip_special("नमस्ते,") == "नमस्ते"  # ROOTS stripped the final े
    assert S.strip_special("الله.") == "الله"  # ROOTS stripped the final ه


# --- stopwords and flagged words ------------------------------------------------------------------


def test_stopword_ratio_latin():
    words = ["the", "cat", "is", "on", "the", "mat"]
    assert S.stopword_ratio(words, {"the", "is", "on"}) == pytest.approx(4 / 6)
    assert S.flagged_word_ratio(words, {"mat"}) == pytest.approx(1 / 6)
    assert S.stopword_ratio([], {"the"}) == 0.0


def test_stopword_ratio_with_word_groups():
    # Chinese: characters 我 们 好 plus the pairs 我们 们好; 我们 is listed: 1 hit over 3 words
    assert S.stopword_ratio(["我", "们", "好"], {"我们"}, (2,), "") == pytest.approx(1 / 3)
    # Vietnamese, spaCy's list joins syllables with "_": bởi_vì is listed -> 1 hit over 4 words
    assert S.stopword_ratio(["bởi", "vì", "trời", "mưa"], {"bởi_vì"}, (2,), "_") == pytest.approx(1 / 4)
    # hits can outnumber words (2 words + 1 pair = 3 hits over 2 words): capped at 1
    assert S.stopword_ratio(["a", "a"], {"a", "a a"}, (2,), " ") == 1.0


# --- words ----------------------------------------------------------------------------------------


def test_whitespace_words():
    # chunks: "Hello," "World!" "«Ça" "va?»" "123" "--" "e-mail": lowercased, special characters stripped
    # from both ends; "123" and "--" are only special characters and disappear
    assert WhitespaceWords().words("Hello, World!  «Ça va?» 123 -- e-mail") == ["hello", "world", "ça", "va", "e-mail"]
    assert WhitespaceWords().words("") == []
    assert S.word_count(WhitespaceWords().words("!!! ??? ... 123")) == 0


def test_spacy_words_english():
    words = SpacyWords("en").words("Hello, World! The cat's toy can't wait...")
    # spaCy: Hello , World ! The cat 's toy ca n't wait ... -> punctuation-only tokens drop out
    assert words == ["hello", "world", "the", "cat", "s", "toy", "ca", "n't", "wait"]


def test_spacy_words_arabic_and_devanagari():
    assert SpacyWords("ar").words("مرحبا، كيف حالك؟") == ["مرحبا", "كيف", "حالك"]
    assert SpacyWords("hi").words("नमस्ते, आप कैसे हैं?") == ["नमस्ते", "आप", "कैसे", "हैं"]


def test_character_words_han():
    assert CharacterWords().words("你好，世界！") == ["你", "好", "世", "界"]


def _normalised_spacy(tokenizer, text: str) -> list[str]:
    from roots.filters.words import normalise_word

    return [w for w in (normalise_word(t.text) for t in tokenizer(text)) if w]


@pytest.mark.parametrize("code,flores", [("en", "eng_Latn"), ("ar", "arb_Arab"), ("hi", "hin_Deva"), ("yo", "yor_Latn"),
                                        ("ur", "urd_Arab"), ("bn", "ben_Beng")])
def test_memoised_spacy_words_equal_spacy_on_whole_text(code, flores):
    """Splitting on whitespace and memoising chunks gives exactly spaCy's tokens of the whole text."""
    path = DATA / "flores" / "flores200_dev.jsonl.gz"
    if not path.exists():
        pytest.skip("no ../shared/data")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        sentences = [r["text"] for r in map(json.loads, fh) if r["flores"] == flores]
    import spacy

    pristine = spacy.blank(code).tokenizer  # spaCy as shipped, lexical attributes and all
    text = "\n".join(" ".join(sentences[i:i + 5]) for i in range(0, len(sentences), 5))
    assert SpacyWords(code).words(text) == _normalised_spacy(pristine, text)
    splitter = SpacyWords(code)  # sentence by sentence: the memo fills up as it goes
    for sentence in sentences:
        assert splitter.words(sentence) == _normalised_spacy(pristine, sentence)


# --- code -----------------------------------------------------------------------------------------


def test_code_line_statistics():
    assert S.max_line_length("a\nbcd\n\nef") == 3
    assert S.max_line_length("") == 0
    assert S.char_count("héllo") == 5
    assert S.mean_line_length("ab\ncd\n") == pytest.approx(4 / 3)  # lines "ab", "cd", "": 4 characters / 3


def test_non_alphanumeric_ratio():
    assert S.non_alphanumeric_ratio("x = 1;\n") == pytest.approx(5 / 7)  # only x and 1 are alphanumeric
    assert S.non_alphanumeric_ratio("变量 = 1") == pytest.approx(3 / 6)  # Han letters are alphanumeric
    assert S.non_alphanumeric_ratio("") == 0.0


def test_autogenerated_and_minified():
    assert S.is_autogenerated("// Code generated by protoc-gen-go. DO NOT EDIT.\npackage x\n")
    assert S.is_autogenerated("# -*- coding: utf-8 -*-\n# Automatically generated file\nx = 1\n")
    assert not S.is_autogenerated("import os\n\n\ndef main():\n    return os.getcwd()\n")
    assert not S.is_autogenerated("a = 1\n" * 6 + "# generated by hand, line 7\n")
    assert S.is_minified("var a=1;" * 500)  # one 4,000-character line
    normal = "def f(x):\n    return x + 1\n" * 40
    assert not S.is_minified(normal)
    # 50 short lines and one of 1,500 characters: more than half the characters are on a long line
    assert S.is_minified("x = 1 + 2 + 3 + 4 + 5\n" * 50 + "y" * 1500)


# --- Gopher's repetition statistics ---------------------------------------------------------------


def _plain_gopher(words: list[str], total: int) -> dict[str, float]:
    """The definitions, plainly (benchmarks/filters.py's reference, which also checks them at scale)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_filters", Path(__file__).resolve().parents[1] / "benchmarks" / "filters.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ref_gopher_ngrams(words, total)


def test_duplicate_lines_and_paragraphs():
    text = "Home\nNews\nHome\nContact\nHome"
    lines = S.text_lines(text)
    assert S.duplicate_fractions(lines, len(text)) == pytest.approx((2 / 5, 8 / len(text)))
    assert S.text_paragraphs("a b\n\n  \n\nc\n \nd") == ["a b", "c", "d"]
    assert S.duplicate_fractions([], 10) == (0.0, 0.0)


def test_gopher_ngrams_match_their_plain_definition():
    import random

    rng = random.Random(7)
    vocab = ["the", "cat", "sat", "on", "a", "mat", "and", "then", "it", "left", "猫", "在", "垫子", "上"]
    for trial in range(40):
        words = [rng.choice(vocab[: 3 + trial % 11]) for _ in range(rng.randint(0, 60))]
        total = sum(map(len, words)) + len(words)  # as if joined with spaces
        got = S.gopher_ngram_fractions(words, total, (2, 3, 4), range(5, 11))
        want = _plain_gopher(words, total) if words else {k: 0.0 for k in got}
        assert got == pytest.approx(want), words


def test_gopher_ngrams_of_prose_and_of_repetition():
    prose = ("The committee met on Tuesday to discuss the harbour. Residents asked for a new footpath, and the "
             "council promised to publish its plans before the summer. Several shop owners spoke as well.").split()
    total = sum(map(len, prose)) + len(prose)
    clean = S.gopher_ngram_fractions(prose, total, (2, 3, 4), range(5, 11))
    assert max(clean.values()) < 0.1
    spam = "cheap pills online buy now".split() * 12
    junk = S.gopher_ngram_fractions(spam, sum(map(len, spam)) + len(spam), (2, 3, 4), range(5, 11))
    assert junk["dup_5gram_char_fraction"] > 0.7 and junk["top_2gram_char_fraction"] > 0.15


def test_spacy_is_imported_without_torch_and_torch_still_imports():
    """thinc imports torch when it can (1.3 s and 150 MB per worker); the word splitter hides it while
    spaCy loads, and torch imports as usual afterwards."""
    import subprocess
    import sys

    code = ("import sys; from roots.filters.words import SpacyWords; "
            "w = SpacyWords('en').words(\"The cat's toy can't wait.\"); "
            "assert 'torch' not in sys.modules, 'torch imported'; "
            "import thinc.compat; assert not thinc.compat.has_torch; "
            "import torch; assert torch.tensor([1]).sum().item() == 1; print(w)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(["the", "cat", "s", "toy", "ca", "n't", "wait"])
