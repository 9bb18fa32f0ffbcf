"""Start loading the browser's chart library while the first comparison computes.

Streamlit's page fetches plotly.js (a 4.7 MB module) only when the first chart arrives. On a
cold start that is after the comparison has been computed, so the analyst waits about one
more second (fetch, parse, first plot) in front of a finished page with no chart. Importing
the same module as soon as a session starts overlaps that with the server's work; the
frontend's own import then finds it loaded.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import streamlit as st

_DONE = "_chart_library_requested"


@cache
def _chart_module() -> str | None:
    """File name of the frontend's Plotly module in this Streamlit installation."""
    scripts = Path(st.__file__).parent / "static" / "static" / "js"
    found = sorted(scripts.glob("PlotlyChart.*.js"))
    return found[0].name if found else None


def chart_library() -> None:
    """Once per browser session: import the chart module beside the page's own scripts."""
    if st.session_state.get(_DONE):
        return
    st.session_state[_DONE] = True
    name = _chart_module()
    if name is None:  # another Streamlit build: the page loads it when it needs it
        return
    st.sidebar.html(
        "<script>"
        "const index = document.querySelector('script[src*=\"/static/js/index\"]');"
        f"if (index) import(new URL({json.dumps(name)}, index.src).href).catch(() => {{}});"
        "</script>",
        unsafe_allow_javascript=True,
    )
