"""Drift's neighbour search: the approximate index audits itself against exact search."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.metrics.drift import neighbourhood_drift
from analysis.neighbours import NeighbourSearch, document_neighbours, row_jaccard


def _clustered(n_docs: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Documents in 3 domains of 40 topics each (the structure real embeddings have)."""
    rng = np.random.default_rng(seed)
    topics = rng.normal(size=(120, 32)).astype(np.float32)
    topic = rng.integers(0, 120, n_docs)
    base = topics[topic] + 0.35 * rng.normal(size=(n_docs, 32)).astype(np.float32)
    cand = base + 0.25 * rng.normal(size=base.shape).astype(np.float32)
    return base, cand, [f"domain{t // 40}" for t in topic]


def test_approximate_drift_agrees_with_exact_drift_per_domain():
    base, cand, domains = _clustered(6000)
    exact = neighbourhood_drift(base, cand, domains, k=10, exact_max_docs=10**6)
    approximate = neighbourhood_drift(base, cand, domains, k=10, exact_max_docs=1000)
    assert exact.search.method == "exact" and approximate.search.approximate
    search = approximate.search
    assert search.audit_docs == 1000
    assert search.within_tolerance and search.max_jaccard_difference <= 0.01
    assert search.recall_baseline > 0.9 and search.recall_candidate > 0.9
    names = sorted(set(domains))
    for name, figures in exact.by_domain(names).items():
        assert approximate.by_domain(names)[name].mean == pytest.approx(figures.mean, abs=0.01)
    # every neighbour is a real other document, ranked by exact cosine
    assert (approximate.neighbours_baseline != approximate.positions[:, None]).all()
    assert (approximate.neighbours_baseline >= 0).all()


def test_an_index_that_fails_its_audit_is_not_used():
    base, cand, domains = _clustered(3000, seed=1)
    positions = np.arange(3000)
    exact = document_neighbours(base, cand, positions, domains, 10, approximate=False)
    fallback = document_neighbours(
        base, cand, positions, domains, 10, approximate=True, tolerance=-1.0
    )
    assert fallback[2].method == "exact" and "failed its audit" in fallback[2].note
    np.testing.assert_array_equal(fallback[0], exact[0])
    np.testing.assert_array_equal(fallback[1], exact[1])


def test_the_audit_reports_what_it_measured():
    search = NeighbourSearch(
        "approximate",
        "faiss IVF100,SQ8, nprobe 8",
        audit_docs=500,
        recall_baseline=0.98,
        recall_candidate=0.97,
        jaccard_difference={"legal": 0.004, "clinical": 0.02},
    )
    assert search.max_jaccard_difference == 0.02 and search.within_tolerance is False
    assert "OUTSIDE the tolerance of 0.01" in search.sentence()
    assert NeighbourSearch.from_json(search.to_json()) == search
    assert "exact search" in NeighbourSearch("exact", "faiss").sentence()


def test_row_jaccard_by_hand():
    a = np.array([[1, 2, 3], [4, 5, -1]])
    b = np.array([[3, 2, 9], [-1, -1, -1]])
    np.testing.assert_allclose(row_jaccard(a, b), [2 / 4, 0.0])
    assert row_jaccard(np.full((1, 2), -1), np.full((1, 2), -1)).tolist() == [1.0]
