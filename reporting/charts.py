"""Results -> plotly figures. Imports plotly, never streamlit, and computes no metric."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
)
MODEL_DASH = {"baseline": "solid", "candidate": "dash"}
SEVERITY_SCALE = [[0.0, "#f7fbff"], [0.25, "#fde0c5"], [0.6, "#f4a582"], [1.0, "#b2182b"]]


def domain_colors(domains: Sequence[str]) -> dict[str, str]:
    """The same colour for a domain on every page: assigned by sorted domain name."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(sorted(domains))}


def layout(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    """Title, size and legend. No template: validating one costs about 13 ms a figure, the
    dashboard's theme replaces its layout anyway, and the report sets its own (REPORT_TEMPLATE
    in ``reporting.html``)."""
    fig.update_layout(
        title=title,
        height=height,
        margin=dict(l=60, r=20, t=60, b=50),
        legend=dict(orientation="h", y=-0.18),
    )
    return fig


def scorecard_heatmap(card: pd.DataFrame, columns: Sequence[str]) -> go.Figure:
    """Domains x headline numbers, coloured by how bad each is for the candidate."""
    severity = np.array(
        [[_nan(card.loc[d, "severity"].get(c)) for c in columns] for d in card.index]
    )
    text = [[_cell_text(card.loc[d], c) for c in columns] for d in card.index]
    fig = go.Figure(
        go.Heatmap(
            z=severity,
            x=list(columns),
            y=list(card.index),
            text=text,
            texttemplate="%{text}",
            colorscale=SEVERITY_SCALE,
            zmin=0,
            zmax=1,
            hoverongaps=False,
            colorbar=dict(title="worse →", tickvals=[0, 1], ticktext=["fine", "bad"]),
            hovertemplate="%{y} · %{x}: %{text}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    return layout(
        fig,
        "Per-domain scorecard (★ significant after Benjamini–Hochberg)",
        height=140 + 48 * len(card.index),
    )


def _cell_text(row: pd.Series, column: str) -> str:
    value = row[column]
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    if column.startswith("Δ"):
        p = row.get(f"p {column}")
        star = " ★" if p is not None and not np.isnan(p) and p < 0.05 else ""
        return f"{100 * value:+.0f}%{star}"
    if "excluded" in column:
        return f"{100 * value:.0f}%"
    if column == "lost reach":
        return f"{int(value)}"
    return f"{value:.2f}"


def _nan(value: object) -> float:
    return float("nan") if value is None else float(value)  # type: ignore[arg-type]


def distributions(
    frame: pd.DataFrame,
    measures: Sequence[str],
    colors: dict[str, str],
    title: str,
    labels: dict[str, str],
) -> go.Figure:
    """Box plots of per-item measures by domain, one panel per measure."""
    fig = make_subplots(
        rows=1, cols=len(measures), subplot_titles=[labels.get(m, m) for m in measures]
    )
    for col, measure in enumerate(measures, start=1):
        for domain in sorted(frame["domain"].unique()):
            values = frame.loc[frame["domain"] == domain, measure]
            fig.add_trace(
                go.Box(
                    y=values,
                    name=domain,
                    marker_color=colors.get(domain),
                    boxmean=True,
                    showlegend=col == 1,
                    legendgroup=domain,
                ),
                row=1,
                col=col,
            )
        fig.update_yaxes(range=[-0.05, 1.05], row=1, col=col)
    return layout(fig, title)


def query_scatter(
    frame: pd.DataFrame, x: str, y: str, colors: dict[str, str], labels: dict[str, str]
) -> go.Figure:
    """One point per query; ``customdata`` carries the query id for click-through."""
    fig = go.Figure()
    for domain in sorted(frame["domain"].unique()):
        part = frame[frame["domain"] == domain]
        fig.add_trace(
            go.Scatter(
                x=part[x],
                y=part[y],
                mode="markers",
                name=domain,
                customdata=part["query_id"],
                marker=dict(color=colors.get(domain), size=9, opacity=0.75),
                hovertemplate="%{customdata}<br>"
                + f"{labels.get(x, x)}: %{{x:.2f}}<br>"
                + f"{labels.get(y, y)}: %{{y:.2f}}<extra>{domain}</extra>",
            )
        )
    fig.update_xaxes(title=labels.get(x, x))
    fig.update_yaxes(title=labels.get(y, y))
    return layout(fig, "Every query: click a point to open it in Changed results")


def _model_lines(
    fig: go.Figure, curve: pd.DataFrame, x: str, y: str, colors: dict[str, str], col: int
) -> None:
    """One line per domain and model in panel ``col`` (solid: baseline, dashed: candidate);
    the first panel's lines carry the legend, whose entries show or hide every panel's."""
    for (domain, model), part in curve.groupby(["domain", "model"], sort=True):
        fig.add_trace(
            go.Scatter(
                x=part[x],
                y=part[y],
                mode="lines",
                name=f"{domain} · {model}",
                line=dict(color=colors.get(domain, "#444444"), dash=MODEL_DASH[model], width=2),
                legendgroup=f"{domain} · {model}",
                showlegend=col == 1,
            ),
            row=1,
            col=col,
        )


# A vertical line at x in panel col (of one row), with an optional label at its top, on the
# side of the line named (its text anchored on the other side).
Mark = tuple[float, int, dict, str | None, str | None]


def _vertical_marks(fig: go.Figure, marks: Sequence[Mark]) -> None:
    """The marks as layout shapes and annotations, added in one update. What ``add_vline``
    draws, without its per-subplot checks: those cost about 20 ms a line, paid on every
    page's first visit."""
    shapes, notes = [], []
    for x, col, line, label, side in marks:
        axis = "" if col == 1 else str(col)
        xref, yref = f"x{axis}", f"y{axis} domain"
        shapes.append(dict(type="line", x0=x, x1=x, xref=xref, y0=0, y1=1, yref=yref, line=line))
        if label is not None:
            anchor = "right" if side == "left" else "left"
            notes.append(
                dict(
                    text=label,
                    x=x,
                    xref=xref,
                    y=1,
                    yref=yref,
                    xanchor=anchor,
                    yanchor="top",
                    showarrow=False,
                )
            )
    fig.update_layout(
        shapes=[*fig.layout.shapes, *shapes], annotations=[*fig.layout.annotations, *notes]
    )


def horizon_curves(
    curve: pd.DataFrame,
    panels: Sequence[tuple[str, str]],
    cutoffs: dict[str, float | None],
    colors: dict[str, str],
) -> go.Figure:
    """Per domain and model, each panel's measure (``(column, title)``) as the cutoff sweeps,
    side by side on one cutoff axis; vertical lines at the cutoffs. One figure, so one
    legend entry per line shows or hides it in every panel."""
    fig = make_subplots(
        rows=1,
        cols=len(panels),
        subplot_titles=[title.capitalize() for _, title in panels],
        horizontal_spacing=0.08,
    )
    for col, (measure, title) in enumerate(panels, start=1):
        _model_lines(fig, curve, "cutoff", measure, colors, col)
        fig.update_yaxes(title=title, row=1, col=col)
        fig.update_xaxes(title="similarity cutoff", row=1, col=col)
    for col in range(2, len(panels) + 1):  # one cutoff axis: zooming one panel zooms all
        fig.update_xaxes(matches="x", row=1, col=col)
    line = dict(dash="dot", color="#555555")
    sides = ("left", "right")  # the first label left of its line, the second right of it
    _vertical_marks(
        fig,
        [
            (value, col, line, label, side)
            for (label, value), side in zip(cutoffs.items(), sides, strict=False)
            if value is not None
            for col in range(1, len(panels) + 1)
        ],
    )
    return layout(fig, "As the cutoff sweeps (solid: baseline, dashed: candidate)", height=460)


# Up to this many points a scatter is drawn as SVG; past it, on WebGL. A WebGL context costs
# about half a second to start where the GPU is emulated (headless Chromium here, remote
# desktops), while SVG slows with every marker. Both spaces share one figure, so one context.
COVERAGE_AXES = {
    "k": ("as the context grows", "k (documents in the context)"),
    "cutoff": ("as the cutoff rises", "cutoff (documents scoring at least this are passed)"),
}


def coverage_curves(
    sweeps: Sequence[tuple[str, pd.DataFrame, float | None]],
    colors: dict[str, str],
    *,
    label: str,
) -> go.Figure:
    """Coverage per domain and model, one panel per sweep ``(over, curve, marker)``: along
    ``over`` ("k" or "cutoff"; solid: baseline, dashed: candidate), with ``marker`` (the
    comparison's own setting) as a vertical line. The panels share the coverage axis."""
    fig = make_subplots(
        rows=1,
        cols=len(sweeps),
        subplot_titles=[f"{label.capitalize()} {COVERAGE_AXES[over][0]}" for over, _, _ in sweeps],
        shared_yaxes=True,
        horizontal_spacing=0.05,
    )
    low = 1.0
    marks: list[Mark] = []
    for col, (over, curve, marker) in enumerate(sweeps, start=1):
        _model_lines(fig, curve, over, "coverage", colors, col)
        if marker is not None:
            marks.append((marker, col, dict(color="#888888", dash="dot", width=1), None, None))
        fig.update_xaxes(title=COVERAGE_AXES[over][1], row=1, col=col)
        if len(curve):
            low = min(low, float(curve["coverage"].min()))
    _vertical_marks(fig, marks)
    fig.update_yaxes(range=[max(0.0, low - 0.05), 1.02])
    fig.update_yaxes(title=label, row=1, col=1)
    key = "solid: baseline · dashed: candidate · dotted: this comparison's setting"
    layout(fig, f"{label.capitalize()}<br><sup>{key}</sup>", height=460)
    return fig.update_layout(legend=dict(orientation="v", x=1.02, y=1), margin=dict(r=180, t=90))


def round_trajectories(
    frame: pd.DataFrame, domains: Sequence[str], targets: Sequence[str], baseline: dict
) -> go.Figure:
    """One panel per domain: each measure's value over rounds (round 0: the baseline), the
    seed spread as error bars. ``baseline``: (domain, measure) -> the baseline's value."""
    measures = list(dict.fromkeys(frame["measure"]))
    labels = dict(zip(frame["measure"], frame["label"], strict=False))
    colors = {m: PALETTE[i % len(PALETTE)] for i, m in enumerate(measures)}
    titles = [f"{d} (tuned)" if d in targets else d for d in domains]
    cols = min(3, len(domains))
    rows = -(-len(domains) // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, shared_yaxes=True)
    names = ["baseline", *dict.fromkeys(frame["round"])]
    for i, domain in enumerate(domains):
        mine = frame[frame["domain"] == domain]
        for measure in measures:
            line = mine[mine["measure"] == measure].sort_values("position")
            if line["value"].isna().all():
                continue
            ys = [baseline.get((domain, measure)), *line["value"]]
            errors = [0.0, *line["spread"].fillna(0.0)]
            fig.add_trace(
                go.Scatter(
                    x=names[: len(ys)],
                    y=ys,
                    mode="lines+markers",
                    name=labels[measure],
                    legendgroup=measure,
                    showlegend=i == 0,
                    line=dict(color=colors[measure]),
                    error_y=dict(type="data", array=errors, visible=bool(any(errors))),
                ),
                row=i // cols + 1,
                col=i % cols + 1,
            )
    return layout(
        fig,
        "Each domain over the rounds (vs the baseline; error bars: spread over seeds)",
        height=300 * rows + 120,
    )


def remedy_frontier(frame: pd.DataFrame, colors: dict[str, str]) -> go.Figure:
    """Each remedy setting: the target domains' nDCG@10 change (points) against the worst
    other domain's relative change; filled where the setting passes the policy."""
    fig = go.Figure()
    for remedy, rows in frame.groupby("remedy", sort=False):
        fig.add_trace(
            go.Scatter(
                x=100 * rows["worst_other"],
                y=rows["target_points"],
                mode="markers+text",
                name=str(remedy),
                text=rows["setting"],
                textposition="top center",
                marker=dict(
                    size=11,
                    color=colors.get(str(remedy)),
                    symbol=["circle" if p else "circle-open" for p in rows["passed"]],
                ),
                hovertext=rows["label"],
            )
        )
    fig.update_xaxes(title="worst other domain: nDCG@10 change (%)")
    fig.update_yaxes(title="target domains: nDCG@10 change (points)")
    return layout(fig, "What each remedy keeps against what it costs (filled: passes the policy)")


def near_miss_tradeoff(frame: pd.DataFrame, colors: dict[str, str], *, overall: str) -> go.Figure:
    """Per domain and rule: the candidate's near-miss sensitivity gain (what it bought)
    against the domain's nDCG@10 change (what it cost). A domain's rules share its x, so
    only its all-rules point carries the domain's name (one label per column; every point
    a label stacked them illegibly); each point's hover names its domain. ``overall``: the
    all-rules points' rule name."""
    fig = go.Figure()
    for rule, rows in frame.groupby("rule", sort=False):
        labelled = rule == overall
        fig.add_trace(
            go.Scatter(
                x=100 * rows["ndcg_change"],
                y=100 * rows["gain"],
                mode="markers+text" if labelled else "markers",
                name=str(rule),
                text=rows["domain"] if labelled else None,
                textposition="top center",
                marker=dict(size=[14 if labelled else 9] * len(rows), color=colors.get(str(rule))),
                hovertext=[
                    f"{d}, {rule}: {n} items"
                    for d, n in zip(rows["domain"], rows["n"], strict=True)
                ],
            )
        )
    fig.add_hline(y=0, line_dash="dot", line_color="#888")
    fig.add_vline(x=0, line_dash="dot", line_color="#888")
    fig.update_xaxes(title="nDCG@10 change (%): what the domain's relevance did")
    fig.update_yaxes(title="sensitivity gain (points): near misses told apart")
    return layout(fig, "What the fine-tune bought against what it cost, per domain and rule")
