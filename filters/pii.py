"""The PII stage: finds personal information with roots.pii's detectors for the document's language
and replaces it by `PI:TYPE` tags (or fake values); it redacts and never rejects."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from roots.document import Document, Rejection
from roots.languages import Registry, load_registry
from roots.pii import DEFAULT_NATURAL, PiiDetector, PiiSettings, language_settings, redact, spans_to_meta
from roots.stage_configs import PiiConfig

#: The key of `Document.meta` that holds the spans: [{"type", "start", "end"}], offsets into the text before redaction.
META_KEY = "pii"


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
