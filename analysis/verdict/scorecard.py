"""The verdict at a glance: a per-domain scorecard and headline sentences, from the summary.

Both read the bundle's typed summary (not the Comparison), so the dashboard, the report and
an existing output folder all show the same thing. Nothing here computes a metric; it only
selects, compares and phrases numbers the engine already produced.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.bundle.summary import DomainSection, Summary
from analysis.metrics.drift import DriftFigures
from analysis.metrics.near_miss import NearMissFigures
from analysis.metrics.overlap import OverlapFigures
from analysis.metrics.quality import QualityFigures
from analysis.metrics.reach import ReachFigures
from analysis.metrics.thresholds import CutoffSettings, ExclusionFigures
from analysis.numbers import p_clause

SIGNIFICANCE = 0.05
NOTABLE_DROP = 0.10  # a relative loss worth a headline even when not significant

COLUMNS = (
    "top-k overlap",
    "neighbourhood kept",
    "excluded @ same cutoff",
    "excluded @ calibrated",
    "relevant excluded",
    "Δ nDCG@10",
    "Δ recall@k",
    "lost reach",
)
# shown when the comparison measured near misses (--near-misses): what the fine-tune bought
NEAR_MISS_COLUMN = "Δ near-miss sensitivity"


def scorecard(summary: Summary) -> pd.DataFrame:
    """One row per domain: the headline numbers, and ``severity`` in [0, 1] per cell.

    Severity is how bad the number is for the candidate: 1 - overlap, 1 - neighbourhood
    Jaccard, the excluded share, and the relative relevance loss (capped at 50%), so one
    colour scale fits every column. Relevance columns carry the BH-adjusted p-value.
    "relevant excluded" is the share of judged-relevant pairs the baseline admits that the
    candidate excludes at the same cutoff (None without judgments).
    """
    rows = [{"domain": name, **_cells(section)} for name, section in summary.domains.items()]
    return pd.DataFrame(rows).set_index("domain") if rows else pd.DataFrame()


def scorecard_columns(card: pd.DataFrame) -> tuple[str, ...]:
    """The scorecard's columns: the fixed ones, and near-miss sensitivity when measured."""
    return (*COLUMNS, NEAR_MISS_COLUMN) if NEAR_MISS_COLUMN in card.columns else COLUMNS


def _cells(section: DomainSection) -> dict[str, Any]:
    overlap, drift = section.get(OverlapFigures), section.get(DriftFigures)
    excluded, reach = section.get(ExclusionFigures), section.get(ReachFigures)
    quality = section.get(QualityFigures)
    ndcg = _relative(quality, "ndcg@10")
    recall = _relative(quality, quality.recall_metric if quality else None)
    lost = reach.lost if reach else None
    cells: dict[str, Any] = {
        "top-k overlap": overlap.jaccard.mean if overlap else None,
        "neighbourhood kept": drift.mean if drift else None,
        "excluded @ same cutoff": excluded.excluded_share_same_cutoff if excluded else None,
        "excluded @ calibrated": excluded.excluded_share_calibrated if excluded else None,
        "relevant excluded": excluded.relevant_excluded_share_same_cutoff if excluded else None,
        "Δ nDCG@10": ndcg[0],
        "Δ recall@k": recall[0],
        "lost reach": lost,
        "p Δ nDCG@10": ndcg[1],
        "p Δ recall@k": recall[1],
    }
    n_docs = max(section.n_docs, 1)
    cells["severity"] = {
        "top-k overlap": _inverse(cells["top-k overlap"]),
        "neighbourhood kept": _inverse(cells["neighbourhood kept"]),
        "excluded @ same cutoff": cells["excluded @ same cutoff"],
        "excluded @ calibrated": cells["excluded @ calibrated"],
        "relevant excluded": cells["relevant excluded"],
        "Δ nDCG@10": _loss(ndcg[0]),
        "Δ recall@k": _loss(recall[0]),
        "lost reach": None if lost is None else min(1.0, 10 * lost / n_docs),
    }
    near_miss = section.get(NearMissFigures)
    if near_miss is not None:
        gain = near_miss.gain()
        cells[NEAR_MISS_COLUMN] = gain  # a loss of sensitivity is bad, capped at 50 points
        cells["severity"][NEAR_MISS_COLUMN] = None if gain is None else _loss(gain)
    return cells


def _relative(
    quality: QualityFigures | None, metric: str | None
) -> tuple[float | None, float | None]:
    """(relative change, BH-adjusted p) of one metric, or Nones."""
    if quality is None or metric is None:
        return None, None
    change = quality.relative_change(metric)
    return (None, None) if change is None else (change, quality.p_value_bh.get(metric))


