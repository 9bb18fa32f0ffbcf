"""Retrieval overlap: how much do the two models agree on each query's top-k?"""

from __future__ import annotations

import plotly.graph_objects as go

from analysis.bundle.files import Bundle
from reporting import charts
from reporting.sections.base import Block, Chart, Context, Section, Table, Text, in_domain, present

LABELS = {
    "jaccard": "top-k Jaccard",
    "rbo": "rank-biased overlap",
    "relevance_lost": "nDCG@10 lost (baseline − candidate)",
    "rank_shift": "mean rank shift",
}
LEAST_COLUMNS = ("query_id", "domain", "jaccard", "rbo", "n_left", "n_entered", "relevance_lost")
REPORT_ROWS = 15
NO_QUERIES = (
    "This corpus has no queries, so there is no retrieval to compare. Add a queries file; "
    "the document-side pages (drift, embedding space) still work."
)


def blocks(bundle: Bundle, context: Context) -> list[Block]:
    queries = bundle.queries
    if queries is None or queries.empty:
        return [Text(NO_QUERIES)]
    colors = charts.domain_colors(bundle.summary.domain_names)
    least = present(in_domain(queries, context.domain).sort_values("jaccard"), LEAST_COLUMNS)
    where = f" in {context.domain}" if context.domain else ""
    return [
        Chart(
            "overlap_box",
            charts.distributions(
                queries,
                ["jaccard", "rbo"],
                colors,
                "Agreement of the two top-k lists, per domain",
                LABELS,
            ),
        ),
        Table("least_overlap", f"Least overlapping queries{where}", least, REPORT_ROWS),
    ]


def query_scatter(bundle: Bundle, context: Context) -> go.Figure | None:
    """Every query by overlap and relevance lost (or rank shift without judgments)."""
    queries = bundle.queries
    if queries is None or queries.empty:
        return None
    shown = in_domain(queries, context.domain)
    y = "relevance_lost" if "relevance_lost" in shown else "rank_shift"
    colors = charts.domain_colors(bundle.summary.domain_names)
    return charts.query_scatter(shown, "jaccard", y, colors, LABELS)


SECTION = Section("overlap", "Retrieval overlap", ":material/join_inner:", blocks)
