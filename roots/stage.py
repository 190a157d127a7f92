"""The stage contract every engine runs: a named callable on one document that passes it on
(perhaps changed) or rejects it, with expensive state loaded once per worker in `setup()`."""
from __future__ import annotations

from typing import Iterable, Iterator, Protocol

from roots.document import Document, Rejection


class Stage(Protocol):
    """One per-document step of a run (ARCHITECTURE.md §3)."""

    name: str

    def setup(self) -> None:
        """Load models and build tables; engines call it once per worker before any document."""

    def __call__(self, doc: Document) -> Document | Rejection:
        """Pass `doc` on (annotated or changed), or reject it with a reason."""


def run_stages(stages: list[Stage], docs: Iterable[Document | Rejection]) -> Iterator[tuple[str, Document | Rejection]]:
    """Run documents through stages in order: yields (stage name, outcome) for every rejection, and
    ("", doc) for each document that passed them all. The local engine and tests use it."""
    for stage in stages:
        stage.setup()
    for record in docs:
        if isinstance(record, Rejection):
            yield "ingest", record
            continue
        outcome: Document | Rejection = record
        for stage in stages:
            outcome = stage(outcome)
            if isinstance(outcome, Rejection):
                yield stage.name, outcome
                break
        else:
            yield "", outcome
