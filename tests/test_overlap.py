"""Overlap measures on hand-worked lists."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.metrics.overlap import jaccard, rank_biased_overlap, retrieval_overlap
from analysis.retrieval import Ranking


def test_jaccard_by_hand():
    assert jaccard([1, 2, 3, 4], [3, 4, 5, 6]) == pytest.approx(2 / 6)
    assert jaccard([], []) == 1.0


def test_rbo_by_hand():
    # X_1 = 1, X_2 = 1, X_3 = 3: (1 - p)/p * (0.9 + 0.5 * 0.81 + 0.729) + 0.729 = 0.955
    assert rank_biased_overlap([1, 2, 3], [1, 3, 2]) == pytest.approx(0.955)
    assert rank_biased_overlap([1, 2, 3], [1, 2, 3]) == pytest.approx(1.0)
    assert rank_biased_overlap([1, 2, 3], [4, 5, 6]) == 0.0
    # Top ranks weigh most: swapping the first two costs more than swapping the last two.
    assert rank_biased_overlap([1, 2, 3, 4], [2, 1, 3, 4]) < rank_biased_overlap(
        [1, 2, 3, 4], [1, 2, 4, 3]
    )


def test_rbo_rejects_bad_p():
    with pytest.raises(ValueError, match=r"p must be in \(0, 1\)"):
        rank_biased_overlap([1], [1], p=1.0)


def test_retrieval_overlap_lists_entered_and_left():
    base = Ranking(np.array([[0, 1, 2], [3, 4, 5]]), np.zeros((2, 3), np.float32))
    cand = Ranking(np.array([[0, 2, 7], [3, 4, 5]]), np.zeros((2, 3), np.float32))
    result = retrieval_overlap(base, cand, k=3, query_ids=["a", "b"], query_domains=["x", "y"])
    assert result.jaccard.tolist() == pytest.approx([2 / 4, 1.0])
    assert result.overlap_at_k.tolist() == pytest.approx([2 / 3, 1.0])
    assert result.entered == ((7,), ()) and result.left == ((1,), ())
    by_domain = result.by_domain(["x", "y"])
    assert by_domain["x"].jaccard.mean == pytest.approx(0.5)
    assert by_domain["(all)"].jaccard.mean == pytest.approx(0.75)
    assert by_domain["(all)"].jaccard.low <= 0.75 <= by_domain["(all)"].jaccard.high


def test_a_mean_without_resamples_is_the_bootstrap_mean_without_its_interval():
    from analysis.metrics.grouping import bootstrap_mean

    values = np.array([0.2, np.nan, 0.9, 0.4, 0.1])
    weights = np.array([1.0, 5.0, 3.0, 1.0, 2.0])
    for w in (None, weights):
        drawn = bootstrap_mean(values, n_resamples=500, weights=w)
        alone = bootstrap_mean(values, n_resamples=0, weights=w)
        assert alone.mean == drawn.mean and alone.n == drawn.n == 4
        assert drawn.low is not None and (alone.low, alone.high) == (None, None)
