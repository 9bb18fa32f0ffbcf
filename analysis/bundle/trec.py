"""TREC run and qrels files, so any IR tool (trec_eval, ranx, pytrec_eval) can read our results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from analysis.retrieval import Ranking


def write_trec_run(
    path: Path,
    ranking: Ranking,
    query_ids: Sequence[str],
    doc_ids: Sequence[str],
    *,
    tag: str,
) -> None:
    """Write ``qid Q0 docid rank score tag`` lines, ranks from 1, best first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    safe_tag = "".join(ch if not ch.isspace() else "_" for ch in tag) or "run"
    with path.open("w", encoding="utf-8") as handle:
        for row, query_id in enumerate(query_ids):
            for rank, (doc, score) in enumerate(
                zip(ranking.indices[row], ranking.scores[row], strict=True), start=1
            ):
                if doc < 0:
                    break
                handle.write(f"{query_id} Q0 {doc_ids[doc]} {rank} {score:.6f} {safe_tag}\n")


def write_trec_qrels(path: Path, qrels: Mapping[str, Mapping[str, int]]) -> None:
    """Write ``qid 0 docid grade`` lines, with the corpus' (possibly namespaced) ids."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for query_id in sorted(qrels):
            for doc_id, grade in sorted(qrels[query_id].items()):
                handle.write(f"{query_id} 0 {doc_id} {grade}\n")
