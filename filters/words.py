"""Per-language word splitting for the quality statistics: spaCy's rule-based tokenizers
(`spacy.blank(code)`, no model download) where spaCy has the language, SentencePiece pieces for
languages written without spaces (Chinese), whitespace otherwise.

Every splitter returns *normalised words*: each token lowercased, stripped of special characters at
both ends (`roots.special.normalise_word`), and dropped when nothing is left, as ROOTS's
`get_words_from_document(lower_case=True, strip_characters=special_characters)` did.

Set-up: a process builds each language's spaCy tokenizer once (`spacy_tokenizer`), and imports
spaCy without torch (`import_spacy`: thinc imports torch when it can, 1.3 s of a 2.2 s import, and
only the rule-based tokenizer is used here). Some languages cost seconds to build (fr compiles its
token-match regex at import, 4.4 s; id adds 16k exception cases, 3 s): the local engine builds the
sources' declared languages once in its fork server (`preload_spacy`), so its workers inherit them.

Speed: spaCy's tokenizer splits text on whitespace and then tokenizes each chunk with its prefix,
suffix, infix and exception rules, memoising chunks. `SpacyWords` does the same outside spaCy: it
splits on whitespace in C (`str.split`) and keeps a bounded dict from chunk to its normalised tokens,
calling spaCy only for chunks it has not seen. The words equal those of tokenizing the whole text
with spaCy (pinned by a test), at a small fraction of the cost.
"""
from __future__ import annotations

import logging
import re
import sys
from dataclasses import dataclass
from itertools import chain
from typing import Any, Iterable, Protocol

from roots.errors import RootsError
from roots.scripts import UNSPACED_LETTER
from roots.special import normalise_word  # noqa: F401 - re-exported: the words of every splitter

log = logging.getLogger(__name__)

#: Word splitter kinds, as written in a language config's `filters.tokenizer`.
SPACY, SENTENCEPIECE, WHITESPACE, CHARACTERS = "spacy", "sentencepiece", "whitespace", "characters"
KINDS = (SPACY, SENTENCEPIECE, WHITESPACE, CHARACTERS)

#: Chunks memoised per splitter before the memo is emptied (bounded memory, deterministic results).
MEMO_LIMIT = 100_000
#: spaCy vocabulary size (distinct token strings seen) above which its tokenizer is loaded afresh.
VOCAB_LIMIT = 300_000


#: A word of `CharacterWords`: one unspaced letter, or a run of other characters up to a space or one.
_CHARACTER_TOKEN = re.compile(rf"{UNSPACED_LETTER.pattern}|(?:(?!{UNSPACED_LETTER.pattern})\S)+")


class WordSplitterError(RootsError):
    """A word splitter that cannot be built (an unknown spaCy language, a missing SentencePiece model)."""


class WordSplitter(Protocol):
    """Splits a text into normalised words; `describe()` says which splitter it is, for reports."""

    def words(self, text: str) -> list[str]: ...

    def describe(self) -> str: ...


class _Memo:
    """Chunk → normalised words, emptied when it reaches MEMO_LIMIT entries."""

    def __init__(self) -> None:
        self.memo: dict[str, tuple[str, ...]] = {}

    def words(self, text: str) -> list[str]:
        memo = self.memo
        chunks = text.split()
        found = list(map(memo.get, chunks))  # one C-level pass; misses come back as None
        if None in found:
            missing = list(dict.fromkeys(c for c, got in zip(chunks, found) if got is None))
            if len(memo) + len(missing) > MEMO_LIMIT:
                memo.clear()
                self._on_clear()
            memo.update(zip(missing, self._chunks_words(missing)))
            found = [memo[c] if got is None else got for c, got in zip(chunks, found)]
        return list(chain.from_iterable(found))

    def _chunks_words(self, chunks: list[str]) -> list[tuple[str, ...]]:
        return [self._chunk_words(c) for c in chunks]

    def _chunk_words(self, chunk: str) -> tuple[str, ...]:
        raise NotImplementedError

    def _on_clear(self) -> None:
        """Called when the memo is emptied (a splitter may free its own caches then)."""


class WhitespaceWords(_Memo):
    """Words are the whitespace-separated chunks of the text (ROOTS's `split_on_whitespace` on
    space, tab and newline; here any Unicode whitespace), normalised."""

    def _chunk_words(self, chunk: str) -> tuple[str, ...]:
        word = normalise_word(chunk)
        return (word,) if word else ()

    def describe(self) -> str:
        return "whitespace"


def import_spacy() -> Any:
    """spaCy, imported without torch unless torch is already loaded: thinc (spaCy's model library)
    imports torch when it can, which is 1.3 s of a 2.2 s import here, and no tokenizer uses it. torch
    is hidden only during the import (thinc's `has_torch` is False afterwards; a later `import torch`
    works as usual)."""
    if "spacy" in sys.modules or "torch" in sys.modules:
        import spacy

        return spacy
    sys.modules["torch"] = None  # type: ignore[assignment]  # `import torch` raises ImportError
    try:
        import spacy
    finally:
        del sys.modules["torch"]
    return spacy


#: spaCy tokenizers built in this process, by spaCy language code (see `spacy_tokenizer`).
_TOKENIZERS: dict[str, Any] = {}


