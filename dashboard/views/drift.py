"""Neighbourhood drift: the section, and one document's neighbours and the queries it left."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import render, session, state
from reporting.sections import drift as section

st.title("Neighbourhood drift")
loaded = session.require_comparison()
bundle, context = loaded.bundle, loaded.context()
render.show(section.blocks(bundle, context))
ranked = section.most_drifted(bundle, context.domain).head(section.PAGE_ROWS)
options = list(ranked.get("doc_id", []))
opened = state.selected_document()  # a document another page sent here
if opened and opened not in options:
    options.insert(0, opened)
choice = st.selectbox("Inspect a document", options, key=state.DOCUMENT)
found = loaded.neighbours(choice) if choice else None
if found is not None:
    st.markdown(f"**{choice}** — {found.text[:400]}")
    left, right = st.columns(2)
    left.markdown("**Neighbours under the baseline**")
    left.dataframe(
        pd.DataFrame(
            {"doc_id": found.baseline, "kept": [d in found.candidate for d in found.baseline]}
        ),
        hide_index=True,
        width="stretch",
    )
    right.markdown("**Neighbours under the candidate**")
    right.dataframe(
        pd.DataFrame(
            {"doc_id": found.candidate, "new": [d not in found.baseline for d in found.candidate]}
        ),
        hide_index=True,
        width="stretch",
    )
    st.markdown(f"**Queries whose top-k this document left:** {len(found.queries_left)}")
    if found.queries_left:
        pick = st.selectbox("Open one in Changed answers", found.queries_left, key="drift_query")
        if st.button("Open query", key="drift_open"):
            state.select_query(pick)
            st.switch_page("views/changed.py", query_params=dict(st.query_params))
