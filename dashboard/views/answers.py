"""Answers: the section's coverage, curves and lost queries; pick one to read both contexts."""

from __future__ import annotations

import streamlit as st

from dashboard import prepared, render, state
from dashboard.shown import Shown, require_comparison
from reporting.sections import answers as section
from reporting.sections.base import Table

st.title("Answers")
on_show = require_comparison()
bundle = on_show.bundle
overview = prepared.ANSWERS.of(on_show)
lost_block = render.find(overview, section.LOST_KEY)
render.show([b for b in overview if b is not lost_block], bundle)
kind = section.coverage_kind(bundle)
if kind is None or not isinstance(lost_block, Table):
    st.stop()  # nothing measured, or nothing lost (the overview said which)


@st.fragment
def lost_queries(on_show: Shown, block: Table, kind: section.CoverageKind) -> None:
    """The lost queries and the chosen one's two contexts: a fragment, so a search or a
    selection reruns this part only."""
    bundle = on_show.bundle
    st.markdown(f"**{block.title}** — pick one to read both contexts")
    lost = block.frame
    lost = render.searched(lost, st.text_input("Search by id or words", key="answers_search"))
    if lost.empty:
        return
    event = render.dataframe(
        lost,
        key="answers_lost_table",
        selectable=True,
        height=min(render.TABLE_HEIGHT, 38 + 35 * len(lost)),
    )
    rows = event.selection.rows if event is not None else []
    chosen = lost.iloc[rows[0]] if rows else lost.iloc[0]
    query_id = str(chosen["query_id"])
    st.subheader(query_id)
    render.show(section.query_lines(lost, query_id, kind))
    carrier = chosen.get(f"{kind.carrier_column}_baseline")
    open_changed, open_drift = st.columns(2)
    if open_changed.button("Open this query in Changed results", key="answers_open_changed"):
        state.select_query(query_id)
        st.switch_page("views/changed.py", query_params=dict(st.query_params))
    if isinstance(carrier, str) and open_drift.button(
        f"Open {carrier} (the baseline's carrier) in Neighbourhood drift",
        key="answers_open_drift",
    ):
        state.select_document(carrier)
        st.switch_page("views/drift.py", query_params=dict(st.query_params))
    said = section.llm_answers(bundle, query_id)
    if said is not None:
        render.show_block(said)
    shown = section.contexts(bundle, kind, query_id)
    if shown is None:
        st.info("This bundle does not hold the two contexts of this query.")
    else:
        render.show_block(shown)


if not lost_block.frame.empty:  # else the table above says no query lost it
    lost_queries(on_show, lost_block, kind)
