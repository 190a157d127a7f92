"""Connected components of the duplicate graph, each labelled by its smallest node.

The distributed algorithm is Kiveris et al.'s alternating large-star / small-star ("Connected
Components in MapReduce and Beyond", SoCC 2014): each operation looks only at one node and its
neighbours, so an engine runs it as one GroupByKey per half-round over partitions of nodes; it
converges in O(log² n) rounds, and at convergence every component is a star around its minimum.
The functions here are what one worker does for one partition, vectorised over int64 edge arrays;
`array_components` runs the same rounds in one process (the reference for tests), and
`union_find_components` is the single-process answer they must agree with.
"""
from __future__ import annotations

from typing import Any, Hashable, Iterable

import numpy as np


def _unique_edges(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of two parallel arrays, sorted."""
    if len(a) < 2:
        return a, b
    order = np.lexsort((b, a))
    a, b = a[order], b[order]
    keep = np.empty(len(a), dtype=bool)
    keep[0] = True
    keep[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    return a[keep], b[keep]


def _group_starts(nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each run of equal values starts in a sorted array, and each run's length."""
    starts = np.flatnonzero(np.concatenate([[True], nodes[1:] != nodes[:-1]]))
    return starts, np.diff(np.concatenate([starts, [len(nodes)]]))


def large_star_arrays(nodes: np.ndarray, neighbours: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Large-star for every node of (node, neighbour) rows (each edge given in both directions):
    every larger neighbour of a node is linked to the smallest of the node and its neighbours.
    Returns distinct (larger, smallest) edges."""
    if len(nodes) == 0:
        return nodes, neighbours
    order = np.argsort(nodes, kind="stable")
    nodes, neighbours = nodes[order], neighbours[order]
    starts, lengths = _group_starts(nodes)
    smallest = np.minimum(np.minimum.reduceat(neighbours, starts), nodes[starts])
    per_row = np.repeat(smallest, lengths)
    larger = neighbours > nodes
    return _unique_edges(neighbours[larger], per_row[larger])


def small_star_arrays(nodes: np.ndarray, smaller: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Small-star for every node of (node, smaller neighbour) rows: the node and its smaller
    neighbours are linked to the smallest of them. Returns distinct (larger, smallest) edges."""
    if len(nodes) == 0:
        return nodes, smaller
    order = np.argsort(nodes, kind="stable")
    nodes, smaller = nodes[order], smaller[order]
    starts, lengths = _group_starts(nodes)
    smallest = np.minimum.reduceat(smaller, starts)
    per_row = np.repeat(smallest, lengths)
    others = smaller != per_row
    return _unique_edges(np.concatenate([nodes[starts], smaller[others]]),
                         np.concatenate([smallest, per_row[others]]))


def star_violations(nodes: np.ndarray, neighbours: np.ndarray) -> int:
    """How many nodes of (node, neighbour) rows (each (child, parent) edge given in both directions,
    as large-star reads them) break the star shape: a child with two parents, or a child that is also
    a parent. 0 exactly when `converged` holds for those edges, so a large-star pass checks its input."""
    if len(nodes) == 0:
        return 0
    order = np.argsort(nodes, kind="stable")
    nodes, neighbours = nodes[order], neighbours[order]
    starts, _ = _group_starts(nodes)
    parent = neighbours < nodes
    limits = np.iinfo(np.int64)
    low = np.minimum.reduceat(np.where(parent, neighbours, limits.max), starts)
    high = np.maximum.reduceat(np.where(parent, neighbours, limits.min), starts)
    is_child = np.logical_or.reduceat(parent, starts)
    is_parent = np.logical_or.reduceat(neighbours > nodes, starts)
    return int(np.count_nonzero(is_child & ((low != high) | is_parent)))


def converged(edges: Iterable[tuple[Any, Any]]) -> bool:
    """Whether (child, parent) edges form stars: no child has two parents, no node is both."""
    parent: dict[Any, Any] = {}
    parents = set()
    for child, par in edges:
        if parent.setdefault(child, par) != par:
            return False
        parents.add(par)
    return not (parents & parent.keys())


def array_components(a: np.ndarray, b: np.ndarray, max_rounds: int = 64) -> tuple[dict[int, int], int]:
    """node → smallest node of its component for int64 edge arrays, by the engine's rounds in one
    process; also the number of rounds used. Raises RuntimeError past `max_rounds`."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    keep = a != b
    child, parent = _unique_edges(np.maximum(a, b)[keep], np.minimum(a, b)[keep])
    rounds = 0
    while not converged(zip(child.tolist(), parent.tolist())):
        if rounds == max_rounds:
            raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")
        large = large_star_arrays(np.concatenate([child, parent]), np.concatenate([parent, child]))
        child, parent = small_star_arrays(*large)
        rounds += 1
    labels = dict(zip(child.tolist(), parent.tolist()))
    labels.update({p: p for p in set(parent.tolist())})
    return labels, rounds


def union_find_components(edges: Iterable[tuple[Hashable, Hashable]]) -> dict[Hashable, Hashable]:
    """node → smallest node of its component, by union-find with path halving (single process)."""
    parent: dict[Hashable, Hashable] = {}

    def find(x: Hashable) -> Hashable:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            if rb < ra:
                ra, rb = rb, ra
            parent[rb] = ra
    return {x: find(x) for x in list(parent)}
