"""Threshold exclusions: the section at the cutoff the slider sets (re-cut on the server)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis.metrics.grouping import OVERALL
from dashboard import cache, prepared, recompute, render, state
from dashboard.shown import Shown, require_comparison
from reporting.sections import thresholds as section


def _curve_at(curve: pd.DataFrame, cutoff: float, domain: str | None) -> None:
    """What the saved horizon curve says at this cutoff: documents admitted per query and
    recall, per model (the curve's 0.01 grid covers every cutoff)."""
    rows = curve[
        (curve["domain"] == (domain or OVERALL)) & ((curve["cutoff"] - cutoff).abs() < 0.005)
    ]
    by_model = {row.model: row for row in rows.itertuples()}
    if len(by_model) < 2:
        return
    cols = st.columns(4)
    for column, model in zip(cols[:2], ("baseline", "candidate"), strict=True):
        column.metric(
            f"Documents per query at {cutoff:.2f}, {model}", f"{by_model[model].mean_admitted:.1f}"
        )
    for column, model in zip(cols[2:], ("baseline", "candidate"), strict=True):
        recall = by_model[model].recall
        column.metric(
            f"Recall at {cutoff:.2f}, {model}", "–" if pd.isna(recall) else f"{100 * recall:.1f}%"
        )


st.title("Threshold exclusions")
on_show = require_comparison()
saved = section.cut_from_bundle(on_show.bundle)
if saved is None:
    st.info(section.NO_QUERIES + " Add queries on the Setup page.")
    st.stop()
# The curves do not move with the slider (its numbers below read them at the cutoff chosen):
# drawn once, outside the slider's fragment, so a step redraws no chart.
render.show(prepared.THRESHOLD_CURVES.of(on_show))
st.caption(
    "Dotted lines: the comparison's cutoff and the candidate's calibrated cutoff. The slider "
    "below re-cuts at another cutoff; the numbers under it follow."
)


@st.fragment
def cut_view(on_show: Shown, saved: section.Cut) -> None:
    """The slider and everything it moves: a fragment, so a new cutoff reruns this part of
    the page only (not the sidebar, the router or the comparison's lookup)."""
    bundle, context = on_show.bundle, on_show.context()
    default = saved.settings.cutoff
    span = cache.SLIDER_SPAN
    low, high = max(-1.0, round(default - span, 2)), min(1.0, round(default + span, 2))
    cutoff = st.slider(
        "Similarity cutoff of your RAG pipeline",
        low,
        high,
        round(default, 2),
        0.01,
        key=state.CUTOFF,
        help=f"Default {default:.3f}: {saved.settings.cutoff_source}.",
    )
    start = round(default, 2)
    at_saved = abs(cutoff - start) < 1e-9  # the slider at its start: the saved cut
    if at_saved:
        cut = saved
    elif on_show.comparison is not None:
        cut = cache.cut_for(on_show.key, float(cutoff), on_show.comparison, bundle.summary)
    else:  # a saved comparison: the curves hold every cutoff, the pairs only the saved one
        cut = saved
        recompute.offer_recompute(
            on_show,
            f"The pairs and shares below are at the saved cutoff {default:.2f}; re-cutting them at "
            f"{cutoff:.2f} needs the vectors.",
        )
    _curve_at(saved.curve, float(cutoff), context.domain)
    counts = cut.counts(context.domain)

    for column, counter in zip(st.columns(4), section.counters(counts), strict=True):
        column.metric(
            counter.label,
            f"{counter.count:,}",
            counter.share_text(),  # a share, not a change: neither coloured nor arrowed
            delta_color="off",
            delta_arrow="off",
            help=counter.help,
        )
    st.markdown(section.cutoff_text(cut.settings))
    at = None if cut is saved else float(cutoff)  # None: the saved cut
    tables = prepared.THRESHOLD_TABLES.of(on_show, at)
    render.show(tables, bundle)


cut_view(on_show, saved)
