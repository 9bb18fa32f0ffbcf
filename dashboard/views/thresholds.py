"""Threshold exclusions: what passes the similarity cutoff under the baseline and not any more?"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from analysis.metrics.grouping import OVERALL
from dashboard import cache, session, state
from reporting import figures

st.title("Threshold exclusions")
loaded = session.require_comparison()
comparison = loaded.comparison
if comparison.thresholds is None:
    st.info(
        "This corpus has no queries, so no similarity cutoff applies. Add queries on the "
        "Setup page."
    )
    st.stop()
corpus = comparison.corpus
default = comparison.thresholds.cutoff
low, high = max(-1.0, round(default - 0.25, 2)), min(1.0, round(default + 0.25, 2))
cutoff = st.slider(
    "Similarity cutoff of your RAG pipeline",
    low,
    high,
    round(default, 2),
    0.01,
    key=state.CUTOFF,
    help=f"Default {default:.3f}: the median over queries of the baseline's "
    f"{comparison.config.k}-th best score.",
)
result = (
    comparison.thresholds
    if abs(cutoff - default) < 1e-9
    else cache.recut_for(loaded.key, float(cutoff), comparison)
)
domain = state.selected_domain()
doc_domains = np.asarray(corpus.doc_domains, dtype=object)[result.doc]
in_scope = np.ones(len(result.doc), bool) if domain is None else doc_domains == domain
counts = result.by_domain(corpus.doc_domains, [domain] if domain else [])[domain or OVERALL]


def _metric_with_share(column, label: str, count: int, total: int, **options) -> None:
    share = f"{100 * count / total:.1f}% of {total:,} admitted" if total else None
    column.metric(label, f"{count:,}", share, delta_color="off", delta_arrow="off", **options)


cols = st.columns(4)
cols[0].metric("Pairs the baseline admits", f"{counts['admitted_pairs_baseline']:,}")
_metric_with_share(
    cols[1],
    "Excluded at the same cutoff",
    counts["excluded_same_cutoff"],
    counts["admitted_pairs_baseline"],
)
_metric_with_share(
    cols[2],
    "Excluded at the calibrated cutoff",
    counts["excluded_calibrated"],
    counts["admitted_pairs_baseline"],
)
_metric_with_share(
    cols[3],
    "Judged-relevant pairs excluded",
    counts["relevant_excluded_same_cutoff"],
    counts["relevant_admitted_baseline"],
    help="The useful documents lost at the same cutoff. Unjudged pairs excluded in the "
    "tuning domain are often pruned on purpose; judged-relevant ones never are.",
)
st.caption(
    f"Calibrated candidate cutoff: {result.calibrated_cutoff:.3f} — where the candidate admits "
    "as many pairs overall as the baseline does at your cutoff."
    if result.calibrated_cutoff is not None
    else "The baseline admits nothing at this cutoff."
)
curve = result.curve.to_frame()
curve = curve[curve["domain"] != "(all)"] if domain is None else curve[curve["domain"] == domain]
curve = curve[(curve["cutoff"] >= low - 0.2) & (curve["cutoff"] <= high + 0.2)]
colors = figures.domain_colors(corpus.domains)
marks = {"cutoff": cutoff, "calibrated": result.calibrated_cutoff}
left, right = st.columns(2)
left.plotly_chart(
    figures.horizon_curves(curve, "mean_admitted", marks, colors, "documents admitted per query"),
    key="curve_admitted",
)
if curve["recall"].notna().any():
    right.plotly_chart(
        figures.horizon_curves(curve, "recall", marks, colors, "recall"), key="curve_recall"
    )
else:
    right.info("No judgments: recall curves need relevance judgments.")
st.subheader("Excluded at the same cutoff, judged-relevant first")
excluded = np.flatnonzero(result.excluded_same & in_scope)
pairs = pd.DataFrame(
    {
        "query_id": np.asarray(corpus.query_ids, dtype=object)[result.query[excluded]],
        "doc_id": np.asarray(corpus.doc_ids, dtype=object)[result.doc[excluded]],
        "doc_domain": doc_domains[excluded],
        "grade": result.grade[excluded],
        "score_baseline": result.score_baseline[excluded],
        "score_candidate": result.score_candidate[excluded],
    }
)
pairs["score_drop"] = pairs["score_baseline"] - pairs["score_candidate"]
pairs = pairs.sort_values(["grade", "score_drop"], ascending=[False, False])
st.dataframe(
    pairs[
        [
            "query_id",
            "doc_id",
            "doc_domain",
            "grade",
            "score_baseline",
            "score_candidate",
            "score_drop",
        ]
    ].head(1000),
    width="stretch",
    hide_index=True,
    height=380,
)
st.caption(f"{len(pairs):,} excluded pairs; the table shows the first 1,000.")
