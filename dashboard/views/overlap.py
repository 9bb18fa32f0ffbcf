"""Retrieval overlap: the section's figures and table, and click-through from the scatter."""

from __future__ import annotations

import streamlit as st

from dashboard import prepared, render, state
from dashboard.shown import require_comparison

st.title("Retrieval overlap")
on_show = require_comparison()
bundle = on_show.bundle
blocks = prepared.OVERLAP.of(on_show)
scatter = prepared.OVERLAP_SCATTER.of(on_show)
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
