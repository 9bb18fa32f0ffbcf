"""The Embedding space page's charts: both spaces in one frame, each domain's geometry,
domain centroid similarity. Plotly only; computes no metric."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from reporting.charts import layout

SVG_POINTS = 3_000
SIDES = ("baseline", "candidate")


def projection_scatter(frame: pd.DataFrame, color_by: str, colors: dict[str, str]) -> go.Figure:
    """Documents in the shared 2-D frame, baseline left and candidate right on the same
    axes (zooming one zooms both), coloured by domain or by drift."""
    hover = frame["hover"] if "hover" in frame else frame["doc_id"]
    scatter = go.Scatter if len(frame) * len(SIDES) <= SVG_POINTS else go.Scattergl
    fig = make_subplots(
        rows=1,
        cols=len(SIDES),
        subplot_titles=[f"{side.capitalize()} space" for side in SIDES],
        horizontal_spacing=0.03,
    )
    for col, side in enumerate(SIDES, start=1):
        x, y = frame[f"x_{side}"], frame[f"y_{side}"]
        if color_by == "domain":
            for domain in sorted(frame["domain"].unique()):
                mask = frame["domain"] == domain
                fig.add_trace(
                    scatter(
                        x=x[mask],
                        y=y[mask],
                        mode="markers",
                        name=domain,
                        legendgroup=domain,  # one legend entry shows or hides both sides
                        showlegend=col == 1,
                        text=hover[mask],
                        hovertemplate="%{text}<extra></extra>",
                        marker=dict(color=colors.get(domain), size=6),
                    ),
                    row=1,
                    col=col,
                )
        else:
            fig.add_trace(
                scatter(
                    x=x,
                    y=y,
                    mode="markers",
                    name=side,
                    showlegend=False,
                    text=hover,
                    hovertemplate="%{text}<extra></extra>",
                    marker=dict(color=frame[color_by], coloraxis="coloraxis", size=6),
                ),
                row=1,
                col=col,
            )
    if color_by != "domain":
        fig.update_layout(
            coloraxis=dict(
                colorscale="RdYlBu", cmin=0, cmax=1, colorbar=dict(title="neighbours kept")
            )
        )
    # One frame for both: the candidate's panel matches the baseline's axes, and each
    # panel keeps a 1:1 aspect so distances read the same in both.
    fig.update_xaxes(showticklabels=False, title="")
    fig.update_yaxes(showticklabels=False, title="")
    fig.update_xaxes(matches="x", row=1, col=2)
    fig.update_yaxes(matches="y", row=1, col=2)
    fig.update_yaxes(scaleanchor="x", row=1, col=1)
    fig.update_yaxes(scaleanchor="x2", row=1, col=2)
    return layout(fig, "Both spaces in the baseline's frame", height=520)


MODEL_BAR = "#4c78a8"  # one colour for both models' bars: the candidate's are hatched


def geometry_bars(frame: pd.DataFrame, measures: Sequence[tuple[str, str]]) -> go.Figure:
    """One panel per measure (``(column, label)``), one bar per domain and model. A label's
    parenthesis (how to read it) goes on its title's second line: a narrow panel's axis would
    not hold it."""
    titles = []
    for _, label in measures:
        name, _, reading = label.partition(" (")
        titles.append(f"{name}<br><sub>{reading.rstrip(')')}</sub>" if reading else name)
    fig = make_subplots(rows=1, cols=len(measures), subplot_titles=titles, horizontal_spacing=0.06)
    for col, (measure, _) in enumerate(measures, start=1):
        for model in ("baseline", "candidate"):
            part = frame[(frame["model"] == model) & (frame["domain"] != "(all)")]
            fig.add_trace(
                go.Bar(
                    x=part["domain"],
                    y=part[measure],
                    name=model,
                    legendgroup=model,
                    showlegend=col == 1,
                    marker_color=MODEL_BAR,
                    marker_pattern_shape="" if model == "baseline" else "/",
                ),
                row=1,
                col=col,
            )
    fig.update_layout(barmode="group")
    layout(fig, "Each domain's geometry (plain: baseline, hatched: candidate)", height=400)
    return fig.update_layout(margin_t=100)  # room for the two-line panel titles


def centroid_heatmaps(matrices: dict[str, pd.DataFrame]) -> go.Figure:
    """Cosine between domain centroids, one panel per model (``{model: matrix}``), on one
    colour scale from -1 to 1."""
    fig = make_subplots(
        rows=1,
        cols=len(matrices),
        subplot_titles=list(matrices),
        horizontal_spacing=0.12,
    )
    for col, matrix in enumerate(matrices.values(), start=1):
        fig.add_trace(
            go.Heatmap(
                z=matrix.values,
                x=list(matrix.columns),
                y=list(matrix.index),
                coloraxis="coloraxis",
                texttemplate="%{z:.2f}",
            ),
            row=1,
            col=col,
        )
    fig.update_layout(coloraxis=dict(colorscale="RdBu_r", cmin=-1, cmax=1))
    fig.update_yaxes(autorange="reversed")
    return layout(fig, "Domain centroid similarity", height=380)
