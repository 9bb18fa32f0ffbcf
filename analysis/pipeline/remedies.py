"""run_remedies(request, outcome, plan, policy) -> remedies.json's record: every remedy
setting as a new candidate against the same baseline, on the same corpus, judged by the
same policy.

A setting computes the families the gate reads: relevance, answer or judged-relevant
coverage, overlap, reach, and exclusions when the policy checks them (two passes over every
score). A ranking remedy (hybrid, floor, rerank) retrieves other documents from the
candidate's unchanged space, so its exclusions, drift and geometry are the candidate's own.

With ``settings_to``, each setting is also written there as a comparison of its own
(``<slug>/``: TREC runs and a data bundle every page can show): then the families the pages
read are computed too: changed results and texts; exclusions and geometry for a setting with
a space of its own (fusion, interpolation), whose drift is left out (a neighbour search of
every document per setting, most of a comparison's time). The LLM and the projection are
left out of every setting (they decide no guardrail and cost the most)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis.errors import InputError
from analysis.pipeline.request import Request
from analysis.pipeline.run import Outcome, embed, embedding_cache, model_of
from analysis.progress import Progress
from analysis.remedies.plan import FLOOR, FUSION, HYBRID, INTERPOLATE, RERANK, RemedyPlan

if TYPE_CHECKING:
    from analysis.inputs.embed import CorpusEmbeddings
    from analysis.remedies.verdicts import Setting
    from analysis.retrieval import Ranking
    from analysis.verdict.gate import Policy

LEXICAL_DEPTH = 100  # documents each retriever contributes before fusion


@dataclass(frozen=True)
class RemedyInputs:
    """What a plan needs beyond the comparison, loaded and checked before any work: both
    models' weights (interpolation) and the cross-encoder (reranking)."""

    models: tuple[Any, Any] | None = None
    reranker: Any = None


def remedy_inputs(request: Request, plan: RemedyPlan) -> RemedyInputs:
    """Load and check what ``plan`` needs (an InputError names what is wrong)."""
    models = _interpolable(request) if INTERPOLATE in plan.remedies else None
    reranker = None
    if RERANK in plan.remedies:
        from analysis.remedies.rerank import load_reranker

        assert plan.reranker is not None
        reranker = load_reranker(plan.reranker, trust_remote_code=request.trust_remote_code)
    return RemedyInputs(models, reranker)


