"""Write a comparison's files (TREC runs, qrels, summary.json) and its terminal table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analysis.compare import Comparison
from analysis.runfiles import write_trec_qrels, write_trec_run
from analysis.summary import build_summary, write_summary
from analysis.terminal import format_table


def write_outputs(comparison: Comparison, out: Path, *, corpus_source: str) -> dict[str, Any]:
    """Write everything under ``out`` and return the summary dict."""
    corpus = comparison.corpus
    out.mkdir(parents=True, exist_ok=True)
    for label, ranking in (
        ("baseline", comparison.baseline_ranking),
        ("candidate", comparison.candidate_ranking),
    ):
        write_trec_run(
            out / "runs" / f"{label}.trec", ranking, corpus.query_ids, corpus.doc_ids, tag=label
        )
    if corpus.qrels:
        write_trec_qrels(out / "qrels.trec", corpus.qrels)
    summary = build_summary(comparison, corpus_source=corpus_source)
    write_summary(out / "summary.json", summary)
    return summary


def print_domain_table(summary: dict[str, Any]) -> None:
    headers = ["domain", "documents", "queries", "judged queries"]
    rows = [
        [name, d["n_docs"], d["n_queries"], d["n_judged_queries"]]
        for name, d in sorted(summary["domains"].items())
    ]
    overall = summary["overall"]
    rows.append(["(all)", overall["n_docs"], overall["n_queries"], overall["n_judged_queries"]])
    print(format_table(headers, rows))
