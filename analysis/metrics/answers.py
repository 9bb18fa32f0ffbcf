"""Answer coverage: does the context the LLM receives still contain a reference answer?

A query is *covered* when any of its reference answers occurs in its context (see
``analysis.context``) after SQuAD's normalisation: lower-case, punctuation and the articles
a/an/the removed, whitespace collapsed; the answer must match whole tokens (``"cat"`` is
not found in ``"concatenate"``), as DPR's top-k retrieval accuracy counts it. This is the
pipeline-level signal that needs no LLM: a retriever can rank better on judged documents
while the documents that carried the answers stop reaching the LLM.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from analysis.context import context_parts
from analysis.metrics.family import Family, FamilyResult, Inputs
from analysis.metrics.grouping import domain_groups, mean_or_none
from analysis.metrics.quality import (
    benjamini_hochberg,
    paired_randomisation_test,
    relative_change,
)
from analysis.retrieval import Ranking

CURVE_DEPTH = 50  # coverage curves over k = 1 .. 50
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    """SQuAD's answer normalisation, with punctuation taken from all of Unicode.

    >>> normalize_answer("The  Eiffel-Tower, Paris!")
    'eiffeltower paris'
    >>> normalize_answer("«Les Misérables»")
    'les misérables'
    """
    lowered = text.lower()
    kept = "".join(
        ch
        for ch in lowered
        if ch not in string.punctuation and not unicodedata.category(ch).startswith("P")
    )
    return " ".join(_ARTICLES.sub(" ", kept).split())


def contains_answer(context: str, answers: Sequence[str]) -> bool:
    """Whether any normalised answer occurs in the normalised context as whole tokens.

    >>> contains_answer("It was built in 1889 by Eiffel.", ["1889"])
    True
    >>> contains_answer("concatenate", ["cat"])
    False
    """
    haystack = f" {normalize_answer(context)} "
    return any(
        f" {needle} " in haystack for needle in (normalize_answer(a) for a in answers) if needle
    )


@dataclass(frozen=True)
class AnswerFigures:
    """One domain's answer coverage: the share of its queries with reference answers whose
    context holds one, per model; the mean paired difference and its p-value (raw and
    Benjamini–Hochberg adjusted); and how many queries lost coverage.

    Summary key: ``answers`` (only for domains with answered queries).
    """

    n_answered_queries: int
    answer_coverage: dict[str, float | None]  # per model
    delta: float | None  # candidate - baseline
    p_value: float | None
    p_value_bh: float | None
    lost_coverage_queries: int  # covered under the baseline, not under the candidate
    gained_coverage_queries: int

    def relative_change(self) -> float | None:
        coverage = self.answer_coverage
        return relative_change(coverage.get("baseline"), coverage.get("candidate"))

    def to_json(self) -> dict[str, Any]:
        return {"answers": {f.name: getattr(self, f.name) for f in fields(self)}}

    @classmethod
    def from_json(cls, section: Mapping[str, Any]) -> AnswerFigures | None:
        values = section.get("answers")
        if not isinstance(values, Mapping):
            return None
        return cls(**{f.name: values[f.name] for f in fields(cls)})


@dataclass(frozen=True)
class AnswerResult(FamilyResult):
    """Per query (corpus order): covered under each model (nan without answers) and the
    document that carried the answer; and coverage curves over k."""

    query_ids: tuple[str, ...]
    query_domains: tuple[str, ...]
    covered_baseline: np.ndarray  # 1.0 / 0.0, nan for queries without answers
    covered_candidate: np.ndarray
    answer_doc_baseline: tuple[str | None, ...]
    answer_doc_candidate: tuple[str | None, ...]
    curve: pd.DataFrame  # domain, model, k, coverage
    context: dict[str, Any]  # how the context was built (manifest)
    n_resamples: int = 10_000
    random_state: int = 0

    def query_columns(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "covered_baseline": self.covered_baseline,
                "covered_candidate": self.covered_candidate,
                "answer_doc_baseline": list(self.answer_doc_baseline),
                "answer_doc_candidate": list(self.answer_doc_candidate),
            }
        )

    def to_frame(self) -> pd.DataFrame:
        keys = pd.DataFrame({"query_id": self.query_ids, "domain": self.query_domains})
        return pd.concat([keys, self.query_columns()], axis=1)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"answer_curve": self.curve}

    def manifest_entries(self) -> dict[str, Any]:
        return {"context": self.context}

    def by_domain(self, names: Sequence[str]) -> dict[str, AnswerFigures]:
        answered = np.isfinite(self.covered_baseline)
        entries: dict[str, dict[str, Any]] = {}
        for name, rows in domain_groups(self.query_domains, names).items():
            rows = rows[answered[rows]]
            if not len(rows):
                continue
            base, cand = self.covered_baseline[rows], self.covered_candidate[rows]
            entries[name] = {
                "n_answered_queries": len(rows),
                "answer_coverage": {
                    "baseline": mean_or_none(base),
                    "candidate": mean_or_none(cand),
                },
                "delta": mean_or_none(cand - base),
                "p_value": paired_randomisation_test(
                    cand - base, n_resamples=self.n_resamples, random_state=self.random_state
                ),
                "lost_coverage_queries": int(((base == 1) & (cand == 0)).sum()),
                "gained_coverage_queries": int(((base == 0) & (cand == 1)).sum()),
            }
        tested = {n: e["p_value"] for n, e in entries.items() if n in names}
        adjusted = benjamini_hochberg(tested)
        return {
            name: AnswerFigures(**entry, p_value_bh=adjusted.get(name, entry["p_value"]))
            for name, entry in entries.items()
        }


def answer_coverage(
    rankings: tuple[Ranking, Ranking],
    *,
    k: int,
    budget: int | None,
    answers: Mapping[int, Sequence[str]],
    doc_ids: Sequence[str],
    doc_texts: Sequence[str],
    query_ids: Sequence[str],
    query_domains: Sequence[str],
    n_resamples: int = 10_000,
    random_state: int = 0,
) -> AnswerResult:
    """Coverage of every answered query (``answers``: query position -> answers) under both
    models at depth ``k``, and curves over k = 1 .. the rankings' depth."""
    n = len(query_ids)
    covered = [np.full(n, np.nan), np.full(n, np.nan)]
    carriers: list[list[str | None]] = [[None] * n, [None] * n]
    first_hit = [np.full(n, np.inf), np.full(n, np.inf)]  # rank of the first carrier
    for model, ranking in enumerate(rankings):
        for q, query_answers in answers.items():
            ranked = [int(d) for d in ranking.indices[q] if d >= 0]
            hit = _first_carrier(ranked, doc_texts, query_answers, budget)
            if hit is not None:
                first_hit[model][q] = hit[0]
            at_k = hit is not None and hit[0] <= k
            covered[model][q] = 1.0 if at_k else 0.0
            carriers[model][q] = doc_ids[hit[1]] if at_k and hit is not None else None
    curve = _curve(first_hit, answers, query_domains, rankings[0].k)
    return AnswerResult(
        tuple(query_ids),
        tuple(query_domains),
        covered[0],
        covered[1],
        tuple(carriers[0]),
        tuple(carriers[1]),
        curve,
        {"by": "top-k", "k": k, "budget": budget, "budget_unit": "characters"},
        n_resamples,
        random_state,
    )


