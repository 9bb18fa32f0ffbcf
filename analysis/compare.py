"""compare(corpus, baseline, candidate, config) -> Comparison: the one entry point.

The command line and the dashboard both call this; they differ only in how they show it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.inputs.cache import EmbeddingCache
from analysis.inputs.corpus import Corpus
from analysis.inputs.embed import CorpusEmbeddings, embed_corpus
from analysis.inputs.source import EmbeddingSource
from analysis.metrics.changed import ChangedAnswers, changed_answers
from analysis.metrics.drift import DEFAULT_MAX_DOCS, DriftResult, neighbourhood_drift
from analysis.metrics.geometry import GeometryResult, space_geometry
from analysis.metrics.overlap import OverlapResult, retrieval_overlap
from analysis.metrics.projection import DEFAULT_MAX_POINTS, ProjectionResult, aligned_projection
from analysis.metrics.quality import NDCG_DEPTH, QualityResult, relevance_quality
from analysis.metrics.reach import ReachResult, reachability
from analysis.metrics.thresholds import ThresholdResult, default_cutoff, threshold_exclusions
from analysis.progress import Progress
from analysis.retrieval import Ranking, top_k_cosine


@dataclass(frozen=True)
class CompareConfig:
    """What the user chose; everything that changes a result lives here.

    ``cutoff``: the similarity a RAG pipeline requires (None: the median over queries of the
    baseline's k-th best score). ``exclude_identical_ids``: BEIR's rule that a document
    whose id equals the query's id is never returned for that query.
    """

    k: int = 10
    cutoff: float | None = None
    neighbours: int = 10
    rbo_p: float = 0.9
    exclude_identical_ids: bool = True
    drift_max_docs: int = DEFAULT_MAX_DOCS
    projection: bool = False
    projection_max_points: int = DEFAULT_MAX_POINTS
    bootstrap_resamples: int = 1000
    permutation_resamples: int = 10_000
    random_state: int = 0

    def __post_init__(self) -> None:
        for name in ("k", "neighbours", "drift_max_docs", "projection_max_points"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not 0 < self.rbo_p < 1:
            raise ValueError(f"rbo_p must be in (0, 1), got {self.rbo_p}")
        if self.cutoff is not None and not -1 <= self.cutoff <= 1:
            raise ValueError(f"cutoff must be in [-1, 1], got {self.cutoff}")


@dataclass(frozen=True)
class Comparison:
    """Every diagnostic of one (corpus, baseline, candidate, config)."""

    corpus: Corpus
    config: CompareConfig
    baseline: CorpusEmbeddings
    candidate: CorpusEmbeddings
    baseline_ranking: Ranking  # depth max(k, 10), so nDCG@10 works for any k
    candidate_ranking: Ranking
    overlap: OverlapResult
    drift: DriftResult
    thresholds: ThresholdResult | None  # None without queries
    geometry: GeometryResult
    quality: QualityResult | None  # None without judgments
    reach: ReachResult
    changed: ChangedAnswers
    projection: ProjectionResult | None  # only when config.projection


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
    progress = progress or Progress()
    k = config.k
    excluded = self_exclusions(corpus) if config.exclude_identical_ids else None
    rankings = [
        top_k_cosine(
            side.queries,
            side.documents,
            max(k, NDCG_DEPTH),
            exclude=excluded,
            progress=progress,
            stage=f"{label}: retrieving top-{max(k, NDCG_DEPTH)}",
        )
        for label, side in (("baseline", baseline), ("candidate", candidate))
    ]
    qrels = qrels_positions(corpus)
    overlap = retrieval_overlap(
        rankings[0],
        rankings[1],
        k=k,
        p=config.rbo_p,
        query_ids=corpus.query_ids,
        query_domains=corpus.query_domains,
    )
    drift = neighbourhood_drift(
        baseline.documents,
        candidate.documents,
        corpus.doc_domains,
        k=config.neighbours,
        max_docs=config.drift_max_docs,
        random_state=config.random_state,
        progress=progress,
    )
    thresholds = _thresholds(
        corpus, baseline, candidate, rankings[0], config, qrels, excluded, progress
    )
    with progress.stage("geometry of both spaces"):
        geometry = space_geometry(baseline.documents, candidate.documents, corpus.doc_domains)
    quality = None
    if qrels:
        quality = relevance_quality(
            rankings[0],
            rankings[1],
            k=k,
            qrels_positions=qrels,
            query_ids=corpus.query_ids,
            query_domains=corpus.query_domains,
        )
    reach = reachability(*rankings, k=k, doc_domains=corpus.doc_domains)
    with progress.stage("changed answers"):
        changed = changed_answers(
            *rankings,
            k=k,
            overlap=overlap,
            quality=quality,
            drift=drift,
            qrels_positions=qrels,
            doc_ids=corpus.doc_ids,
            doc_domains=corpus.doc_domains,
        )
    projection = (
        aligned_projection(
            baseline.documents,
            candidate.documents,
            max_points=config.projection_max_points,
            random_state=config.random_state,
            progress=progress,
        )
        if config.projection
        else None
    )
    return Comparison(
        corpus,
        config,
        baseline,
        candidate,
        rankings[0],
        rankings[1],
        overlap,
        drift,
        thresholds,
        geometry,
        quality,
        reach,
        changed,
        projection,
    )


def _thresholds(
    corpus, baseline, candidate, baseline_ranking, config, qrels, excluded, progress
) -> ThresholdResult | None:
    if corpus.n_queries == 0:
        return None
    cutoff = config.cutoff
    if cutoff is None:
        cutoff = default_cutoff(baseline_ranking, config.k)
    with progress.stage(f"threshold exclusions at cutoff {cutoff:.3f}"):
        return threshold_exclusions(
            (baseline.queries, baseline.documents),
            (candidate.queries, candidate.documents),
            cutoff=cutoff,
            query_domains=corpus.query_domains,
            qrels_positions=qrels,
            exclude=excluded,
        )


def recut(comparison: Comparison, cutoff: float) -> ThresholdResult:
    """The threshold exclusions of a finished comparison at another cutoff (one pass)."""
    if comparison.thresholds is None:
        raise ValueError("this comparison has no queries, so no threshold exclusions")
    corpus = comparison.corpus
    base, cand = comparison.baseline, comparison.candidate
    excluded = self_exclusions(corpus) if comparison.config.exclude_identical_ids else None
    return threshold_exclusions(
        (base.queries, base.documents),
        (cand.queries, cand.documents),
        cutoff=cutoff,
        query_domains=corpus.query_domains,
        qrels_positions=qrels_positions(corpus),
        exclude=excluded,
        previous=comparison.thresholds,
    )


def qrels_positions(corpus: Corpus) -> dict[int, dict[int, int]]:
    """Judgments as query position -> document position -> grade."""
    q_index, d_index = corpus.query_index, corpus.doc_index
    return {
        q_index[q]: {d_index[d]: grade for d, grade in judged.items()}
        for q, judged in corpus.qrels.items()
        if judged
    }


def self_exclusions(corpus: Corpus) -> np.ndarray:
    """Per query, the position of the document with the same id (-1 when there is none)."""
    index = corpus.doc_index
    return np.array([index.get(q, -1) for q in corpus.query_ids], dtype=np.int64)
