"""A small two-model comparison on disk for dashboard tests: keyword vectors, no downloads."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from analysis.inputs.corpus import load_corpus
from analysis.inputs.vectors import write_vector_table
from tests.fakes import KeywordEmbedder, write_beir

TOPICS = {
    "legal": [
        "contract liability clause",
        "court contract",
        "liability court clause",
        "clause contract",
        "liability liability court",
        "contract court clause liability",
    ],
    "clinical": [
        "patient dose clinical",
        "symptom patient",
        "dose dose patient",
        "clinical symptom",
        "patient clinical",
        "symptom dose clinical",
    ],
    "finance": [
        "invoice ledger audit",
        "tax invoice",
        "ledger audit tax",
        "audit invoice",
        "tax tax ledger",
        "invoice ledger",
    ],
}


def build(root: Path) -> dict[str, str]:
    """Write a 3-domain BEIR corpus and baseline/candidate vector files; return the specs."""
    corpus_dir = root / "corpus"
    for domain, texts in TOPICS.items():
        docs = [{"_id": f"d{i}", "text": f"{t} {domain} note {i}"} for i, t in enumerate(texts)]
        queries = [{"_id": f"q{i}", "text": texts[i]} for i in range(3)]
        qrels = [(f"q{i}", f"d{i}", 2) for i in range(3)] + [
            (f"q{i}", f"d{i + 3}", 1) for i in range(3)
        ]
        write_beir(corpus_dir / domain, docs, queries, qrels)
    corpus = load_corpus(corpus_dir)
    model = KeywordEmbedder()
    docs = model.embed(corpus.doc_ids, corpus.doc_texts, role="document") + 0.05
    queries = model.embed(corpus.query_ids, corpus.query_texts, role="query") + 0.05
    rng = np.random.default_rng(0)
    candidate_docs = docs.copy()
    clinical = np.array(corpus.doc_domains) == "clinical"
    candidate_docs[clinical] += rng.normal(size=candidate_docs[clinical].shape) * 1.5
    specs = {}
    for name, doc_vectors in (("baseline", docs), ("candidate", candidate_docs)):
        ids = list(corpus.doc_ids) + [f"query:{q}" for q in corpus.query_ids]
        write_vector_table(root / f"{name}.parquet", ids, np.vstack([doc_vectors, queries]))
        specs[name] = f"vectors:{root / f'{name}.parquet'}"
    specs["corpus"] = str(corpus_dir)
    return specs


def compared(root: Path, out: Path, *extra: str) -> dict[str, str]:
    """``build`` the fixture under ``root`` and write its comparison (k = 3) to ``out``."""
    from analysis.cli import main
    from tests.fakes import compare_args

    specs = build(root)
    args = compare_args(specs["corpus"], specs["baseline"], specs["candidate"], str(out))
    assert main([*args, "--k", "3", *extra]) == 0
    return specs


def setup_page_on(corpus: str, *, timeout: int = 120):  # type: ignore[no-untyped-def]
    """The dashboard's Setup page (an AppTest; the caller sets the tool's cache in the
    environment) with ``corpus`` typed as a path on the server."""
    from streamlit.testing.v1 import AppTest

    app = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
    at = AppTest.from_file(str(app), default_timeout=timeout)
    at.session_state["_url_loaded"] = True
    at.run()
    at.switch_page("views/setup.py").run()
    at.radio(key="setup_corpus_mode").set_value("A path on this server").run()
    at.text_input(key="setup_corpus_path").set_value(corpus).run()
    return at