def _first_carrier(
    ranked: Sequence[int], texts: Sequence[str], answers: Sequence[str], budget: int | None
) -> tuple[int, int] | None:
    """(rank from 1, position) of the first document whose in-context part holds an answer.

    The budget is applied to the whole ranking, so a carrier deep in the list counts only
    if its answer still fits; the rank then says from which k on the query is covered.
    """
    parts = context_parts(ranked, texts, k=len(ranked), budget=budget)
    for rank, (position, part) in enumerate(parts, start=1):
        if contains_answer(part, answers):
            return rank, position
    return None


def _curve(
    first_hit: list[np.ndarray],
    answers: Mapping[int, Sequence[str]],
    query_domains: Sequence[str],
    depth: int,
) -> pd.DataFrame:
    answered = np.array(sorted(answers), dtype=np.int64)
    labels = [query_domains[q] for q in answered]
    rows = []
    for name, members in domain_groups(labels, sorted(set(labels))).items():
        for model, hits in zip(("baseline", "candidate"), first_hit, strict=True):
            ranks = hits[answered[members]]
            for at in range(1, depth + 1):
                rows.append(
                    {
                        "domain": name,
                        "model": model,
                        "k": at,
                        "coverage": float((ranks <= at).mean()) if len(ranks) else np.nan,
                    }
                )
    return pd.DataFrame(rows, columns=["domain", "model", "k", "coverage"])


def _compute(inputs: Inputs) -> AnswerResult | None:
    corpus, config = inputs.corpus, inputs.config
    answers = {corpus.query_index[q]: a for q, a in corpus.answers.items()}
    if not answers:
        return None
    with inputs.progress.stage("answer coverage"):
        return answer_coverage(
            (
                _to_depth(inputs.baseline_ranking, corpus.n_docs),
                _to_depth(inputs.candidate_ranking, corpus.n_docs),
            ),
            k=config.k,
            budget=config.context_budget,
            answers=answers,
            doc_ids=corpus.doc_ids,
            doc_texts=corpus.doc_texts,
            query_ids=corpus.query_ids,
            query_domains=corpus.query_domains,
            n_resamples=config.permutation_resamples,
            random_state=config.random_state,
        )


def _to_depth(ranking: Ranking, n_docs: int) -> Ranking:
    """compare's ranking (deep enough for the curves) without padding beyond the corpus."""
    depth = min(ranking.k, n_docs)
    return Ranking(ranking.indices[:, :depth], ranking.scores[:, :depth])


ANSWERS = Family("answers", _compute)
