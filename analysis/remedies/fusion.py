"""Score fusion of the two models (two indexes): a document's score for a query is
(1 − w)·cos_baseline + w·cos_candidate.

That score is the inner product of concatenated unit vectors [√(1−w)·b, √w·c], so the fused
"model" is a vector space of its own and every family (drift, exclusions, geometry) reads
it like any candidate's. At w = 0 it is the baseline and at w = 1 the candidate, exactly.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from analysis.inputs.embed import CorpusEmbeddings
from analysis.retrieval import Ranking, select_top, unit_rows

_BLOCK_SCORES = 40_000_000  # (query, document) scores per block and model: 160 MB each


def fused(baseline: CorpusEmbeddings, candidate: CorpusEmbeddings, w: float) -> CorpusEmbeddings:
    """The fused space at candidate weight ``w`` (the sides themselves at 0 and 1)."""
    return FusedSpaces(baseline, candidate).at(w)


class FusedSpaces:
    """The fused space at any weight, both sides' unit rows computed once for the sweep."""

    def __init__(self, baseline: CorpusEmbeddings, candidate: CorpusEmbeddings) -> None:
        self.baseline, self.candidate = baseline, candidate
        self._units: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def at(self, w: float) -> CorpusEmbeddings:
        if w == 0:
            return self.baseline
        if w == 1:
            return self.candidate
        return CorpusEmbeddings(
            f"fusion w={w:g}",
            f"fusion|{self.baseline.fingerprint}|{self.candidate.fingerprint}|{w!r}",
            self._join("documents", w),
            self._join("queries", w),
            encoded=0,
            cached=0,
        )

    def _join(self, role: str, w: float) -> np.ndarray:
        if role not in self._units:
            sides = (self.baseline, self.candidate)
            self._units[role] = (
                unit_rows(getattr(sides[0], role)),
                unit_rows(getattr(sides[1], role)),
            )
        b, c = self._units[role]
        out = np.empty((len(b), b.shape[1] + c.shape[1]), dtype=np.float32)
        # the product in float64, rounded once into float32
        np.multiply(b, np.sqrt(1 - w), out=out[:, : b.shape[1]], casting="same_kind")
        np.multiply(c, np.sqrt(w), out=out[:, b.shape[1] :], casting="same_kind")
        return out


def fused_rankings(
    baseline: CorpusEmbeddings,
    candidate: CorpusEmbeddings,
    weights: Sequence[float],
    depth: int,
    *,
    exclude: np.ndarray | None = None,
) -> dict[float, tuple[Ranking, float]]:
    """Per weight: its top ``depth`` by (1 − w)·cos_baseline + w·cos_candidate (ties by
    document position, as a search of :func:`fused`'s space would rank them) and the seconds
    serving that one weight took: both models' scores, then their sum and its top.

    Both models' scores are computed once per block of queries and every weight is a sum
    of the two: a search of the concatenated space per weight was most of the sweep's time.
    ``exclude[i]``: a document query i must never get (-1 for none).
    """
    n_queries, n_docs = len(baseline.queries), len(baseline.documents)
    width = min(depth, n_docs)
    rankings = {
        w: Ranking(
            np.full((n_queries, width), -1, dtype=np.int64),
            np.full((n_queries, width), np.nan, dtype=np.float32),
        )
        for w in weights
    }
    seconds = dict.fromkeys(weights, 0.0)
    docs = [unit_rows(baseline.documents), unit_rows(candidate.documents)]
    block = max(1, min(n_queries, _BLOCK_SCORES // max(n_docs, 1)))
    for start in range(0, n_queries if width else 0, block):
        stop = min(start + block, n_queries)
        started = time.perf_counter()
        scores = [
            unit_rows(side.queries[start:stop]) @ side_docs.T
            for side, side_docs in zip((baseline, candidate), docs, strict=True)
        ]
        shared = time.perf_counter() - started
        for w, ranking in rankings.items():
            started = time.perf_counter()
            sims = (1 - w) * scores[0]
            sims += w * scores[1]
            if exclude is not None:
                rows = np.flatnonzero(exclude[start:stop] >= 0)
                sims[rows, exclude[start:stop][rows]] = -np.inf
            top, top_scores = select_top(sims, width)
            padded = ~np.isfinite(top_scores)
            top[padded], top_scores[padded] = -1, np.nan
            ranking.indices[start:stop], ranking.scores[start:stop] = top, top_scores
            seconds[w] += shared + time.perf_counter() - started
    return {w: (rankings[w], seconds[w]) for w in weights}
