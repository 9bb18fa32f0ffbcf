"""Answers: does the context the LLM receives still contain a reference answer?

Where the corpus has judgments and no answers, the same questions are asked of
judged-relevant coverage, and every title says so.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.bundle.files import Bundle
from analysis.context import describe_context
from analysis.metrics.answers import ANSWER, KINDS, CoverageKind
from analysis.metrics.llm_judge import JudgeAgreement
from reporting import charts
from reporting.sections.base import (
    Block,
    Chart,
    Context,
    Heading,
    Pair,
    Passage,
    Section,
    Stack,
    Table,
    Text,
    in_domain,
    present,
)
from reporting.sections.documents import with_texts

REPORT_ROWS = 20
LOST_KEY = "lost_coverage"
REPORT_CONTEXTS = 3  # lost queries whose two contexts the report prints in full
NO_COVERAGE = (
    "This comparison has neither reference answers nor judgments, so no pipeline-level "
    "coverage is measured. Give queries an 'answers' field (a string or a list), an 'answers' "
    "column, or an --answers table (query_id, answer)."
)
EXPLAINED = {
    "answer": (
        "A query is covered when one of its reference answers appears in the context the LLM "
        "would receive, after SQuAD's normalisation. It is the pipeline-level signal: "
        "documents can rank well on judgments while the ones that carried the answer stop "
        "reaching the LLM."
    ),
    "judged": (
        "This corpus has graded judgments but no reference answers, so answer coverage cannot "
        "be measured. Shown instead: judged-relevant coverage, the share of judged queries "
        "whose context holds at least one document of that query's highest grade. It is a "
        "weaker proxy (a judged document need not contain the answer) and is not answer "
        "coverage; add reference answers to measure that."
    ),
}


def coverage_kind(bundle: Bundle) -> CoverageKind | None:
    """Which coverage the comparison measured (None: neither)."""
    return next((k for k in KINDS if bundle.summary.overall.get(k.figures) is not None), None)


def coverage_table(bundle: Bundle, kind: CoverageKind, domain: str | None) -> pd.DataFrame:
    rows = []
    for section in [*bundle.summary.domains.values(), bundle.summary.overall]:
        found = section.get(kind.figures)
        if found is None or (domain is not None and section.name != domain):
            continue
        rows.append(
            {
                "domain": section.name,
                "answered queries" if kind is ANSWER else "judged queries": found.n_queries,
                "coverage baseline": found.coverage.get("baseline"),
                "coverage candidate": found.coverage.get("candidate"),
                "Δ (candidate − baseline)": found.delta,
                "p (BH)": found.p_value_bh,
                "lost coverage": found.lost_coverage_queries,
                "gained coverage": found.gained_coverage_queries,
            }
        )
    return pd.DataFrame(rows)


def lost_queries(bundle: Bundle, kind: CoverageKind, domain: str | None) -> pd.DataFrame:
    """Queries covered under the baseline and not under the candidate: what they needed, the
    document that carried it, that document's own neighbourhood drift and where the
    candidate ranks it."""
    queries, documents = bundle.queries, bundle.documents
    covered, carrier = kind.covered_column, kind.carrier_column
    if queries is None or f"{covered}_baseline" not in queries:
        return pd.DataFrame()
    lost = queries[(queries[f"{covered}_baseline"] == 1) & (queries[f"{covered}_candidate"] == 0)]
    lost = in_domain(lost, domain)
    if documents is not None and "neighbourhood_jaccard" in documents:
        drift = documents.set_index("doc_id")["neighbourhood_jaccard"]
        lost = lost.assign(
            **{f"{carrier}_neighbourhood_jaccard": lost[f"{carrier}_baseline"].map(drift)}
        )
    columns = (
        "query_id",
        "domain",
        "text",
        kind.needs_column,
        f"{carrier}_baseline",
        f"{carrier}_neighbourhood_jaccard",
        f"{carrier}_baseline_rank_candidate",
        "jaccard",
        "relevance_lost",
    )
    return present(lost, columns).reset_index(drop=True)


def contexts(bundle: Bundle, kind: CoverageKind, query_id: str) -> Block | None:
    """One query's context under each model, side by side, the answer highlighted."""
    table = bundle.table(kind.tables()[2])
    if table is None:
        return None
    rows = table[table["query_id"] == query_id]
    if rows.empty:
        return None
    sides = []
    for model in ("baseline", "candidate"):
        parts = rows[rows["model"] == model].sort_values("rank")
        carried = bool(parts["carries"].any())
        verdict = "holds" if carried else "does not hold"
        what = "an answer" if kind is ANSWER else "a top-grade document"
        passages: list[Block] = [Heading(f"{model.capitalize()} context: {verdict} {what}")]
        passages += [_passage(part, kind) for part in parts.to_dict("records")]
        if parts.empty:
            passages.append(Text("(empty: no document reached the context)", muted=True))
        sides.append(Stack(tuple(passages)))
    return Pair(sides[0], sides[1])


