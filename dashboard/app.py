"""Recall Horizon dashboard: page config, the shared sidebar and the router. Nothing else.

Run with:  streamlit run dashboard/app.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# Streamlit runs this file as a script; make the repository importable as a package root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard import sidebar, state  # noqa: E402
from dashboard.session import demo_run  # noqa: E402

st.set_page_config(page_title="Recall Horizon", page_icon=":material/radar:", layout="wide")

PAGES = {
    "setup": st.Page("views/setup.py", title="Setup", icon=":material/tune:", url_path="setup"),
    "overview": st.Page(
        "views/overview.py",
        title="Overview",
        icon=":material/dashboard:",
        url_path="overview",
        default=True,
    ),
    "overlap": st.Page(
        "views/overlap.py",
        title="Retrieval overlap",
        icon=":material/join_inner:",
        url_path="overlap",
    ),
    "drift": st.Page(
        "views/drift.py", title="Neighbourhood drift", icon=":material/hub:", url_path="drift"
    ),
    "thresholds": st.Page(
        "views/thresholds.py",
        title="Threshold exclusions",
        icon=":material/filter_alt:",
        url_path="thresholds",
    ),
    "space": st.Page(
        "views/space.py", title="Embedding space", icon=":material/scatter_plot:", url_path="space"
    ),
    "changed": st.Page(
        "views/changed.py",
        title="Changed answers",
        icon=":material/compare_arrows:",
        url_path="changed",
    ),
    "export": st.Page(
        "views/export.py", title="Export", icon=":material/download:", url_path="export"
    ),
}

for problem in state.load_url_once():
    st.warning(problem)
if "--demo" in sys.argv[1:] and state.get_run() is None:
    state.set_run(demo_run())
page = st.navigation(list(PAGES.values()))
requested = st.query_params.get("page")
if (
    requested in PAGES
    and PAGES[requested].url_path != page.url_path
    and not st.session_state.get("_page_followed")
):
    st.session_state["_page_followed"] = True
    st.switch_page(PAGES[requested], query_params=dict(st.query_params))
st.session_state["_page_followed"] = True
sidebar.render()
current = next((name for name, p in PAGES.items() if p.url_path == page.url_path), "overview")
state.write_url(current)
page.run()
