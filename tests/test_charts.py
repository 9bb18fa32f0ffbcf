"""The figures: the projection's two spaces in one frame and one drawing surface, the curves,
geometry and heatmaps' panels and scales, the near-miss trade-off's labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from reporting import charts, space_charts


def _frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "doc_id": [f"d{i}" for i in range(n)],
            "domain": np.where(np.arange(n) % 3 == 0, "legal", "finance"),
            "x_baseline": rng.normal(size=n),
            "y_baseline": rng.normal(size=n),
            "x_candidate": rng.normal(size=n) + 5,
            "y_candidate": rng.normal(size=n) - 5,
            "neighbourhood_jaccard": rng.uniform(size=n),
        }
    )


def _points(fig: go.Figure, axis: str) -> set[tuple[float, float]]:
    return {
        (float(x), float(y))
        for trace in fig.data
        if trace.xaxis == axis
        for x, y in zip(trace.x, trace.y, strict=True)
    }


@pytest.mark.parametrize("colour_by", ["domain", "neighbourhood_jaccard"])
def test_both_spaces_share_one_frame(colour_by):
    frame = _frame(30)
    colors = charts.domain_colors(["legal", "finance"])
    fig = space_charts.projection_scatter(frame, colour_by, colors)
    left = set(zip(frame["x_baseline"], frame["y_baseline"], strict=True))
    right = set(zip(frame["x_candidate"], frame["y_candidate"], strict=True))
    assert _points(fig, "x") == left  # the baseline's points on the left, every one of them
    assert _points(fig, "x2") == right
    layout = fig.layout
    assert layout.xaxis2.matches == "x" and layout.yaxis2.matches == "y"  # zoom one, both move
    assert layout.yaxis.scaleanchor == "x" and layout.yaxis2.scaleanchor == "x2"


def test_one_legend_entry_per_domain_shows_or_hides_both_sides():
    fig = space_charts.projection_scatter(_frame(30), "domain", {})
    shown = [t.name for t in fig.data if t.showlegend is not False]
    assert sorted(shown) == ["finance", "legal"]
    for domain in ("finance", "legal"):
        assert {t.xaxis for t in fig.data if t.legendgroup == domain} == {"x", "x2"}


def test_drift_colours_share_one_scale():
    fig = space_charts.projection_scatter(_frame(30), "neighbourhood_jaccard", {})
    assert {t.marker.coloraxis for t in fig.data} == {"coloraxis"}
    assert (fig.layout.coloraxis.cmin, fig.layout.coloraxis.cmax) == (0, 1)


def test_svg_up_to_the_limit_webgl_past_it():
    """Counted over both panels: they are drawn on one surface."""
    half = space_charts.SVG_POINTS // 2
    small = space_charts.projection_scatter(_frame(half), "domain", {})
    large = space_charts.projection_scatter(_frame(half + 1), "domain", {})
    assert {t.type for t in small.data} == {"scatter"}
    assert {t.type for t in large.data} == {"scattergl"}


def _curve() -> pd.DataFrame:
    cutoffs = np.round(np.arange(0.0, 0.5, 0.01), 2)
    rows = [
        {
            "domain": domain,
            "model": model,
            "cutoff": c,
            "mean_admitted": 50 * (1 - c) + (5 if model == "candidate" else 0),
            "recall": 1 - c,
        }
        for domain in ("finance", "legal")
        for model in ("baseline", "candidate")
        for c in cutoffs
    ]
    return pd.DataFrame(rows)


def test_horizon_curves_one_figure_one_panel_per_measure():
    curve = _curve()
    panels = [("mean_admitted", "documents admitted per query"), ("recall", "recall")]
    fig = charts.horizon_curves(curve, panels, {"cutoff": 0.3, "calibrated": 0.35}, {})
    for axis, measure in (("x", "mean_admitted"), ("x2", "recall")):
        lines = {t.name: list(t.y) for t in fig.data if t.xaxis == axis}
        assert len(lines) == 4  # every domain x model in every panel
        legal = curve[(curve["domain"] == "legal") & (curve["model"] == "candidate")]
        assert lines["legal · candidate"] == list(legal[measure])
    assert sorted(t.name for t in fig.data if t.showlegend is not False) == sorted(
        {t.name for t in fig.data}
    )  # one legend entry per line, shared by both panels
    assert fig.layout.xaxis2.matches == "x"
    marks = sorted((s.x0, s.xref, s.yref) for s in fig.layout.shapes)
    assert marks == [  # both cutoffs marked in both panels, top to bottom
        (0.3, "x", "y domain"),
        (0.3, "x2", "y2 domain"),
        (0.35, "x", "y domain"),
        (0.35, "x2", "y2 domain"),
    ]
    labels = sorted(
        (a.text, a.xref, a.x, a.xanchor) for a in fig.layout.annotations if a.xref != "paper"
    )
    assert labels == [  # named at each line's top: the first left of its line, the second right
        ("calibrated", "x", 0.35, "left"),
        ("calibrated", "x2", 0.35, "left"),
        ("cutoff", "x", 0.3, "right"),
        ("cutoff", "x2", 0.3, "right"),
    ]


def test_horizon_curves_without_a_calibrated_cutoff_marks_one_line_per_panel():
    fig = charts.horizon_curves(
        _curve(), [("mean_admitted", "admitted")], {"cutoff": 0.3, "calibrated": None}, {}
    )
    assert [s.x0 for s in fig.layout.shapes] == [0.3]
    assert {t.xaxis for t in fig.data} == {"x"}


def test_geometry_one_panel_per_measure_every_domain_both_models():
    rows = [
        {"domain": d, "model": m, "tight": i + (0.5 if m == "candidate" else 0), "rank": 10 - i}
        for i, d in enumerate(["finance", "legal", "(all)"])
        for m in ("baseline", "candidate")
    ]
    frame = pd.DataFrame(rows)
    fig = space_charts.geometry_bars(
        frame, [("tight", "tightness (higher: tighter)"), ("rank", "rank")]
    )
    for axis, measure in (("x", "tight"), ("x2", "rank")):
        bars = {t.name: (list(t.x), list(t.y)) for t in fig.data if t.xaxis == axis}
        assert set(bars) == {"baseline", "candidate"}
        for model, (domains, values) in bars.items():
            part = frame[(frame["model"] == model) & (frame["domain"] != "(all)")]
            assert domains == ["finance", "legal"]  # the overall row is not a domain
            assert values == list(part[measure])
    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["tightness<br><sub>higher: tighter</sub>", "rank"]
    assert sorted(t.name for t in fig.data if t.showlegend is not False) == [
        "baseline",
        "candidate",
    ]


def test_centroid_heatmaps_share_one_scale():
    names = ["finance", "legal"]
    baseline = pd.DataFrame([[1.0, 0.2], [0.2, 1.0]], index=names, columns=names)
    candidate = pd.DataFrame([[1.0, 0.6], [0.6, 1.0]], index=names, columns=names)
    fig = space_charts.centroid_heatmaps({"baseline": baseline, "candidate": candidate})
    assert [t.z.tolist() for t in fig.data] == [baseline.values.tolist(), candidate.values.tolist()]
    assert {t.coloraxis for t in fig.data} == {"coloraxis"}
    assert (fig.layout.coloraxis.cmin, fig.layout.coloraxis.cmax) == (-1, 1)


def test_coverage_one_panel_per_sweep_on_one_coverage_axis():
    def sweep(over: str, values: list[float]) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {"domain": d, "model": m, over: v, "coverage": 0.5 + 0.1 * i}
                for d in ("finance", "legal")
                for m in ("baseline", "candidate")
                for i, v in enumerate(values)
            ]
        )

    by_k, by_cutoff = sweep("k", [1, 5, 10]), sweep("cutoff", [0.2, 0.4])
    fig = charts.coverage_curves(
        [("k", by_k, 10), ("cutoff", by_cutoff, None)], {}, label="answer coverage"
    )
    assert {t.name for t in fig.data if t.xaxis == "x"} == {
        f"{d} · {m}" for d in ("finance", "legal") for m in ("baseline", "candidate")
    }
    assert [list(t.x) for t in fig.data if t.xaxis == "x2"][0] == [0.2, 0.4]
    assert fig.layout.yaxis2.matches == "y"  # one coverage axis for both sweeps
    assert tuple(fig.layout.yaxis.range) == (0.45, 1.02)
    assert [(s.x0, s.xref) for s in fig.layout.shapes] == [(10, "x")]  # only k has a marker


def test_no_axis_matches_itself():
    """Only the other panels name the first one: an axis matching itself is a self-reference."""
    for fig in (
        space_charts.projection_scatter(_frame(30), "domain", {}),
        charts.horizon_curves(_curve(), [("mean_admitted", "a")], {"cutoff": 0.3}, {}),
        charts.horizon_curves(_curve(), [("mean_admitted", "a"), ("recall", "r")], {}, {}),
    ):
        for name in fig.layout:
            if name.startswith(("xaxis", "yaxis")):
                own = name[0] + name[5:]  # xaxis2 -> x2
                assert fig.layout[name].matches != own, name


def test_near_miss_tradeoff_names_each_domain_once_and_every_point_on_hover():
    """A domain's rules share its x, so only its all-rules point is labelled (labels on every
    point stacked into an unreadable column); every point's hover names its domain."""
    rows = [
        {"domain": d, "rule": r, "ndcg_change": change, "gain": gain, "n": 10}
        for d, change in (("legal", -0.05), ("clinical", -0.04))
        for r, gain in (("all rules", 0.02), ("negation", -0.03), ("role swap", 0.04))
    ]
    fig = charts.near_miss_tradeoff(pd.DataFrame(rows), {}, overall="all rules")
    by_rule = {trace.name: trace for trace in fig.data}
    assert list(by_rule["all rules"].text) == ["legal", "clinical"]
    assert by_rule["all rules"].mode == "markers+text"
    for rule in ("negation", "role swap"):
        assert by_rule[rule].text is None and by_rule[rule].mode == "markers"
        assert list(by_rule[rule].hovertext) == [
            f"legal, {rule}: 10 items",
            f"clinical, {rule}: 10 items",
        ]
