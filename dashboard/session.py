"""The comparison on show: computed from the session's RunSpec (cached, with progress) or
opened from a saved folder; either way its bundle is what every page presents."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import streamlit as st

from analysis.bundle.files import Bundle, write_bundle, write_comparison
from analysis.bundle.out import replacing
from analysis.compare import Comparison, comparison_key
from analysis.errors import InputError
from analysis.inputs.cache import default_cache_dir
from analysis.llm.calls import LLMCalls
from analysis.metrics.projection import PROJECTION
from analysis.progress import Progress
from analysis.tuning.demo import demo_candidate_folder, ensure_demo_candidate
from analysis.verdict.gate import Policy, evaluate, load_policy, parse_policy
from dashboard import cache, saved, state
from reporting.html import write_report
from reporting.sections.base import Context

T = TypeVar("T")
DEMO_CANDIDATE = "demo-candidate"  # the spec the Setup page offers for the bundled candidate
_this_run = threading.local()  # what the script run shows (a run is one thread's work)


@dataclass(frozen=True)
class Loaded:
    """A comparison on show: its bundle (what every page presents), the key that names it
    in the caches and, when it was computed on this server, the comparison itself."""

    bundle: Bundle
    key: str
    comparison: Comparison | None = None  # None: opened from a saved folder (no vectors)
    spec: state.RunSpec | None = None  # how it was computed, when it was computed here

    @property
    def fingerprint(self) -> str:
        return self.bundle.summary.fingerprint

    def context(self) -> Context:
        """The page's view: the sidebar's domain filter."""
        return Context(domain=state.selected_domain())

    def warnings(self) -> list[str]:
        """What looks broken in the vectors (e.g. an all-zero export); computed once."""
        if self.comparison is None:
            return []
        return cache.warnings_for(self.key, self.comparison)

    def gate_context(self, policy: Policy) -> Context:
        """The page's view with ``policy``'s verdict on this comparison."""
        return self.view(
            "gate_context",
            lambda: Context(
                domain=state.selected_domain(),
                gate=evaluate(self.bundle.summary, policy),
                policy_source=policy.source,
            ),
            policy,
        )

    def view(self, name: str, build: Callable[[], T], *options: object) -> T:
        """What ``build`` makes of this comparison for the page's view: the sidebar's domain
        and ``options`` (a cutoff, a colouring, a policy...), made once per server and then
        shown again as it is. ``build`` must depend on nothing else, and whatever it returns
        is shared read-only by every rerun and session."""
        return cache.view_for(self.view_key(name, state.selected_domain(), options), build)

    def view_key(self, name: str, domain: str | None, options: tuple[object, ...]) -> str:
        """The view's name in the cache (``view``), for the sidebar's ``domain``."""
        return json.dumps(
            [
                self.key,
                self.bundle.projection is not None,  # the same comparison, projected later
                name,
                domain,
                [repr(o) for o in options],
            ]
        )


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
        box = self._box()
        box.update(label=stage)
        self.bar = box.progress(0.0, text=stage)

    def advance(self, amount: int) -> None:
        self.done += amount
        if self.bar is not None:
            self.bar.progress(min(1.0, self.done / self.total), text=self.stage_name)

    def finish(self, note: str = "") -> None:
        if self.bar is not None:
            self.bar.progress(1.0, text=f"{self.stage_name}: done")

    def _box(self) -> Any:
        return self.box


class LazyStatusProgress(StreamlitProgress):
    """Progress in an ``st.status`` box that opens only when a stage starts: a result
    already computed shows no box, and skips the box's own pause (Streamlit sleeps 50 ms
    when one opens), which every page switch would otherwise pay. Used as a context: on
    leaving it the box, if it opened, folds under ``done`` (which may name ``{seconds}``,
    the time spent) or, on an exception, ``failed``."""

    def __init__(self, label: str, *, done: str, failed: str, expanded: bool = False) -> None:
        super().__init__(None)
        self.label, self.done_label, self.failed_label = label, done, failed
        self.expanded = expanded
        self.slot = st.empty()
        self.started = time.perf_counter()

    def _box(self) -> Any:
        if self.box is None:
            self.box = self.slot.status(self.label, expanded=self.expanded)
        return self.box

    def __enter__(self) -> LazyStatusProgress:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if self.box is None or (kind is not None and not issubclass(kind, Exception)):
            return  # nothing was shown, or Streamlit stops or reruns the script
        if kind is None:
            label = self.done_label.format(seconds=time.perf_counter() - self.started)
            self.box.update(label=label, state="complete", expanded=False)
        else:
            self.box.update(label=self.failed_label, state="error", expanded=False)


def resolve_spec_model(spec: str, progress: Progress) -> str:
    if spec == DEMO_CANDIDATE:
        return cache.resolved(spec, lambda: str(ensure_demo_candidate(progress=progress)[0]))
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
    bundle = cache.bundle_for(key, spec.corpus, comparison)
    saved.remember_run(bundle.summary.fingerprint, spec.to_params())
    return Loaded(bundle, key, comparison, spec)


def with_projection(loaded: Loaded, progress: Progress | None = None) -> Loaded:
    """The comparison on show with its projection, which the pages compute only when the
    Embedding space page (or an export) asks for it; unchanged when there is none to add."""
    comparison, spec = loaded.comparison, loaded.spec
    if comparison is None or spec is None or not comparison.config.projection:
        return loaded
    if PROJECTION in comparison.families:
        return loaded
    full = cache.projected_for(loaded.key, comparison, progress or Progress())
    bundle = cache.bundle_for(f"{loaded.key}|projected", spec.corpus, full)
    return Loaded(bundle, loaded.key, full, spec)


def needs_projection(loaded: Loaded) -> bool:
    comparison = loaded.comparison
    return (
        comparison is not None
        and comparison.config.projection
        and PROJECTION not in comparison.families
    )


def load_saved(fingerprint: str) -> Loaded:
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
    return Loaded(bundle, f"saved|{entry.folder}|{fingerprint}")


def _llm_calls(spec: state.RunSpec, progress: Progress) -> LLMCalls | None:
    """The run's LLM, its calls cached beside the embeddings (the same cache as the CLI)."""
    model = spec.chat_model()
    if model is None:
        return None
    return LLMCalls(model, default_cache_dir(), progress=progress)


