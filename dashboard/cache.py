"""The dashboard's caches: one server-wide store, keyed by content fingerprints.

Streamlit hashes big arguments by sampling them, so nothing here is keyed on an array:
keys are strings built from paths plus file signatures, model and corpus fingerprints and
the comparison config. The store itself is the one ``st.cache_resource`` object; entries
are computed outside Streamlit's cache wrapper because they report progress into the page,
and Streamlit would replay those progress elements on every cache hit. Results are frozen
dataclasses shared read-only across sessions; models are loaded once per server.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import streamlit as st

from analysis.bundle.files import Bundle, load_bundle, make_bundle
from analysis.bundle.summary import Summary
from analysis.compare import FAMILIES, Comparison, compare, complete, embed_pair, recut
from analysis.inputs.cache import EmbeddingCache
from analysis.inputs.corpus import Corpus, load_corpus
from analysis.inputs.embed import CorpusEmbeddings
from analysis.inputs.source import EmbeddingSource
from analysis.inputs.specs import resolve_source
from analysis.llm.calls import LLMCalls
from analysis.metrics.projection import PROJECTION
from analysis.metrics.thresholds import THRESHOLDS, ThresholdResult, held_pairs_floor, narrowed
from analysis.progress import Progress
from analysis.settings import CompareConfig
from reporting.sections.thresholds import Cut, cut_from_result

T = TypeVar("T")
FIRST = tuple(f for f in FAMILIES if f is not PROJECTION)  # what every page but one needs
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
    "view": 256,
    "prebuild": 64,
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


def file_signature(*paths: str) -> str:
    """Size and modification time of every file under the given paths (cheap change check)."""
    parts = []
    for raw in paths:
        if not raw:
            continue
        path = Path(raw)
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for item in files:
            if item.is_file():
                stat = item.stat()
                parts.append(f"{item}:{stat.st_size}:{stat.st_mtime_ns}")
    return "|".join(parts)


def corpus_for(path: str, queries: str, qrels: str, answers: str = "") -> Corpus:
    key = json.dumps([path, queries, qrels, answers, file_signature(path, queries, qrels, answers)])
    return store().get(
        "corpus",
        key,
        lambda: load_corpus(
            path, queries=queries or None, qrels=qrels or None, answers=answers or None
        ),
    )


def resolved(name: str, resolve: Callable[[], str]) -> str:
    """A named spec (the demo candidate) resolved to its folder once per server: checking
    it again would hash the base model's weights on every page switch."""
    return store().get("resolved", name, resolve)


def source_for(spec: str) -> EmbeddingSource:
    """One source per spec per server: a model is loaded once and shared by every session."""
    return store().get("source", spec, lambda: resolve_source(spec))


def embeddings_for(
    corpus: Corpus, baseline: EmbeddingSource, candidate: EmbeddingSource, progress: Progress
) -> tuple[CorpusEmbeddings, CorpusEmbeddings]:
    """Both models' vectors, through the engine's embedding (and its on-disk cache)."""
    key = f"{corpus.fingerprint}|{baseline.fingerprint}|{candidate.fingerprint}"
    return store().get(
        "embeddings",
        key,
        lambda: embed_pair(corpus, baseline, candidate, cache=EmbeddingCache(), progress=progress),
    )


def comparison_for(
    key: str,
    corpus: Corpus,
    baseline: CorpusEmbeddings,
    candidate: CorpusEmbeddings,
    config: CompareConfig,
    progress: Progress,
    llm: LLMCalls | None = None,
) -> Comparison:
    """The comparison under ``key`` (which holds the LLM's identity, so ``llm`` need not be
    part of it), every family but the projection: that one waits for its page."""
    return store().get(
        "comparison",
        key,
        lambda: compare(
            corpus, baseline, candidate, config, progress=progress, llm=llm, families=FIRST
        ),
    )


def projected_for(key: str, comparison: Comparison, progress: Progress) -> Comparison:
    """The comparison with its projection computed (once per server)."""
    return store().get(
        "comparison", f"{key}|projected", lambda: complete(comparison, progress=progress)
    )


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


def view_for(key: str, build: Callable[[], T]) -> T:
    """A page's blocks (or tables) for one view of a comparison: see ``Loaded.view``."""
    return store().get("view", key, build)


def warnings_for(key: str, comparison: Comparison) -> list[str]:
    """The vectors' warnings (a scan of every vector): once per comparison, not per rerun."""
    return store().get(
        "warnings",
        key,
        lambda: (
            comparison.baseline.warnings("baseline") + comparison.candidate.warnings("candidate")
        ),
    )


def bundle_for(key: str, source: str, comparison: Comparison) -> Bundle:
    """The comparison's bundle: exactly what ``compare --out`` would write."""
    return store().get(
        "bundle", f"{key}|{source}", lambda: make_bundle(comparison, corpus_source=source)
    )


def saved_bundle(folder: Path) -> Bundle:
    """A saved comparison read from its folder: once per server until its files change."""
    return store().get(
        "saved", f"{folder}|{file_signature(str(folder))}", lambda: load_bundle(folder)
    )


def series_record(folder: Path) -> dict[str, Any]:
    """A rounds --out folder's rounds.json, once per server until it changes."""
    from analysis.rounds.record import ROUNDS_FILE, read_record

    return store().get(
        "record",
        f"{folder}|{file_signature(str(folder / ROUNDS_FILE))}",
        lambda: read_record(folder),
    )