def _build_tokenizer(code: str) -> Any:
    spacy = import_spacy()  # imported here: only this splitter needs spaCy
    try:
        nlp = spacy.blank(code)
    except ImportError as err:  # spaCy's message names the language
        raise WordSplitterError(f"spaCy has no tokenizer for {code!r} without extra packages ({err})") from None
    # Only token texts are read: skip computing lexical attributes (like_num, shape, ...) for every
    # new word, which is most of spaCy's cost on unseen text. Tokenization does not use them.
    nlp.vocab.lex_attr_getters = {}
    return nlp.tokenizer


def spacy_tokenizer(code: str, fresh: bool = False) -> Any:
    """spaCy's rule-based tokenizer for `code`, built once per process (`fresh`: built anew, replacing
    the kept one). Tokens do not depend on what a tokenizer has seen before, so one is shared."""
    found = None if fresh else _TOKENIZERS.get(code)
    if found is None:
        found = _TOKENIZERS[code] = _build_tokenizer(code)
    return found


def preload_spacy(codes: Iterable[str]) -> list[str]:
    """Build the tokenizers of `codes` now (in a fork server: once for all the workers it starts);
    returns those built. A language spaCy cannot tokenize is left for its splitter to report."""
    built = []
    for code in codes:
        try:
            spacy_tokenizer(code)
        except WordSplitterError:
            continue
        built.append(code)
    return built


class SpacyWords(_Memo):
    """Words are the tokens of spaCy's rule-based tokenizer for `code` (`spacy.blank(code)`), normalised."""

    def __init__(self, code: str) -> None:
        super().__init__()
        self.code = code
        self.tokenizer = spacy_tokenizer(code)

    def _on_clear(self) -> None:
        # spaCy's vocabulary and chunk cache grow with every new word: start afresh now and then.
        if len(self.tokenizer.vocab) > VOCAB_LIMIT:
            self.tokenizer = spacy_tokenizer(self.code, fresh=True)

    def _chunk_words(self, chunk: str) -> tuple[str, ...]:
        return tuple(w for w in (normalise_word(t.text) for t in self.tokenizer(chunk)) if w)

    def _chunks_words(self, chunks: list[str]) -> list[tuple[str, ...]]:
        """All chunks in one tokenizer call: spaCy splits on spaces first, so no token spans two chunks,
        and the last token of each chunk is the one followed by a space."""
        out: list[tuple[str, ...]] = []
        current: list[str] = []
        for token in self.tokenizer(" ".join(chunks)):
            word = normalise_word(token.text)
            if word:
                current.append(word)
            if token.whitespace_:
                out.append(tuple(current))
                current = []
        out.append(tuple(current))
        if len(out) != len(chunks):  # never expected; fall back to one call per chunk
            return [self._chunk_words(c) for c in chunks]
        return out

    def describe(self) -> str:
        return f"spacy:{self.code}"


class CharacterWords:
    """The words of a language written without spaces when no segmenter is there: every letter of an
    unspaced script (Han, kana, Thai…) is a word, as in spaCy's default Chinese segmenter, but a run of
    other non-space characters (a Latin word, a number, "S20") is one word, not one word per letter.
    Normalised; the fallback for unspaced languages without a SentencePiece model."""

    def __init__(self) -> None:
        self.memo: dict[str, str] = {}  # token → its normalised word ("" when dropped)

    def words(self, text: str) -> list[str]:
        memo = self.memo
        tokens = _CHARACTER_TOKEN.findall(text)
        missing = set(tokens).difference(memo)
        if missing:
            if len(memo) > MEMO_LIMIT:
                memo.clear()
                missing = set(tokens)
            memo.update((tok, normalise_word(tok)) for tok in missing)
        return list(filter(None, map(memo.__getitem__, tokens)))

    def describe(self) -> str:
        return "characters"


class SentencePieceWords:
    """Words are the pieces of a SentencePiece model (as ROOTS for Chinese: the pieces of the
    perplexity model's tokenizer), of the text normalised as for the language model, normalised."""

    def __init__(self, model_path: str) -> None:
        import sentencepiece

        from roots.perplexity import normalise_for_lm

        self._normalise = normalise_for_lm
        self.model_path = model_path
        try:
            self.sp = sentencepiece.SentencePieceProcessor(model_file=model_path)
        except (OSError, RuntimeError) as err:
            raise WordSplitterError(f"{model_path}: cannot load the SentencePiece model ({err})") from None

    def words(self, text: str) -> list[str]:
        pieces: list[str] = []
        for line in self._normalise(text).split("\n"):
            if line:
                pieces.extend(self.sp.encode(line, out_type=str))
        return [w for w in map(normalise_word, pieces) if w]

    def describe(self) -> str:
        return f"sentencepiece:{self.model_path}"


@dataclass(frozen=True)
class SplitterSpec:
    """Which splitter a language uses: its kind, the spaCy code, the SentencePiece model path."""

    kind: str
    spacy_code: str = ""
    model_path: str = ""

    def build(self) -> WordSplitter:
        """The splitter itself (loads spaCy or SentencePiece: call once per worker)."""
        if self.kind == SPACY:
            return SpacyWords(self.spacy_code)
        if self.kind == SENTENCEPIECE:
            return SentencePieceWords(self.model_path)
        if self.kind == CHARACTERS:
            return CharacterWords()
        if self.kind == WHITESPACE:
            return WhitespaceWords()
        raise WordSplitterError(f"unknown word splitter {self.kind!r} (one of {', '.join(KINDS)})")


def spacy_code(lang: str) -> str:
    """spaCy's code for a registry code: the part before the script (`zh-Hans` → `zh`)."""
    return lang.split("-", 1)[0]
