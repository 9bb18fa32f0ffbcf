"""Neighbourhood drift: the section, and one document's neighbours and the queries it left."""

from __future__ import annotations

import streamlit as st

from dashboard import prepared, render, state
from dashboard.shown import Shown, require_comparison
from reporting.sections import drift as section
from reporting.sections.documents import full_text

st.title("Neighbourhood drift")
on_show = require_comparison()
render.show(prepared.DRIFT.of(on_show), on_show.bundle)


@st.fragment
def inspector(on_show: Shown) -> None:
    """One document's neighbours: a fragment, so picking another reruns this part only."""
    bundle = on_show.bundle
    ranked = prepared.DRIFT_RANKED.of(on_show)
    options = list(ranked.get("doc_id", []))
    opened = state.selected_document()  # a document another page sent here
    if opened and opened not in options:
        options.insert(0, opened)
    st.subheader("One document's neighbours")
    choice = st.selectbox("Inspect a document", options, key=state.DOCUMENT)
    found = section.neighbours_of(bundle, choice) if choice else None
    if choice and found is None:
        st.info(
            f"{choice} has no saved neighbours: it was outside the drift sample, or this "
            "bundle was written before neighbours were saved."
        )
    if not choice or found is None:
        return
    text = full_text(bundle, choice)
    st.markdown(f"**{choice}**")
    if text is not None:
        st.text(text[0])
    render.show_block(section.neighbour_tables(bundle, found), bundle)
    st.markdown(f"**Queries whose top-k this document left:** {len(found.queries_left)}")
    if found.queries_left:
        pick = st.selectbox("Open one in Changed results", found.queries_left, key="drift_query")
        if st.button("Open query", key="drift_open"):
            state.select_query(pick)
            st.switch_page("views/changed.py", query_params=dict(st.query_params))


inspector(on_show)
