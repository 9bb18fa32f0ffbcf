"""Where in a ranking a query's need is first met: the first document whose in-context part
carries it (an answer, or a judged document of the query's best grade), and where another
ranking puts that document. Coverage, its curves and the changed contexts read these."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from analysis.context import context_parts
from analysis.metrics.answer_contexts import ContextSetting
from analysis.metrics.pairs import PairTable, compacted
from analysis.retrieval import Ranking

Carries = Callable[[int, int, str], bool]  # (query, document position, its part) -> carries?


def first_carrier(
    ranking: Ranking, query: int, texts: Sequence[str], setting: ContextSetting, carries: Carries
) -> tuple[int, float, int] | None:
    """(rank from 1, score, document position) of the first document whose in-context part
    carries what the query needs.

    The budget is applied to the whole retrieved list, so a carrier deep in it counts only
    if its part still fits; its rank and score then say from which k, and up to which
    cutoff, the query is covered.
    """
    ranked = [int(d) for d in ranking.indices[query] if d >= 0]
    parts = context_parts(
        ranked, texts, k=len(ranked), budget=setting.budget, measure=setting.measure
    )
    for rank, (position, part) in enumerate(parts, start=1):
        if carries(query, position, part):
            return rank, float(ranking.scores[query, rank - 1]), position
    return None


def first_listed(
    ranking: Ranking, rows: np.ndarray, listed: Mapping[int, set[int]]
) -> tuple[np.ndarray, np.ndarray]:
    """Per query of ``rows``: the rank (from 1; 0: none) and position of its first retrieved
    document in ``listed[query]``, padding skipped: :func:`first_carrier` without a budget,
    as array operations."""
    ranked = compacted(ranking.indices[rows])
    if ranked.shape[1] == 0:
        return np.zeros(len(rows), dtype=np.int64), np.full(len(rows), -1, dtype=np.int64)
    table = PairTable({int(q): dict.fromkeys(listed.get(int(q), ()), 1) for q in rows})
    carries, _ = table.lookup(rows, ranked)
    first = carries.argmax(axis=1)
    any_carrier = carries.any(axis=1)
    rank = np.where(any_carrier, first + 1, 0)
    return rank, np.where(any_carrier, ranked[np.arange(len(rows)), first], -1)


def rank_in(ranking: Ranking, docs: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """Per query, the rank (from 1) of ``docs[query]`` in ``ranking`` (nan: not retrieved)."""
    out = np.full(n, np.nan)
    for q in rows:
        if docs[q] >= 0:
            found = np.flatnonzero(ranking.indices[q] == docs[q])
            out[q] = found[0] + 1 if len(found) else np.nan
    return out
