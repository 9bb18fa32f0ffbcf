"""LLM answers: the section (the judge's agreement first), then any sampled query's two
answers side by side over the two contexts they came from."""

from __future__ import annotations

import streamlit as st

from dashboard import prepared, render
from dashboard.shown import require_comparison
from reporting.sections import llm as section
from reporting.sections.base import Table

st.title("LLM answers")
on_show = require_comparison()
bundle = on_show.bundle
shown = prepared.LLM.of(on_show)
render.show(shown, bundle)
answers_block = render.find(shown, "llm_answers")
contexts = bundle.table("llm_contexts")
if not isinstance(answers_block, Table) or answers_block.frame.empty or contexts is None:
    st.stop()
answers = answers_block.frame
query_id = st.selectbox(
    "Read one query's answers and contexts", answers["query_id"], key="llm_query"
)
render.show(section.query_blocks(answers, contexts, query_id), bundle)
