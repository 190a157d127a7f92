"""The language identification stage: sets each document's `lang` and `meta["lid_score"]`, and rejects
documents that are not in their source's language (`lid:wrong_language`) or not clearly in any
language (`lid:low_score`), as ROOTS did with fastText, for all 46 languages (roots.lid)."""
from __future__ import annotations

import collections
import logging
from typing import Any

from roots.document import Document, Reason, Rejection, register_reason
from roots.languages import Registry
from roots.lid import (LID176, ROOTS, TRUST_SOURCE, Identifier, LidConfig, Prediction, load_model,
                       lid176_path, load_policies, prepare_text)

log = logging.getLogger(__name__)

LID = "lid"
WRONG_LANGUAGE = register_reason(Reason(LID, "wrong_language",
                                        "the LID model says the text is in another language than its source's"))
LOW_SCORE = register_reason(Reason(LID, "low_score",
                                   "the LID score is under the language's min_score (or the text has no letters)"))

#: Prefix of the programming languages' codes: code never goes through natural-language LID.
CODE_PREFIX = "code-"


class LanguageId:
    """The LID stage. Per document:

    - `lang` starts with `code-`: passed untouched;
    - `lang` is a registry language: the model its policy names (`Identifier.decider`) must give that
      language (or one in its `also_accept`, whose probability then adds up) with at least `min_score`;
      a `trust_source` language keeps its label, with `meta["lid_by"] = "trust_source"` and no score;
    - `lang` is empty (or not in the registry): the predicted language is set, subject to its min_score;
      text in none of the registry's languages is `lid:wrong_language`.

    Kept and rejected documents get `meta["lid_score"]` and `meta["lid_by"]` (the model's role), and
    rejections for a wrong language `meta["lid_pred"]` (the predicted code, or the model's own label).
    """

    name = LID

    def __init__(self, config: LidConfig = LidConfig(), registry: Registry | None = None) -> None:
        self.config = config
        self.batch_size = config.batch_size
        self.policies = load_policies(registry)   # LanguageConfigError before any work
        self.paths = config.model_paths()          # LidError for a missing lid.176 before any work
        self.identifier: Identifier | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["identifier"] = None                 # fastText models do not pickle; setup() reloads them
        if self.config.lid176 is True:             # the bundled lid.176: each worker finds its own copy
            state["paths"] = {role: p for role, p in self.paths.items() if role != LID176}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if self.config.lid176 is True:
            self.paths = {LID176: lid176_path(), **self.paths}

    def setup(self) -> None:
        """Load the models once per worker."""
        if self.identifier is None:
            models = {role: load_model(path) for role, path in self.paths.items()}
            self.identifier = Identifier(models, self.policies, self.config.max_chars, self.paths)

    def policy_report(self) -> dict[str, Any]:
        """Which model decides each language with this config, and which fell back to trust_source
        (for the run manifest). Reads the model files' labels, so it loads them if not loaded yet."""
        self.setup()
        assert self.identifier is not None
        return self.identifier.policy_report()

    def __call__(self, doc: Document) -> Document | Rejection:
        return self.process_batch([doc])[0]

    def process_batch(self, docs: list[Document]) -> list[Document | Rejection]:
        self.setup()
        ident = self.identifier
        assert ident is not None
        out: list[Document | Rejection | None] = [None] * len(docs)
        prepared: dict[int, str] = {}
        by_role: dict[str, list[int]] = collections.defaultdict(list)
        unknown: list[int] = []
        for i, doc in enumerate(docs):
            if doc.lang.startswith(CODE_PREFIX):
                out[i] = doc
                continue
            policy = self.policies.get(doc.lang)
            if policy is None:
                unknown.append(i)
            else:
                role = ident.decider(doc.lang)
                if role == TRUST_SOURCE:
                    doc.meta["lid_by"] = TRUST_SOURCE
                    out[i] = doc
                    continue
                by_role[role].append(i)
            prepared[i] = prepare_text(doc.text, self.config.max_chars)

        for role in sorted(by_role):
            idxs = by_role[role]
            k = 3 if any(self.policies[docs[i].lang].also_accept for i in idxs) else 1
            for i, pred in zip(idxs, ident.predict(role, [prepared[i] for i in idxs], k=k)):
                out[i] = self._check_source(docs[i], pred, prepared[i])
        if unknown:
            for i, pred in zip(unknown, ident.identify([prepared[i] for i in unknown])):
                out[i] = self._assign(docs[i], pred)
        return out  # type: ignore[return-value]

    def _check_source(self, doc: Document, pred: Prediction, text: str) -> Document | Rejection:
        """A document whose source names its language: the deciding model must agree."""
        policy = self.policies[doc.lang]
        doc.meta["lid_by"] = pred.by
        doc.meta["lid_score"] = pred.score
        if not pred.label:
            return Rejection(doc, LOW_SCORE, f"{doc.id}: no letters to identify a language by")
        group = (doc.lang, *policy.also_accept)
        if pred.code not in group:
            doc.meta["lid_pred"] = pred.code or pred.label
            return Rejection(doc, WRONG_LANGUAGE, f"{doc.id}: source says {doc.lang}, {pred.by} says "
                                                  f"{pred.code or pred.label} ({pred.score})")
        score = pred.score
        if policy.also_accept:   # close kin (ak/tw): the probability of the whole group counts
            score = round(min(1.0, sum(s for label, s in pred.top
                                       if self._code(label, text) in group)), 4)
            doc.meta["lid_score"] = score
            if pred.code != doc.lang:
                doc.meta["lid_pred"] = pred.code
        if score < policy.min_score:
            return Rejection(doc, LOW_SCORE, f"{doc.id}: {doc.lang} scored {score} < min_score {policy.min_score} ({pred.by})")
        return doc

    def _assign(self, doc: Document, pred: Prediction) -> Document | Rejection:
        """A document of unknown language: it takes the predicted one, if clear enough."""
        doc.meta["lid_score"] = pred.score
        if not pred.label:
            return Rejection(doc, LOW_SCORE, f"{doc.id}: no letters to identify a language by")
        doc.meta["lid_by"] = pred.by
        if not pred.code:
            doc.meta["lid_pred"] = pred.label
            return Rejection(doc, WRONG_LANGUAGE, f"{doc.id}: {pred.by} says {pred.label} ({pred.score}), "
                                                  "none of the registry's languages")
        doc.lang = pred.code
        policy = self.policies[pred.code]
        if pred.score < policy.min_score:
            return Rejection(doc, LOW_SCORE, f"{doc.id}: {pred.code} scored {pred.score} < min_score "
                                             f"{policy.min_score} ({pred.by})")
        return doc

    def _code(self, label: str, text: str) -> str:
        assert self.identifier is not None
        return self.identifier.labels.resolve(label, text)


__all__ = ["LanguageId", "LidConfig", "WRONG_LANGUAGE", "LOW_SCORE", "LID176", "ROOTS", "TRUST_SOURCE"]
