"""The run config's `dedup:` section, validated before any work (a bad key is one ConfigError line)."""
from __future__ import annotations

from dataclasses import dataclass

from roots.errors import ConfigError
from roots.schema import Section, setting
from roots.dedup.lsh import candidate_probability, choose_bands
from roots.dedup.text import MAX_NGRAM

SCOPES = ("lang", "all")
EXACT_KEYS = ("text", "url")


@dataclass(frozen=True)
class DedupConfig(Section):
    """How duplicates are found and which copy is kept. Defaults: exact and near dedup per language,
    across sources, Jaccard >= 0.8 on word 5-grams, 128 permutations, bands chosen for 99.5% recall
    at the threshold, candidates verified on their exact Jaccard, smallest id kept."""

    enabled: bool = True
    exact: bool = True            # remove exact duplicates of the normalised text (or URL)
    near: bool = True             # remove near duplicates (MinHash LSH)
    scope: str = setting("lang", choices=SCOPES)           # lang: within each language; all: across languages
    exact_key: str = setting("text", choices=EXACT_KEYS)       # text, or url: documents with meta[url_field] are grouped by it
    url_field: str = "url"
    threshold: float = setting(0.8, gt=0, lt=1)        # Jaccard similarity of shingle sets that makes a near duplicate
    ngram: int = setting(5, ge=1, le=MAX_NGRAM)                # words per shingle (tokens for code)
    char_ngram: int = setting(5, ge=1, le=MAX_NGRAM)           # characters per shingle for unspaced scripts (Chinese)
    num_perm: int = setting(128, ge=1)
    seed: int = setting(1, ge=0)                 # datasketch's default seed for its permutations
    bands: int = setting(0, ge=0)                # 0: chosen with rows for target_recall
    rows: int = setting(0, ge=0, le=256)
    target_recall: float = setting(0.995, gt=0, lt=1)    # chance that a pair exactly at the threshold becomes a candidate
    verify: bool = True           # check each candidate pair's exact Jaccard (removes LSH false positives)
    keep_score: str = ""          # meta key of a quality score: the highest is kept; else the smallest id
    max_bucket: int = setting(64, ge=2)           # LSH buckets up to this size give all pairs; larger ones star edges
    bucket_reps: int = setting(4, ge=1)           # members of an oversized bucket each linked to this many representatives
    subshards: int = setting(256, ge=1)           # an exact group's copies are routed in up to this many groups (a million copies: ~4,000 each)
    max_rounds: int = setting(16, ge=1)           # large-star + small-star rounds of connected components
    batch_size: int = setting(256, ge=1)          # documents shingled and signed at once
    partition_docs: int = setting(200_000, ge=1)    # documents per partition of the exact, verification and component shuffles
    band_group_rows: int = setting(1_000_000, ge=1)    # LSH band rows per group of the bucketing shuffle

    def bands_rows(self) -> tuple[int, int]:
        """The LSH bands and rows per band this config uses."""
        if self.bands and self.rows:
            return self.bands, self.rows
        return choose_bands(self.threshold, self.num_perm, self.target_recall)

    def partitions(self, n_docs: int) -> int:
        """How many partitions the light shuffles (exact groups, verification, components) use."""
        return max(1, -(-n_docs // self.partition_docs))

    def band_parts(self, n_docs: int) -> int:
        """How many groups each LSH band is split into for bucketing."""
        return max(1, -(-n_docs // self.band_group_rows))

    def recall_at_threshold(self) -> float:
        return candidate_probability(self.threshold, *self.bands_rows())

    def check(self, where: str) -> None:
        """What spans several keys (each key's own range is its field's `setting`): a ConfigError."""
        if (self.bands > 0) != (self.rows > 0):
            raise ConfigError(f"{where}: keys 'bands' and 'rows' go together (both positive, or both 0 to choose them)")
        if self.bands * self.rows > self.num_perm:
            raise ConfigError(f"{where}: bands × rows = {self.bands * self.rows} exceeds num_perm {self.num_perm}")
        if self.exact_key == "url" and not self.url_field:
            raise ConfigError(f"{where}: key 'url_field' must name the meta key that holds the URL, got {self.url_field!r}")
