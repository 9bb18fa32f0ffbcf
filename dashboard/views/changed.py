"""Changed results: the section's query table with filters, and the selected query's lists."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import prepared, render, state
from dashboard.shown import Shown, require_comparison
from reporting.sections import changed as section
from reporting.sections.base import Table

PAGE_SIZE = 50

st.title("Changed results")
on_show = require_comparison()
queries = on_show.bundle.queries
if queries is None or queries.empty:
    st.info("This corpus has no queries. Add a queries file on the Setup page.")
    st.stop()


@st.fragment
def browser(on_show: Shown, queries: pd.DataFrame) -> None:
    """Filters, the query table and the chosen query's lists: a fragment, so a filter or a
    selection reruns this part only, from lists already built for the same view."""
    bundle = on_show.bundle
    f1, f2, f3 = st.columns(3)
    only_changed = f1.checkbox(
        "Only queries whose top-k changed", prepared.ONLY_CHANGED_AT_FIRST, key="changed_only"
    )
    max_overlap = f2.slider(
        "Top-k Jaccard at most",
        0.0,
        1.0,
        prepared.MAX_OVERLAP_AT_FIRST,
        0.05,
        key="changed_max_overlap",
    )
    order = f3.selectbox("Rank by", section.orders(bundle), key="changed_order")
    shown = prepared.CHANGED_QUERIES.of(on_show, only_changed, max_overlap, order)
    words = st.text_input(
        "Search a query by id or words", key="changed_search", placeholder="e.g. invoice"
    )
    shown = render.searched(shown, words)
    if shown.empty:
        st.info("No query matches these filters. Loosen them, or pick another domain.")
        return
    pages = max(1, -(-len(shown) // PAGE_SIZE))
    page = st.number_input(
        f"Page (of {pages}, {len(shown):,} queries)", 1, pages, 1, key="changed_page"
    )
    window = shown.iloc[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    event = render.dataframe(window, key="changed_table", selectable=True, height=320)
    rows = event.selection.rows if event is not None else []
    if rows:
        state.select_query(window.iloc[rows[0]]["query_id"])
        state.write_url("changed")  # the link follows the selection (the app did not rerun)
    query_id = state.selected_query() or window.iloc[0]["query_id"]
    match = queries[queries["query_id"] == query_id]
    st.subheader(query_id)
    if not match.empty and isinstance(match.iloc[0].get("text"), str):
        st.markdown(f"> {match.iloc[0]['text']}")
    render.show_block(
        prepared.CHANGED_LISTS.of(on_show, query_id),
        bundle,
    )
    left_docs = prepared.CHANGED_LEFT.of(on_show, query_id)
    if not left_docs.empty:
        st.markdown(
            "**Documents that left, with their own neighbourhood drift** "
            "(neighbours kept: 1 = intact, 0 = replaced)"
        )
        render.show_block(Table("left_documents", "", left_docs), bundle)


browser(on_show, queries)
