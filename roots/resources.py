"""Word lists for the quality filters: stopwords from spaCy where it has them, otherwise built from word
frequencies in a reference corpus (`roots resources stopwords`); flagged-word lists from files.

A list file is UTF-8 text, one word a line; lines starting with `#` are comments (the header says how
the list was made). Entries are normalised as words are (`roots.special.normalise_word`), so a
list matches what the splitter produces.
"""
from __future__ import annotations

import functools
import gzip
import importlib.util
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

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
    from roots.special import normalise_word

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


def parse_select(pairs: Iterable[str]) -> dict[str, str]:
    """`FIELD=VALUE` pairs (from `--select`) as a dict; a pair without `=` or with an empty field is an error."""
    out: dict[str, str] = {}
    for pair in pairs:
        field_name, sep, value = pair.partition("=")
        if not sep or not field_name:
            raise ResourceError(f"--select {pair!r}: write FIELD=VALUE (e.g. flores=swh_Latn)")
        out[field_name] = value
    return out


def read_documents(paths: Iterable[str], text_field: str = "text", select: dict[str, str] | None = None,
                   group_field: str | None = None) -> Iterator[tuple[str, str]]:
    """(text, group) for each document of text files (a line each, group "") or JSON Lines files
    (`.jsonl[.gz]`: `text_field`, and `group_field` as the group when given), in the order given. With
    `select`, only JSON records whose fields equal all the given values (so one language can be read
    from a multilingual file such as FLORES-200's)."""
    from roots.perplexity import read_training_text

    if not select and not group_field:
        for text in read_training_text(paths, text_field):
            yield text, ""
        return
    for path in paths:
        if not path.removesuffix(".gz").endswith((".jsonl", ".json")):
            raise ResourceError(f"{path}: --select and --group-field need JSON Lines input (.jsonl or .jsonl.gz)")
        for number, record in _json_records(path):
            if all(str(record.get(k)) == v for k, v in (select or {}).items()) and isinstance(record.get(text_field), str):
                yield record[text_field], str(record.get(group_field, "")) if group_field else ""


def _json_records(path: str) -> Iterator[tuple[int, dict]]:
    """(line number, record) for each non-blank line of a JSON Lines file (`.gz` decompressed)."""
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    raise ResourceError(f"{path}: line {number} is not JSON") from None
                if not isinstance(record, dict):
                    raise ResourceError(f"{path}: line {number} is not a JSON object")
                yield number, record
    except OSError as err:
        raise ResourceError(f"{path}: cannot read ({err.strerror or err})") from None
    except UnicodeDecodeError as err:
        raise ResourceError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from None


@dataclass(frozen=True)
class FrequencyList:
    """A stopword list built from a corpus: the words and how they were chosen."""

    lang: str
    words: list[str]
    documents: int
    tokens: int
    top: int
    min_doc_share: float
    groups: int = 0
    min_group_share: float = 0.0

    def to_text(self, command: str) -> str:
        """The list file: a header of `#` comments (how it was made: `command`, with input file names
        only, so a rebuild elsewhere gives the same bytes), then one word a line, most widespread first."""
        spread = (f", in at least {self.min_group_share:g} of the {self.groups} groups" if self.groups > 1 else "")
        header = [
            f"# stopwords for {self.lang}: the {len(self.words)} words found in the most documents "
            f"(at least {self.min_doc_share:g} of them{spread}; ties by count, then alphabetically; no word with a digit)",
            f"# built by: {command}",
            f"# from {self.documents} documents, {self.tokens} words; provenance in SOURCES.md",
        ]
        return "\n".join(header + self.words) + "\n"


def frequency_stopwords(docs: Iterable[list[str]], lang: str, top: int = 100, min_doc_share: float = 0.02,
                        groups: Iterable[str] | None = None, min_group_share: float = 0.0) -> FrequencyList:
    """Stopwords as the `top` words that occur in the most documents (document frequency), among those
    in at least `min_doc_share` of the documents and, when `groups` (one label per document, e.g. its
    topic) are given, in documents of at least `min_group_share` of the groups; ties broken by total
    count, then alphabetically; words with a digit never. `docs` are documents already split into
    normalised words. Function words are frequent in every document whatever its topic, which is what
    document frequency and the spread over topics reward, and what a topic's own words lack."""
    df: Counter[str] = Counter()
    tf: Counter[str] = Counter()
    seen_in: dict[str, set[str]] = {}
    labels = iter(groups) if groups is not None else None
    all_groups: set[str] = set()
    n_docs = n_tokens = 0
    for words in docs:
        n_docs += 1
        n_tokens += len(words)
        tf.update(words)
        distinct = set(words)
        df.update(distinct)
        if labels is not None:
            label = next(labels)
            all_groups.add(label)
            for w in distinct:
                seen_in.setdefault(w, set()).add(label)
    if n_docs == 0:
        raise ResourceError(f"no documents to build stopwords for {lang} from")
    floor = min_doc_share * n_docs
    group_floor = min_group_share * len(all_groups)

    def eligible(w: str) -> bool:
        spread_ok = labels is None or len(seen_in[w]) >= group_floor
        return df[w] >= floor and spread_ok and not any(ch.isdigit() for ch in w)

    ranked = sorted(filter(eligible, df), key=lambda w: (-df[w], -tf[w], w))
    return FrequencyList(lang, ranked[:top], n_docs, n_tokens, top, min_doc_share,
                         len(all_groups), min_group_share if labels is not None else 0.0)
