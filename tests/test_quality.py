"""Relevance metrics by hand and against ranx (an independent implementation)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from ranx import Qrels, Run, evaluate

from analysis.metrics.quality import (
    benjamini_hochberg,
    ndcg,
    paired_randomisation_test,
    recall,
    reciprocal_rank,
    relevance_quality,
)
from analysis.retrieval import Ranking, top_k_cosine


def test_ndcg_with_graded_judgments_by_hand():
    # ranked: doc 5 (grade 1), doc 9 (unjudged), doc 2 (grade 3)
    # DCG = 1/log2(2) + 0 + 7/log2(4) = 1 + 3.5; ideal = 7/1 + 1/log2(3)
    expected = 4.5 / (7 + 1 / math.log2(3))
    assert ndcg([5, 9, 2], {5: 1, 2: 3, 8: 0}) == pytest.approx(expected)


def test_recall_and_mrr_by_hand():
    judged = {1: 2, 2: 1, 3: 0}
    assert recall([3, 1, 7], judged, depth=3) == pytest.approx(0.5)
    assert reciprocal_rank([3, 7, 2], judged) == pytest.approx(1 / 3)
    assert reciprocal_rank([3, 7], judged) == 0.0


def test_query_without_relevant_judgment_has_no_metric():
    assert math.isnan(ndcg([1, 2], {1: 0}))
    assert math.isnan(recall([1, 2], {}, depth=2))
    assert math.isnan(reciprocal_rank([1], {1: 0}))


def test_metrics_match_ranx_on_random_runs():
    rng = np.random.default_rng(0)
    docs, queries = rng.normal(size=(80, 6)), rng.normal(size=(25, 6))
    ranking = top_k_cosine(queries, docs, 10)
    qrels = {
        q: {int(d): int(rng.integers(0, 4)) for d in rng.choice(80, 12, replace=False)}
        for q in range(25)
    }
    qrels = {q: j for q, j in qrels.items() if any(g > 0 for g in j.values())}
    ids = [f"q{q:03d}" for q in range(25)]
    ours = relevance_quality(
        ranking, ranking, k=10, qrels_positions=qrels, query_ids=ids, query_domains=["d"] * 25
    )
    ranx_qrels = Qrels(
        {f"q{q:03d}": {f"d{d}": g for d, g in j.items() if g > 0} for q, j in qrels.items()}
    )
    ranx_run = Run(
        {
            f"q{q:03d}": {
                f"d{d}": float(s)
                for d, s in zip(ranking.indices[q], ranking.scores[q], strict=True)
            }
            for q in qrels
        }
    )
    scores = evaluate(
        ranx_qrels, ranx_run, ["ndcg_burges@10", "recall@10", "mrr@10"], return_mean=False
    )
    judged = sorted(qrels)
    np.testing.assert_allclose(
        ours.baseline["ndcg@10"][judged], scores["ndcg_burges@10"], atol=1e-9
    )
    np.testing.assert_allclose(ours.baseline["recall@10"][judged], scores["recall@10"], atol=1e-9)
    np.testing.assert_allclose(ours.baseline["mrr@10"][judged], scores["mrr@10"], atol=1e-9)


def test_randomisation_test_behaviour():
    assert paired_randomisation_test(np.zeros(30)) == 1.0
    assert paired_randomisation_test(np.full(30, 0.2)) < 0.001  # every pair improved
    noise = np.random.default_rng(1).normal(size=40)
    assert paired_randomisation_test(noise - noise.mean()) > 0.5  # no mean effect
    seeded = [paired_randomisation_test(noise, random_state=7) for _ in range(2)]
    assert seeded[0] == seeded[1]


def test_benjamini_hochberg_by_hand():
    adjusted = benjamini_hochberg({"a": 0.01, "b": 0.02, "c": 0.03, "d": 0.5})
    assert adjusted == pytest.approx({"a": 0.04, "b": 0.04, "c": 0.04, "d": 0.5})


def test_by_domain_reports_p_values_and_deltas():
    base = top_k_cosine(np.eye(3), np.eye(3), 3)
    worse = top_k_cosine(np.eye(3)[[1, 2, 0]], np.eye(3), 3)
    result = relevance_quality(
        base,
        worse,
        k=1,
        qrels_positions={0: {0: 1}, 1: {1: 1}},
        query_ids=["a", "b", "c"],
        query_domains=["x", "x", "y"],
        n_resamples=999,
    )
    summary = result.by_domain(["x", "y"])
    assert summary["x"].baseline["ndcg@10"] == pytest.approx(1.0)
    assert summary["x"].delta["recall@1"] == pytest.approx(-1.0)
    assert "y" not in summary  # no judged query: no relevance section, not zeros
    assert summary["x"].p_value["ndcg@10"] == pytest.approx(0.5, abs=0.1)  # 2 pairs only


def test_no_resamples_means_no_p_values_and_the_same_means():
    base = top_k_cosine(np.eye(3), np.eye(3), 3)
    worse = top_k_cosine(np.eye(3)[[1, 2, 0]], np.eye(3), 3)
    common = dict(
        k=1,
        qrels_positions={0: {0: 1}, 1: {1: 1}, 2: {2: 1}},
        query_ids=["a", "b", "c"],
        query_domains=["x", "x", "y"],
    )
    tested = relevance_quality(base, worse, n_resamples=999, **common).by_domain(["x", "y"])
    untested = relevance_quality(base, worse, n_resamples=0, **common).by_domain(["x", "y"])
    for name in ("x", "y"):
        assert untested[name].baseline == tested[name].baseline
        assert untested[name].delta == tested[name].delta
        assert set(untested[name].p_value.values()) == {None}
        assert set(untested[name].p_value_bh.values()) == {None}
        assert None not in tested[name].p_value.values()


def test_negative_grades_give_no_negative_gain():
    """trec_eval ignores gains <= 0: a document graded -1 counts as unjudged, never below 0."""
    assert ndcg([1, 2], {1: -1, 2: 1}) == pytest.approx(ndcg([1, 2], {2: 1}))
    assert ndcg([1], {1: -2, 2: 1}) == 0.0


def test_the_array_metrics_equal_the_definitions_to_the_last_digit():
    rng = np.random.default_rng(5)
    n_queries, n_docs, k = 60, 40, 7
    indices = np.array([rng.permutation(n_docs)[:15] for _ in range(n_queries)])
    indices[rng.random(indices.shape) < 0.1] = -1  # padding, some of it between documents
    ranking = Ranking(indices, np.zeros(indices.shape, dtype=np.float32))
    qrels = {
        q: {int(d): int(rng.integers(-1, 4)) for d in rng.choice(n_docs, rng.integers(1, 20))}
        for q in range(0, n_queries, 2)
    }
    qrels[2] = {5: 0, 6: -1}  # judged, nothing relevant: nan throughout
    result = relevance_quality(
        ranking,
        ranking,
        k=k,
        qrels_positions=qrels,
        query_ids=[str(q) for q in range(n_queries)],
        query_domains=["d"] * n_queries,
    )
    for q in range(n_queries):
        ranked = [int(d) for d in indices[q] if d >= 0]
        judged = qrels.get(q)
        expected = (
            [ndcg(ranked, judged), recall(ranked, judged, depth=k), reciprocal_rank(ranked, judged)]
            if judged
            else [np.nan] * 3
        )
        got = [result.baseline[m][q] for m in ("ndcg@10", f"recall@{k}", "mrr@10")]
        np.testing.assert_array_equal(got, expected)  # nan equals nan here, and nothing else