def _inverse(value: float | None) -> float | None:
    return None if value is None else max(0.0, 1.0 - value)


def _loss(relative: float | None) -> float | None:
    return None if relative is None else min(1.0, max(0.0, -relative) / 0.5)


MAX_HEADLINES = 5


def headlines(summary: Summary, *, limit: int = MAX_HEADLINES) -> list[str]:
    """Plain sentences a product manager can read: the ``limit`` most severe, worst first.

    Severity is the scorecard's, in [0, 1]; a significant relevance drop ranks above every
    unsignificant finding. The candidate's best gain, when it has one, leads: it is the other
    side of the trade-off every loss is weighed against.
    """
    card = scorecard(summary)
    if card.empty:
        return ["The corpus has no domains to compare."]
    found = _relevance_sentences(card, f"recall@{summary.manifest.k}")
    found += _exclusion_sentences(card, summary)
    found += _drift_and_reach_sentences(card, summary)
    ranked = sorted(found, key=lambda item: -item[0])  # stable: ties keep their order
    gain = [item for item in found if item[0] == GAIN]
    ranked = gain + [item for item in ranked if item[0] != GAIN]
    return [sentence for _, sentence in ranked[:limit]] or [
        "No domain shows a notable change: overlap, drift, exclusions and relevance all held."
    ]


Found = list[tuple[float, str]]  # (severity, sentence)
GAIN = -1.0  # the severity that marks the gain sentence


def _relevance_sentences(card: pd.DataFrame, recall_label: str) -> Found:
    gains = card["Δ nDCG@10"].dropna()
    found: Found = []
    if not gains.empty and gains.max() > 0:
        best = gains.idxmax()
        found.append(
            (
                GAIN,
                f"The candidate's largest nDCG@10 gain is in {best}: +{100 * gains.max():.0f}%"
                f"{_p_text(card.loc[best, 'p Δ nDCG@10'])}.",
            )
        )
    for column, label in (("Δ recall@k", recall_label), ("Δ nDCG@10", "nDCG@10")):
        for name, value in card[column].dropna().sort_values().items():
            p = card.loc[name, f"p {column}"]
            significant = p is not None and p < SIGNIFICANCE
            if value <= -NOTABLE_DROP or (value < 0 and significant):
                severity = (_loss(value) or 0.0) + (1.0 if significant else 0.0)
                found.append(
                    (severity, f"It cut {name} {label} by {100 * -value:.0f}%{_p_text(p)}.")
                )
    return found


def _exclusion_sentences(card: pd.DataFrame, summary: Summary) -> Found:
    settings = summary.get(CutoffSettings)
    cutoff = settings.cutoff if settings else None
    found: Found = []
    for name, share in card["excluded @ same cutoff"].dropna().sort_values(ascending=False).items():
        if share >= NOTABLE_DROP:
            calibrated = card.loc[name, "excluded @ calibrated"]
            found.append(
                (
                    share,
                    f"{100 * share:.0f}% of the {name} documents that passed the cutoff "
                    f"{'' if cutoff is None else f'({cutoff:.2f}) '}no longer do with the "
                    "candidate"
                    + (
                        ""
                        if calibrated is None
                        else f"; {100 * calibrated:.0f}% even after recalibrating the cutoff"
                    )
                    + ".",
                )
            )
    for name, share in card["relevant excluded"].dropna().sort_values(ascending=False).items():
        if share >= NOTABLE_DROP:
            found.append(
                (
                    min(1.0, 1.5 * share),  # useful documents lost weigh more than any
                    f"{100 * share:.0f}% of the judged-relevant {name} pairs that passed the "
                    "cutoff no longer do: useful documents the LLM will not see.",
                )
            )
    return found


def _drift_and_reach_sentences(card: pd.DataFrame, summary: Summary) -> Found:
    found: Found = []
    kept = card["neighbourhood kept"].dropna()
    if not kept.empty and kept.min() < 0.7:
        worst = kept.idxmin()
        found.append(
            (
                1.0 - kept.min(),
                f"{worst} documents kept only {100 * kept.min():.0f}% of their nearest neighbours.",
            )
        )
    for name, lost in card["lost reach"].dropna().items():
        if lost >= 5:
            n_docs = max(summary.domains[name].n_docs, 1)
            found.append(
                (
                    min(1.0, 10 * lost / n_docs),
                    f"{int(lost)} {name} documents that some query retrieved are now retrieved "
                    "by none.",
                )
            )
    return found


def _p_text(p: float | None) -> str:
    if p is None:
        return ""
    significance = "significant" if p < SIGNIFICANCE else "not significant"
    return f" ({p_clause(p)}, {significance})"
