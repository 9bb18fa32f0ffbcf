"""Embedding space: the two spaces side by side in one frame, and how each domain shrank."""

from __future__ import annotations

import pandas as pd

from analysis.bundle.files import Bundle
from analysis.metrics.geometry import CentroidSimilarity
from reporting import charts, space_charts
from reporting.sections.base import (
    Block,
    Chart,
    Context,
    Heading,
    Section,
    Text,
    in_domain,
)

COLOUR_BY = {"domain": "domain", "neighbourhood_jaccard": "neighbours kept"}
MEASURES = (
    ("mean_cosine_to_centroid", "mean cosine to the domain centroid (higher: tighter)"),
    ("mean_pairwise_cosine", "mean pairwise cosine (higher: tighter)"),
    ("effective_rank", "effective rank (lower: fewer directions)"),
)
NO_PROJECTION = (
    "The 2-D projection was not computed for this comparison (compare --projection, or tick "
    "“Compute the 2-D projection” on the Setup page); the shrinkage figures are below."
)


def projection_frame(bundle: Bundle, domain: str | None) -> pd.DataFrame | None:
    """The projected documents with their drift and a hover text (id, domain, opening)."""
    projection = bundle.projection
    if projection is None:
        return None
    documents = bundle.documents
    frame = projection
    if documents is not None:
        extra = [c for c in ("doc_id", "neighbourhood_jaccard", "text_preview") if c in documents]
        frame = frame.merge(documents[extra], on="doc_id", how="left")
    preview = frame["text_preview"].fillna("").str.slice(0, 120) if "text_preview" in frame else ""
    frame = frame.assign(hover=frame["doc_id"] + " · " + frame["domain"] + "<br>" + preview)
    return in_domain(frame, domain)


def projection_block(bundle: Bundle, context: Context, colour_by: str = "domain") -> Block:
    frame = projection_frame(bundle, context.domain)
    if frame is None:
        return Text(NO_PROJECTION, muted=True)
    colors = charts.domain_colors(bundle.summary.domain_names)
    return Chart("projection", space_charts.projection_scatter(frame, colour_by, colors))


def projection_caption(bundle: Bundle) -> Text:
    config = bundle.summary.manifest.config
    return Text(
        f"Aligned UMAP projection, seed {config.get('random_state', 0)}: the candidate's "
        "picture is fitted onto the baseline's frame, so a document that moves changed.",
        muted=True,
    )


def shrinkage_blocks(bundle: Bundle) -> list[Block]:
    out: list[Block] = []
    if bundle.geometry is not None:
        out.append(Chart("geometry", space_charts.geometry_bars(bundle.geometry, MEASURES)))
    centroids = bundle.summary.get(CentroidSimilarity)
    if centroids is not None:
        matrices = {model: centroids.frame(model) for model in ("baseline", "candidate")}
        out.append(Chart("centroids", space_charts.centroid_heatmaps(matrices)))
    return out


def blocks(bundle: Bundle, context: Context, colour_by: str = "domain") -> list[Block]:
    """The aligned projection (coloured by domain, or by ``neighbourhood_jaccard``), then
    each domain's shrinkage."""
    out = [projection_block(bundle, context, colour_by)]
    if bundle.projection is not None:
        out.append(projection_caption(bundle))
    return [*out, Heading("Shrinkage per domain"), *shrinkage_blocks(bundle)]


SECTION = Section("space", "Embedding space", ":material/scatter_plot:", blocks)
