"""The stage contract every engine runs: a named callable on one document that passes it on
(perhaps changed) or rejects it, with expensive state loaded once per worker in `setup()`."""
from __future__ import annotations

from typing import Iterable, Iterator, Protocol

from roots.document import Document, Rejection


class Stage(Protocol):
    """One per-document step of a run (ARCHITECTURE.md §3).

    A stage whose work vectorises (a model predicting many texts at once) also defines
    `batch_size: int` and `process_batch(docs) -> list[Document | Rejection]` (one outcome per input,
    in order); engines then hand it batches of up to `batch_size` documents instead of single ones.
    """

    name: str

    def setup(self) -> None:
        """Load models and build tables; engines call it once per worker before any document."""

    def __call__(self, doc: Document) -> Document | Rejection:
        """Pass `doc` on (annotated or changed), or reject it with a reason."""


def is_batched(stage: Stage) -> bool:
    """Whether the engines should hand this stage batches (see `Stage`)."""
    return callable(getattr(stage, "process_batch", None)) and getattr(stage, "batch_size", 0) > 0


def apply_stage(stage: Stage, docs: list[Document]) -> list[Document | Rejection]:
    """One outcome per document, through the stage's batch path when it has one."""
    return stage.process_batch(docs) if is_batched(stage) else [stage(d) for d in docs]


def run_stages(stages: list[Stage], docs: Iterable[Document | Rejection]) -> Iterator[tuple[str, Document | Rejection]]:
    """Run documents through stages in order: yields (stage name, outcome) for every rejection, and
    ("", doc) for each document that passed them all. The local engine and tests use it."""
    for stage in stages:
        stage.setup()
    batch: list[Document] = []
    for record in docs:
        if isinstance(record, Rejection):
            yield "ingest", record
            continue
        batch.append(record)
        if len(batch) >= 1024:
            yield from _through(stages, batch)
            batch = []
    yield from _through(stages, batch)


def _through(stages: list[Stage], batch: list[Document]) -> Iterator[tuple[str, Document | Rejection]]:
    for stage in stages:
        passed = []
        for outcome in apply_stage(stage, batch):
            if isinstance(outcome, Rejection):
                yield stage.name, outcome
            else:
                passed.append(outcome)
        batch = passed
    for doc in batch:
        yield "", doc
