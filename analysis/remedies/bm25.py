"""BM25 over the corpus' texts with bm25s (Lucene's variant: k1 = 1.5, b = 0.75).

Tokenisation, stated: lower-cased, tokens of two or more word characters
(``(?u)\\b\\w\\w+\\b``, scikit-learn's CountVectorizer pattern), English stopwords removed
(bm25s' list), no stemming. A document's text is what the models read (the corpus' text).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

K1, B = 1.5, 0.75


@dataclass(frozen=True)
class LexicalRun:
    """Each query's top documents by BM25 (positions, -1 padded; scores), the index's size
    and the seconds retrieval took."""

    indices: np.ndarray
    scores: np.ndarray
    index_bytes: int
    seconds: float


def bm25_top(
    doc_texts: Sequence[str],
    query_texts: Sequence[str],
    depth: int,
    *,
    exclude: np.ndarray | None = None,
) -> LexicalRun:
    """The top ``depth`` documents of every query by BM25 (``exclude``: per query, a
    document position it may not retrieve, -1 for none)."""
    import bm25s

    def tokens(texts: Sequence[str]) -> list[list[str]]:
        return bm25s.tokenize(list(texts), stopwords="en", return_ids=False, show_progress=False)

    retriever = bm25s.BM25(k1=K1, b=B, method="lucene")
    retriever.index(tokens(doc_texts), show_progress=False)
    index_bytes = sum(
        int(np.asarray(v).nbytes) for v in retriever.scores.values() if hasattr(v, "nbytes")
    )
    started = time.perf_counter()
    reach = min(depth + 1, len(doc_texts))
    indices = np.full((len(query_texts), depth), -1, dtype=np.int64)
    scores = np.full((len(query_texts), depth), np.nan, dtype=np.float32)
    for q, query in enumerate(tokens(query_texts)):
        known = [t for t in query if t in retriever.vocab_dict]
        if not known:
            continue  # no query term in the corpus: BM25 retrieves nothing
        row = retriever.get_scores(known)
        if exclude is not None and exclude[q] >= 0:
            row[exclude[q]] = -np.inf
        top = np.argsort(-row, kind="stable")[:reach]
        top = top[np.isfinite(row[top]) & (row[top] > 0)][:depth]
        indices[q, : len(top)] = top
        scores[q, : len(top)] = row[top]
    return LexicalRun(indices, scores, index_bytes, time.perf_counter() - started)


def scores_of(doc_texts: Sequence[str], query: str) -> np.ndarray:
    """Every document's BM25 score for one query (for checking against another
    implementation)."""
    import bm25s

    retriever = bm25s.BM25(k1=K1, b=B, method="lucene")
    corpus_tokens = bm25s.tokenize(
        list(doc_texts), stopwords="en", return_ids=False, show_progress=False
    )
    retriever.index(corpus_tokens, show_progress=False)
    terms = bm25s.tokenize([query], stopwords="en", return_ids=False, show_progress=False)[0]
    known = [t for t in terms if t in retriever.vocab_dict]
    return retriever.get_scores(known) if known else np.zeros(len(doc_texts), np.float32)
