"""compare(corpus, baseline, candidate, config) -> Comparison: the one entry point.

Retrieval runs once per model; then every metric family in :data:`FAMILIES` is computed
in that order (a family may read the results of the ones before it). The order is also
the order of the columns each family adds to the bundle's tables. Adding a family is one
line here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from typing import TypeVar, cast

import numpy as np

from analysis.errors import InputError
from analysis.inputs.cache import EmbeddingCache
from analysis.inputs.corpus import Corpus
from analysis.inputs.embed import CorpusEmbeddings, embed_corpus
from analysis.inputs.source import EmbeddingSource
from analysis.llm.calls import LLMCalls
from analysis.metrics.answers import ANSWERS
from analysis.metrics.changed import CHANGED
from analysis.metrics.coverage_curves import CURVE_DEPTH
from analysis.metrics.drift import DRIFT
from analysis.metrics.family import Family, FamilyResult, Inputs
from analysis.metrics.geometry import GEOMETRY
from analysis.metrics.llm import LLM
from analysis.metrics.near_miss import NEAR_MISS
from analysis.metrics.overlap import OVERLAP
from analysis.metrics.projection import PROJECTION
from analysis.metrics.quality import NDCG_DEPTH, QUALITY
from analysis.metrics.reach import REACH
from analysis.metrics.texts import TEXTS
from analysis.metrics.thresholds import THRESHOLDS, ThresholdResult, threshold_exclusions
from analysis.nearmiss.encoded import NearMissItems
from analysis.progress import Progress
from analysis.retrieval import Ranking, top_k_cosine
from analysis.settings import CompareConfig
from analysis.shards.documents import DocumentVectors

R = TypeVar("R")

FAMILIES: tuple[Family, ...] = (
    OVERLAP,
    REACH,
    DRIFT,
    CHANGED,
    QUALITY,
    ANSWERS,
    LLM,
    TEXTS,
    THRESHOLDS,
    GEOMETRY,
    NEAR_MISS,  # after the families that take the most memory: its vectors are made late
    PROJECTION,
)


@dataclass(frozen=True)
class Comparison:
    """Every diagnostic of one (corpus, baseline, candidate, config).

    ``results`` maps each family's name to its result (None where it does not apply);
    read one with ``comparison.result(DRIFT)``.
    """

    corpus: Corpus
    config: CompareConfig
    baseline: CorpusEmbeddings
    candidate: CorpusEmbeddings
    baseline_ranking: Ranking  # depth max(k, 10; 50 with answers or judgments): coverage
    candidate_ranking: Ranking
    results: Mapping[str, FamilyResult | None]
    families: tuple[Family, ...] = FAMILIES
    # the document vectors where they lie, when not the embeddings' matrices (shards)
    documents: DocumentVectors | None = field(default=None, repr=False, compare=False)

    @cached_property
    def document_vectors(self) -> DocumentVectors:
        """Both models' document vectors, for a pass over them (a re-cut, a late family);
        kept, so their unit-length rule is decided once."""
        if self.documents is not None:
            return self.documents
        return DocumentVectors.in_memory(self.baseline.documents, self.candidate.documents)

    def result(self, family: Family[R]) -> R | None:
        return cast(R | None, self.results.get(family.name))

    @property
    def fingerprint(self) -> str:
        """The comparison's name wherever it travels (links, saved bundles): the same
        corpus, models and settings give the same fingerprint on any machine."""
        return comparison_fingerprint(
            comparison_key(self.corpus, self.baseline, self.candidate, self.config)
        )


def comparison_key(
    corpus: Corpus, baseline: CorpusEmbeddings, candidate: CorpusEmbeddings, config: CompareConfig
) -> str:
    """What identifies a comparison's results: the corpus and model fingerprints and every
    setting (front ends cache results under it)."""
    fields = asdict(config)
    if fields["inference"]:
        del fields["inference"]  # the default: keys made before it existed still match
    settings = json.dumps(fields, sort_keys=True)
    return "|".join([corpus.fingerprint, baseline.fingerprint, candidate.fingerprint, settings])


def comparison_fingerprint(key: str) -> str:
    """16 hex digits of the sha256 of a comparison key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


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
    families: tuple[Family, ...] = FAMILIES,
    llm: LLMCalls | None = None,
    candidate_ranking: Ranking | None = None,
    baseline_ranking: Ranking | None = None,
    near_misses: NearMissItems | Callable[[], NearMissItems] | None = None,
    documents: DocumentVectors | None = None,
) -> Comparison:
    """Retrieve with both models and compute every metric family (the LLM measures only
    when ``llm`` is given; ``config.llm`` must then name it).

    ``candidate_ranking``: what the candidate's pipeline retrieves, when it is not a plain
    cosine search of its vectors (a remedy: hybrid, a recall floor, a reranker); at least
    :func:`retrieval_depth` deep. The families that read the candidate's space (drift,
    exclusions, geometry) still read its vectors. ``baseline_ranking``: the baseline's,
    when an earlier comparison of the same corpus and settings already retrieved it.
    ``documents``: both models' document vectors where they lie (shards on disk or on a
    Ray cluster), when the embeddings hold only the queries' vectors."""
    if (llm is None) != (config.llm is None):
        raise ValueError("config.llm names the chat model passed as llm; give both or neither")
    if corpus.n_docs > 2 and config.neighbours >= corpus.n_docs - 1:
        raise InputError(
            f"--neighbours {config.neighbours}: the corpus has {corpus.n_docs} documents, so "
            "every document's neighbourhood would be all the others and drift could never "
            f"show; use --neighbours {corpus.n_docs - 2} or fewer"
        )
    progress = progress or Progress()
    depth = retrieval_depth(corpus, config)
    excluded = self_exclusions(corpus) if config.exclude_identical_ids else None
    given = {"baseline": baseline_ranking, "candidate": candidate_ranking}
    in_memory = documents is None
    if documents is None:
        documents = DocumentVectors.in_memory(baseline.documents, candidate.documents)
    rankings = []
    for number, (label, side) in enumerate((("baseline", baseline), ("candidate", candidate))):
        ranking = given[label]
        if ranking is None and in_memory:
            ranking = top_k_cosine(
                side.queries,
                side.documents,
                depth,
                exclude=excluded,
                progress=progress,
                stage=f"{label}: retrieving top-{depth}",
            )
        elif ranking is None:
            with progress.stage(f"{label}: retrieving top-{depth} over document shards"):
                ranking = documents.top_k(number, side.queries, depth, exclude=excluded)
        elif ranking.k < min(depth, corpus.n_docs):
            raise ValueError(f"{label}_ranking holds {ranking.k} per query, not {depth}")
        rankings.append(ranking)
    results: dict[str, FamilyResult | None] = {}
    inputs = Inputs(
        corpus,
        config,
        baseline,
        candidate,
        rankings[0],
        rankings[1],
        qrels_positions(corpus),
        excluded,
        progress,
        documents,
        results,
        llm,
        near_misses,
    )
    for family in families:
        results[family.name] = family.compute(inputs)
    return Comparison(
        corpus,
        config,
        baseline,
        candidate,
        rankings[0],
        rankings[1],
        results,
        families,
        None if in_memory else documents,
    )


