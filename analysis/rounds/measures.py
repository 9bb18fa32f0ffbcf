"""The numbers a round is judged by, per domain, read from a comparison's summary; and their
spread over training seeds.

Each measure has a ``value`` (what the trajectory over rounds plots: the candidate's nDCG@10,
the share of neighbours kept, ...) and a ``change`` against "nothing moved" (the paired
delta of a relevance or coverage measure; for the others, the value minus what identical
models give: kept 1, excluded 0, effective-rank ratio 1). Paired measures carry the
Benjamini–Hochberg-adjusted p-value of their per-query test.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import mean, stdev

from analysis.bundle.summary import DomainSection, Summary
from analysis.metrics.answers import AnswerFigures, JudgedCoverageFigures
from analysis.metrics.drift import DriftFigures
from analysis.metrics.geometry import GeometryFigures
from analysis.metrics.quality import QualityFigures
from analysis.metrics.thresholds import ExclusionFigures

SEED_SIGMAS = 2.0  # a change must exceed this many seed-to-seed standard deviations


@dataclass(frozen=True)
class Measure:
    value: float | None
    change: float | None
    p_value: float | None = None  # BH-adjusted; None: not a tested change


def _quality(metric: Callable[[QualityFigures], str | None]) -> Callable[[DomainSection], Measure]:
    def read(section: DomainSection) -> Measure:
        figures = section.get(QualityFigures)
        name = metric(figures) if figures else None
        if figures is None or name is None:
            return Measure(None, None)
        return Measure(
            figures.candidate.get(name), figures.delta.get(name), figures.p_value_bh.get(name)
        )

    return read


def _coverage(section: DomainSection) -> Measure:
    figures = section.get(AnswerFigures) or section.get(JudgedCoverageFigures)
    if figures is None:
        return Measure(None, None)
    return Measure(figures.coverage.get("candidate"), figures.delta, figures.p_value_bh)


def _against(
    identity: float, read: Callable[[DomainSection], float | None]
) -> Callable[[DomainSection], Measure]:
    def measure(section: DomainSection) -> Measure:
        value = read(section)
        return Measure(value, None if value is None else value - identity)

    return measure


def _kept(section: DomainSection) -> float | None:
    figures = section.get(DriftFigures)
    return figures.mean if figures else None


def _relevant_excluded(section: DomainSection) -> float | None:
    figures = section.get(ExclusionFigures)
    return figures.relevant_excluded_share_same_cutoff if figures else None


def _rank_ratio(section: DomainSection) -> float | None:
    figures = section.get(GeometryFigures)
    return figures.ratio.get("effective_rank") if figures else None


# name -> (label, reader); the order is the table's
MEASURES: dict[str, tuple[str, Callable[[DomainSection], Measure]]] = {
    "ndcg@10": ("nDCG@10", _quality(lambda f: "ndcg@10")),
    "recall@k": ("recall@k", _quality(lambda f: f.recall_metric)),
    "coverage": ("answer coverage", _coverage),
    "neighbours_kept": ("neighbours kept", _against(1.0, _kept)),
    "relevant_excluded": ("judged-relevant excluded", _against(0.0, _relevant_excluded)),
    "effective_rank_ratio": ("effective-rank ratio", _against(1.0, _rank_ratio)),
}


def domain_measures(summary: Summary) -> dict[str, dict[str, Measure]]:
    """Every domain's measures in one comparison (plus ``(all)``)."""
    sections = {**summary.domains, "(all)": summary.overall}
    return {
        name: {key: read(section) for key, (_, read) in MEASURES.items()}
        for name, section in sections.items()
    }


@dataclass(frozen=True)
class SeededMeasure:
    """One measure over a round's seeds: the mean value and change, their spread (standard
    deviation over seeds; None with one seed), the largest p over seeds, and whether the
    change is significant: every seed's paired test below ``alpha`` and, with several seeds,
    a mean change larger than SEED_SIGMAS seed-to-seed deviations."""

    value: float | None
    change: float | None
    spread: float | None
    per_seed: tuple[float | None, ...]
    p_value: float | None
    significant: bool | None  # None: not a tested measure, or nothing to test

    def to_json(self) -> dict[str, object]:
        return {
            "value": self.value,
            "change": self.change,
            "spread": self.spread,
            "per_seed": list(self.per_seed),
            "p_value_bh": self.p_value,
            "significant": self.significant,
        }


def over_seeds(measures: Sequence[Measure], *, alpha: float = 0.05) -> SeededMeasure:
    changes = [m.change for m in measures]
    known = [c for c in changes if c is not None and math.isfinite(c)]
    values = [m.value for m in measures if m.value is not None]
    spread = stdev(known) if len(known) > 1 else None
    change = mean(known) if known else None
    p_values = [m.p_value for m in measures]
    tested = (
        change is not None and all(p is not None for p in p_values) and len(known) == len(measures)
    )
    significant: bool | None = None
    p_max = max(p for p in p_values if p is not None) if tested else None
    if tested and p_max is not None and change is not None:
        beyond_seeds = spread is None or abs(change) > SEED_SIGMAS * spread
        significant = p_max < alpha and change != 0 and beyond_seeds
    return SeededMeasure(
        mean(values) if values else None, change, spread, tuple(changes), p_max, significant
    )
