"""Exact cosine top-k search, with deterministic tie-breaking.

The search is faiss's brute-force inner product (``faiss.knn``: tiled BLAS plus a heap,
1.7x faster than NumPy blocks here at equal results, and it copies no document matrix).
Ties at the k-th place are settled by document position with an exact NumPy pass over
that query alone, so results never depend on faiss's internal order. Memory stays
bounded: faiss scores one tile at a time, never the queries x documents matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.progress import Progress

_UNIT = 1e-5  # |squared norm - 1| below which a float32 row counts as normalised already
QUERY_BLOCK = 2048  # queries per faiss call: the unit of progress
_CHUNK = 64  # columns per chunk when bounding the top-k (see select_top)
_LOOSE = 8  # candidates per row (in widths) above which select_top tightens its bound
_TIED_GROUP = 32  # tied queries scored exactly at once (documents x 32 floats)
_EXACT_CHUNK = 16_384  # documents converted to float64 at a time


@dataclass(frozen=True)
class Ranking:
    """Top-k documents per query: row i holds query i's documents, best first.

    ``indices`` are positions in the document list (``-1`` pads rows shorter than k, which
    happens only when k exceeds the number of candidate documents); ``scores`` are cosine
    similarities (``nan`` where padded).
    """

    indices: np.ndarray  # (n_queries, k) int64
    scores: np.ndarray  # (n_queries, k) float32

    @property
    def k(self) -> int:
        return int(self.indices.shape[1])

    def to_frame(self, query_ids: Sequence[str], doc_ids: Sequence[str]) -> pd.DataFrame:
        """Long table: query_id, rank (from 1), doc_id, score; padding rows left out."""
        n_queries, k = self.indices.shape
        valid = self.indices >= 0
        rows, cols = np.nonzero(valid)
        doc_array = np.asarray(doc_ids, dtype=object)
        return pd.DataFrame(
            {
                "query_id": np.asarray(query_ids, dtype=object)[rows],
                "rank": cols + 1,
                "doc_id": doc_array[self.indices[rows, cols]],
                "score": self.scores[rows, cols].astype(np.float64),
            }
        )


def unit_rows(vectors: np.ndarray, *, divide: bool | None = None) -> np.ndarray:
    """Rows scaled to unit length (float32); all-zero rows stay zero, so their cosine is 0.

    Vectors that already are (normalised float32, as most models write them) are returned
    as they are: at a million rows a copy is 1.5 GiB per model. ``divide``: decided by the
    caller for a whole of which ``vectors`` is a part (True: divide every row, as this
    function does when any row of the whole is not unit; False: keep them).
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    if divide is False:
        return np.ascontiguousarray(vectors)
    if divide is None and vectors.flags.c_contiguous and rows_are_unit(vectors):
        return vectors
    with np.errstate(over="ignore"):
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    overflowed = np.flatnonzero(np.isinf(norms[:, 0]))
    if len(overflowed):
        # The norm of a row of finite values like 1e30 overflows float32; its direction does
        # not: scale such rows by their largest magnitude first (float64 for the norm).
        rows = vectors[overflowed].astype(np.float64)
        rows /= np.abs(rows).max(axis=1, keepdims=True)
        vectors = vectors.copy()
        vectors[overflowed] = rows
        norms[overflowed] = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def rows_are_unit(vectors: np.ndarray) -> bool:
    """Whether every row already has unit length (or is zero): ``unit_rows`` leaves such a
    matrix as it is, and divides every row of any other."""
    with np.errstate(over="ignore"):
        squared = np.einsum("ij,ij->i", vectors, vectors)  # no (n, d) temporary
    return bool(np.all((np.abs(squared - 1) < _UNIT) | (squared == 0)))


