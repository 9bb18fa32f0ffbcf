"""Near-miss items encoded by both models: what the near-miss family computes from.

Each model's vectors are kept once per text, as the items keep their texts: the items
point into them by row (a copy of every item's query, passage and near-miss vectors was
66 MB of fresh memory on ``../shared/data``, most of what encoding cached texts cost).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.nearmiss.columns import Items


@dataclass(frozen=True)
class EncodedTexts:
    """One model's vectors: ``queries`` (rows: ``NearMissItems.query_rows``) and ``texts``
    (rows: ``Items.texts``, so ``Items.passage_rows`` and ``near_miss_rows`` index them)."""

    queries: np.ndarray
    texts: np.ndarray


@dataclass(frozen=True)
class NearMissItems:
    """The items, and each model's vectors of their queries, passages and near misses."""

    items: Items
    query_rows: np.ndarray  # (items,) intp: each item's query in either side's ``queries``
    baseline: EncodedTexts
    candidate: EncodedTexts

    def __post_init__(self) -> None:
        n = len(self.items)
        if len(self.query_rows) != n:
            raise ValueError(f"{len(self.query_rows)} query rows for {n} items")
        for side in (self.baseline, self.candidate):
            if len(side.texts) != len(self.items.texts):
                raise ValueError(
                    f"{len(side.texts)} text vectors for {len(self.items.texts)} texts"
                )
            if n and not 0 <= self.query_rows.min() <= self.query_rows.max() < len(side.queries):
                raise ValueError(f"a query row outside the {len(side.queries)} query vectors")
