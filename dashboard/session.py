"""Turn the session's RunSpec into a cached Comparison, with progress and clear errors."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from analysis.bundle.files import Bundle, write_comparison
from analysis.compare import Comparison, comparison_key
from analysis.errors import InputError
from analysis.inputs.cache import default_cache_dir
from analysis.llm.calls import LLMCalls
from analysis.metrics.changed import CHANGED
from analysis.metrics.drift import DRIFT
from analysis.progress import Progress
from analysis.tuning.demo import demo_candidate_folder, ensure_demo_candidate
from analysis.verdict.gate import evaluate, load_policy
from dashboard import cache, state
from reporting.html import write_report
from reporting.sections.base import Context

DEMO_CANDIDATE = "demo-candidate"  # the spec the Setup page offers for the bundled candidate


@dataclass(frozen=True)
class Loaded:
    """A comparison on show and the keys that identify it in the caches."""

    spec: state.RunSpec
    comparison: Comparison
    key: str

    @property
    def bundle(self) -> Bundle:
        """The bundle every page presents (the contract the report and the gate read too)."""
        return cache.bundle_for(self.key, self.spec.corpus, self.comparison)

    def context(self) -> Context:
        """The page's view: the sidebar's domain filter."""
        return Context(domain=state.selected_domain())

    def warnings(self) -> list[str]:
        """What looks broken in the vectors (e.g. an all-zero export); computed once."""
        return cache.warnings_for(self.key, self.comparison)

    def gate_context(self) -> Context:
        """The page's view with the default policy's verdict on this comparison."""
        policy = load_policy()
        return Context(
            domain=state.selected_domain(),
            gate=evaluate(self.bundle.summary, policy),
            policy_source=policy.source,
        )

    def neighbours(self, doc_id: str) -> Neighbours | None:
        """One analysed document's neighbours under both models, and the queries it left.

        Not in the bundle: read from the comparison held on this server."""
        drift, changed = self.comparison.result(DRIFT), self.comparison.result(CHANGED)
        if drift is None or changed is None or doc_id not in drift.doc_ids:
            return None
        corpus = self.comparison.corpus
        row = drift.doc_ids.index(doc_id)
        return Neighbours(
            corpus.doc_texts[corpus.doc_index[doc_id]],
            [corpus.doc_ids[i] for i in drift.neighbours_baseline[row] if i >= 0],
            [corpus.doc_ids[i] for i in drift.neighbours_candidate[row] if i >= 0],
            changed.queries_left_by(doc_id),
        )


@dataclass(frozen=True)
class Neighbours:
    text: str
    baseline: list[str]
    candidate: list[str]
    queries_left: list[str]


class StreamlitProgress(Progress):
    """Stage-by-stage progress inside an ``st.status`` box."""

    def __init__(self, box: Any) -> None:
        self.box = box
        self.bar: Any = None
        self.total = 1
        self.done = 0
        self.stage_name = ""

    def start(self, stage: str, total: int) -> None:
        self.stage_name, self.total, self.done = stage, max(total, 1), 0
        self.box.update(label=stage)
        self.bar = self.box.progress(0.0, text=stage)

    def advance(self, amount: int) -> None:
        self.done += amount
        if self.bar is not None:
            self.bar.progress(min(1.0, self.done / self.total), text=self.stage_name)

    def finish(self, note: str = "") -> None:
        if self.bar is not None:
            self.bar.progress(1.0, text=f"{self.stage_name}: done")


def resolve_spec_model(spec: str, progress: Progress) -> str:
    if spec == DEMO_CANDIDATE:
        folder, _ = ensure_demo_candidate(progress=progress)
        return str(folder)
    return spec


def load(spec: state.RunSpec, *, progress: Progress | None = None) -> Loaded:
    """The comparison for ``spec`` (computed once, then served from the caches)."""
    progress = progress or Progress()
    config = spec.config()
    corpus = cache.corpus_for(spec.corpus, spec.queries, spec.qrels, spec.answers)
    baseline, candidate = (
        cache.source_for(resolve_spec_model(model_spec, progress))
        for model_spec in (spec.baseline, spec.candidate)
    )
    sides = cache.embeddings_for(corpus, baseline, candidate, progress)
    key = comparison_key(corpus, *sides, config)
    comparison = cache.comparison_for(
        key, corpus, *sides, config, progress, _llm_calls(spec, progress)
    )
    return Loaded(spec, comparison, key)


def _llm_calls(spec: state.RunSpec, progress: Progress) -> LLMCalls | None:
    """The run's LLM, its calls cached beside the embeddings (the same cache as the CLI)."""
    model = spec.chat_model()
    if model is None:
        return None
    return LLMCalls(model, default_cache_dir(), progress=progress)


def require_comparison() -> Loaded:
    """The comparison on show, or an empty state that says what to do (and stop)."""
    spec = state.get_run()
    if spec is None:
        st.info(
            "No comparison yet. Choose a corpus and two models on the **Setup** page, "
            "then press **Run comparison**."
        )
        st.page_link("views/setup.py", label="Go to Setup", icon=":material/tune:")
        st.stop()
    try:
        with st.status("Preparing the comparison…", expanded=False) as box:
            loaded = load(spec, progress=StreamlitProgress(box))
            box.update(label="Comparison ready", state="complete")
    except InputError as err:
        st.error(f"This comparison cannot be loaded:\n\n{err}")
        st.stop()
    for warning in loaded.warnings():
        st.warning(warning)
    _validate_selection(loaded)
    return loaded


def _validate_selection(loaded: Loaded) -> None:
    corpus = loaded.comparison.corpus
    domain = state.selected_domain()
    if domain is not None and domain not in corpus.domains:
        st.warning(f"Domain '{domain}' from the link is not in this corpus; showing all domains.")
        st.session_state[state.DOMAIN] = state.ALL_DOMAINS
    query = state.selected_query()
    if query is not None and query not in corpus.query_index:
        st.warning(f"Query '{query}' from the link is not in this corpus.")
        state.select_query(None)


def demo_run() -> state.RunSpec:
    """The bundled demo: the sample corpus, MiniLM as baseline, the legal-tuned candidate."""
    from analysis.tuning.demo import SAMPLE_CORPUS

    return state.RunSpec(corpus=str(SAMPLE_CORPUS), baseline="default", candidate=DEMO_CANDIDATE)


def demo_candidate_ready() -> bool:
    return demo_candidate_folder().is_dir()


def export(loaded: Loaded, policy: tuple[str, bytes] | None) -> Path:
    """Write the comparison's bundle and report (with the uploaded policy, if any) into a
    server folder named by the comparison; return the folder."""
    name = hashlib.sha256(loaded.key.encode()).hexdigest()[:24]
    folder = default_cache_dir() / "exports" / name
    policy_path = None
    if policy is not None:  # beside the output folder: that one is replaced whole
        policy_path = folder.with_name(f"{name}.policy.toml")
        policy_path.parent.mkdir(parents=True, exist_ok=True)
        policy_path.write_bytes(policy[1])
    rules = load_policy(policy_path)
    bundle = write_comparison(loaded.comparison, folder, corpus_source=loaded.spec.corpus)
    write_report(
        bundle,
        folder / "report.html",
        gate=evaluate(bundle.summary, rules),
        policy_source=policy[0] if policy else rules.source,
    )
    return folder
