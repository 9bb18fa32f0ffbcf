"""Neighbourhood drift, threshold exclusions and reachability on small worked examples."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.metrics import threshold_passes, threshold_recut
from analysis.metrics.drift import neighbourhood_drift
from analysis.metrics.reach import reachability
from analysis.metrics.thresholds import ROUNDING_SLACK, default_cutoff, threshold_exclusions
from analysis.retrieval import Ranking
from analysis.shards import score_tiles


def test_identical_spaces_have_no_drift_and_purity_is_the_own_domain_share():
    docs = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    result = neighbourhood_drift(docs, docs.copy(), ["a", "a", "b", "b"], k=1)
    assert result.jaccard.tolist() == [1.0] * 4
    assert result.neighbours_baseline[:, 0].tolist() == [1, 0, 3, 2]
    assert result.purity_baseline.tolist() == [1.0] * 4


def test_drift_by_hand_when_one_document_moves():
    base = np.array([[1.0, 0.0], [0.95, 0.05], [0.0, 1.0], [0.05, 0.95]])
    cand = base.copy()
    cand[0] = [0.0, 1.0]  # document 0 moves into the other cluster
    result = neighbourhood_drift(base, cand, ["a", "a", "b", "b"], k=1)
    assert result.jaccard[0] == 0.0  # its neighbour 1 was replaced by 2
    assert result.purity_candidate[0] == 0.0
    summary = result.by_domain(["a", "b"])
    assert summary["a"].share_replaced > 0 and summary["b"].mean < 1.0


def test_drift_on_a_seeded_sample_is_reproducible_and_stated():
    rng = np.random.default_rng(0)
    docs = rng.normal(size=(60, 4))
    first = neighbourhood_drift(docs, docs, ["a"] * 60, k=3, max_docs=20, random_state=5)
    again = neighbourhood_drift(docs, docs, ["a"] * 60, k=3, max_docs=20, random_state=5)
    assert first.sampled and len(first.positions) == 20
    assert first.positions.tolist() == again.positions.tolist()


def test_domain_with_one_document_has_neighbours_elsewhere():
    docs = np.array([[1.0, 0.0], [0.0, 1.0], [0.1, 1.0]])
    result = neighbourhood_drift(docs, docs, ["solo", "b", "b"], k=5)
    assert result.neighbours_baseline.shape == (3, 3)  # k capped at the corpus size...
    assert (result.neighbours_baseline[:, -1] == -1).all()  # ...and padded: no self match
    assert result.purity_baseline[0] == 0.0


def _ids(n_queries: int, n_docs: int) -> dict:
    return dict(
        query_ids=[f"q{i}" for i in range(n_queries)],
        query_domains=["a"] * n_queries,
        doc_ids=[f"d{i}" for i in range(n_docs)],
        doc_domains=["a"] * n_docs,
    )


def _exclusion_fixture():
    # Query 0 looks along x. Baseline scores for docs 0..3: 1.0, 0.8, 0.6, 0.0.
    queries = np.array([[1.0, 0.0]])
    base_docs = np.array([[1.0, 0.0], [0.8, 0.6], [0.6, 0.8], [0.0, 1.0]])
    # Candidate: doc 1 drops to 0.28, doc 2 rises to 0.96.
    cand_docs = np.array([[1.0, 0.0], [0.28, 0.96], [0.96, 0.28], [0.0, 1.0]])
    return queries, base_docs, cand_docs


def _worked_exclusions():
    """The fixture at cutoff 0.7, with doc 1 judged grade 2 and doc 3 grade 1."""
    queries, base_docs, cand_docs = _exclusion_fixture()
    return threshold_exclusions(
        (queries, base_docs),
        (queries, cand_docs),
        cutoff=0.7,
        query_ids=["q"],
        query_domains=["a"],
        doc_ids=["d0", "d1", "d2", "d3"],
        doc_domains=["x"] * 4,
        qrels_positions={0: {1: 2, 3: 1}},
    )


def test_exclusion_counts_by_hand():
    result = _worked_exclusions()
    # Baseline admits docs 0 (1.0) and 1 (0.8); candidate at 0.7 admits 0 and 2.
    frame = result.to_frame().set_index("doc_id")
    assert frame.loc["d1", "excluded_same_cutoff"] and not frame.loc["d0", "excluded_same_cutoff"]
    assert int(result.excluded_same.sum()) == 1
    # Calibrated: the candidate must admit 2 pairs -> its 2nd best score, 0.96.
    assert result.calibrated_cutoff == pytest.approx(0.96, abs=1e-6)
    assert int(result.excluded_calibrated.sum()) == 1
    summary = result.by_domain(["x"])["x"]
    assert summary.excluded_share_same_cutoff == pytest.approx(0.5)
    assert summary.relevant_excluded_same_cutoff == 1  # doc 1 was judged grade 2
    # Judged relevant and admitted by the baseline: doc 1 only (doc 3 scores 0.0).
    assert summary.relevant_admitted_baseline == 1
    assert summary.relevant_excluded_share_same_cutoff == pytest.approx(1.0)
    assert summary.relevant_excluded_share_calibrated == pytest.approx(1.0)
    # The documents table counts each document's exclusions.
    assert result.document_columns()["excluded_pairs_same_cutoff"].tolist() == [0, 1, 0, 0]


def test_recall_horizon_curve_by_hand():
    result = _worked_exclusions()
    frame = result.curve.to_frame()
    at = frame[(frame["domain"] == "a") & np.isclose(frame["cutoff"], 0.5)].set_index("model")
    assert at.loc["baseline", "mean_admitted"] == 3  # 1.0, 0.8, 0.6
    assert at.loc["candidate", "mean_admitted"] == 2  # 1.0, 0.96
    assert at.loc["baseline", "recall"] == pytest.approx(0.5)  # doc 1 of docs {1, 3}
    assert at.loc["candidate", "recall"] == pytest.approx(0.0)


def test_identical_models_exclude_nothing_at_either_cutoff():
    rng = np.random.default_rng(3)
    queries, docs = rng.normal(size=(40, 8)), rng.normal(size=(300, 8))
    result = threshold_exclusions(
        (queries, docs),
        (queries, docs.copy()),
        cutoff=0.3,
        **_ids(40, 300),
        qrels_positions={},
    )
    assert result.excluded_same.sum() == 0 and result.excluded_calibrated.sum() == 0
    assert result.admitted_baseline.sum() == result.admitted_candidate_calibrated.sum()


def test_calibrated_cutoff_admits_as_many_pairs_as_the_baseline():
    rng = np.random.default_rng(4)
    queries, docs = rng.normal(size=(30, 8)), rng.normal(size=(200, 8))
    squeezed = docs * 0.3 + np.ones(8)  # every score rises: same cutoff admits far more
    result = threshold_exclusions(
        (queries, docs),
        (queries, squeezed),
        cutoff=0.4,
        **_ids(30, 200),
        qrels_positions={},
    )
    assert result.admitted_candidate_calibrated.sum() == result.admitted_baseline.sum()


def test_default_cutoff_is_median_kth_score():
    scores = np.array([[0.9, 0.5], [0.8, 0.3], [0.7, 0.1]], dtype=np.float32)
    ranking = Ranking(np.zeros((3, 2), np.int64), scores)
    # less a float32 rounding's slack, so the pair that sets the cutoff always reaches it
    assert default_cutoff(ranking, 2) == pytest.approx(np.float32(0.3) - ROUNDING_SLACK, abs=1e-12)


def test_reachability_counts_and_lost_documents():
    base = Ranking(np.array([[0, 1], [0, 2]]), np.zeros((2, 2), np.float32))
    cand = Ranking(np.array([[0, 3], [0, 3]]), np.zeros((2, 2), np.float32))
    result = reachability(base, cand, k=2, doc_domains=["a", "a", "b", "b"])
    assert result.baseline.tolist() == [2, 1, 1, 0]
    assert result.candidate.tolist() == [2, 0, 0, 2]
    summary = result.by_domain(["a", "b"])
    assert (summary["a"].unreachable_baseline, summary["a"].unreachable_candidate) == (0, 1)
    assert summary["a"].lost == 1 and summary["b"].gained == 1


def test_recutting_with_previous_histograms_equals_a_fresh_run():
    rng = np.random.default_rng(5)
    queries, docs = rng.normal(size=(20, 6)), rng.normal(size=(150, 6))
    other = docs + 0.4 * rng.normal(size=docs.shape)
    args = dict(_ids(20, 150), qrels_positions={0: {3: 1}})
    args["query_domains"] = ["a"] * 10 + ["b"] * 10
    first = threshold_exclusions((queries, docs), (queries, other), cutoff=0.5, **args)
    fresh = threshold_exclusions((queries, docs), (queries, other), cutoff=0.3, **args)
    reused = threshold_exclusions(
        (queries, docs), (queries, other), cutoff=0.3, previous=first, **args
    )
    assert reused.calibrated_cutoff == fresh.calibrated_cutoff
    assert np.array_equal(reused.excluded_same, fresh.excluded_same)
    assert np.array_equal(reused.excluded_calibrated, fresh.excluded_calibrated)


@pytest.mark.parametrize("cutoff", [0.2, 0.6, 0.9])
def test_small_tiles_skipping_empty_rows_collect_every_pair_a_full_scan_does(cutoff, monkeypatch):
    """Tiles of 3 queries x 7 documents, most of them skipped by their row maxima, must give
    exactly the pairs, histograms and cutoffs of one whole tile."""
    rng = np.random.default_rng(11)
    queries, docs = rng.normal(size=(40, 6)), rng.normal(size=(230, 6))
    other = docs + 0.5 * rng.normal(size=docs.shape)
    args = dict(_ids(40, 230), qrels_positions={0: {3: 1}, 5: {7: 2}})
    args["query_domains"] = ["a"] * 25 + ["b"] * 15
    exclude = rng.integers(-1, 230, 40)
    whole = threshold_exclusions(
        (queries, docs), (queries, other), cutoff=cutoff, exclude=exclude, **args
    )
    monkeypatch.setattr(score_tiles, "TILE_QUERIES", 3)
    tiled = threshold_exclusions(
        (queries, docs),
        (queries, other),
        cutoff=cutoff,
        exclude=exclude,
        tile_elements=21,
        **args,
    )
    # the same pairs; a score may differ by an ulp between tile shapes (BLAS kernels)
    assert tiled.calibrated_cutoff == pytest.approx(whole.calibrated_cutoff, abs=1e-6)
    assert np.array_equal(tiled.query, whole.query) and np.array_equal(tiled.doc, whole.doc)
    for name in ("score_baseline", "score_candidate"):
        np.testing.assert_allclose(getattr(tiled, name), getattr(whole, name), atol=1e-6)
    assert np.array_equal(tiled.excluded_same, whole.excluded_same)
    assert (
        tiled.admitted_baseline
        | tiled.admitted_candidate_same
        | tiled.admitted_candidate_calibrated
    ).all()  # nobody's pairs are dropped
    for a, b in zip(tiled.histograms, whole.histograms, strict=True):
        assert np.abs(a - b).sum() <= 2  # at most an ulp across a bin edge


def test_numpy_passes_match_the_compiled_ones_score_for_score():
    """The NumPy twins a small comparison uses: the same bins, row maxima and kept pairs as
    the compiled passes, with excluded pairs (-inf), scores at +-1 and a hair past them."""
    from analysis.shards import score_kernels

    rng = np.random.default_rng(5)
    for _ in range(25):
        rows, cols = int(rng.integers(1, 50)), int(rng.integers(0, 250))
        base, cand = (rng.uniform(-1.0002, 1.0002, (rows, cols)).astype(np.float32) for _ in "bc")
        for scores in (base, cand):
            scores[rng.random((rows, cols)) < 0.05] = -np.inf
            scores[rng.random((rows, cols)) < 0.02] = 1.0
            scores[rng.random((rows, cols)) < 0.02] = -1.0
        counts, best = score_kernels.row_histograms(base, threshold_passes.N_BINS)
        twin_counts, twin_best = score_tiles.row_histograms_numpy(base, threshold_passes.N_BINS)
        assert np.array_equal(counts, twin_counts) and np.array_equal(best, twin_best)
        for cutoff in (-0.5, 0.3, 0.95):
            floor_bin = int(rng.integers(0, threshold_passes.N_BINS))
            compiled = score_kernels.kept_pairs(
                base, cand, np.float32(cutoff), floor_bin, threshold_passes.N_BINS
            )
            twin = score_tiles.kept_pairs_numpy(
                base, cand, np.float32(cutoff), floor_bin, threshold_passes.N_BINS
            )
            assert all(np.array_equal(a, b) for a, b in zip(compiled, twin, strict=True))


def test_a_small_comparison_cuts_the_same_with_numpy_as_compiled(monkeypatch):
    rng = np.random.default_rng(8)
    queries, docs = rng.normal(size=(30, 6)), rng.normal(size=(120, 6))
    other = docs + 0.5 * rng.normal(size=docs.shape)
    args = dict(_ids(30, 120), qrels_positions={0: {3: 1}})
    small = threshold_exclusions((queries, docs), (queries, other), cutoff=0.4, **args)
    monkeypatch.setattr(score_tiles, "NUMPY_MAX_SCORES", 0)  # every size goes to numba
    compiled = threshold_exclusions((queries, docs), (queries, other), cutoff=0.4, **args)
    assert small.calibrated_cutoff == compiled.calibrated_cutoff
    for name in ("query", "doc", "score_baseline", "score_candidate", "excluded_same"):
        assert np.array_equal(getattr(small, name), getattr(compiled, name))
    for a, b in zip(small.histograms, compiled.histograms, strict=True):
        assert np.array_equal(a, b)


def _cut_inputs(seed: int) -> tuple[tuple, tuple, dict]:
    rng = np.random.default_rng(seed)
    queries, docs = rng.normal(size=(35, 6)), rng.normal(size=(160, 6))
    other = docs + 0.6 * rng.normal(size=docs.shape)
    args = dict(_ids(35, 160), qrels_positions={0: {3: 1}, 4: {9: 2}, 7: {11: 1}})
    args["query_domains"] = ["a"] * 20 + ["b"] * 15
    args["exclude"] = rng.integers(-1, 160, 35)
    return (queries, docs), (queries, other), args


def test_narrowing_held_pairs_gives_the_cut_a_fresh_pass_gives_at_every_higher_cutoff():
    """The slider's re-cut without scores: from pairs held at 0.1, every cutoff above it
    (pairs, scores, grades, calibrated cutoff, exclusions) as a full pass computes it."""
    baseline, candidate, args = _cut_inputs(21)
    held = threshold_exclusions(baseline, candidate, cutoff=0.1, **args)
    for cutoff in (0.1, 0.13, 0.2, 0.35, 0.5, 0.8, 0.99):
        fresh = threshold_exclusions(baseline, candidate, cutoff=cutoff, **args)
        cut = threshold_recut.narrowed(held, cutoff)
        assert cut.calibrated_cutoff == fresh.calibrated_cutoff
        for name in ("query", "doc", "score_baseline", "score_candidate", "grade"):
            assert np.array_equal(getattr(cut, name), getattr(fresh, name)), (cutoff, name)
        assert cut.by_domain(["a", "b"]) == fresh.by_domain(["a", "b"])
    with pytest.raises(ValueError, match="below the held pairs"):
        threshold_recut.narrowed(held, 0.05)


def test_held_pairs_floor_goes_as_low_as_the_budget_allows():
    baseline, candidate, args = _cut_inputs(22)
    own = threshold_exclusions(baseline, candidate, cutoff=0.6, **args)
    assert threshold_recut.held_pairs_floor(own, 0.6, lowest=0.35, budget=0) == 0.6
    assert threshold_recut.held_pairs_floor(own, 0.6, lowest=0.35, budget=10**9) == pytest.approx(
        0.35
    )
    for budget in (50, 300, 1000):
        floor = threshold_recut.held_pairs_floor(own, 0.6, lowest=-1.0, budget=budget)
        held = threshold_exclusions(baseline, candidate, cutoff=floor, **args)
        assert floor == 0.6 or len(held.doc) <= budget  # the histograms' bound holds
    floors = [
        threshold_recut.held_pairs_floor(own, 0.6, lowest=-1.0, budget=b) for b in (50, 300, 1000)
    ]
    assert floors == sorted(floors, reverse=True) and floors[-1] < 0.6  # more room, lower
