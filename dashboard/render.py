"""A section's blocks as Streamlit elements (the report renders the same blocks as HTML).

Every table is shown for people (labels, units, words; see ``reporting.labels``); a table
that lists queries or documents gets a search box, and selecting a document's row opens
its whole text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from analysis.bundle.files import Bundle
from reporting.html import PASSAGE_STYLE, passage_html
from reporting.labels import CHANGE, COUNT, DELTA, NUMBER, POINTS, SCORE, SHARE, for_people
from reporting.sections.base import Block, Bullets, Chart, Heading, Passage, Stack, Table, Text
from reporting.sections.documents import full_text

TABLE_HEIGHT = 360
SEARCH_FROM_ROWS = 15  # a top-10 list needs no search box; a page's long list does
SEARCHABLE = ("query_id", "doc_id", "answer_doc_baseline")  # id columns worth a search box
FORMATS = {
    SHARE: "%.1f%%",
    CHANGE: "%+.1f%%",
    POINTS: "%+.1f pp",
    SCORE: "%.3f",
    DELTA: "%+.3f",
    NUMBER: "%.1f",
    COUNT: "%d",
}


def show(blocks: Sequence[Block], bundle: Bundle | None = None) -> None:
    """Show the blocks; with the ``bundle``, document rows open their text when selected."""
    for block in blocks:
        show_block(block, bundle)


def show_block(block: Block, bundle: Bundle | None = None) -> None:
    if isinstance(block, Text):
        (st.caption if block.muted else st.markdown)(block.text)
    elif isinstance(block, Heading):
        st.subheader(block.text)
    elif isinstance(block, Bullets):
        st.markdown("\n".join(f"- {item}" for item in block.items))
    elif isinstance(block, Chart):
        st.plotly_chart(block.figure, key=block.key)
    elif isinstance(block, Table):
        show_table(block, bundle)
    elif isinstance(block, Passage):
        # st.html: the text is escaped HTML, never read as markdown
        st.html(f"<style>{PASSAGE_STYLE}</style>{passage_html(block)}")
    elif isinstance(block, Stack):
        show(block.blocks, bundle)
    else:
        left, right = st.columns(2)
        with left:
            show_block(block.left, bundle)
        with right:
            show_block(block.right, bundle)


def show_table(block: Table, bundle: Bundle | None) -> None:
    if block.title:
        st.markdown(f"**{block.title}**")
    frame = block.frame
    if len(frame) > SEARCH_FROM_ROWS and any(c in frame for c in SEARCHABLE):
        frame = searched(
            frame,
            st.text_input(
                "Search by id or words",
                key=f"search_{block.key}",
                placeholder="an id, or words of a query or document",
            ),
        )
    documents = "doc_id" in frame and bundle is not None
    event = dataframe(frame, key=f"table_{block.key}", selectable=documents, index=block.index)
    if documents and bundle is not None:
        rows = event.selection.rows if event is not None else []
        if rows:
            _document(bundle, str(frame["doc_id"].iloc[rows[0]]))
        else:
            st.caption("Select a row to read the whole document.")


def dataframe(
    frame: pd.DataFrame,
    *,
    key: str,
    selectable: bool = False,
    index: bool = False,
    height: int | None = None,
) -> Any:
    """``st.dataframe`` of the table for people; with ``selectable``, one row can be picked
    (the return value's ``selection.rows``)."""
    people = for_people(frame)
    config = {
        label: st.column_config.NumberColumn(label, format=FORMATS[kind])
        for label, kind in people.kinds.items()
        if kind in FORMATS and pd.api.types.is_numeric_dtype(people.frame[label])
    }
    options: dict[str, Any] = {}
    if height is not None or len(frame) > 10:
        options["height"] = height or TABLE_HEIGHT
    if selectable:
        options.update(on_select="rerun", selection_mode="single-row", key=key)
    return st.dataframe(
        people.frame, width="stretch", hide_index=not index, column_config=config, **options
    )


def searched(frame: pd.DataFrame, words: str) -> pd.DataFrame:
    """Rows whose id or text holds every word typed (case-insensitive)."""
    words = words.strip().lower()
    if not words:
        return frame
    text_columns = [
        c
        for c in frame.columns
        if frame[c].dtype == object or str(frame[c].dtype) in ("string", "str")
    ]
    haystack = frame[text_columns].astype(str).agg(" ".join, axis=1).str.lower()
    keep = pd.Series(True, index=frame.index)
    for word in words.split():
        keep &= haystack.str.contains(word, regex=False)
    found = frame[keep]
    if found.empty:
        st.caption(f"No row holds '{words}'.")
    return found


def _document(bundle: Bundle, doc_id: str) -> None:
    found = full_text(bundle, doc_id)
    with st.container(border=True):
        st.markdown(f"**{doc_id}**")
        if found is None:
            st.caption("This bundle holds no text for this document.")
            return
        text, cut = found
        st.text(text)
        if cut:
            st.caption("Cut short: the bundle keeps the opening of this document only.")


def find(blocks: Sequence[Block], key: str) -> Block | None:
    """The block with this key (tables and charts have keys)."""
    return next((b for b in blocks if isinstance(b, Table | Chart) and b.key == key), None)
