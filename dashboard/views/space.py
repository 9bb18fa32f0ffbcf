"""Embedding space: the section, with a choice of what colours the projection."""

from __future__ import annotations

import streamlit as st

from dashboard import prepared, recompute, render
from dashboard.progress_box import LazyStatusProgress
from dashboard.shown import Shown, needs_projection, require_comparison, with_projection
from reporting.sections import space

st.title("Embedding space")
on_show = require_comparison()
if needs_projection(on_show):  # computed on this page's first visit, never before
    with LazyStatusProgress(
        "Projecting both spaces to 2-D (UMAP)…",
        done="Projection ready in {seconds:.1f} s",
        failed="The projection failed",
        expanded=True,
    ) as progress:
        on_show = with_projection(on_show, progress)


@st.fragment
def projection(on_show: Shown) -> None:
    """The section, coloured as chosen: a fragment, so a new colouring redraws this only."""
    bundle = on_show.bundle
    colour_by = "domain"
    if bundle.projection is not None:
        colour_by = st.radio(
            "Colour by",
            list(space.COLOUR_BY),
            horizontal=True,
            key="space_color",
            format_func=space.COLOUR_BY.get,
        )
    render.show(prepared.SPACE.of(on_show, colour_by))


projection(on_show)
if on_show.bundle.projection is None and on_show.comparison is None:
    recompute.offer_recompute(on_show, "The projection was not saved with this comparison.")
