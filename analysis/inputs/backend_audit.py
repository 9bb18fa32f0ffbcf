"""How far a backend's vectors are from the float torch model's: on a seeded sample of the
corpus, the cosine between the two models' vectors of each sampled text (minimum and
median) and the share of each sampled query's top-10 (among the sampled documents) both
retrieve. Run whenever a model runs in another backend than torch; stored in the manifest
and shown on the Overview. The torch side of the sample goes through the embedding cache
(encoded once)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from analysis.inputs.cache import EmbeddingCache
    from analysis.inputs.corpus import Corpus
    from analysis.inputs.embed import CorpusEmbeddings
    from analysis.inputs.source import EmbeddingSource, Role
    from analysis.progress import Progress

SAMPLE_DOCUMENTS = 500
SAMPLE_QUERIES = 100
TOP = 10


@dataclass(frozen=True)
class BackendAudit:
    """The agreement of one model's backend with its float torch run, on a sample."""

    backend: str
    documents: int  # sampled
    queries: int  # sampled
    min_cosine: float
    median_cosine: float
    top10_agreement: float | None  # None: no query sampled
    seed: int = 0

    def sentence(self, label: str) -> str:
        """One line, as the Overview and the terminal say it."""
        kind = _READABLE.get(self.backend, self.backend)
        agreement = (
            f"top-{TOP} agreement {self.top10_agreement:.3f} with the float model, "
            if self.top10_agreement is not None
            else ""
        )
        return (
            f"The {label} runs as {kind}: {agreement}cosine to the float model's vectors "
            f"min {self.min_cosine:.4f}, median {self.median_cosine:.4f} ({self.documents:,} "
            f"documents and {self.queries:,} queries sampled, seed {self.seed}; top-{TOP} "
            "among the sampled documents)."
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


_READABLE = {
    "onnx": "float32 ONNX (ONNX Runtime)",
    "onnx-int8": "int8 ONNX (ONNX Runtime)",
    "openvino": "float32 OpenVINO",
    "openvino-int8": "int8 OpenVINO",
}


def audit_backend(
    corpus: Corpus,
    side: CorpusEmbeddings,
    reference: EmbeddingSource,
    backend: str,
    cache: EmbeddingCache,
    *,
    progress: Progress | None = None,
    seed: int = 0,
    documents: int = SAMPLE_DOCUMENTS,
    queries: int = SAMPLE_QUERIES,
) -> BackendAudit:
    """Compare ``side`` (the backend's vectors of the whole corpus) with ``reference`` (the
    same model on torch) on a seeded sample."""
    from analysis.inputs.embed import embed_role
    from analysis.progress import Progress

    progress = progress or Progress()
    rng = np.random.default_rng(seed)
    doc_rows = np.sort(rng.choice(corpus.n_docs, min(documents, corpus.n_docs), replace=False))
    query_rows = np.sort(
        rng.choice(corpus.n_queries, min(queries, corpus.n_queries), replace=False)
    )
    label = f"audit of {backend}: the float model"

    def float_vectors(rows: np.ndarray, role: Role) -> np.ndarray:
        ids, texts = (
            (corpus.doc_ids, corpus.doc_texts)
            if role == "document"
            else (corpus.query_ids, corpus.query_texts)
        )
        found, _ = embed_role(
            reference,
            [ids[i] for i in rows],
            [texts[i] for i in rows],
            role,
            cache,
            label,
            progress,
        )
        return found

    float_docs, mine_docs = float_vectors(doc_rows, "document"), side.documents[doc_rows]
    cosines = [_cosines(mine_docs, float_docs)]
    agreement = None
    if len(query_rows):
        float_queries, mine_queries = float_vectors(query_rows, "query"), side.queries[query_rows]
        cosines.append(_cosines(mine_queries, float_queries))
        agreement = top_agreement(mine_queries, mine_docs, float_queries, float_docs)
    every = np.concatenate(cosines)
    return BackendAudit(
        backend,
        len(doc_rows),
        len(query_rows),
        float(every.min()),
        float(np.median(every)),
        agreement,
        seed,
    )


def top_agreement(
    queries_a: np.ndarray, docs_a: np.ndarray, queries_b: np.ndarray, docs_b: np.ndarray
) -> float:
    """The mean share of each query's top-10 by cosine that both spaces retrieve."""
    depth = min(TOP, len(docs_a))
    top_a = _top(_unit(queries_a) @ _unit(docs_a).T, depth)
    top_b = _top(_unit(queries_b) @ _unit(docs_b).T, depth)
    shared = [len(set(a) & set(b)) / depth for a, b in zip(top_a, top_b, strict=True)]
    return float(np.mean(shared))


def _top(scores: np.ndarray, depth: int) -> np.ndarray:
    return np.argsort(-scores, axis=1, kind="stable")[:, :depth]


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(_unit(a) * _unit(b), axis=1)
