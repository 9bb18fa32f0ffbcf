"""Every page's first view, built in the background once a page of the comparison has
been drawn: a page's first visit then shows views already made instead of building its
plotly figures and tables while the reader waits (0.1–0.25 s a page on 20,000
documents). One thread per comparison and sidebar domain, once per server; a page visited
before its view is ready waits for that one view (the view cache locks per view) rather
than building it twice."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

from dashboard import cache, page_views, session
from dashboard.session import Loaded
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
    session.note_shown(None)
    yield
    shown = session.shown_this_run()
    session.note_shown(None)
    if shown is not None:
        start(*shown)


def start(loaded: Loaded, domain: str | None) -> threading.Thread:
    """The thread building ``loaded``'s first views for ``domain``: started once per server."""
    key = loaded.view_key("prebuild", domain, ())
    return cache.store().get("prebuild", key, lambda: _started(loaded, domain))


def _started(loaded: Loaded, domain: str | None) -> threading.Thread:
    thread = threading.Thread(
        target=build_first_views, args=(loaded, domain), name=THREAD_NAME, daemon=True
    )
    thread.start()
    return thread


def build_first_views(loaded: Loaded, domain: str | None) -> None:
    """Every page view's first visit for ``domain``, into the view cache (no Streamlit call:
    this runs outside any script run)."""
    with _ONE_AT_A_TIME:
        _build(loaded, domain)


def _build(loaded: Loaded, domain: str | None) -> None:
    bundle, context = loaded.bundle, Context(domain=domain)
    for view in page_views.FIRST_VISITS:
        if not view.shown_for(bundle):
            continue
        options = view.first(bundle)
        try:
            cache.view_for(
                loaded.view_key(view.name, domain, options),
                partial(view.build, bundle, context, *options),
            )
        except Exception:  # the page builds it again on its visit and shows the error there
            log.warning("building the %s view ahead failed", view.name, exc_info=True)
