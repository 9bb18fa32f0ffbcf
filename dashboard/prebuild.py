"""Every page's first view, built in the background once a page of the comparison has
been drawn: a page's first visit then shows views already made instead of building its
plotly figures and tables while the reader waits (0.1–0.25 s a page on 20,000
documents). One thread per comparison and sidebar domain, once per server; a page visited
before its view is ready waits for that one view (the view cache locks per view) rather
than building it twice."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from dashboard import cache, prepared, shown
from dashboard.shown import Shown
from reporting.sections.base import Context

log = logging.getLogger(__name__)
THREAD_NAME = "recall-horizon-prebuild"
# One builder at a time (domains chosen in quick succession each start one): two cores
# are shared with the pages being drawn.
_ONE_AT_A_TIME = threading.Lock()


@contextmanager
def after_run() -> Iterator[None]:
    """Around a page's run: when it ends normally, its comparison's first views are built
    in the background. A run that stops, reruns or fails starts nothing (a rerun follows
    at once, and would share the two cores with the builder)."""
    shown.note_shown(None)
    yield
    this_run = shown.shown_this_run()
    shown.note_shown(None)
    if this_run is not None:
        start(*this_run)


def start(on_show: Shown, domain: str | None) -> threading.Thread:
    """The thread building ``on_show``'s first views for ``domain``: started once per server."""
    key = json.dumps([on_show.key, on_show.bundle.projection is not None, domain])
    return cache.store().get("prebuild", key, lambda: _started(on_show, domain))


def _started(on_show: Shown, domain: str | None) -> threading.Thread:
    thread = threading.Thread(
        target=build_first_views, args=(on_show, domain), name=THREAD_NAME, daemon=True
    )
    thread.start()
    return thread


def build_first_views(on_show: Shown, domain: str | None) -> None:
    """Every page view's first visit for ``domain``, into the view cache (no Streamlit call:
    this runs outside any script run)."""
    with _ONE_AT_A_TIME:
        _build(on_show, domain)


def _build(on_show: Shown, domain: str | None) -> None:
    context = Context(domain=domain)
    for item in prepared.FIRST_VISITS:
        if not item.shown_for(on_show):
            continue
        try:
            item.made(on_show, context, item.first(on_show))
        except Exception:  # the page builds it again on its visit and shows the error there
            log.warning("building the %s view ahead failed", item.name, exc_info=True)
