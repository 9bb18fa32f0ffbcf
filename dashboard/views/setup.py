"""Setup: open a saved comparison, or choose a corpus, two models, k and the cutoff and run
with progress."""

from __future__ import annotations

import streamlit as st

from analysis.errors import InputError
from analysis.inputs.backends import with_backend
from analysis.inputs.tokenizers import CHARACTERS
from analysis.llm.resolve import EMBEDDED
from analysis.settings import CONTEXT_BY
from analysis.tuning.demo import DEMO_CANDIDATE, DEMO_DOMAIN, SAMPLE_CORPUS
from dashboard import cache, open_saved, recompute, shared, state, uploads, visitor
from dashboard.progress_box import StreamlitProgress
from dashboard.shown import load
from dashboard.store_builder import store_builder

st.title("Setup")
open_saved.panel()
st.divider()
st.subheader("Or compute a comparison")
st.write(
    "Choose a corpus whose documents carry a domain, a **baseline** model (what runs "
    "today) and a **candidate** (the fine-tuned model you are thinking of rolling out)."
)

MODEL_CHOICES = {
    "default": "all-MiniLM-L6-v2 (bundled, offline)",
    DEMO_CANDIDATE: f"Demo candidate: MiniLM tuned for precision on '{DEMO_DOMAIN}'",
    "folder": "A sentence-transformers model folder on this server",
    "hub": "A Hugging Face Hub id (needs network or a local HF cache)",
    "vectors": "Precomputed vectors (vectors:PATH, Parquet or .npy)",
    "store": "A vector store (Qdrant, FAISS, LanceDB, Chroma, pgvector)",
}


BACKENDS = {
    "torch": "torch (the float model, as trained)",
    "onnx": "ONNX Runtime, float32",
    "onnx-int8": "ONNX Runtime, int8 weights",
    "openvino": "OpenVINO, float32",
    "openvino-int8": "OpenVINO, int8 weights",
}
CANCELLED_HERE = "_setup_cancelled"


def _note_cancelled() -> None:
    st.session_state[CANCELLED_HERE] = True
    queue = cache.work_queue()
    if queue is not None:
        queue.cancel(visitor.tab())  # its place in the line, given up


def corpus_inputs() -> uploads.UploadedCorpus | None:
    mode = st.radio(
        "Corpus",
        ["Bundled sample (5 enterprise domains)", "A path on this server", "Upload files"],
        key="setup_corpus_mode",
        horizontal=True,
    )
    if mode.startswith("Bundled"):
        st.caption(
            f"`{SAMPLE_CORPUS}`: 400 documents in 5 domains, 110 held-out queries with "
            "graded judgments."
        )
        return uploads.UploadedCorpus(str(SAMPLE_CORPUS))
    if mode.startswith("A path"):
        path = st.text_input(
            "Corpus path",
            key="setup_corpus_path",
            help="A BEIR folder, a folder of BEIR folders, a documents table, or a vector "
            "store whose payload holds each document's text and domain "
            "(qdrant:/path?collection=docs&text-field=text&domain-field=domain).",
        )
        queries = st.text_input(
            "Queries table (flat tables and stores, optional)", key="setup_queries"
        )
        qrels = st.text_input(
            "Judgments table (flat tables and stores, optional)", key="setup_qrels"
        )
        answers = st.text_input(
            "Reference answers table (query_id, answer; optional)", key="setup_answers"
        )
        query_log = st.text_input(
            "Query log (production questions instead of the corpus's queries; optional)",
            key="setup_query_log",
            help="CSV, JSONL or Parquet with the question (query, question or text) and "
            "optionally count, timestamp and domain. Repeated questions weigh by their asks; "
            "a missing domain is inferred from the baseline's top-k documents.",
        )
        fields = (path, queries, qrels, answers, query_log)
        return uploads.UploadedCorpus(*(f.strip() for f in fields)) if path else None
    return uploaded_corpus()


