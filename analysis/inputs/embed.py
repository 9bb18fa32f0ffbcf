"""Embed a corpus' documents and queries with one source, through the on-disk cache."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.errors import InputError
from analysis.inputs.cache import EmbeddingCache
from analysis.inputs.corpus import Corpus
from analysis.inputs.fingerprint import text_digests
from analysis.inputs.source import EmbeddingSource, Role
from analysis.progress import Progress


@dataclass(frozen=True)
class CorpusEmbeddings:
    """One model's vectors for every document and query, in corpus order."""

    spec: str
    fingerprint: str
    documents: np.ndarray  # (n_docs, dim) float32
    queries: np.ndarray  # (n_queries, dim) float32
    encoded: int  # texts this run had to encode
    cached: int  # texts served from the cache (0 for precomputed vectors: they are read)
    ignored: int = 0  # rows of a vectors file whose ids are not in the corpus
    # another backend than torch: its agreement with the float model (backend_audit)
    backend_audit: dict[str, Any] | None = None
    # documents whose vectors stay in shards on disk (``documents`` then has no rows)
    documents_elsewhere: int = 0

    @property
    def read(self) -> int:
        """Vectors read from a precomputed-vectors file (nothing encoded, nothing cached)."""
        held = len(self.documents) + len(self.queries) + self.documents_elsewhere
        return held - self.encoded - self.cached

    def warnings(self, label: str) -> list[str]:
        """What looks broken: all-zero vectors (cosine 0 with everything, so a document no
        query can retrieve), which a faulty export produces and a regression does not."""
        out = []
        for role, vectors in (("document", self.documents), ("query", self.queries)):
            zero = int((~vectors.any(axis=1)).sum()) if len(vectors) else 0
            said = zero_vectors_warning(label, self.spec, role, zero, len(vectors))
            if said:
                out.append(said)
        if self.ignored:
            out.append(
                f"{label} ({self.spec}): {self.ignored:,} vector rows have ids that are not in "
                "the corpus and were ignored"
            )
        return out

    @property
    def dimension(self) -> int:
        return int(self.documents.shape[1])


def zero_vectors_warning(label: str, spec: str, role: str, zero: int, total: int) -> str | None:
    """The warning for ``zero`` all-zero vectors among ``total`` (None for none)."""
    if not zero:
        return None
    return (
        f"{label} ({spec}): {zero:,} of {total:,} {role} vectors are all zero; they match "
        "nothing, which reads as a regression. Is the export broken?"
    )


def embed_corpus(
    corpus: Corpus,
    source: EmbeddingSource,
    *,
    cache: EmbeddingCache,
    label: str,
    progress: Progress | None = None,
) -> CorpusEmbeddings:
    """Embed documents then queries; only texts missing from the cache are encoded."""
    progress = progress or Progress()
    docs, docs_encoded = embed_role(
        source, corpus.doc_ids, corpus.doc_texts, "document", cache, label, progress
    )
    queries, queries_encoded = embed_role(
        source, corpus.query_ids, corpus.query_texts, "query", cache, label, progress
    )
    if len(queries) == 0:
        queries = np.zeros((0, docs.shape[1]), dtype=np.float32)
    elif queries.shape[1] != docs.shape[1]:
        raise InputError(
            f"model '{source.spec}': query vectors have {queries.shape[1]} dimensions but "
            f"document vectors have {docs.shape[1]}"
        )
    encoded = docs_encoded + queries_encoded
    total = corpus.n_docs + corpus.n_queries
    computed = source.cache_namespace("document") is not None
    return CorpusEmbeddings(
        source.spec,
        source.fingerprint,
        docs,
        queries,
        encoded,
        total - encoded if computed else 0,
        getattr(source, "rows_ignored", 0),
    )


def embed_role(
    source: EmbeddingSource,
    ids: Sequence[str],
    texts: Sequence[str],
    role: Role,
    cache: EmbeddingCache,
    label: str,
    progress: Progress,
    *,
    digests: list[bytes] | None = None,
) -> tuple[np.ndarray, int]:
    """Vectors for one role and how many texts had to be encoded (not cached). ``digests``:
    the texts' ``text_digests``, when the caller already has them (one set of texts for two
    models)."""
    if not ids:
        return np.zeros((0, 0), dtype=np.float32), 0
    namespace = source.cache_namespace(role)
    if namespace is None:  # precomputed vectors: read, nothing to cache
        with progress.stage(f"{label}: reading {role} vectors", len(ids)) as tick:
            return source.embed(ids, texts, role=role, progress=tick), 0
    keys = text_digests(texts) if digests is None else digests
    found, vectors = cache.lookup(namespace, keys)
    missing = np.flatnonzero(~found).tolist()
    if len(missing) == 0 and vectors is not None:
        return vectors, 0
    stage = f"{label}: encoding {len(missing):,} {_plural(role)} ({int(found.sum()):,} cached)"
    with progress.stage(stage, len(missing)) as tick:
        fresh = source.embed(
            [ids[i] for i in missing], [texts[i] for i in missing], role=role, progress=tick
        )
    cache.store(namespace, [keys[i] for i in missing], fresh)
    if vectors is None:
        vectors = np.zeros((len(ids), fresh.shape[1]), dtype=np.float32)
    vectors[missing] = fresh  # same namespace means same model, so dimensions agree
    return vectors, len(missing)


def _plural(role: Role) -> str:
    return "queries" if role == "query" else "documents"
