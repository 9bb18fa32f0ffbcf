"""Property-based tests (Hypothesis) of what the metrics promise, on generated corpora.

* identical models: overlap 1, every neighbourhood kept, nothing excluded, no change;
* an orthogonal rotation, or a positive rescaling of each vector, of either space: every
  number the same (cosine similarity cannot see either);
* the corpus in another order (documents and queries, ids kept): the same numbers per domain.

The vectors are drawn by a seeded generator, so Hypothesis explores sizes, dimensions,
domain counts and seeds, and shrinks a failure to the smallest corpus that shows it.
Bootstrap intervals and randomisation p-values are left out of the comparisons: they are
Monte Carlo estimates seeded per run, not invariants.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.bundle.summary import build_summary
from analysis.compare import compare
from analysis.inputs.corpus import Corpus
from analysis.inputs.embed import CorpusEmbeddings
from analysis.settings import CompareConfig

# resampled: their values depend on the order the resamples meet the items
MONTE_CARLO = {"overlap_ci", "p_value", "p_value_bh", "ci_low", "ci_high"}


@dataclass(frozen=True)
class World:
    corpus: Corpus
    base: tuple[np.ndarray, np.ndarray]  # (documents, queries)
    cand: tuple[np.ndarray, np.ndarray]
    config: CompareConfig


@st.composite
def worlds(draw: st.DrawFn) -> World:
    n_domains = draw(st.integers(1, 3))
    n_docs = draw(st.integers(6, 30))
    n_queries = draw(st.integers(2, 8))
    dim = draw(st.integers(3, 10))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    doc_domains = tuple(f"d{rng.integers(n_domains)}" for _ in range(n_docs))
    query_domains = tuple(f"d{rng.integers(n_domains)}" for _ in range(n_queries))
    doc_ids = tuple(f"doc{i}" for i in range(n_docs))
    query_ids = tuple(f"q{i}" for i in range(n_queries))
    qrels = {
        q: {doc_ids[d]: int(rng.integers(1, 3)) for d in rng.choice(n_docs, 2, replace=False)}
        for q in query_ids
    }
    corpus = Corpus(
        "generated",
        doc_ids,
        tuple("" for _ in doc_ids),
        doc_domains,
        query_ids,
        tuple("" for _ in query_ids),
        query_domains,
        qrels,
    )
    spaces = [(rng.normal(size=(n_docs, dim)), rng.normal(size=(n_queries, dim))) for _ in range(2)]
    config = CompareConfig(
        k=min(3, n_docs),
        neighbours=min(3, n_docs - 2),
        bootstrap_resamples=20,
        permutation_resamples=20,
    )
    return World(corpus, spaces[0], spaces[1], config)


def _side(name: str, docs: np.ndarray, queries: np.ndarray) -> CorpusEmbeddings:
    return CorpusEmbeddings(
        name, f"fp-{name}", docs.astype(np.float32), queries.astype(np.float32), 0, 0
    )


def _summary(corpus: Corpus, base: tuple, cand: tuple, config: CompareConfig) -> dict[str, Any]:
    comparison = compare(corpus, _side("b", *base), _side("c", *cand), config)
    return build_summary(comparison, corpus_source="generated")


def _numbers(summary: dict[str, Any]) -> dict[str, float]:
    """Every deterministic number of the domain sections and the cutoffs, flattened."""
    flat: dict[str, float] = {}

    def walk(value: Any, path: str) -> Iterator[None]:
        if isinstance(value, dict):
            for key, item in value.items():
                if key not in MONTE_CARLO:
                    yield from walk(item, f"{path}.{key}")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            flat[path] = float(value)
        yield None

    for name, section in [("(all)", summary["overall"]), *summary["domains"].items()]:
        list(walk(section, name))
    list(walk(summary.get("thresholds", {}), "thresholds"))
    return flat


def _assert_same(left: dict[str, Any], right: dict[str, Any]) -> None:
    a, b = _numbers(left), _numbers(right)
    assert a.keys() == b.keys()
    for key in a:
        assert a[key] == pytest.approx(b[key], rel=1e-4, abs=1e-4), key


PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(worlds())
def test_identical_models_agree_everywhere(world: World) -> None:
    summary = _summary(world.corpus, world.base, world.base, world.config)
    for section in [summary["overall"], *summary["domains"].values()]:
        if section["n_queries"]:
            assert section["overlap_jaccard"] == 1.0 and section["rbo"] == pytest.approx(1.0)
            assert section["excluded_same_cutoff"] == 0 and section["changed_queries"] == 0
        if section["n_docs"]:
            assert section["neighbourhood_jaccard"] == 1.0
            assert section["lost_reach_docs"] == 0


def _rotation(dim: int, seed: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(dim, dim)))
    return q * np.sign(np.diag(r))


@PROPERTY
@given(worlds(), st.integers(0, 1000), st.booleans())
def test_rotating_either_space_changes_nothing(world: World, seed: int, candidate: bool) -> None:
    rotation = _rotation(world.base[0].shape[1], seed)
    turned = tuple(part @ rotation for part in (world.cand if candidate else world.base))
    base, cand = (world.base, turned) if candidate else (turned, world.cand)
    _assert_same(
        _summary(world.corpus, world.base, world.cand, world.config),
        _summary(world.corpus, base, cand, world.config),
    )


@PROPERTY
@given(worlds(), st.integers(0, 1000))
def test_rescaling_each_vector_changes_nothing(world: World, seed: int) -> None:
    rng = np.random.default_rng(seed)
    scaled = tuple(part * rng.uniform(0.01, 100.0, size=(len(part), 1)) for part in world.cand)
    _assert_same(
        _summary(world.corpus, world.base, world.cand, world.config),
        _summary(world.corpus, world.base, scaled, world.config),
    )


@PROPERTY
@given(worlds(), st.integers(0, 1000))
def test_corpus_order_changes_no_domain_number(world: World, seed: int) -> None:
    rng = np.random.default_rng(seed)
    corpus = world.corpus
    docs, queries = rng.permutation(corpus.n_docs), rng.permutation(corpus.n_queries)
    shuffled = Corpus(
        corpus.name,
        tuple(corpus.doc_ids[i] for i in docs),
        tuple(corpus.doc_texts[i] for i in docs),
        tuple(corpus.doc_domains[i] for i in docs),
        tuple(corpus.query_ids[i] for i in queries),
        tuple(corpus.query_texts[i] for i in queries),
        tuple(corpus.query_domains[i] for i in queries),
        corpus.qrels,
    )

    def reorder(space: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        return space[0][docs], space[1][queries]

    _assert_same(
        _summary(corpus, world.base, world.cand, world.config),
        _summary(shuffled, reorder(world.base), reorder(world.cand), world.config),
    )
