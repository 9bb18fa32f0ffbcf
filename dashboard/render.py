"""A section's blocks as Streamlit elements (the report renders the same blocks as HTML)."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from reporting.html import PASSAGE_STYLE, passage_html
from reporting.sections.base import Block, Bullets, Chart, Heading, Passage, Stack, Table, Text

TABLE_HEIGHT = 360


def show(blocks: Sequence[Block]) -> None:
    for block in blocks:
        show_block(block)


def show_block(block: Block) -> None:
    if isinstance(block, Text):
        (st.caption if block.muted else st.markdown)(block.text)
    elif isinstance(block, Heading):
        st.subheader(block.text)
    elif isinstance(block, Bullets):
        st.markdown("\n".join(f"- {item}" for item in block.items))
    elif isinstance(block, Chart):
        st.plotly_chart(block.figure, key=block.key)
    elif isinstance(block, Table):
        if block.title:
            st.markdown(f"**{block.title}**")
        if len(block.frame) > 10:
            st.dataframe(
                block.frame, width="stretch", hide_index=not block.index, height=TABLE_HEIGHT
            )
        else:
            st.dataframe(block.frame, width="stretch", hide_index=not block.index)
    elif isinstance(block, Passage):
        # st.html: the text is escaped HTML, never read as markdown
        st.html(f"<style>{PASSAGE_STYLE}</style>{passage_html(block)}")
    elif isinstance(block, Stack):
        show(block.blocks)
    else:
        left, right = st.columns(2)
        with left:
            show_block(block.left)
        with right:
            show_block(block.right)


def find(blocks: Sequence[Block], key: str) -> Block | None:
    """The block with this key (tables and charts have keys)."""
    return next((b for b in blocks if isinstance(b, Table | Chart) and b.key == key), None)
