"""Overview: did the candidate get worse anywhere? Headlines and the per-domain scorecard."""

from __future__ import annotations

from pathlib import Path

from analysis.bundle.files import Bundle
from analysis.bundle.summary import Summary
from analysis.verdict.scorecard import headlines, scorecard, scorecard_columns
from reporting import charts
from reporting.sections.base import (
    Block,
    Bullets,
    Chart,
    Context,
    Heading,
    Section,
    Table,
    Text,
)
from reporting.sections.drift import search_text
from reporting.sections.gate import verdict_blocks

CAPTION = (
    "Each cell is one number for one domain, coloured by how bad it is for the candidate. "
    "Overlap: share of top-k documents both models return. Neighbourhood kept: share of "
    "each document's nearest neighbours that survive. Excluded: share of (query, document) "
    "pairs above the cutoff under the baseline that fall below it — at the same cutoff, and "
    "after recalibrating the candidate's. Relevant excluded: the same among judged-relevant "
    "pairs only. Δ: relative change in relevance (★: significant after Benjamini–Hochberg). "
    "Lost reach: documents no query reaches any more. Δ near-miss sensitivity (with "
    "--near-misses): how many more of the near misses the candidate tells apart from their "
    "passage, in points; what precision tuning is meant to buy."
)


def blocks(bundle: Bundle, context: Context) -> list[Block]:
    summary = bundle.summary
    overall = summary.overall
    out: list[Block] = [
        *(verdict_blocks(context) if context.gate is not None else []),
        Heading("What changed, worst first"),
        Text(
            f"{overall.n_docs:,} documents and {overall.n_queries:,} queries in "
            f"{len(summary.domain_names)} domains; top-{summary.manifest.k} retrieval.",
            muted=True,
        ),
        *query_origin(summary),
        *approximate_sides(summary),
        Bullets(tuple(headlines(summary))),
        *backend_audits(summary),
    ]
    card = scorecard(summary)
    if card.empty:
        return [*out, Text("The corpus has no domains to score.")]
    search = search_text(bundle)
    approximate = search is not None and "approximate" in search.text
    return [
        *out,
        Heading("Scorecard"),
        Chart("scorecard", charts.scorecard_heatmap(card, scorecard_columns(card))),
        Text(CAPTION, muted=True),
        *([search] if approximate and search is not None else []),
        Table("scorecard_table", "", card.drop(columns=["severity"]), index=True),
    ]


def query_origin(summary: Summary) -> list[Block]:
    """Where the queries came from when a query log gave them: how many questions and asks,
    the rule that gave the missing domains, and whether their text was redacted."""
    log = summary.manifest.corpus.queries_from
    if not log:
        return []
    span = (
        f", {log['first_timestamp'][:10]} to {log['last_timestamp'][:10]}"
        if log.get("first_timestamp")
        else ""
    )
    said = [
        f"The queries are {log['questions']:,} distinct questions from the query log "
        f"{Path(str(log['file'])).name} ({log['rows']:,} rows, {log['asks']:,} asks{span}). "
        "Overlap, exclusion shares, coverage and the LLM's figures weigh each question by "
        "its asks; counts and significance tests count each distinct question once."
    ]
    inferred = log.get("domains_inferred")
    if inferred:
        said.append(
            f"{inferred['inferred']:,} had no domain and were given {inferred['rule']} "
            f"({inferred['ties']:,} {'tie' if inferred['ties'] == 1 else 'ties'})."
        )
    if log.get("redacted"):
        said.append("Redacted: the bundle keeps a salted hash of each question, not its text.")
    return [Text(" ".join(said), muted=True)]


def approximate_sides(summary: Summary) -> list[Block]:
    """A side read from a compressed index: its vectors are approximations."""
    manifest = summary.manifest
    sides = [
        label
        for label, model in (("baseline", manifest.baseline), ("candidate", manifest.candidate))
        if model.fingerprint.startswith("approximate-")
    ]
    if not sides:
        return []
    return [
        Text(
            f"The {' and the '.join(sides)}'s document vectors come from a compressed index "
            "(scalar or product quantisation): approximations of the vectors added, so small "
            "differences may be the compression's, not the model's.",
            muted=True,
        )
    ]


def backend_audits(summary: Summary) -> list[Block]:
    """A model run in another backend than torch: how far it is from the float model."""
    from analysis.inputs.backend_audit import BackendAudit

    out: list[Block] = []
    for label, model in (
        ("baseline", summary.manifest.baseline),
        ("candidate", summary.manifest.candidate),
    ):
        if model.backend_audit:
            audit = BackendAudit(**model.backend_audit)
            out.append(Text(audit.sentence(f"{label} ({model.spec})")))
    return out


SECTION = Section("overview", "Overview", ":material/dashboard:", blocks)
