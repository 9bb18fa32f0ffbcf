"""Hand-built summaries for verdict tests, written through each family's own Figures class
(so they hold exactly the keys a real comparison writes)."""

from __future__ import annotations

from typing import Any

from analysis.bundle.summary import Summary
from analysis.metrics.drift import DriftFigures
from analysis.metrics.grouping import Estimate
from analysis.metrics.overlap import OverlapFigures
from analysis.metrics.quality import QualityFigures
from analysis.metrics.reach import NetLoss, ReachFigures
from analysis.metrics.thresholds import ExclusionFigures


def quality_figures(
    ndcg: tuple[float, float] = (0.8, 0.8),
    recall: tuple[float, float] = (0.8, 0.8),
    p: float = 1.0,
    p_ndcg: float | None = None,
) -> QualityFigures:
    metrics = ("ndcg@10", "recall@10", "mrr@10")
    base = dict(zip(metrics, (ndcg[0], recall[0], 1.0), strict=True))
    cand = dict(zip(metrics, (ndcg[1], recall[1], 1.0), strict=True))
    p_values = {"ndcg@10": p if p_ndcg is None else p_ndcg, "recall@10": p, "mrr@10": 1.0}
    return QualityFigures(
        n_judged_queries=20,
        baseline=base,  # type: ignore[arg-type]
        candidate=cand,  # type: ignore[arg-type]
        delta={m: cand[m] - base[m] for m in metrics},
        p_value=dict(p_values),  # type: ignore[arg-type]
        p_value_bh=dict(p_values),  # type: ignore[arg-type]
    )


def section(
    *,
    n_docs: int = 100,
    overlap: float = 1.0,
    kept: float = 1.0,
    excluded: float = 0.0,
    useful_excluded: float = 0.0,
    lost: int = 0,
    quality: QualityFigures | None = None,
) -> dict[str, Any]:
    """One domain's section of summary.json."""
    admitted = 100
    parts: list[dict[str, Any]] = [
        {"n_docs": n_docs, "n_queries": 20},
        OverlapFigures(*(Estimate(overlap, overlap, overlap, 20) for _ in range(3))).to_json(),
        DriftFigures(n_docs, kept, kept, kept, kept, 0.0, 1.0, 1.0).to_json(),
        ExclusionFigures(
            admitted,
            round(excluded * admitted),
            round(excluded * admitted),
            excluded,
            excluded,
            admitted // 2,
            round(useful_excluded * admitted / 2),
            round(useful_excluded * admitted / 2),
            useful_excluded,
            useful_excluded,
        ).to_json(),
        ReachFigures(
            0,
            lost,
            lost,
            0,
            NetLoss.of(lost=lost, gained=0, reached=n_docs, spread=(0.01, 0.01)),
            NetLoss.of(lost=0, gained=0, reached=n_docs // 2, spread=(0.01, 0.01)),
        ).to_json(),
    ]
    if quality is not None:
        parts.append(quality.to_json())
    return {key: value for part in parts for key, value in part.items()}


def summary(domains: dict[str, dict[str, Any]], *, k: int = 10, cutoff: float = 0.42) -> Summary:
    """A whole summary around the given domain sections."""
    model = {"spec": "m", "fingerprint": "f", "dimension": 3}
    raw = {
        "manifest": {
            "created_at": "",
            "corpus": {"source": "", "name": "c", "fingerprint": "f", "n_docs": 0, "n_queries": 0},
            "models": {"baseline": model, "candidate": model},
            "k": k,
        },
        "thresholds": {"cutoff": cutoff, "cutoff_source": "user"},
        "overall": section(),
        "domains": domains,
    }
    return Summary.from_json(raw)
