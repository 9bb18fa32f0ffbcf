"""Tables for people: the engine's column names become labels with units, shares become
percentages, judged grades become words and p-values read "< 0.001" when that small.

Sections keep the engine's names (tests and the bundle speak them); the dashboard and the
report pass every table through :func:`for_people` just before showing it, so both read
the same. A column not listed here keeps its name and values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.numbers import p_text

# kinds: how a column's values read
ID, TEXT, COUNT, NUMBER, SCORE, DELTA, SHARE, CHANGE, POINTS, P, GRADE, YES_NO, MOVE = (
    "id",
    "text",
    "count",
    "number",
    "score",
    "delta",
    "share",
    "change",
    "points",
    "p",
    "grade",
    "yes/no",
    "move",
)


@dataclass(frozen=True)
class Column:
    label: str
    kind: str


COLUMNS: dict[str, Column] = {
    # who and what
    "query_id": Column("Query", ID),
    "doc_id": Column("Document", ID),
    "domain": Column("Domain", TEXT),
    "doc_domain": Column("Document's domain", TEXT),
    "title": Column("Title", TEXT),
    "text_preview": Column("Snippet", TEXT),
    "text": Column("Query text", TEXT),
    "reference_answers": Column("Reference answers", TEXT),
    "item": Column("Item", TEXT),
    "value": Column("Value", TEXT),
    # retrieval overlap and changed answers
    "jaccard": Column("Top-k overlap", SHARE),
    "rbo": Column("Rank agreement (RBO)", SHARE),
    "n_left": Column("Documents that left the top-k", COUNT),
    "n_entered": Column("Documents that entered it", COUNT),
    "relevant_left": Column("Judged-relevant documents that left", COUNT),
    "relevance_lost": Column("nDCG@10 lost", SCORE),
    "rank_shift": Column("Mean rank shift", NUMBER),
    "rank": Column("Rank", COUNT),
    "score": Column("Similarity", SCORE),
    "grade": Column("Judged", GRADE),
    "change": Column("In the other top-k?", MOVE),
    # drift and reach
    "neighbourhood_jaccard": Column("Neighbours kept", SHARE),
    "purity_baseline": Column("Same-domain neighbours, baseline", SHARE),
    "purity_candidate": Column("Same-domain neighbours, candidate", SHARE),
    "reach_baseline": Column("Queries reaching it, baseline", COUNT),
    "reach_candidate": Column("Queries reaching it, candidate", COUNT),
    # thresholds
    "score_baseline": Column("Similarity, baseline", SCORE),
    "score_candidate": Column("Similarity, candidate", SCORE),
    "score_drop": Column("Similarity drop", SCORE),
    "admitted by the baseline": Column("Pairs the baseline admits", COUNT),
    "excluded @ same cutoff": Column("Excluded at the same cutoff", SHARE),
    "excluded @ calibrated": Column("Excluded at the calibrated cutoff", SHARE),
    "judged-relevant excluded": Column("Judged-relevant pairs excluded", COUNT),
    "of judged-relevant admitted": Column("Share of judged-relevant pairs", SHARE),
    # scorecard
    "top-k overlap": Column("Top-k overlap", SHARE),
    "neighbourhood kept": Column("Neighbours kept", SHARE),
    "relevant excluded": Column("Judged-relevant excluded", SHARE),
    "Δ nDCG@10": Column("Δ nDCG@10", CHANGE),
    "Δ recall@k": Column("Δ recall@k", CHANGE),
    "worst other domain: nDCG@10 change": Column("Worst other domain: nDCG@10 change", CHANGE),
    "p Δ nDCG@10": Column("p, Δ nDCG@10", P),
    "p Δ recall@k": Column("p, Δ recall@k", P),
    "lost reach": Column("Documents no query reaches now", COUNT),
    # answers
    "answered queries": Column("Queries with answers", COUNT),
    "coverage baseline": Column("Coverage, baseline", SHARE),
    "coverage candidate": Column("Coverage, candidate", SHARE),
    "Δ (candidate − baseline)": Column("Δ coverage", POINTS),
    "p (BH)": Column("p (BH)", P),
    "lost coverage": Column("Queries that lost it", COUNT),
    "gained coverage": Column("Queries that gained it", COUNT),
    "answer_doc_baseline": Column("Document that held the answer", ID),
    "answer_doc_neighbourhood_jaccard": Column("Its neighbours kept", SHARE),
    "answer_doc_baseline_rank_candidate": Column("Its rank under the candidate", NUMBER),
    # the LLM
    "llm_answer_baseline": Column("LLM's answer, baseline context", TEXT),
    "llm_answer_candidate": Column("LLM's answer, candidate context", TEXT),
    "llm_f1_baseline": Column("F1, baseline", SCORE),
    "llm_f1_candidate": Column("F1, candidate", SCORE),
    "llm_preference": Column("The judge prefers", TEXT),
    "relevant": Column("Relevant, says the LLM", YES_NO),
    "kept": Column("Still a neighbour under the candidate", YES_NO),
    "new": Column("New under the candidate", YES_NO),
    "ΔF1 p (BH)": Column("p (BH), ΔF1", P),
    "net p (BH)": Column("p (BH), net relevant", P),
    "EM baseline": Column("Exact match, baseline", SHARE),
    "EM candidate": Column("Exact match, candidate", SHARE),
    "ΔF1": Column("ΔF1", DELTA),
    "Tuned domains' Δ nDCG@10": Column("Tuned domains' Δ nDCG@10", DELTA),
    "Its Δ nDCG@10": Column("Its Δ nDCG@10", DELTA),
    "F1 baseline": Column("F1, baseline", SCORE),
    "F1 candidate": Column("F1, candidate", SCORE),
    "queries": Column("Queries sampled", COUNT),
    "dropped: judged relevant": Column("Relevant documents dropped", COUNT),
    "added: judged relevant": Column("Relevant documents added", COUNT),
    "net relevant per query": Column("Net relevant per query", SCORE),
    "unreadable verdicts": Column("Unreadable verdicts", COUNT),
    # near misses
    "items": Column("Items", COUNT),
    "rule": Column("Rule", TEXT),
    "sensitivity baseline": Column("Told apart, baseline", SHARE),
    "sensitivity candidate": Column("Told apart, candidate", SHARE),
    "Δ sensitivity": Column("Δ told apart", POINTS),
    "margin baseline": Column("Margin, baseline", SCORE),
    "margin candidate": Column("Margin, candidate", SCORE),
    "margin_baseline": Column("Margin, baseline", SCORE),
    "margin_candidate": Column("Margin, candidate", SCORE),
    "passage": Column("Passage", TEXT),
    "near_miss": Column("Near miss", TEXT),
    "query": Column("Query", TEXT),
    # the gate
    "guardrail": Column("Guardrail", TEXT),
    "result": Column("Result", TEXT),
    "detail": Column("Detail", TEXT),
}
KIND_OF_LABEL = {column.label: column.kind for column in COLUMNS.values()}
GRADES = {0: "not relevant", 1: "relevant", 2: "highly relevant", 3: "perfectly relevant"}
MOVES = {
    "kept": "in both",
    "left": "left the top-k",
    "entered": "entered the top-k",
}


@dataclass(frozen=True)
class PeopleTable:
    """A table ready to show: labelled columns and converted values, and each numeric
    column's kind (the dashboard and the report format by it)."""

    frame: pd.DataFrame
    kinds: dict[str, str]


