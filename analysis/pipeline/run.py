"""run_comparison(request) -> Outcome: every stage of a comparison, in one place.

Stages: the corpus, the two model sources, both models' vectors (through the embedding
cache), the comparison, its bundle. A front end passes a :class:`Memo` to keep stages
between calls (the dashboard keeps them per server); the command line keeps nothing.
Progress, notes and warnings go to the one :class:`Progress` callback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from analysis.errors import InputError
from analysis.pipeline.request import Request
from analysis.progress import Progress

if TYPE_CHECKING:
    from analysis.bundle.files import Bundle
    from analysis.compare import Comparison
    from analysis.inputs.cache import EmbeddingCache
    from analysis.inputs.corpus import Corpus
    from analysis.inputs.embed import CorpusEmbeddings
    from analysis.inputs.models import SentenceTransformerSource
    from analysis.inputs.source import EmbeddingSource
    from analysis.llm.calls import LLMCalls
    from analysis.metrics.family import Family
    from analysis.settings import CompareConfig

T = TypeVar("T")


class Memo(Protocol):
    """Where a front end keeps a stage's result between runs, by kind and content key."""

    def get(self, kind: str, key: str, compute: Callable[[], T]) -> T: ...


class Recompute:
    """No memory: every stage is computed (the command line runs once)."""

    def get(self, kind: str, key: str, compute: Callable[[], T]) -> T:
        return compute()


RECOMPUTE = Recompute()


@dataclass(frozen=True)
class Outcome:
    """A finished comparison: the engine's result, its bundle (what every presenter reads),
    the key it is memoised under and what looked wrong in the vectors."""

    comparison: Comparison
    bundle: Bundle
    key: str
    warnings: tuple[str, ...] = ()

    def counts(self) -> str:
        """Where the vectors came from, in words: "1,200 texts encoded, 40 from the cache"."""
        sides = (self.comparison.baseline, self.comparison.candidate)
        counts = [
            (sum(s.encoded for s in sides), "texts encoded"),
            (sum(s.cached for s in sides), "from the embedding cache"),
            (sum(s.read for s in sides), "read from vectors files"),
        ]
        return ", ".join(f"{n:,} {what}" for n, what in counts if n) or "nothing to embed"


def run_comparison(
    request: Request,
    *,
    progress: Progress | None = None,
    memo: Memo = RECOMPUTE,
    families: tuple[Family, ...] | None = None,
) -> Outcome:
    """The comparison ``request`` asks for, with its bundle (``families``: all of them)."""
    from analysis.compare import FAMILIES, compare, comparison_key
    from analysis.inputs.inferred_domains import needs_inferred_domains
    from analysis.pipeline.audits import audited_sides
    from analysis.pipeline.near_misses import near_miss_items
    from analysis.pipeline.production import bundle_of, infer_query_domains

    progress = progress or Progress()
    families = FAMILIES if families is None else families
    config = request.config()  # every setting checked before any work
    corpus = load_corpus(request, progress=progress, memo=memo)
    if request.shards:
        return _over_shards(request, corpus, config, families, progress)
    baseline, candidate = (
        source_of(request, spec, progress=progress, memo=memo)
        for spec in (request.baseline, request.candidate)
    )
    cache = embedding_cache(request, [baseline, candidate])
    sides_key = f"{corpus.fingerprint}|{baseline.fingerprint}|{candidate.fingerprint}"
    sides = memo.get(
        "embeddings",
        sides_key,
        lambda: audited_sides(
            request,
            corpus,
            _embed_pair(corpus, baseline, candidate, cache, progress),
            cache,
            progress,
            lambda spec: source_of(request, spec, progress=progress, memo=memo),
        ),
    )
    warnings = memo.get("warnings", sides_key, lambda: _warned(sides, progress))
    baseline_ranking = None
    if needs_inferred_domains(corpus):  # a query log's questions without a domain
        corpus, baseline_ranking = memo.get(
            "inferred domains",
            f"{sides_key}|{config.k}|{config.exclude_identical_ids}",
            lambda: infer_query_domains(corpus, sides[0], config, progress),
        )
    key = comparison_key(corpus, *sides, config)
    staged = _families_key(key, families)
    comparison = memo.get(
        "comparison",
        staged,
        lambda: compare(
            corpus,
            *sides,
            config,
            progress=progress,
            llm=llm_calls(request, cache, progress),
            families=families,
            near_misses=near_miss_items(  # None: not asked for
                request.near_misses,
                corpus,
                (baseline, candidate),
                sides,
                cache,
                progress,
                seed=request.seed,
            )
            if request.near_misses
            else None,
            baseline_ranking=baseline_ranking,
        ),
    )
    bundle = memo.get(
        "bundle",
        f"{staged}|{request.corpus}|{request.redact_queries}",
        lambda: bundle_of(comparison, request),
    )
    return Outcome(comparison, bundle, key, warnings)


