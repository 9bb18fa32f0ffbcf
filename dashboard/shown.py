"""The comparison on show: computed through the engine's pipeline from the session's
RunSpec (its stages kept per server) or opened from a saved folder; either way its bundle is
what every page presents. A page starts with :func:`require_comparison`."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

import streamlit as st

from analysis.bundle.files import Bundle
from analysis.compare import FAMILIES, Comparison
from analysis.errors import InputError
from analysis.metrics.projection import PROJECTION
from analysis.pipeline.run import Outcome, run_comparison, with_families
from analysis.progress import Progress
from dashboard import cache, saved, shared, state, visitor
from dashboard.progress_box import LazyStatusProgress
from dashboard.work_queue import TooManyRuns
from reporting.sections.base import Context

FIRST = tuple(f for f in FAMILIES if f is not PROJECTION)  # what every page but one needs
_this_run = threading.local()  # what the script run shows (a run is one thread's work)


@dataclass(frozen=True)
class Shown:
    """A comparison on show: its bundle (what every page presents), the key that names it
    in the caches and, when it was computed on this server, the comparison itself."""

    bundle: Bundle
    key: str
    comparison: Comparison | None = None  # None: opened from a saved folder (no vectors)
    spec: state.RunSpec | None = None  # how it was computed, when it was computed here
    warnings: tuple[str, ...] = ()  # what looks broken in the vectors

    @property
    def fingerprint(self) -> str:
        return self.bundle.summary.fingerprint

    def context(self) -> Context:
        """The sidebar's domain filter."""
        return Context(domain=state.selected_domain())


def _shown(outcome: Outcome, spec: state.RunSpec) -> Shown:
    return Shown(outcome.bundle, outcome.key, outcome.comparison, spec, outcome.warnings)


def load(spec: state.RunSpec, *, progress: Progress | None = None) -> Shown:
    """The comparison for ``spec``, every family but the projection (that one waits for its
    page), computed once per server; on a shared server a computation waits for a free
    worker (one already computed does not)."""
    mode = shared.current()
    if mode is not None:  # whatever put the spec in the session, a visitor names nothing else
        spec.check_shared(mode)
    queue, key = cache.work_queue(), json.dumps(spec.to_params(), sort_keys=True)
    if queue is None or cache.store().peek("ready", key):
        return _computed(spec, progress)
    assert mode is not None
    waiting = getattr(progress, "queued", None) or (lambda position: None)
    try:
        tab = visitor.tab()  # None outside a page's run: nobody to count
        who = visitor.visitor() if tab is not None else None
        with queue.slot(on_wait=waiting, visitor=who, tab=tab):
            shown = _computed(spec, progress)
    except TooManyRuns as err:
        raise InputError(
            f"You already have {err.held} comparison(s) running or waiting on this shared "
            f"dashboard in another tab, as many as one visitor may (runs_per_visitor = "
            f"{err.limit}, set by the operator in {mode.source}). Wait for it to finish, or "
            "cancel it in its tab, then press Run comparison again."
        ) from None
    cache.store().put("ready", key, True)
    return shown


def _computed(spec: state.RunSpec, progress: Progress | None) -> Shown:
    request = spec.request(pasted_key=st.session_state.get(state.PASTED_KEY) or None)
    outcome = run_comparison(request, progress=progress, memo=cache.store(), families=FIRST)
    saved.remember_run(outcome.bundle.summary.fingerprint, spec.to_params())
    return _shown(outcome, spec)


def with_projection(shown: Shown, progress: Progress | None = None) -> Shown:
    """The comparison on show with its projection, which the pages compute only when the
    Embedding space page (or an export) asks for it; unchanged when there is none to add."""
    if not needs_projection(shown):
        return shown
    assert shown.comparison is not None and shown.spec is not None
    full = with_families(
        Outcome(shown.comparison, shown.bundle, shown.key, shown.warnings),
        shown.spec.request(),
        progress=progress,
        memo=cache.store(),
    )
    return _shown(full, shown.spec)


def needs_projection(shown: Shown) -> bool:
    comparison = shown.comparison
    return (
        comparison is not None
        and comparison.config.projection
        and PROJECTION not in comparison.families
    )


def load_saved(fingerprint: str) -> Shown:
    """A saved comparison this server has opened (no model, no corpus, no vectors)."""
    entry = saved.lookup(fingerprint)
    if entry is None or entry.folder is None:
        raise InputError(
            f"comparison {fingerprint} is not saved on this server any more; open its folder "
            "or zip again on the Setup page"
        )
    bundle = cache.saved_bundle(entry.folder)
    if bundle.summary.fingerprint != fingerprint:
        raise InputError(
            f"{entry.folder} now holds comparison {bundle.summary.fingerprint}, not "
            f"{fingerprint}; open it again on the Setup page"
        )
    return Shown(bundle, f"saved|{entry.folder}|{fingerprint}")


def require_comparison() -> Shown:
    """The comparison on show, or an empty state that says what to do (and stop)."""
    fingerprint, spec = state.get_saved(), state.get_run()
    if fingerprint is None and spec is None and state.was_cancelled():
        st.info(
            "The comparison was cancelled. Its settings are still on the **Setup** page: "
            "press **Run comparison** there to start it again."
        )
        st.page_link("views/setup.py", label="Go to Setup", icon=":material/tune:")
        st.stop()
    if fingerprint is None and spec is None:
        st.info(
            "No comparison yet. On the **Setup** page, open a saved comparison (a `compare` "
            "output folder or the Export page's zip), or choose a corpus and two models and "
            "press **Run comparison**."
        )
        st.page_link("views/setup.py", label="Go to Setup", icon=":material/tune:")
        st.stop()
    try:
        if fingerprint is not None:
            shown = load_saved(fingerprint)
        else:
            assert spec is not None
            with LazyStatusProgress(
                "Preparing the comparison…",
                done="Comparison ready",
                failed="The comparison could not be prepared",
                cancel=cancel,
            ) as progress:
                shown = load(spec, progress=progress)
    except InputError as err:
        st.error(f"This comparison cannot be loaded:\n\n{err}")
        st.stop()
    state.set_shown(shown.fingerprint)
    for warning in shown.warnings:
        st.warning(warning)
    _validate_selection(shown)
    note_shown(shown, state.selected_domain())
    return shown


def cancel() -> None:
    """The Cancel button's callback (it runs before the rerun that stops the work): show no
    comparison, and give this tab's place in a shared server's line up."""
    state.cancel_run()
    queue = cache.work_queue()
    if queue is not None:
        queue.cancel(visitor.tab())


def note_shown(shown: Shown | None, domain: str | None = None) -> None:
    """Record the comparison (and sidebar domain) this script run shows; None forgets it."""
    _this_run.shown = None if shown is None else (shown, domain)


def shown_this_run() -> tuple[Shown, str | None] | None:
    """The comparison this script run showed and its domain, if it showed one."""
    shown: tuple[Shown, str | None] | None = getattr(_this_run, "shown", None)
    return shown


def _validate_selection(shown: Shown) -> None:
    bundle = shown.bundle
    domain = state.selected_domain()
    if domain is not None and domain not in bundle.summary.domain_names:
        st.warning(f"Domain '{domain}' from the link is not in this corpus; showing all domains.")
        st.session_state[state.DOMAIN] = state.ALL_DOMAINS
    query = state.selected_query()
    queries = bundle.queries
    if query is not None and (queries is None or query not in set(queries["query_id"])):
        st.warning(f"Query '{query}' from the link is not in this comparison.")
        state.select_query(None)
