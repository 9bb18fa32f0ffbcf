"""Exact cosine top-k search in blocks, with deterministic tie-breaking.

Memory stays bounded: scores are computed for a block of queries at a time (about
``block_bytes`` of float32), never the full queries x documents matrix when it is large.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.progress import Progress

DEFAULT_BLOCK_BYTES = 64 * 1024 * 1024
_CHUNK = 64  # columns per chunk when bounding the top-k (see _select_top)
_LOOSE = 8  # candidates per row (in widths) above which _select_top tightens its bound


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


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (float32); all-zero rows stay zero, so their cosine is 0."""
    vectors = np.asarray(vectors, dtype=np.float32)
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


def top_k_cosine(
    queries: np.ndarray,
    documents: np.ndarray,
    k: int,
    *,
    exclude: np.ndarray | None = None,
    block_bytes: int = DEFAULT_BLOCK_BYTES,
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
    block = max(1, block_bytes // (4 * n_docs))
    progress = progress or Progress()
    with progress.stage(stage, n_queries) as tick:
        for start in range(0, n_queries, block):
            stop = min(start + block, n_queries)
            sims = unit_queries[start:stop] @ unit_docs.T
            if exclude is not None:
                _mask_excluded(sims, exclude[start:stop])
            indices[start:stop], scores[start:stop] = _select_top(sims, width)
            tick(stop - start)
    padded = ~np.isfinite(scores)
    indices[padded], scores[padded] = -1, np.nan
    return Ranking(indices, scores)


def _mask_excluded(sims: np.ndarray, excluded: np.ndarray) -> None:
    rows = np.flatnonzero(excluded >= 0)
    sims[rows, excluded[rows]] = -np.inf


def _select_top(sims: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
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
