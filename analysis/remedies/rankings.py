"""Rankings a remedy's pipeline retrieves that no single cosine search does: BM25 fused with
the candidate (a convex combination of min-max normalised scores, or reciprocal rank fusion)
and a recall floor (the baseline's top documents the candidate dropped keep some places).

Every ranking carries the candidate's cosine score of each document it holds, so a context
cut at the cutoff reads the candidate's similarity whatever put the document there.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from analysis.retrieval import Ranking, unit_rows

RRF_K = 60  # reciprocal rank fusion's constant (Cormack et al. 2009)


def min_max(scores: np.ndarray) -> np.ndarray:
    """Scores scaled to [0, 1] over one query's candidates (all 1 when they are equal).

    >>> min_max(np.array([2.0, 4.0, 3.0])).tolist()
    [0.0, 1.0, 0.5]
    """
    low, high = float(scores.min()), float(scores.max())
    if high == low:
        return np.ones_like(scores, dtype=np.float64)
    return (scores - low) / (high - low)


def convex_fusion(
    dense: tuple[np.ndarray, np.ndarray],
    lexical: tuple[np.ndarray, np.ndarray],
    weight: float,
    depth: int,
) -> np.ndarray:
    """One query's documents by (1 − weight)·dense + weight·lexical, each min-max normalised
    over its own retrieved list; a document one list did not retrieve scores 0 there (below
    its lowest). Ties keep corpus order. ``dense``/``lexical``: (positions, scores)."""
    fused: dict[int, float] = {}
    for (docs, scores), share in ((dense, 1 - weight), (lexical, weight)):
        keep = docs >= 0
        if not keep.any():
            continue
        for doc, value in zip(docs[keep], min_max(scores[keep]), strict=True):
            fused[int(doc)] = fused.get(int(doc), 0.0) + share * float(value)
    return _top(fused, depth)


def reciprocal_rank_fusion(lists: Sequence[np.ndarray], depth: int, k: int = RRF_K) -> np.ndarray:
    """One query's documents by Σ 1 / (k + rank) over the lists (ranks from 1); ties keep
    corpus order.

    >>> reciprocal_rank_fusion([np.array([3, 1]), np.array([1, 2])], 3).tolist()
    [1, 3, 2]
    """
    fused: dict[int, float] = {}
    for ranked in lists:
        for rank, doc in enumerate(ranked[ranked >= 0], start=1):
            fused[int(doc)] = fused.get(int(doc), 0.0) + 1.0 / (k + rank)
    return _top(fused, depth)


def recall_floor(
    candidate: np.ndarray, baseline: np.ndarray, *, k: int, slots: int, depth: int
) -> np.ndarray:
    """One query's list: the candidate's top k − r, then up to ``slots`` (r) of the
    baseline's top-k documents the candidate's top-k dropped (in the baseline's order), then
    the rest of the candidate's list; the context stays k documents."""
    top = [int(d) for d in candidate[:k] if d >= 0]
    dropped = [int(d) for d in baseline[:k] if d >= 0 and int(d) not in top]
    taken = dropped[:slots]
    head = top[: k - len(taken)] + taken
    seen = set(head)
    tail = [int(d) for d in candidate if d >= 0 and int(d) not in seen]
    return _padded(head + tail, depth)


def ranking_of(
    rows: Sequence[np.ndarray], queries: np.ndarray, documents: np.ndarray, depth: int
) -> Ranking:
    """A Ranking of per-query document lists, scored by the candidate's cosine."""
    indices = np.full((len(rows), depth), -1, dtype=np.int64)
    scores = np.full((len(rows), depth), np.nan, dtype=np.float32)
    unit_q, unit_d = unit_rows(queries), unit_rows(documents)
    for q, row in enumerate(rows):
        row = row[row >= 0][:depth]
        indices[q, : len(row)] = row
        scores[q, : len(row)] = unit_d[row] @ unit_q[q]
    return Ranking(indices, scores)


def _top(scores: dict[int, float], depth: int) -> np.ndarray:
    ordered = sorted(scores, key=lambda doc: (-scores[doc], doc))
    return _padded(ordered, depth)


def _padded(docs: Sequence[int], depth: int) -> np.ndarray:
    out = np.full(depth, -1, dtype=np.int64)
    docs = list(docs)[:depth]
    out[: len(docs)] = docs
    return out