def top_k_cosine(
    queries: np.ndarray,
    documents: np.ndarray,
    k: int,
    *,
    exclude: np.ndarray | None = None,
    query_block: int = QUERY_BLOCK,
    progress: Progress | None = None,
    stage: str = "retrieval",
) -> Ranking:
    """The k documents with the highest cosine similarity to each query.

    Ties are broken by document position (earlier first), so results never depend on
    the block size or the platform. ``exclude[i]`` is a document position that query i
    must never get (``-1`` for none): the BEIR rule for query ids that are document ids,
    and a document's own row in document-to-document neighbour search.

    >>> r = top_k_cosine(np.eye(2), np.array([[1.0, 0], [0, 1], [1, 1]]), 2)
    >>> r.indices.tolist()
    [[0, 2], [1, 2]]
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if queries.ndim != 2 or documents.ndim != 2 or queries.shape[1] != documents.shape[1]:
        raise ValueError(
            f"queries {queries.shape} and documents {documents.shape} must be 2-D "
            "with the same number of columns"
        )
    n_queries, n_docs = len(queries), len(documents)
    width = min(k, n_docs)
    indices = np.full((n_queries, width), -1, dtype=np.int64)
    scores = np.full((n_queries, width), np.nan, dtype=np.float32)
    if n_queries == 0 or n_docs == 0:
        return Ranking(indices, scores)
    unit_queries, unit_docs = unit_rows(queries), unit_rows(documents)
    progress = progress or Progress()
    with progress.stage(stage, n_queries) as tick:
        for start in range(0, n_queries, max(1, query_block)):
            stop = min(start + query_block, n_queries)
            excluded = None if exclude is None else exclude[start:stop]
            indices[start:stop], scores[start:stop] = _search_block(
                unit_queries[start:stop], unit_docs, width, excluded
            )
            tick(stop - start)
    padded = ~np.isfinite(scores)
    indices[padded], scores[padded] = -1, np.nan
    return Ranking(indices, scores)


def _search_block(
    unit_queries: np.ndarray, unit_docs: np.ndarray, width: int, excluded: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """faiss's top hits, one more than needed (two with an exclusion) to see ties at the edge."""
    import faiss  # lazily: importing analysis stays fast

    n_docs = len(unit_docs)
    fetch = min(width + 1 + (excluded is not None), n_docs)
    found_scores, found = faiss.knn(
        unit_queries, unit_docs, fetch, metric=faiss.METRIC_INNER_PRODUCT
    )
    if excluded is not None:
        found_scores[found == excluded[:, None]] = -np.inf
    order = np.lexsort((found, -found_scores), axis=1) if fetch > 1 else None
    if order is not None:
        found = np.take_along_axis(found, order, axis=1)
        found_scores = np.take_along_axis(found_scores, order, axis=1)
    indices, scores = found[:, :width].copy(), found_scores[:, :width].copy()
    if fetch == n_docs:
        return indices, scores  # every document was ranked: nothing lies beyond the edge
    # The last kept score equals the first left out: documents beyond what faiss returned may
    # share it, so the position rule needs the exact scores of that query's whole row.
    usable = fetch - (excluded is not None)
    tied = np.flatnonzero(found_scores[:, width - 1] == found_scores[:, min(width, usable)])
    for first in range(0, len(tied), _TIED_GROUP):
        rows = tied[first : first + _TIED_GROUP]
        sims = exact_scores(unit_docs, unit_queries[rows]).T
        if excluded is not None:
            for n, row in enumerate(rows):
                if excluded[row] >= 0:
                    sims[n, excluded[row]] = -np.inf
        indices[rows], scores[rows] = select_top(sims, width)
    return indices, scores


def exact_scores(unit_docs: np.ndarray, unit_queries: np.ndarray) -> np.ndarray:
    """Every document's cosine with each query (documents x queries, float32), computed in
    float64 and rounded once: the same bits for a (document, query) pair whatever else the
    matrices hold (float32 BLAS sums in an order that depends on the matrix's shape and
    alignment), so a search over document shards settles ties exactly as one over them all.
    """
    out = np.empty((len(unit_docs), len(unit_queries)), dtype=np.float32)
    wide = unit_queries.astype(np.float64).T
    for start in range(0, len(unit_docs), _EXACT_CHUNK):
        chunk = unit_docs[start : start + _EXACT_CHUNK].astype(np.float64)
        out[start : start + len(chunk)] = chunk @ wide
    return out


def select_top(sims: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Top ``width`` columns per row, by score then by column position.

    Exact and fast for small widths: the width-th largest of per-chunk maxima is a lower
    bound on each row's width-th best score (those maxima are ``width`` distinct entries),
    so only the few entries at or above it need sorting, ties included. When that bound is
    loose, the exact width-th best score (a partition) replaces it.
    """
    n_rows, n_cols = sims.shape
    chunk = min(_CHUNK, n_cols // width)
    if chunk < 2:
        order = np.argsort(-sims, axis=1, kind="stable")[:, :width]
        return order, np.take_along_axis(sims, order, axis=1)
    n_chunks = n_cols // chunk
    maxima = sims[:, : n_chunks * chunk].reshape(n_rows, n_chunks, chunk).max(axis=2)
    bound = np.partition(maxima, n_chunks - width, axis=1)[:, n_chunks - width]
    above = sims >= bound[:, None]
    if above.sum() > _LOOSE * width * n_rows:
        # Chunks of like documents (a corpus ordered by domain) share high maxima, so the
        # bound can admit thousands per row; the exact width-th value costs one partition.
        bound = np.partition(sims, n_cols - width, axis=1)[:, n_cols - width]
        above = sims >= bound[:, None]
    rows, cols = np.nonzero(above)
    values = sims[rows, cols]
    order = np.lexsort((cols, -values, rows))
    rows, cols, values = rows[order], cols[order], values[order]
    starts = np.searchsorted(rows, np.arange(n_rows))
    keep = np.arange(len(rows)) - starts[rows] < width
    return cols[keep].reshape(n_rows, width), values[keep].reshape(n_rows, width)
