"""Neighbourhood drift: which documents lost their neighbours, and which queries felt it?"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import session, state
from reporting import figures

st.title("Neighbourhood drift")
loaded = session.require_comparison()
comparison = loaded.comparison
corpus, drift = comparison.corpus, comparison.drift
frame = drift.to_frame(corpus.doc_ids)
colors = figures.domain_colors(corpus.domains)
st.plotly_chart(
    figures.distributions(
        frame,
        ["neighbourhood_jaccard", "purity_candidate"],
        colors,
        "Per document: neighbours kept, and share of neighbours in its own domain (candidate)",
        {
            "neighbourhood_jaccard": "neighbours kept (Jaccard)",
            "purity_candidate": "same-domain neighbours",
        },
    ),
    key="drift_box",
)
if drift.sampled:
    st.caption(f"Drift computed for a seeded sample of {len(drift.positions):,} documents.")
domain = state.selected_domain()
if domain:
    frame = frame[frame["domain"] == domain]
st.subheader("Most drifted documents" + (f" in {domain}" if domain else ""))
ranked = frame.sort_values("neighbourhood_jaccard").head(200)
st.dataframe(ranked, width="stretch", hide_index=True, height=300)
choice = st.selectbox("Inspect a document", ranked["doc_id"].tolist(), key="drift_doc")
if choice:
    analysed_ids = np.asarray(corpus.doc_ids, dtype=object)[drift.positions]
    row = int(np.flatnonzero(analysed_ids == choice)[0])
    st.markdown(f"**{choice}** — {corpus.doc_texts[corpus.doc_index[choice]][:400]}")
    old = [corpus.doc_ids[i] for i in drift.neighbours_baseline[row] if i >= 0]
    new = [corpus.doc_ids[i] for i in drift.neighbours_candidate[row] if i >= 0]
    left, right = st.columns(2)
    left.markdown("**Neighbours under the baseline**")
    left.dataframe(
        pd.DataFrame({"doc_id": old, "kept": [d in new for d in old]}),
        hide_index=True,
        width="stretch",
    )
    right.markdown("**Neighbours under the candidate**")
    right.dataframe(
        pd.DataFrame({"doc_id": new, "new": [d not in old for d in new]}),
        hide_index=True,
        width="stretch",
    )
    left_queries = comparison.changed.queries_left_by(choice)
    st.markdown(f"**Queries whose top-k this document left:** {len(left_queries)}")
    if left_queries:
        pick = st.selectbox("Open one in Changed answers", left_queries, key="drift_query")
        if st.button("Open query", key="drift_open"):
            state.select_query(pick)
            st.switch_page("views/changed.py", query_params=dict(st.query_params))
