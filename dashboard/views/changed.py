"""Changed answers: the section's query table with filters, and the selected query's lists."""

from __future__ import annotations

import streamlit as st

from dashboard import render, session, state
from reporting.sections import changed as section
from reporting.sections.base import Table
from reporting.sections.documents import with_texts

PAGE_SIZE = 50

st.title("Changed answers")
loaded = session.require_comparison()
bundle, context = loaded.bundle, loaded.context()
if bundle.queries is None or bundle.queries.empty:
    st.info("This corpus has no queries. Add a queries file on the Setup page.")
    st.stop()
f1, f2, f3 = st.columns(3)
only_changed = f1.checkbox("Only queries whose top-k changed", True, key="changed_only")
max_overlap = f2.slider("Top-k Jaccard at most", 0.0, 1.0, 1.0, 0.05, key="changed_max_overlap")
order = f3.selectbox("Rank by", section.orders(bundle), key="changed_order")
shown = section.changed_queries(
    bundle, context.domain, only_changed=only_changed, max_overlap=max_overlap, order=order
)
words = st.text_input(
    "Search a query by id or words", key="changed_search", placeholder="e.g. invoice"
)
shown = render.searched(shown, words)
if shown.empty:
    st.info("No query matches these filters. Loosen them, or pick another domain.")
    st.stop()
pages = max(1, -(-len(shown) // PAGE_SIZE))
page = st.number_input(
    f"Page (of {pages}, {len(shown):,} queries)", 1, pages, 1, key="changed_page"
)
window = shown.iloc[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
event = render.dataframe(window, key="changed_table", selectable=True, height=320)
rows = event.selection.rows if event is not None else []
if rows:
    state.select_query(window.iloc[rows[0]]["query_id"])
query_id = state.selected_query() or window.iloc[0]["query_id"]
match = bundle.queries[bundle.queries["query_id"] == query_id]
st.subheader(query_id)
if not match.empty and isinstance(match.iloc[0].get("text"), str):
    st.markdown(f"> {match.iloc[0]['text']}")
render.show_block(section.side_by_side(bundle, query_id), bundle)
left_docs = section.left_documents(bundle, query_id)
if not left_docs.empty:
    st.markdown(
        "**Documents that left, with their own neighbourhood drift** "
        "(neighbours kept: 1 = intact, 0 = replaced)"
    )
    render.show_block(Table("left_documents", "", with_texts(left_docs, bundle)), bundle)
