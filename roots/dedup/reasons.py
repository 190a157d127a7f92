"""The rejection reasons of dedup, and how one document's outcome is decided from its exact group
and its near-duplicate component (shared by the Beam transform and the in-process dedup)."""
from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Iterator

from roots.dedup.keep import ID, Rank, cluster_id
from roots.document import Document, Reason, Rejection
from roots.reasons import DEDUP

STAGE = "dedup"
EXACT, URL, NEAR = (DEDUP[n] for n in ("exact", "url", "near"))

#: meta keys dedup writes: the cluster a document belongs to, and (on rejections) the kept id.
CLUSTER_KEY = "dedup_cluster"
KEPT_KEY = "dedup_kept"


def _annotated(doc: Document, **extra: str) -> Document:
    return replace(doc, meta={**doc.meta, **extra})


def decide(doc: Document, is_head: bool, group_size: int, labelled: bool, kept_elsewhere: bool,
           cluster: str, kept_id: str, exact_reason: Reason = EXACT) -> Document | Rejection:
    """One document's outcome: `is_head`: it is its exact group's best copy; `labelled`: the group has
    near duplicates; `kept_elsewhere`: its component's best copy is in another group; `cluster` and
    `kept_id`: the name of the cluster and the id of the document finally kept."""
    if is_head:
        if not kept_elsewhere:
            return _annotated(doc, **{CLUSTER_KEY: cluster}) if labelled or group_size > 1 else doc
        return Rejection(_annotated(doc, **{CLUSTER_KEY: cluster, KEPT_KEY: kept_id}), NEAR,
                         f"cluster={cluster} kept={kept_id}")
    return Rejection(_annotated(doc, **{CLUSTER_KEY: cluster, KEPT_KEY: kept_id}), exact_reason,
                     f"cluster={cluster} kept={kept_id}")


def route_group(docs: Iterable[tuple[Rank, Document]], group_min: Rank, group_size: int, label: Rank | None,
                exact_reason: Reason = EXACT, head_seen: bool = False) -> Iterator[Document | Rejection]:
    """Outcomes of the documents of one exact group (or of one sub-shard of it): `group_min` is the
    group's best rank, `group_size` its number of documents, `label` the best rank of its
    near-duplicate component (None if it has no near duplicate).
    The group's best document is kept unless its component holds a better one; every other document
    is rejected, naming the document that is finally kept. `head_seen`: the group's best document was
    routed elsewhere (an engine routing one document at a time), so an identical copy here is rejected."""
    final = label if label is not None else group_min
    cluster = cluster_id(final)
    kept_elsewhere = label is not None and label != group_min
    for rank, doc in docs:
        is_head = rank == group_min and not head_seen
        head_seen = head_seen or is_head
        yield decide(doc, is_head, group_size, label is not None, kept_elsewhere, cluster, final[ID], exact_reason)
