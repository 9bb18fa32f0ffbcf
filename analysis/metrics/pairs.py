"""(query, document) pairs with a value each — grades, or membership — looked up for whole
rankings at once: relevance and judged coverage read every ranked document's judgment, and
a Python lookup per query and rank was most of their time."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def compacted(ranked: np.ndarray) -> np.ndarray:
    """Each row's documents first, its padding (-1) after them, order otherwise kept: the
    per-query definitions drop padding wherever it stands."""
    return np.take_along_axis(ranked, np.argsort(ranked < 0, axis=1, kind="stable"), 1)


class PairTable:
    """``values[query][document]`` as sorted keys (query × width + document)."""

    def __init__(self, values: Mapping[int, Mapping[int, int]]) -> None:
        self.width = 1 + max((d for row in values.values() for d in row), default=0)
        keys = np.array([q * self.width + d for q, row in values.items() for d in row], np.int64)
        found = np.array([v for row in values.values() for v in row.values()], np.int64)
        order = np.argsort(keys, kind="stable")
        self.keys, self.values = keys[order], found[order]

    def lookup(self, queries: np.ndarray, ranked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(found, value) per cell of ``ranked`` (row i: query ``queries[i]``'s documents;
        -1 and unknown documents: not found, value 0)."""
        inside = (ranked >= 0) & (ranked < self.width)
        wanted = queries[:, None] * self.width + np.where(inside, ranked, 0)
        values = np.zeros(ranked.shape, dtype=np.int64)
        if len(self.keys) == 0:
            return np.zeros(ranked.shape, dtype=bool), values
        at = np.minimum(np.searchsorted(self.keys, wanted), len(self.keys) - 1)
        found = inside & (self.keys[at] == wanted)
        values[found] = self.values[at[found]]
        return found, values
