"""Recall Horizon dashboard: page config, the shared sidebar and the router. Nothing else.

Run with:  streamlit run dashboard/app.py

The pages are Setup, one per question in ``reporting.sections.SECTIONS`` (a view file in
``views/`` when the question has interaction of its own, else the generic page that shows
the section's blocks), and Export.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import streamlit as st
from streamlit.navigation.page import StreamlitPage

# Streamlit runs this file as a script; make the repository importable as a package root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard import sidebar, state  # noqa: E402
from dashboard.generic import section_page  # noqa: E402
from dashboard.session import demo_run  # noqa: E402
from reporting.sections import SECTIONS  # noqa: E402

st.set_page_config(page_title="Recall Horizon", page_icon=":material/radar:", layout="wide")

VIEWS = Path(__file__).resolve().parent / "views"


def _page(key: str, title: str, icon: str, page: Callable[[], None] | None = None) -> StreamlitPage:
    target: str | Callable[[], None] = page if page is not None else f"views/{key}.py"
    return st.Page(target, title=title, icon=icon, url_path=key, default=key == "overview")


PAGES = {"setup": _page("setup", "Setup", ":material/tune:")}
for section in SECTIONS:
    if section.on_page:
        own_view = (VIEWS / f"{section.key}.py").is_file()
        PAGES[section.key] = _page(
            section.key, section.title, section.icon, None if own_view else section_page(section)
        )
PAGES["export"] = _page("export", "Export", ":material/download:")

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
