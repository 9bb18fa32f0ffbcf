"""The passes over every (query, document) score behind the threshold exclusions.

Nothing query x document is held in memory: scores are computed in tiles, and each tile is
read by a compiled pass (:mod:`analysis.metrics.score_kernels`): once for score histograms
(with each query's best score per tile), once to collect the admitted pairs from the rows
that can keep one. A small comparison uses the NumPy twins of those passes instead: loading
numba's compiled code costs half a second, more than a few million scores take in NumPy.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from analysis.errors import InputError

BINS_PER_UNIT = 1000  # histogram resolution of scores in [-1, 1]
N_BINS = 2 * BINS_PER_UNIT + 1
MAX_COLLECTED_PAIRS = 50_000_000
TILE_ELEMENTS = 16 * 1024 * 1024  # scores per model per tile: 64 MiB of float32
_TILE_QUERIES = 1024
NUMPY_MAX_SCORES = 4 * 1024 * 1024  # queries x documents up to which NumPy reads the tiles
ULP_SLACK = np.float32(1e-5)  # far above a float32 dot product's rounding between kernels
Qrels = Mapping[int, Mapping[int, int]]  # query position -> document position -> grade
Spaces = list[tuple[np.ndarray, np.ndarray]]  # per model: (query vectors, document vectors)


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


def _score_tiles(
    spaces: Spaces,
    exclude: np.ndarray | None,
    tile_elements: int,
    needed: Callable[[int, int, int], np.ndarray] | None = None,
) -> Iterator[tuple[np.ndarray, int, int, list[np.ndarray]]]:
    """Both models' scores, a (queries x documents) tile at a time: square-ish tiles keep
    the matrix product near the machine's peak (a strip of 16 queries against a million
    documents runs at a quarter of it), and a tile is ``tile_elements`` scores per model.

    Yields (query positions, first document, tile number, scores). ``needed(start, stop,
    tile)`` may narrow a tile to the queries that matter in it (positions from ``start``).
    """
    (base_q, base_d), (cand_q, cand_d) = spaces
    n_queries, n_docs = len(base_q), len(base_d)
    rows = max(1, min(n_queries, _TILE_QUERIES))
    cols = max(1, min(n_docs, tile_elements // rows))
    for start in range(0, n_queries, rows):
        stop = min(start + rows, n_queries)
        for tile, first in enumerate(range(0, n_docs, cols)):
            last = min(first + cols, n_docs)
            picked = np.arange(start, stop) if needed is None else needed(start, stop, tile)
            if len(picked) == 0:
                continue
            sims = [base_q[picked] @ base_d[first:last].T, cand_q[picked] @ cand_d[first:last].T]
            if exclude is not None:
                hit = exclude[picked]
                inside = np.flatnonzero((hit >= first) & (hit < last))
                for scores in sims:
                    scores[inside, hit[inside] - first] = -np.inf
            yield picked, first, tile, sims


def bin_of(scores: np.ndarray | np.floating) -> np.ndarray:
    """Histogram bin of each score: floor((s + 1) * 1000), clipped to [0, 2000]; -inf -> -1."""
    scaled = np.floor((np.asarray(scores, dtype=np.float64) + 1.0) * BINS_PER_UNIT)
    binned = np.clip(np.nan_to_num(scaled, neginf=-1), -1, N_BINS - 1).astype(np.int64)
    return binned


def histograms(
    spaces: Spaces,
    domain_of_query: np.ndarray,
    n_domains: int,
    exclude: np.ndarray | None,
    tile_elements: int,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per model, a (domains x bins) count of (query, document) scores, and each query's
    best score in each document tile (which tiles the collecting pass may skip)."""
    row_histograms, _ = kernels(spaces)
    hist = [np.zeros((n_domains, N_BINS), np.int64) for _ in range(2)]
    best: list[list[np.ndarray]] = [[], []]
    for picked, _, tile, sims in _score_tiles(spaces, exclude, tile_elements):
        domains = domain_of_query[picked]
        for model, scores in enumerate(sims):
            counts, row_best = row_histograms(scores, N_BINS)
            for domain in np.unique(domains):
                hist[model][domain] += counts[domains == domain].sum(axis=0)
            if picked[0] == 0:
                best[model].append(np.full(len(spaces[0][0]), -np.inf, dtype=np.float32))
            best[model][tile][picked] = row_best
    return hist, [np.column_stack(b) if b else np.zeros((0, 0), np.float32) for b in best]


def kernels(spaces: Spaces) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The per-tile passes (row histograms, kept pairs): compiled, or NumPy's when the whole
    comparison is small enough that loading the compiled code would cost more."""
    queries, documents = spaces[0]
    if len(queries) * len(documents) <= NUMPY_MAX_SCORES:
        return row_histograms_numpy, kept_pairs_numpy
    from analysis.metrics.numba_cache import use_tool_cache_dir

    use_tool_cache_dir()  # before numba is imported: its compiled passes cached there too
    from analysis.metrics.score_kernels import kept_pairs, row_histograms

    return _one_at_a_time(row_histograms), _one_at_a_time(kept_pairs)


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


def calibration_bin(candidate_counts: np.ndarray, n_admitted: int) -> int:
    """Lowest bin such that the candidate's pairs at or above it number at least n_admitted."""
    from_top = np.cumsum(candidate_counts[::-1])[::-1]
    eligible = np.flatnonzero(from_top >= max(n_admitted, 1))
    return int(eligible.max()) if len(eligible) else 0


def collect_pairs(
    spaces: Spaces,
    cutoff: float,
    floor_bin: int,
    exclude: np.ndarray | None,
    tile_elements: int,
    hist: list[np.ndarray],
    best: list[np.ndarray] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    _, kept_pairs = kernels(spaces)
    expected = int(hist[0].sum(axis=0)[bin_of(np.float32(cutoff)) :].sum())
    expected += int(hist[1].sum(axis=0)[min(floor_bin, bin_of(np.float32(cutoff))) :].sum())
    if expected > MAX_COLLECTED_PAIRS:
        raise InputError(
            f"cutoff {cutoff:.3f} admits about {expected:,} (query, document) pairs; choose a "
            "higher cutoff (the recall horizon curve shows how many each cutoff admits)"
        )
    parts: list[list[np.ndarray]] = [[], [], [], []]
    # float32, as NumPy compares a float32 score with a Python float (NEP 50)
    threshold = np.float32(cutoff)
    # a score in floor_bin or above is at least this (a hair below the bin's edge)
    floor_score = np.float32(floor_bin / BINS_PER_UNIT - 1.0 - 1e-6)

    def needed(start: int, stop: int, tile: int) -> np.ndarray:
        """Queries whose best score in this tile can be kept, by either model's test."""
        if best is None:
            return np.arange(start, stop)
        base, cand = best[0][start:stop, tile], best[1][start:stop, tile]
        # with an ulp's slack (see floor_bin): a narrower tile may score a pair a hair higher
        keep = (base >= threshold - ULP_SLACK) | (cand >= min(threshold, floor_score) - ULP_SLACK)
        return start + np.flatnonzero(keep)

    for picked, first, _, (s_base, s_cand) in _score_tiles(spaces, exclude, tile_elements, needed):
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
    order = np.lexsort((doc, query))  # tiles visit documents in strips: back to query order
    return query[order], doc[order], score_base[order], score_cand[order]
