"""Neighbourhood drift: which documents lost their neighbours, and which queries felt it?"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.bundle.files import Bundle
from analysis.metrics.drift import DRIFT_NEIGHBOURS
from analysis.neighbours import NeighbourSearch
from reporting import charts
from reporting.sections.base import (
    Block,
    Chart,
    Context,
    Pair,
    Section,
    Table,
    Text,
    in_domain,
    present,
)
from reporting.sections.documents import with_texts

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


@dataclass(frozen=True)
class Neighbours:
    """One analysed document's nearest documents under each model, and the queries whose
    top-k it left."""

    baseline: list[str]
    candidate: list[str]
    queries_left: list[str]


def neighbours_of(bundle: Bundle, doc_id: str) -> Neighbours | None:
    """Read from the bundle (``drift_neighbours`` and ``changes``); None when the document
    was not analysed or the bundle predates the neighbours table."""
    table = bundle.table(DRIFT_NEIGHBOURS)
    if table is None:
        return None
    rows = table[table["doc_id"] == doc_id].sort_values("rank")
    if rows.empty:
        return None
    changes = bundle.changes
    left = (
        changes[(changes["doc_id"] == doc_id) & (changes["change"] == "left")]["query_id"]
        if changes is not None
        else pd.Series(dtype=str)
    )
    return Neighbours(
        [str(d) for d in rows["neighbour_baseline"].dropna()],
        [str(d) for d in rows["neighbour_candidate"].dropna()],
        [str(q) for q in left],
    )


def neighbour_tables(bundle: Bundle, found: Neighbours) -> Pair:
    """One document's neighbours under each model, side by side: which the candidate kept,
    which are new."""
    kept = pd.DataFrame(
        {"doc_id": found.baseline, "kept": [d in found.candidate for d in found.baseline]}
    )
    new = pd.DataFrame(
        {"doc_id": found.candidate, "new": [d not in found.baseline for d in found.candidate]}
    )
    return Pair(
        Table("neighbours_baseline", "Neighbours under the baseline", with_texts(kept, bundle)),
        Table("neighbours_candidate", "Neighbours under the candidate", with_texts(new, bundle)),
    )


def blocks(bundle: Bundle, context: Context) -> list[Block]:
    documents = bundle.documents
    if documents is None or "neighbourhood_jaccard" not in documents:
        return [Text("No drift table in this bundle.")]
    colors = charts.domain_colors(bundle.summary.domain_names)
    analysed = documents.dropna(subset=["neighbourhood_jaccard"])
    out: list[Block] = [
        Chart(
            "drift_box",
            charts.distributions(
                analysed,
                ["neighbourhood_jaccard", "purity_candidate"],
                colors,
                "Per document: neighbours kept, and share of neighbours in its own domain "
                "(candidate)",
                LABELS,
            ),
        )
    ]
    search = search_text(bundle)
    if search is not None:
        out.append(search)
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
    ranked = with_texts(ranked, bundle)
    out.append(Table("most_drifted", f"Most drifted documents{where}", ranked, REPORT_ROWS))
    return out


def search_text(bundle: Bundle) -> Text | None:
    """How drift's neighbours were found; loud when an approximate index missed its tolerance."""
    entry = bundle.summary.manifest.config.get("drift_search")
    if not isinstance(entry, dict):
        return None  # a bundle written before the search was recorded (it was exact)
    search = NeighbourSearch.from_json(entry)
    return Text(search.sentence(), muted=search.within_tolerance is not False)


SECTION = Section("drift", "Neighbourhood drift", ":material/hub:", blocks)