def _over_shards(
    request: Request,
    corpus: Corpus,
    config: CompareConfig,
    families: tuple[Family, ...],
    progress: Progress,
) -> Outcome:
    """The comparison with the documents' vectors left in their shards (nothing memoised:
    only the command line asks for it)."""
    from analysis.compare import compare, comparison_key
    from analysis.pipeline.production import bundle_of
    from analysis.pipeline.sharded import shard_warnings, sharded_sides

    with sharded_sides(request, corpus, progress) as (sides, documents):
        warnings = shard_warnings(sides, documents)
        for warning in warnings:
            progress.warn(warning)
        calls = llm_calls(request, embedding_cache(request, []), progress)
        comparison = compare(
            corpus, *sides, config, progress=progress, llm=calls, families=families,
            documents=documents,
        )  # fmt: skip
    key = comparison_key(corpus, *sides, config)
    return Outcome(comparison, bundle_of(comparison, request), key, tuple(warnings))


def with_families(
    outcome: Outcome,
    request: Request,
    *,
    progress: Progress | None = None,
    memo: Memo = RECOMPUTE,
) -> Outcome:
    """The outcome with every family computed, from its own rankings (a front end may show
    the fast families first and compute a slow one, the projection, when it is asked for)."""
    from analysis.compare import FAMILIES, complete
    from analysis.pipeline.production import bundle_of

    if outcome.comparison.families == FAMILIES:
        return outcome
    staged = _families_key(outcome.key, FAMILIES)
    full = memo.get(
        "comparison",
        staged,
        lambda: complete(outcome.comparison, progress=progress or Progress()),
    )
    bundle = memo.get(
        "bundle",
        f"{staged}|{request.corpus}|{request.redact_queries}",
        lambda: bundle_of(full, request),
    )
    return Outcome(full, bundle, outcome.key, outcome.warnings)


def load_corpus(
    request: Request, *, progress: Progress | None = None, memo: Memo = RECOMPUTE
) -> Corpus:
    """The request's corpus; its notices are warnings, or errors under ``strict``."""
    from analysis.inputs.corpus import load_corpus as read_corpus
    from analysis.pipeline.signature import file_signature

    paths = [request.corpus, request.queries, request.qrels, request.answers, request.query_log]
    key = json.dumps([*paths, request.split, request.redact_queries, file_signature(*paths)])
    progress = progress or Progress()

    def read() -> Corpus:
        corpus = read_corpus(
            request.corpus,
            queries=request.queries or None,
            qrels=request.qrels or None,
            answers=request.answers or None,
            split=request.split,
        )
        if request.query_log:
            from analysis.inputs.query_log import set_aside_sentence
            from analysis.pipeline.production import with_query_log

            corpus = with_query_log(corpus, request)
            said = set_aside_sentence(corpus.query_source)
            if said:
                progress.note(said)
        if not request.strict:  # said once, when read (a front end's memo keeps it after)
            for notice in corpus.notices:
                progress.warn(notice)
        return corpus

    corpus = memo.get("corpus", key, read)
    if request.strict and corpus.notices:
        raise InputError("--strict: the corpus has problems:\n" + "\n".join(corpus.notices))
    return corpus


def source_of(
    request: Request, spec: str, *, progress: Progress | None = None, memo: Memo = RECOMPUTE
) -> EmbeddingSource:
    """The embedding source a model spec names, loaded once per memo (``demo-candidate``,
    ``demo-near-miss-candidate``: the demo's tuned models, built on first use)."""
    from analysis.inputs.backends import Backend, split_spec
    from analysis.inputs.specs import resolve_source
    from analysis.inputs.stores.spec import is_store_spec
    from analysis.tuning.demo import DEMO_RECIPES, ensure_demo_candidate

    if is_store_spec(spec):  # its questions' model resolved as any side's (demo names too)
        return memo.get(
            "source",
            json.dumps([spec, is_store_spec(request.corpus)]),
            lambda: _store_source(request, spec, progress, memo),
        )
    named, backend = split_spec(spec, Backend())
    if named in DEMO_RECIPES:
        folder = memo.get(
            "resolved",
            json.dumps([named, str(request.cache_dir)]),
            lambda: str(ensure_demo_candidate(request.cache_dir, progress, named)[0]),
        )
        spec = folder if backend.is_torch else f"{folder}@{backend.name}"
    options = (request.trust_remote_code, request.max_seq_length, request.batch_size)
    return memo.get(
        "source",
        json.dumps([spec, *options]),
        lambda: resolve_source(
            spec,
            trust_remote_code=request.trust_remote_code,
            max_seq_length=request.max_seq_length,
            batch_size=request.batch_size,
            exports=request.cache_dir,
        ),
    )


