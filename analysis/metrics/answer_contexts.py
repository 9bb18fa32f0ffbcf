"""The context an LLM receives from each model's ranking: how it is chosen (top-k or at the
cutoff, cut at the budget) and, for the queries that changed, both contexts part by part."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.context import ContextMeasure, context_parts, measure_for, selected
from analysis.metrics.family import Inputs
from analysis.metrics.thresholds import default_cutoff
from analysis.retrieval import Ranking

MODELS = ("baseline", "candidate")


@dataclass(frozen=True)
class ContextSetting:
    """How the context is built: top-k or at/above the cutoff, then cut at the budget."""

    by: str  # "top-k" or "cutoff"
    k: int
    cutoff: float
    budget: int | None
    measure: ContextMeasure

    def documents(self, ranking: Ranking, query: int) -> list[int]:
        return selected(
            ranking.indices[query], ranking.scores[query], by=self.by, k=self.k, cutoff=self.cutoff
        )

    def describe(self, depth: int) -> dict[str, Any]:
        return {
            "by": self.by,
            "k": self.k,
            "cutoff": self.cutoff,
            "max_documents": self.k if self.by == "top-k" else depth,
            "budget": self.budget,
            "budget_unit": self.measure.unit,
        }


def context_setting(inputs: Inputs) -> ContextSetting:
    """The comparison's context: its k or cutoff (the baseline's default when unset), its
    budget and the measure that counts it."""
    config = inputs.config
    cutoff = config.cutoff
    if cutoff is None:
        cutoff = default_cutoff(inputs.baseline_ranking, config.k)
    measure = measure_for(config.context_tokenizer)
    return ContextSetting(config.context_by, config.k, cutoff, config.context_budget, measure)


def ranked_to_depth(inputs: Inputs) -> tuple[Ranking, Ranking]:
    """Both of compare's rankings, without padding beyond the corpus."""
    n_docs = inputs.corpus.n_docs
    return _to_depth(inputs.baseline_ranking, n_docs), _to_depth(inputs.candidate_ranking, n_docs)


def _to_depth(ranking: Ranking, n_docs: int) -> Ranking:
    """compare's ranking (deep enough for the curves) without padding beyond the corpus."""
    depth = min(ranking.k, n_docs)
    return Ranking(ranking.indices[:, :depth], ranking.scores[:, :depth])


def contexts_of(
    rankings: tuple[Ranking, Ranking],
    queries: np.ndarray,
    setting: ContextSetting,
    carries: Callable[[int, int, str], bool],
    spans: Callable[[int, str], tuple[int, int] | None],
    doc_ids: Sequence[str],
    doc_texts: Sequence[str],
    query_ids: Sequence[str],
) -> pd.DataFrame:
    """Both contexts of every query whose coverage changed, a row per document part.

    ``carries`` marks the parts that give the query what it needs; ``span_start`` /
    ``span_end`` locate the answer inside ``text`` (answer coverage only).
    """
    rows = []
    for q in queries:
        for model, ranking in zip(MODELS, rankings, strict=True):
            chosen = setting.documents(ranking, q)
            parts = context_parts(
                chosen, doc_texts, k=len(chosen), budget=setting.budget, measure=setting.measure
            )
            for rank, (position, part) in enumerate(parts, start=1):
                carried = carries(q, position, part)
                span = spans(q, part) if carried else None
                rows.append(
                    {
                        "query_id": query_ids[q],
                        "model": model,
                        "rank": rank,
                        "doc_id": doc_ids[position],
                        "score": float(ranking.scores[q, rank - 1]),
                        "text": part,
                        "carries": carried,
                        "span_start": span[0] if span else None,
                        "span_end": span[1] if span else None,
                    }
                )
    frame = pd.DataFrame(
        rows,
        columns=[
            "query_id",
            "model",
            "rank",
            "doc_id",
            "score",
            "text",
            "carries",
            "span_start",
            "span_end",
        ],
    )
    return frame.astype(
        {"rank": "int64", "carries": bool, "span_start": "Int64", "span_end": "Int64"}
    )
