"""Changed answers: which queries got different documents, and what entered and left?"""

from __future__ import annotations

import streamlit as st

from dashboard import session, state

PAGE_SIZE = 50

st.title("Changed answers")
loaded = session.require_comparison()
comparison = loaded.comparison
if comparison.corpus.n_queries == 0:
    st.info("This corpus has no queries. Add a queries file on the Setup page.")
    st.stop()
queries = comparison.changed.queries
domain = state.selected_domain()
f1, f2, f3 = st.columns(3)
only_changed = f1.checkbox("Only queries whose top-k changed", True, key="changed_only")
max_overlap = f2.slider("Top-k Jaccard at most", 0.0, 1.0, 1.0, 0.05, key="changed_max_overlap")
order = (
    f3.selectbox(
        "Rank by", ["relevance lost", "overlap (lowest first)", "rank shift"], key="changed_order"
    )
    if "relevance_lost" in queries
    else f3.selectbox("Rank by", ["overlap (lowest first)", "rank shift"], key="changed_order")
)
shown = queries if domain is None else queries[queries["domain"] == domain]
shown = shown[shown["jaccard"] <= max_overlap + 1e-9]
if only_changed:
    shown = shown[shown["changed"]]
sort = {
    "relevance lost": ("relevance_lost", False),
    "overlap (lowest first)": ("jaccard", True),
    "rank shift": ("rank_shift", False),
}[order]
shown = shown.sort_values(sort[0], ascending=sort[1], na_position="last")
if shown.empty:
    st.info("No query matches these filters. Loosen them, or pick another domain.")
    st.stop()
pages = max(1, -(-len(shown) // PAGE_SIZE))
page = st.number_input(
    f"Page (of {pages}, {len(shown):,} queries)", 1, pages, 1, key="changed_page"
)
window = shown.iloc[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
columns = [
    c
    for c in [
        "query_id",
        "domain",
        "jaccard",
        "rbo",
        "rank_shift",
        "n_left",
        "n_entered",
        "relevant_left",
        "relevance_lost",
    ]
    if c in window
]
event = st.dataframe(
    window[columns],
    width="stretch",
    hide_index=True,
    height=320,
    on_select="rerun",
    selection_mode="single-row",
    key="changed_table",
)
rows = event.selection.rows if event is not None else []
if rows:
    state.select_query(window.iloc[rows[0]]["query_id"])
query_id = state.selected_query() or window.iloc[0]["query_id"]
corpus = comparison.corpus
st.subheader(f"{query_id}")
st.markdown(f"> {corpus.query_texts[corpus.query_index[query_id]]}")
side = comparison.changed.side_by_side(query_id)
left, right = st.columns(2)
for column, model in ((left, "baseline"), (right, "candidate")):
    ranked = side[side[f"rank_{model}"].notna()].sort_values(f"rank_{model}")
    column.markdown(f"**{model.capitalize()} top-{comparison.config.k}**")
    column.dataframe(
        ranked[[f"rank_{model}", "doc_id", f"score_{model}", "grade", "change"]].rename(
            columns={f"rank_{model}": "rank", f"score_{model}": "score"}
        ),
        hide_index=True,
        width="stretch",
    )
left_docs = side[side["change"] == "left"]
if not left_docs.empty:
    st.markdown(
        "**Documents that left, with their own neighbourhood drift** "
        "(neighbours kept: 1 = intact, 0 = replaced)"
    )
    st.dataframe(
        left_docs[
            [
                "doc_id",
                "doc_domain",
                "rank_baseline",
                "score_baseline",
                "grade",
                "doc_neighbourhood_jaccard",
            ]
        ],
        hide_index=True,
        width="stretch",
    )
