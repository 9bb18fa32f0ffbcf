"""A vector store as one side of a comparison: its document vectors read by id, streamed
batch by batch (memory: the rows the corpus asks for plus one batch), its questions encoded
by the model the spec names (``queries=SPEC``).

The fingerprint names the store, the collection (or index file), the vector and a digest of
every (id, vector) the store holds, never a credential; reading the digest is one pass over
the store, the vectors another.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from analysis.errors import InputError
from analysis.inputs.cache import CacheNamespace
from analysis.inputs.source import EmbeddingSource, ProgressFn, Role
from analysis.inputs.stores.readers import batches, faiss_is_exact
from analysis.inputs.stores.spec import StoreSpec
from analysis.inputs.vectors import normalise_in_place

_EXAMPLES = 5


class StoreVectors:
    """Documents from a vector store; questions from ``queries`` (a model or vectors)."""

    def __init__(
        self,
        spec: str,
        store: StoreSpec,
        queries: EmbeddingSource | None,
        *,
        same_ids: bool = False,
    ) -> None:
        """``same_ids``: the store must hold the corpus's documents and no others (the
        corpus came from a store: a point only one side holds is a disagreement)."""
        self.spec, self.store, self.queries = spec, store, queries
        self.same_ids = same_ids
        self._fingerprint: str | None = None
        self._ignored = 0
        self.exact = store.store != "faiss" or faiss_is_exact(store)

    @property
    def rows_ignored(self) -> int:
        """Points of the store no document of the corpus asked for (said, never dropped
        in silence)."""
        return self._ignored

    @property
    def fingerprint(self) -> str:
        if self._fingerprint is None:
            digest = hashlib.sha256()
            for ids, vectors in batches(self.store):
                for item_id, row in zip(ids, vectors, strict=True):
                    digest.update(item_id.encode() + b"\0" + row.tobytes())
            where = (
                self.store.get("collection")
                or (self.store.get("table") if self.store.store == "pgvector" else None)
                or Path(self.store.location).name
            )
            vector = self.store.get("vector") or "-"
            approximate = "" if self.exact else "approximate-"
            queries = self.queries.fingerprint if self.queries is not None else "-"
            self._fingerprint = (
                f"{approximate}{self.store.store}-{where}-{vector}-{digest.hexdigest()}"
                f"|queries:{queries}"
            )
        return self._fingerprint

    def cache_namespace(self, role: Role) -> CacheNamespace | None:
        if role == "query" and self.queries is not None:
            return self.queries.cache_namespace("query")
        return None

    def embed(
        self,
        ids: Sequence[str],
        texts: Sequence[str],
        *,
        role: Role,
        progress: ProgressFn | None = None,
    ) -> np.ndarray:
        if role == "query":
            if self.queries is None:
                raise InputError(
                    f"{self.spec}: a vector store holds documents; name the model that encodes "
                    "this side's questions with queries=SPEC in the spec (the model that "
                    "built the store's vectors, or vectors:FILE holding the query vectors)"
                )
            return self.queries.embed(ids, texts, role="query", progress=progress)
        return self._documents(ids, progress)

    def _documents(self, ids: Sequence[str], progress: ProgressFn | None) -> np.ndarray:
        wanted = {item_id: row for row, item_id in enumerate(ids)}
        out: np.ndarray | None = None
        found = np.zeros(len(ids), dtype=bool)
        seen: set[str] = set()
        extra: list[str] = []  # the first few points no document asked for
        ignored = 0
        for batch_ids, vectors in batches(self.store):
            if out is None:
                out = np.zeros((len(ids), vectors.shape[1]), dtype=np.float32)
            elif vectors.shape[1] != out.shape[1]:
                raise InputError(
                    f"{self.spec}: vectors of {vectors.shape[1]} and {out.shape[1]} dimensions "
                    "in one store; all vectors need one dimension"
                )
            for item_id, vector in zip(batch_ids, vectors, strict=True):
                if item_id in seen:
                    raise InputError(f"{self.spec}: id {item_id!r} appears twice in the store")
                seen.add(item_id)
                row = wanted.get(item_id)
                if row is None:
                    ignored += 1
                    if len(extra) < _EXAMPLES:
                        extra.append(item_id)
                    continue
                out[row], found[row] = vector, True
            if progress:
                progress(len(batch_ids))
        missing = [ids[int(row)] for row in np.flatnonzero(~found)]
        if missing or (self.same_ids and ignored):
            raise InputError(f"{self.spec}: {_disagreement(missing, ignored, extra)}")
        self._ignored = ignored
        if out is None:
            return np.zeros((0, 0), dtype=np.float32)
        normalise_in_place(out)  # as vectors:FILE reads them: the same comparison, digit for digit
        return out


def _disagreement(missing: list[str], ignored: int, extra: list[str]) -> str:
    """How the store's ids and the corpus's differ: how many each way, and a few of each."""
    parts = []
    if missing:
        examples = ", ".join(repr(i) for i in missing[:_EXAMPLES])
        parts.append(f"no vector for {len(missing)} document id(s) of the corpus (e.g. {examples})")
    if ignored:
        examples = ", ".join(repr(i) for i in extra)
        parts.append(f"{ignored} point(s) that are no document of the corpus (e.g. {examples})")
    return "the store and the corpus disagree on ids: " + "; ".join(parts)
