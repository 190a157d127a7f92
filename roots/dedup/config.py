"""The run config's `dedup:` section, validated before any work (a bad key is one ConfigError line)."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from roots.config import ConfigError
from roots.dedup.lsh import candidate_probability, choose_bands
from roots.dedup.text import MAX_NGRAM

SCOPES = ("lang", "all")
EXACT_KEYS = ("text", "url")


@dataclass(frozen=True)
class DedupConfig:
    """How duplicates are found and which copy is kept. Defaults: exact and near dedup per language,
    across sources, Jaccard >= 0.8 on word 5-grams, 128 permutations, bands chosen for 99.5% recall
    at the threshold, candidates verified on their exact Jaccard, smallest id kept."""

    enabled: bool = True
    exact: bool = True            # remove exact duplicates of the normalised text (or URL)
    near: bool = True             # remove near duplicates (MinHash LSH)
    scope: str = "lang"           # lang: within each language; all: across languages
    exact_key: str = "text"       # text, or url: documents with meta[url_field] are grouped by it
    url_field: str = "url"
    threshold: float = 0.8        # Jaccard similarity of shingle sets that makes a near duplicate
    ngram: int = 5                # words per shingle (tokens for code)
    char_ngram: int = 5           # characters per shingle for unspaced scripts (Chinese)
    num_perm: int = 128
    seed: int = 1                 # datasketch's default seed for its permutations
    bands: int = 0                # 0: chosen with rows for target_recall
    rows: int = 0
    target_recall: float = 0.995  # chance that a pair exactly at the threshold becomes a candidate
    verify: bool = True           # check each candidate pair's exact Jaccard (removes LSH false positives)
    keep_score: str = ""          # meta key of a quality score: the highest is kept; else the smallest id
    max_bucket: int = 64          # LSH buckets up to this size give all pairs; larger ones star edges
    bucket_reps: int = 4          # members of an oversized bucket each linked to this many representatives
    subshards: int = 256          # an exact group's copies are routed in up to this many groups (a million copies: ~4,000 each)
    max_rounds: int = 16          # large-star + small-star rounds of connected components
    batch_size: int = 256         # documents shingled and signed at once
    partition_docs: int = 200_000  # documents per partition of the exact, verification and component shuffles
    band_group_rows: int = 1_000_000  # LSH band rows per group of the bucketing shuffle

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

    @classmethod
    def from_dict(cls, data: Any, where: str) -> "DedupConfig":
        """Validate the `dedup:` mapping (None or {} gives the defaults); `where` prefixes every message."""
        data = {} if data is None else data
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
        known = {f.name: f for f in fields(cls)}
        kw: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                import difflib
                close = difflib.get_close_matches(str(key), sorted(known), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(sorted(known))})"
                raise ConfigError(f"{where}: key {key!r} is not a known key{hint}")
            default = known[key].default
            if isinstance(default, bool):
                if not isinstance(value, bool):
                    raise ConfigError(f"{where}: key {key!r} must be true or false, got {value!r}")
            elif isinstance(default, int):
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ConfigError(f"{where}: key {key!r} must be an integer, got {value!r}")
            elif isinstance(default, float):
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise ConfigError(f"{where}: key {key!r} must be a number, got {value!r}")
                value = float(value)
            elif not isinstance(value, str):
                raise ConfigError(f"{where}: key {key!r} must be a string, got {value!r}")
            kw[key] = value
        config = cls(**kw)
        config.check(where)
        return config

    def check(self, where: str) -> None:
        """Raise ConfigError naming the first key whose value cannot work."""
        def bad(key: str, rule: str) -> ConfigError:
            return ConfigError(f"{where}: key {key!r} {rule}, got {getattr(self, key)!r}")

        if self.scope not in SCOPES:
            raise bad("scope", f"must be one of {', '.join(SCOPES)}")
        if self.exact_key not in EXACT_KEYS:
            raise bad("exact_key", f"must be one of {', '.join(EXACT_KEYS)}")
        if not 0.0 < self.threshold < 1.0:
            raise bad("threshold", "must be between 0 and 1 (exclusive)")
        if not 0.0 < self.target_recall < 1.0:
            raise bad("target_recall", "must be between 0 and 1 (exclusive)")
        for key in ("ngram", "char_ngram"):
            if not 1 <= getattr(self, key) <= MAX_NGRAM:
                raise bad(key, f"must be between 1 and {MAX_NGRAM}")
        for key in ("num_perm", "max_bucket", "bucket_reps", "subshards", "max_rounds", "batch_size",
                    "partition_docs", "band_group_rows"):
            if getattr(self, key) < 1:
                raise bad(key, "must be at least 1")
        if self.max_bucket < 2:
            raise bad("max_bucket", "must be at least 2")
        if self.seed < 0:
            raise bad("seed", "must be 0 or more")
        if (self.bands > 0) != (self.rows > 0) or self.bands < 0 or self.rows < 0:
            raise ConfigError(f"{where}: keys 'bands' and 'rows' go together (both positive, or both 0 to choose them)")
        if self.bands * self.rows > self.num_perm:
            raise ConfigError(f"{where}: bands × rows = {self.bands * self.rows} exceeds num_perm {self.num_perm}")
        if self.rows > 256:
            raise bad("rows", "must be at most 256")
        if self.exact_key == "url" and not self.url_field:
            raise bad("url_field", "must name the meta key that holds the URL")
