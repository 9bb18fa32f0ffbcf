"""The threshold analysis's passes over one shard's (query, document) scores, in tiles.

Nothing query x document is held in memory: a shard's scores are computed a tile at a time
and each tile is read by a compiled pass (:mod:`analysis.shards.score_kernels`): once for
score histograms (with each query's best score per tile), once to collect the pairs that
can be admitted. A small comparison uses the NumPy twins of those passes instead: loading
numba's compiled code costs half a second, more than a few million scores take in NumPy.

Tiles start at the shard's first document and are ``tile_columns`` documents wide, so a
comparison in one process (one shard: the whole corpus) and one over shards whose sizes
are multiples of the tile width compute every tile with the same shapes, hence the same
float32 bits (a BLAS product's last bit depends on the matrices' shape).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

BINS_PER_UNIT = 1000  # histogram resolution of scores in [-1, 1]
N_BINS = 2 * BINS_PER_UNIT + 1
TILE_ELEMENTS = 16 * 1024 * 1024  # scores per model per tile at most: 64 MiB of float32
TILE_COLUMNS = 10_000  # documents per tile at most: shards of a multiple give the same bits
TILE_QUERIES = 1024
NUMPY_MAX_SCORES = 4 * 1024 * 1024  # queries x documents up to which NumPy reads the tiles
ULP_SLACK = np.float32(1e-5)  # far above a float32 dot product's rounding between kernels
Pair = tuple[np.ndarray, np.ndarray]  # (baseline, candidate)


def tile_columns(n_queries: int, tile_elements: int = TILE_ELEMENTS) -> int:
    """Documents per tile: square-ish tiles keep the matrix product near the machine's
    peak (a strip of 16 queries against a million documents runs at a quarter of it)."""
    rows = max(1, min(n_queries, TILE_QUERIES))
    return max(1, min(TILE_COLUMNS, tile_elements // rows))


def tiles_in(n_docs: int, columns: int) -> int:
    """How many tiles a shard of ``n_docs`` documents has."""
    return -(-n_docs // columns)


def bin_of(scores: np.ndarray | np.floating) -> np.ndarray:
    """Histogram bin of each score: floor((s + 1) * 1000), clipped to [0, 2000]; -inf -> -1."""
    scaled = np.floor((np.asarray(scores, dtype=np.float64) + 1.0) * BINS_PER_UNIT)
    binned = np.clip(np.nan_to_num(scaled, neginf=-1), -1, N_BINS - 1).astype(np.int64)
    return binned


def _score_tiles(
    queries: Pair,
    documents: Pair,
    start: int,
    columns: int,
    exclude: np.ndarray | None,
    needed: Callable[[int, int, int], np.ndarray] | None = None,
) -> Iterator[tuple[np.ndarray, int, int, list[np.ndarray]]]:
    """Both models' scores against the shard's (unit) documents, a tile at a time.

    Yields (query positions, the tile's first document's corpus position, the tile's
    number in the shard, scores). ``needed(start, stop, tile)`` may narrow a tile to the
    queries that matter in it (positions from ``start``)."""
    n_queries, n_docs = len(queries[0]), len(documents[0])
    rows = max(1, min(n_queries, TILE_QUERIES))
    for first_query in range(0, n_queries, rows):
        stop = min(first_query + rows, n_queries)
        for tile, first in enumerate(range(0, n_docs, columns)):
            last = min(first + columns, n_docs)
            picked = (
                np.arange(first_query, stop) if needed is None else needed(first_query, stop, tile)
            )
            if len(picked) == 0:
                continue
            sims = [q[picked] @ d[first:last].T for q, d in zip(queries, documents, strict=True)]
            if exclude is not None:
                hit = exclude[picked] - start
                inside = np.flatnonzero((hit >= first) & (hit < last))
                for scores in sims:
                    scores[inside, hit[inside] - first] = -np.inf
            yield picked, start + first, tile, sims


def shard_histograms(
    queries: Pair,
    documents: Pair,
    start: int,
    *,
    columns: int,
    domain_of_query: np.ndarray,
    n_domains: int,
    exclude: np.ndarray | None,
    compiled: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Per model, a (domains x bins) count of the shard's (query, document) scores, and each
    query's best score in each of the shard's tiles: (2, domains, bins) int64 and
    (2, queries, tiles) float32."""
    row_histograms, _ = kernels(compiled)
    hist = np.zeros((2, n_domains, N_BINS), np.int64)
    best = np.full(
        (2, len(queries[0]), tiles_in(len(documents[0]), columns)), -np.inf, dtype=np.float32
    )
    for picked, _, tile, sims in _score_tiles(queries, documents, start, columns, exclude):
        domains = domain_of_query[picked]
        for model, scores in enumerate(sims):
            counts, row_best = row_histograms(scores, N_BINS)
            for domain in np.unique(domains):
                hist[model, domain] += counts[domains == domain].sum(axis=0)
            best[model, picked, tile] = row_best
    return hist, best


