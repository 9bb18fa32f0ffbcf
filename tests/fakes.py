"""Test doubles: a keyword embedder (no downloads) and helpers that write tiny corpora."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from analysis.inputs.cache import CacheNamespace

VOCABULARY = (
    "contract",
    "liability",
    "clause",
    "court",
    "patient",
    "dose",
    "clinical",
    "symptom",
    "engine",
    "valve",
    "pump",
    "maintenance",
    "invoice",
    "ledger",
    "audit",
    "tax",
)


class KeywordEmbedder:
    """One dimension per vocabulary word: a text's vector counts the words it contains.

    Cosine between two texts is then the overlap of their keywords, checkable on paper.
    ``calls`` records how many texts each embed call received (to test the cache).
    """

    def __init__(self, spec: str = "fake:keywords", vocabulary: Sequence[str] = VOCABULARY):
        self.spec = spec
        self.vocabulary = tuple(vocabulary)
        self.calls: list[int] = []

    @property
    def fingerprint(self) -> str:
        return "fake-" + "-".join(self.vocabulary)

    def cache_namespace(self, role: str) -> CacheNamespace:
        return CacheNamespace(self.fingerprint, False, None, "")

    def embed(self, ids, texts, *, role, progress=None) -> np.ndarray:
        self.calls.append(len(texts))
        vectors = np.zeros((len(texts), len(self.vocabulary)), dtype=np.float32)
        for row, text in enumerate(texts):
            words = re.findall(r"[a-z]+", text.lower())
            for col, word in enumerate(self.vocabulary):
                vectors[row, col] = words.count(word)
        if progress:
            progress(len(texts))
        return vectors


def write_jsonl(path: Path, records: Sequence[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def write_beir(
    folder: Path,
    docs: Sequence[dict],
    queries: Sequence[dict] = (),
    qrels: Sequence[tuple[str, str, object]] = (),
) -> Path:
    """A BEIR folder: corpus.jsonl, queries.jsonl, qrels/test.tsv (with header)."""
    write_jsonl(folder / "corpus.jsonl", docs)
    if queries:
        write_jsonl(folder / "queries.jsonl", queries)
    if qrels:
        lines = ["query-id\tcorpus-id\tscore"] + [f"{q}\t{d}\t{g}" for q, d, g in qrels]
        (folder / "qrels").mkdir(parents=True, exist_ok=True)
        (folder / "qrels" / "test.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


LEGAL_DOCS = [
    {"_id": "l1", "title": "Liability", "text": "contract liability clause"},
    {"_id": "l2", "title": "", "text": "court contract"},
    {"_id": "l3", "title": "", "text": "liability court clause court"},
]
CLINICAL_DOCS = [
    {"_id": "c1", "title": "", "text": "patient dose clinical"},
    {"_id": "c2", "title": "", "text": "symptom patient"},
]


def compare_args(corpus, baseline: str, candidate: str, out, *extra: str) -> list[str]:
    """``python -m analysis compare`` arguments (as ``main`` takes them)."""
    return [
        "compare",
        "--corpus",
        str(corpus),
        "--baseline",
        baseline,
        "--candidate",
        candidate,
        "--out",
        str(out),
        "--neighbours",  # these corpora are tiny: drift needs fewer neighbours than documents
        "1",
        *extra,
    ]