def uploaded_corpus() -> uploads.UploadedCorpus | None:
    st.caption(
        f"Up to {uploads.MAX_UPLOAD_MB} MB per file. BEIR: upload corpus.jsonl, "
        "queries.jsonl and a qrels .tsv. Flat tables: documents (id, text, domain), "
        "optional queries and judgments."
    )
    files = st.file_uploader(
        "Corpus files", type=uploads.TABLE_TYPES, accept_multiple_files=True, key="setup_uploads"
    )
    if not files:
        return None
    try:
        folder = uploads.save_for_this_visitor([(f.name, f.getvalue()) for f in files])
    except InputError as err:
        st.error(f"{err}\n\nRemove some of the files, or close a tab that holds uploads.")
        return None
    names = [f.name for f in files]
    if "corpus.jsonl" in names:
        return uploads.arrange_beir(folder)
    documents = st.selectbox("Documents file", names, key="setup_docs_file")
    rest = ["(none)", *[n for n in names if n != documents]]
    queries = st.selectbox("Queries file", rest, key="setup_queries_file")
    qrels = st.selectbox("Judgments file", rest, key="setup_qrels_file")
    return uploads.flat_tables(
        folder,
        documents,
        "" if queries == "(none)" else queries,
        "" if qrels == "(none)" else qrels,
    )


def model_input(label: str, default: str) -> str:
    kinds: list[str] = list(MODEL_CHOICES)
    choice: str = st.selectbox(
        label,
        kinds,
        format_func=lambda kind: MODEL_CHOICES[kind],
        index=kinds.index(default),
        key=f"setup_{label}_kind",
    )
    if choice in ("default", DEMO_CANDIDATE):
        return choice
    hint = {
        "folder": "/path/to/model",
        "hub": "org/model-name",
        "vectors": "/path/vectors.parquet",
        "store": "qdrant:/path/to/storage?collection=docs&vector=new&queries=default",
    }
    if choice == "store":
        store_builder(label, f"setup_{label}_value")
    value = st.text_input(
        f"{label}: {MODEL_CHOICES[choice]}", key=f"setup_{label}_value", placeholder=hint[choice]
    ).strip()
    if choice == "vectors" and value and not value.startswith("vectors:"):
        value = f"vectors:{value}"
    return value


corpus = corpus_inputs()
left, right = st.columns(2)
with left:
    baseline = model_input("Baseline", "default")
with right:
    candidate = model_input("Candidate", DEMO_CANDIDATE)
backend = st.selectbox(
    "Encoder backend (both models)",
    BACKENDS,
    format_func=BACKENDS.__getitem__,
    key="setup_backend",
    help="Where the models' transformer runs (--backend, --quantize). Another backend than "
    "torch is exported once, cached, and audited against the float model on a sample (the "
    "Overview gives its agreement). A model spec's own suffix (default@onnx-int8) wins.",
)
if backend != "torch":
    runtime, _, quantize = backend.partition("-")
    baseline, candidate = (
        with_backend(m, runtime, quantize or "none") for m in (baseline, candidate)
    )
a, b, c = st.columns(3)
k = a.number_input("k (documents retrieved per query)", 1, 1000, 10, key="setup_k")
neighbours = a.number_input(
    "Neighbours per document, for drift (--neighbours)",
    1,
    1000,
    10,
    key="setup_neighbours",
    help="Must be smaller than the number of documents minus one.",
)
own_cutoff = b.checkbox(
    "Set the similarity cutoff myself",
    key="setup_own_cutoff",
    help="Default: the median over queries of the baseline's k-th best score.",
)
cutoff = b.number_input("Cutoff", -1.0, 1.0, 0.3, 0.01, key="setup_cutoff", disabled=not own_cutoff)
projection = c.checkbox("Compute the 2-D projection (slower)", True, key="setup_projection")
near_misses = c.checkbox(
    "Measure near-miss sensitivity",
    False,
    key="setup_near_misses",
    help="A negation, a role swap, a number and a condition edited into each judged pair's "
    "passage, scored by both models (--near-misses rules; both sides must be models).",
)
redact = c.checkbox(
    "Redact the questions",
    False,
    key="setup_redact_queries",
    help="The bundle and report keep each question's id (a salted hash, for a query log) and "
    "domain, never its text; the LLM's generated answers are left out (--redact-queries).",
)
context_by = c.selectbox(
    "Context the LLM receives",
    CONTEXT_BY,
    format_func=lambda by: "the top-k documents" if by == "top-k" else "the documents ≥ cutoff",
    key="setup_context_by",
    help="In rank order, then cut at the budget (--context-by).",
)
budget = c.number_input(
    "Context budget (0: no limit)",
    0,
    10_000_000,
    0,
    100,
    key="setup_context_budget",
    help="Where the context is cut (--context-budget).",
)
unit = c.selectbox(
    "Budget counted in",
    ("tokens", CHARACTERS),
    format_func=lambda u: "tokens of the baseline's tokenizer" if u == "tokens" else u,
    key="setup_context_unit",
    help="Precomputed vectors have no tokenizer: their budget is in characters.",
)
try:
    mode = shared.current()