def retrieval_depth(corpus: Corpus, config: CompareConfig) -> int:
    """How deep compare retrieves: enough for nDCG@10 at any k and the coverage curves to
    k = 50 where the corpus has answers or judgments."""
    coverage = corpus.answers or any(corpus.qrels.values())
    return max(config.k, NDCG_DEPTH, CURVE_DEPTH if coverage else 0)


def complete(
    comparison: Comparison,
    families: tuple[Family, ...] = FAMILIES,
    *,
    progress: Progress | None = None,
    llm: LLMCalls | None = None,
) -> Comparison:
    """The comparison with the listed families it lacks computed too, from its own rankings
    (a front end may show the fast families first and compute a slow one, such as the
    projection, when it is asked for). Families keep FAMILIES' order."""
    missing = [f for f in families if f not in comparison.families]
    if not missing:
        return comparison
    results: dict[str, FamilyResult | None] = dict(comparison.results)
    corpus = comparison.corpus
    inputs = Inputs(
        corpus,
        comparison.config,
        comparison.baseline,
        comparison.candidate,
        comparison.baseline_ranking,
        comparison.candidate_ranking,
        qrels_positions(corpus),
        self_exclusions(corpus) if comparison.config.exclude_identical_ids else None,
        progress or Progress(),
        comparison.document_vectors,
        results,
        llm,
    )
    for family in missing:
        results[family.name] = family.compute(inputs)
    done = tuple(f for f in FAMILIES if f in comparison.families or f in missing)
    return replace(comparison, results=results, families=done)


def recut(comparison: Comparison, cutoff: float) -> ThresholdResult:
    """The threshold exclusions of a finished comparison at another cutoff (one pass)."""
    previous = comparison.result(THRESHOLDS)
    if previous is None:
        raise ValueError("this comparison has no queries, so no threshold exclusions")
    corpus = comparison.corpus
    base, cand = comparison.baseline, comparison.candidate
    excluded = self_exclusions(corpus) if comparison.config.exclude_identical_ids else None
    return threshold_exclusions(
        (base.queries, base.documents),
        (cand.queries, cand.documents),
        documents=comparison.document_vectors,
        cutoff=cutoff,
        query_ids=corpus.query_ids,
        query_domains=corpus.query_domains,
        doc_ids=corpus.doc_ids,
        doc_domains=corpus.doc_domains,
        qrels_positions=qrels_positions(corpus),
        exclude=excluded,
        previous=previous,
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