def for_people(frame: pd.DataFrame) -> PeopleTable:
    """The table with labels and readable values; shares become percentages (0.42 -> 42.0)."""
    out = frame.copy()
    kinds: dict[str, str] = {}
    renames: dict[str, str] = {}
    for name in out.columns:
        column = COLUMNS.get(str(name))
        if column is None:
            continue
        label = column.label if column.label not in renames.values() else f"{column.label} ({name})"
        renames[name] = label
        kinds[label] = column.kind
        out[name] = _converted(out[name], column.kind)
    out = out.rename(columns=renames)
    if out.index.name in COLUMNS:
        out.index.name = COLUMNS[str(out.index.name)].label
    return PeopleTable(out, kinds)


def grade_word(grade: object) -> str:
    """A judged grade in words: "not judged" when there is no judgment."""
    if grade is None or grade is pd.NA or (isinstance(grade, float) and np.isnan(grade)):
        return "not judged"
    value = int(grade)  # type: ignore[call-overload]
    return GRADES.get(value, f"grade {value}")


def _converted(values: pd.Series, kind: str) -> pd.Series:
    if kind in (SHARE, CHANGE, POINTS) and pd.api.types.is_numeric_dtype(values):
        return values.astype(float) * 100
    if kind == P and pd.api.types.is_numeric_dtype(values):
        return values.map(lambda p: p_text(None if pd.isna(p) else float(p)))
    if kind == GRADE:
        return values.map(grade_word)
    if kind == MOVE:
        return values.map(lambda v: MOVES.get(str(v), v))
    if kind == YES_NO:
        return values.map(lambda v: "–" if pd.isna(v) else ("yes" if bool(v) else "no"))
    return values


def cell_text(value: object, kind: str | None) -> str:
    """One value as the report prints it."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "–"
    if isinstance(value, float | np.floating):
        if kind == SHARE:
            return f"{value:.1f}%"
        if kind == CHANGE:
            return f"{value:+.1f}%"
        if kind == POINTS:
            return f"{value:+.1f} pp"
        if kind == NUMBER:
            return f"{value:.1f}"
        if kind == DELTA:
            return f"{value:+.3f}"
        if kind == COUNT and float(value).is_integer():
            return f"{int(value):,}"
        return f"{value:.3f}"
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return f"{int(value):,}"
    return str(value)
