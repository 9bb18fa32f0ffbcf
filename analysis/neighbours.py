"""Document-to-document neighbours for drift: exact, or approximate with a measured exactness.

Exact search (faiss brute force, :func:`analysis.retrieval.top_k_cosine`) is the default and
the reference. Above a size the user sets, an inverted-file index (faiss ``IVF`` with 8-bit
scalar quantisation, a quarter of the float32 matrix) proposes candidates, which are then
re-ranked with exact cosines. An approximate index that silently changes rankings is a known
failure in this field, so the search audits itself before it is used: on a seeded sample of
the analysed documents it compares the approximate neighbours with exact search, per model
(recall) and per domain (the drift measure itself, neighbourhood Jaccard), and widens the
search (``nprobe``) until every domain agrees within the tolerance. An index that cannot
agree even when scanning half its lists is not used: the search falls back to exact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis.progress import Progress
from analysis.retrieval import top_k_cosine, unit_rows
from analysis.shards.documents import DocumentVectors

AUDIT_DOCS = 1_000  # documents whose approximate neighbours are checked against exact search
JACCARD_TOLERANCE = 0.01  # per-domain |mean Jaccard (approximate) - mean Jaccard (exact)|
_FIRST_NPROBE = 8
_RERANK_FACTOR = 3  # candidates fetched per neighbour kept, re-ranked with exact cosines
_TRAIN_PER_LIST = 40  # training vectors per inverted list (faiss warns below 39)
_ADD_BLOCK = 65_536
_SEARCH_BLOCK = 2_048
EXACT_INDEX = "faiss brute-force inner product"


@dataclass(frozen=True)
class NeighbourSearch:
    """How drift's neighbours were found and, for an approximate index, how exact they are.

    ``recall`` is the mean share of a document's exact k neighbours the approximate search
    found (per model); ``jaccard_difference`` is, per domain, the absolute difference between
    the mean neighbourhood Jaccard computed from approximate neighbours and from exact ones,
    on the same ``audit_docs`` documents.
    """

    method: str  # "exact" or "approximate"
    index: str
    audit_docs: int = 0
    recall_baseline: float | None = None
    recall_candidate: float | None = None
    jaccard_difference: Mapping[str, float] = field(default_factory=dict)
    tolerance: float = JACCARD_TOLERANCE
    note: str = ""  # why an approximate search fell back to exact, for instance

    @property
    def approximate(self) -> bool:
        return self.method == "approximate"

    @property
    def max_jaccard_difference(self) -> float | None:
        return max(self.jaccard_difference.values()) if self.jaccard_difference else None

    @property
    def within_tolerance(self) -> bool | None:
        largest = self.max_jaccard_difference
        return None if largest is None else largest <= self.tolerance

    def sentence(self) -> str:
        """What a reader needs next to a drift number: how its neighbours were found."""
        if not self.approximate:
            return (
                f"Neighbours by exact search ({self.index}).{' ' + self.note if self.note else ''}"
            )
        verdict = "within" if self.within_tolerance else "OUTSIDE"
        return (
            f"Neighbours by approximate search ({self.index}), audited against exact search on "
            f"{self.audit_docs:,} sampled documents: recall@k {self.recall_baseline:.3f} "
            f"(baseline), {self.recall_candidate:.3f} (candidate); per-domain neighbourhood "
            f"Jaccard differs from exact by at most {self.max_jaccard_difference:.4f}, "
            f"{verdict} the tolerance of {self.tolerance}."
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "index": self.index,
            "audit_docs": self.audit_docs,
            "recall_baseline": self.recall_baseline,
            "recall_candidate": self.recall_candidate,
            "jaccard_difference": dict(self.jaccard_difference),
            "max_jaccard_difference": self.max_jaccard_difference,
            "tolerance": self.tolerance,
            "within_tolerance": self.within_tolerance,
            "note": self.note,
        }

    @classmethod
    def from_json(cls, entry: Mapping[str, Any]) -> NeighbourSearch:
        return cls(
            method=str(entry["method"]),
            index=str(entry["index"]),
            audit_docs=int(entry.get("audit_docs", 0)),
            recall_baseline=entry.get("recall_baseline"),
            recall_candidate=entry.get("recall_candidate"),
            jaccard_difference={str(k): float(v) for k, v in entry["jaccard_difference"].items()},
            tolerance=float(entry.get("tolerance", JACCARD_TOLERANCE)),
            note=str(entry.get("note", "")),
        )


def document_neighbours(
    baseline_docs: np.ndarray | None,
    candidate_docs: np.ndarray | None,
    positions: np.ndarray,
    domains: Sequence[str] | np.ndarray,
    k: int,
    *,
    approximate: bool,
    random_state: int = 0,
    audit_docs: int = AUDIT_DOCS,
    tolerance: float = JACCARD_TOLERANCE,
    progress: Progress | None = None,
    documents: DocumentVectors | None = None,
) -> tuple[np.ndarray, np.ndarray, NeighbourSearch]:
    """Each analysed document's k nearest other documents under both models.

    ``positions`` are the analysed documents (sorted), ``domains`` their domains. Returns
    the (m, k) neighbour positions under the baseline and the candidate, and how they were
    found. ``documents``: the vectors where they lie (shards), in place of the matrices;
    over shards the search is exact (the approximate index needs a whole matrix).
    """
    progress = progress or Progress()
    if documents is None:
        if baseline_docs is None or candidate_docs is None:
            raise ValueError("give both document matrices, or documents")
        documents = DocumentVectors.in_memory(baseline_docs, candidate_docs)
    note = ""
    if approximate and documents.matrices is not None:
        spaces = [unit_rows(matrix) for matrix in documents.matrices]
        found = _approximate(
            spaces, positions, domains, k, random_state, audit_docs, tolerance, progress
        )
        if found is not None:
            return found
        note = (
            f"An approximate index was tried and failed its audit (no nprobe kept every "
            f"domain's Jaccard within {tolerance}), so exact search was used."
        )
    elif approximate:
        note = "The documents are in shards, which are searched exactly (no approximate index)."
    exact = []
    for side, label in enumerate(("baseline", "candidate")):
        with progress.stage(f"{label}: neighbours of {len(positions):,} documents"):
            own = documents.rows(side, positions, unit=True)
            found_here = documents.top_k(side, own, k, exclude=positions, prescale=True)
            exact.append(found_here.indices)
    return exact[0], exact[1], NeighbourSearch("exact", EXACT_INDEX, note=note)


def row_jaccard(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|A ∩ B| / |A ∪ B| of each row's neighbour sets (-1 pads); 1 for two empty rows."""
    out = np.ones(len(a))
    for row in range(len(a)):
        set_a, set_b = set(a[row][a[row] >= 0].tolist()), set(b[row][b[row] >= 0].tolist())
        union = set_a | set_b
        out[row] = len(set_a & set_b) / len(union) if union else 1.0
    return out


