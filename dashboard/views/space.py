"""Embedding space: the section, with a choice of what colours the projection."""

from __future__ import annotations

import streamlit as st

from dashboard import page_views, render, session
from reporting.sections import space

st.title("Embedding space")
loaded = session.require_comparison()
if session.needs_projection(loaded):  # computed on this page's first visit, never before
    with session.LazyStatusProgress(
        "Projecting both spaces to 2-D (UMAP)…",
        done="Projection ready in {seconds:.1f} s",
        failed="The projection failed",
        expanded=True,
    ) as progress:
        loaded = session.with_projection(loaded, progress)


@st.fragment
def projection(loaded: session.Loaded) -> None:
    """The section, coloured as chosen: a fragment, so a new colouring redraws this only."""
    bundle = loaded.bundle
    colour_by = "domain"
    if bundle.projection is not None:
        colour_by = st.radio(
            "Colour by",
            list(space.COLOUR_BY),
            horizontal=True,
            key="space_color",
            format_func=space.COLOUR_BY.get,
        )
    render.show(page_views.SPACE.of(loaded, colour_by))


projection(loaded)
if loaded.bundle.projection is None and loaded.comparison is None:
    session.offer_recompute(loaded, "The projection was not saved with this comparison.")