except InputError as err:  # the operator's shared-mode file is broken: refuse, say why
    st.error(f"This shared dashboard cannot start a comparison: {err}")
    st.stop()
with st.expander("LLM in the loop (optional): answers from both contexts"):
    llm = st.radio(
        "LLM",
        ("", EMBEDDED, "endpoint"),
        format_func=lambda v: {
            "": "None",
            EMBEDDED: "Embedded SmolLM2-135M (offline; far too small to trust — for trying it)",
            "endpoint": "My model: an OpenAI-compatible endpoint",
        }[v],
        key="setup_llm",
    )
    endpoint = llm == "endpoint"
    llm_base_url = llm_model = llm_key_env = llm_endpoint = ""
    if mode is not None:  # shared: the operator's endpoints, by name; nothing typed
        offered = sorted(mode.endpoints)
        llm_endpoint = (
            st.selectbox(
                "Endpoint (offered by this server's operator)",
                offered,
                key="setup_llm_endpoint",
                disabled=not endpoint or not offered,
                help="This dashboard is shared: endpoints and their keys are the operator's.",
            )
            or ""
        )
        chosen = mode.endpoints.get(llm_endpoint)
        if endpoint and chosen is not None and chosen.allow_pasted_key:
            st.text_input(
                "Your own API key (optional: kept in this session's memory only)",
                type="password",
                key=state.PASTED_KEY,
                help="Never written to a file, a log, a link or a cache key; without it the "
                "operator's key is used.",
            )
    else:
        e1, e2, e3 = st.columns(3)
        llm_base_url = e1.text_input(
            "Endpoint (base URL)", key="setup_llm_base_url", disabled=not endpoint
        )
        llm_model = e2.text_input("Model name there", key="setup_llm_model", disabled=not endpoint)
        llm_key_env = e3.text_input(
            "Environment variable holding the API key",
            key="setup_llm_key_env",
            disabled=not endpoint,
            help="Its name only: the key itself never enters the page, a link or an output.",
        )
    llm_queries = st.number_input(
        "Queries the LLM sees (0: all; a seeded sample split evenly over domains)",
        0,
        1_000_000,
        20 if llm == EMBEDDED else 0,
        key="setup_llm_queries",
    )
if not recompute.demo_candidate_ready() and DEMO_CANDIDATE in (baseline, candidate):
    st.info(
        "The demo candidate is built on first use by tuning MiniLM on the sample corpus' "
        "legal training pairs (about a minute on two CPU cores), then cached."
    )

if st.session_state.pop(CANCELLED_HERE, False):
    st.info("The comparison was cancelled; the previous results, if any, are still on show.")
if (
    st.button(
        "Run comparison",
        type="primary",
        disabled=not (corpus and baseline and candidate),
        key="setup_run",
    )
    and corpus is not None
):
    spec = state.RunSpec(
        corpus=corpus.corpus,
        queries=corpus.queries,
        qrels=corpus.qrels,
        answers=corpus.answers,
        query_log=corpus.query_log,
        redact_queries=redact,
        baseline=baseline,
        candidate=candidate,
        k=int(k),
        neighbours=int(neighbours),
        context_budget=int(budget) or None,
        context_by=str(context_by),
        context_unit=str(unit),
        llm=str(llm),
        llm_base_url=llm_base_url.strip() if endpoint else "",
        llm_model=llm_model.strip() if endpoint else "",
        llm_api_key_env=llm_key_env.strip() if endpoint else "",
        llm_endpoint=str(llm_endpoint) if endpoint else "",
        llm_queries=int(llm_queries) or None,
        cutoff=float(cutoff) if own_cutoff else None,
        projection=projection,
        near_misses=near_misses,
    )
    try:
        with st.status("Running the comparison…", expanded=True) as box:
            # a click reruns the page, which stops this run at its next progress update
            # (its place in a shared server's line given up) and does not press Run again
            cancel = st.empty()
            cancel.button("Cancel", key="setup_cancel", on_click=_note_cancelled)
            load(spec.validated(), progress=StreamlitProgress(box))
            cancel.empty()
            box.update(label="Comparison ready", state="complete", expanded=False)
    except (InputError, ValueError) as err:
        st.error(f"{err}\n\nThe previous results, if any, are still available on the other pages.")
    else:
        state.set_run(spec)
        state.select_query(None)
        st.success("Done. Open the **Overview** for the verdict.")
        st.page_link("views/overview.py", label="Open the Overview", icon=":material/dashboard:")