def run_remedies(
    request: Request,
    outcome: Outcome,
    plan: RemedyPlan,
    policy: Policy,
    *,
    progress: Progress | None = None,
    inputs: RemedyInputs | None = None,
    settings_to: Path | None = None,
) -> dict[str, Any]:
    """Every setting of every remedy in ``plan``, judged; remedies.json's record
    (``inputs``: from :func:`remedy_inputs`, loaded now when not given). ``settings_to``: a
    folder to write each setting's comparison into, as ``<slug>/`` (the record names it)."""
    from analysis.bundle.files import write_comparison_into
    from analysis.bundle.summary import Summary, build_summary
    from analysis.compare import compare, complete, retrieval_depth, self_exclusions
    from analysis.metrics.answers import ANSWERS
    from analysis.metrics.changed import CHANGED
    from analysis.metrics.drift import DRIFT
    from analysis.metrics.geometry import GEOMETRY
    from analysis.metrics.overlap import OVERLAP
    from analysis.metrics.quality import QUALITY
    from analysis.metrics.reach import REACH
    from analysis.metrics.thresholds import THRESHOLDS
    from analysis.pipeline.production import bundle_of
    from analysis.remedies.verdicts import judged, record, targets_of

    progress = progress or Progress()
    comparison = outcome.comparison
    corpus = comparison.corpus
    unknown = [t for t in plan.targets if t not in corpus.domains]
    if unknown:
        raise InputError(f"--target {', '.join(unknown)}: not a domain of the corpus")
    inputs = inputs or remedy_inputs(request, plan)
    config = replace(comparison.config, llm=None, projection=False)
    ranked_families = (OVERLAP, REACH, QUALITY, ANSWERS)
    # what a ranking remedy shares with the candidate: everything read from its space
    space_families = tuple(f for f in (THRESHOLDS, DRIFT, GEOMETRY) if f in comparison.families)
    candidates_space = {f.name: comparison.results.get(f.name) for f in space_families}
    # exclusions are two passes over every score: computed only when the policy reads them
    exclusions = (THRESHOLDS,) if _reads_exclusions(policy) else ()
    from analysis.metrics.texts import TEXTS

    # what a setting's own comparison adds for the pages; drift is left out of a space of
    # its own (a neighbour search of every document per setting, most of a compare's time)
    for_pages, for_own_space = (CHANGED, TEXTS), (THRESHOLDS, GEOMETRY)
    base, cand = comparison.baseline, comparison.candidate
    targets = targets_of(outcome.bundle.summary, plan.targets)
    excluded = self_exclusions(corpus) if config.exclude_identical_ids else None
    settings: list[Setting] = []

    def judge(
        remedy: str,
        setting: dict[str, Any],
        label: str,
        cost: dict[str, Any],
        side: CorpusEmbeddings | None = None,
        ranking: Ranking | None = None,
    ) -> None:
        families = ranked_families + (exclusions if side is not None else ())
        space = _as_remedy(side or cand, cand, remedy, setting, label)
        with progress.stage(f"remedy: {label}"):
            result = compare(
                corpus,
                base,
                space,
                config,
                families=families,
                candidate_ranking=ranking,
                baseline_ranking=comparison.baseline_ranking,
            )
            if side is None:  # the candidate's space: what is read from it is its own
                results = {**result.results, **candidates_space}
                have = (*families, *space_families)
                result = replace(result, results=results, families=_ordered(have))
            if settings_to is not None:  # a comparison the pages show: what they read
                wanted = (*result.families, *for_pages, *(for_own_space if side else ()))
                result = complete(result, _ordered(wanted))
        source = {"corpus_source": request.corpus}
        bundle = bundle_of(result, request) if settings_to else None  # redacted if asked
        summary = bundle.summary if bundle else Summary(build_summary(result, **source))
        entry = judged(remedy, setting, label, summary, policy, targets, cost)
        entry = replace(entry, fingerprint=summary.fingerprint)
        if settings_to is not None:
            folder = _slug(label)
            write_comparison_into(
                result, settings_to / folder, corpus_source=request.corpus, bundle=bundle
            )
            entry = replace(entry, folder=f"{settings_to.name}/{folder}")
        settings.append(entry)

    n_queries = max(corpus.n_queries, 1)
    for remedy in plan.remedies:
        if remedy == FUSION:
            from analysis.remedies.fusion import FusedSpaces, fused_rankings

            depth = retrieval_depth(corpus, config)
            inner = [w for w in plan.weights if 0 < w < 1]
            ranked = fused_rankings(base, cand, inner, depth, exclude=excluded)
            # at the ends the fused space is a side itself: its retrieval is done
            ranked |= {0.0: (comparison.baseline_ranking, 0.0)}
            ranked |= {1.0: (comparison.candidate_ranking, 0.0)}
            spaces = FusedSpaces(base, cand)
            for w in plan.weights:
                ranking, seconds = ranked[w]
                inside = 0 < w < 1
                cost = _cost(base.documents.nbytes if inside else 0, int(inside), seconds)
                cost |= _per_query(seconds, n_queries)
                judge(FUSION, {"w": w}, f"fusion w={w:g}", cost, spaces.at(w), ranking)
        elif remedy == INTERPOLATE:
            for alpha in plan.alphas:
                started = time.perf_counter()
                assert inputs.models is not None
                side = _interpolated(request, inputs.models, alpha, outcome, progress)
                built = time.perf_counter() - started
                cost = {"extra_index_bytes": 0, "extra_calls_per_query": 0, "build_seconds": built}
                judge(INTERPOLATE, {"alpha": alpha}, f"interpolation α={alpha:g}", cost, side)
        elif remedy == HYBRID:
            for label, setting, ranking, cost in _hybrid(comparison, plan, excluded, n_queries):
                judge(HYBRID, setting, label, cost, ranking=ranking)
        elif remedy == FLOOR:
            for label, setting, ranking, cost in _floors(comparison, plan, n_queries, base):
                judge(FLOOR, setting, label, cost, ranking=ranking)
        elif remedy == RERANK:
            reranked = _reranked(comparison, plan, excluded, inputs.reranker)
            for label, setting, ranking, cost in reranked:
                judge(RERANK, setting, label, cost, ranking=ranking)
    candidate = judged(
        "candidate", {}, "the candidate as it is", outcome.bundle.summary, policy, targets
    )
    candidate = replace(candidate, fingerprint=outcome.bundle.summary.fingerprint)
    return record(candidate, settings, targets, policy)


