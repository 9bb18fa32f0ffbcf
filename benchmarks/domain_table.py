"""One markdown table of a comparison's per-domain effects, shared by the benchmark scripts."""

from __future__ import annotations

from typing import Any

HEADER = (
    "| domain | nDCG@10 | recall@10 | p (nDCG, BH) | neighbours kept "
    "| excluded same / calibrated | judged-relevant excluded same / calibrated |\n"
    "|---|---|---|---|---|---|---|"
)


def domain_table(summary: dict[str, Any]) -> str:
    rows = [HEADER]
    for name, section in sorted(summary["domains"].items()):
        quality = section.get("quality")
        if quality:
            change = {
                m: 100 * (quality["candidate"][m] / quality["baseline"][m] - 1)
                for m in ("ndcg@10", "recall@10")
            }
            relevance = (
                f"{change['ndcg@10']:+.1f}% | {change['recall@10']:+.1f}% "
                f"| {quality['p_value_bh']['ndcg@10']:.3f}"
            )
        else:
            relevance = "– | – | –"
        rows.append(
            f"| {name} | {relevance} | {section['neighbourhood_jaccard']:.2f} "
            f"| {_pct(section['excluded_share_same_cutoff'])} / "
            f"{_pct(section['excluded_share_calibrated'])} "
            f"| {_pct(section['relevant_excluded_share_same_cutoff'])} / "
            f"{_pct(section['relevant_excluded_share_calibrated'])} |"
        )
    return "\n".join(rows)


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.1f}%"