def require_comparison() -> Loaded:
    """The comparison on show, or an empty state that says what to do (and stop)."""
    fingerprint, spec = state.get_saved(), state.get_run()
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
            loaded = load_saved(fingerprint)
        else:
            assert spec is not None
            with LazyStatusProgress(
                "Preparing the comparison…",
                done="Comparison ready",
                failed="The comparison could not be prepared",
            ) as progress:
                loaded = load(spec, progress=progress)
    except InputError as err:
        st.error(f"This comparison cannot be loaded:\n\n{err}")
        st.stop()
    state.set_shown(loaded.fingerprint)
    for warning in loaded.warnings():
        st.warning(warning)
    _validate_selection(loaded)
    note_shown(loaded, state.selected_domain())
    return loaded


def note_shown(loaded: Loaded | None, domain: str | None = None) -> None:
    """Record the comparison (and sidebar domain) this script run shows; None forgets it."""
    _this_run.shown = None if loaded is None else (loaded, domain)


def shown_this_run() -> tuple[Loaded, str | None] | None:
    """The comparison this script run showed and its domain, if it showed one."""
    shown: tuple[Loaded, str | None] | None = getattr(_this_run, "shown", None)
    return shown


def _validate_selection(loaded: Loaded) -> None:
    bundle = loaded.bundle
    domain = state.selected_domain()
    if domain is not None and domain not in bundle.summary.domain_names:
        st.warning(f"Domain '{domain}' from the link is not in this corpus; showing all domains.")
        st.session_state[state.DOMAIN] = state.ALL_DOMAINS
    query = state.selected_query()
    queries = bundle.queries
    if query is not None and (queries is None or query not in set(queries["query_id"])):
        st.warning(f"Query '{query}' from the link is not in this comparison.")
        state.select_query(None)


def recompute_spec(loaded: Loaded) -> tuple[state.RunSpec | None, str]:
    """For a saved comparison: the run that recomputes it from its corpus and models when
    both are on this server, and a sentence saying so (or what is missing)."""
    if loaded.spec is not None:
        return loaded.spec, "This comparison was computed on this server."
    manifest = loaded.bundle.summary.manifest
    missing = []
    if not manifest.corpus.source or not Path(manifest.corpus.source).exists():
        missing.append(f"the corpus `{manifest.corpus.source or '(not recorded)'}`")
    for side in (manifest.baseline, manifest.candidate):
        path = side.spec.removeprefix("vectors:")
        if side.spec != "default" and not Path(path).exists():
            missing.append(f"the model `{side.spec}`")
    if missing:
        return None, (
            f"Recomputing needs {' and '.join(missing)}, which this server does not have."
        )
    config = manifest.config
    spec = state.RunSpec(
        corpus=manifest.corpus.source,
        baseline=manifest.baseline.spec,
        candidate=manifest.candidate.spec,
        k=manifest.k,
        neighbours=int(config.get("neighbours", 10)),
        projection=True,
    )
    return spec, "Its corpus and both models are on this server."


def offer_recompute(loaded: Loaded, need: str) -> None:
    """Say what this saved comparison cannot show without its vectors, and offer to
    recompute it when its corpus and models are here."""
    spec, why = recompute_spec(loaded)
    st.info(f"{need} This comparison was opened from a saved folder, which holds no vectors. {why}")
    if spec is not None and st.button("Recompute from the corpus and models", key="recompute"):
        state.set_run(spec)
        st.rerun()


def demo_run() -> state.RunSpec:
    """The bundled demo: the sample corpus, MiniLM as baseline, the legal-tuned candidate."""
    from analysis.tuning.demo import SAMPLE_CORPUS

    return state.RunSpec(corpus=str(SAMPLE_CORPUS), baseline="default", candidate=DEMO_CANDIDATE)


def demo_candidate_ready() -> bool:
    return demo_candidate_folder().is_dir()


def export(loaded: Loaded, policy: tuple[str, bytes] | None) -> Path:
    """Write the comparison's bundle and report (judged by the uploaded policy, if any) into
    a server folder named by the comparison's fingerprint; return the folder."""
    folder = default_cache_dir() / "exports" / loaded.fingerprint
    rules = (
        parse_policy(policy[1].decode("utf-8", errors="replace"), policy[0])
        if policy is not None
        else load_policy()
    )
    if loaded.comparison is not None and loaded.spec is not None:
        bundle = write_comparison(loaded.comparison, folder, corpus_source=loaded.spec.corpus)
    else:
        with replacing(folder) as staging:
            write_bundle(loaded.bundle, staging)
        bundle = loaded.bundle
    write_report(
        bundle,
        folder / "report.html",
        gate=evaluate(bundle.summary, rules),
        policy_source=rules.source,
    )
    return folder
