"""Neighbourhood drift: the section, and one document's neighbours and the queries it left."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import page_views, render, session, state
from reporting.sections import drift as section
from reporting.sections.base import Table
from reporting.sections.documents import full_text, with_texts

st.title("Neighbourhood drift")
loaded = session.require_comparison()
render.show(page_views.DRIFT.of(loaded), loaded.bundle)


@st.fragment
def inspector(loaded: session.Loaded) -> None:
    """One document's neighbours: a fragment, so picking another reruns this part only."""
    bundle = loaded.bundle
    ranked = page_views.DRIFT_RANKED.of(loaded)
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
    left, right = st.columns(2)
    with left:
        kept = pd.DataFrame(
            {"doc_id": found.baseline, "kept": [d in found.candidate for d in found.baseline]}
        )
        render.show_block(
            Table("neighbours_baseline", "Neighbours under the baseline", with_texts(kept, bundle))
        )
    with right:
        new = pd.DataFrame(
            {"doc_id": found.candidate, "new": [d not in found.baseline for d in found.candidate]}
        )
        render.show_block(
            Table("neighbours_candidate", "Neighbours under the candidate", with_texts(new, bundle))
        )
    st.markdown(f"**Queries whose top-k this document left:** {len(found.queries_left)}")
    if found.queries_left:
        pick = st.selectbox("Open one in Changed answers", found.queries_left, key="drift_query")
        if st.button("Open query", key="drift_open"):
            state.select_query(pick)
            st.switch_page("views/changed.py", query_params=dict(st.query_params))


inspector(loaded)
