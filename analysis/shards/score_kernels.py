"""Compiled per-tile passes of the threshold analysis (numba: one pass, no temporaries).

At a million documents and 10,000 queries there are 10^10 scores per model; the NumPy
version of these passes made six float64 temporaries of every tile (20 ns a score here).
Imported lazily by :mod:`analysis.metrics.thresholds`, so importing ``analysis`` stays fast.
Bins match ``threshold_passes.bin_of`` exactly: floor((s + 1) * 1000) in float64, scores below -1
and excluded pairs (-inf) left out.
"""

from __future__ import annotations

import math

import numba
import numpy as np

BINS_PER_UNIT = 1000.0


@numba.njit(parallel=True, cache=True)
def row_histograms(
    sims: np.ndarray, n_bins: int
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """(rows, n_bins) counts of each row's scores by bin, and each row's highest score."""
    out = np.zeros((sims.shape[0], n_bins), dtype=np.int64)
    best = np.full(sims.shape[0], -np.inf, dtype=np.float32)
    for i in numba.prange(sims.shape[0]):
        for j in range(sims.shape[1]):
            s = sims[i, j]
            if s == -np.inf:
                continue
            if s > best[i]:
                best[i] = s
            b = int(math.floor((np.float64(s) + 1.0) * BINS_PER_UNIT))
            if b < 0:
                continue
            out[i, min(b, n_bins - 1)] += 1
    return out, best


@numba.njit(parallel=True, cache=True)
def kept_pairs(
    base: np.ndarray, cand: np.ndarray, cutoff: np.float32, floor_bin: int, n_bins: int
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """(rows, cols) where the baseline or the candidate reaches the cutoff, or the candidate's
    score lies in ``floor_bin`` or above (the calibrated cutoff's search range)."""
    n_rows, n_cols = base.shape
    counts = np.zeros(n_rows, dtype=np.int64)
    for i in numba.prange(n_rows):
        for j in range(n_cols):
            if _kept(base[i, j], cand[i, j], cutoff, floor_bin, n_bins):
                counts[i] += 1
    starts = np.zeros(n_rows + 1, dtype=np.int64)
    starts[1:] = np.cumsum(counts)
    rows = np.empty(starts[-1], dtype=np.int64)
    cols = np.empty(starts[-1], dtype=np.int64)
    for i in numba.prange(n_rows):
        at = starts[i]
        for j in range(n_cols):
            if _kept(base[i, j], cand[i, j], cutoff, floor_bin, n_bins):
                rows[at], cols[at] = i, j
                at += 1
    return rows, cols


@numba.njit(inline="always")
def _kept(b: float, c: float, cutoff: np.float32, floor_bin: int, n_bins: int) -> bool:
    if b >= cutoff or c >= cutoff:
        return True
    if c == -np.inf:
        return False
    bin_ = int(math.floor((np.float64(c) + 1.0) * BINS_PER_UNIT))
    return min(bin_, n_bins - 1) >= floor_bin
