"""Shrinkage measures on hand-built spaces."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.metrics.geometry import (
    effective_rank,
    mean_cosine_to_centroid,
    mean_pairwise_cosine,
    space_geometry,
)


def test_effective_rank_by_hand():
    # Variance split equally over two axes: entropy log 2, effective rank 2.
    cross = np.array([[1.0, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0]])
    assert effective_rank(cross) == pytest.approx(2.0)
    # Variance 4:1 over two axes: p = (0.8, 0.2), exp(-(0.8 ln 0.8 + 0.2 ln 0.2)).
    skewed = np.array([[2.0, 0], [-2, 0], [0, 1], [0, -1]])
    assert effective_rank(skewed) == pytest.approx(np.exp(-(0.8 * np.log(0.8) + 0.2 * np.log(0.2))))
    assert effective_rank(np.ones((5, 3))) == 0.0  # no variance
    assert effective_rank(np.ones((1, 3))) == 0.0  # a domain with one document


def test_mean_pairwise_cosine_matches_brute_force():
    rng = np.random.default_rng(0)
    unit = rng.normal(size=(30, 5))
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    sims = unit @ unit.T
    brute = (sims.sum() - np.trace(sims)) / (30 * 29)
    assert mean_pairwise_cosine(unit) == pytest.approx(brute)
    assert mean_pairwise_cosine(unit[:1]) is None


def test_mean_cosine_to_centroid_by_hand():
    unit = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert mean_cosine_to_centroid(unit) == pytest.approx(np.sqrt(0.5))


def test_collapsing_domain_shows_up_in_every_measure_and_the_ratios():
    rng = np.random.default_rng(1)
    base = rng.normal(size=(200, 16))
    domains = ["a"] * 100 + ["b"] * 100
    cand = base.copy()
    cand[:100] = base[:100] * 0.2 + np.ones(16)  # domain a squeezed towards one direction
    result = space_geometry(base, cand, domains)
    ratio_a, ratio_b = result.ratios()["a"], result.ratios()["b"]
    assert ratio_a["mean_cosine_to_centroid"] > 2
    assert ratio_a["effective_rank"] < 1
    assert ratio_b == pytest.approx({k: 1.0 for k in ratio_b})
    assert result.centroid_similarity_baseline.shape == (2, 2)
    assert np.diag(result.centroid_similarity_candidate) == pytest.approx([1.0, 1.0])
