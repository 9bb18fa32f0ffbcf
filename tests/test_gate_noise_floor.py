"""The default policy's noise floor: a candidate that differs from the baseline by a tiny
perturbation passes it in every domain, and one that damages a domain fails there, on
generated corpora whose domains hold from tens to thousands of documents."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from analysis.bundle.files import make_bundle
from analysis.compare import compare
from analysis.inputs.corpus import Corpus
from analysis.settings import CompareConfig
from analysis.verdict.gate import evaluate, load_policy
from tests.synthetic import embeddings, judged_corpus

TINY = 0.05  # noise norm, as a share of the vector's norm
DAMAGE = 1.0
CONFIG = CompareConfig(k=10, permutation_resamples=99, bootstrap_resamples=200)


def generated(
    sizes: dict[str, tuple[int, int]], *, dim: int = 32, seed: int = 0
) -> tuple[Corpus, np.ndarray, np.ndarray]:
    """Domains of (documents, queries): documents around a few topics of their domain, each
    query near one document and judging its three closest documents."""
    rng = np.random.default_rng(seed)
    docs, doc_domains, queries, query_domains = [], [], [], []
    for name, (n_docs, n_queries) in sizes.items():
        centre = rng.normal(size=dim) * 2.0
        topics = centre + rng.normal(size=(max(2, n_docs // 40), dim))
        members = topics[rng.integers(0, len(topics), n_docs)] + rng.normal(size=(n_docs, dim))
        anchors = rng.choice(n_docs, n_queries, replace=n_queries > n_docs)
        docs.append(members)
        queries.append(members[anchors] + 0.3 * rng.normal(size=(n_queries, dim)))
        doc_domains += [name] * n_docs
        query_domains += [name] * n_queries
    doc_vectors, query_vectors = np.vstack(docs), np.vstack(queries)
    corpus = judged_corpus(doc_vectors, doc_domains, query_vectors, query_domains, "generated")
    return corpus, doc_vectors.astype(np.float32), query_vectors.astype(np.float32)


def perturbed(docs: np.ndarray, rows: np.ndarray, scale: float, seed: int) -> np.ndarray:
    """``docs`` with Gaussian noise on ``rows`` whose norm is ``scale`` of each vector's."""
    noise = np.random.default_rng(seed + 1).normal(size=docs.shape)
    noise *= (np.linalg.norm(docs, axis=1) / np.sqrt(docs.shape[1]) * scale)[:, None]
    out = docs.copy()
    out[rows] += noise[rows].astype(np.float32)
    return out


def verdicts(corpus: Corpus, docs: np.ndarray, queries: np.ndarray, candidate: np.ndarray):
    comparison = compare(
        corpus, embeddings("base", docs, queries), embeddings("cand", candidate, queries), CONFIG
    )
    result = evaluate(make_bundle(comparison, corpus_source="generated").summary, load_policy())
    return {v.domain: v for v in result.by_domain()}


SIZES = st.fixed_dictionaries(
    {
        "small": st.tuples(st.integers(30, 90), st.integers(10, 30)),
        "medium": st.tuples(st.integers(300, 900), st.integers(20, 120)),
        "large": st.tuples(st.integers(2000, 4000), st.integers(30, 300)),
    }
)


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sizes=SIZES, seed=st.integers(0, 10_000))
@example(sizes={"small": (40, 20), "medium": (500, 60), "large": (3000, 200)}, seed=0)
@example(sizes={"small": (80, 20), "medium": (800, 30), "large": (2500, 40)}, seed=1)
@example(sizes={"small": (30, 10), "medium": (300, 100), "large": (4000, 300)}, seed=2)
def test_a_tiny_perturbation_passes_and_damage_fails_where_it_was_done(sizes, seed):
    corpus, docs, queries = generated(sizes, seed=seed)
    domains = np.asarray(corpus.doc_domains)
    tiny = verdicts(corpus, docs, queries, perturbed(docs, domains == domains, TINY, seed))
    breached = {name: v.deciding.detail for name, v in tiny.items() if not v.passed}
    assert breached == {}, f"a {TINY:.0%} perturbation failed the default policy"
    for damaged in ("small", "large"):
        hurt = perturbed(docs, domains == damaged, DAMAGE, seed)
        judged = verdicts(corpus, docs, queries, hurt)
        assert not judged[damaged].passed, f"damage to {damaged} passed"


@pytest.mark.parametrize(("n_docs", "n_queries"), [(40, 2), (400, 20), (4000, 200)])
def test_the_net_loss_of_reach_does_not_count_churn(n_docs, n_queries):
    """Noise at the margin swaps documents in and out of top-k: the net loss stays near 0
    and its interval holds 0, whatever the domain's size."""
    corpus, docs, queries = generated({"only": (n_docs, n_queries)}, seed=n_docs)
    comparison = compare(
        corpus,
        embeddings("base", docs, queries),
        embeddings("cand", perturbed(docs, np.ones(len(docs), bool), 0.1, 0), queries),
        CONFIG,
    )
    summary = make_bundle(comparison, corpus_source="generated").summary.raw
    net = summary["domains"]["only"]["net_lost_reach"]
    assert net["lost"] + net["gained"] > 0  # something churned
    assert net["ci_low"] <= 0 <= net["ci_high"]
