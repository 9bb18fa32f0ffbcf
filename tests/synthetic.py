"""A seeded synthetic multi-domain corpus with vectors, for invariance tests of compare()."""

from __future__ import annotations

import numpy as np

from analysis.inputs.corpus import Corpus
from analysis.inputs.embed import CorpusEmbeddings

DOMAINS = ("clinical", "finance", "legal")


def synthetic(
    n_docs_per_domain: int = 60, n_queries_per_domain: int = 15, dim: int = 24, seed: int = 0
) -> tuple[Corpus, np.ndarray, np.ndarray]:
    """Clustered documents, queries near some of them, each query judging its 3 closest."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(DOMAINS), dim)) * 2.0
    docs, doc_domains, queries, query_domains = [], [], [], []
    for d, name in enumerate(DOMAINS):
        docs.append(centres[d] + rng.normal(size=(n_docs_per_domain, dim)))
        doc_domains += [name] * n_docs_per_domain
        anchors = rng.choice(n_docs_per_domain, n_queries_per_domain, replace=False)
        queries.append(docs[-1][anchors] + 0.3 * rng.normal(size=(n_queries_per_domain, dim)))
        query_domains += [name] * n_queries_per_domain
    doc_vectors, query_vectors = np.vstack(docs), np.vstack(queries)
    corpus = judged_corpus(doc_vectors, doc_domains, query_vectors, query_domains, "synthetic")
    return corpus, doc_vectors.astype(np.float32), query_vectors.astype(np.float32)


def judged_corpus(
    doc_vectors: np.ndarray,
    doc_domains: list[str],
    query_vectors: np.ndarray,
    query_domains: list[str],
    name: str,
) -> Corpus:
    """A corpus of the given vectors' documents and queries, each query judging its three
    closest documents (grades 2, 1, 1)."""
    doc_ids = tuple(f"d{i}" for i in range(len(doc_vectors)))
    query_ids = tuple(f"q{i}" for i in range(len(query_vectors)))
    unit_d = doc_vectors / np.linalg.norm(doc_vectors, axis=1, keepdims=True)
    unit_q = query_vectors / np.linalg.norm(query_vectors, axis=1, keepdims=True)
    qrels = {}
    for q, row in enumerate(unit_q @ unit_d.T):
        best = np.argsort(-row)[:3]
        qrels[query_ids[q]] = {doc_ids[best[0]]: 2, doc_ids[best[1]]: 1, doc_ids[best[2]]: 1}
    return Corpus(
        name,
        doc_ids,
        tuple(f"text {i}" for i in doc_ids),
        tuple(doc_domains),
        query_ids,
        tuple(f"text {q}" for q in query_ids),
        tuple(query_domains),
        qrels,
    )


def embeddings(spec: str, docs: np.ndarray, queries: np.ndarray) -> CorpusEmbeddings:
    return CorpusEmbeddings(
        spec, f"fp-{spec}", docs.astype(np.float32), queries.astype(np.float32), encoded=0, cached=0
    )
