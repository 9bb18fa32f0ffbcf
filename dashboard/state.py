"""Session-state keys, the run specification, and URL query parameters (JSON-free, validated).

Session state holds small serializable values only (paths, specs, k, cutoff, a domain, a
query id); models and arrays live in dashboard.cache. Every value read from the URL is
validated before use, and nothing from the URL is ever unpickled or evaluated.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

import streamlit as st

from analysis.errors import InputError
from analysis.inputs.tokenizers import CHARACTERS
from analysis.llm.resolve import EMBEDDED
from analysis.pipeline.request import Request
from dashboard import saved, shared

RUN = "run"  # the RunSpec of the comparison on show, when it is computed here
SAVED = "saved"  # the fingerprint of the saved comparison on show, when one was opened
SHOWN = "shown"  # the fingerprint of the comparison on show (what a link names)
ROUNDS_OPEN = "series"  # the fingerprint of the series of rounds open, if any
REMEDIES_OPEN = "remedies"  # the fingerprint of the comparison whose remedies are open
PAGE = "_page"  # the page being drawn (its key in the router)
DOMAIN = "domain"  # the domain selected in the sidebar ("" = all)
QUERY = "query"  # the selected query id ("" = none)
DOCUMENT = "drift_doc"  # the document the drift page inspects
CUTOFF = "cutoff"  # the threshold page's slider
URL_LOADED = "_url_loaded"
ALL_DOMAINS = "All domains"
CANCELLED = "_cancelled"  # the last comparison started was cancelled
PASTED_KEY = "setup_llm_pasted_key"  # a visitor's own key: this session's memory only


@dataclass(frozen=True)
class RunSpec:
    """Everything needed to recompute a comparison (and so to rebuild it from a link)."""

    corpus: str
    baseline: str
    candidate: str
    queries: str = ""
    qrels: str = ""
    answers: str = ""
    query_log: str = ""  # production questions (analysis.inputs.query_log)
    redact_queries: bool = False
    k: int = 10
    cutoff: float | None = None
    projection: bool = True
    neighbours: int = 10
    context_budget: int | None = None
    context_by: str = "top-k"  # "top-k" or "cutoff"
    context_unit: str = "tokens"  # "tokens" (the baseline's tokenizer) or "characters"
    llm: str = ""  # "": none; "default": the embedded model; "endpoint": llm_base_url
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key_env: str = ""  # the variable's name, never the key
    llm_queries: int | None = None
    llm_endpoint: str = ""  # shared mode: the operator's endpoint, by name
    near_misses: bool = False  # near-miss sensitivity, by the rules (--near-misses rules)

    def validated(self) -> RunSpec:
        """Itself, once its settings pass the engine's own checks (an InputError if not)."""
        if not self.corpus or not self.baseline or not self.candidate:
            raise InputError("a run needs a corpus, a baseline and a candidate")
        if self.context_unit not in ("tokens", CHARACTERS):
            raise InputError(
                f"context unit must be tokens or {CHARACTERS}, got {self.context_unit!r}"
            )
        if self.llm not in ("", EMBEDDED, "endpoint"):
            raise InputError(f"LLM must be none, {EMBEDDED} or endpoint, got {self.llm!r}")
        mode = shared.current()
        if mode is not None:
            self.check_shared(mode)
        self.request().config()  # the tokenizer loads and the LLM resolves, before any work
        return self

    def check_shared(self, mode: shared.SharedMode) -> None:
        """What a visitor of a shared dashboard may name (see ``dashboard.shared``)."""
        for raw, what in (
            (self.corpus, "Corpus"),
            (self.queries, "Queries table"),
            (self.qrels, "Judgments table"),
            (self.answers, "Reference answers table"),
            (self.query_log, "Query log"),
        ):
            if raw:
                mode.check_path(raw, what)
        mode.check_model(self.baseline, "Baseline")
        mode.check_model(self.candidate, "Candidate")
        if self.llm_base_url or self.llm_model or self.llm_api_key_env:
            raise InputError(
                "this dashboard is shared: an LLM endpoint is picked by name from those the "
                "operator offers, never typed (no URL, no variable name)"
            )
        if self.llm == "endpoint":
            mode.endpoint(self.llm_endpoint)

    def request(self, *, pasted_key: str | None = None) -> Request:
        """What the engine's pipeline is asked for (it builds the CompareConfig);
        ``pasted_key``: a visitor's own key, used where the operator's endpoint allows it."""
        endpoint = self.llm == "endpoint"
        if endpoint and self.llm_endpoint:  # shared mode: the operator's endpoint, by name
            mode = shared.current()
            if mode is None:
                raise InputError(f"LLM endpoint {self.llm_endpoint!r}: no shared mode is set")
            chosen = mode.endpoint(self.llm_endpoint)
            own = pasted_key if chosen.allow_pasted_key and pasted_key else None
            offered = replace(
                self,
                llm_endpoint="",
                llm_base_url=chosen.base_url,
                llm_model=chosen.model,
                llm_api_key_env="" if own else chosen.api_key_env or "",
            )
            return replace(offered.request(), llm_api_key=own)
        return Request(
            corpus=self.corpus,
            baseline=self.baseline,
            candidate=self.candidate,
            queries=self.queries or None,
            qrels=self.qrels or None,
            answers=self.answers or None,
            query_log=self.query_log or None,
            redact_queries=self.redact_queries,
            k=self.k,
            cutoff=self.cutoff,
            projection=self.projection,
            neighbours=self.neighbours,
            context_budget=self.context_budget,
            context_by=self.context_by,
            context_tokenizer=CHARACTERS if self.context_unit == CHARACTERS else None,
            llm=None if endpoint else (self.llm or None),
            llm_base_url=self.llm_base_url or None if endpoint else None,
            llm_model=self.llm_model or None if endpoint else None,
            llm_api_key_env=self.llm_api_key_env or None if endpoint else None,
            llm_queries=self.llm_queries,
            near_misses="rules" if self.near_misses else None,
        )

    def to_params(self) -> dict[str, str]:
        params = {k: str(v) for k, v in asdict(self).items() if v not in ("", None)}
        params["projection"] = "1" if self.projection else "0"
        params["near_misses"] = "1" if self.near_misses else "0"
        params["redact_queries"] = "1" if self.redact_queries else "0"
        return params

    @staticmethod
    def from_params(params: dict[str, str]) -> RunSpec | None:
        """A RunSpec from URL parameters; None when the URL names no run; ValueError if bad."""
        if "corpus" not in params:
            return None
        try:
            k = int(params.get("k", "10"))
            neighbours = int(params.get("neighbours", "10"))
            budget = int(params["context_budget"]) if params.get("context_budget") else None
            llm_queries = int(params["llm_queries"]) if params.get("llm_queries") else None
            cutoff = float(params["cutoff"]) if params.get("cutoff") else None
        except ValueError as err:
            raise ValueError(f"bad number in the link: {err}") from None
        if cutoff is not None and not math.isfinite(cutoff):
            raise ValueError("cutoff in the link is not a finite number")
        spec = RunSpec(
            corpus=params["corpus"],
            baseline=params.get("baseline", ""),
            candidate=params.get("candidate", ""),
            queries=params.get("queries", ""),
            qrels=params.get("qrels", ""),
            answers=params.get("answers", ""),
            query_log=params.get("query_log", ""),
            redact_queries=params.get("redact_queries", "0") == "1",
            k=k,
            cutoff=cutoff,
            projection=params.get("projection", "1") != "0",
            neighbours=neighbours,
            context_budget=budget,
            context_by=params.get("context_by", "top-k"),
            context_unit=params.get("context_unit", "tokens"),
            llm=params.get("llm", ""),
            llm_base_url=params.get("llm_base_url", ""),
            llm_model=params.get("llm_model", ""),
            llm_api_key_env=params.get("llm_api_key_env", ""),
            llm_queries=llm_queries,
            llm_endpoint=params.get("llm_endpoint", ""),
            near_misses=params.get("near_misses", "0") == "1",
        )
        return spec.validated()


