"""Retrieval's top-k over document shards, equal to the in-process search
(``analysis.retrieval.top_k_cosine``) index for index and score for score.

The in-process search asks faiss for one more hit than it keeps (two with an exclusion),
sorts them by score and then document position, and where the last kept score ties the
first left out, scores that query's whole row again exactly (NumPy) to settle the tie by
position. Sharded, the same happens in two passes:

1. every shard gives faiss's best ``fetch`` of its documents per query (corpus positions,
   the same query blocks, so faiss takes the same arithmetic path and gives the same
   scores); the merge sorts the union by score and position. Any document of the whole's
   best ``fetch`` is among its shard's best ``fetch``, so the union holds them;
2. the queries whose kept edge is tied are scored again, shard by shard, exactly as the
   in-process search scores them, and each shard's best ``width`` merged by score and
   position.

Vectors are scaled to unit length by one rule for the whole corpus (``unit_rows``: rows
are divided unless every row already has unit length), decided before the passes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.retrieval import QUERY_BLOCK, Ranking, exact_scores, select_top, unit_rows


@dataclass(frozen=True)
class Candidates:
    """A shard's best ``fetch`` per query: corpus positions (-1: none) and faiss's scores."""

    indices: np.ndarray
    scores: np.ndarray


def search_width(k: int, n_docs: int, excluded: bool) -> tuple[int, int]:
    """(width, fetch): how many the search keeps and how many it asks faiss for."""
    width = min(k, n_docs)
    return width, min(width + 1 + excluded, n_docs)


def shard_candidates(
    queries: np.ndarray,
    documents: np.ndarray,
    start: int,
    fetch: int,
    *,
    divide: bool,
    exclude: np.ndarray | None = None,
    query_block: int = QUERY_BLOCK,
) -> Candidates:
    """Pass 1 for one shard (``start``: its first document's corpus position; ``divide``:
    the corpus's unit-length rule)."""
    import faiss

    unit_queries, unit_docs = unit_rows(queries), unit_rows(documents, divide=divide)
    n_queries, take = len(queries), min(fetch, len(documents))
    indices = np.full((n_queries, take), -1, dtype=np.int64)
    scores = np.full((n_queries, take), -np.inf, dtype=np.float32)
    for first in range(0, n_queries, max(1, query_block)):
        last = min(first + query_block, n_queries)
        found_scores, found = faiss.knn(
            unit_queries[first:last], unit_docs, take, metric=faiss.METRIC_INNER_PRODUCT
        )
        found = found + start
        if exclude is not None:
            found_scores[found == exclude[first:last, None]] = -np.inf
        indices[first:last], scores[first:last] = found, found_scores
    return Candidates(indices, scores)


def merge_candidates(
    parts: Sequence[Candidates], width: int, fetch: int, n_docs: int, excluded: bool
) -> tuple[Ranking, np.ndarray]:
    """Pass 1's merge: the ranking, and the queries whose edge is tied (pass 2's)."""
    indices = np.concatenate([p.indices for p in parts], axis=1)
    scores = np.concatenate([p.scores for p in parts], axis=1)
    positions = np.where(indices < 0, np.iinfo(np.int64).max, indices)
    order = np.lexsort((positions, -scores), axis=1)[:, :fetch]
    indices = np.take_along_axis(indices, order, axis=1)
    scores = np.take_along_axis(scores, order, axis=1)
    tied = np.zeros(0, dtype=np.int64)
    if fetch < n_docs:  # as in-process: every document ranked leaves nothing beyond the edge
        usable = fetch - excluded
        tied = np.flatnonzero(scores[:, width - 1] == scores[:, min(width, usable)])
    return _finished(indices[:, :width].copy(), scores[:, :width].copy()), tied


def shard_exact_rows(
    queries: np.ndarray,
    documents: np.ndarray,
    start: int,
    rows: np.ndarray,
    width: int,
    *,
    divide: bool,
    exclude: np.ndarray | None = None,
) -> Candidates:
    """Pass 2 for one shard: the tied queries' exact scores (as the in-process search's tie
    pass computes them), the shard's best ``width`` by score and position."""
    unit_queries, unit_docs = unit_rows(queries), unit_rows(documents, divide=divide)
    take = min(width, len(documents))
    sims = exact_scores(unit_docs, unit_queries[rows]).T
    if exclude is not None:
        for n, row in enumerate(rows):
            if start <= exclude[row] < start + len(documents):
                sims[n, exclude[row] - start] = -np.inf
    top, top_scores = select_top(sims, take)
    return Candidates(top + start, top_scores)


def merge_exact_rows(ranking: Ranking, rows: np.ndarray, parts: Sequence[Candidates]) -> Ranking:
    """Pass 2's merge into the ranking: the tied queries' best ``width`` of every shard's."""
    if not len(rows):
        return ranking
    width = ranking.k
    indices = np.concatenate([p.indices for p in parts], axis=1)
    scores = np.concatenate([p.scores for p in parts], axis=1)
    order = np.lexsort((indices, -scores), axis=1)[:, :width]
    found = ranking.indices.copy(), ranking.scores.copy()
    found[0][rows] = np.take_along_axis(indices, order, axis=1)
    found[1][rows] = np.take_along_axis(scores, order, axis=1)
    return _finished(*found)


def sharded_top_k(
    queries: np.ndarray,
    n_docs: int,
    k: int,
    run: Callable[[str, dict[str, Any]], list[dict[str, np.ndarray]]],
    *,
    exclude: np.ndarray | None = None,
    side: int = 0,
    prescale: bool | None = None,
) -> Ranking:
    """The corpus's top ``k`` per query, its ``n_docs`` documents in shards.

    ``run(pass_name, arguments)`` runs one pass over every shard and gives the shards'
    results in shard order (``analysis.shards.runner``: one shard in memory at a time, or
    Ray tasks): ``"unit"`` (whether the shard's rows are unit already), ``"candidates"``
    and ``"exact"`` (the two passes above). ``side``: which model's shards (0: the
    baseline). ``prescale``: the documents are first scaled by this unit-length rule and
    then searched as they are (drift searches documents among documents so).
    """
    width, fetch = search_width(k, n_docs, exclude is not None)
    if n_docs == 0 or len(queries) == 0:
        empty = np.full((len(queries), width), -1, dtype=np.int64)
        return Ranking(empty, np.full(empty.shape, np.nan, dtype=np.float32))
    if prescale is None:
        divide = not all(bool(r["unit"]) for r in run("unit", {"side": side}))
    else:
        divide = False
    common = {
        "queries": queries,
        "divide": divide,
        "exclude": exclude,
        "side": side,
        "prescale": prescale,
    }
    parts = [_found(r) for r in run("candidates", {**common, "fetch": fetch})]
    ranking, tied = merge_candidates(parts, width, fetch, n_docs, exclude is not None)
    if len(tied):
        exact = run("exact", {**common, "rows": tied, "width": width})
        ranking = merge_exact_rows(ranking, tied, [_found(r) for r in exact])
    return ranking


def _found(result: dict[str, np.ndarray]) -> Candidates:
    return Candidates(result["indices"], result["scores"])


def _finished(indices: np.ndarray, scores: np.ndarray) -> Ranking:
    padded = ~np.isfinite(scores)
    indices[padded], scores[padded] = -1, np.nan
    return Ranking(indices, scores)