def _exact(
    unit: np.ndarray, positions: np.ndarray, k: int, progress: Progress, stage: str
) -> np.ndarray:
    return top_k_cosine(
        unit[positions], unit, k, exclude=positions, progress=progress, stage=stage
    ).indices


def _approximate(
    spaces: list[np.ndarray],
    positions: np.ndarray,
    domains: Sequence[str] | np.ndarray,
    k: int,
    random_state: int,
    audit_size: int,
    tolerance: float,
    progress: Progress,
) -> tuple[np.ndarray, np.ndarray, NeighbourSearch] | None:
    rng = np.random.default_rng(random_state)
    audit = np.sort(rng.choice(len(positions), min(audit_size, len(positions)), replace=False))
    audit_positions = positions[audit]
    audit_domains = np.asarray(domains, dtype=object)[audit]
    indexes = [
        _build_index(unit, random_state, progress, label)
        for label, unit in (("baseline", spaces[0]), ("candidate", spaces[1]))
    ]
    exact = [
        _exact(unit, audit_positions, k, progress, f"{label}: exact neighbours of the audit sample")
        for label, unit in (("baseline", spaces[0]), ("candidate", spaces[1]))
    ]
    exact_jaccard = row_jaccard(exact[0], exact[1])
    nlist = indexes[0].nlist
    widest = max(1, nlist // 2)  # past half the lists an index saves too little to be worth it
    nprobe = min(_FIRST_NPROBE, widest)
    with progress.stage("auditing the approximate index against exact search"):
        while True:
            found = [
                _search(index, unit, audit_positions, k, nprobe)
                for index, unit in zip(indexes, spaces, strict=True)
            ]
            difference = _domain_difference(
                row_jaccard(found[0], found[1]), exact_jaccard, audit_domains
            )
            if max(difference.values()) <= tolerance:
                break
            if nprobe >= widest:
                return None
            nprobe = min(nprobe * 2, widest)
    neighbours = []
    for label, index, unit in zip(("baseline", "candidate"), indexes, spaces, strict=True):
        stage = f"{label}: approximate neighbours of {len(positions):,} documents"
        with progress.stage(stage, len(positions)) as tick:
            neighbours.append(_search(index, unit, positions, k, nprobe, tick))
    search = NeighbourSearch(
        "approximate",
        f"faiss IVF{nlist},SQ8, nprobe {nprobe}, re-ranked by exact cosine",
        audit_docs=len(audit),
        recall_baseline=_recall(found[0], exact[0]),
        recall_candidate=_recall(found[1], exact[1]),
        jaccard_difference=difference,
        tolerance=tolerance,
    )
    return neighbours[0], neighbours[1], search


def _build_index(unit: np.ndarray, random_state: int, progress: Progress, label: str) -> Any:
    import faiss

    n, dim = unit.shape
    # √n lists, fewer when the corpus cannot train that many (faiss wants 39 vectors a list)
    nlist = max(1, min(int(np.sqrt(n)), n // _TRAIN_PER_LIST))
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFScalarQuantizer(
        quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    index.cp.seed = random_state
    train = np.random.default_rng(random_state).choice(
        n, min(n, nlist * _TRAIN_PER_LIST), replace=False
    )
    with progress.stage(f"{label}: indexing {n:,} documents (IVF{nlist},SQ8)", n) as tick:
        index.train(unit[np.sort(train)])
        for start in range(0, n, _ADD_BLOCK):
            block = unit[start : start + _ADD_BLOCK]
            index.add(block)
            tick(len(block))
    return index


def _search(
    index: Any,
    unit: np.ndarray,
    positions: np.ndarray,
    k: int,
    nprobe: int,
    tick: Any = None,
) -> np.ndarray:
    """Approximate candidates, re-ranked by exact cosine; the document itself left out;
    ties by position, as exact search breaks them."""
    index.nprobe = nprobe
    fetch = min(len(unit), _RERANK_FACTOR * k + 1)
    out = np.full((len(positions), k), -1, dtype=np.int64)
    for start in range(0, len(positions), _SEARCH_BLOCK):
        rows = positions[start : start + _SEARCH_BLOCK]
        _, candidates = index.search(unit[rows], fetch)
        valid = (candidates >= 0) & (candidates != rows[:, None])
        safe = np.where(valid, candidates, 0)
        scores = np.einsum("qcd,qd->qc", unit[safe], unit[rows])
        scores[~valid] = -np.inf
        order = np.lexsort((safe, -scores), axis=1)[:, :k]
        best = np.take_along_axis(safe, order, axis=1)
        best[~np.isfinite(np.take_along_axis(scores, order, axis=1))] = -1
        out[start : start + len(rows), : best.shape[1]] = best
        if tick is not None:
            tick(len(rows))
    return out


def _domain_difference(
    approximate: np.ndarray, exact: np.ndarray, domains: np.ndarray
) -> dict[str, float]:
    return {
        str(name): float(abs(approximate[domains == name].mean() - exact[domains == name].mean()))
        for name in sorted(set(domains.tolist()))
    }


def _recall(found: np.ndarray, exact: np.ndarray) -> float:
    hits = [
        len(set(f[f >= 0].tolist()) & set(e[e >= 0].tolist())) / max(int((e >= 0).sum()), 1)
        for f, e in zip(found, exact, strict=True)
    ]
    return float(np.mean(hits)) if hits else 1.0
