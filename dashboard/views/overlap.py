"""Retrieval overlap: how much do the two models agree on each query's top-k?"""

from __future__ import annotations

import streamlit as st

from dashboard import session, state
from reporting import figures

LABELS = {
    "jaccard": "top-k Jaccard",
    "rbo": "rank-biased overlap",
    "relevance_lost": "nDCG@10 lost (baseline − candidate)",
    "rank_shift": "mean rank shift",
}

st.title("Retrieval overlap")
loaded = session.require_comparison()
comparison = loaded.comparison
if comparison.corpus.n_queries == 0:
    st.info(
        "This corpus has no queries, so there is no retrieval to compare. Add a queries "
        "file on the Setup page; the document-side pages (drift, embedding space) still work."
    )
    st.stop()
queries = comparison.changed.queries
colors = figures.domain_colors(comparison.corpus.domains)
st.plotly_chart(
    figures.distributions(
        queries, ["jaccard", "rbo"], colors, "Agreement of the two top-k lists, per domain", LABELS
    ),
    key="overlap_box",
)
domain = state.selected_domain()
shown = queries if domain is None else queries[queries["domain"] == domain]
y = "relevance_lost" if "relevance_lost" in shown else "rank_shift"
event = st.plotly_chart(
    figures.query_scatter(shown, "jaccard", y, colors, LABELS),
    key="overlap_scatter",
    on_select="rerun",
    selection_mode="points",
)
points = (event or {}).get("selection", {}).get("points", []) if event else []
if points:
    state.select_query(points[0]["customdata"])
    st.switch_page("views/changed.py", query_params=dict(st.query_params))
st.subheader("Least overlapping queries" + (f" in {domain}" if domain else ""))
columns = [
    c
    for c in ["query_id", "domain", "jaccard", "rbo", "n_left", "n_entered", "relevance_lost"]
    if c in shown
]
st.dataframe(shown.sort_values("jaccard")[columns], width="stretch", hide_index=True, height=360)
