"""Write a comparison's files (TREC runs, qrels, summary.json, Parquet tables) and its
terminal table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from analysis.bundle.summary import build_summary, write_summary
from analysis.bundle.trec import write_trec_qrels, write_trec_run
from analysis.compare import Comparison
from analysis.terminal import format_table


def write_outputs(comparison: Comparison, out: Path, *, corpus_source: str) -> dict[str, Any]:
    """Write everything under ``out`` and return the summary dict."""
    corpus = comparison.corpus
    out.mkdir(parents=True, exist_ok=True)
    k = comparison.config.k
    for label, ranking in (
        ("baseline", comparison.baseline_ranking),
        ("candidate", comparison.candidate_ranking),
    ):
        top_k = type(ranking)(ranking.indices[:, :k], ranking.scores[:, :k])
        write_trec_run(
            out / "runs" / f"{label}.trec", top_k, corpus.query_ids, corpus.doc_ids, tag=label
        )
    if corpus.qrels:
        write_trec_qrels(out / "qrels.trec", corpus.qrels)
    for name, frame in tables(comparison).items():
        frame.to_parquet(out / f"{name}.parquet", index=False)
    summary = build_summary(comparison, corpus_source=corpus_source)
    write_summary(out / "summary.json", summary)
    return summary


def tables(comparison: Comparison) -> dict[str, pd.DataFrame]:
    """The per-query, per-document and per-pair tables, by file name."""
    corpus = comparison.corpus
    queries = comparison.changed.queries
    if comparison.quality is not None:
        extra = comparison.quality.to_frame().drop(columns=["domain"])
        queries = queries.drop(columns=["ndcg@10_baseline", "ndcg@10_candidate"]).merge(
            extra, on="query_id", how="left"
        )
    documents = comparison.reach.to_frame(corpus.doc_ids).merge(
        comparison.drift.to_frame(corpus.doc_ids).drop(columns=["domain"]),
        on="doc_id",
        how="left",
    )
    queries = queries.assign(text=list(corpus.query_texts))
    documents = documents.assign(text_preview=[text[:160] for text in corpus.doc_texts])
    result = {"queries": queries, "documents": documents, "changes": comparison.changed.moves}
    if comparison.thresholds is not None:
        pairs = comparison.thresholds.to_frame(corpus.query_ids, corpus.doc_ids)
        result["threshold_pairs"] = pairs
        result["horizon_curve"] = comparison.thresholds.curve.to_frame()
        excluded = pairs[pairs["excluded_same_cutoff"]].groupby("doc_id").size()
        documents["excluded_pairs_same_cutoff"] = (
            documents["doc_id"].map(excluded).fillna(0).astype(int)
        )
    result["geometry"] = comparison.geometry.to_frame()
    if comparison.projection is not None:
        result["projection"] = comparison.projection.to_frame(corpus.doc_ids, corpus.doc_domains)
    return result


def print_domain_table(summary: dict[str, Any]) -> None:
    headers = [
        "domain",
        "docs",
        "queries",
        "top-k jaccard",
        "rbo",
        "nbhd jaccard",
        "excluded@same",
        "excluded@calib",
        "unreachable b→c",
        "ΔnDCG@10 (p)",
    ]
    rows = [_row(name, section) for name, section in sorted(summary["domains"].items())]
    rows.append(_row("(all)", summary["overall"]))
    print(format_table(headers, rows))
    cutoffs = summary.get("thresholds", {})
    if "cutoff" in cutoffs:
        print(
            f"\ncutoff {cutoffs['cutoff']:.3f} ({cutoffs['cutoff_source']}); "
            f"calibrated candidate cutoff {_fmt(cutoffs['calibrated_candidate_cutoff'])}"
        )


def _row(name: str, section: dict[str, Any]) -> list[object]:
    unreachable = section["unreachable_docs"]
    quality = section.get("quality")
    delta = "-"
    if quality:
        delta = f"{quality['delta']['ndcg@10']:+.3f} ({_fmt(quality['p_value_bh']['ndcg@10'])})"
    return [
        name,
        section["n_docs"],
        section["n_queries"],
        section["overlap_jaccard"],
        section["rbo"],
        section["neighbourhood_jaccard"],
        _pct(section.get("excluded_share_same_cutoff")),
        _pct(section.get("excluded_share_calibrated")),
        f"{unreachable['baseline']}→{unreachable['candidate']}",
        delta,
    ]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
