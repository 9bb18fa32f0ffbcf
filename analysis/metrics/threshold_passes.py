"""The passes over every (query, document) score behind the threshold exclusions, driven
from here and run shard by shard (:mod:`analysis.shards.score_tiles`): score histograms
with each query's best score per tile, then the pairs that can be admitted.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from analysis.errors import InputError
from analysis.shards.documents import DocumentVectors
from analysis.shards.score_tiles import (
    BINS_PER_UNIT,
    N_BINS,
    TILE_ELEMENTS,
    bin_of,
    tile_columns,
)

MAX_COLLECTED_PAIRS = 50_000_000
Qrels = Mapping[int, Mapping[int, int]]  # query position -> document position -> grade
Queries = tuple[np.ndarray, np.ndarray]  # per model: unit query vectors

__all__ = ["BINS_PER_UNIT", "N_BINS", "TILE_ELEMENTS", "bin_of", "tile_columns"]


def grades_of(
    query: np.ndarray, doc: np.ndarray, qrels_positions: Qrels, n_docs: int
) -> np.ndarray:
    """Judged grade of each (query, document) pair, 0 when unjudged (vectorised lookup)."""
    judged = [(q * n_docs + d, g) for q, docs in qrels_positions.items() for d, g in docs.items()]
    if not judged:
        return np.zeros(len(query), dtype=np.int64)
    keys, grades = (np.array(v, dtype=np.int64) for v in zip(*sorted(judged), strict=True))
    wanted = query.astype(np.int64) * n_docs + doc
    at = np.clip(np.searchsorted(keys, wanted), 0, len(keys) - 1)
    return np.where(keys[at] == wanted, grades[at], 0)


def calibration_bin(candidate_counts: np.ndarray, n_admitted: int) -> int:
    """Lowest bin such that the candidate's pairs at or above it number at least n_admitted."""
    from_top = np.cumsum(candidate_counts[::-1])[::-1]
    eligible = np.flatnonzero(from_top >= max(n_admitted, 1))
    return int(eligible.max()) if len(eligible) else 0


def collect_pairs(
    documents: DocumentVectors,
    queries: Queries,
    cutoff: float,
    floor_bin: int,
    exclude: np.ndarray | None,
    columns: int,
    hist: list[np.ndarray],
    best: list[np.ndarray] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The pairs either model admits at ``cutoff``, and the candidate's from ``floor_bin``
    up, in query then document order; refused above ``MAX_COLLECTED_PAIRS``."""
    expected = int(hist[0].sum(axis=0)[bin_of(np.float32(cutoff)) :].sum())
    expected += int(hist[1].sum(axis=0)[min(floor_bin, bin_of(np.float32(cutoff))) :].sum())
    if expected > MAX_COLLECTED_PAIRS:
        raise InputError(
            f"cutoff {cutoff:.3f} admits about {expected:,} (query, document) pairs; choose a "
            "higher cutoff (the recall horizon curve shows how many each cutoff admits)"
        )
    return documents.score_pairs(
        queries, columns=columns, cutoff=cutoff, floor_bin=floor_bin, exclude=exclude, best=best
    )


def nth_largest(values: np.ndarray, n: int) -> float | None:
    """The ``n``-th largest of ``values`` (None for n = 0 or no values)."""
    if n == 0 or len(values) == 0:
        return None
    return float(np.sort(values)[::-1][min(n, len(values)) - 1])
