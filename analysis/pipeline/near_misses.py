"""``--near-misses``: the near-miss items of a comparison, encoded by both models.

The passages and near misses are new texts, so each model encodes them (as documents,
through the embedding cache); the queries are the corpus' own vectors (a query only the
user's file has is encoded as a query). A ``vectors:`` side cannot encode new text: the
option is refused for it before any work.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from analysis.errors import InputError
from analysis.inputs.cache import EmbeddingCache
from analysis.inputs.corpus import Corpus
from analysis.inputs.embed import CorpusEmbeddings, embed_role
from analysis.inputs.fingerprint import text_digests
from analysis.inputs.source import EmbeddingSource
from analysis.nearmiss.columns import Items
from analysis.nearmiss.encoded import EncodedTexts, NearMissItems
from analysis.nearmiss.items import items_by_rule, items_from_file
from analysis.nearmiss.stored import FOLDER, items_key, load_items, save_items
from analysis.progress import Progress

RULES_CHOICE = "rules"


def near_miss_items(
    choice: str,
    corpus: Corpus,
    sources: tuple[EmbeddingSource, EmbeddingSource],
    sides: tuple[CorpusEmbeddings, CorpusEmbeddings],
    cache: EmbeddingCache,
    progress: Progress,
    *,
    seed: int = 0,
) -> Callable[[], NearMissItems]:
    """``choice``: "rules", or a file of the user's own near misses.

    The items are made (or read back) now, so a bad file or a corpus no rule applies to is
    refused before any other work; they are encoded when the family asks for them, late in
    the comparison, when the families before it have let their memory go (encoded up front,
    a comparison on ``../shared/data`` took about 6,800 more page faults in the other
    families than without near misses; encoded late, 2,000-3,800)."""
    for source in sources:
        if source.cache_namespace("document") is None:
            raise InputError(
                f"--near-misses: {source.spec} is precomputed vectors; the near misses are new "
                "texts, so both sides must be models that can encode them"
            )
    if choice == RULES_CHOICE:
        top1 = None if any(corpus.qrels.values()) else _top1(corpus, sides[0])
        stored = cache.root / FOLDER / f"{items_key(corpus, top1, seed)}.npz"
        made = load_items(stored, corpus.n_queries)
        if made is None:
            made = items_by_rule(corpus, baseline_top1=top1, seed=seed)
            save_items(made, stored)
    else:
        made = items_from_file(Path(choice), corpus)

    def encoded() -> NearMissItems:
        query_rows, own_queries = _query_rows(made, corpus)
        digests = text_digests(made.texts)  # the cache's keys, the same for both models
        baseline, candidate = (
            _encoded(made, digests, own_queries, source, side, cache, progress, label)
            for source, side, label in zip(sources, sides, ("baseline", "candidate"), strict=True)
        )
        return NearMissItems(made, query_rows, baseline, candidate)

    return encoded


def _query_rows(made: Items, corpus: Corpus) -> tuple[np.ndarray, list[str]]:
    """Each item's query among the corpus' queries followed by the file's own (each once),
    and the file's own queries."""
    rows = made.query_positions.copy()
    own: dict[str, int] = {}
    for n in np.flatnonzero(rows < 0).tolist():
        rows[n] = corpus.n_queries + own.setdefault(made.queries[n], len(own))
    return rows, list(own)


def _encoded(
    made: Items,
    digests: list[bytes],
    own_queries: list[str],
    source: EmbeddingSource,
    side: CorpusEmbeddings,
    cache: EmbeddingCache,
    progress: Progress,
    side_label: str,
) -> EncodedTexts:
    """One model's vectors of the items' texts and queries (the corpus' own, then the
    file's)."""
    label = f"{side_label}: near misses"
    texts, _ = embed_role(
        source, [f"near-miss-{n}" for n in range(len(made.texts))], list(made.texts),
        "document", cache, label, progress, digests=digests,
    )  # fmt: skip
    queries = side.queries
    if own_queries:
        fresh, _ = embed_role(
            source, [f"near-miss-query-{n}" for n in range(len(own_queries))], own_queries,
            "query", cache, label, progress,
        )  # fmt: skip
        queries = np.vstack([queries, fresh.astype(queries.dtype, copy=False)])
    return EncodedTexts(queries, texts)


def _top1(corpus: Corpus, baseline: CorpusEmbeddings) -> np.ndarray:
    from analysis.compare import self_exclusions
    from analysis.retrieval import top_k_cosine

    excluded = self_exclusions(corpus)
    ranking = top_k_cosine(baseline.queries, baseline.documents, 1, exclude=excluded)
    return ranking.indices[:, 0]
