"""The dashboard's caches: one server-wide store, keyed by content fingerprints.

Streamlit hashes big arguments by sampling them, so nothing here is keyed on an array:
keys are strings built from paths plus file signatures, model and corpus fingerprints and
the comparison config. The store itself is the one ``st.cache_resource`` object, and the
pipeline's memo (``analysis.pipeline.run.Memo``): it keeps the pipeline's stages per server.
Entries are computed outside Streamlit's cache wrapper because they report progress into
the page, and Streamlit would replay those progress elements on every cache hit. Results
are frozen dataclasses shared read-only across sessions; models are loaded once per server.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import streamlit as st

from analysis.bundle.files import Bundle, load_bundle
from analysis.bundle.summary import Summary
from analysis.compare import Comparison, recut
from analysis.metrics.threshold_recut import held_pairs_floor, narrowed
from analysis.metrics.thresholds import THRESHOLDS, ThresholdResult
from analysis.pipeline.signature import file_signature
from dashboard import session_uploads, shared
from dashboard.work_queue import WorkQueue
from reporting.sections.thresholds import Cut, cut_from_result

T = TypeVar("T")
LIMITS = {
    "corpus": 16,
    "source": 8,
    "resolved": 8,
    "embeddings": 8,
    "comparison": 8,
    "recut": 64,
    "held": 8,
    "bundle": 8,
    "saved": 8,
    "record": 8,
    "warnings": 8,
    "inferred domains": 8,  # a query log's questions given domains (with the ranking)
    "view": 256,
    "prebuild": 64,
    "ready": 256,
}


class Store:
    """Per-kind LRU dictionaries; one lock per key so two sessions never compute it twice."""

    def __init__(self) -> None:
        self._entries: dict[str, OrderedDict[str, Any]] = {k: OrderedDict() for k in LIMITS}
        self._guard = threading.Lock()
        self._locks: dict[tuple[str, str], threading.Lock] = {}

    def peek(self, kind: str, key: str) -> Any:
        """The entry under ``key``, or None (nothing is computed)."""
        with self._guard:
            return self._entries[kind].get(key)

    def put(self, kind: str, key: str, value: Any) -> None:
        with self._guard:
            entries = self._entries[kind]
            entries[key] = value
            entries.move_to_end(key)
            while len(entries) > LIMITS[kind]:
                entries.popitem(last=False)

    def get(self, kind: str, key: str, compute: Callable[[], T]) -> T:
        with self._guard:
            lock = self._locks.setdefault((kind, key), threading.Lock())
        with lock:
            entries = self._entries[kind]
            if key in entries:
                entries.move_to_end(key)
                return entries[key]
            value = compute()
            with self._guard:
                entries[key] = value
                while len(entries) > LIMITS[kind]:
                    entries.popitem(last=False)
            return value


@st.cache_resource(show_spinner=False)
def store() -> Store:
    return Store()


@st.cache_resource(show_spinner=False)
def _work_queue(workers: int, per_visitor: int) -> WorkQueue:
    return WorkQueue(workers, per_visitor)


@st.cache_resource(show_spinner=False)
def upload_ledger() -> session_uploads.Ledger:
    """The shared server's record of each session's uploads, swept for ended sessions."""
    ledger = session_uploads.Ledger()
    session_uploads.sweep_stale()
    session_uploads.start_sweeper(ledger)
    return ledger


def work_queue() -> WorkQueue | None:
    """The server's line for heavy work: in shared mode only (locally a run starts at once)."""
    mode = shared.current()
    return None if mode is None else _work_queue(mode.workers, mode.runs_per_visitor)


def cut_for(key: str, cutoff: float, comparison: Comparison, summary: Summary) -> Cut:
    """The threshold section's cut at another cutoff: filtered from pairs held at or below
    it (the slider's steps compute no scores), once per value."""
    return store().get(
        "recut",
        f"{key}|{cutoff:.4f}",
        lambda: cut_from_result(narrowed(_held(key, comparison, cutoff), cutoff), summary),
    )


SLIDER_SPAN = 0.25  # how far the Threshold page's slider reaches either side of the cutoff
HELD_PAIRS = 2_000_000  # pairs held to re-cut from: about 60 MB


def _held(key: str, comparison: Comparison, cutoff: float) -> ThresholdResult:
    """Pairs at a cutoff at or below ``cutoff``: the comparison's own, else the lowest set
    held so far, else one pass collecting them as far down the slider as ``HELD_PAIRS``
    allows (so the next steps down need no pass either)."""
    own = comparison.result(THRESHOLDS)
    if own is None:
        raise ValueError("this comparison has no queries, so no threshold exclusions")
    if own.cutoff <= cutoff:
        return own
    with _HOLDING:  # two sessions stepping below at once would each pay the pass
        held = store().peek("held", key)
        if held is not None and held.cutoff <= cutoff:
            return held
        floor = held_pairs_floor(own, cutoff, lowest=own.cutoff - SLIDER_SPAN, budget=HELD_PAIRS)
        held = recut(comparison, floor)
        store().put("held", key, held)
        return held


_HOLDING = threading.Lock()  # the passes that collect held pairs: one at a time


def saved_bundle(folder: Path) -> Bundle:
    """A saved comparison read from its folder: once per server until its files change."""
    return store().get(
        "saved", f"{folder}|{file_signature(str(folder))}", lambda: load_bundle(folder)
    )


def rounds_record(folder: Path) -> dict[str, Any]:
    """A rounds --out folder's rounds.json, once per server until it changes."""
    from analysis.rounds.record import ROUNDS_FILE, read_record

    return store().get(
        "record",
        f"{folder}|{file_signature(str(folder / ROUNDS_FILE))}",
        lambda: read_record(folder),
    )
