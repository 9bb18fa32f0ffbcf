"""The verdict at a glance: a per-domain scorecard and headline sentences, from summary.json.

Both read the summary dict (not the Comparison), so the dashboard, the report and an
existing output folder all show the same thing. Nothing here computes a metric; it only
selects, compares and phrases numbers the engine already produced.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

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


def scorecard(summary: dict[str, Any]) -> pd.DataFrame:
    """One row per domain: the headline numbers, and ``severity`` in [0, 1] per cell.

    Severity is how bad the number is for the candidate: 1 - overlap, 1 - neighbourhood
    Jaccard, the excluded share, and the relative relevance loss (capped at 50%), so one
    colour scale fits every column. Relevance columns carry the BH-adjusted p-value.
    "relevant excluded" is the share of judged-relevant pairs the baseline admits that the
    candidate excludes at the same cutoff (None without judgments).
    """
    rows = []
    for name, section in sorted(summary["domains"].items()):
        rows.append({"domain": name, **_cells(section)})
    return pd.DataFrame(rows).set_index("domain") if rows else pd.DataFrame()


def _cells(section: dict[str, Any]) -> dict[str, Any]:
    quality = section.get("quality") or {}
    ndcg = _relative(quality, "ndcg@10")
    recall_name = next((m for m in quality.get("baseline", {}) if m.startswith("recall@")), None)
    recall = _relative(quality, recall_name) if recall_name else (None, None)
    lost = section.get("lost_reach_docs")
    cells = {
        "top-k overlap": section.get("overlap_jaccard"),
        "neighbourhood kept": section.get("neighbourhood_jaccard"),
        "excluded @ same cutoff": section.get("excluded_share_same_cutoff"),
        "excluded @ calibrated": section.get("excluded_share_calibrated"),
        "relevant excluded": section.get("relevant_excluded_share_same_cutoff"),
        "Δ nDCG@10": ndcg[0],
        "Δ recall@k": recall[0],
        "lost reach": lost,
        "p Δ nDCG@10": ndcg[1],
        "p Δ recall@k": recall[1],
    }
    n_docs = max(section.get("n_docs") or 0, 1)
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
    return cells


def _relative(quality: dict[str, Any], metric: str) -> tuple[float | None, float | None]:
    """(candidate / baseline - 1, BH-adjusted p) of one metric, or Nones."""
    if not quality or metric not in quality.get("baseline", {}):
        return None, None
    base, cand = quality["baseline"][metric], quality["candidate"][metric]
    if base is None or cand is None or base == 0:
        return None, None
    return cand / base - 1, quality.get("p_value_bh", {}).get(metric)


def _inverse(value: float | None) -> float | None:
    return None if value is None else max(0.0, 1.0 - value)


def _loss(relative: float | None) -> float | None:
    return None if relative is None else min(1.0, max(0.0, -relative) / 0.5)


def headlines(summary: dict[str, Any]) -> list[str]:
    """Plain sentences a product manager can read, most important first."""
    card = scorecard(summary)
    if card.empty:
        return ["The corpus has no domains to compare."]
    k = summary.get("manifest", {}).get("k")
    sentences = _relevance_sentences(card, f"recall@{k}" if k else "recall@k")
    sentences += _exclusion_sentences(card, summary)
    sentences += _drift_and_reach_sentences(card)
    return sentences or [
        "No domain shows a notable change: overlap, drift, exclusions and relevance all held."
    ]


def _relevance_sentences(card: pd.DataFrame, recall_label: str) -> list[str]:
    gains = card["Δ nDCG@10"].dropna()
    sentences = []
    if not gains.empty and gains.max() > 0:
        best = gains.idxmax()
        sentences.append(
            f"The candidate's largest nDCG@10 gain is in {best}: +{100 * gains.max():.0f}%"
            f"{_p_text(card.loc[best, 'p Δ nDCG@10'])}."
        )
    for column, label in (("Δ recall@k", recall_label), ("Δ nDCG@10", "nDCG@10")):
        for name, value in card[column].dropna().sort_values().items():
            p = card.loc[name, f"p {column}"]
            if value <= -NOTABLE_DROP or (value < 0 and p is not None and p < SIGNIFICANCE):
                sentences.append(f"It cut {name} {label} by {100 * -value:.0f}%{_p_text(p)}.")
    return sentences


def _exclusion_sentences(card: pd.DataFrame, summary: dict[str, Any]) -> list[str]:
    cutoff = summary.get("thresholds", {}).get("cutoff")
    sentences = []
    for name, share in card["excluded @ same cutoff"].dropna().sort_values(ascending=False).items():
        if share >= NOTABLE_DROP:
            calibrated = card.loc[name, "excluded @ calibrated"]
            sentences.append(
                f"{100 * share:.0f}% of the {name} documents that passed the cutoff "
                f"{'' if cutoff is None else f'({cutoff:.2f}) '}no longer do with the candidate"
                + (
                    ""
                    if calibrated is None
                    else f"; {100 * calibrated:.0f}% even after recalibrating the cutoff"
                )
                + "."
            )
    for name, share in card["relevant excluded"].dropna().sort_values(ascending=False).items():
        if share >= NOTABLE_DROP:
            sentences.append(
                f"{100 * share:.0f}% of the judged-relevant {name} pairs that passed the cutoff "
                "no longer do: useful documents the LLM will not see."
            )
    return sentences


def _drift_and_reach_sentences(card: pd.DataFrame) -> list[str]:
    sentences = []
    kept = card["neighbourhood kept"].dropna()
    if not kept.empty and kept.min() < 0.7:
        worst = kept.idxmin()
        sentences.append(
            f"{worst} documents kept only {100 * kept.min():.0f}% of their nearest neighbours."
        )
    for name, lost in card["lost reach"].dropna().items():
        if lost >= 5:
            sentences.append(
                f"{int(lost)} {name} documents that some query retrieved are now retrieved by none."
            )
    return sentences


def _p_text(p: float | None) -> str:
    if p is None:
        return ""
    return (
        f" (p = {p:.3f}, significant)" if p < SIGNIFICANCE else f" (p = {p:.2f}, not significant)"
    )
