"""The PII stage: finds personal information with roots.pii's detectors for the document's language
and replaces it by `PI:TYPE` tags (or fake values); it redacts and never rejects."""
from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from roots.document import Document
from roots.languages import Registry, load_registry
from roots.pii import (DEFAULT_NATURAL, REPLACE_MODES, SPAN_TYPES, PiiDetector, PiiSettings, language_settings,
                       redact, spans_to_meta)

#: The key of `Document.meta` that holds the spans: [{"type", "start", "end"}], offsets into the text before redaction.
META_KEY = "pii"


@dataclass(frozen=True)
class PiiConfig:
    """The `pii:` section of a run config.

    replace: `tag` writes `PI:EMAIL`, `PI:PHONE`, ... (as ROOTS did); `fake` writes a realistic fake
    value of the same shape, drawn from a generator seeded by the document id (deterministic).
    tag_format: how a tag is written, `{type}` standing for the span type.
    keep_types: span types left in the text (still recorded in meta), e.g. [USER].
    """

    replace: str = "tag"
    tag_format: str = "PI:{type}"
    keep_types: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None, where: str) -> "PiiConfig":
        """Validate the section; every problem is a ConfigError naming `where` and the key."""
        from roots.config import ConfigError

        data = {} if data is None else data
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
        known = ("replace", "tag_format", "keep_types")
        for key in data:
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(known)})"
                raise ConfigError(f"{where}: key {key!r} is not a known key{hint}")
        replace = data.get("replace", cls.replace)
        if replace not in REPLACE_MODES:
            raise ConfigError(f"{where}: key 'replace' must be one of {', '.join(REPLACE_MODES)}, got {replace!r}")
        tag_format = data.get("tag_format", cls.tag_format)
        if not isinstance(tag_format, str) or "{type}" not in tag_format:
            raise ConfigError(f"{where}: key 'tag_format' must be a string containing {{type}}, got {tag_format!r}")
        try:
            tag_format.format(type="EMAIL")
        except (KeyError, IndexError, ValueError) as err:
            raise ConfigError(f"{where}: key 'tag_format' is not a valid format string: {err}") from None
        keep = data.get("keep_types", [])
        if not isinstance(keep, list) or not all(isinstance(t, str) for t in keep):
            raise ConfigError(f"{where}: key 'keep_types' must be a list of span types")
        for t in keep:
            if t not in SPAN_TYPES:
                raise ConfigError(f"{where}: key 'keep_types': {t!r} is not a span type ({', '.join(SPAN_TYPES)})")
        return cls(replace=replace, tag_format=tag_format, keep_types=tuple(keep))


@dataclass
class PiiRedact:
    """The PII stage: per document, the detectors of its language (its `pii:` language-config
    section; a natural-language default for documents of unknown language), spans to
    `meta["pii"]`, values replaced. Passes every document on."""

    config: PiiConfig = field(default_factory=PiiConfig)
    registry: Registry | None = None
    name: str = "pii"

    def setup(self) -> None:
        """Build every language's detector once per worker (validates the language configs)."""
        registry = self.registry or load_registry()
        self._detectors = {c.code: PiiDetector(language_settings(c)) for c in registry}
        self._default = PiiDetector(PiiSettings(detectors=DEFAULT_NATURAL))

    def detector(self, lang: str) -> PiiDetector:
        if not hasattr(self, "_detectors"):
            self.setup()
        return self._detectors.get(lang, self._default)

    def __call__(self, doc: Document) -> Document:
        spans = self.detector(doc.lang).detect(doc.text)
        doc.meta[META_KEY] = spans_to_meta(spans)
        if spans:
            hidden = [s for s in spans if s.type not in self.config.keep_types]
            doc.text = redact(doc.text, hidden, self.config.replace, seed=doc.id, tag_format=self.config.tag_format)
        return doc


def span_counts(doc: Document) -> Counter:
    """(language, span type) → spans in one redacted document, for the manifest and stats."""
    return Counter((doc.lang_dir, s["type"]) for s in doc.meta.get(META_KEY, ()))
