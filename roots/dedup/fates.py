"""How each exact group's documents learn their fate, in the message format both engines shuffle:
a group summary ("M", best rank, size, by_url, sub-shards), a component label ("L", component's best
rank, the member's rank, its sub-shard), a fate ("F", group's best rank, size, by_url, label) and the
documents ("D", rank, document). Engine-free: the Beam transform and the Spark dedup call these."""
from __future__ import annotations

from typing import Iterable, Iterator

from roots.dedup.keep import EXACT as EXACT_FIELD, RECORD, Rank
from roots.dedup.reasons import EXACT, URL, route_group
from roots.document import Document, Rejection


def component_labels(ranks: list[Rank], subshards: int) -> Iterator[tuple[int, tuple]]:
    """The member ranks of one component → per member, (its exact key, ("L", the component's best
    rank, its own rank, its document's sub-shard))."""
    best = min(ranks)
    for rank in ranks:
        yield rank[EXACT_FIELD], ("L", best, rank, rank[RECORD] % subshards)


def group_fates(key: int, values: Iterable[tuple]) -> Iterator[tuple[tuple[int, int], tuple]]:
    """An exact group's summary and/or component label → ((key, sub-shard), ("F", best rank, size,
    by_url, label)) for every sub-shard that holds its documents."""
    summary = label = None
    for value in values:
        if value[0] == "M":
            summary = value
        else:
            label = value
    if summary is None:  # a single document with near duplicates
        _, _, rank, sub = label
        summary = ("M", rank, 1, False, (sub,))
    _, rank, count, by_url, subs = summary
    for sub in subs:
        yield (key, sub), ("F", rank, count, by_url, None if label is None else label[1])


def route_values(values: Iterable[tuple]) -> Iterator[Document | Rejection]:
    """One sub-shard of an exact group: its ("D", rank, document) values and, when the group has
    copies or near duplicates, its fate → kept documents and rejections."""
    fate = first = None
    for value in values:
        if value[0] == "F":
            fate = value
        elif first is None:
            first = value[1]
    if fate is None:  # a lone document: no copy, no near duplicate
        fate = ("F", first, 1, False, None)
    _, group_min, count, by_url, label = fate
    docs = ((v[1], v[2]) for v in values if v[0] == "D")
    yield from route_group(docs, group_min, count, label, URL if by_url else EXACT)
