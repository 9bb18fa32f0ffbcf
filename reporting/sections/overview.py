"""Overview: did the candidate get worse anywhere? Headlines and the per-domain scorecard."""

from __future__ import annotations

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
