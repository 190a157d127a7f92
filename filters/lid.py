"""The language identification stage: sets each document's `lang` and `meta["lid_score"]`, and rejects
documents that are not in their source's language (`lid:wrong_language`), not clearly in any language
(`lid:low_score`), or junk rather than language (`lid:noise`), deciding as a careful curator would with
fastText, the text's script and a noise class, for all 46 languages (roots.lid)."""
from __future__ import annotations

import logging
from typing import Any

from roots import reasons
from roots.document import Document, Rejection
from roots.languages import Registry
from roots.lid import (BUNDLED, LID176, LOW, NO_TEXT, NOISE, ROOTS, TRUST_SOURCE, WRONG, Identifier, LidConfig,
                       Prediction, load_model, load_policies, prepare_text)

log = logging.getLogger(__name__)

LID = "lid"
WRONG_LANGUAGE, LOW_SCORE, NOISE_REASON = (reasons.LID[n] for n in ("wrong_language", "low_score", "noise"))

#: Prefix of the programming languages' codes: code never goes through natural-language LID.
CODE_PREFIX = "code-"


class LanguageId:
    """The LID stage. Per document:

    - `lang` starts with `code-`: passed untouched;
    - `lang` is a registry language: its script must fit the text's dominant script, our model must
      not call the text noise, and the model its policy names (`Identifier.decider`) must give that
      language (or one in its `also_accept`, whose probability then adds up) with at least its
      `min_score` for that model (`Identifier.check`); a `trust_source` language keeps its label, with
      `meta["lid_by"] = "trust_source"` and no score;
    - `lang` is empty (or not in the registry): the language decided by `Identifier.identify` is set,
      subject to its min_score; text in none of the registry's languages is `lid:wrong_language`.

    Kept and rejected documents get `meta["lid_score"]` and `meta["lid_by"]` (the model's role, or
    `script`), and rejections for a wrong language `meta["lid_pred"]` (the code, or the model's label).
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
        # the bundled models: each worker finds its own copy inside its installed packages
        state["paths"] = {role: p for role, p in self.paths.items()
                          if not (role == LID176 and self.config.lid176 is True)
                          and not (role == ROOTS and self.config.model == BUNDLED)}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.paths = {**self.config.model_paths(), **self.paths}

    def setup(self) -> None:
        """Load the models once per worker."""
        if self.identifier is None:
            models = {role: load_model(path) for role, path in self.paths.items()}
            self.identifier = Identifier(models, self.policies, self.config.max_chars, self.paths,
                                         self.config.noise_min_score, self.config.other_min_score)

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
        labelled: list[int] = []
        unknown: list[int] = []
        for i, doc in enumerate(docs):
            if doc.lang.startswith(CODE_PREFIX):
                out[i] = doc
            elif doc.lang not in self.policies:
                unknown.append(i)
            elif ident.decider(doc.lang) == TRUST_SOURCE:
                doc.meta["lid_by"] = TRUST_SOURCE
                out[i] = doc
            else:
                labelled.append(i)
        prepared = {i: prepare_text(docs[i].text, self.config.max_chars) for i in labelled + unknown}
        if labelled:
            preds = ident.check([prepared[i] for i in labelled], [docs[i].lang for i in labelled])
            for i, pred in zip(labelled, preds):
                out[i] = self._outcome(docs[i], pred, assign=False)
        if unknown:
            for i, pred in zip(unknown, ident.identify([prepared[i] for i in unknown])):
                out[i] = self._outcome(docs[i], pred, assign=True)
        return out  # type: ignore[return-value]

    def _outcome(self, doc: Document, pred: Prediction, assign: bool) -> Document | Rejection:
        """The document kept (with the decided language when `assign`) or rejected with the reason."""
        doc.meta["lid_score"] = pred.score
        if pred.reason == NO_TEXT:
            return Rejection(doc, LOW_SCORE, f"{doc.id}: no letters to identify a language by")
        doc.meta["lid_by"] = pred.by
        if pred.reason == NOISE:
            doc.meta["lid_pred"] = NOISE
            return Rejection(doc, NOISE_REASON, f"{doc.id}: {pred.by} says noise ({pred.score}), not language")
        source = doc.lang
        if assign and pred.code:
            doc.lang = pred.code
        if pred.reason == WRONG:
            doc.meta["lid_pred"] = pred.code or pred.label
            said = f"source says {source}, " if not assign else ""
            return Rejection(doc, WRONG_LANGUAGE, f"{doc.id}: {said}{pred.by} says {pred.code or pred.label} "
                                                  f"({pred.score}){', none of the registry languages' if assign else ''}")
        if pred.code and pred.code != doc.lang:
            doc.meta["lid_pred"] = pred.code   # close kin accepted (also_accept)
        if pred.reason == LOW:
            minimum = self.policies[pred.code or doc.lang].min_score_for(pred.by)
            return Rejection(doc, LOW_SCORE, f"{doc.id}: {pred.code or doc.lang} scored {pred.score} < min_score "
                                             f"{minimum} ({pred.by})")
        return doc


__all__ = ["LanguageId", "LidConfig", "WRONG_LANGUAGE", "LOW_SCORE", "NOISE_REASON", "LID176", "ROOTS", "TRUST_SOURCE"]
