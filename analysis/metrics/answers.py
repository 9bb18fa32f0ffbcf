"""Answer coverage: does the context the LLM receives still contain a reference answer?

A query is *covered* when any of its reference answers occurs in its context (see
``analysis.context`` for the context, ``analysis.metrics.answer_text`` for the matching).
This is the pipeline-level signal that needs no LLM: a retriever can rank better on judged
documents while the documents that carried the answers stop reaching the LLM.

A corpus with graded judgments and no answers gets *judged-relevant coverage* instead: a
query is covered when its context holds at least one of its highest-grade documents (any
part of it). It is a weaker proxy, and every output names it as such, never as answer
coverage.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from analysis.inputs.corpus import Corpus
from analysis.metrics.answer_contexts import (
    ContextSetting,
    context_setting,
    contexts_of,
    ranked_to_depth,
)
from analysis.metrics.answer_text import answer_span, contains_answer
from analysis.metrics.carriers import Carries, first_carrier, first_listed, rank_in
from analysis.metrics.coverage_curves import cutoff_curve, k_curve
from analysis.metrics.family import Family, FamilyResult, Inputs
from analysis.metrics.grouping import domain_groups, mean_or_none
from analysis.metrics.quality import (
    benjamini_hochberg,
    paired_randomisation_test,
    relative_change,
)
from analysis.retrieval import Ranking

MODELS = ("baseline", "candidate")


@dataclass(frozen=True)
class CoverageFigures:
    """One domain's coverage: the share of its measured queries whose context holds what
    they need, per model; the mean paired difference and its p-value (raw and
    Benjamini–Hochberg adjusted); and how many queries lost and gained coverage."""

    KEY: ClassVar[str]
    JSON_NAMES: ClassVar[dict[str, str]]  # field -> its summary.json name, where they differ

    n_queries: int
    coverage: dict[str, float | None]  # per model
    delta: float | None  # candidate - baseline
    p_value: float | None
    p_value_bh: float | None
    lost_coverage_queries: int  # covered under the baseline, not under the candidate
    gained_coverage_queries: int

    def relative_change(self) -> float | None:
        return relative_change(self.coverage.get("baseline"), self.coverage.get("candidate"))

    def to_json(self) -> dict[str, Any]:
        values = {self.JSON_NAMES.get(f.name, f.name): getattr(self, f.name) for f in fields(self)}
        return {self.KEY: values}

    @classmethod
    def from_json(cls, section: Mapping[str, Any]) -> Self | None:
        values = section.get(cls.KEY)
        if not isinstance(values, Mapping):
            return None
        return cls(**{f.name: values[cls.JSON_NAMES.get(f.name, f.name)] for f in fields(cls)})


@dataclass(frozen=True)
class AnswerFigures(CoverageFigures):
    """Answer coverage of a domain's queries with reference answers (summary key ``answers``)."""

    KEY = "answers"
    JSON_NAMES = {"n_queries": "n_answered_queries", "coverage": "answer_coverage"}


@dataclass(frozen=True)
class JudgedCoverageFigures(CoverageFigures):
    """Judged-relevant coverage of a domain's judged queries, for corpora without answers
    (summary key ``judged_coverage``)."""

    KEY = "judged_coverage"
    JSON_NAMES = {"n_queries": "n_judged_queries", "coverage": "judged_relevant_coverage"}


@dataclass(frozen=True)
class CoverageKind:
    """What a query needs in its context, and the names its outputs go by."""

    name: str  # "answer" or "judged"
    label: str  # how pages and the terminal name the measure
    covered_column: str  # per-query columns: <covered_column>_baseline / _candidate
    carrier_column: str  # the document that carried it: <carrier_column>_baseline / ...
    needs_column: str  # what each query needs, in words (its answers, its top-grade documents)
    table_prefix: str  # <prefix>_curve, <prefix>_cutoff_curve, <prefix>_contexts
    figures: type[CoverageFigures]

    def tables(self) -> tuple[str, str, str]:
        prefix = self.table_prefix
        return f"{prefix}_curve", f"{prefix}_cutoff_curve", f"{prefix}_contexts"


ANSWER = CoverageKind(
    "answer",
    "answer coverage",
    "covered",
    "answer_doc",
    "reference_answers",
    "answer",
    AnswerFigures,
)
JUDGED = CoverageKind(
    "judged",
    "judged-relevant coverage",
    "judged_covered",
    "judged_doc",
    "top_grade_docs",
    "judged",
    JudgedCoverageFigures,
)
NEEDS_SEPARATOR = " | "
KINDS = (ANSWER, JUDGED)


