"""Per-language filter tuning from a run's output, as BigScience tuned ROOTS's thresholds by looking at
the data: each quality statistic's distribution against the threshold in force, the documents just
inside and just outside it, the share a candidate threshold would remove, and writing chosen values
back to the `filters:` section of the language's file in a language-config overlay (a unified diff
first): a user's folder that a run config names with `language_configs:`, never the installed package.
`notebooks/filter_tuning.ipynb` calls these functions and holds no logic of its own.

The population of a language is what its quality stage saw: the documents the stage kept (the output
of the step that ran it) plus those it rejected, each with the statistics the stage stored in
`meta["quality"]` (and `meta["lid_score"]`, `meta["perplexity"]`). A run made with
`quality.compute_all: false` stops at the first failing filter, so its later statistics are censored.

One module per job: `specs` (the statistics and their bounds), `load` (a run's statistics and
thresholds), `statistics` (what a candidate would remove), `report` (Markdown tables), `plots`, and
`overlay` (the YAML editor that writes tuned values). The names below are the notebook's API. `card`, the
data card's quality section (roots.filters.tuning.card.SECTION), is imported on its own.
"""
from roots.display import Markdown, new_figure
from roots.filters.tuning.load import (StatTable, config_filters, default_overlay, load_filter_output, load_statistics,
                                       quality_scope, registry, run_overlay, thresholds_from_policy)
from roots.filters.tuning.overlay import Proposal, apply_thresholds, propose_thresholds, write_thresholds
from roots.filters.tuning.plots import plot_distribution, plot_statistics
from roots.filters.tuning.report import (Example, NearThreshold, Removal, near_threshold, near_thresholds, removal,
                                         share_table, summary)
from roots.filters.tuning.specs import (KEY_TO_STATISTIC, QUALITY, SPECS, STATISTICS, StatisticSpec, Threshold,
                                        TuningError)
from roots.filters.tuning.statistics import (Distribution, distribution, share_removed, threshold_for_share,
                                             verdicts)

__all__ = ["Distribution", "Example", "KEY_TO_STATISTIC", "Markdown", "NearThreshold", "Proposal", "QUALITY",
           "Removal", "SPECS", "STATISTICS", "StatTable", "StatisticSpec", "Threshold", "TuningError",
           "apply_thresholds", "config_filters", "default_overlay", "distribution", "load_filter_output",
           "load_statistics", "near_threshold", "near_thresholds", "new_figure", "plot_distribution",
           "plot_statistics", "propose_thresholds", "quality_scope", "registry", "removal", "run_overlay",
           "share_removed", "share_table", "summary", "threshold_for_share", "thresholds_from_policy", "verdicts",
           "write_thresholds"]
