"""compare(): the invariances the diagnostics must respect, corner cases and the summary."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from analysis.bundle.summary import build_summary
from analysis.compare import compare
from analysis.inputs.corpus import Corpus
from analysis.metrics.overlap import OVERLAP
from analysis.metrics.projection import PROJECTION
from analysis.metrics.quality import QUALITY
from analysis.metrics.thresholds import THRESHOLDS
from analysis.settings import CompareConfig
from tests.synthetic import DOMAINS, embeddings, synthetic

FAST = CompareConfig(k=5, permutation_resamples=999, bootstrap_resamples=200)


@pytest.fixture(scope="module")
def data():
    return synthetic()


def _summary(corpus, base, cand, config=FAST):
    result = compare(corpus, base, cand, config)
    return result, build_summary(result, corpus_source="synthetic")


def test_identical_models_agree_everywhere(data):
    corpus, docs, queries = data
    side = embeddings("m", docs, queries)
    _, summary = _summary(corpus, side, embeddings("m2", docs.copy(), queries.copy()))
    for section in [summary["overall"], *summary["domains"].values()]:
        assert section["overlap_jaccard"] == 1.0 and section["rbo"] == 1.0
        assert section["neighbourhood_jaccard"] == 1.0
        assert section["excluded_share_same_cutoff"] == 0.0
        assert section["excluded_share_calibrated"] == 0.0
        assert section["changed_queries"] == 0
        assert section["unreachable_docs"]["baseline"] == section["unreachable_docs"]["candidate"]
        quality = section["quality"]
        assert all(v == 0.0 for v in quality["delta"].values())
        assert all(v == 1.0 for v in quality["p_value"].values())


def test_orthogonal_rotation_changes_no_neighbour_and_no_score(data):
    corpus, docs, queries = data
    rotation, _ = np.linalg.qr(np.random.default_rng(9).normal(size=(docs.shape[1],) * 2))
    base = embeddings("m", docs, queries)
    rotated = embeddings("rot", docs @ rotation, queries @ rotation)
    result, summary = _summary(corpus, base, rotated)
    assert np.array_equal(result.baseline_ranking.indices, result.candidate_ranking.indices)
    np.testing.assert_allclose(
        result.baseline_ranking.scores, result.candidate_ranking.scores, atol=1e-5
    )
    assert summary["overall"]["neighbourhood_jaccard"] == 1.0
    assert summary["overall"]["overlap_jaccard"] == 1.0
    geometry = summary["overall"]["geometry"]["ratio"]
    assert geometry == pytest.approx({k: 1.0 for k in geometry}, abs=1e-4)


def test_noise_on_one_domain_moves_only_that_domain(data):
    corpus, docs, queries = data
    noisy = docs.copy()
    legal = np.array(corpus.doc_domains) == "legal"
    noisy[legal] += np.random.default_rng(2).normal(size=noisy[legal].shape) * 1.5
    _, summary = _summary(corpus, embeddings("m", docs, queries), embeddings("n", noisy, queries))
    domains = summary["domains"]
    assert domains["legal"]["neighbourhood_jaccard"] < 0.6
    assert domains["legal"]["overlap_jaccard"] < 0.8
    for other in set(DOMAINS) - {"legal"}:
        assert domains[other]["neighbourhood_jaccard"] > 0.95
        assert domains[other]["overlap_jaccard"] > 0.95
    assert domains["legal"]["changed_queries"] > domains["clinical"]["changed_queries"]


def test_summary_has_every_documented_key(data):
    corpus, docs, queries = data
    _, summary = _summary(
        corpus, embeddings("m", docs, queries), embeddings("n", docs + 0.5, queries)
    )
    required = {
        "n_docs",
        "n_queries",
        "overlap_jaccard",
        "rbo",
        "neighbourhood_jaccard",
        "excluded_share_same_cutoff",
        "excluded_share_calibrated",
        "relevant_excluded_same_cutoff",
        "relevant_excluded_share_same_cutoff",
        "unreachable_docs",
        "geometry",
        "changed_queries",
        "quality",
    }
    for section in [summary["overall"], *summary["domains"].values()]:
        assert required <= set(section)
        assert set(section["geometry"]) == {"baseline", "candidate", "ratio"}
        assert {"mean_cosine_to_centroid", "mean_pairwise_cosine", "effective_rank"} == set(
            section["geometry"]["baseline"]
        )
        assert set(section["quality"]["baseline"]) == {"ndcg@10", "recall@5", "mrr@10"}
        assert set(section["quality"]["p_value"]) == {"ndcg@10", "recall@5", "mrr@10"}


def test_k_at_least_the_number_of_documents(data):
    corpus, docs, queries = data
    small = Corpus(
        "s",
        corpus.doc_ids[:4],
        corpus.doc_texts[:4],
        corpus.doc_domains[:4],
        corpus.query_ids[:2],
        corpus.query_texts[:2],
        corpus.query_domains[:2],
    )
    side = embeddings("m", docs[:4], queries[:2])
    result = compare(small, side, side, CompareConfig(k=50, neighbours=1, permutation_resamples=99))
    assert result.baseline_ranking.k == 4
    assert result.result(OVERLAP).jaccard.tolist() == [1.0, 1.0]
    assert result.result(QUALITY) is None  # no judgments: relevance is off, not zero


def test_zero_vectors_and_an_empty_query_domain():
    corpus = Corpus(
        "z",
        ("a", "b", "c"),
        ("x",) * 3,
        ("d1", "d1", "d2"),
        ("q1", "q2"),
        ("y",) * 2,
        ("d1", "queries-only"),
        {"q1": {"a": 1}, "q2": {}},
    )
    docs = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]], np.float32)  # b is all zeros
    queries = np.array([[1.0, 0.0], [0.0, 0.0]], np.float32)  # q2 is all zeros
    side = embeddings("m", docs, queries)
    result = compare(corpus, side, side, CompareConfig(k=2, neighbours=1, permutation_resamples=99))
    summary = build_summary(result, corpus_source="z")
    assert summary["domains"]["queries-only"]["n_docs"] == 0
    assert "geometry" not in summary["domains"]["queries-only"]  # no documents to measure
    assert summary["domains"]["d2"]["n_queries"] == 0
    assert result.baseline_ranking.indices[1, :2].tolist() == [0, 1]  # zero query: corpus order
    assert summary["overall"]["quality"]["n_judged_queries"] == 1  # q2 has no judgments


def test_projection_is_seeded_and_aligned(data):
    corpus, docs, queries = data
    config = CompareConfig(k=5, projection=True, permutation_resamples=99)
    base = embeddings("m", docs, queries)
    first = compare(corpus, base, base, config).result(PROJECTION)
    again = compare(corpus, base, base, config).result(PROJECTION)
    assert first.method == "umap"
    np.testing.assert_allclose(first.baseline, again.baseline)
    # Same space on both sides: after alignment, documents barely move.
    spread = np.ptp(first.baseline, axis=0).max()
    assert np.median(np.linalg.norm(first.candidate - first.baseline, axis=1)) < 0.1 * spread


def test_models_may_have_different_dimensions(data):
    corpus, docs, queries = data
    projection = np.random.default_rng(4).normal(size=(docs.shape[1], 7))
    wide = embeddings("wide", docs, queries)
    narrow = embeddings("narrow", docs @ projection, queries @ projection)
    result = compare(corpus, wide, narrow, FAST)
    assert (result.baseline.dimension, result.candidate.dimension) == (24, 7)
    assert 0 <= result.result(OVERLAP).jaccard.mean() <= 1


def test_a_corpus_without_queries_still_gets_document_side_diagnostics(data):
    corpus, docs, _ = data
    documents_only = Corpus("d", corpus.doc_ids, corpus.doc_texts, corpus.doc_domains)
    empty = np.zeros((0, docs.shape[1]), np.float32)
    noisy = docs + np.random.default_rng(1).normal(size=docs.shape).astype(np.float32)
    result = compare(
        documents_only, embeddings("a", docs, empty), embeddings("b", noisy, empty), FAST
    )
    summary = build_summary(result, corpus_source="d")
    assert result.result(THRESHOLDS) is None and result.result(QUALITY) is None
    assert summary["overall"]["n_queries"] == 0 and summary["overall"]["changed_queries"] == 0
    assert summary["overall"]["neighbourhood_jaccard"] < 1.0
    assert "geometry" in summary["domains"]["legal"]


def test_how_drift_searched_is_in_the_manifest_and_beside_the_drift_numbers():
    from analysis.bundle.files import make_bundle
    from reporting.sections import drift, overview
    from reporting.sections.base import Context
    from reporting.text import comparison_text

    corpus, docs, queries = synthetic(n_docs_per_domain=400, n_queries_per_domain=5)
    base = embeddings("base", docs, queries)
    cand = embeddings(
        "cand", docs + 0.2 * np.random.default_rng(3).normal(size=docs.shape), queries
    )
    config = CompareConfig(k=5, permutation_resamples=99, bootstrap_resamples=50)
    for limit, method in ((10**6, "exact"), (100, "approximate")):
        result = compare(corpus, base, cand, replace(config, drift_exact_max_docs=limit))
        entry = build_summary(result, corpus_source="s")["manifest"]["config"]["drift_search"]
        assert entry["method"] == method
        if method == "approximate":
            assert entry["audit_docs"] == 1000 and entry["within_tolerance"] is True
            assert max(entry["jaccard_difference"].values()) <= 0.01
            bundle = make_bundle(result, corpus_source="s")
            texts = [b.text for b in drift.blocks(bundle, Context()) if hasattr(b, "text")]
            assert any("approximate search (faiss IVF" in t for t in texts)
            card = [b.text for b in overview.blocks(bundle, Context()) if hasattr(b, "text")]
            assert any("audited against exact search on 1,000" in t for t in card)
            printed = comparison_text(bundle)  # what compare prints
            assert "Neighbours by approximate search (faiss IVF" in printed


def test_the_inference_switch_keys_a_comparison_only_when_it_is_off():
    """Comparisons keep the fingerprints they had before the switch existed; one without
    significance tests and intervals (the training guard's) is keyed apart."""
    from analysis.compare import comparison_key
    from analysis.inputs.corpus import load_corpus
    from analysis.inputs.embed import CorpusEmbeddings
    from analysis.tuning.demo import SAMPLE_CORPUS

    corpus = load_corpus(SAMPLE_CORPUS)
    side = CorpusEmbeddings("x", "x", np.zeros((1, 2)), np.zeros((1, 2)), 0, 0)
    default = comparison_key(corpus, side, side, CompareConfig())
    assert "inference" not in default
    assert default != comparison_key(corpus, side, side, replace(CompareConfig(), inference=False))
