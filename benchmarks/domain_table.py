"""One markdown table of a comparison's per-domain effects, shared by the benchmark scripts."""

from __future__ import annotations

from analysis.bundle.summary import Summary
from analysis.metrics.drift import DriftFigures
from analysis.metrics.quality import QualityFigures
from analysis.metrics.thresholds import ExclusionFigures

HEADER = (
    "| domain | nDCG@10 | recall@10 | p (nDCG, BH) | neighbours kept "
    "| excluded same / calibrated | judged-relevant excluded same / calibrated |\n"
    "|---|---|---|---|---|---|---|"
)


def domain_table(summary: Summary) -> str:
    rows = [HEADER]
    for name, section in summary.domains.items():
        quality = section.get(QualityFigures)
        relevance = "– | – | –"
        if quality:
            ndcg, recall = (quality.relative_change(m) for m in ("ndcg@10", "recall@10"))
            p = quality.p_value_bh["ndcg@10"]
            relevance = f"{_pct(ndcg, '+')} | {_pct(recall, '+')} | {p:.3f}"
        drift, excluded = section.get(DriftFigures), section.get(ExclusionFigures)
        kept = "–" if drift is None or drift.mean is None else f"{drift.mean:.2f}"
        shares = "– | –"
        if excluded:
            shares = (
                f"{_pct(excluded.excluded_share_same_cutoff)} / "
                f"{_pct(excluded.excluded_share_calibrated)} "
                f"| {_pct(excluded.relevant_excluded_share_same_cutoff)} / "
                f"{_pct(excluded.relevant_excluded_share_calibrated)}"
            )
        rows.append(f"| {name} | {relevance} | {kept} | {shares} |")
    return "\n".join(rows)


def _pct(share: float | None, sign: str = "") -> str:
    return "–" if share is None else f"{100 * share:{sign}.1f}%"
