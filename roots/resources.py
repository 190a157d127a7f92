"""Word lists for the quality filters: stopwords from spaCy where it has them, otherwise built from word
frequencies in a reference corpus (`roots resources stopwords`); flagged-word lists from files.

A list file is UTF-8 text, one word a line; lines starting with `#` are comments (the header says how
the list was made). Entries are normalised as words are (`roots.filters.words.normalise_word`), so a
list matches what the splitter produces.
"""
from __future__ import annotations

import functools
import importlib.util
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from roots.errors import RootsError


class ResourceError(RootsError):
    """A word list that cannot be read or built; names the file."""


@functools.lru_cache(maxsize=None)
def spacy_stopwords(code: str) -> frozenset[str] | None:
    """spaCy's stopword list for a spaCy language code (`spacy/lang/<code>/stop_words.py`), or None when
    spaCy has none. Runs only that file (a plain list): no spaCy import, no tokenizer, no model."""
    spec = importlib.util.find_spec("spacy")
    if spec is None or not spec.submodule_search_locations or not code.isidentifier():
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "lang" / code / "stop_words.py"
    if not path.is_file():
        return None
    namespace: dict = {}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)  # noqa: S102 - spaCy's own file
    words = namespace.get("STOP_WORDS")
    return frozenset(words) if words else None


def normalised_list(words: Iterable[str]) -> frozenset[str]:
    """The entries as the statistics see words: lowercased, stripped of special characters, non-empty."""
    from roots.filters.words import normalise_word

    return frozenset(w for w in map(normalise_word, words) if w)


def read_word_list(path: str) -> list[str]:
    """The words of a list file (one a line, `#` comments and blank lines skipped)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise ResourceError(f"{path}: cannot read the word list ({err.strerror or err})") from None
    except UnicodeDecodeError as err:
        raise ResourceError(f"{path}: the word list is not UTF-8 ({err.reason} at byte {err.start})") from None
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


@dataclass(frozen=True)
class FrequencyList:
    """A stopword list built from a corpus: the words and how they were chosen."""

    lang: str
    words: list[str]
    documents: int
    tokens: int
    top: int
    min_doc_share: float

    def to_text(self, inputs: list[str]) -> str:
        """The list file: a header of `#` comments, then one word a line (most frequent first)."""
        names = ", ".join(Path(p).name for p in inputs)
        header = [
            f"# stopwords for {self.lang}: the {len(self.words)} words found in the most documents "
            f"(at least {self.min_doc_share:g} of them; ties by count, then alphabetically)",
            f"# built by `roots resources stopwords` from {self.documents} documents, {self.tokens} words: {names}",
        ]
        return "\n".join(header + self.words) + "\n"


def frequency_stopwords(docs: Iterable[list[str]], lang: str, top: int = 100,
                        min_doc_share: float = 0.02) -> FrequencyList:
    """Stopwords as the `top` words that occur in the most documents (document frequency), among those
    in at least `min_doc_share` of the documents; ties broken by total count, then alphabetically.
    `docs` are documents already split into normalised words. Function words are frequent in every
    document whatever its topic, which is what document frequency rewards over raw counts."""
    df: Counter[str] = Counter()
    tf: Counter[str] = Counter()
    n_docs = n_tokens = 0
    for words in docs:
        n_docs += 1
        n_tokens += len(words)
        tf.update(words)
        df.update(set(words))
    if n_docs == 0:
        raise ResourceError(f"no documents to build stopwords for {lang} from")
    floor = min_doc_share * n_docs
    ranked = sorted((w for w, d in df.items() if d >= floor and not any(ch.isdigit() for ch in w)),
                    key=lambda w: (-df[w], -tf[w], w))
    return FrequencyList(lang, ranked[:top], n_docs, n_tokens, top, min_doc_share)
