"""Moving the cutoff of finished threshold exclusions without computing a score again:
upwards from the pairs a result holds, and how far down a result may hold pairs for."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from analysis.metrics.horizon_curve import CURVE_STEP
from analysis.metrics.threshold_passes import BINS_PER_UNIT, bin_of, calibration_bin, nth_largest
from analysis.metrics.thresholds import ThresholdResult


def narrowed(
    result: ThresholdResult, cutoff: float, cutoff_source: str = "user"
) -> ThresholdResult:
    """The exclusions at ``cutoff`` >= ``result.cutoff``, from the pairs ``result`` holds: no
    score is computed again.

    Exact: at a higher cutoff the baseline admits a subset of its pairs, and the candidate
    admits a subset at the same cutoff; the calibrated cutoff (the n-th best candidate
    score, n the pairs the baseline admits) can only rise, and ``result`` holds every pair
    scoring at least its own calibrated cutoff. The curve and histograms are unchanged.
    """
    if cutoff < result.cutoff:
        raise ValueError(f"cutoff {cutoff} is below the held pairs' cutoff {result.cutoff}")
    base, cand = result.score_baseline, result.score_candidate
    calibrated = nth_largest(cand, int((base >= cutoff).sum()))
    admitted = (base >= cutoff) | (cand >= cutoff)
    if calibrated is not None:
        admitted |= cand >= calibrated
    return replace(
        result,
        cutoff_source=cutoff_source,
        cutoff=cutoff,
        calibrated_cutoff=calibrated,
        query=result.query[admitted],
        doc=result.doc[admitted],
        score_baseline=base[admitted],
        score_candidate=cand[admitted],
        grade=result.grade[admitted],
    )


def held_pairs_floor(
    result: ThresholdResult, cutoff: float, *, lowest: float, budget: int
) -> float:
    """The lowest of ``cutoff``, ``cutoff`` - 0.01, ``cutoff`` - 0.02, ... (not below
    ``lowest``) down to which the held pairs (bounded above from ``result``'s histograms)
    stay within ``budget``: pairs held from there give every cutoff above it by
    :func:`narrowed`. ``cutoff`` itself when no lower one fits."""
    base, cand = (h.sum(axis=0) for h in result.histograms)
    from_top = [np.cumsum(h[::-1])[::-1] for h in (base, cand)]
    floor = cutoff
    step = CURVE_STEP / BINS_PER_UNIT
    candidate = cutoff - step
    while candidate >= lowest - 1e-9 and candidate >= -1.0:
        at = int(bin_of(np.float32(candidate)))
        admitted = int(from_top[0][at])
        # either model at the cutoff, and the candidate down to its calibrated cutoff
        held = admitted + int(from_top[1][min(at, calibration_bin(cand, admitted))])
        if held > budget:
            break
        floor, candidate = candidate, candidate - step
    return floor