def llm_answers(bundle: Bundle, query_id: str) -> Block | None:
    """What the team's LLM answered from each context, when it saw this query."""
    queries = bundle.queries
    if queries is None or "llm_sampled" not in queries:
        return None
    row = queries[queries["query_id"] == query_id]
    if row.empty or not bool(row.iloc[0]["llm_sampled"]):
        return None
    said = [str(row.iloc[0][f"llm_answer_{model}"]) for model in ("baseline", "candidate")]
    judge = bundle.summary.get(JudgeAgreement)
    warning = judge.warning() if judge is not None else None
    caution = (Text(f"⚠ {warning}", muted=True),) if warning else ()
    return Pair(
        Stack((Text(f"The LLM, from the baseline's context: “{said[0]}”"), *caution)),
        Text(f"The LLM, from the candidate's context: “{said[1]}”"),
    )


def _passage(part: dict[str, Any], kind: CoverageKind) -> Passage:
    start, end = part["span_start"], part["span_end"]
    span = None if pd.isna(start) or pd.isna(end) else (int(start), int(end))
    carries = bool(part["carries"])
    note = (" · carries the answer" if kind is ANSWER else " · top grade") if carries else ""
    caption = f"#{part['rank']} · {part['doc_id']} · score {part['score']:.3f}{note}"
    return Passage(caption, str(part["text"]), span, carries)


def overview_blocks(bundle: Bundle, context: Context) -> list[Block]:
    """Everything but the contexts of single queries (the page lets the reader pick those)."""
    kind = coverage_kind(bundle)
    if kind is None:
        return [Text(NO_COVERAGE)]
    label = kind.label
    table = coverage_table(bundle, kind, context.domain)
    setting = bundle.summary.manifest.config.get("context", {})
    out: list[Block] = [
        Text(EXPLAINED[kind.name], muted=kind is ANSWER),
        Text(f"Context: {describe_context(setting)}."),
        Table(f"{kind.name}_coverage", f"{label.capitalize()} per domain", table),
    ]
    colors = charts.domain_colors(bundle.summary.domain_names)
    k_curve, cutoff_curve, _ = kind.tables()
    sweeps = []
    for name, over, marker in (
        (k_curve, "k", setting.get("k") if setting.get("by") == "top-k" else None),
        (cutoff_curve, "cutoff", setting.get("cutoff")),
    ):
        curve = bundle.table(name)
        if curve is not None:
            sweeps.append(
                (over, in_domain(curve[curve["domain"] != "(all)"], context.domain), marker)
            )
    if sweeps:
        fig = charts.coverage_curves(sweeps, colors, label=label)
        out.append(Chart(f"{kind.name}_coverage_curves", fig))
    lost = lost_queries(bundle, kind, context.domain)
    carrier = f"{kind.carrier_column}_baseline"
    if carrier in lost:
        lost = with_texts(lost, bundle, id_column=carrier)
    out.append(
        Table("lost_coverage", f"Queries that lost {label} ({len(lost):,})", lost, REPORT_ROWS)
    )
    return out


def blocks(bundle: Bundle, context: Context) -> list[Block]:
    out = overview_blocks(bundle, context)
    kind = coverage_kind(bundle)
    lost = next((b.frame for b in out if isinstance(b, Table) and b.key == LOST_KEY), None)
    if kind is None or lost is None:
        return out
    for query_id in lost["query_id"].head(REPORT_CONTEXTS):
        shown = contexts(bundle, kind, query_id)
        if shown is not None:
            said = llm_answers(bundle, query_id)
            out += [Heading(f"Lost: {query_id}"), *query_lines(lost, query_id, kind)]
            out += [said, shown] if said is not None else [shown]
    return out


def query_lines(lost: pd.DataFrame, query_id: str, kind: CoverageKind) -> list[Block]:
    """A lost query's text and what it needed."""
    row = lost[lost["query_id"] == query_id].iloc[0]
    lines: list[Block] = []
    if isinstance(row.get("text"), str):
        lines.append(Text(f"“{row['text']}”"))
    needs = row.get(kind.needs_column)
    if isinstance(needs, str):
        what = "Reference answers" if kind is ANSWER else "Top-grade documents"
        lines.append(Text(f"{what}: {needs}", muted=True))
    return lines


SECTION = Section("answers", "Answers", ":material/fact_check:", blocks)
