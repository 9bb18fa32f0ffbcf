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

from analysis.context import (
    ContextMeasure,
    context_parts,
    measure_for,
    selected,
)
from analysis.inputs.corpus import Corpus
from analysis.metrics.answer_text import answer_span, contains_answer
from analysis.metrics.family import Family, FamilyResult, Inputs
from analysis.metrics.grouping import domain_groups, mean_or_none
from analysis.metrics.quality import (
    benjamini_hochberg,
    paired_randomisation_test,
    relative_change,
)
from analysis.metrics.thresholds import default_cutoff
from analysis.retrieval import Ranking

CURVE_DEPTH = 50  # coverage curves over k = 1 .. 50
CUTOFF_STEP = 0.01  # coverage curves over the cutoff: a 0.01 grid
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
    n_resamples: int = 10_000
    random_state: int = 0

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
            entries[name] = {
                "n_queries": len(rows),
                "coverage": {"baseline": mean_or_none(base), "candidate": mean_or_none(cand)},
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
            name: self.kind.figures(**entry, p_value_bh=adjusted.get(name, entry["p_value"]))
            for name, entry in entries.items()
        }


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


# A query's carrier test: (query position, document position, the document's part in the
# context) -> whether that part gives the query what it needs.
Carries = Callable[[int, int, str], bool]


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
) -> AnswerResult:
    doc_ids, doc_texts = corpus.doc_ids, corpus.doc_texts
    query_ids, query_domains = corpus.query_ids, corpus.query_domains
    n = len(query_ids)
    # per model: rank (from 1) and score of the first carrier in the budgeted ranking
    first_rank = [np.full(n, np.inf), np.full(n, np.inf)]
    first_score = [np.full(n, -np.inf), np.full(n, -np.inf)]
    first_doc = [np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64)]
    for model, ranking in enumerate(rankings):
        for q in measured:
            hit = _first_carrier(ranking, q, doc_texts, setting, carries)
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
        _rank_in(rankings[1], first_doc[0], rows, n),
        _k_curve(first_rank, rows, query_domains, depth),
        _cutoff_curve(first_score, rows, query_domains, setting.cutoff),
        _contexts(rankings, changed, setting, carries, spans, doc_ids, doc_texts, query_ids),
        setting.describe(depth),
        n_resamples,
        random_state,
    )


def _first_carrier(
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


def _rank_in(ranking: Ranking, docs: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """Per query, the rank (from 1) of ``docs[query]`` in ``ranking`` (nan: not retrieved)."""
    out = np.full(n, np.nan)
    for q in rows:
        if docs[q] >= 0:
            found = np.flatnonzero(ranking.indices[q] == docs[q])
            out[q] = found[0] + 1 if len(found) else np.nan
    return out


def _by_domain(rows: np.ndarray, query_domains: Sequence[str]) -> dict[str, np.ndarray]:
    labels = [query_domains[q] for q in rows]
    return {
        name: rows[members] for name, members in domain_groups(labels, sorted(set(labels))).items()
    }


def _k_curve(
    first_rank: list[np.ndarray], rows: np.ndarray, query_domains: Sequence[str], depth: int
) -> pd.DataFrame:
    out = []
    ks = np.arange(1, depth + 1)
    for name, members in _by_domain(rows, query_domains).items():
        for model, ranks in zip(MODELS, first_rank, strict=True):
            coverage = (ranks[members][None, :] <= ks[:, None]).mean(axis=1)
            out.append(
                pd.DataFrame({"domain": name, "model": model, "k": ks, "coverage": coverage})
            )
    return _concat(out, ["domain", "model", "k", "coverage"])


def _cutoff_curve(
    first_score: list[np.ndarray], rows: np.ndarray, query_domains: Sequence[str], cutoff: float
) -> pd.DataFrame:
    """Coverage at every cutoff of a 0.01 grid spanning the carriers' scores and ``cutoff``."""
    scores = np.concatenate([s[rows] for s in first_score])
    finite = scores[np.isfinite(scores)]
    low = min(float(finite.min()) if len(finite) else cutoff, cutoff)
    high = max(float(finite.max()) if len(finite) else cutoff, cutoff)
    steps = np.arange(np.floor(low / CUTOFF_STEP) - 1, np.ceil(high / CUTOFF_STEP) + 2)
    grid = np.clip(np.round(steps * CUTOFF_STEP, 2), -1.0, 1.0)
    grid = np.unique(grid)
    out = []
    for name, members in _by_domain(rows, query_domains).items():
        for model, carried in zip(MODELS, first_score, strict=True):
            coverage = (carried[members][None, :] >= grid[:, None]).mean(axis=1)
            out.append(
                pd.DataFrame({"domain": name, "model": model, "cutoff": grid, "coverage": coverage})
            )
    return _concat(out, ["domain", "model", "cutoff", "coverage"])


def _contexts(
    rankings: tuple[Ranking, Ranking],
    queries: np.ndarray,
    setting: ContextSetting,
    carries: Carries,
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
        "n_resamples": config.permutation_resamples,
        "random_state": config.random_state,
    }
    if answers:
        with inputs.progress.stage("answer coverage"):
            return answer_coverage(rankings, corpus, answers=answers, **common)
    with inputs.progress.stage("judged-relevant coverage (no reference answers)"):
        return judged_coverage(rankings, corpus, qrels=inputs.qrels, **common)


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


ANSWERS = Family("answers", _compute)
