"""The PII stage: finds personal information with roots.pii's detectors for the document's language
and replaces it by `PI:TYPE` tags (or fake values); it redacts and never rejects."""
from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from roots.document import Document, Rejection
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
    keep_raw_rejected: false (default) redacts rejected documents like kept ones, at every stage, so no
    raw value of a detected type is anywhere under RUN; true keeps them raw, for an audit of what the
    filters removed (the manifest says so).
    """

    replace: str = "tag"
    tag_format: str = "PI:{type}"
    keep_types: tuple[str, ...] = ()
    keep_raw_rejected: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None, where: str) -> "PiiConfig":
        """Validate the section; every problem is a ConfigError naming `where` and the key."""
        from roots.config import ConfigError

        data = {} if data is None else data
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
        known = ("replace", "tag_format", "keep_types", "keep_raw_rejected")
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
        keep_raw = data.get("keep_raw_rejected", False)
        if not isinstance(keep_raw, bool):
            raise ConfigError(f"{where}: key 'keep_raw_rejected' must be true or false, got {keep_raw!r}")
        return cls(replace=replace, tag_format=tag_format, keep_types=tuple(keep), keep_raw_rejected=keep_raw)


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

    def policy_report(self) -> dict[str, Any]:
        """What the manifest records of the privacy boundary."""
        return {"replace": self.config.replace, "keep_types": list(self.config.keep_types),
                "text": "redacted", "meta": "string values redacted",
                "rejected": ("raw: pii.keep_raw_rejected is true (an audit run)" if self.config.keep_raw_rejected
                             else "redacted at every stage"),
                "intermediate_steps": "RUN/steps removed when the run completes"}

    def detector(self, lang: str) -> PiiDetector:
        if not hasattr(self, "_detectors"):
            self.setup()
        return self._detectors.get(lang, self._default)

    def __call__(self, doc: Document) -> Document:
        detector = self.detector(doc.lang)
        spans = detector.detect(doc.text)
        doc.meta = {key: value if key == META_KEY else self._redact_value(value, detector, doc.id)
                    for key, value in doc.meta.items()}
        doc.meta[META_KEY] = spans_to_meta(spans)
        if spans:
            doc.text = self._redact(doc.text, spans, doc.id)
        return doc

    def _redact(self, text: str, spans: list, seed: str) -> str:
        hidden = [s for s in spans if s.type not in self.config.keep_types]
        return redact(text, hidden, self.config.replace, seed=seed, tag_format=self.config.tag_format) if hidden else text

    def _redact_value(self, value: Any, detector: PiiDetector, seed: str) -> Any:
        """Meta strings are scanned like the text (an `author_email`, a URL holding a phone number); their
        spans are not recorded (`meta["pii"]` holds offsets into the text only)."""
        if isinstance(value, str):
            spans = detector.detect(value) if len(value) >= 6 else []
            return self._redact(value, spans, seed) if spans else value
        if isinstance(value, dict):
            return {k: self._redact_value(v, detector, seed) for k, v in value.items()}
        if isinstance(value, list):
            return [self._redact_value(v, detector, seed) for v in value]
        return value


@dataclass
class RedactRejected:
    """Rejected documents redacted like kept ones before they are written, at every stage (the privacy
    boundary: no raw value of a detected type anywhere under RUN), unless `pii.keep_raw_rejected`."""

    config: PiiConfig = field(default_factory=PiiConfig)
    name: str = "redact_rejected"
    #: the run's language registry (overlay included); None: the packaged one
    registry: Registry | None = None

    def setup(self) -> None:
        """Build the detectors once per worker."""
        self._redact = PiiRedact(self.config, self.registry)
        self._redact.setup()

    def __call__(self, item: tuple[str, Rejection]) -> tuple[str, Rejection]:
        if not hasattr(self, "_redact"):
            self.setup()
        stage, rejection = item
        self._redact(rejection.doc)
        return stage, rejection


def span_counts(doc: Document) -> Counter:
    """(language, span type) → spans in one redacted document, for the manifest and stats."""
    return Counter((doc.lang_dir, s["type"]) for s in doc.meta.get(META_KEY, ()))