def _store_source(
    request: Request, spec: str, progress: Progress | None, memo: Memo
) -> EmbeddingSource:
    from analysis.inputs.stores.source import StoreVectors
    from analysis.inputs.stores.spec import is_store_spec, parse_store_spec

    store = parse_store_spec(spec)
    named = store.get("queries")
    if named and is_store_spec(named):
        raise InputError(f"{spec}: queries= names a model or vectors:FILE, not a store")
    queries = source_of(request, named, progress=progress, memo=memo) if named else None
    # documents read from a store: each side's store must hold exactly those ids
    return StoreVectors(spec, store, queries, same_ids=is_store_spec(request.corpus))


def model_of(request: Request, spec: str, option: str) -> SentenceTransformerSource:
    """A model to run (encode or train), where precomputed vectors cannot stand in."""
    from analysis.inputs.models import SentenceTransformerSource

    source = source_of(request, spec)
    if not isinstance(source, SentenceTransformerSource):
        raise InputError(f"{option} must be a sentence-transformers model, not precomputed vectors")
    return source


def embedding_cache(request: Request, sources: list[EmbeddingSource]) -> EmbeddingCache:
    """The request's embedding cache; one that encoded texts cannot be written to is an
    error before any encoding."""
    from analysis.bundle.out import check_writable
    from analysis.inputs.cache import EmbeddingCache

    cache = EmbeddingCache(request.cache_dir)
    if any(s.cache_namespace("document") is not None for s in sources):
        check_writable(cache.root, what=f"embedding cache {cache.root} (--cache-dir)")
    return cache


def embed(
    corpus: Corpus,
    source: EmbeddingSource,
    cache: EmbeddingCache,
    *,
    label: str,
    progress: Progress,
) -> CorpusEmbeddings:
    """One model's vectors of the corpus, through the cache; damaged cache entries and
    a damaged cache entry is a warning."""
    from analysis.inputs.embed import embed_corpus

    seen = len(cache.discarded)
    vectors = embed_corpus(corpus, source, cache=cache, label=label, progress=progress)
    _warn_discarded(cache, seen, progress)
    return vectors


def llm_calls(request: Request, cache: EmbeddingCache, progress: Progress) -> LLMCalls | None:
    """The run's LLM calls, cached beside the embeddings; the plan is a note."""
    from analysis.llm.calls import LLMCalls

    model = request.chat_model
    if model is None:
        return None
    return LLMCalls(
        model,
        cache.root,
        concurrency=request.llm_concurrency,
        max_calls=request.max_llm_calls,
        progress=progress,
        report=progress.note,
    )


def _embed_pair(
    corpus: Corpus,
    baseline: EmbeddingSource,
    candidate: EmbeddingSource,
    cache: EmbeddingCache,
    progress: Progress,
) -> tuple[CorpusEmbeddings, CorpusEmbeddings]:
    from analysis.compare import embed_pair

    seen = len(cache.discarded)
    sides = embed_pair(corpus, baseline, candidate, cache=cache, progress=progress)
    _warn_discarded(cache, seen, progress)
    return sides


def _warn_discarded(cache: EmbeddingCache, seen: int, progress: Progress) -> None:
    for path in cache.discarded[seen:]:
        progress.warn(f"damaged cache entry {path} was discarded and recomputed")


def _warned(
    sides: tuple[CorpusEmbeddings, CorpusEmbeddings], progress: Progress
) -> tuple[str, ...]:
    """What looks broken in either side's vectors (a scan of every vector), each warned."""
    warnings = sides[0].warnings("baseline") + sides[1].warnings("candidate")
    for warning in warnings:
        progress.warn(warning)
    return tuple(warnings)


def _families_key(key: str, families: tuple[Family, ...]) -> str:
    """The memo key of a comparison computed for ``families`` only."""
    from analysis.compare import FAMILIES

    if families == FAMILIES:
        return key
    return key + "|" + "+".join(f.name for f in families)
