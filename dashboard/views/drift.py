"""Neighbourhood drift: the section, and one document's neighbours and the queries it left."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from analysis.metrics.changed import CHANGED
from analysis.metrics.drift import DRIFT
from dashboard import render, session, state
from reporting.sections import drift as section

st.title("Neighbourhood drift")
loaded = session.require_comparison()
bundle, context = loaded.bundle, loaded.context()
render.show(section.blocks(bundle, context))
ranked = section.most_drifted(bundle, context.domain).head(section.PAGE_ROWS)
choice = st.selectbox("Inspect a document", ranked.get("doc_id", []), key="drift_doc")
# The neighbour lists are not in the bundle: they come from the comparison on the server.
comparison = loaded.comparison
drift, changed = comparison.result(DRIFT), comparison.result(CHANGED)
if choice and drift is not None and changed is not None:
    corpus = comparison.corpus
    row = int(np.flatnonzero(np.asarray(drift.doc_ids, dtype=object) == choice)[0])
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
    left_queries = changed.queries_left_by(choice)
    st.markdown(f"**Queries whose top-k this document left:** {len(left_queries)}")
    if left_queries:
        pick = st.selectbox("Open one in Changed answers", left_queries, key="drift_query")
        if st.button("Open query", key="drift_open"):
            state.select_query(pick)
            st.switch_page("views/changed.py", query_params=dict(st.query_params))
