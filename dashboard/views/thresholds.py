"""Threshold exclusions: the section at the cutoff the slider sets (re-cut on the server)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import cache, render, session, state
from reporting.sections import thresholds as section

st.title("Threshold exclusions")
loaded = session.require_comparison()
bundle, context = loaded.bundle, loaded.context()
saved = section.cut_from_bundle(bundle)
if saved is None:
    st.info(section.NO_QUERIES + " Add queries on the Setup page.")
    st.stop()
default = saved.settings.cutoff
low, high = max(-1.0, round(default - 0.25, 2)), min(1.0, round(default + 0.25, 2))
cutoff = st.slider(
    "Similarity cutoff of your RAG pipeline",
    low,
    high,
    round(default, 2),
    0.01,
    key=state.CUTOFF,
    help=f"Default {default:.3f}: {saved.settings.cutoff_source}.",
)
cut = (
    saved
    if abs(cutoff - round(default, 2)) < 1e-9  # the slider at its start: the saved cut
    else cache.cut_for(loaded.key, float(cutoff), loaded.comparison, bundle.summary)
)
counts = cut.counts(context.domain)


def _metric_with_share(column: Any, label: str, count: int, total: int, **options: Any) -> None:
    share = f"{100 * count / total:.1f}% of {total:,} admitted" if total else None
    column.metric(label, f"{count:,}", share, delta_color="off", delta_arrow="off", **options)


cols = st.columns(4)
cols[0].metric("Pairs the baseline admits", f"{counts.admitted_pairs_baseline:,}")
_metric_with_share(
    cols[1],
    "Excluded at the same cutoff",
    counts.excluded_same_cutoff,
    counts.admitted_pairs_baseline,
)
_metric_with_share(
    cols[2],
    "Excluded at the calibrated cutoff",
    counts.excluded_calibrated,
    counts.admitted_pairs_baseline,
)
_metric_with_share(
    cols[3],
    "Judged-relevant pairs excluded",
    counts.relevant_excluded_same_cutoff,
    counts.relevant_admitted_baseline,
    help="The useful documents lost at the same cutoff. Unjudged pairs excluded in the "
    "tuning domain are often pruned on purpose; judged-relevant ones never are.",
)
render.show(section.cut_blocks(cut, bundle, context))
