"""Exact and near-duplicate removal (ARCHITECTURE.md §2): exact keys of normalised text, MinHash
signatures in datasketch's hash family computed with numpy per batch, LSH bands chosen for recall at
the threshold, exact-Jaccard verification of candidates, connected components by large-star /
small-star rounds, and one kept document per component. The Beam transform is
`roots.pipelines.dedup.Deduplicate`; `deduplicate_local` runs the same rules in one process."""
from roots.dedup.config import DedupConfig
from roots.dedup.local import LocalResult, deduplicate_local
from roots.dedup.reasons import CLUSTER_KEY, EXACT, KEPT_KEY, NEAR, STAGE, URL

__all__ = ["DedupConfig", "LocalResult", "deduplicate_local", "CLUSTER_KEY", "KEPT_KEY", "EXACT", "NEAR",
           "URL", "STAGE"]
