"""``--near-misses``: the near-miss items of a comparison, encoded by both models.

The passages and near misses are new texts, so each model encodes them (as documents,
through the embedding cache); the queries are the corpus' own vectors (a query only the
user's file has is encoded as a query). A ``vectors:`` side cannot encode new text: the
option is refused for it before any work.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analysis.errors import InputError
from analysis.inputs.cache import EmbeddingCache
from analysis.inputs.corpus import Corpus
from analysis.inputs.embed import CorpusEmbeddings, embed_role
from analysis.inputs.source import EmbeddingSource
from analysis.nearmiss.encoded import NearMissItems
from analysis.nearmiss.items import Items, items_by_rule, items_from_file
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
) -> NearMissItems:
    """``choice``: "rules", or a file of the user's own near misses."""
    for source in sources:
        if source.cache_namespace("document") is None:
            raise InputError(
                f"--near-misses: {source.spec} is precomputed vectors; the near misses are new "
                "texts, so both sides must be models that can encode them"
            )
    if choice == RULES_CHOICE:
        top1 = None if any(corpus.qrels.values()) else _top1(corpus, sides[0])
        stored = cache.root / FOLDER / f"{items_key(corpus, top1, seed)}.json"
        made = load_items(stored)
        if made is None:
            made = items_by_rule(corpus, baseline_top1=top1, seed=seed)
            save_items(made, stored)
    else:
        made = items_from_file(Path(choice), corpus)
    rows = _Rows.of(made)
    vectors = [
        _encoded(made, rows, source, side, cache, progress, label)
        for source, side, label in zip(sources, sides, ("baseline", "candidate"), strict=True)
    ]
    (base_queries, base_passages, base_near), (cand_queries, cand_passages, cand_near) = vectors
    return NearMissItems(
        queries=made.queries,
        doc_ids=made.doc_ids,
        domains=made.domains,
        rules=made.rules,
        passages=made.passages,
        near_misses=made.near_misses,
        spans=made.spans,
        baseline_queries=base_queries,
        candidate_queries=cand_queries,
        baseline_passages=base_passages,
        baseline_near_misses=base_near,
        candidate_passages=cand_passages,
        candidate_near_misses=cand_near,
        source=made.source,
        skipped=made.skipped,
    )


@dataclass(frozen=True)
class _Rows:
    """Where each item's texts lie among the texts to encode (the same for both models)."""

    texts: list[str]  # every passage and near miss, once each
    passages: np.ndarray  # per item, its passage's row in ``texts``
    near_misses: np.ndarray
    query_positions: np.ndarray  # per item, in the corpus' queries; -1: the file's own

    @classmethod
    def of(cls, made: Items) -> _Rows:
        texts = sorted(set(made.passages) | set(made.near_misses))
        row = {text: n for n, text in enumerate(texts)}
        return cls(
            texts,
            np.array([row[t] for t in made.passages], dtype=np.intp),
            np.array([row[t] for t in made.near_misses], dtype=np.intp),
            np.array(made.query_positions, dtype=np.intp),
        )


def _encoded(
    made: Items,
    rows: _Rows,
    source: EmbeddingSource,
    side: CorpusEmbeddings,
    cache: EmbeddingCache,
    progress: Progress,
    side_label: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(queries, passages, near misses) of every item, under one model."""
    label = f"{side_label}: near misses"
    encoded, _ = embed_role(
        source, [f"near-miss-{n}" for n in range(len(rows.texts))], rows.texts, "document",
        cache, label, progress,
    )  # fmt: skip
    queries = np.zeros((len(made), encoded.shape[1]), dtype=np.float32)
    inside = rows.query_positions >= 0
    queries[inside] = side.queries[rows.query_positions[inside]]
    outside = np.flatnonzero(~inside).tolist()
    if outside:
        asked = [made.queries[n] for n in outside]
        fresh, _ = embed_role(
            source, [f"near-miss-query-{n}" for n in outside], asked, "query", cache, label,
            progress,
        )  # fmt: skip
        queries[outside] = fresh
    return queries, encoded[rows.passages], encoded[rows.near_misses]


def _top1(corpus: Corpus, baseline: CorpusEmbeddings) -> np.ndarray:
    from analysis.compare import self_exclusions
    from analysis.retrieval import top_k_cosine

    excluded = self_exclusions(corpus)
    ranking = top_k_cosine(baseline.queries, baseline.documents, 1, exclude=excluded)
    return ranking.indices[:, 0]
