"""Relevance against judgments (nDCG@10, recall@k, MRR@10) and paired significance.

Gain is exponential, (2^grade - 1) / log2(rank + 1) (Burges et al. 2005; ranx's
``ndcg_burges``); the ideal ranking sorts every judged document of the query by grade.
A document is relevant when its grade is above 0. Queries without a relevant judged
document are left out (their metrics are nan), as trec_eval does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from analysis.metrics.family import Family, FamilyResult, Inputs
from analysis.metrics.grouped_tests import grouped_sign_flip_tests
from analysis.metrics.grouping import domain_groups, mean_or_none
from analysis.metrics.pairs import PairTable, compacted
from analysis.retrieval import Ranking

NDCG_DEPTH = MRR_DEPTH = 10


def relative_change(baseline: float | None, candidate: float | None) -> float | None:
    """candidate / baseline - 1: the one definition of "relative change" (scorecard and gate).

    None when either value is missing or the baseline is 0 (no relative change is defined;
    relevance cannot fall below 0, so nothing was lost either).

    >>> relative_change(0.5, 0.4)
    -0.19999999999999996
    >>> relative_change(0.0, 0.3) is None
    True
    """
    if baseline is None or candidate is None or baseline == 0:
        return None
    return candidate / baseline - 1


@dataclass(frozen=True)
class QualityFigures:
    """One domain's relevance under both models (means over its judged queries), the mean
    candidate-minus-baseline delta, and paired p-values, raw and Benjamini–Hochberg adjusted.

    Each field maps a metric name (``ndcg@10``, ``recall@<k>``, ``mrr@10``) to its value.
    Summary key: ``quality`` (present only for domains with judged queries).
    """

    n_judged_queries: int
    baseline: dict[str, float | None]
    candidate: dict[str, float | None]
    delta: dict[str, float | None]
    p_value: dict[str, float | None]
    p_value_bh: dict[str, float | None]

    @property
    def recall_metric(self) -> str | None:
        """The recall@k metric's name (k is the comparison's)."""
        return next((m for m in self.baseline if m.startswith("recall@")), None)

    def relative_change(self, metric: str) -> float | None:
        return relative_change(self.baseline.get(metric), self.candidate.get(metric))

    def to_json(self) -> dict[str, Any]:
        return {"quality": {f.name: getattr(self, f.name) for f in fields(self)}}

    @classmethod
    def from_json(cls, section: Mapping[str, Any]) -> QualityFigures | None:
        quality = section.get("quality")
        if not isinstance(quality, Mapping):
            return None
        return cls(
            int(quality["n_judged_queries"]),
            *(dict(quality.get(f.name) or {}) for f in fields(cls)[1:]),
        )


def ndcg(ranked: Sequence[int], judged: Mapping[int, int], *, depth: int = NDCG_DEPTH) -> float:
    """nDCG@depth with exponential gain.

    >>> round(ndcg([1, 2], {1: 1, 2: 3}), 4)  # DCG = 1/1 + 7/log2(3); ideal = 7 + 1/log2(3)
    0.7098
    """
    gains = [2 ** max(judged.get(d, 0), 0) - 1 for d in ranked[:depth]]  # no negative gain
    ideal = sorted((2**g - 1 for g in judged.values() if g > 0), reverse=True)[:depth]
    idcg = _dcg(ideal)
    return _dcg(gains) / idcg if idcg > 0 else float("nan")


def recall(ranked: Sequence[int], judged: Mapping[int, int], *, depth: int) -> float:
    """Share of the relevant documents found in the first ``depth`` results.

    >>> recall([1, 5, 2], {1: 1, 2: 2, 3: 1, 4: 0}, depth=2)
    0.3333333333333333
    """
    relevant = {d for d, g in judged.items() if g > 0}
    if not relevant:
        return float("nan")
    return len(relevant & set(ranked[:depth])) / len(relevant)


def reciprocal_rank(
    ranked: Sequence[int], judged: Mapping[int, int], *, depth: int = MRR_DEPTH
) -> float:
    """1 / rank of the first relevant document within ``depth`` (0 when none is found)."""
    if not any(g > 0 for g in judged.values()):
        return float("nan")
    for rank, doc in enumerate(ranked[:depth], start=1):
        if judged.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def _dcg(gains: Sequence[float]) -> float:
    return float(sum(g / np.log2(rank + 1) for rank, g in enumerate(gains, start=1)))


def paired_randomisation_test(
    differences: np.ndarray, *, n_resamples: int = 10_000, random_state: int = 0
) -> float:
    """Two-sided p-value of a mean paired difference, by random sign flips (Fisher).

    p = (1 + #{|mean of flipped| >= |observed mean|}) / (1 + n_resamples). All-zero
    differences give p = 1. The signs are drawn as random bits, eight to a byte, and a
    flipped sum is one table lookup per eight pairs: drawing a sign per pair and resample
    was most of a comparison's statistics (and of every remedy setting's verdict). One
    group of :func:`analysis.metrics.grouped_tests.grouped_sign_flip_tests`, which draws them.

    >>> paired_randomisation_test(np.zeros(5))
    1.0
    >>> abs(paired_randomisation_test(np.full(3, 0.4), n_resamples=20_000) - 2 / 8) < 0.02
    True
    """
    values = np.asarray(differences, dtype=np.float64)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return 1.0
    p_value = grouped_sign_flip_tests(
        values,
        [np.arange(len(values))],
        {"all": [0]},
        n_resamples=n_resamples,
        random_state=random_state,
    )["all"]
    return 1.0 if p_value is None else p_value


def benjamini_hochberg(p_values: Mapping[str, float]) -> dict[str, float]:
    """Adjusted p-values controlling the false discovery rate across domains.

    >>> benjamini_hochberg({"a": 0.01, "b": 0.04, "c": 0.03})
    {'a': 0.03, 'b': 0.04, 'c': 0.04}
    """
    names = sorted(p_values, key=p_values.__getitem__)
    m = len(names)
    adjusted: dict[str, float] = {}
    running = 1.0
    for rank in range(m, 0, -1):
        name = names[rank - 1]
        running = min(running, p_values[name] * m / rank)
        adjusted[name] = round(min(running, 1.0), 12)
    return {name: adjusted[name] for name in p_values}


@dataclass(frozen=True)
class QualityResult(FamilyResult):
    """Per-query metrics for both models (nan for queries without relevant judgments)."""

    query_ids: tuple[str, ...]
    query_domains: tuple[str, ...]
    k: int
    baseline: dict[str, np.ndarray]  # metric name -> per-query values
    candidate: dict[str, np.ndarray]
    n_resamples: int = 10_000  # 0: no significance test (p-values None)
    random_state: int = 0

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(self.baseline)

    def to_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame({"query_id": self.query_ids, "domain": self.query_domains})
        for metric in self.metrics:
            frame[f"{metric}_baseline"] = self.baseline[metric]
            frame[f"{metric}_candidate"] = self.candidate[metric]
            frame[f"{metric}_delta"] = self.candidate[metric] - self.baseline[metric]
        return frame

    def query_columns(self) -> pd.DataFrame:
        """nDCG@10 lost (baseline - candidate; positive: the candidate answers worse), then
        each metric per model and its delta."""
        lost = self.baseline["ndcg@10"] - self.candidate["ndcg@10"]
        frame = pd.DataFrame({"relevance_lost": lost})
        return pd.concat([frame, self.to_frame().drop(columns=["query_id", "domain"])], axis=1)

    def by_domain(self, names: Sequence[str]) -> dict[str, QualityFigures]:
        """Per judged domain: means per model, mean delta, p-value and BH-adjusted p-value."""
        groups = domain_groups(self.query_domains, names)
        out: dict[str, dict] = {}
        for name, rows in groups.items():
            judged = rows[np.isfinite(self.baseline[self.metrics[0]][rows])]
            entry: dict = {"n_judged_queries": len(judged)}
            for part in ("baseline", "candidate", "delta", "p_value"):
                entry[part] = {}
            for metric in self.metrics:
                base, cand = self.baseline[metric][judged], self.candidate[metric][judged]
                entry["baseline"][metric] = mean_or_none(base)
                entry["candidate"][metric] = mean_or_none(cand)
                entry["delta"][metric] = mean_or_none(cand - base)
                entry["p_value"][metric] = (
                    paired_randomisation_test(
                        cand - base, n_resamples=self.n_resamples, random_state=self.random_state
                    )
                    if len(judged) and self.n_resamples
                    else None
                )
            out[name] = entry
        _add_adjusted_p_values(out, [n for n in names if out[n]["n_judged_queries"]], self.metrics)
        return {
            name: QualityFigures(**entry)
            for name, entry in out.items()
            if entry["n_judged_queries"]
        }


def _add_adjusted_p_values(out: dict[str, dict], tested: list[str], metrics: Sequence[str]) -> None:
    for entry in out.values():
        entry["p_value_bh"] = {}
    for metric in metrics:
        found = {n: out[n]["p_value"][metric] for n in tested}
        adjusted = benjamini_hochberg({n: p for n, p in found.items() if p is not None})
        for name, entry in out.items():
            entry["p_value_bh"][metric] = adjusted.get(name, entry["p_value"][metric])


@dataclass(frozen=True)
class _Judgments:
    """The judged queries' grades as arrays, so every query's metrics are a few array
    operations per rank (a Python call per query and metric was most of relevance's time).
    :func:`ndcg`, :func:`recall` and :func:`reciprocal_rank` are the definitions; these
    give their values to the last digit (the same sums, in the same order)."""

    queries: np.ndarray  # judged query positions, ascending
    grades: PairTable
    ideal_dcg: np.ndarray  # per judged query (0: no relevant document)
    n_relevant: np.ndarray  # per judged query

    @classmethod
    def of(cls, qrels: Mapping[int, Mapping[int, int]]) -> _Judgments:
        queries = np.array(sorted(qrels), dtype=np.int64)
        ideal = np.zeros((len(queries), NDCG_DEPTH))
        for row, q in enumerate(queries):
            gains = sorted((2**g - 1 for g in qrels[int(q)].values() if g > 0), reverse=True)
            ideal[row, : len(gains[:NDCG_DEPTH])] = gains[:NDCG_DEPTH]
        n_relevant = np.array([sum(g > 0 for g in qrels[int(q)].values()) for q in queries])
        return cls(queries, PairTable(qrels), _dcg_rows(ideal), n_relevant)

    def metrics(self, ranking: Ranking, *, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """nDCG@10, recall@k and MRR@10 of each judged query (nan without a relevant one)."""
        _, grade = self.grades.lookup(self.queries, compacted(ranking.indices[self.queries]))
        gains = 2.0 ** np.maximum(grade[:, :NDCG_DEPTH], 0) - 1
        relevant = grade > 0
        judged = self.n_relevant > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            ndcg_values = np.where(judged, _dcg_rows(gains) / self.ideal_dcg, np.nan)
            recall_values = np.where(judged, relevant[:, :k].sum(axis=1) / self.n_relevant, np.nan)
        first = relevant[:, :MRR_DEPTH]
        rr = np.where(first.any(axis=1), 1.0 / (first.argmax(axis=1) + 1), 0.0)
        return ndcg_values, recall_values, np.where(judged, rr, np.nan)


def _dcg_rows(gains: np.ndarray) -> np.ndarray:
    """:func:`_dcg` of every row, summed rank by rank as it sums."""
    total = np.zeros(len(gains))
    for rank in range(1, gains.shape[1] + 1):
        total = total + gains[:, rank - 1] / np.log2(rank + 1)
    return total


def relevance_quality(
    baseline: Ranking,
    candidate: Ranking,
    *,
    k: int,
    qrels_positions: Mapping[int, Mapping[int, int]],
    query_ids: Sequence[str],
    query_domains: Sequence[str],
    n_resamples: int = 10_000,
    random_state: int = 0,
) -> QualityResult:
    """nDCG@10, recall@k and MRR@10 of every query under both models."""
    names = ("ndcg@10", f"recall@{k}", "mrr@10")
    judgments = _Judgments.of(qrels_positions)
    per_model = []
    for ranking in (baseline, candidate):
        columns = judgments.metrics(ranking, k=k)
        values = {name: np.full(len(query_ids), np.nan) for name in names}
        for name, column in zip(names, columns, strict=True):
            values[name][judgments.queries] = column
        per_model.append(values)
    return QualityResult(
        tuple(query_ids),
        tuple(query_domains),
        k,
        per_model[0],
        per_model[1],
        n_resamples,
        random_state,
    )


def _compute(inputs: Inputs) -> QualityResult | None:
    if not inputs.qrels:
        return None
    corpus, config = inputs.corpus, inputs.config
    return relevance_quality(
        inputs.baseline_ranking,
        inputs.candidate_ranking,
        k=config.k,
        qrels_positions=inputs.qrels,
        query_ids=corpus.query_ids,
        query_domains=corpus.query_domains,
        n_resamples=config.permutation_resamples if config.inference else 0,
        random_state=config.random_state,
    )


QUALITY = Family("quality", _compute)
