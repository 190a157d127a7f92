"""The `filters:` section of a language config: ROOTS's thresholds per language, each value with the
place it came from, parsed and type-checked (a wrong type is an error naming the file and the key).

Every entry is written `key: {value: V, source: "where V comes from"}` (a bare `key: V` is accepted
and recorded as coming from the file). A missing key takes ROOTS's default with that as its source;
`null` turns a filter off. Natural languages and code languages have different keys. The keys, their
types and defaults are those of the rules registered in `filters/rules.py`.
"""
from __future__ import annotations

import os
from dataclasses import field, fields, make_dataclass, replace
from typing import Any

from roots.languages import LanguageConfig, LanguageConfigError
from roots.schema import field_value, setting
from roots.filters.rules import (CODE, NATURAL, ROOTS_DEFAULT, ROOTS_GITHUB, ROOTS_PARAMS,  # noqa: F401
                                 params_of)
from roots.filters.words import KINDS

#: How a stopword list is named in a config: spaCy's list for the language.
SPACY_LIST = "spacy"
_PYTYPES = {"int": int, "int?": int | None, "ratio": float, "ratio?": float | None, "number": float,
            "number?": float | None, "percentile?": float | None, "bool": bool, "ints": tuple[int, ...], "str": str,
            "path?": str | None, "tokenizer": str}


def _groups(value: tuple[int, ...]) -> str | None:
    return None if all(v > 1 for v in value) else f"must be a list of integers greater than 1, got {list(value)!r}"


#: The checks of each kind (roots.schema field metadata).
_RULES: dict[str, dict[str, Any]] = {"int": {"ge": 0}, "ratio": {"ge": 0, "le": 1}, "number": {"ge": 0},
                                     "percentile": {"ge": 0, "le": 100}, "ints": {"check": _groups},
                                     "tokenizer": {"choices": KINDS}}


def _make(name: str, kind: str, doc: str) -> type:
    """A frozen dataclass with one field per registered parameter of `kind` (filters/rules.py), its
    registered default, and `sources` (key → where the value came from)."""
    cls = make_dataclass(name, [(p.key, _PYTYPES[p.kind], setting(p.default, **_RULES.get(p.kind.rstrip("?"), {})))
                                for p in params_of(kind)]
                         + [("sources", dict, field(default_factory=dict, compare=False))], frozen=True)
    cls.__doc__ = doc
    cls.__module__ = __name__
    return cls


NaturalFilters = _make("NaturalFilters", NATURAL, "Thresholds, settings and word lists of a natural language "
                       "(the parameters of filters/rules.py's natural rules).")
CodeFilters = _make("CodeFilters", CODE, "ROOTS's GitHub rules for source code, plus generated and minified "
                    "file detection (the parameters of filters/rules.py's code rules).")
_DEFAULT_SOURCES: dict[str, str] = {p.key: p.source for kind in (NATURAL, CODE) for p in params_of(kind)}
#: Keys of which at most one may be set: the perplexity cut-off is absolute or a percentile.
EXCLUSIVE = (("max_perplexity", "max_perplexity_percentile"),)


def _keys(cls) -> list[str]:
    return [f.name for f in fields(cls) if f.name != "sources"]


def _check(cls: type, value: Any, where: str, key: str) -> Any:
    """`value` checked against the field `key` of `cls` (roots.schema); a LanguageConfigError otherwise."""
    return field_value(cls, key, value, where, f"filters.{key}", error=LanguageConfigError)


def _entry(raw: Any, where: str, key: str) -> tuple[Any, str]:
    """(value, source) of one entry: `{value: V, source: S}` or a bare V."""
    if isinstance(raw, dict):
        extra = set(raw) - {"value", "source"}
        if extra or "value" not in raw:
            raise LanguageConfigError(f"{where}: key 'filters.{key}' must be a value or a mapping {{value: V, source: \"...\"}}")
        source = raw.get("source", "")
        if not isinstance(source, str):
            raise LanguageConfigError(f"{where}: key 'filters.{key}.source' must be a string")
        return raw["value"], source or "language config"
    return raw, "language config"


def parse_filters(lang: LanguageConfig, overrides: dict[str, Any] | None = None,
                  overrides_where: str = "") -> NaturalFilters | CodeFilters:
    """The typed `filters:` section of `lang` (ROOTS's defaults where absent), then `overrides` (bare
    values, e.g. from a run config) on top. Paths are resolved against the config's folder."""
    cls = CodeFilters if lang.is_code else NaturalFilters
    keys = _keys(cls)
    where = lang.path
    section = lang.sections.get("filters", {})
    values: dict[str, Any] = {}
    sources: dict[str, str] = {k: _DEFAULT_SOURCES[k] for k in keys}
    for key, raw in section.items():
        if key not in keys:
            kind = "code" if lang.is_code else "natural"
            raise LanguageConfigError(f"{where}: key 'filters.{key}' is not a filter setting of a {kind} language "
                                      f"(known: {', '.join(keys)})")
        value, source = _entry(raw, where, key)
        values[key] = _check(cls, value, where, key)
        sources[key] = source
    _exclusive(values, where, "", set(section), sources)
    overridden: dict[str, Any] = {}
    for key, value in (overrides or {}).items():
        if key not in keys:
            raise LanguageConfigError(f"{overrides_where}: {lang.code}: key {key!r} is not a filter setting (known: {', '.join(keys)})")
        values[key] = overridden[key] = _check(cls, value, overrides_where or where, key)
        sources[key] = f"run config {overrides_where}".strip()
    _exclusive(values, overrides_where or where, f"{lang.code}: ", set(overridden), sources)
    base = os.path.dirname(os.path.abspath(lang.path))
    for key in ("stopwords", "flagged_words", "perplexity_model"):
        value = values.get(key)
        if isinstance(value, str) and value != SPACY_LIST and not os.path.isabs(value):
            values[key] = os.path.normpath(os.path.join(base, value))
    return replace(cls(), **values, sources=sources)


def _exclusive(values: dict[str, Any], where: str, prefix: str, given: set[str], sources: dict[str, str]) -> None:
    """Within one layer (a language config, or a run config's overrides: the keys `given`), at most one
    key of each EXCLUSIVE group may be set; setting one nulls the others of the layers below (their
    defaults included). A LanguageConfigError naming the keys when a layer sets two."""
    for group in EXCLUSIVE:
        set_ = [k for k in group if k in given and values.get(k) is not None]
        if len(set_) > 1:
            keys = " and ".join(repr(f"filters.{k}") for k in set_)
            raise LanguageConfigError(f"{where}: {prefix if prefix.strip(': ') else ''}keys {keys} are both set: "
                                      f"keep one (the other null)")
        for other in group:
            if set_ and other not in given:
                values[other] = None
                sources[other] = f"off: {set_[0]} is set ({sources.get(set_[0], '')})"