def _as_remedy(
    space: CorpusEmbeddings,
    candidate: CorpusEmbeddings,
    remedy: str,
    setting: dict[str, Any],
    label: str,
) -> CorpusEmbeddings:
    """The setting's candidate side under a name of its own: a ranking remedy searches the
    candidate's vectors and fusion at w = 1 is the candidate itself, yet each setting is a
    comparison of its own wherever it travels (its fingerprint, its manifest)."""
    named = json.dumps({"remedy": remedy, **setting}, sort_keys=True)
    return replace(
        space,
        spec=f"{candidate.spec} + {label}",
        fingerprint=f"remedy|{named}|{space.fingerprint}|{candidate.fingerprint}",
    )


def _ordered(families: tuple[Any, ...]) -> tuple[Any, ...]:
    from analysis.compare import FAMILIES

    return tuple(f for f in FAMILIES if f in families)


def _slug(label: str) -> str:
    """A setting's folder name: "interpolation α=0.5" -> "interpolation-alpha-0.5"."""
    text = label.replace("α", "alpha").replace("=", "-").replace(" ", "-").lower()
    return "".join(c for c in text if c.isalnum() or c in "-._")


def _reads_exclusions(policy: Policy) -> bool:
    """Whether any domain's guardrails include the excluded share."""
    rails = [policy.defaults, *policy.overrides.values()]
    return any(r.limit("max_excluded_share_same_cutoff") is not None for r in rails)


def _interpolable(request: Request) -> tuple[Any, Any]:
    """Both models, checked to be one architecture (an InputError names what is not)."""
    from analysis.remedies.interpolate import check_interpolable

    try:
        baseline = model_of(request, request.baseline, "--baseline")
        candidate = model_of(request, request.candidate, "--candidate")
    except InputError as err:
        raise InputError(f"--remedies interpolate needs both models' weights: {err}") from None
    check_interpolable(baseline, candidate)
    return baseline, candidate


def _interpolated(
    request: Request, sources: tuple[Any, Any], alpha: float, outcome: Outcome, progress: Progress
) -> CorpusEmbeddings:
    """The interpolated model's vectors (the sides' own at α = 0 and 1), through the cache."""
    from analysis.remedies.interpolate import InterpolatedSource

    if alpha == 0:
        return outcome.comparison.baseline
    if alpha == 1:
        return outcome.comparison.candidate
    source = InterpolatedSource(sources[0], sources[1], alpha)
    cache = embedding_cache(request, [source])
    return embed(outcome.comparison.corpus, source, cache, label=source.spec, progress=progress)


