"""Recall Horizon dashboard: page config, the shared sidebar and the router. Nothing else.

Run with:  streamlit run dashboard/app.py [-- --open FOLDER | -- --demo]

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

from dashboard import warmup  # noqa: E402  (imports nothing heavy)

st.set_page_config(page_title="Recall Horizon", page_icon=":material/radar:", layout="wide")
# Before the engine's imports (about a second on a server's first run): the browser fetches
# and compiles the chart library meanwhile.
warmup.chart_library()

from dashboard import (  # noqa: E402
    prebuild,
    sidebar,
    sign_in,
    startup,
    state,
)
from dashboard.section_page import section_page  # noqa: E402
from reporting.sections import SECTIONS  # noqa: E402

VIEWS = Path(__file__).resolve().parent / "views"


def _page(key: str, title: str, icon: str, page: Callable[[], None] | None = None) -> StreamlitPage:
    target: str | Callable[[], None] = page if page is not None else f"views/{key}.py"
    return st.Page(target, title=title, icon=icon, url_path=key)


def _home() -> None:
    """The root URL opens the Overview, which keeps its own /overview address (bookmarks)."""
    st.switch_page(PAGES["overview"], query_params=dict(st.query_params))


HOME = st.Page(_home, title="Recall Horizon", url_path="home", default=True, visibility="hidden")
PAGES = {
    "setup": _page("setup", "Setup", ":material/tune:"),
    "rounds": _page("rounds", "Rounds", ":material/timeline:"),
}
for section in SECTIONS:
    if section.on_page:
        own_view = (VIEWS / f"{section.key}.py").is_file()
        PAGES[section.key] = _page(
            section.key, section.title, section.icon, None if own_view else section_page(section)
        )
PAGES["export"] = _page("export", "Export", ":material/download:")

sign_in.require()  # where the operator asks for it, no page runs before the visitor signs in
# A link's problems are shown on the first real page (the root only redirects).
st.session_state.setdefault("_url_problems", []).extend(state.load_url_once())
if state.get_run() is None and state.get_saved() is None:
    st.session_state["_url_problems"].extend(startup.open_from_arguments(sys.argv[1:]))
# every page listed: a question hidden behind "View more" is a question nobody asks
page = st.navigation([HOME, *PAGES.values()], expanded=True)
requested = st.query_params.get("page")
if (
    requested in PAGES
    and PAGES[requested].url_path != page.url_path
    and not st.session_state.get("_page_followed")
):
    st.session_state["_page_followed"] = True
    st.switch_page(PAGES[requested], query_params=dict(st.query_params))
st.session_state["_page_followed"] = True
if page.url_path != HOME.url_path:
    for problem in st.session_state.pop("_url_problems", []):
        st.warning(problem)
sidebar.render()
current = next((name for name, p in PAGES.items() if p.url_path == page.url_path), "overview")
st.session_state[state.PAGE] = current
state.write_url(current)
with prebuild.after_run():  # then the other pages' first views, in the background
    page.run()
