"""Changed results: the queries whose top-k changed, what entered and left, and why it matters.

Links drift to impact: every document that left a query's results carries its own
neighbourhood drift, and every drifting document lists the queries it left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.metrics.drift import DRIFT, DriftResult
from analysis.metrics.family import Family, FamilyResult, Inputs
from analysis.metrics.grouping import domain_groups
from analysis.metrics.overlap import OVERLAP, OverlapResult
from analysis.retrieval import Ranking

_QUERY_COLUMNS = ["changed", "rank_shift", "relevant_left"]


@dataclass(frozen=True)
class ChangedFigures:
    """How many of a domain's queries got a different top-k set (summary key
    ``changed_queries``)."""

    changed_queries: int

    def to_json(self) -> dict[str, Any]:
        return {"changed_queries": self.changed_queries}

    @classmethod
    def from_json(cls, section: Mapping[str, Any]) -> ChangedFigures | None:
        value = section.get("changed_queries")
        return None if value is None else cls(int(value))


@dataclass(frozen=True)
class ChangedAnswers(FamilyResult):
    """One row per query (``queries``) and one row per (query, document) change (``moves``)."""

    queries: pd.DataFrame
    moves: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        return self.queries

    def query_columns(self) -> pd.DataFrame:
        return self.queries[_QUERY_COLUMNS]

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"changes": self.moves}

    def by_domain(self, names: Sequence[str]) -> dict[str, ChangedFigures]:
        changed = self.queries["changed"].to_numpy(bool)
        return {
            name: ChangedFigures(int(changed[rows].sum()))
            for name, rows in domain_groups(self.queries["domain"].to_numpy(object), names).items()
        }

    def side_by_side(self, query_id: str) -> pd.DataFrame:
        """Rank-aligned baseline and candidate lists for one query (what the dashboard shows)."""
        rows = self.moves[self.moves["query_id"] == query_id]
        return rows.sort_values(["rank_baseline", "rank_candidate"], na_position="last")


def changed_answers(
    baseline: Ranking,
    candidate: Ranking,
    *,
    k: int,
    overlap: OverlapResult,
    drift: DriftResult | None,
    qrels_positions: Mapping[int, Mapping[int, int]],
    doc_ids: Sequence[str],
    doc_domains: Sequence[str],
) -> ChangedAnswers:
    """Per query: changed or not, rank shift and relevance lost; per document: its moves
    (each with its drift, unknown where drift was not computed: a remedy setting's own
    space)."""
    drift_of = np.full(len(doc_ids), np.nan)
    if drift is not None:
        drift_of[drift.positions] = drift.jaccard
    move_rows = []
    shifts = np.zeros(len(overlap.query_ids))
    for q in range(len(overlap.query_ids)):
        ranks_b = _ranks(baseline.indices[q, :k])
        ranks_c = _ranks(candidate.indices[q, :k])
        shifts[q] = _rank_shift(ranks_b, ranks_c, k)
        judged = qrels_positions.get(q, {})
        for doc in sorted(set(ranks_b) | set(ranks_c), key=lambda d: _order(d, ranks_b, ranks_c)):
            move_rows.append(_move(q, doc, ranks_b, ranks_c, baseline, candidate, judged, drift_of))
    moves = _moves_frame(move_rows, overlap.query_ids, doc_ids, doc_domains)
    queries = _queries_frame(overlap, shifts, moves)
    return ChangedAnswers(queries, moves)


def _ranks(row: np.ndarray) -> dict[int, int]:
    return {int(d): rank for rank, d in enumerate(row, start=1) if d >= 0}


def _rank_shift(ranks_b: dict[int, int], ranks_c: dict[int, int], k: int) -> float:
    """Mean |rank change| over the union of both lists; a missing document counts as k + 1."""
    union = set(ranks_b) | set(ranks_c)
    if not union:
        return 0.0
    return float(np.mean([abs(ranks_b.get(d, k + 1) - ranks_c.get(d, k + 1)) for d in union]))


def _order(doc: int, ranks_b: dict[int, int], ranks_c: dict[int, int]) -> tuple[int, int]:
    return (ranks_b.get(doc, 10**9), ranks_c.get(doc, 10**9))


def _move(
    q: int,
    doc: int,
    ranks_b: dict[int, int],
    ranks_c: dict[int, int],
    baseline: Ranking,
    candidate: Ranking,
    judged: Mapping[int, int],
    drift_of: np.ndarray,
) -> dict[str, Any]:
    in_b, in_c = doc in ranks_b, doc in ranks_c
    return {
        "query": q,
        "doc": doc,
        "rank_baseline": ranks_b.get(doc),
        "rank_candidate": ranks_c.get(doc),
        "score_baseline": float(baseline.scores[q, ranks_b[doc] - 1]) if in_b else None,
        "score_candidate": float(candidate.scores[q, ranks_c[doc] - 1]) if in_c else None,
        "change": "kept" if in_b and in_c else ("left" if in_b else "entered"),
        "grade": judged.get(doc),
        "doc_neighbourhood_jaccard": drift_of[doc],
    }


def _moves_frame(
    rows: list[dict[str, Any]],
    query_ids: Sequence[str],
    doc_ids: Sequence[str],
    doc_domains: Sequence[str],
) -> pd.DataFrame:
    columns = [
        "query",
        "doc",
        "rank_baseline",
        "rank_candidate",
        "score_baseline",
        "score_candidate",
        "change",
        "grade",
        "doc_neighbourhood_jaccard",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    frame.insert(0, "query_id", np.asarray(query_ids, dtype=object)[frame["query"].to_numpy(int)])
    frame.insert(1, "doc_id", np.asarray(doc_ids, dtype=object)[frame["doc"].to_numpy(int)])
    frame.insert(2, "doc_domain", np.asarray(doc_domains, dtype=object)[frame["doc"].to_numpy(int)])
    for column in ("rank_baseline", "rank_candidate", "grade"):
        frame[column] = frame[column].astype("Int64")
    return frame.drop(columns=["query", "doc"])


def _queries_frame(overlap: OverlapResult, shifts: np.ndarray, moves: pd.DataFrame) -> pd.DataFrame:
    frame = overlap.to_frame()
    frame["changed"] = frame["jaccard"] < 1.0
    frame["rank_shift"] = shifts
    left = moves[moves["change"] == "left"]
    relevant_left = left[left["grade"].fillna(0) > 0].groupby("query_id").size()
    frame["relevant_left"] = frame["query_id"].map(relevant_left).fillna(0).astype(int)
    return frame


def _compute(inputs: Inputs) -> ChangedAnswers:
    corpus = inputs.corpus
    with inputs.progress.stage("changed answers"):
        return changed_answers(
            inputs.baseline_ranking,
            inputs.candidate_ranking,
            k=inputs.config.k,
            overlap=inputs.result(OVERLAP),
            drift=inputs.result(DRIFT) if DRIFT.name in inputs.earlier else None,
            qrels_positions=inputs.qrels,
            doc_ids=corpus.doc_ids,
            doc_domains=corpus.doc_domains,
        )


CHANGED = Family("changed", _compute)