def get_run() -> RunSpec | None:
    value = st.session_state.get(RUN)
    return RunSpec(**value) if isinstance(value, dict) else None


def cancel_run() -> None:
    """The visitor cancelled the comparison being computed: show none (the Setup page keeps
    its settings, so Run comparison starts it again)."""
    st.session_state.pop(RUN, None)
    st.session_state.pop(SHOWN, None)
    st.session_state[CANCELLED] = True


def was_cancelled() -> bool:
    return bool(st.session_state.get(CANCELLED))


def set_run(spec: RunSpec) -> None:
    st.session_state.pop(CANCELLED, None)
    st.session_state[RUN] = asdict(spec)
    st.session_state.pop(SAVED, None)
    st.session_state.pop(SHOWN, None)  # known once it is computed
    st.session_state.pop(ROUNDS_OPEN, None)
    st.session_state.pop(REMEDIES_OPEN, None)


def get_saved() -> str | None:
    value = st.session_state.get(SAVED)
    return value if isinstance(value, str) and value else None


def set_saved(fingerprint: str) -> None:
    """Show a saved comparison (opened on this server) from now on."""
    st.session_state[SAVED] = fingerprint
    st.session_state[SHOWN] = fingerprint
    st.session_state.pop(RUN, None)


def get_rounds() -> str | None:
    value = st.session_state.get(ROUNDS_OPEN)
    return value if isinstance(value, str) and value else None


