"""Neighbourhood drift: which documents lost their neighbours, and which queries felt it?"""

from __future__ import annotations

import pandas as pd

from analysis.bundle.files import Bundle
from reporting import figures
from reporting.sections.base import Block, Chart, Context, Section, Table, Text, in_domain, present

LABELS = {
    "neighbourhood_jaccard": "neighbours kept (Jaccard)",
    "purity_candidate": "same-domain neighbours",
}
COLUMNS = (
    "doc_id",
    "domain",
    "neighbourhood_jaccard",
    "purity_baseline",
    "purity_candidate",
    "reach_baseline",
    "reach_candidate",
    "text_preview",
)
REPORT_ROWS = 15
PAGE_ROWS = 200


def most_drifted(bundle: Bundle, domain: str | None) -> pd.DataFrame:
    """Analysed documents, fewest neighbours kept first (ties: corpus order)."""
    documents = bundle.documents
    if documents is None or "neighbourhood_jaccard" not in documents:
        return pd.DataFrame()
    analysed = in_domain(documents.dropna(subset=["neighbourhood_jaccard"]), domain)
    return present(analysed.sort_values("neighbourhood_jaccard", kind="stable"), COLUMNS)


def blocks(bundle: Bundle, context: Context) -> list[Block]:
    documents = bundle.documents
    if documents is None or "neighbourhood_jaccard" not in documents:
        return [Text("No drift table in this bundle.")]
    colors = figures.domain_colors(bundle.summary.domain_names)
    analysed = documents.dropna(subset=["neighbourhood_jaccard"])
    out: list[Block] = [
        Chart(
            "drift_box",
            figures.distributions(
                analysed,
                ["neighbourhood_jaccard", "purity_candidate"],
                colors,
                "Per document: neighbours kept, and share of neighbours in its own domain "
                "(candidate)",
                LABELS,
            ),
        )
    ]
    config = bundle.summary.manifest.config
    if config.get("drift_sampled"):
        out.append(
            Text(
                f"Drift computed for a seeded sample of {config['drift_docs_analysed']:,} "
                "documents.",
                muted=True,
            )
        )
    where = f" in {context.domain}" if context.domain else ""
    ranked = most_drifted(bundle, context.domain).head(PAGE_ROWS)
    out.append(Table("most_drifted", f"Most drifted documents{where}", ranked, REPORT_ROWS))
    return out


SECTION = Section("drift", "Neighbourhood drift", ":material/hub:", blocks)
