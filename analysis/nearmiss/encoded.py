"""Near-miss items encoded by both models: what the near-miss family computes from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class NearMissItems:
    """What the pipeline prepared: one row per item, and each model's passage vectors."""

    queries: tuple[str, ...]
    doc_ids: tuple[str, ...]
    domains: tuple[str, ...]  # the query's domain
    rules: tuple[str, ...]  # the rule that made the near miss ("file": the user's own)
    passages: tuple[str, ...]
    near_misses: tuple[str, ...]
    # the edit, (start, end) in the passage, then in the near miss (-1: unknown): one row
    # of four each, an (items, 4) array or a tuple of 4-tuples
    spans: np.ndarray | tuple[tuple[int, int, int, int], ...]
    baseline_queries: np.ndarray
    candidate_queries: np.ndarray
    baseline_passages: np.ndarray
    baseline_near_misses: np.ndarray
    candidate_passages: np.ndarray
    candidate_near_misses: np.ndarray
    source: str  # "judged pairs", "baseline top-1" or the user's file
    skipped: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # domain -> rule