def shard_pairs(
    queries: Pair,
    documents: Pair,
    start: int,
    *,
    columns: int,
    cutoff: float,
    floor_bin: int,
    exclude: np.ndarray | None,
    best: np.ndarray | None,
    compiled: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The shard's pairs the baseline or the candidate admits at ``cutoff``, or whose
    candidate score lies in ``floor_bin`` or above: (query, document, baseline score,
    candidate score), documents as corpus positions, in no particular order. ``best``:
    the shard's (2, queries, tiles) maxima from :func:`shard_histograms`, which tiles'
    rows can be skipped (None: every tile is scanned)."""
    _, kept_pairs = kernels(compiled)
    parts: list[list[np.ndarray]] = [[], [], [], []]
    # float32, as NumPy compares a float32 score with a Python float (NEP 50)
    threshold = np.float32(cutoff)
    # a score in floor_bin or above is at least this (a hair below the bin's edge)
    floor_score = np.float32(floor_bin / BINS_PER_UNIT - 1.0 - 1e-6)

    def needed(first: int, stop: int, tile: int) -> np.ndarray:
        """Queries whose best score in this tile can be kept, by either model's test."""
        if best is None:
            return np.arange(first, stop)
        base, cand = best[0, first:stop, tile], best[1, first:stop, tile]
        # with an ulp's slack (see floor_bin): a narrower tile may score a pair a hair higher
        keep = (base >= threshold - ULP_SLACK) | (cand >= min(threshold, floor_score) - ULP_SLACK)
        return first + np.flatnonzero(keep)

    tiles = _score_tiles(queries, documents, start, columns, exclude, needed)
    for picked, first, _, (s_base, s_cand) in tiles:
        rows, cols = kept_pairs(s_base, s_cand, threshold, floor_bin, N_BINS)
        for target, values in zip(
            parts,
            (picked[rows], cols + first, s_base[rows, cols], s_cand[rows, cols]),
            strict=True,
        ):
            target.append(values)
    query, doc, score_base, score_cand = (
        np.concatenate(p) if p else np.zeros(0, dtype)
        for p, dtype in zip(parts, (np.int64, np.int64, np.float32, np.float32), strict=True)
    )
    return query, doc, score_base, score_cand


def kernels(compiled: bool) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The per-tile passes (row histograms, kept pairs): compiled, or NumPy's when the whole
    comparison is small enough that loading the compiled code would cost more (the caller
    decides from the whole's size, so every shard uses the same ones)."""
    if not compiled:
        return row_histograms_numpy, kept_pairs_numpy
    from analysis.numba_cache import use_tool_cache_dir

    use_tool_cache_dir()  # before numba is imported: its compiled passes cached there too
    from analysis.shards.score_kernels import kept_pairs, row_histograms

    return _one_at_a_time(row_histograms), _one_at_a_time(kept_pairs)


def use_compiled(n_queries: int, n_docs: int) -> bool:
    """Whether a comparison of this size reads its tiles with the compiled passes."""
    return n_queries * n_docs > NUMPY_MAX_SCORES


# numba's parallel passes are not safe to enter from two threads at once under its fallback
# threading layer (workqueue aborts the process); a dashboard has several threads.
_COMPILED = threading.Lock()


def _one_at_a_time(kernel: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        with _COMPILED:
            return kernel(*args)

    return call


def row_histograms_numpy(sims: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """``score_kernels.row_histograms`` in NumPy: per row, counts by bin and the best score."""
    bins = np.minimum(bin_of(sims), n_bins - 1)  # -1: excluded or below -1, not counted
    offsets = np.arange(len(sims))[:, None] * (n_bins + 1)
    flat = np.bincount((offsets + bins + 1).ravel(), minlength=len(sims) * (n_bins + 1))
    counts = flat.reshape(len(sims), n_bins + 1)[:, 1:]
    best = sims.max(axis=1) if sims.shape[1] else np.full(len(sims), -np.inf, np.float32)
    return counts, best.astype(np.float32)


def kept_pairs_numpy(
    base: np.ndarray, cand: np.ndarray, cutoff: np.float32, floor_bin: int, n_bins: int
) -> tuple[np.ndarray, np.ndarray]:
    """``score_kernels.kept_pairs`` in NumPy: (rows, cols) in row-major order."""
    kept = (base >= cutoff) | (cand >= cutoff) | (np.minimum(bin_of(cand), n_bins - 1) >= floor_bin)
    rows, cols = np.nonzero(kept)
    return rows.astype(np.int64), cols.astype(np.int64)