def _hybrid(
    comparison: Any, plan: RemedyPlan, excluded: np.ndarray | None, n_queries: int
) -> list[tuple[str, dict[str, Any], Ranking, dict[str, Any]]]:
    """BM25 fused with the candidate: the convex combinations over the grid, then RRF."""
    from analysis.compare import retrieval_depth
    from analysis.remedies.bm25 import bm25_top
    from analysis.remedies.rankings import convex_fusion, ranking_of, reciprocal_rank_fusion
    from analysis.retrieval import top_k_cosine

    corpus, cand = comparison.corpus, comparison.candidate
    depth = retrieval_depth(corpus, comparison.config)
    reach = max(depth, LEXICAL_DEPTH)
    lexical = bm25_top(corpus.doc_texts, corpus.query_texts, reach, exclude=excluded)
    dense = top_k_cosine(cand.queries, cand.documents, reach, exclude=excluded)
    out = []

    def convex(weight: float, q: int) -> np.ndarray:
        pairs = ((dense.indices[q], dense.scores[q]), (lexical.indices[q], lexical.scores[q]))
        return convex_fusion(*pairs, weight, depth)

    def rrf(q: int) -> np.ndarray:
        return reciprocal_rank_fusion([dense.indices[q], lexical.indices[q]], depth)

    fusers: list[tuple[str, dict[str, Any], Callable[[int], np.ndarray]]] = [
        (f"hybrid BM25 {w:g}", {"bm25_weight": w, "fusion": "convex"}, partial(convex, w))
        for w in plan.bm25_weights
    ]
    fusers.append(("hybrid RRF", {"fusion": "rrf", "k": 60}, rrf))
    for label, setting, fuse in fusers:
        started = time.perf_counter()
        rows = [fuse(q) for q in range(corpus.n_queries)]
        seconds = lexical.seconds + time.perf_counter() - started
        cost = _cost(lexical.index_bytes, 0, seconds) | _per_query(seconds, n_queries)
        out.append((label, setting, ranking_of(rows, cand.queries, cand.documents, depth), cost))
    return out


def _floors(
    comparison: Any, plan: RemedyPlan, n_queries: int, base: CorpusEmbeddings
) -> list[tuple[str, dict[str, Any], Ranking, dict[str, Any]]]:
    """The recall floor at each number of places the baseline's dropped documents may take."""
    from analysis.remedies.rankings import ranking_of, recall_floor

    cand, k = comparison.candidate, comparison.config.k
    depth = comparison.candidate_ranking.k
    out = []
    for slots in plan.floor_slots:
        started = time.perf_counter()
        rows = [
            recall_floor(
                comparison.candidate_ranking.indices[q],
                comparison.baseline_ranking.indices[q],
                k=k,
                slots=slots,
                depth=depth,
            )
            for q in range(comparison.corpus.n_queries)
        ]
        seconds = time.perf_counter() - started
        cost = _cost(base.documents.nbytes, 1, seconds) | _per_query(seconds, n_queries)
        ranking = ranking_of(rows, cand.queries, cand.documents, depth)
        out.append((f"recall floor {slots}", {"slots": slots}, ranking, cost))
    return out


def _reranked(
    comparison: Any, plan: RemedyPlan, excluded: np.ndarray | None, model: Any
) -> list[tuple[str, dict[str, Any], Ranking, dict[str, Any]]]:
    """The candidate's top K′ reranked by the cross-encoder, at each K′ of the grid."""
    from analysis.compare import retrieval_depth
    from analysis.remedies.rankings import ranking_of
    from analysis.remedies.rerank import rerank
    from analysis.retrieval import top_k_cosine

    corpus, cand = comparison.corpus, comparison.candidate
    depth = retrieval_depth(corpus, comparison.config)
    deep = top_k_cosine(
        cand.queries, cand.documents, max(depth, *plan.rerank_depths), exclude=excluded
    )
    done = rerank(model, deep.indices, corpus.query_texts, corpus.doc_texts, plan.rerank_depths)
    deepest, out = max(plan.rerank_depths), []
    for k_prime in plan.rerank_depths:
        share = k_prime / deepest  # the pairs were scored once, at the deepest K′
        per_query = done.seconds * share / max(corpus.n_queries, 1)
        cost = {"extra_index_bytes": 0, "extra_calls_per_query": k_prime}
        cost |= {"ms_per_query": 1000 * per_query}
        ranking = ranking_of(done.rows[k_prime], cand.queries, cand.documents, depth)
        out.append((f"rerank top-{k_prime}", {"depth": k_prime}, ranking, cost))
    return out


def _cost(index_bytes: int, calls: int, seconds: float) -> dict[str, Any]:
    """What serving a remedy adds: a second index, extra encoder calls per query."""
    return {"extra_index_bytes": int(index_bytes), "extra_calls_per_query": calls}


def _per_query(seconds: float, n_queries: int) -> dict[str, float]:
    return {"ms_per_query": 1000 * seconds / n_queries}


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started
