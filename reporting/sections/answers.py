"""Answers: does the context the LLM receives still contain a reference answer?"""

from __future__ import annotations

import pandas as pd

from analysis.bundle.files import Bundle
from analysis.metrics.answers import AnswerFigures
from reporting import figures
from reporting.sections.base import Block, Chart, Context, Section, Table, Text, in_domain, present

LOST_COLUMNS = (
    "query_id",
    "domain",
    "text",
    "answer_doc_baseline",
    "answer_doc_neighbourhood_jaccard",
    "jaccard",
    "relevance_lost",
)
REPORT_ROWS = 20
NO_ANSWERS = (
    "This comparison has no reference answers, so answer coverage is not measured. Give "
    "queries an 'answers' field (a string or a list), an 'answers' column, or an --answers "
    "table (query_id, answer). Retrieval relevance (nDCG, recall) is not answer coverage."
)
EXPLAINED = (
    "A query is covered when one of its reference answers appears in the context the LLM "
    "would receive (the top-k documents, cut at the context budget), after SQuAD's "
    "normalisation. It is the pipeline-level signal: documents can rank well on judgments "
    "while the ones that carried the answer stop reaching the LLM."
)


def coverage_table(bundle: Bundle, domain: str | None) -> pd.DataFrame:
    rows = []
    sections = [*bundle.summary.domains.values(), bundle.summary.overall]
    for section in sections:
        figures_ = section.get(AnswerFigures)
        if figures_ is None or (domain is not None and section.name != domain):
            continue
        rows.append(
            {
                "domain": section.name,
                "answered queries": figures_.n_answered_queries,
                "coverage baseline": figures_.answer_coverage.get("baseline"),
                "coverage candidate": figures_.answer_coverage.get("candidate"),
                "Δ (candidate − baseline)": figures_.delta,
                "p (BH)": figures_.p_value_bh,
                "lost coverage": figures_.lost_coverage_queries,
                "gained coverage": figures_.gained_coverage_queries,
            }
        )
    return pd.DataFrame(rows)


def lost_queries(bundle: Bundle, domain: str | None) -> pd.DataFrame:
    """Queries covered under the baseline and not under the candidate, with the document that
    carried the answer and that document's own neighbourhood drift."""
    queries, documents = bundle.queries, bundle.documents
    if queries is None or "covered_baseline" not in queries:
        return pd.DataFrame()
    lost = queries[(queries["covered_baseline"] == 1) & (queries["covered_candidate"] == 0)]
    lost = in_domain(lost, domain)
    if documents is not None and "neighbourhood_jaccard" in documents:
        drift = documents.set_index("doc_id")["neighbourhood_jaccard"]
        lost = lost.assign(answer_doc_neighbourhood_jaccard=lost["answer_doc_baseline"].map(drift))
    return present(lost, LOST_COLUMNS).reset_index(drop=True)


def blocks(bundle: Bundle, context: Context) -> list[Block]:
    table = coverage_table(bundle, context.domain)
    if table.empty:
        return [Text(NO_ANSWERS)]
    setting = bundle.summary.manifest.config.get("context", {})
    budget = setting.get("budget")
    cut = "no budget" if budget is None else f"cut at {budget:,} {setting.get('budget_unit')}"
    out: list[Block] = [
        Text(EXPLAINED, muted=True),
        Text(f"Context: the top-{setting.get('k')} documents, {cut}."),
        Table("answer_coverage", "Answer coverage per domain", table),
    ]
    curve = bundle.table("answer_curve")
    if curve is not None:
        shown = in_domain(curve[curve["domain"] != "(all)"], context.domain)
        colors = figures.domain_colors(bundle.summary.domain_names)
        out.append(Chart("answer_curve", figures.coverage_curves(shown, colors)))
    lost = lost_queries(bundle, context.domain)
    out.append(
        Table(
            "lost_coverage",
            f"Queries that lost coverage ({len(lost):,})",
            lost,
            REPORT_ROWS,
        )
    )
    return out


SECTION = Section("answers", "Answers", ":material/fact_check:", blocks)
