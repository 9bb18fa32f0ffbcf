"""The page of a question that needs no interaction of its own: its section's blocks."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from dashboard import prepared, render
from dashboard.shown import require_comparison
from reporting.sections.base import Section


def section_page(section: Section) -> Callable[[], None]:
    """A page function (for ``st.Page``) that shows one section for the comparison on show."""

    def page() -> None:
        st.title(section.title)
        on_show = require_comparison()
        render.show(prepared.of_section(section).of(on_show), on_show.bundle)

    page.__name__ = f"section_{section.key}"  # st.Page names callable pages after the function
    return page
