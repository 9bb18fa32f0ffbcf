"""compare(corpus, baseline, candidate, config) -> Comparison: the one entry point.

The command line and the dashboard both call this; they only differ in how they show it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.cache import EmbeddingCache
from analysis.corpus import Corpus
from analysis.embed import CorpusEmbeddings, embed_corpus
from analysis.models import EmbeddingSource
from analysis.progress import Progress
from analysis.retrieval import Ranking, top_k_cosine


@dataclass(frozen=True)
class CompareConfig:
    """What the user chose; everything that changes a result lives here.

    ``exclude_identical_ids``: BEIR's rule that a document whose id equals the query's id
    is never returned for that query (ArguAna-style corpora hold queries as documents).
    """

    k: int = 10
    exclude_identical_ids: bool = True

    def __post_init__(self) -> None:
        if self.k < 1:
            raise ValueError(f"k must be at least 1, got {self.k}")


@dataclass(frozen=True)
class Comparison:
    corpus: Corpus
    config: CompareConfig
    baseline: CorpusEmbeddings
    candidate: CorpusEmbeddings
    baseline_ranking: Ranking
    candidate_ranking: Ranking


def embed_pair(
    corpus: Corpus,
    baseline: EmbeddingSource,
    candidate: EmbeddingSource,
    *,
    cache: EmbeddingCache,
    progress: Progress | None = None,
) -> tuple[CorpusEmbeddings, CorpusEmbeddings]:
    """Both models' vectors for the corpus (each through the cache)."""
    return (
        embed_corpus(corpus, baseline, cache=cache, label="baseline", progress=progress),
        embed_corpus(corpus, candidate, cache=cache, label="candidate", progress=progress),
    )


def compare(
    corpus: Corpus,
    baseline: CorpusEmbeddings,
    candidate: CorpusEmbeddings,
    config: CompareConfig,
    *,
    progress: Progress | None = None,
) -> Comparison:
    """Retrieve with both models and compute every diagnostic."""
    excluded = self_exclusions(corpus) if config.exclude_identical_ids else None
    rankings = [
        top_k_cosine(
            side.queries,
            side.documents,
            config.k,
            exclude=excluded,
            progress=progress,
            stage=f"{label}: retrieving top-{config.k}",
        )
        for label, side in (("baseline", baseline), ("candidate", candidate))
    ]
    return Comparison(corpus, config, baseline, candidate, rankings[0], rankings[1])


def self_exclusions(corpus: Corpus) -> np.ndarray:
    """Per query, the position of the document with the same id (-1 when there is none)."""
    index = corpus.doc_index
    return np.array([index.get(q, -1) for q in corpus.query_ids], dtype=np.int64)
