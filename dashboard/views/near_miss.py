"""Near misses: the section's tables and chart; pick an item to read its passage beside its
near miss, the edit highlighted in both, with each model's margin."""

from __future__ import annotations

import streamlit as st

from dashboard import prepared, render
from dashboard.shown import require_comparison
from reporting.sections import near_miss as section
from reporting.sections.base import Pair, Table

st.title("Near misses")
on_show = require_comparison()
blocks = prepared.of_section(section.SECTION).of(on_show)
items_block = render.find(blocks, section.ITEMS_KEY)
# the page shows the items as a table to pick from; the report prints the first pairs
render.show([b for b in blocks if b is not items_block and not isinstance(b, Pair)], on_show.bundle)
items = section.item_table(on_show.bundle, on_show.context().domain)
if isinstance(items_block, Table) and items is not None and not items.empty:
    st.markdown(f"**{items_block.title}** — pick one to read it beside its near miss")
    shown = render.searched(items, st.text_input("Search by id or words", key="near_miss_search"))
    if not shown.empty:
        event = render.dataframe(
            shown[list(items_block.frame.columns)],
            key="near_miss_items",
            selectable=True,
            height=min(render.TABLE_HEIGHT, 38 + 35 * len(shown)),
        )
        rows = event.selection.rows if event is not None else []
        render.show(section.pair_blocks(shown.iloc[[rows[0] if rows else 0]]))