def set_rounds(fingerprint: str | None) -> None:
    """The series of rounds the Rounds page shows (None: no series)."""
    if fingerprint:
        st.session_state[ROUNDS_OPEN] = fingerprint
    else:
        st.session_state.pop(ROUNDS_OPEN, None)


def get_remedies() -> str | None:
    value = st.session_state.get(REMEDIES_OPEN)
    return value if isinstance(value, str) and value else None


def set_remedies(fingerprint: str | None) -> None:
    """The comparison whose remedies the Remedies page shows while one of its settings is
    on show (None: the comparison on show's own)."""
    if fingerprint:
        st.session_state[REMEDIES_OPEN] = fingerprint
    else:
        st.session_state.pop(REMEDIES_OPEN, None)


def set_shown(fingerprint: str) -> None:
    """Record what is on show; the link changes with it."""
    if st.session_state.get(SHOWN) != fingerprint:
        st.session_state[SHOWN] = fingerprint
        write_url(st.session_state.get(PAGE, "overview"))


def selected_domain() -> str | None:
    value = st.session_state.get(DOMAIN, ALL_DOMAINS)
    return None if value in (ALL_DOMAINS, "", None) else value


def selected_query() -> str | None:
    return st.session_state.get(QUERY) or None


def select_query(query_id: str | None) -> None:
    st.session_state[QUERY] = query_id or ""


def selected_document() -> str | None:
    return st.session_state.get(DOCUMENT) or None


def select_document(doc_id: str) -> None:
    st.session_state[DOCUMENT] = doc_id


def load_url_once() -> list[str]:
    """Copy the link's parameters into session state once per session; return problems.

    A link names its comparison by fingerprint (``comparison=``), which this server's index
    of saved comparisons resolves; links written before fingerprints carried the run's
    settings instead, and still open.
    """
    if st.session_state.get(URL_LOADED):
        return []
    st.session_state[URL_LOADED] = True
    params = {key: st.query_params[key] for key in st.query_params}
    problems = []
    if params.get("series"):
        problems += _follow_rounds(params["series"])
    if params.get("remedies"):
        problems += _follow_remedies(params["remedies"])
    if params.get("comparison"):
        problems += _follow(params["comparison"])
    else:
        try:
            spec = RunSpec.from_params(params)
            if spec is not None:
                set_run(spec)
        except ValueError as err:
            problems.append(f"The link's comparison settings were ignored: {err}")
    if params.get("domain"):
        st.session_state[DOMAIN] = params["domain"]
    if params.get("query"):
        st.session_state[QUERY] = params["query"]
    return problems


def _follow_rounds(fingerprint: str) -> list[str]:
    entry = saved.lookup(fingerprint)
    if entry is None or entry.series is None:
        return [
            f"The link names series of rounds {fingerprint[:40]!r}, which this server has not "
            "opened. Open its rounds --out folder on the Setup page, then follow the link again."
        ]
    set_rounds(fingerprint)
    return []


def _follow_remedies(fingerprint: str) -> list[str]:
    entry = saved.lookup(fingerprint)
    if entry is None or entry.folder is None:
        return [
            f"The link names the remedies of comparison {fingerprint[:40]!r}, which this "
            "server has not opened. Open its output folder on the Setup page, then follow the "
            "link again."
        ]
    set_remedies(fingerprint)
    return []


def _follow(fingerprint: str) -> list[str]:
    """Open the comparison a link names, if this server has it."""
    entry = saved.lookup(fingerprint)
    if entry is None:
        return [
            f"The link names comparison {fingerprint[:40]!r}, which this server does not have. "
            "Open its saved folder or the Export zip on the Setup page (or start the "
            "dashboard with `-- --open FOLDER`), then follow the link again."
        ]
    if entry.folder is not None:
        set_saved(fingerprint)
        return []
    try:
        spec = RunSpec.from_params(entry.run or {})
    except ValueError as err:
        return [f"Comparison {fingerprint} cannot be recomputed here: {err}"]
    if spec is not None:
        set_run(spec)
    return []


def write_url(page: str) -> None:
    """Mirror the current view into the URL so that a link reproduces it: the page, the
    comparison's fingerprint (never a server path), the domain and the query."""
    params: dict[str, Any] = {"page": page}
    shown = st.session_state.get(SHOWN)
    if shown and (get_run() is not None or get_saved() is not None):
        params["comparison"] = shown
    if get_rounds():
        params["series"] = get_rounds()
    if get_remedies():
        params["remedies"] = get_remedies()
    if selected_domain():
        params["domain"] = selected_domain()
    if selected_query():
        params["query"] = selected_query()
    current = {key: st.query_params[key] for key in st.query_params}
    if current != params:
        st.query_params.from_dict(params)
