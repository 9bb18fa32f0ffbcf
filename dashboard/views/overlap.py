"""Retrieval overlap: the section's figures and table, and click-through from the scatter."""

from __future__ import annotations

import streamlit as st

from dashboard import render, session, state
from reporting.sections import overlap

st.title("Retrieval overlap")
loaded = session.require_comparison()
bundle, context = loaded.bundle, loaded.context()
blocks = loaded.view("overlap", lambda: overlap.blocks(bundle, context))
scatter = loaded.view("overlap_scatter", lambda: overlap.query_scatter(bundle, context))
render.show(blocks[:1])
if scatter is not None:
    event = st.plotly_chart(
        scatter, key="overlap_scatter", on_select="rerun", selection_mode="points"
    )
    points = event.get("selection", {}).get("points", []) if event else []
    if points:
        state.select_query(points[0]["customdata"])
        st.switch_page("views/changed.py", query_params=dict(st.query_params))
render.show(blocks[1:], bundle)
