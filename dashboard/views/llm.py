"""LLM answers: the section (the judge's agreement first), then any sampled query's two
answers side by side over the two contexts they came from."""

from __future__ import annotations

import streamlit as st

from dashboard import page_views, render, session
from reporting.sections.base import Pair, Passage, Table, Text

st.title("LLM answers")
loaded = session.require_comparison()
bundle = loaded.bundle
shown = page_views.LLM.of(loaded)
render.show(shown, bundle)
answers_block = render.find(shown, "llm_answers")
contexts = bundle.table("llm_contexts")
if not isinstance(answers_block, Table) or answers_block.frame.empty or contexts is None:
    st.stop()
answers = answers_block.frame
query_id = st.selectbox(
    "Read one query's answers and contexts", answers["query_id"], key="llm_query"
)
row = answers[answers["query_id"] == query_id].iloc[0]
if isinstance(row.get("text"), str):
    st.markdown(f"> {row['text']}")
if isinstance(row.get("reference_answers"), str):
    st.caption(f"Reference answers: {row['reference_answers']}")
given = contexts[contexts["query_id"] == query_id].set_index("model")["context"]
render.show_block(
    Pair(
        Text(f"**Baseline's answer:** {row['llm_answer_baseline']}"),
        Text(f"**Candidate's answer:** {row['llm_answer_candidate']}"),
    )
)
render.show_block(
    Pair(
        Passage("the baseline's context, as the LLM read it", str(given.get("baseline", ""))),
        Passage("the candidate's context, as the LLM read it", str(given.get("candidate", ""))),
    )
)