@dataclass(frozen=True)
class AnswerResult(FamilyResult):
    """Per query (corpus order): covered under each model (nan where not measured), the
    document that carried it, and where the baseline's carrier ranks under the candidate;
    coverage curves over k and over the cutoff; and, for every query whose coverage changed,
    both contexts as the LLM would read them."""

    kind: CoverageKind
    query_ids: tuple[str, ...]
    query_domains: tuple[str, ...]
    needs: tuple[str | None, ...]  # what each measured query needs, joined by NEEDS_SEPARATOR
    covered_baseline: np.ndarray  # 1.0 / 0.0, nan for queries not measured
    covered_candidate: np.ndarray
    carrier_baseline: tuple[str | None, ...]
    carrier_candidate: tuple[str | None, ...]
    carrier_rank_in_candidate: np.ndarray  # the baseline carrier's candidate rank (nan: none)
    curve: pd.DataFrame  # domain, model, k, coverage
    cutoff_curve: pd.DataFrame  # domain, model, cutoff, coverage
    contexts: pd.DataFrame  # query_id, model, rank, doc_id, score, text, carries, span
    context: dict[str, Any]  # how the context was built (manifest)
    n_resamples: int = 10_000  # 0: no significance test (p-values None)
    random_state: int = 0
    weights: np.ndarray | None = None  # each query's asks (a query log); None: one each

    def query_columns(self) -> pd.DataFrame:
        covered, carrier = self.kind.covered_column, self.kind.carrier_column
        return pd.DataFrame(
            {
                self.kind.needs_column: list(self.needs),
                f"{covered}_baseline": self.covered_baseline,
                f"{covered}_candidate": self.covered_candidate,
                f"{carrier}_baseline": list(self.carrier_baseline),
                f"{carrier}_candidate": list(self.carrier_candidate),
                f"{carrier}_baseline_rank_candidate": self.carrier_rank_in_candidate,
            }
        )

    def to_frame(self) -> pd.DataFrame:
        keys = pd.DataFrame({"query_id": self.query_ids, "domain": self.query_domains})
        return pd.concat([keys, self.query_columns()], axis=1)

    def tables(self) -> dict[str, pd.DataFrame]:
        curve, cutoff_curve, contexts = self.kind.tables()
        return {curve: self.curve, cutoff_curve: self.cutoff_curve, contexts: self.contexts}

    def manifest_entries(self) -> dict[str, Any]:
        return {"context": self.context}

    def by_domain(self, names: Sequence[str]) -> dict[str, CoverageFigures]:
        measured = np.isfinite(self.covered_baseline)
        entries: dict[str, dict[str, Any]] = {}
        for name, rows in domain_groups(self.query_domains, names).items():
            rows = rows[measured[rows]]
            if not len(rows):
                continue
            base, cand = self.covered_baseline[rows], self.covered_candidate[rows]
            asks = None if self.weights is None else self.weights[rows]
            entries[name] = {
                "n_queries": len(rows),
                "coverage": {
                    "baseline": mean_or_none(base, asks),
                    "candidate": mean_or_none(cand, asks),
                },
                "delta": mean_or_none(cand - base, asks),
                "p_value": (
                    paired_randomisation_test(
                        cand - base, n_resamples=self.n_resamples, random_state=self.random_state
                    )
                    if self.n_resamples
                    else None
                ),
                "lost_coverage_queries": int(((base == 1) & (cand == 0)).sum()),
                "gained_coverage_queries": int(((base == 0) & (cand == 1)).sum()),
            }
        tested = {
            n: e["p_value"] for n, e in entries.items() if n in names and e["p_value"] is not None
        }
        adjusted = benjamini_hochberg(tested)
        return {
            name: self.kind.figures(**entry, p_value_bh=adjusted.get(name, entry["p_value"]))
            for name, entry in entries.items()
        }


# A query's carrier test: (query position, document position, the document's part in the
# context) -> whether that part gives the query what it needs.


def answer_coverage(
    rankings: tuple[Ranking, Ranking],
    corpus: Corpus,
    *,
    setting: ContextSetting,
    answers: Mapping[int, Sequence[str]],
    n_resamples: int = 10_000,
    random_state: int = 0,
) -> AnswerResult:
    """Answer coverage of every answered query (``answers``: query position -> answers)."""
    return _coverage(
        ANSWER,
        rankings,
        corpus,
        setting=setting,
        measured=sorted(answers),
        needs={q: NEEDS_SEPARATOR.join(a) for q, a in answers.items()},
        carries=lambda q, _, part: contains_answer(part, answers[q]),
        spans=lambda q, part: answer_span(part, answers[q]),
        n_resamples=n_resamples,
        random_state=random_state,
    )


