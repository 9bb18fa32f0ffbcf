"""Embedding space: the two spaces side by side in one frame, and how each domain shrank."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import session, state
from reporting import figures

st.title("Embedding space")
loaded = session.require_comparison()
comparison = loaded.comparison
corpus = comparison.corpus
colors = figures.domain_colors(corpus.domains)
projection = comparison.projection
if projection is None:
    st.info(
        "The 2-D projection was not computed for this run. Tick “Compute the 2-D "
        "projection” on the Setup page and run again; the shrinkage figures are below."
    )
else:
    frame = projection.to_frame(corpus.doc_ids, corpus.doc_domains)
    drift = comparison.drift.to_frame(corpus.doc_ids)[["doc_id", "neighbourhood_jaccard"]]
    frame = frame.merge(drift, on="doc_id", how="left")
    texts = pd.Series(corpus.doc_texts, index=corpus.doc_ids)
    frame["hover"] = (
        frame["doc_id"]
        + " · "
        + frame["domain"]
        + "<br>"
        + frame["doc_id"].map(texts).str.slice(0, 120)
    )
    domain = state.selected_domain()
    if domain:
        frame = frame[frame["domain"] == domain]
    color_by = st.radio(
        "Colour by",
        ["domain", "neighbourhood_jaccard"],
        horizontal=True,
        key="space_color",
        format_func={"domain": "domain", "neighbourhood_jaccard": "neighbours kept"}.get,
    )
    left, right = st.columns(2)
    left.plotly_chart(
        figures.projection_scatter(frame, "baseline", color_by, colors), key="proj_base"
    )
    right.plotly_chart(
        figures.projection_scatter(frame, "candidate", color_by, colors), key="proj_cand"
    )
    st.caption(
        f"UMAP ({projection.method}), seed {projection.random_state}; the candidate's "
        "picture is aligned onto the baseline's, so a document that moves changed. "
        + (
            f"A seeded sample of {len(projection.positions):,} documents."
            if projection.sampled
            else ""
        )
    )
st.subheader("Shrinkage per domain")
geometry = comparison.geometry.to_frame()
cols = st.columns(3)
for col, (measure, label) in zip(
    cols,
    [
        ("mean_cosine_to_centroid", "mean cosine to the domain centroid (higher: tighter)"),
        ("mean_pairwise_cosine", "mean pairwise cosine (higher: tighter)"),
        ("effective_rank", "effective rank (lower: fewer directions)"),
    ],
    strict=True,
):
    col.plotly_chart(figures.geometry_bars(geometry, measure, label), key=f"geo_{measure}")
left, right = st.columns(2)
left.plotly_chart(
    figures.centroid_heatmap(
        comparison.geometry.centroid_frame("baseline"), "Domain centroid similarity: baseline"
    ),
    key="centroid_base",
)
right.plotly_chart(
    figures.centroid_heatmap(
        comparison.geometry.centroid_frame("candidate"), "Domain centroid similarity: candidate"
    ),
    key="centroid_cand",
)
