"""Exact top-k against an independent oracle, ties, padding, exclusions, block invariance."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from analysis.retrieval import select_top, top_k_cosine, unit_rows


def _oracle(queries, docs, k):
    model = NearestNeighbors(n_neighbors=k, metric="cosine", algorithm="brute").fit(docs)
    distances, indices = model.kneighbors(queries)
    return indices, 1.0 - distances


def _assert_same_up_to_float_ties(ours, oracle_idx, oracle_scores):
    np.testing.assert_allclose(ours.scores, oracle_scores, atol=1e-5)
    differs = ours.indices != oracle_idx
    # a differing id is only allowed where two scores are equal to float precision
    assert np.all(np.abs(ours.scores[differs] - oracle_scores[differs]) < 1e-5)
    assert differs.mean() < 0.01


def test_matches_sklearn_brute_force_on_random_data():
    rng = np.random.default_rng(0)
    docs, queries = rng.normal(size=(500, 24)), rng.normal(size=(60, 24))
    ranking = top_k_cosine(queries, docs, 10)
    _assert_same_up_to_float_ties(ranking, *_oracle(queries, docs, 10))


def test_matches_sklearn_with_zero_vectors_present():
    rng = np.random.default_rng(1)
    docs, queries = rng.normal(size=(300, 16)), rng.normal(size=(40, 16))
    docs[[3, 50, 120]] = 0.0  # cosine with a zero vector is defined as 0 (sklearn agrees)
    ranking = top_k_cosine(queries, docs, 299)  # deep enough to reach the zero documents
    _assert_same_up_to_float_ties(ranking, *_oracle(queries, docs, 299))
    zero_positions = np.isin(ranking.indices, [3, 50, 120])
    np.testing.assert_allclose(ranking.scores[zero_positions], 0.0, atol=1e-6)


def test_zero_query_gets_all_zero_scores_in_document_order():
    docs = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    ranking = top_k_cosine(np.zeros((1, 2)), docs, 2)
    assert ranking.indices.tolist() == [[0, 1]]
    assert ranking.scores.tolist() == [[0.0, 0.0]]


def test_ties_are_broken_by_document_position_whatever_the_block_size():
    docs = np.array([[0.0, 1.0]] + [[1.0, 0.0]] * 60)  # sixty identical documents
    queries = np.array([[1.0, 0.0], [1.0, 0.1]])
    for query_block in (1, 10**6):
        ranking = top_k_cosine(queries, docs, 3, query_block=query_block)
        assert ranking.indices.tolist() == [[1, 2, 3], [1, 2, 3]]
    excluded = top_k_cosine(queries, docs, 3, exclude=np.array([2, -1]))
    assert excluded.indices.tolist() == [[1, 3, 4], [1, 2, 3]]


def test_k_larger_than_corpus_returns_every_document():
    docs = np.eye(3)
    ranking = top_k_cosine(np.array([[1.0, 0.5, 0.0]]), docs, 10)
    assert ranking.k == 3
    assert ranking.indices.tolist() == [[0, 1, 2]]


def test_excluded_document_is_never_returned_and_rows_are_padded():
    docs = np.eye(3)
    exclude = np.array([0, -1])
    ranking = top_k_cosine(np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]), docs, 3, exclude=exclude)
    assert ranking.indices[0].tolist() == [1, 2, -1]
    assert np.isnan(ranking.scores[0, 2])
    assert ranking.indices[1].tolist() == [0, 1, 2]


def test_blocked_and_unblocked_results_are_identical():
    rng = np.random.default_rng(2)
    docs, queries = rng.normal(size=(200, 8)), rng.normal(size=(33, 8))
    small = top_k_cosine(queries, docs, 7, query_block=5)
    whole = top_k_cosine(queries, docs, 7)
    assert np.array_equal(small.indices, whole.indices)
    assert np.array_equal(small.scores, whole.scores)


def test_orthogonal_rotation_changes_no_neighbour():
    rng = np.random.default_rng(3)
    docs, queries = rng.normal(size=(100, 12)), rng.normal(size=(20, 12))
    rotation, _ = np.linalg.qr(rng.normal(size=(12, 12)))
    plain = top_k_cosine(queries, docs, 5)
    rotated = top_k_cosine(queries @ rotation, docs @ rotation, 5)
    assert np.array_equal(plain.indices, rotated.indices)
    np.testing.assert_allclose(plain.scores, rotated.scores, atol=1e-5)


def test_unit_rows_keeps_zero_rows_zero():
    out = unit_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]])


def test_bad_arguments_raise_precise_errors():
    with pytest.raises(ValueError, match="k must be at least 1"):
        top_k_cosine(np.eye(2), np.eye(2), 0)
    with pytest.raises(ValueError, match="same number of columns"):
        top_k_cosine(np.eye(2), np.eye(3), 1)


def test_to_frame_lists_ranks_from_one_and_skips_padding():
    ranking = top_k_cosine(np.array([[1.0, 0.0]]), np.eye(2), 2, exclude=np.array([1]))
    frame = ranking.to_frame(["q"], ["a", "b"])
    assert frame.to_dict("records") == [{"query_id": "q", "rank": 1, "doc_id": "a", "score": 1.0}]


@pytest.mark.parametrize("n_docs", [7, 64, 130, 1000])
def test_selection_with_heavy_ties_equals_a_full_stable_sort(n_docs):
    rng = np.random.default_rng(n_docs)
    docs = rng.integers(-2, 3, size=(n_docs, 3)).astype(float)  # few distinct directions
    queries = rng.integers(-2, 3, size=(25, 3)).astype(float)
    ranking = top_k_cosine(queries, docs, 5)
    sims = unit_rows(queries) @ unit_rows(docs).T
    expected = np.argsort(-sims, axis=1, kind="stable")[:, : ranking.k]
    assert np.array_equal(ranking.indices, expected)


def test_huge_but_finite_vectors_keep_their_direction():
    """A row of 1e30s overflows a float32 norm; its direction must survive, not read as zero."""
    rows = np.array([[3e30, 4e30], [3.0, 4.0], [0.0, 0.0]], dtype=np.float32)
    np.testing.assert_allclose(unit_rows(rows), [[0.6, 0.8], [0.6, 0.8], [0.0, 0.0]], rtol=1e-6)


@pytest.mark.parametrize("ties", [False, True])
def test_documents_ordered_by_cluster_take_the_tight_bound_and_stay_exact(ties, monkeypatch):
    """Documents stored cluster by cluster make the chunk-maxima bound loose at depth 50, so
    the exact partition bound is used; the result must equal a full stable sort, ties too."""
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(4, 16))
    docs = np.repeat(centres, 500, axis=0) + 0.3 * rng.normal(size=(2000, 16))
    if ties:
        docs = np.round(docs)  # many documents share a direction
    queries = docs[rng.choice(2000, 30, replace=False)] + 0.1 * rng.normal(size=(30, 16))
    tightened = []
    original = np.partition

    def spy(array, *args, **kwargs):
        tightened.append(array.shape)
        return original(array, *args, **kwargs)

    sims = (unit_rows(queries) @ unit_rows(docs).T).astype(np.float32)
    expected = np.argsort(-sims, axis=1, kind="stable")[:, :50]
    monkeypatch.setattr(np, "partition", spy)
    selected, _ = select_top(sims, 50)  # the exact path for queries tied at the k-th place
    assert any(shape[1] == 2000 for shape in tightened)  # the exact bound was taken
    assert np.array_equal(selected, expected)
    monkeypatch.setattr(np, "partition", original)
    ranking = top_k_cosine(queries, docs, 50)
    assert np.array_equal(ranking.indices, expected)


def test_matches_an_exhaustive_numpy_ranking_with_exclusions():
    rng = np.random.default_rng(5)
    docs, queries = rng.normal(size=(3000, 16)), rng.normal(size=(120, 16))
    exclude = rng.integers(-1, 3000, 120)
    ranking = top_k_cosine(queries, docs, 50, exclude=exclude, query_block=37)
    sims = unit_rows(queries) @ unit_rows(docs).T
    sims[np.arange(120)[exclude >= 0], exclude[exclude >= 0]] = -np.inf
    expected = np.argsort(-sims, axis=1, kind="stable")[:, :50]
    assert np.array_equal(ranking.indices, expected)
    assert np.allclose(ranking.scores, np.take_along_axis(sims, expected, axis=1), atol=1e-5)