def judged_coverage(
    rankings: tuple[Ranking, Ranking],
    corpus: Corpus,
    *,
    setting: ContextSetting,
    qrels: Mapping[int, Mapping[int, int]],
    n_resamples: int = 10_000,
    random_state: int = 0,
) -> AnswerResult:
    """Judged-relevant coverage: a query (with a positive grade) is covered when its context
    holds any part of a document of its highest grade."""
    best = {
        q: {d for d, g in judged.items() if g == max(judged.values())}
        for q, judged in qrels.items()
        if judged and max(judged.values()) > 0
    }
    return _coverage(
        JUDGED,
        rankings,
        corpus,
        setting=setting,
        measured=sorted(best),
        needs={
            q: NEEDS_SEPARATOR.join(sorted(corpus.doc_ids[d] for d in docs))
            for q, docs in best.items()
        },
        carries=lambda q, d, _: d in best[q],
        spans=lambda q, part: None,
        carrier_docs=best,
        n_resamples=n_resamples,
        random_state=random_state,
    )


def _coverage(
    kind: CoverageKind,
    rankings: tuple[Ranking, Ranking],
    corpus: Corpus,
    *,
    setting: ContextSetting,
    measured: Sequence[int],
    needs: Mapping[int, str],
    carries: Carries,
    spans: Callable[[int, str], tuple[int, int] | None],
    n_resamples: int,
    random_state: int,
    carrier_docs: Mapping[int, set[int]] | None = None,
) -> AnswerResult:
    """``carrier_docs``: the documents that carry whatever part of them is in the context,
    per query (judged coverage), when ``carries`` reads only the document."""
    doc_ids, doc_texts = corpus.doc_ids, corpus.doc_texts
    query_ids, query_domains = corpus.query_ids, corpus.query_domains
    n = len(query_ids)
    # per model: rank (from 1) and score of the first carrier in the budgeted ranking
    first_rank = [np.full(n, np.inf), np.full(n, np.inf)]
    first_score = [np.full(n, -np.inf), np.full(n, -np.inf)]
    first_doc = [np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64)]
    for model, ranking in enumerate(rankings):
        if carrier_docs is not None and setting.budget is None:  # every document whole
            rows = np.asarray(measured, dtype=np.int64)
            rank, doc = first_listed(ranking, rows, carrier_docs)
            found = rows[rank > 0]
            first_rank[model][found] = rank[rank > 0]
            first_score[model][found] = ranking.scores[found, rank[rank > 0] - 1]
            first_doc[model][found] = doc[rank > 0]
            continue
        for q in measured:
            hit = first_carrier(ranking, q, doc_texts, setting, carries)
            if hit is not None:
                first_rank[model][q], first_score[model][q], first_doc[model][q] = hit
    covered = [np.full(n, np.nan), np.full(n, np.nan)]
    carrier: list[list[str | None]] = [[None] * n, [None] * n]
    rows = np.asarray(measured, dtype=np.int64)
    for model in range(2):
        if setting.by == "top-k":
            inside = first_rank[model][rows] <= setting.k
        else:
            inside = first_score[model][rows] >= setting.cutoff
        covered[model][rows] = inside.astype(float)
        for q, yes in zip(rows, inside, strict=True):
            carrier[model][q] = doc_ids[first_doc[model][q]] if yes else None
    changed = rows[covered[0][rows] != covered[1][rows]]
    depth = rankings[0].k
    return AnswerResult(
        kind,
        tuple(query_ids),
        tuple(query_domains),
        tuple(needs.get(q) for q in range(n)),
        covered[0],
        covered[1],
        tuple(carrier[0]),
        tuple(carrier[1]),
        rank_in(rankings[1], first_doc[0], rows, n),
        k_curve(first_rank, rows, query_domains, depth),
        cutoff_curve(first_score, rows, query_domains, setting.cutoff),
        contexts_of(rankings, changed, setting, carries, spans, doc_ids, doc_texts, query_ids),
        setting.describe(depth),
        n_resamples,
        random_state,
        corpus.query_weight_array,
    )


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def _compute(inputs: Inputs) -> AnswerResult | None:
    corpus, config = inputs.corpus, inputs.config
    answers = {corpus.query_index[q]: a for q, a in corpus.answers.items()}
    if not answers and not inputs.qrels:
        return None
    rankings = ranked_to_depth(inputs)
    setting = context_setting(inputs)
    common: dict[str, Any] = {
        "setting": setting,
        "n_resamples": config.permutation_resamples if config.inference else 0,
        "random_state": config.random_state,
    }
    if answers:
        with inputs.progress.stage("answer coverage"):
            return answer_coverage(rankings, corpus, answers=answers, **common)
    with inputs.progress.stage("judged-relevant coverage (no reference answers)"):
        return judged_coverage(rankings, corpus, qrels=inputs.qrels, **common)


ANSWERS = Family("answers", _compute)
